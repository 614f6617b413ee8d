package source_test

import (
	"testing"

	"github.com/sbplc/sbplc/source"
)

func TestPosition(t *testing.T) {
	f := source.NewFile("p.sb", []byte("ab\ncé\n\n😀x\r\nend"))
	tests := []struct {
		off       int
		line, col int
	}{
		{0, 1, 1}, {1, 1, 2}, {2, 1, 3}, // "\n" itself is on line 1
		{3, 2, 1}, {4, 2, 2}, {6, 2, 3}, // é is two bytes, one column
		{7, 3, 1},                         // empty line
		{8, 4, 1}, {12, 4, 2}, {13, 4, 3}, // 😀 is four bytes, one column
		{15, 5, 1}, {18, 5, 4}, // end of text
		{-5, 1, 1}, {99, 5, 4}, // clamped
	}
	for _, tt := range tests {
		p := f.Position(tt.off)
		if p.Line != tt.line || p.Col != tt.col {
			t.Errorf("Position(%d) = %d:%d, want %d:%d", tt.off, p.Line, p.Col, tt.line, tt.col)
		}
	}
	if n := f.LineCount(); n != 5 {
		t.Errorf("LineCount = %d, want 5", n)
	}
}

func TestLine(t *testing.T) {
	f := source.NewFile("l.sb", []byte("one\r\ntwo\n\nfour"))
	want := []string{"", "one", "two", "", "four", ""}
	for n, w := range want {
		if got := f.Line(n); got != w {
			t.Errorf("Line(%d) = %q, want %q", n, got, w)
		}
	}
	if got := f.LineStart(3); got != 9 {
		t.Errorf("LineStart(3) = %d, want 9", got)
	}
	empty := source.NewFile("e.sb", nil)
	if empty.LineCount() != 1 || empty.Line(1) != "" || empty.Position(0).Line != 1 {
		t.Errorf("empty file: %d lines, line 1 %q", empty.LineCount(), empty.Line(1))
	}
	trailing := source.NewFile("t.sb", []byte("a\n"))
	if trailing.LineCount() != 2 {
		t.Errorf("a file ending in a newline has an empty last line: got %d lines", trailing.LineCount())
	}
}

func TestUTF16(t *testing.T) {
	f := source.NewFile("u.sb", []byte("x\n(é😀\"a\")\n"))
	tests := []struct{ off, line0, col0 int }{
		{0, 0, 0}, {2, 1, 0}, {3, 1, 1}, {5, 1, 2}, // é: one unit
		{9, 1, 4},  // 😀: a surrogate pair, two units
		{10, 1, 5}, // after the quote
	}
	for _, tt := range tests {
		l, c := f.UTF16Col(tt.off)
		if l != tt.line0 || c != tt.col0 {
			t.Errorf("UTF16Col(%d) = %d:%d, want %d:%d", tt.off, l, c, tt.line0, tt.col0)
		}
		if back := f.OffsetOfUTF16(tt.line0, tt.col0); back != tt.off {
			t.Errorf("OffsetOfUTF16(%d, %d) = %d, want %d", tt.line0, tt.col0, back, tt.off)
		}
	}
	// Past the end of a line stops at the newline; out-of-range lines clamp.
	if got := f.OffsetOfUTF16(0, 50); got != 1 {
		t.Errorf("column past the end of line 0: %d, want 1", got)
	}
	if got := f.OffsetOfUTF16(-1, 0); got != 0 {
		t.Errorf("line -1: %d", got)
	}
	if got := f.OffsetOfUTF16(9, 0); got != len(f.Text) {
		t.Errorf("line past the end: %d, want %d", got, len(f.Text))
	}
	// Invalid UTF-8 counts one unit per byte.
	bad := source.NewFile("b.sb", []byte{'a', 0xff, 'b'})
	if _, c := bad.UTF16Col(3); c != 3 {
		t.Errorf("invalid byte: column %d, want 3", c)
	}
}

func TestSpan(t *testing.T) {
	f := source.NewFile("dir/s.sb", []byte("(allow\n  file-read*)"))
	sp := source.Span{File: f, Start: 9, End: 19}
	if sp.Text() != "file-read*" || sp.String() != "dir/s.sb:2:3" || sp.Filename() != "dir/s.sb" {
		t.Errorf("span: %q %s %s", sp.Text(), sp, sp.Filename())
	}
	if e := sp.EndPos(); e.Line != 2 || e.Col != 13 {
		t.Errorf("EndPos = %d:%d", e.Line, e.Col)
	}
	if !sp.Contains(9) || !sp.Contains(19) || sp.Contains(20) || sp.Contains(8) {
		t.Error("Contains is inclusive of both ends (cursor positions)")
	}
	var none source.Span
	if none.IsValid() || none.Text() != "" || none.String() != "-" || none.Filename() != "" || none.StartPos().Line != 0 {
		t.Error("the zero span is invalid and renders as -")
	}
	bad := source.Span{File: f, Start: 15, End: 3}
	if bad.Text() != "" {
		t.Errorf("reversed span text %q", bad.Text())
	}
	huge := source.Span{File: f, Start: -4, End: 1000}
	if huge.Text() != string(f.Text) {
		t.Errorf("out-of-range span is clamped: %q", huge.Text())
	}
}

func TestJoin(t *testing.T) {
	f := source.NewFile("j.sb", []byte("0123456789"))
	g := source.NewFile("k.sb", []byte("0123456789"))
	a, b := source.Span{File: f, Start: 2, End: 4}, source.Span{File: f, Start: 6, End: 8}
	if j := source.Join(a, b); j.Start != 2 || j.End != 8 {
		t.Errorf("Join = %d-%d", j.Start, j.End)
	}
	if j := source.Join(b, a); j.Start != 2 || j.End != 8 {
		t.Errorf("Join is symmetric: %d-%d", j.Start, j.End)
	}
	if j := source.Join(source.Span{}, a); j != a {
		t.Errorf("Join with an invalid span: %v", j)
	}
	if j := source.Join(a, source.Span{File: g, Start: 0, End: 9}); j != a {
		t.Errorf("Join across files keeps the first: %v", j)
	}
}
