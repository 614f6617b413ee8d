package driver

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sbplc/sbplc/corpus"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/source"
)

func newDriver(t *testing.T, opts Options) *Driver {
	t.Helper()
	d, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func check(t *testing.T, d *Driver, name, text string) *Result {
	t.Helper()
	r, err := d.Check(context.Background(), source.NewFile(name, []byte(text)))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func hasCode(ds diag.List, code string) bool {
	for _, d := range ds {
		if d.Code == code {
			return true
		}
	}
	return false
}

// TestConfigAppliesToEveryCommand: the configuration's params, import
// directories and rule levels reach the evaluation and the rules.
func TestConfigAppliesToEveryCommand(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "lib"), 0o755)
	os.WriteFile(filepath.Join(dir, "lib", "common.sb"), []byte("(allow process-fork)\n"), 0o644)
	os.WriteFile(filepath.Join(dir, ".sbplc.yaml"), []byte("params:\n  ROOT: /private/var/root\nimport-dirs: [lib]\nrules:\n  unbound-param: error\n"), 0o644)
	d := newDriver(t, Options{})
	r := check(t, d, filepath.Join(dir, "p.sb"), "(version 1)\n(deny default)\n(import \"common.sb\")\n(allow file-read* (subpath (param \"ROOT\")))\n(allow file-read* (subpath (param \"OTHER\")))\n")
	if got := r.Eval.Profile.Rules; len(got) != 4 || got[1].Ops[0].Name != "process-fork" {
		t.Fatalf("import through the configuration's import-dirs: %v", r.Diags)
	}
	if v := r.Eval.Profile.Rules[2].Filter.Args[0].Str; v != "/private/var/root" {
		t.Errorf("configuration param: %q", v)
	}
	var level diag.Severity = -1
	for _, dg := range r.Diags {
		if dg.Code == "unbound-param" {
			level = dg.Severity
		}
	}
	if level != diag.Error {
		t.Errorf("configured level: unbound-param at %v: %v", level, r.Diags)
	}
	// Explicit params win over the file's.
	d = newDriver(t, Options{Params: map[string]string{"ROOT": "/private/etc"}})
	r = check(t, d, filepath.Join(dir, "p.sb"), "(version 1)\n(allow file-read* (subpath (param \"ROOT\")))\n")
	if v := r.Eval.Profile.Rules[0].Filter.Args[0].Str; v != "/private/etc" {
		t.Errorf("explicit param: %q", v)
	}
}

// TestConfigProblemsArePositioned: a configuration that does not load is
// one positioned error in the file and the defaults apply; it is re-read
// once it changes.
func TestConfigProblemsArePositioned(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, ".sbplc.yaml")
	os.WriteFile(cfg, []byte("rules:\n  hardcoded-home: loud\n"), 0o644)
	d := newDriver(t, Options{})
	name := filepath.Join(dir, "p.sb")
	r := check(t, d, name, "(version 1)\n(allow foo-bar)\n")
	var cd *diag.Diagnostic
	for i := range r.Diags {
		if r.Diags[i].Code == ConfigCode {
			cd = &r.Diags[i]
		}
	}
	if cd == nil || cd.Severity != diag.Error || !strings.HasSuffix(cd.Span.Filename(), ".sbplc.yaml") || cd.Span.StartPos().Line != 2 {
		t.Fatalf("config problem: %v", r.Diags)
	}
	if !hasCode(r.Diags, "unknown-operation") {
		t.Errorf("the defaults do not apply: %v", r.Diags)
	}
	later := time.Now().Add(2 * time.Second)
	os.WriteFile(cfg, []byte("rules:\n  unknown-operation: off\n"), 0o644)
	os.Chtimes(cfg, later, later)
	r = check(t, d, name, "(version 1)\n(allow foo-bar)\n")
	if hasCode(r.Diags, ConfigCode) || hasCode(r.Diags, "unknown-operation") {
		t.Errorf("changed configuration not re-read: %v", r.Diags)
	}
}

// TestPreludesBounded: preludes are read through the bounded reader: a
// device or FIFO is refused at once, not read or waited on.
func TestPreludesBounded(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ".sbplc.yaml"), []byte("preludes: [/dev/zero]\n"), 0o644)
	d := newDriver(t, Options{})
	done := make(chan *Result)
	go func() { done <- check(t, d, filepath.Join(dir, "p.sb"), "(version 1)\n") }()
	select {
	case r := <-done:
		if !hasCode(r.Diags, ConfigCode) || !strings.Contains(r.Diags[0].Message, "not a regular file") {
			t.Errorf("prelude /dev/zero: %v", r.Diags)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("prelude /dev/zero was read")
	}
	d = newDriver(t, Options{Preludes: []string{"/dev/zero"}, NoConfig: true})
	if _, err := d.Check(context.Background(), source.NewFile("p.sb", []byte("(version 1)\n"))); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("--prelude /dev/zero: %v", err)
	}
}

