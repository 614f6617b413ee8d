package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/sbplc/sbplc/internal/testutil"
	"github.com/sbplc/sbplc/lint"
	"github.com/sbplc/sbplc/policy"
	"github.com/sbplc/sbplc/ruletable"
)

// The generated references: docs/cli.md from the command tree, and
// docs/rules.md from the rule registry and the rule table. TestGeneratedDocs
// renders both and fails when the committed files differ; run
//
//	SBPLC_UPDATE=1 go test ./cmd/sbplc -run TestGeneratedDocs
//
// to rewrite them, then review the diff.

const regenerate = "SBPLC_UPDATE=1 go test ./cmd/sbplc -run TestGeneratedDocs"

// generatedRegions are the generated parts of hand-written pages: between
// "<!-- gen:NAME:begin ... -->" and "<!-- gen:NAME:end -->" lines.
var generatedRegions = map[string]map[string]func() string{
	"query-test-audit.md": {"model-choices": renderModelChoices},
}

func TestGeneratedDocs(t *testing.T) {
	pages := map[string]string{
		"cli.md":   renderCLIDoc(newRoot(strings.NewReader(""), io.Discard, io.Discard)),
		"rules.md": renderRulesDoc(),
	}
	for name, regions := range generatedRegions {
		data, err := os.ReadFile(filepath.Join("..", "..", "docs", name))
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		for region, render := range regions {
			begin, end := "<!-- gen:"+region+":begin", "<!-- gen:"+region+":end -->\n"
			i, j := strings.Index(text, begin), strings.Index(text, end)
			if i < 0 || j < i {
				t.Fatalf("docs/%s has no %s ... %s region", name, begin, end)
			}
			i += strings.Index(text[i:], "\n") + 1
			text = text[:i] + render() + text[j:]
		}
		pages[name] = text
	}
	for name, text := range pages {
		path := filepath.Join("..", "..", "docs", name)
		if testutil.Update() {
			if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		old, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%v: run %s", err, regenerate)
			continue
		}
		if string(old) != text {
			t.Errorf("docs/%s is out of date (the command tree or the rule table changed): run %s\n%s", name, regenerate, testutil.LineDiff(string(old), text))
		}
	}
}

// TestGeneratedDocsFollowTheTree: a change to a command's help or to a
// rule's summary changes the generated text, so the drift test catches it.
func TestGeneratedDocsFollowTheTree(t *testing.T) {
	root := newRoot(strings.NewReader(""), io.Discard, io.Discard)
	before := renderCLIDoc(root)
	for _, c := range root.Commands() {
		if c.Name() == "fmt" {
			c.Flags().Lookup("width").Usage = "a changed usage"
		}
	}
	if after := renderCLIDoc(root); after == before || !strings.Contains(after, "a changed usage") {
		t.Error("a changed flag usage does not change docs/cli.md")
	}
	r, ok := lint.Lookup("unused-define")
	if !ok {
		t.Fatal("no unused-define rule")
	}
	if !strings.Contains(renderRulesDoc(), "| ["+r.ID+"](../lint/docs/"+r.ID+".md) |") {
		t.Error("docs/rules.md does not link unused-define to its document")
	}
}

// docCommands lists the commands a user can run, depth first, in the
// order --help lists them.
func docCommands(c *cobra.Command) []*cobra.Command {
	var out []*cobra.Command
	for _, s := range c.Commands() {
		if !s.IsAvailableCommand() || s.Name() == "help" {
			continue
		}
		out = append(out, s)
		out = append(out, docCommands(s)...)
	}
	return out
}

// anchor is GitHub's heading anchor for "## TEXT".
func anchor(text string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}

func renderCLIDoc(root *cobra.Command) string {
	var b strings.Builder
	b.WriteString("# Command reference\n\n")
	b.WriteString("<!-- Generated from sbplc's command tree; do not edit. Regenerate with:\n     " + regenerate + " -->\n\n")
	b.WriteString("This is what `sbplc COMMAND --help` prints, for every command. The topic pages\n")
	b.WriteString("([index](../README.md#documentation)) explain what the commands do and show them at work.\n\n")
	b.WriteString("Every command exits with 0 when it is clean, 1 for findings (a lint finding at the\n")
	b.WriteString("fail level, a failed test, a disagreeing blob), 2 for a usage or I/O error; `run` and\n")
	b.WriteString("`trace` also pass on COMMAND's own status ([running.md](running.md)).\n\n")
	cmds := docCommands(root)
	for _, c := range cmds {
		fmt.Fprintf(&b, "- [%s](#%s): %s\n", c.CommandPath(), anchor(c.CommandPath()), c.Short)
	}
	b.WriteString("\n## Global flags\n\nEvery command takes these:\n\n```text\n")
	b.WriteString(root.PersistentFlags().FlagUsages())
	b.WriteString("```\n\n`sbplc --version` prints what `sbplc version` prints.\n")
	for _, c := range cmds {
		fmt.Fprintf(&b, "\n## %s\n\n%s\n\n```text\n%s\n```\n", c.CommandPath(), strings.TrimSpace(c.Short), c.UseLine())
		if long := strings.TrimSpace(c.Long); long != "" {
			fmt.Fprintf(&b, "\n```text\n%s\n```\n", long)
		}
		if ex := strings.TrimRight(c.Example, "\n "); ex != "" {
			lines := strings.Split(ex, "\n")
			for i, l := range lines {
				lines[i] = strings.TrimPrefix(l, "  ")
			}
			fmt.Fprintf(&b, "\nExamples:\n\n```sh\n%s\n```\n", strings.Join(lines, "\n"))
		}
		if fl := c.LocalNonPersistentFlags().FlagUsages(); fl != "" {
			fmt.Fprintf(&b, "\nFlags:\n\n```text\n%s```\n", fl)
		}
		if subs := c.Commands(); len(subs) > 0 {
			var names []string
			for _, s := range subs {
				if s.IsAvailableCommand() {
					names = append(names, "["+s.Name()+"](#"+anchor(s.CommandPath())+")")
				}
			}
			fmt.Fprintf(&b, "\nSubcommands: %s.\n", strings.Join(names, ", "))
		}
	}
	return b.String()
}

