package diag

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sbplc/sbplc/source"
)

// TextOptions control the text renderer.
type TextOptions struct {
	Snippet bool // print the source line with a caret under the span
	Color   bool // ANSI colours (only when the output is a terminal)
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiBlue   = "\x1b[34m"
)

func sevColor(s Severity) string {
	switch s {
	case Error:
		return ansiRed
	case Warning:
		return ansiYellow
	}
	return ansiCyan
}

// WriteText writes diagnostics in the gcc-style form
// file:line:col: severity: message [code], optionally followed by a snippet.
// All snippets of one call share a gutter width (that of the largest line
// number), so the carets of consecutive diagnostics line up.
func WriteText(w io.Writer, ds []Diagnostic, opt TextOptions) error {
	gutter := 1
	if opt.Snippet {
		for _, d := range ds {
			if d.Span.IsValid() {
				gutter = max(gutter, len(strconv.Itoa(d.Span.File.LineOf(d.Span.Start))))
			}
		}
	}
	var b strings.Builder
	for _, d := range ds {
		writeOne(&b, d, opt, gutter)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeOne(b *strings.Builder, d Diagnostic, opt TextOptions, gutter int) {
	c := func(code, s string) string {
		if !opt.Color {
			return s
		}
		return code + s + ansiReset
	}
	if d.Span.IsValid() {
		b.WriteString(c(ansiBold, d.Span.String()+":"))
		b.WriteString(" ")
	}
	b.WriteString(c(sevColor(d.Severity), d.Severity.String()+":"))
	b.WriteString(" ")
	b.WriteString(d.Message)
	if d.Code != "" {
		b.WriteString(" ")
		b.WriteString(c(ansiBlue, "["+d.Code+"]"))
	}
	b.WriteString("\n")
	if !opt.Snippet {
		return
	}
	if d.Span.IsValid() {
		writeSnippet(b, d.Span, opt, c(sevColor(d.Severity), "%s"), gutter)
	}
	for _, r := range d.Related {
		if r.Span.IsValid() {
			fmt.Fprintf(b, "      = related: %s: %s\n", r.Span.String(), r.Message)
		}
	}
	for _, n := range d.Notes {
		fmt.Fprintf(b, "      = note: %s\n", n)
	}
	for _, f := range d.Fixes {
		fmt.Fprintf(b, "      = fix: %s\n", f.Title)
	}
}

// Excerpt window: at most excerptBefore characters of the line before the
// span and excerptAfter from its start on; a clipped side is marked "…".
const (
	excerptBefore = 60
	excerptAfter  = 60
)

// writeSnippet prints the span's first line, clipped to a window around
// the span and with control characters, invalid UTF-8 and bidirectional
// formatting characters escaped (so no raw byte of a hostile file reaches
// the terminal), and a caret line under the span.
func writeSnippet(b *strings.Builder, sp source.Span, opt TextOptions, caretFmt string, gutter int) {
	text := sp.File.Text
	lineNo := sp.File.LineOf(sp.Start)
	ls := sp.File.LineStart(lineNo)
	// The line's end matters only inside the window: look for it no further
	// than the window can reach past the span start, so that excerpts of a
	// multi-megabyte line cost the same as any other.
	from := min(max(sp.Start, ls), len(text))
	reach := min(from+utf8.UTFMax*excerptAfter+2, len(text))
	le, ended := reach, reach == len(text) // ended: le is the real end of the line
	if i := bytes.IndexByte(text[from:reach], '\n'); i >= 0 {
		le, ended = from+i, true
	}
	if ended && le > ls && text[le-1] == '\r' {
		le--
	}
	s := min(max(sp.Start, ls), le)
	e := min(max(sp.End, s), le)
	// Window [ws, we): back excerptBefore runes from s, forward excerptAfter from s.
	ws := s
	for n := 0; n < excerptBefore && ws > ls; n++ {
		_, size := utf8.DecodeLastRune(text[ls:ws])
		ws -= size
	}
	we := s
	for n := 0; n < excerptAfter && we < le; n++ {
		_, size := utf8.DecodeRune(text[we:le])
		we += size
	}
	e = min(e, we)
	var line strings.Builder
	if ws > ls {
		line.WriteString("…")
	}
	col := 0 // display columns written so far
	if ws > ls {
		col = 1
	}
	caretCol, caretEnd := -1, -1
	for i := ws; i < we; {
		if i == s {
			caretCol = col
		}
		if i == e {
			caretEnd = col
		}
		r, size := utf8.DecodeRune(text[i:we])
		piece := excerptRune(r, text[i:i+size])
		line.WriteString(piece)
		col += utf8.RuneCountInString(piece)
		i += size
	}
	if caretCol < 0 {
		caretCol = col
	}
	if caretEnd < 0 {
		caretEnd = col
	}
	if we < le {
		line.WriteString("…")
	}
	num := strconv.Itoa(lineNo)
	fmt.Fprintf(b, " %*s | %s\n", gutter, num, line.String())
	width := max(caretEnd-caretCol, 1)
	carets := strings.Repeat("^", width)
	if opt.Color {
		carets = fmt.Sprintf(caretFmt, carets)
	}
	fmt.Fprintf(b, " %*s | %s%s\n", gutter, "", strings.Repeat(" ", caretCol), carets)
}

// excerptRune renders one decoded rune of an excerpt: a tab as a space (so
// the caret lines up), other control characters, invalid bytes and
// invisible formatting characters as escapes such as \x1b or \u202e.
func excerptRune(r rune, raw []byte) string {
	switch {
	case r == '\t':
		return " "
	case r == utf8.RuneError && len(raw) == 1:
		return fmt.Sprintf("\\x%02x", raw[0])
	case r < 0x20 || r == 0x7f:
		return fmt.Sprintf("\\x%02x", r)
	case r >= 0x80 && r < 0xa0, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069,
		r == 0x200e || r == 0x200f || r == 0x061c || r == 0xfeff, r >= 0xfff9 && r <= 0xfffb:
		return fmt.Sprintf("\\u%04x", r)
	}
	return string(raw)
}

// JSONEdit is the JSON form of an Edit.
type JSONEdit struct {
	File      string `json:"file"`
	Line      int    `json:"line"`
	Column    int    `json:"column"`
	EndLine   int    `json:"end_line"`
	EndColumn int    `json:"end_column"`
	Start     int    `json:"start_offset"`
	End       int    `json:"end_offset"`
	NewText   string `json:"new_text"`
}

// JSONFix is the JSON form of a Fix.
type JSONFix struct {
	Title string     `json:"title"`
	Edits []JSONEdit `json:"edits"`
}

// JSONRelated is the JSON form of a Related location.
type JSONRelated struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

// JSONDiagnostic is the stable JSON shape of a Diagnostic.
type JSONDiagnostic struct {
	Code      string        `json:"code"`
	Severity  string        `json:"severity"`
	Message   string        `json:"message"`
	File      string        `json:"file"`
	Line      int           `json:"line"`
	Column    int           `json:"column"`
	EndLine   int           `json:"end_line"`
	EndColumn int           `json:"end_column"`
	Fixes     []JSONFix     `json:"fixes"`
	Related   []JSONRelated `json:"related,omitempty"`
	Notes     []string      `json:"notes,omitempty"`
}

// ToJSON converts a diagnostic to its JSON shape.
func ToJSON(d Diagnostic) JSONDiagnostic {
	j := JSONDiagnostic{Code: d.Code, Severity: d.Severity.String(), Message: d.Message, Fixes: []JSONFix{}, Notes: d.Notes}
	if d.Span.IsValid() {
		s, e := d.Span.StartPos(), d.Span.EndPos()
		j.File, j.Line, j.Column, j.EndLine, j.EndColumn = d.Span.File.Name, s.Line, s.Col, e.Line, e.Col
	}
	for _, f := range d.Fixes {
		jf := JSONFix{Title: f.Title, Edits: []JSONEdit{}}
		for _, e := range f.Edits {
			je := JSONEdit{NewText: e.NewText, Start: e.Span.Start, End: e.Span.End}
			if e.Span.IsValid() {
				s, en := e.Span.StartPos(), e.Span.EndPos()
				je.File, je.Line, je.Column, je.EndLine, je.EndColumn = e.Span.File.Name, s.Line, s.Col, en.Line, en.Col
			}
			jf.Edits = append(jf.Edits, je)
		}
		j.Fixes = append(j.Fixes, jf)
	}
	for _, r := range d.Related {
		jr := JSONRelated{Message: r.Message}
		if r.Span.IsValid() {
			p := r.Span.StartPos()
			jr.File, jr.Line, jr.Column = r.Span.File.Name, p.Line, p.Col
		}
		j.Related = append(j.Related, jr)
	}
	return j
}

// WriteJSON writes diagnostics as a JSON array (always an array, never null).
func WriteJSON(w io.Writer, ds []Diagnostic) error {
	out := make([]JSONDiagnostic, 0, len(ds))
	for _, d := range ds {
		out = append(out, ToJSON(d))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