func TestNewValidates(t *testing.T) {
	for _, o := range []Options{
		{Target: "macos99"},
		{Enable: []string{"no-such-rule"}},
		{Home: "relative/home"},
		{ImportDirs: []string{"/nonexistent/dir"}},
		{ConfigFile: "/nonexistent/.sbplc.yaml"},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("%+v: accepted", o)
		}
	}
}

// fixture builds a result with one synthetic finding whose fix inserts
// text at the end of the file.
func withFix(r *Result, title, text string, guess bool) *Result {
	end := len(r.Src.Text)
	cp := *r
	cp.Diags = append(diag.List{{Severity: diag.Warning, Code: "test", Message: "synthetic",
		Span:  source.Span{File: r.Src, Start: 0, End: 1},
		Fixes: []diag.Fix{{Title: title, Guess: guess, Edits: []diag.Edit{{Span: source.Span{File: r.Src, Start: end, End: end}, NewText: text}}}}}},
		r.Diags...)
	return &cp
}

// TestFixVerifies: a fix is applied only when the result has no new error
// and its own text draws no finding; guesses are never applied.
func TestFixVerifies(t *testing.T) {
	// Only one rule runs, so the fixture's synthetic fix is the only one.
	d := newDriver(t, Options{NoConfig: true, Disable: []string{"overbreadth", "ordering", "style", "escape", "secrets"}})
	base := check(t, d, "p.sb", "(version 1)\n(deny default)\n")
	if len(base.Diags) != 0 {
		t.Fatalf("fixture has findings: %v", base.Diags)
	}
	for _, tc := range []struct {
		name, text string
		guess      bool
		applied    int
		reason     string
	}{
		{"good", "(allow process-fork)\n", false, 1, ""},
		{"guess", "(allow process-fork)\n", true, 0, ""},
		{"syntax", "(allow process-fork\n", false, 0, "list is never closed"},
		{"draws a finding", "(allow file-read* (literal \"/tmp/x\"))\n", false, 0, "would draw a new finding: /tmp is a symlink"},
		{"adds an error elsewhere", "(version 2)\n", false, 0, "version"},
	} {
		fr, err := d.Fix(context.Background(), withFix(base, tc.name, tc.text, tc.guess))
		if err != nil {
			t.Fatal(err)
		}
		if fr.Applied != tc.applied {
			t.Errorf("%s: applied %d, want %d (refused %+v)", tc.name, fr.Applied, tc.applied, fr.Refused)
		}
		if tc.reason != "" && (len(fr.Refused) != 1 || !strings.Contains(fr.Refused[0].Reason, tc.reason)) {
			t.Errorf("%s: refused %+v, want %q", tc.name, fr.Refused, tc.reason)
		}
		if tc.applied == 0 && string(fr.Text) != string(base.Src.Text) {
			t.Errorf("%s: text changed to %q", tc.name, fr.Text)
		}
	}
}

// TestFixCorpus: --fix over every corpus profile adds no error (issue 12,
// item 1): each file ends with no error-level diagnostic it did not have.
func TestFixCorpus(t *testing.T) {
	es := corpus.ForTest(t)
	d := newDriver(t, Options{NoConfig: true})
	for _, e := range es {
		data, err := e.Read()
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(t.TempDir(), e.Base())
		before, err := d.Check(context.Background(), source.NewFile(name, data))
		if err != nil {
			t.Fatal(err)
		}
		fr, err := d.Fix(context.Background(), before)
		if err != nil {
			t.Fatal(err)
		}
		// No rule reports more errors than before.
		byCode := func(d diag.Diagnostic) string { return d.Code }
		if news := newErrors(before.Diags, fr.Final.Diags, byCode, byCode); len(news) > 0 {
			t.Errorf("%s: --fix adds %d error(s), first: %v", e.File, len(news), news[0])
		}
		if fr.Applied > 0 && string(fr.Final.Src.Text) != string(fr.Text) {
			t.Errorf("%s: Final is not the check of Text", e.File)
		}
	}
}

// TestFixRounds: fixes that touch the same literal apply over several
// rounds (the non-overlapping ones first) until nothing is left.
func TestFixRounds(t *testing.T) {
	d := newDriver(t, Options{NoConfig: true})
	r := check(t, d, "f.sb", "(version 1)\n(deny default)\n(deny file-link file-clone system-privilege nvram*)\n(deny process-info* (target others))\n(allow file-write* (subpath \"/tmp/a/../b/\"))\n")
	fr, err := d.Fix(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if want := "(version 1)\n(deny default)\n(deny file-link file-clone system-privilege nvram*)\n(deny process-info* (target others))\n(allow file-write* (subpath \"/private/tmp/b\"))\n"; string(fr.Text) != want || fr.Applied < 2 {
		t.Errorf("after %d fixes:\n%s\nwant:\n%s\nrefused: %+v", fr.Applied, fr.Text, want, fr.Refused)
	}
}
