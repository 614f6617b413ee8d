// Package source holds profile texts and byte-offset spans into them.
//
// Every position in sbplc is a byte offset into a File. Line and column are
// computed lazily from a line index: columns count runes (1-based) for the
// command line, and UTF-16 code units for the editor (see UTF16Col). Nothing
// upstream of the LSP edge knows about UTF-16.
//
// Lookups cost O(log n) whatever the shape of the text: a line is found by
// binary search in the line index, and a column more than
// checkpointEvery bytes into its line is counted from the nearest of the
// checkpoints (rune and UTF-16 counts every checkpointEvery bytes of the
// text, built on the first such lookup), so a profile passed as one
// multi-megabyte line costs no more per position than one spread over
// lines.
package source

import (
	"bytes"
	"fmt"
	"sort"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// File is one input text: a profile, an import, a prelude or stdin.
type File struct {
	Name string // path as given by the user ("-" or "<stdin>" for standard input)
	Text []byte

	once  sync.Once
	lines []int // byte offset of the start of each line

	cpOnce sync.Once
	cps    []checkpoint // see checkpoints
}

// checkpoint holds the counts of Text[:off], where off is the first rune
// boundary at or after a multiple of checkpointEvery.
type checkpoint struct{ off, runes, units int }

// checkpointEvery is the distance between checkpoints, and the longest
// stretch of text a column lookup counts rune by rune.
const checkpointEvery = 256

// NewFile returns a File for text. The text must not be modified afterwards:
// the parser's tokens and node strings share its bytes.
func NewFile(name string, text []byte) *File {
	return &File{Name: name, Text: text}
}

func (f *File) index() {
	f.once.Do(func() {
		lines := make([]int, 1, bytes.Count(f.Text, []byte{'\n'})+1)
		for off := 0; ; {
			i := bytes.IndexByte(f.Text[off:], '\n')
			if i < 0 {
				break
			}
			off += i + 1
			lines = append(lines, off)
		}
		f.lines = lines
	})
}

// LineCount is the number of lines (a final line without a newline counts).
func (f *File) LineCount() int {
	f.index()
	return len(f.lines)
}

// LineStart returns the byte offset of the start of 1-based line n.
func (f *File) LineStart(line int) int {
	f.index()
	if line < 1 {
		return 0
	}
	if line > len(f.lines) {
		return len(f.Text)
	}
	return f.lines[line-1]
}

// Line returns the text of 1-based line n without its line terminator.
func (f *File) Line(line int) string {
	start := f.LineStart(line)
	end := len(f.Text)
	if line < f.LineCount() {
		end = f.LineStart(line+1) - 1
	}
	if end > start && f.Text[end-1] == '\r' {
		end--
	}
	if end < start {
		end = start
	}
	return string(f.Text[start:end])
}

// clamp keeps off inside the text.
func (f *File) clamp(off int) int {
	if off < 0 {
		return 0
	}
	if off > len(f.Text) {
		return len(f.Text)
	}
	return off
}

// LineOf returns the 1-based line of byte offset off (clamped to the text),
// without counting columns.
func (f *File) LineOf(off int) int { return f.line0(f.clamp(off)) + 1 }

// line0 returns the 0-based line of a clamped offset.
func (f *File) line0(off int) int {
	f.index()
	return sort.Search(len(f.lines), func(i int) bool { return f.lines[i] > off }) - 1
}

// Position converts a byte offset to a 1-based line and a 1-based column in runes.
func (f *File) Position(off int) Pos {
	off = f.clamp(off)
	i := f.line0(off)
	runes, _ := f.count(f.lines[i], off)
	return Pos{Line: i + 1, Col: runes + 1, Offset: off}
}

// UTF16Col returns the 0-based UTF-16 column of byte offset off (for LSP).
func (f *File) UTF16Col(off int) (line0, col0 int) {
	off = f.clamp(off)
	i := f.line0(off)
	_, units := f.count(f.lines[i], off)
	return i, units
}

// UTF16Offset returns the number of UTF-16 code units in the text before
// byte offset off (SARIF's charOffset).
func (f *File) UTF16Offset(off int) int {
	_, units := f.before(f.clamp(off))
	return units
}

// OffsetOfUTF16 converts a 0-based LSP line and UTF-16 column to a byte
// offset. A column past the end of the line gives the line's end; a column
// inside a surrogate pair gives the end of its character.
func (f *File) OffsetOfUTF16(line0, col0 int) int {
	f.index()
	if line0 < 0 {
		return 0
	}
	if line0 >= len(f.lines) {
		return len(f.Text)
	}
	start := f.lines[line0]
	end := len(f.Text) // the line's "\n", or the end of the text
	if line0+1 < len(f.lines) {
		end = f.lines[line0+1] - 1
	}
	off, n := start, 0
	if col0 > checkpointEvery && end-start > checkpointEvery {
		// Start from the last checkpoint inside the line that is at most
		// col0 units in (a UTF-16 column never exceeds the bytes before it).
		cps := f.checkpoints()
		_, u0 := f.before(start)
		lo := sort.Search(len(cps), func(i int) bool { return cps[i].off > start })
		hi := sort.Search(len(cps), func(i int) bool { return cps[i].off >= end })
		if k := lo + sort.Search(hi-lo, func(i int) bool { return cps[lo+i].units-u0 > col0 }) - 1; k >= lo {
			off, n = cps[k].off, cps[k].units-u0
		}
	}
	for off < len(f.Text) && n < col0 {
		r, size := utf8.DecodeRune(f.Text[off:])
		if r == '\n' {
			break
		}
		w := utf16.RuneLen(r)
		if w < 0 {
			w = 1
		}
		n += w
		off += size
	}
	return off
}

// count returns the runes and UTF-16 units in Text[a:b], where a is a rune
// boundary (a line start): directly for a short stretch, else as the
// difference of two counts from the checkpoints.
func (f *File) count(a, b int) (runes, units int) {
	if b-a <= checkpointEvery {
		return countRunes(f.Text[a:b])
	}
	ra, ua := f.before(a)
	rb, ub := f.before(b)
	return rb - ra, ub - ua
}

// before returns the runes and UTF-16 units in Text[:off], counting at most
// checkpointEvery+3 bytes past the nearest checkpoint.
func (f *File) before(off int) (runes, units int) {
	cps := f.checkpoints()
	j := min(off/checkpointEvery, len(cps)-1)
	if cps[j].off > off { // checkpoint j moved past off to a rune boundary
		j--
	}
	r, u := countRunes(f.Text[cps[j].off:off])
	return cps[j].runes + r, cps[j].units + u
}

// checkpoints returns the checkpoints, computing them on first use: the
// counts of Text[:off] at the first rune boundary off at or after each
// multiple of checkpointEvery up to the end of the text. A newline is
// always a rune boundary, so counting from a checkpoint or from a line
// start decodes the same runes as counting from the start of the text.
func (f *File) checkpoints() []checkpoint {
	f.cpOnce.Do(func() {
		t := f.Text
		cps := make([]checkpoint, 0, len(t)/checkpointEvery+1)
		off, runes, units := 0, 0, 0
		for next := 0; next <= len(t); next += checkpointEvery {
			for off < next {
				size, w := decode(t[off:])
				off += size
				runes++
				units += w
			}
			cps = append(cps, checkpoint{off, runes, units})
		}
		f.cps = cps
	})
	return f.cps
}

// countRunes returns the runes (as utf8.RuneCount counts them: an invalid
// or truncated byte is one rune) and the UTF-16 units (one per such byte)
// in b.
func countRunes(b []byte) (runes, units int) {
	for i := 0; i < len(b); runes++ {
		if b[i] < utf8.RuneSelf {
			i++
			units++
			continue
		}
		size, w := decode(b[i:])
		i += size
		units += w
	}
	return runes, units
}

// decode returns the size of the first rune of b (non-empty) and its
// UTF-16 units: 2 for a character outside the Basic Multilingual Plane,
// else 1 (an invalid byte decodes as U+FFFD).
func decode(b []byte) (size, units int) {
	if b[0] < utf8.RuneSelf {
		return 1, 1
	}
	r, size := utf8.DecodeRune(b)
	if r > 0xFFFF {
		return size, 2
	}
	return size, 1
}

// Pos is a resolved position.
type Pos struct {
	Line, Col int // 1-based; Col counts runes
	Offset    int // byte offset
}

// Span is a half-open byte range [Start, End) in a File.
type Span struct {
	File       *File
	Start, End int
}

// IsValid reports whether the span refers to a file.
func (s Span) IsValid() bool { return s.File != nil }

// Text returns the source text covered by the span.
func (s Span) Text() string {
	if s.File == nil {
		return ""
	}
	a, b := s.File.clamp(s.Start), s.File.clamp(s.End)
	if b < a {
		b = a
	}
	return string(s.File.Text[a:b])
}

// StartPos returns the resolved start position.
func (s Span) StartPos() Pos {
	if s.File == nil {
		return Pos{}
	}
	return s.File.Position(s.Start)
}

// EndPos returns the resolved end position.
func (s Span) EndPos() Pos {
	if s.File == nil {
		return Pos{}
	}
	return s.File.Position(s.End)
}

// Filename returns the name of the span's file, or "" for an invalid span.
func (s Span) Filename() string {
	if s.File == nil {
		return ""
	}
	return s.File.Name
}

// String renders "file:line:col".
func (s Span) String() string {
	if s.File == nil {
		return "-"
	}
	p := s.StartPos()
	return fmt.Sprintf("%s:%d:%d", s.File.Name, p.Line, p.Col)
}

// Join returns the smallest span covering a and b (which must share a file).
func Join(a, b Span) Span {
	if a.File == nil {
		return b
	}
	if b.File == nil || b.File != a.File {
		return a
	}
	out := a
	if b.Start < out.Start {
		out.Start = b.Start
	}
	if b.End > out.End {
		out.End = b.End
	}
	return out
}

// Contains reports whether off lies within the span (inclusive of End for cursors).
func (s Span) Contains(off int) bool { return off >= s.Start && off <= s.End }