func renderRulesDoc() string {
	var b strings.Builder
	rules := lint.All()
	b.WriteString("# Lint rules\n\n")
	b.WriteString("<!-- Generated from the rule registry (package lint) and the rule table\n     (ruletable/rules.tsv); do not edit. Regenerate with:\n     " + regenerate + " -->\n\n")
	on := 0
	for _, r := range rules {
		if !r.Off {
			on++
		}
	}
	fmt.Fprintf(&b, "sbplc knows %d rule IDs, %d of them on by default. Each links to its document\n", len(rules), on)
	b.WriteString("(`lint/docs/ID.md`, what `sbplc explain ID` prints and SARIF carries as help): what the\n")
	b.WriteString("rule finds, an example to avoid, the preferred form and the rationale. `sbplc rules`\n")
	b.WriteString("prints the same table (`--category NAME`, `--format json`); [lint.md](lint.md) says how\n")
	b.WriteString("to configure, suppress and fix findings.\n\n")
	b.WriteString("Rules marked *reported by* a stage have no check of their own: they document a code\n")
	b.WriteString("that the parser, the evaluator or the lint runner emits, so every code lint can print\n")
	b.WriteString("has a document. Rules marked *not ignorable* cannot be hidden by a `; sbplc:ignore`\n")
	b.WriteString("comment. *Probes* counts the [`sbplc audit`](query-test-audit.md#sbplc-audit-escape-vector-probes)\n")
	b.WriteString("probes the rule reports.\n\n")
	byCat := map[string][]*lint.Rule{}
	for _, r := range rules {
		byCat[string(r.Category)] = append(byCat[string(r.Category)], r)
	}
	cats := ruletable.Categories()
	b.WriteString("| category | rules | what it covers |\n|---|---|---|\n")
	for _, c := range cats {
		fmt.Fprintf(&b, "| [%s](#%s) | %d | %s |\n", c.Name, anchor(c.Name), len(byCat[c.Name]), c.Description)
	}
	for _, c := range cats {
		fmt.Fprintf(&b, "\n## %s\n\n%s.\n\n", c.Name, upperFirst(c.Description))
		b.WriteString("| rule | severity | default | probes | summary |\n|---|---|---|---|---|\n")
		list := byCat[c.Name]
		sort.SliceStable(list, func(i, j int) bool { return list[i].Stage == "" && list[j].Stage != "" })
		for _, r := range list {
			def, probes := ruleColumns(r.ID, r.Off)
			var notes []string
			if r.Stage != "" {
				stage := r.Stage
				if stage == "lint" {
					stage = "lint runner"
				}
				notes = append(notes, "reported by the "+stage)
			}
			if row, ok := ruletable.Lookup(r.ID); ok && !row.Suppressible {
				notes = append(notes, "not ignorable")
			}
			summary := strings.ReplaceAll(r.Summary, "|", `\|`)
			if len(notes) > 0 {
				summary += " (" + strings.Join(notes, "; ") + ")"
			}
			fmt.Fprintf(&b, "| [%s](../lint/docs/%s.md) | %s | %s | %s | %s |\n", r.ID, r.ID, r.Severity, def, probes, summary)
		}
	}
	return b.String()
}

// renderModelChoices is the table of the decision model's unverified
// choices (--model), from policy.Choices().
func renderModelChoices() string {
	var b strings.Builder
	b.WriteString("| key | default | values | meaning | evidence |\n|---|---|---|---|---|\n")
	for _, c := range policy.Choices() {
		fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s | %s |\n", c.Key, c.Default, strings.ReplaceAll(c.Values, "|", ", "),
			strings.ReplaceAll(c.Doc, "|", `\|`), strings.ReplaceAll(c.Evidence, "|", `\|`))
	}
	return b.String()
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
