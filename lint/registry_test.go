package lint_test

import (
	"strings"
	"testing"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/lint"
	"github.com/sbplc/sbplc/ruletable"
	"github.com/sbplc/sbplc/source"
)

// lintText lints text with every rule enabled and returns the findings.
func lintText(t testing.TB, name, text string, opts lint.Options) diag.List {
	t.Helper()
	opts.Enable = append(opts.Enable, "all")
	ds, _ := lint.File(source.NewFile(name, []byte(text)), nil, opts)
	return ds
}

// codes returns the findings reported under code, including the
// categories a grouped secrets finding lists as "[code] ..." notes.
func codes(ds diag.List, code string) []string {
	var out []string
	for _, d := range ds {
		grouped := false
		for _, n := range d.Notes {
			if strings.HasPrefix(n, "["+code+"] ") {
				grouped = true
				out = append(out, d.Span.String()+": "+n)
			}
		}
		if d.Code == code && !grouped {
			out = append(out, d.String())
		}
	}
	return out
}

func TestRegistry(t *testing.T) {
	rules := lint.All()
	if len(rules) < 40 {
		t.Fatalf("%d rules, want at least 40", len(rules))
	}
	seen := map[string]bool{}
	cats := map[lint.Category]int{}
	for _, r := range rules {
		if !lint.ValidID(r.ID) {
			t.Errorf("%s: ID is not kebab-case", r.ID)
		}
		if seen[r.ID] {
			t.Errorf("%s: duplicate ID", r.ID)
		}
		seen[r.ID] = true
		cats[r.Category]++
		if s := r.Summary; s == "" || len(s) > 60 || strings.HasSuffix(s, ".") || !lowerStart(s) {
			t.Errorf("%s: summary %q must be lowercase, at most 60 characters, without a final period", r.ID, s)
		}
		if got, ok := lint.Lookup(r.ID); !ok || got != r {
			t.Errorf("%s: Lookup does not find the rule", r.ID)
		}
	}
	for _, c := range lint.Categories() {
		if cats[c] == 0 {
			t.Errorf("category %s has no rules", c)
		}
	}
}

// notExecutable lists stage codes whose Avoid example cannot be shown in
// one small file (their docs still need every section).
var notExecutable = map[string]string{
	"input-too-large":     "needs a 16 MiB input",
	"internal-error":      "needs a bug in sbplc",
	"lint-internal-error": "needs a bug in a rule",
	"import-cycle":        "needs two files",
	"op-not-on-target":    "needs --target (TestTargetTable covers it)",
	"filter-arg-value":    "the evaluator reports most unknown constants as unbound-identifier",
}

// TestDocs executes every rule's documentation: the Avoid example must
// trigger the rule and the Prefer example must not.
func TestDocs(t *testing.T) {
	for _, r := range lint.All() {
		t.Run(r.ID, func(t *testing.T) {
			doc := r.Doc()
			if doc == "" {
				t.Fatalf("no embedded doc (lint/docs/%s.md)", r.ID)
			}
			if !strings.HasPrefix(doc, "# "+r.ID+"\n") {
				t.Errorf("doc must start with \"# %s\"", r.ID)
			}
			for _, sec := range []string{"Avoid", "Prefer", "Rationale"} {
				if lint.DocSection(doc, sec) == "" {
					t.Errorf("doc has no %s section", sec)
				}
			}
			avoid, prefer := lint.DocExample(doc, "Avoid"), lint.DocExample(doc, "Prefer")
			if avoid == "" || prefer == "" {
				t.Fatalf("Avoid and Prefer need a fenced example")
			}
			if why, ok := notExecutable[r.ID]; ok {
				if r.Stage == "" {
					t.Errorf("only stage rules may skip their examples")
				}
				t.Skip(why)
			}
			if got := codes(lintText(t, "avoid.sb", avoid, lint.Options{}), r.ID); len(got) == 0 {
				t.Errorf("Avoid example does not trigger %s:\n%s", r.ID, avoid)
			}
			if got := codes(lintText(t, "prefer.sb", prefer, lint.Options{}), r.ID); len(got) > 0 {
				t.Errorf("Prefer example triggers %s:\n%s\n%s", r.ID, prefer, strings.Join(got, "\n"))
			}
		})
	}
}

