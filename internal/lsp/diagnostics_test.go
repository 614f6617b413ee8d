package lsp

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/source"
)

func TestPublishOnOpenChangeClose(t *testing.T) {
	c := initialized(t, Options{})
	const uri = "file:///w/p.sb"
	c.open(uri, "(version 1)\n(allow bad-op)\n")
	p := c.diagnostics()
	if p.URI != uri || p.Version == nil || *p.Version != 1 || len(p.Diagnostics) != 1 {
		t.Fatalf("didOpen published %+v", p)
	}
	d := p.Diagnostics[0]
	want := Range{Start: Position{1, 7}, End: Position{1, 13}}
	if d.Range != want || d.Code != "fake-rule" || d.Severity != SeverityWarning || d.Source != "sbplc" {
		t.Fatalf("diagnostic %+v, want range %+v code fake-rule warning", d, want)
	}
	c.change(uri, 2, "(version 1)\n(allow good-op)\n")
	c.published(2, 0) // fixed
	c.change(uri, 3, "(version 1)\n(allow \"unterminated\n")
	if p := c.diagnostics(); *p.Version != 3 || len(p.Diagnostics) == 0 || p.Diagnostics[0].Severity != SeverityError {
		t.Fatalf("syntax error not published: %+v", p)
	}
	c.notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": uri}})
	if p := c.diagnostics(); *p.Version != 3 {
		t.Fatalf("didSave did not re-analyse: %+v", p)
	}
	c.notify("textDocument/didClose", map[string]any{"textDocument": map[string]any{"uri": uri}})
	if p := c.diagnostics(); p.URI != uri || len(p.Diagnostics) != 0 || p.Version != nil {
		t.Fatalf("didClose: %+v, want empty diagnostics", p)
	}
	if _, err := c.call("textDocument/hover", docParams(uri, Position{})); err == nil {
		t.Fatal("hover on a closed document succeeded")
	}
}

// TestDebounce sends a burst of changes: only the last version is analysed
// and published.
func TestDebounce(t *testing.T) {
	a := &fakeAnalyzer{}
	c := initialized(t, Options{Analyzer: a, Debounce: 50 * time.Millisecond})
	const uri = "file:///w/burst.sb"
	c.open(uri, "(allow bad-op)")
	for v := 2; v <= 20; v++ {
		c.change(uri, v, strings.Repeat("(allow bad-op)\n", v))
	}
	c.published(20, 20)
	c.noDiagnostics(100 * time.Millisecond)
	if n := len(a.texts()); n != 1 {
		t.Fatalf("analysed %d times, want once", n)
	}
}

// TestStaleResultDropped holds the analysis of version 1 until version 2 has
// arrived: the result of version 1 must never be published. The analyzer
// here honours cancellation, so the change stops it early.
func TestStaleResultDropped(t *testing.T) {
	started := make(chan string, 10)
	cancelled := make(chan bool, 1)
	a := &fakeAnalyzer{hook: func(ctx context.Context, text string) {
		started <- text
		if strings.Contains(text, "v1") {
			select {
			case <-ctx.Done():
				cancelled <- true
			case <-time.After(5 * time.Second):
				cancelled <- false
			}
		}
	}}
	c := initialized(t, Options{Analyzer: a})
	const uri = "file:///w/stale.sb"
	c.open(uri, "; v1\n(allow bad-op)")
	if got := <-started; !strings.Contains(got, "v1") {
		t.Fatalf("first analysis of %q", got)
	}
	c.change(uri, 2, "; v2\n(allow good-op)")
	if !<-cancelled {
		t.Fatal("the analysis of version 1 was not cancelled by the change")
	}
	if got := <-started; !strings.Contains(got, "v2") {
		t.Fatalf("second analysis of %q", got)
	}
	c.published(2, 0)
	c.noDiagnostics(50 * time.Millisecond)
}

// TestOneAnalysisAtATime: with an analyzer that ignores cancellation, a
// change during an analysis waits for it instead of running beside it, and
// only the latest version is published.
func TestOneAnalysisAtATime(t *testing.T) {
	release := make(chan struct{})
	started := make(chan string, 10)
	a := &fakeAnalyzer{hook: func(ctx context.Context, text string) {
		started <- text
		if strings.Contains(text, "v1") {
			<-release
		}
	}}
	c := initialized(t, Options{Analyzer: a})
	const uri = "file:///w/serial.sb"
	c.open(uri, "; v1\n(allow bad-op)")
	<-started
	c.change(uri, 2, "; v2\n(allow bad-op bad-op)")
	c.change(uri, 3, "; v3\n(allow bad-op bad-op bad-op)")
	select {
	case text := <-started:
		t.Fatalf("analysis of %q started while version 1 was running", text)
	case <-time.After(60 * time.Millisecond):
	}
	close(release)
	if got := <-started; !strings.Contains(got, "v3") {
		t.Fatalf("after version 1, analysed %q, want version 3", got)
	}
	c.published(3, 3)
	c.noDiagnostics(50 * time.Millisecond)
	if n := len(a.texts()); n != 2 {
		t.Fatalf("%d analyses, want 2", n)
	}
}

