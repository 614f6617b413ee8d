package diag

import (
	"encoding/json"
	"fmt"
	"io"
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
func WriteText(w io.Writer, ds []Diagnostic, opt TextOptions) error {
	var b strings.Builder
	for _, d := range ds {
		writeOne(&b, d, opt)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeOne(b *strings.Builder, d Diagnostic, opt TextOptions) {
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
		writeSnippet(b, d.Span, opt, c(sevColor(d.Severity), "%s"))
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

func writeSnippet(b *strings.Builder, sp source.Span, opt TextOptions, caretFmt string) {
	start := sp.StartPos()
	line := sp.File.Line(start.Line)
	line = strings.ReplaceAll(line, "\t", " ")
	num := fmt.Sprintf("%d", start.Line)
	pad := strings.Repeat(" ", len(num))
	fmt.Fprintf(b, " %s | %s\n", num, line)
	// Caret width: the span's runes on this line (at least one).
	end := sp.End
	lineEnd := sp.File.LineStart(start.Line) + len(sp.File.Line(start.Line))
	if end > lineEnd {
		end = lineEnd
	}
	width := 1
	if end > sp.Start && sp.Start >= 0 && end <= len(sp.File.Text) {
		width = utf8.RuneCount(sp.File.Text[sp.Start:end])
		if width < 1 {
			width = 1
		}
	}
	carets := strings.Repeat(" ", start.Col-1) + strings.Repeat("^", width)
	if opt.Color {
		carets = strings.Repeat(" ", start.Col-1) + fmt.Sprintf(caretFmt, strings.Repeat("^", width))
	}
	fmt.Fprintf(b, " %s | %s\n", pad, carets)
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
