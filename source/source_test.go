package source_test

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

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

// naivePos is the definition Position and UTF16Col must agree with:
// counting runes (utf8.RuneCount) and UTF-16 units from the line start.
func naivePos(text []byte, off int) (line, col, col16 int) {
	off = max(0, min(off, len(text)))
	ls := bytes.LastIndexByte(text[:off], '\n') + 1
	line = bytes.Count(text[:ls], []byte{'\n'}) + 1
	for _, r := range string(text[ls:off]) {
		col16 += utf16.RuneLen(r)
	}
	return line, utf8.RuneCount(text[ls:off]) + 1, col16
}

// longLineText builds lines of n pieces of multibyte text, invalid bytes and
// a truncated sequence, so that checkpoints fall inside runes.
func longLineText(lines, n int) []byte {
	pieces := []string{"(allow file-read* ", "é", "☕", "😀", "\xff", "\xe2\x82", ")", "a", "\r", "\t"}
	var b bytes.Buffer
	for l := 0; l < lines; l++ {
		for i := 0; i < n; i++ {
			b.WriteString(pieces[(i*7+l)%len(pieces)])
		}
		b.WriteByte('\n')
	}
	b.WriteString("😀 no newline at the end")
	return b.Bytes()
}

// TestLongLines checks positions and UTF-16 columns on lines far longer
// than the checkpoint interval against the direct count, at every offset
// near checkpoints and at a stride elsewhere, and the UTF-16 round trip.
func TestLongLines(t *testing.T) {
	text := longLineText(3, 3000)
	f := source.NewFile("long.sb", text)
	boundary := map[int]bool{len(text): true} // where a rune starts, decoding from the start
	for off := 0; off < len(text); {
		boundary[off] = true
		_, size := utf8.DecodeRune(text[off:])
		off += size
	}
	for off := 0; off <= len(text)+1; off++ {
		if off%256 > 8 && off%256 < 248 && off%97 != 0 {
			continue
		}
		line, col, col16 := naivePos(text, off)
		if p := f.Position(off); p.Line != line || p.Col != col {
			t.Fatalf("Position(%d) = %d:%d, want %d:%d", off, p.Line, p.Col, line, col)
		}
		if l0, c0 := f.UTF16Col(off); l0 != line-1 || c0 != col16 {
			t.Fatalf("UTF16Col(%d) = %d:%d, want %d:%d", off, l0, c0, line-1, col16)
		}
		if got := f.LineOf(off); got != line {
			t.Fatalf("LineOf(%d) = %d, want %d", off, got, line)
		}
		if boundary[off] {
			if back := f.OffsetOfUTF16(line-1, col16); back != off {
				t.Fatalf("OffsetOfUTF16(%d, %d) = %d, want %d", line-1, col16, back, off)
			}
		}
		want16 := 0
		for _, r := range string(text[:min(max(off, 0), len(text))]) {
			want16 += utf16.RuneLen(r)
		}
		if got := f.UTF16Offset(off); got != want16 {
			t.Fatalf("UTF16Offset(%d) = %d, want %d", off, got, want16)
		}
	}
	// A column past the end of a long line stops at its newline.
	end := bytes.IndexByte(text, '\n')
	if got := f.OffsetOfUTF16(0, 1<<30); got != end {
		t.Errorf("column past the end of a long line: %d, want %d", got, end)
	}
}

// BenchmarkPosition resolves the start of every form of a profile written
// one form per line and the same profile written as one line: the cost per
// lookup must not grow with the length of the line.
func BenchmarkPosition(b *testing.B) {
	const n = 20000
	form := `(allow file-read* (literal "/a"))`
	for _, sep := range []string{"\n", " "} {
		name := map[string]string{"\n": "lines", " ": "one-line"}[sep]
		text := []byte(strings.Repeat(form+sep, n))
		b.Run(name, func(b *testing.B) {
			f := source.NewFile("b.sb", text)
			b.ReportAllocs()
			for b.Loop() {
				for off := 0; off < len(text); off += len(form) + 1 {
					f.Position(off + 10)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/lookup")
		})
	}
}

// FuzzPositions checks line, rune column, UTF-16 column, UTF-16 offset and
// the UTF-16 round trip against the direct count, on the input repeated
// into lines longer than the checkpoint interval.
func FuzzPositions(f *testing.F) {
	f.Add([]byte("(allow file-read* (literal \"/é\"))"), uint16(7))
	f.Add([]byte("😀\xff\xe2\x82a\r\n"), uint16(300))
	f.Add([]byte("\n"), uint16(0))
	f.Fuzz(func(t *testing.T, unit []byte, probe uint16) {
		if len(unit) == 0 {
			return
		}
		text := bytes.Repeat(unit, 3000/len(unit)+1)
		src := source.NewFile("f.sb", text)
		for _, off := range []int{int(probe), int(probe) * 7, len(text) - int(probe), len(text) / 2, len(text)} {
			off = max(0, min(off, len(text)))
			line, col, col16 := naivePos(text, off)
			if p := src.Position(off); p.Line != line || p.Col != col {
				t.Fatalf("Position(%d) = %d:%d, want %d:%d", off, p.Line, p.Col, line, col)
			}
			if l0, c0 := src.UTF16Col(off); l0 != line-1 || c0 != col16 {
				t.Fatalf("UTF16Col(%d) = %d:%d, want %d:%d", off, l0, c0, line-1, col16)
			}
			want16 := 0
			for _, r := range string(text[:off]) {
				want16 += utf16.RuneLen(r)
			}
			if got := src.UTF16Offset(off); got != want16 {
				t.Fatalf("UTF16Offset(%d) = %d, want %d", off, got, want16)
			}
			at := 0 // the rune boundary at or after off, decoding from the start
			for at < off {
				_, size := utf8.DecodeRune(text[at:])
				at += size
			}
			if at == off {
				if back := src.OffsetOfUTF16(line-1, col16); back != off {
					t.Fatalf("OffsetOfUTF16(%d, %d) = %d, want %d", line-1, col16, back, off)
				}
			}
		}
	})
}
