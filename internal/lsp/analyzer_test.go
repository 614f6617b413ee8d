package lsp

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/source"
)

func codes(ds diag.List) string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Code)
	}
	return strings.Join(out, ",")
}

func hasCode(ds diag.List, code string) bool {
	for _, d := range ds {
		if d.Code == code {
			return true
		}
	}
	return false
}

// TestLintAnalyzerConfig: the nearest .sbplc.yaml above the document
// configures the lint rules, and is re-read when it changes.
func TestLintAnalyzerConfig(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "profiles")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(sub, "p.sb")
	src := source.NewFile(path, []byte("(version 1)\n(allow foo-bar)\n"))
	a := NewLintAnalyzer()
	analyze := func() Analysis {
		return a.Analyze(context.Background(), Request{Path: path, Src: src})
	}
	res := analyze()
	if !res.SyntaxOK || !hasCode(res.Diags, "unknown-operation") {
		t.Fatalf("without config: %v", res.Diags)
	}
	cfg := filepath.Join(dir, ".sbplc.yaml")
	if err := os.WriteFile(cfg, []byte("rules:\n  unknown-operation: off\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if res := analyze(); hasCode(res.Diags, "unknown-operation") {
		t.Fatalf("rule switched off in config still reported: %v", res.Diags)
	}
	// A broken config is reported on the document and the defaults apply.
	later := time.Now().Add(2 * time.Second)
	if err := os.WriteFile(cfg, []byte("rules: [unterminated\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(cfg, later, later)
	res = analyze()
	if !hasCode(res.Diags, "config") || !hasCode(res.Diags, "unknown-operation") {
		t.Fatalf("broken config: %v", res.Diags)
	}
	for _, d := range res.Diags {
		if d.Code == "config" && !strings.HasSuffix(d.Span.Filename(), ".sbplc.yaml") {
			t.Errorf("config error is not positioned in the file: %s", d)
		}
	}
	// Files ignored by the config get syntax errors only.
	os.WriteFile(cfg, []byte("ignore:\n  - profiles/**\n"), 0o644)
	later = later.Add(2 * time.Second)
	os.Chtimes(cfg, later, later)
	if res := analyze(); len(res.Diags) != 0 {
		t.Fatalf("ignored file: %v", res.Diags)
	}
}

func TestLintAnalyzerSyntax(t *testing.T) {
	a := NewLintAnalyzer()
	src := source.NewFile("untitled:1", []byte("(version 1)\n(allow file-read* \"x\n"))
	res := a.Analyze(context.Background(), Request{URI: "untitled:1", Src: src})
	if res.SyntaxOK || !hasCode(res.Diags, "syntax-error") || res.Tree == nil {
		t.Fatalf("syntax error: ok=%v %v", res.SyntaxOK, res.Diags)
	}
	for _, code := range []string{"syntax-error", "internal-error", "unused-ignore", ""} {
		if a.Ignorable(code) {
			t.Errorf("%q is ignorable", code)
		}
	}
	if !a.Ignorable("unknown-operation") {
		t.Error("a lint rule is not ignorable")
	}
}

// TestIgnoreActionSuppresses applies the ignore code action with the real
// linter: the finding disappears and no unused-ignore appears.
func TestIgnoreActionSuppresses(t *testing.T) {
	c := initialized(t, Options{Analyzer: NewLintAnalyzer()})
	dir := t.TempDir()
	uri := pathToURI(filepath.Join(dir, "i.sb"))
	text := "(version 1)\n(deny default)\n(allow foo-bar)\n"
	c.open(uri, text)
	p := c.diagnostics()
	var target *Diagnostic
	for i, d := range p.Diagnostics {
		if d.Code == "unknown-operation" {
			target = &p.Diagnostics[i]
		}
	}
	if target == nil {
		t.Fatalf("no unknown-operation finding: %+v", p.Diagnostics)
	}
	var ignore *CodeAction
	for _, a := range codeActions(t, c, uri, target.Range) {
		if a.Title == "ignore unknown-operation on this line" {
			ignore = &a
		}
	}
	if ignore == nil {
		t.Fatal("no ignore action")
	}
	fixed := applyEdits(t, text, ignore.Edit.Changes[uri])
	c.change(uri, 2, fixed)
	p = c.diagnostics()
	for _, d := range p.Diagnostics {
		if d.Code == "unknown-operation" || d.Code == "unused-ignore" || d.Code == "unknown-rule-in-ignore" {
			t.Fatalf("after inserting the ignore comment %q: %+v", fixed, d)
		}
	}
	// A second finding on the next rule: its ignore merges into a new
	// directive, and the file-wide action covers both lines.
	text2 := fixed + "(allow bar-baz)\n"
	c.change(uri, 3, text2)
	p = c.diagnostics()
	var second *Diagnostic
	for i, d := range p.Diagnostics {
		if d.Code == "unknown-operation" {
			second = &p.Diagnostics[i]
		}
	}
	if second == nil {
		t.Fatalf("no finding for bar-baz in version %d of %q: %+v", *p.Version, text2, p.Diagnostics)
	}
	for _, a := range codeActions(t, c, uri, second.Range) {
		if a.Title == "ignore unknown-operation in this file" {
			c.change(uri, 4, applyEdits(t, text2, a.Edit.Changes[uri]))
		}
	}
	p = c.diagnostics()
	if *p.Version != 4 {
		t.Fatal("the ignore-file action was not offered")
	}
	for _, d := range p.Diagnostics {
		if d.Code == "unknown-operation" || d.Code == "unknown-rule-in-ignore" {
			t.Fatalf("after ignore-file: %+v", d)
		}
	}
}

// TestImportsFromOpenBuffers: an imported file open in the editor is read
// from its buffer (unsaved text), and editing it re-analyses the importer.
func TestImportsFromOpenBuffers(t *testing.T) {
	c := initialized(t, Options{Analyzer: NewLintAnalyzer()})
	dir := t.TempDir()
	mainURI, libURI := pathToURI(filepath.Join(dir, "main.sb")), pathToURI(filepath.Join(dir, "lib.sb"))
	// lib.sb exists only as a buffer.
	c.open(libURI, "(define (helper) (literal \"/private/etc/hosts\"))\n")
	if p := c.diagnostics(); p.URI != libURI {
		t.Fatalf("first publish for %s", p.URI)
	}
	c.open(mainURI, "(version 1)\n(deny default)\n(import \"lib.sb\")\n(allow file-read* (helper))\n")
	p := c.diagnostics()
	if p.URI != mainURI {
		t.Fatalf("publish for %s", p.URI)
	}
	for _, d := range p.Diagnostics {
		if d.Severity == SeverityError || d.Code == "import-not-found" {
			t.Fatalf("main.sb with lib.sb open: %+v", d)
		}
	}
	// Break the helper in the lib buffer: main.sb is re-analysed by itself.
	c.change(libURI, 2, "(define (other) (literal \"/private/etc/hosts\"))\n")
	seen := map[string]PublishDiagnosticsParams{}
	for len(seen) < 2 {
		p := c.diagnostics()
		seen[p.URI] = p
	}
	found := false
	for _, d := range seen[mainURI].Diagnostics {
		found = found || (d.Severity == SeverityError && strings.Contains(d.Message, "helper"))
	}
	if !found {
		t.Fatalf("main.sb not re-analysed against the edited lib buffer: %+v", seen[mainURI].Diagnostics)
	}
	// Closing the lib buffer makes main.sb read the disk, where it does not exist.
	c.notify("textDocument/didClose", map[string]any{"textDocument": map[string]any{"uri": libURI}})
	for {
		p := c.diagnostics()
		if p.URI != mainURI {
			continue
		}
		if !strings.Contains(fmt.Sprint(p.Diagnostics), "import-not-found") {
			t.Fatalf("after closing lib.sb: %+v", p.Diagnostics)
		}
		break
	}
}