// TestOutOfOrderChange ignores a change older than the current version.
func TestOutOfOrderChange(t *testing.T) {
	c := initialized(t, Options{})
	const uri = "file:///w/order.sb"
	c.open(uri, "(allow good-op)")
	c.diagnostics()
	c.change(uri, 5, "(allow bad-op)")
	c.change(uri, 4, "(allow good-op)")
	c.published(5, 1)
}

func TestAnalyzerPanicBecomesDiagnostic(t *testing.T) {
	c := initialized(t, Options{})
	c.open("file:///w/x.sb", "; PANIC")
	p := c.diagnostics()
	if len(p.Diagnostics) != 1 || p.Diagnostics[0].Code != "internal-error" || !strings.Contains(p.Diagnostics[0].Message, "analyzer exploded") {
		t.Fatalf("published %+v", p)
	}
	c.change("file:///w/x.sb", 2, "(allow bad-op)")
	if p := c.diagnostics(); len(p.Diagnostics) != 1 || p.Diagnostics[0].Code != "fake-rule" {
		t.Fatalf("after panic: %+v", p)
	}
}

// TestUTF16Ranges checks that diagnostic ranges count UTF-16 units.
func TestUTF16Ranges(t *testing.T) {
	c := initialized(t, Options{})
	// "😀" is 4 bytes and 2 UTF-16 units; "é" is 2 bytes and 1 unit.
	c.open("file:///w/u.sb", "(allow \"😀é\" bad-op)")
	p := c.diagnostics()
	if len(p.Diagnostics) != 1 {
		t.Fatalf("%+v", p)
	}
	want := Range{Start: Position{0, 13}, End: Position{0, 19}}
	if p.Diagnostics[0].Range != want {
		t.Fatalf("range %+v, want %+v", p.Diagnostics[0].Range, want)
	}
}

func TestDiagnosticConversion(t *testing.T) {
	src := source.NewFile("/w/main.sb", []byte("(import \"lib.sb\")\n(allow x)\n"))
	lib := source.NewFile("/w/lib.sb", []byte("(deny y)\n"))
	d := diag.Diagnostic{Severity: diag.Error, Code: "c", Message: "in lib", Span: source.Span{File: lib, Start: 6, End: 7},
		Notes:   []string{"a note"},
		Related: []diag.Related{{Span: source.Span{File: src, Start: 0, End: 17}, Message: "imported here"}}}
	got := toLSPDiag("file:///w/main.sb", src, d)
	if got.Range != (Range{}) || !strings.HasPrefix(got.Message, "/w/lib.sb:1:7: in lib") || !strings.Contains(got.Message, "\nnote: a note") {
		t.Fatalf("imported-file diagnostic: %+v", got)
	}
	if len(got.RelatedInformation) != 2 || got.RelatedInformation[0].Location.URI != "file:///w/lib.sb" ||
		got.RelatedInformation[1].Location.URI != "file:///w/main.sb" || got.RelatedInformation[1].Location.Range.End.Character != 17 {
		t.Fatalf("related: %+v", got.RelatedInformation)
	}
	if got := toLSPDiag("u", src, diag.Diagnostic{Severity: diag.Info, Span: source.Span{File: src, Start: 19, End: 24}}); got.Severity != SeverityInformation || got.Range.Start != (Position{1, 1}) || got.Tags != nil {
		t.Fatalf("info diagnostic: %+v", got)
	}
	if got := toLSPDiag("u", src, diag.Diagnostic{Code: "shadowed-rule", Span: source.Span{File: src}}); len(got.Tags) != 1 || got.Tags[0] != TagUnnecessary {
		t.Fatalf("shadowed rule not tagged unnecessary: %+v", got)
	}
}

func TestMapOffset(t *testing.T) {
	old := []byte("(version 1)\n(allow file-read*)\n")
	cur := []byte("\"(version 1)\n(allow file-read*)\n")
	if o, ok := mapOffset(cur, old, 21); !ok || o != 20 {
		t.Fatalf("suffix mapping: %d %v", o, ok)
	}
	cur2 := []byte("(version 1)\n(allow file-read* \"\n")
	if o, ok := mapOffset(cur2, old, 3); !ok || o != 3 {
		t.Fatalf("prefix mapping: %d %v", o, ok)
	}
	if _, ok := mapOffset(cur2, old, 30); ok {
		t.Fatal("offset inside the changed region mapped")
	}
}
