package diag_test

import (
	"bytes"
	"testing"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/source"
)

// FuzzWriteText checks the excerpt renderer on arbitrary text and spans:
// no panic, no raw control character in the output (only the newlines it
// writes), and a bounded excerpt however long the line.
func FuzzWriteText(f *testing.F) {
	f.Add([]byte("(version 1)\n(allow\tfile-read*)\n"), 13, 19)
	f.Add([]byte("\x00\x1b[2J\xff\xfe\u202e(a)"), 2, 9)
	f.Add(bytes.Repeat([]byte("x"), 500), 250, 400)
	f.Add([]byte("a\r\nb"), 1, 3)
	f.Add([]byte(""), 0, 0)
	f.Fuzz(func(t *testing.T, text []byte, start, end int) {
		src := source.NewFile("f.sb", text)
		var b bytes.Buffer
		ds := []diag.Diagnostic{{Severity: diag.Error, Message: "m", Code: "c", Span: source.Span{File: src, Start: start, End: end}}}
		if err := diag.WriteText(&b, ds, diag.TextOptions{Snippet: true}); err != nil {
			t.Fatal(err)
		}
		lines := bytes.Split(b.Bytes(), []byte("\n"))
		if len(lines) < 3 {
			t.Fatalf("no snippet: %q", b.String())
		}
		for _, c := range bytes.Runes(lines[1]) {
			if c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == 0x202e {
				t.Fatalf("raw control character %U in excerpt %q", c, lines[1])
			}
		}
		if n := len([]rune(string(lines[1]))); n > 12+4*(60+60)+2 {
			t.Fatalf("excerpt is %d characters", n)
		}
		if !bytes.Contains(lines[2], []byte("^")) {
			t.Fatalf("no caret: %q", b.String())
		}
	})
}

// FuzzWriteTextFields puts arbitrary text in every user-derived field of a
// diagnostic: neither the text nor the GitHub writer may print a raw
// control, bidirectional or invalid character.
func FuzzWriteTextFields(f *testing.F) {
	f.Add("unbound variable \x1b[35mx", "p\u202e.sb")
	f.Add("\xff\ufeff\x00", "")
	f.Add("100% ok\nsecond line", "a,b:c.sb")
	f.Fuzz(func(t *testing.T, msg, name string) {
		src := source.NewFile(name, []byte("(a)"))
		sp := source.Span{File: src, Start: 1, End: 2}
		d := diag.Diagnostic{Severity: diag.Warning, Code: msg, Message: msg, Span: sp, Notes: []string{msg},
			Related: []diag.Related{{Span: sp, Message: msg}}, Fixes: []diag.Fix{{Title: msg}}}
		var b bytes.Buffer
		if err := diag.WriteText(&b, []diag.Diagnostic{d}, diag.TextOptions{Snippet: true}); err != nil {
			t.Fatal(err)
		}
		if err := diag.WriteGitHub(&b, []diag.Diagnostic{d}); err != nil {
			t.Fatal(err)
		}
		if r := rawControl(b.String()); r >= 0 {
			t.Fatalf("raw %U in output %q", r, b.String())
		}
	})
}
