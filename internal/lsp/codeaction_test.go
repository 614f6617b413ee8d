package lsp

import (
	"strings"
	"testing"
	"time"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/source"
)

func codeActions(t *testing.T, c *client, uri string, r Range, only ...string) []CodeAction {
	t.Helper()
	params := map[string]any{"textDocument": map[string]any{"uri": uri}, "range": r,
		"context": map[string]any{"diagnostics": []any{}}}
	if len(only) > 0 {
		params["context"] = map[string]any{"diagnostics": []any{}, "only": only}
	}
	var actions []CodeAction
	c.callInto("textDocument/codeAction", params, &actions)
	return actions
}

func TestCodeActions(t *testing.T) {
	c := initialized(t, Options{})
	const uri = "file:///a.sb"
	text := "(version 1)\n  (allow bad-op) ; é😀 bad-op\n(allow good-op)\n"
	c.open(uri, text)
	if p := c.diagnostics(); len(p.Diagnostics) != 1 {
		t.Fatalf("want one finding, got %+v", p)
	}
	// A zero-width range at the cursor inside the finding.
	actions := codeActions(t, c, uri, Range{Start: Position{1, 10}, End: Position{1, 10}})
	if len(actions) != 3 {
		t.Fatalf("got %d actions %+v, want a fix, a line ignore and a file ignore", len(actions), actions)
	}
	fix, ignore, ignoreFile := actions[0], actions[1], actions[2]
	if fix.Title != "replace with good-op" || fix.Kind != "quickfix" || !fix.IsPreferred || len(fix.Diagnostics) != 1 || fix.Diagnostics[0].Code != "fake-rule" {
		t.Fatalf("fix action %+v", fix)
	}
	if got := applyEdits(t, text, fix.Edit.Changes[uri]); got != strings.Replace(text, "bad-op", "good-op", 1) {
		t.Fatalf("fix gives %q", got)
	}
	if ignore.Title != "ignore fake-rule on this line" || ignore.IsPreferred {
		t.Fatalf("ignore action %+v", ignore)
	}
	want := "(version 1)\n  ; sbplc:ignore fake-rule " + IgnoreReason + "\n  (allow bad-op) ; é😀 bad-op\n(allow good-op)\n"
	if got := applyEdits(t, text, ignore.Edit.Changes[uri]); got != want {
		t.Fatalf("ignore gives %q, want %q", got, want)
	}
	wantFile := "; sbplc:ignore-file fake-rule " + IgnoreReason + "\n" + text
	if ignoreFile.Title != "ignore fake-rule in this file" || applyEdits(t, text, ignoreFile.Edit.Changes[uri]) != wantFile {
		t.Fatalf("ignore-file action %+v gives %q", ignoreFile, applyEdits(t, text, ignoreFile.Edit.Changes[uri]))
	}
	// Nothing on a line without findings, or when other kinds are asked for.
	if a := codeActions(t, c, uri, Range{Start: Position{2, 0}, End: Position{2, 5}}); len(a) != 0 {
		t.Fatalf("actions on a clean line: %+v", a)
	}
	if a := codeActions(t, c, uri, Range{Start: Position{1, 10}, End: Position{1, 10}}, "refactor"); len(a) != 0 {
		t.Fatalf("refactor actions: %+v", a)
	}
	if a := codeActions(t, c, uri, Range{Start: Position{1, 10}, End: Position{1, 10}}, "quickfix"); len(a) != 3 {
		t.Fatalf("quickfix-only actions: %+v", a)
	}
	// Syntax errors are not ignorable and have no fix.
	c.change(uri, 2, "(allow \"oops")
	c.diagnostics()
	if a := codeActions(t, c, uri, Range{End: Position{0, 12}}); len(a) != 0 {
		t.Fatalf("actions for a syntax error: %+v", a)
	}
}

// TestCodeActionsRightAfterEdit: a request that arrives right after an
// edit, while the analysis of the new text has not even started (a long
// debounce), is answered from the new text's findings, at once: the
// analysis starts when the request needs it, and the edits apply to the
// text the client has.
func TestCodeActionsRightAfterEdit(t *testing.T) {
	c := initialized(t, Options{Debounce: 10 * time.Second})
	const uri = "file:///s.sb"
	c.open(uri, "(allow bad-op)")
	start := time.Now()
	if a := codeActions(t, c, uri, Range{Start: Position{0, 8}, End: Position{0, 8}}); len(a) != 3 {
		t.Fatalf("actions right after open: %+v", a)
	}
	text := "x (allow bad-op)"
	c.change(uri, 2, text)
	a := codeActions(t, c, uri, Range{Start: Position{0, 10}, End: Position{0, 10}})
	if len(a) != 3 || a[0].Title != "replace with good-op" {
		t.Fatalf("actions right after an edit: %+v", a)
	}
	if got := applyEdits(t, text, a[0].Edit.Changes[uri]); got != "x (allow good-op)" {
		t.Fatalf("the fix gives %q: it was computed for another text", got)
	}
	if el := time.Since(start); el > CodeActionWait/2 {
		t.Errorf("two code action requests took %v: they waited for the debounce", el)
	}
}

