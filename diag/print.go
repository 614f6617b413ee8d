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
		b.WriteString(c(ansiBold, position(d.Span)+":"))
		b.WriteString(" ")
	}
	b.WriteString(c(sevColor(d.Severity), d.Severity.String()+":"))
	b.WriteString(" ")
	b.WriteString(escapeText(d.Message))
	if d.Code != "" {
		b.WriteString(" ")
		b.WriteString(c(ansiBlue, "["+escapeText(d.Code)+"]"))
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
			fmt.Fprintf(b, "      = related: %s: %s\n", position(r.Span), escapeText(r.Message))
		}
	}
	for _, n := range d.Notes {
		fmt.Fprintf(b, "      = note: %s\n", escapeText(n))
	}
	for _, f := range d.Fixes {
		fmt.Fprintf(b, "      = fix: %s\n", escapeText(f.Title))
	}
}

// position renders a valid span's start as file:line:col with the file
// name escaped.
func position(sp source.Span) string {
	p := sp.StartPos()
	return escapeText(sp.File.Name) + ":" + strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col)
}

// escapeText returns s with every character that could drive a terminal or
// hide or reorder text (control characters, invalid UTF-8, bidirectional
// and other invisible formatting characters) written as an escape, the way
// excerpts show them (\x1b, \xff, \u202e); s itself when it has none. The
// text and GitHub writers pass every string that may come from a user
// (messages, codes, notes, related captions, fix titles, file names)
// through it; JSON and SARIF keep the real strings, which their encoders
// escape.
func escapeText(s string) string { return escape(s, false) }

// EscapingWriter returns a writer that escapes what is written to w as
// escapeText does, line by line: the other text outputs that show user
// text on a terminal (query's deciding rule and resource, test's cases,
// audit's probes) write through it. Each Write must hold whole lines or
// whole characters (fmt.Fprintf's calls do).
func EscapingWriter(w io.Writer) io.Writer { return escapingWriter{w} }

type escapingWriter struct{ w io.Writer }

func (e escapingWriter) Write(p []byte) (int, error) {
	lines := strings.Split(string(p), "\n")
	for i, l := range lines {
		lines[i] = escapeText(l)
	}
	if _, err := io.WriteString(e.w, strings.Join(lines, "\n")); err != nil {
		return 0, err
	}
	return len(p), nil
}

// escape is escapeText, keeping "\n" and "\r" when lineBreaks is set (for
// the GitHub writer, which encodes them as %0A and %0D).
func escape(s string, lineBreaks bool) string {
	keep := func(i int) (size int, ok bool) {
		c := s[i]
		if c >= 0x20 && c < utf8.RuneSelf && c != 0x7f || lineBreaks && (c == '\n' || c == '\r') {
			return 1, true
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		_, bad := escapeRune(r, size, c)
		return size, !bad
	}
	i := 0
	for i < len(s) {
		size, ok := keep(i)
		if !ok {
			break
		}
		i += size
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.WriteString(s[:i])
	for i < len(s) {
		size, ok := keep(i)
		if ok {
			b.WriteString(s[i : i+size])
		} else {
			r, _ := utf8.DecodeRuneInString(s[i:])
			esc, _ := escapeRune(r, size, s[i])
			b.WriteString(esc)
		}
		i += size
	}
	return b.String()
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
// the caret lines up), other characters as escapeRune says.
func excerptRune(r rune, raw []byte) string {
	if r == '\t' {
		return " "
	}
	if esc, bad := escapeRune(r, len(raw), raw[0]); bad {
		return esc
	}
	return string(raw)
}

// escapeRune returns the escape of a decoded rune (size bytes, the first
// being first) and true when it must not reach a terminal raw: a control
// character (\x1b), an invalid byte (\xff), or an invisible formatting
// character that reorders or hides text (\u202e, a bidirectional override;
// \ufeff, a byte order mark; C1 controls).
func escapeRune(r rune, size int, first byte) (string, bool) {
	switch {
	case r == utf8.RuneError && size == 1:
		return fmt.Sprintf("\\x%02x", first), true
	case r < 0x20 || r == 0x7f:
		return fmt.Sprintf("\\x%02x", r), true
	case r >= 0x80 && r < 0xa0, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069,
		r == 0x200e || r == 0x200f || r == 0x061c || r == 0xfeff, r >= 0xfff9 && r <= 0xfffb:
		return fmt.Sprintf("\\u%04x", r), true
	}
	return "", false
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