// lowerStart accepts a lowercase first word, or one that is an acronym or
// a product name (LaunchAgents, SSH, JIT, Docker, Apple).
func lowerStart(s string) bool {
	w := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == ':' })[0]
	if strings.ToLower(w[:1]) == w[:1] {
		return true
	}
	if strings.ToUpper(w) == w || strings.ContainsAny(w[1:], "ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
		return true
	}
	switch w {
	case "Apple", "Docker":
		return true
	}
	return false
}

// TestTableMatchesRegistry: every rule has a row in the rule table and
// every row a rule, in the same order, and the rules carry the row's
// defaults; the category constants are the table's categories.
func TestTableMatchesRegistry(t *testing.T) {
	rows := ruletable.Rules()
	rules := lint.All()
	for i := 0; i < len(rows) || i < len(rules); i++ {
		switch {
		case i >= len(rules):
			t.Errorf("row %s has no rule", rows[i].ID)
			continue
		case i >= len(rows):
			t.Errorf("rule %s has no row in ruletable/rules.tsv", rules[i].ID)
			continue
		}
		row, r := rows[i], rules[i]
		if row.ID != r.ID {
			if _, ok := ruletable.Lookup(r.ID); !ok {
				t.Errorf("rule %s has no row in ruletable/rules.tsv", r.ID)
			} else {
				t.Errorf("position %d: row %s, rule %s: keep rules.tsv in registry order", i, row.ID, r.ID)
			}
			continue
		}
		if string(r.Category) != row.Category || r.Severity != row.Severity || r.Off != row.Off || r.Summary != row.Summary || len(r.Params) != len(row.Options) {
			t.Errorf("%s: rule defaults %v/%v/%v/%q/%v differ from the row", r.ID, r.Category, r.Severity, r.Off, r.Summary, r.Params)
		}
		for _, o := range row.Options {
			if r.Params[o.Name] != o.Default {
				t.Errorf("%s: option %s default %q, row %q", r.ID, o.Name, r.Params[o.Name], o.Default)
			}
		}
	}
	for _, c := range []lint.Category{lint.Correctness, lint.Paths, lint.Ordering, lint.Overbreadth, lint.Escape, lint.Secrets, lint.Style} {
		if !ruletable.IsCategory(string(c)) {
			t.Errorf("category constant %s is not in ruletable/categories.tsv", c)
		}
	}
	if len(lint.Categories()) != len(ruletable.Categories()) {
		t.Errorf("lint.Categories() %v", lint.Categories())
	}
}

// TestProbeRulesHaveText: every rule the probe table names says what to do
// in its findings.
func TestProbeRulesHaveText(t *testing.T) {
	for _, p := range ruletable.Probes() {
		if !lint.HasProbeText(p.Rule) {
			t.Errorf("%s: rule %s has no probe message (lint/probes.go probeTexts)", p.ID, p.Rule)
		}
	}
}

// TestDidYouMeanFixesAreGuesses: a did-you-mean replacement may change the
// profile's meaning, so every such fix is a guess (editors offer it, --fix
// never applies it).
func TestDidYouMeanFixesAreGuesses(t *testing.T) {
	text := "(version 1)\n(deny default)\n(allow file-raed*)\n(allow file-read* (subpaht \"/usr\"))\n" +
		"(allow file-read* (with repotr) (literal \"/a\"))\n(allow file-read* (literal (lenght \"/x\")))\n"
	want := map[string]string{"unknown-operation": "file-read*", "unknown-filter": "subpath", "unknown-modifier": "report", "unbound-identifier": "length"}
	for _, d := range lintText(t, "g.sb", text, lint.Options{}) {
		sug, ok := want[d.Code]
		if !ok {
			continue
		}
		delete(want, d.Code)
		if !strings.Contains(d.Message, "did you mean "+sug+"?") || len(d.Fixes) != 1 || !d.Fixes[0].Guess || d.Fixes[0].Edits[0].NewText != sug {
			t.Errorf("%s: %s %+v", d.Code, d.Message, d.Fixes)
		}
	}
	if len(want) > 0 {
		t.Errorf("no finding for %v", want)
	}
}
