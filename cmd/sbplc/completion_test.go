package main

import (
	"github.com/sbplc/sbplc/templates"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/sbplc/sbplc/ruletable"
)

// complete runs cobra's hidden __complete command, which every shell's
// completion script calls, and returns the candidates (without their
// descriptions) and the directive.
func complete(t *testing.T, args ...string) ([]string, cobra.ShellCompDirective) {
	t.Helper()
	out, errs, code := runSbplc(t, "", append([]string{"__complete"}, args...)...)
	if code != 0 {
		t.Fatalf("__complete %q: exit %d, stderr %q", args, code, errs)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, ":") {
		t.Fatalf("__complete %q: no directive line in %q", args, out)
	}
	d, err := strconv.Atoi(last[1:])
	if err != nil {
		t.Fatalf("__complete %q: directive %q", args, last)
	}
	var words []string
	for _, l := range lines[:len(lines)-1] {
		w, _, _ := strings.Cut(l, "\t")
		words = append(words, w)
	}
	return words, cobra.ShellCompDirective(d)
}

func TestCompleteFlagValues(t *testing.T) {
	var ids, cats []string
	for _, r := range ruletable.Rules() {
		ids = append(ids, r.ID)
	}
	cats = ruletable.CategoryNames()
	for _, tc := range []struct {
		args []string
		want []string // exactly these, in this order
		has  []string // at least these
		not  []string // none of these
		dir  cobra.ShellCompDirective
	}{
		{args: []string{"lint", "--format", ""}, want: []string{"text", "json", "sarif", "github"}, dir: cobra.ShellCompDirectiveNoFileComp},
		{args: []string{"lint", "--fail-on", ""}, want: []string{"error", "warning", "info"}, dir: cobra.ShellCompDirectiveNoFileComp},
		{args: []string{"audit", "--fail-on", ""}, want: []string{"error", "warning", "info"}, dir: cobra.ShellCompDirectiveNoFileComp},
		{args: []string{"lint", "--target", ""}, want: []string{"macos10.15", "macos14", "macos15", "macos26"}, dir: cobra.ShellCompDirectiveNoFileComp},
		{args: []string{"disasm", "--target", ""}, want: []string{"macos14", "macos15", "macos26", "ios13", "ios16", "ios17", "ios18", "ios26"}, dir: cobra.ShellCompDirectiveNoFileComp},
		{args: []string{"rules", "--category", ""}, want: cats, dir: cobra.ShellCompDirectiveNoFileComp},
		{args: []string{"explain", ""}, want: ids, dir: cobra.ShellCompDirectiveNoFileComp},
		{args: []string{"explain", "arity", ""}, dir: cobra.ShellCompDirectiveNoFileComp},
		{args: []string{"lint", "--enable", ""}, has: append(append([]string{"all"}, cats...), ids...), dir: cobra.ShellCompDirectiveNoFileComp},
		{args: []string{"lint", "--disable", "escape,hardcoded-home,"}, has: []string{"escape,hardcoded-home,secrets", "escape,hardcoded-home,arity"},
			not: []string{"escape,hardcoded-home,escape", "escape,hardcoded-home,hardcoded-home", "secrets"}, dir: cobra.ShellCompDirectiveNoFileComp},
		{args: []string{"lint", "--color", ""}, want: []string{"auto", "always", "never"}, dir: cobra.ShellCompDirectiveNoFileComp},
		{args: []string{"--color", ""}, want: []string{"auto", "always", "never"}, dir: cobra.ShellCompDirectiveNoFileComp},
		{args: []string{"compile", "--emit", ""}, want: []string{"bytecode", "sbpl", "json"}, dir: cobra.ShellCompDirectiveNoFileComp},
		{args: []string{"query", "--model", ""}, has: []string{"specific-beats-wildcard="}, dir: cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace},
		{args: []string{"query", "--model", "specific-beats-wildcard="}, want: []string{"specific-beats-wildcard=true", "specific-beats-wildcard=false"}, dir: cobra.ShellCompDirectiveNoFileComp},
		{args: []string{"lint", "--import-dir", ""}, dir: cobra.ShellCompDirectiveFilterDirs},
	} {
		got, dir := complete(t, tc.args...)
		if tc.want != nil && !slices.Equal(got, tc.want) {
			t.Errorf("%q: got %q, want %q", tc.args, got, tc.want)
		}
		for _, w := range tc.has {
			if !slices.Contains(got, w) {
				t.Errorf("%q: %q missing from %q", tc.args, w, got)
			}
		}
		for _, w := range tc.not {
			if slices.Contains(got, w) {
				t.Errorf("%q: %q offered", tc.args, w)
			}
		}
		if tc.want == nil && tc.has == nil && len(got) != 0 {
			t.Errorf("%q: want no candidates, got %q", tc.args, got)
		}
		if dir != tc.dir {
			t.Errorf("%q: directive %d, want %d", tc.args, dir, tc.dir)
		}
	}
	// Descriptions go with the values for zsh, fish and PowerShell.
	out, _, _ := runSbplc(t, "", "__complete", "rules", "--category", "")
	if !strings.Contains(out, "escape\tlets the process act outside the sandbox\n") {
		t.Errorf("no category description in %q", out)
	}
}

