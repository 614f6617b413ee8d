// Package source holds profile texts and byte-offset spans into them.
//
// Every position in sbplc is a byte offset into a File. Line and column are
// computed lazily from a line index: columns count runes (1-based) for the
// command line, and UTF-16 code units for the editor (see UTF16Col). Nothing
// upstream of the LSP edge knows about UTF-16.
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
}

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

// Position converts a byte offset to a 1-based line and a 1-based column in runes.
func (f *File) Position(off int) Pos {
	f.index()
	off = f.clamp(off)
	i := sort.Search(len(f.lines), func(i int) bool { return f.lines[i] > off }) - 1
	start := f.lines[i]
	col := utf8.RuneCount(f.Text[start:off]) + 1
	return Pos{Line: i + 1, Col: col, Offset: off}
}

// UTF16Col returns the 0-based UTF-16 column of byte offset off (for LSP).
func (f *File) UTF16Col(off int) (line0, col0 int) {
	p := f.Position(off)
	start := f.lines[p.Line-1]
	n := 0
	for _, r := range string(f.Text[start:f.clamp(off)]) {
		n += utf16.RuneLen(r) // invalid bytes decode as U+FFFD: one unit
	}
	return p.Line - 1, n
}

// OffsetOfUTF16 converts a 0-based LSP line and UTF-16 column to a byte offset.
func (f *File) OffsetOfUTF16(line0, col0 int) int {
	f.index()
	if line0 < 0 {
		return 0
	}
	if line0 >= len(f.lines) {
		return len(f.Text)
	}
	off := f.lines[line0]
	n := 0
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