// TestCodeActionsFromContext: the findings the client names in the
// request's context get actions although the range lies outside their
// span; a context diagnostic from another server (a numeric code) is
// ignored, not an error. A cursor (an empty range) on the finding's line
// but outside its span gets them without any context.
func TestCodeActionsFromContext(t *testing.T) {
	c := initialized(t, Options{})
	const uri = "file:///c.sb"
	c.open(uri, "(allow file-read* bad-op)   ; trailing comment\n(allow x)\n")
	p := c.diagnostics()
	if len(p.Diagnostics) != 1 {
		t.Fatalf("want one finding, got %+v", p)
	}
	inComment := Range{Start: Position{0, 30}, End: Position{0, 35}}
	if a := codeActions(t, c, uri, inComment); len(a) != 0 {
		t.Fatalf("actions for a range outside the span without context: %+v", a)
	}
	params := map[string]any{"textDocument": map[string]any{"uri": uri}, "range": inComment,
		"context": map[string]any{"diagnostics": []any{
			map[string]any{"range": p.Diagnostics[0].Range, "code": "fake-rule", "message": "whatever the client kept"},
			map[string]any{"range": p.Diagnostics[0].Range, "code": 42, "message": "another server"},
		}}}
	var actions []CodeAction
	c.callInto("textDocument/codeAction", params, &actions)
	if len(actions) != 3 || actions[0].Title != "replace with good-op" {
		t.Fatalf("actions from the context: %+v", actions)
	}
	cursor := Range{Start: Position{0, 30}, End: Position{0, 30}}
	if a := codeActions(t, c, uri, cursor); len(a) != 3 {
		t.Fatalf("actions for a cursor on the finding's line: %+v", a)
	}
	if a := codeActions(t, c, uri, Range{Start: Position{1, 3}, End: Position{1, 3}}); len(a) != 0 {
		t.Fatalf("actions for a cursor on a clean line: %+v", a)
	}
}

// TestIgnoreEditMerges: an existing directive gets the new ID appended.
func TestIgnoreEditMerges(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"(version 1)\n  ;; sbplc:ignore other-rule because\n  (allow bad-op)\n",
			"(version 1)\n  ;; sbplc:ignore other-rule,fake-rule because\n  (allow bad-op)\n"},
		// A directive for the whole file is not a line directive.
		{"; sbplc:ignore-file other-rule x\n(allow bad-op)\n",
			"; sbplc:ignore-file other-rule x\n; sbplc:ignore fake-rule " + IgnoreReason + "\n(allow bad-op)\n"},
		{"; sbplc:ignored words\n(allow bad-op)\n",
			"; sbplc:ignored words\n; sbplc:ignore fake-rule " + IgnoreReason + "\n(allow bad-op)\n"},
	} {
		src := source.NewFile("t", []byte(tc.text))
		i := strings.Index(tc.text, "bad-op")
		e := ignoreEdit(src, diag.Diagnostic{Code: "fake-rule", Span: source.Span{File: src, Start: i, End: i + 6}})
		if got := applyEdits(t, tc.text, []TextEdit{e}); got != tc.want {
			t.Errorf("ignore in %q gives %q, want %q", tc.text, got, tc.want)
		}
	}
	text := "(version 1)\n; sbplc:ignore-file other-rule ok\n(allow bad-op)\n"
	e := ignoreFileEdit(source.NewFile("t", []byte(text)), "fake-rule")
	if got := applyEdits(t, text, []TextEdit{e}); got != "(version 1)\n; sbplc:ignore-file other-rule,fake-rule ok\n(allow bad-op)\n" {
		t.Errorf("ignore-file merge gives %q", got)
	}
}

// TestIgnoreInsideString: no line directive is offered when the line starts
// inside a multi-line string (the comment would become part of it).
func TestIgnoreInsideString(t *testing.T) {
	c := initialized(t, Options{})
	const uri = "file:///m.sb"
	c.open(uri, "(allow file-read* (literal \"/a\nb\") bad-op)\n")
	c.diagnostics()
	var titles []string
	for _, a := range codeActions(t, c, uri, Range{Start: Position{1, 4}, End: Position{1, 4}}) {
		titles = append(titles, a.Title)
	}
	if strings.Join(titles, "|") != "replace with good-op|ignore fake-rule in this file" {
		t.Fatalf("actions %q", titles)
	}
}
