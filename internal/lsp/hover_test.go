package lsp

import (
	"strings"
	"testing"
)

func TestHover(t *testing.T) {
	tests := []struct {
		text string // | marks the cursor
		want string // substring of the hover markdown; "" = no hover
	}{
		{"(allow file-re|ad* (literal \"/a\"))", `**file-read\*** (operation)`},
		{"(allow |file-read-data)", "read file contents"},
		{"(deny file-read-data file-wri|te*)", "write files"},
		{"(allow file-read* (lit|eral \"/a\"))", "**literal** (filter)"},
		{"(allow file-read* (require-not (sub|path \"/a\")))", "directory and everything below"},
		{"(allow file-read* (with rep|ort))", "**report** (modifier)"},
		{"(deny network-outbound (with send-sig|nal 9))", "signal the process"},
		{"(vers|ion 1)", "**version** (keyword)"},
		{"(al|low file-read*)", "adds an allow rule"},
		{"(allow file-read* (w|ith report))", "attaches a modifier"},
		{"(allow file-read* (literal \"/li|teral\"))", ""},
		{"; allow file-re|ad*\n(version 1)", ""},
		{"(allow unknown-o|p)", ""},
		{"(allow file-read*)|", ""},
		{"(define (f) (allow file-read|*))", `**file-read\***`},
		// A symbol valid in several kinds follows its position: literal as an
		// operation argument is looked up as an operation first and then as
		// anything.
		{"(allow lit|eral)", "**literal** (filter)"},
		{"(allow file-read* (literal \"/a\")) ; é😀\n(allow file-wr|ite*)", "write files"},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			c := initialized(t, Options{Vocab: fakeVocab{}})
			h, pos := c.hoverAt("file:///h.sb", tc.text)
			if tc.want == "" {
				if h != nil {
					t.Fatalf("hover %q, want none", h.Contents.Value)
				}
				return
			}
			if h == nil {
				t.Fatalf("no hover, want %q", tc.want)
			}
			if h.Contents.Kind != "markdown" || !strings.Contains(h.Contents.Value, tc.want) {
				t.Fatalf("hover %q, want it to contain %q", h.Contents.Value, tc.want)
			}
			if h.Range == nil || h.Range.Start.Line != pos.Line || h.Range.Start.Character > pos.Character || h.Range.End.Character < pos.Character {
				t.Fatalf("hover range %+v does not cover the cursor %+v", h.Range, pos)
			}
		})
	}
}

// TestHoverLastGoodTree: while the text does not parse (an unterminated
// string swallows the rest of the file), hover keeps working from the last
// tree that parsed.
func TestHoverLastGoodTree(t *testing.T) {
	c := initialized(t, Options{Vocab: fakeVocab{}})
	const uri = "file:///g.sb"
	good := "(version 1)\n(allow file-write* (subpath \"/tmp\"))\n"
	c.open(uri, good)
	c.diagnostics()
	broken := "\"" + good
	c.change(uri, 2, broken)
	if p := c.diagnostics(); len(p.Diagnostics) == 0 {
		t.Fatal("broken text has no diagnostics")
	}
	// Cursor on "file-write*" in the broken text (shifted by the quote).
	pos := Position{Line: 1, Character: 10}
	var h *Hover
	c.callInto("textDocument/hover", docParams(uri, pos), &h)
	if h == nil || !strings.Contains(h.Contents.Value, "write files") {
		t.Fatalf("hover on broken text: %+v", h)
	}
	if h.Range == nil || h.Range.Start != (Position{1, 7}) || h.Range.End != (Position{1, 18}) {
		t.Fatalf("range %+v, want the symbol in the current text", h.Range)
	}
}

func TestEmbeddedVocabulary(t *testing.T) {
	v := EmbeddedVocabulary()
	for _, tc := range []struct {
		k    Kind
		name string
		want string
	}{
		{KindOperation, "file-read-data", "file-read*"},
		{KindFilter, "subpath", "path-pattern"},
		{KindModifier, "report", "allow"},
		{KindKeyword, "allow", "(allow OP"},
		{KindKeyword, "param", "#f"},
	} {
		e, ok := v.Lookup(tc.k, tc.name)
		if !ok {
			t.Errorf("%s %s not found", tc.k, tc.name)
			continue
		}
		if !strings.Contains(renderEntry(e), tc.want) {
			t.Errorf("%s %s: %q lacks %q", tc.k, tc.name, renderEntry(e), tc.want)
		}
	}
	if _, ok := v.Lookup(KindOperation, "no-such-op"); ok {
		t.Error("unknown operation found")
	}
	for k := KindOperation; k <= KindKeyword; k++ {
		names := v.Names(k)
		if len(names) < 5 {
			t.Errorf("%s: only %d names", k, len(names))
		}
		for i := 1; i < len(names); i++ {
			if names[i-1].Name > names[i].Name {
				t.Errorf("%s names not sorted at %q", k, names[i].Name)
				break
			}
		}
	}
}

// TestHoverEmbedded hovers with the real vocabulary.
func TestHoverEmbedded(t *testing.T) {
	c := initialized(t, Options{Vocab: EmbeddedVocabulary()})
	for _, tc := range []struct{ text, want string }{
		{"(deny defa|ult)", "(operation)"},
		{"(allow sysctl-wr|ite)", "alias of `sysctl*`"},
		{"(allow file-read* (w|ith report))", "**with**"},
		{"(allow file-read* (with no-rep|ort))", "(modifier)"},
		{"(allow file-read* (require-a|ny (literal \"/a\")))", "(filter)"},
		{"(allow file-read* (vnode-ty|pe DIRECTORY))", "DIRECTORY"},
		{"(allow file-read* (vnode-type DIREC|TORY))", "**DIRECTORY** (value)"},
		{"(ver|sion 1)", "(version"},
		{"(allow file-read* (subpath (pa|ram \"HOME\")))", "#f"},
	} {
		h, _ := c.hoverAt("file:///e.sb", tc.text)
		if h == nil || !strings.Contains(h.Contents.Value, tc.want) {
			t.Errorf("hover in %q: %+v, want %q", tc.text, h, tc.want)
		}
	}
}

// TestHoverIgnoreDirective explains the rule IDs of an ignore comment.
func TestHoverIgnoreDirective(t *testing.T) {
	c := initialized(t, Options{Vocab: fakeVocab{}, Analyzer: NewLintAnalyzer()})
	for _, tc := range []struct{ text, want string }{
		{"; sbplc:ignore unknown-oper|ation,unknown-filter reason\n(allow x)", "**unknown-operation** (lint rule)"},
		{"(version 1)\n  ;; sbplc:ignore unknown-operation,unknown-fi|lter reason\n(allow x)", "**unknown-filter** (lint rule)"},
		{"; sbplc:ignore-file unknown-operatio|n\n", "**unknown-operation**"},
		{"; sbplc:ignore unknown-operation rea|son\n", ""},
		{"; sbplc:ignore no-such-ru|le x\n", ""},
		{"; just a comm|ent\n", ""},
	} {
		h, _ := c.hoverAt("file:///d.sb", tc.text)
		if tc.want == "" {
			if h != nil {
				t.Errorf("hover in %q: %q, want none", tc.text, h.Contents.Value)
			}
			continue
		}
		if h == nil || !strings.Contains(h.Contents.Value, tc.want) || !strings.Contains(h.Contents.Value, "by default") {
			t.Errorf("hover in %q: %+v, want %q", tc.text, h, tc.want)
		}
	}
}