// valueFlags are the flags whose values sbplc completes; every command
// that has one must complete it.
var valueFlags = []string{"format", "fail-on", "target", "enable", "disable", "category", "emit", "model", "color"}

// TestEveryValueFlagCompletes: each flag of valueFlags on every command
// has a completion function, and every entry of flagCompletions names a
// flag its command has.
func TestEveryValueFlagCompletes(t *testing.T) {
	root := newRoot(strings.NewReader(""), &strings.Builder{}, &strings.Builder{})
	for _, c := range root.Commands() {
		c.InitDefaultHelpFlag()
		for _, name := range valueFlags {
			if f := c.Flags().Lookup(name); f == nil && c.InheritedFlags().Lookup(name) == nil {
				continue
			}
			if _, ok := c.GetFlagCompletionFunc(name); !ok {
				t.Errorf("sbplc %s --%s has no completion", c.Name(), name)
			}
		}
	}
	for name, flags := range flagCompletions() {
		c, _, err := root.Find([]string{name})
		if err != nil || c.Name() != name {
			t.Errorf("flagCompletions names command %q, which does not exist", name)
			continue
		}
		for flag := range flags {
			if c.Flags().Lookup(flag) == nil {
				t.Errorf("flagCompletions: sbplc %s has no --%s", name, flag)
			}
		}
	}
}

// TestCompletedValuesAreAccepted runs every command with every value its
// completion offers, and checks that the command does not refuse it (a
// refusal quotes the value, as a made-up value shows first).
func TestCompletedValuesAreAccepted(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "p.sb")
	if err := os.WriteFile(p, []byte("(version 1)\n(deny default)\n(allow file-read* (subpath \"/usr\"))\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "d.log")
	if err := os.WriteFile(log, []byte("Sandbox: tool(41) deny(1) mach-lookup com.example.x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	inputs := map[string][]string{
		"lint": {p}, "parse": {p}, "expand": {p}, "query": {p, "file-read-data", "/usr/x"}, "test": {p},
		"audit": {p}, "compile": {"-o", filepath.Join(dir, "out"), p}, "verify": {p}, "disasm": {p}, "rules": nil,
		"learn": {log}, "init": {"-o", filepath.Join(dir, "init.sb"), "--force"},
		"run": {"--dry-run", p, "--", "true"}, "trace": {p, "--", "true"},
	}
	for name, flags := range flagCompletions() {
		args, ok := inputs[name]
		if !ok {
			t.Errorf("no sample input for %s", name)
			continue
		}
		for _, flag := range append(slices.Sorted(maps.Keys(flags)), "color") {
			if flag == "import-dir" || flag == "project" {
				continue // directories: the shell lists them
			}
			if flag == "template" && (name == "run" || name == "trace") {
				continue // replaces PROFILE; TestTemplateCompletion covers it
			}
			bogus := "bogus"
			if flag == "model" {
				bogus = "bogus=1"
			}
			_, errs, code := runSbplc(t, "", append([]string{name, "--" + flag, bogus}, args...)...)
			if code != exitUsage || !strings.Contains(errs, `"bogus"`) {
				t.Errorf("%s --%s %s: exit %d, stderr %q; want a usage error quoting the value", name, flag, bogus, code, errs)
				continue
			}
			values, _ := complete(t, name, "--"+flag, "")
			if flag == "model" {
				var all []string
				for _, k := range values {
					vs, _ := complete(t, name, "--model", k)
					all = append(all, vs...)
				}
				values = all
			}
			if len(values) == 0 {
				t.Errorf("%s --%s: nothing completed", name, flag)
			}
			for _, v := range values {
				_, errs, code := runSbplc(t, "", append([]string{name, "--" + flag, v}, args...)...)
				_, after, _ := strings.Cut(v, "=")
				if code == exitUsage && (strings.Contains(errs, strconv.Quote(v)) || after != "" && strings.Contains(errs, strconv.Quote(after))) {
					t.Errorf("%s --%s %s: refused: %s", name, flag, v, errs)
				}
			}
		}
	}
}

// TestBashCompletionScript loads 'sbplc completion bash' into bash with the
// bash-completion package, as a login shell would, and completes command
// lines the way bash does on TAB (skipped where bash-completion is absent).
func TestBashCompletionScript(t *testing.T) {
	const lib = "/usr/share/bash-completion/bash_completion"
	if _, err := os.Stat(lib); err != nil {
		t.Skipf("bash-completion is not installed: %v", err)
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	bin, _ := buildSbplc(t)
	script := filepath.Join(t.TempDir(), "sbplc.bash")
	out, _, _ := runSbplc(t, "", "completion", "bash")
	if err := os.WriteFile(script, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	// COMP_WORDS as bash splits the line; the last word is the one completed.
	const driver = `source "$1"; source "$2"; line=$3
read -ra COMP_WORDS <<< "$line"; [[ $line == *" " ]] && COMP_WORDS+=("")
COMP_LINE=$line; COMP_POINT=${#line}; COMP_CWORD=$((${#COMP_WORDS[@]}-1))
__start_sbplc sbplc "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}" 2>/dev/null
printf '%s\n' "${COMPREPLY[@]}"`
	for line, want := range map[string]string{
		"sbplc lint --format ":      "text json sarif github",
		"sbplc lint --fail-on w":    "warning",
		"sbplc lint --enable esc":   "escape",
		"sbplc explain unresolved-": "unresolved-symlink-path",
		"sbplc rules --category s":  "secrets style",
		"sbplc lint --color=al":     "always",
	} {
		cmd := exec.Command("bash", "-c", driver, "bash", lib, script, line)
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
		got, err := cmd.Output()
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if g := strings.Join(strings.Fields(string(got)), " "); g != want {
			t.Errorf("%q completes to %q, want %q", line, g, want)
		}
	}
}

// TestTemplateCompletion: init, run and trace complete --template with the
// templates' names, each of which sbplc init accepts.
func TestTemplateCompletion(t *testing.T) {
	for _, cmd := range []string{"init", "run", "trace"} {
		out, _, _ := runSbplc(t, "", "__complete", cmd, "--template", "")
		for _, name := range templates.Names() {
			if !strings.Contains(out, name+"\t") {
				t.Errorf("%s --template: %s not offered:\n%s", cmd, name, out)
			}
		}
	}
	for _, name := range templates.Names() {
		if _, errs, code := runSbplc(t, "", "init", "--template", name, "-o", filepath.Join(t.TempDir(), "p.sb")); code != 0 {
			t.Errorf("init --template %s: exit %d %s", name, code, errs)
		}
	}
}
