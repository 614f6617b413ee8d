// Package compile turns SBPL into the bytecode the kernel runs, through
// libsandbox on macOS, and checks the result against sbplc's own model.
//
// The libsandbox binding is one small darwin-only file (compile_darwin.go,
// purego, no cgo) behind the Backend interface. Everything around it -
// parameter marshalling, mapping libsandbox's error text back to the
// user's files, the compile pipeline, atomic output and the semantic
// cross-check - is plain Go and is tested on every OS with Fake.
package compile

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/internal/lazyre"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/source"
)

// Param is one key/value pair for sandbox_set_param.
type Param struct{ Key, Value string }

// Params are handed to libsandbox in order.
type Params []Param

// ParamsFromMap returns m's pairs sorted by key, so that compiling is
// deterministic.
func ParamsFromMap(m map[string]string) Params {
	ps := make(Params, 0, len(m))
	for k, v := range m {
		ps = append(ps, Param{k, v})
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Key < ps[j].Key })
	return ps
}

// Validate checks that every pair can be passed as C strings: a non-empty
// key, and no NUL byte in keys or values.
func (ps Params) Validate() error {
	for _, p := range ps {
		if p.Key == "" {
			return errors.New("param with an empty name: use -D NAME=VALUE")
		}
		if strings.IndexByte(p.Key, 0) >= 0 {
			return fmt.Errorf("param name %q contains a NUL byte, which libsandbox cannot take", p.Key)
		}
		if strings.IndexByte(p.Value, 0) >= 0 {
			return fmt.Errorf("param %s: the value contains a NUL byte, which libsandbox cannot take", p.Key)
		}
	}
	return nil
}

// Request is one compilation.
type Request struct {
	// Source is the SBPL text handed to sandbox_compile_string.
	Source []byte
	Params Params
	// Profile is the evaluated profile (Build sets it): what the native
	// emitter serialises. libsandbox ignores it.
	Profile *ir.Profile
}

// Result is what libsandbox returned.
type Result struct {
	// Bytecode is the compiled profile (a copy owned by the caller).
	Bytecode []byte
	// Builtin is set instead of Bytecode when libsandbox resolved the
	// profile to a builtin (named) profile.
	Builtin string
}

// Backend compiles SBPL to bytecode.
type Backend interface {
	// Name describes the backend ("libsandbox /usr/lib/libsandbox.1.dylib").
	Name() string
	// Compile compiles one request. A compile error from libsandbox is
	// returned as *Error.
	Compile(req Request) (*Result, error)
}

// ErrUnsupported is returned by Native on systems without libsandbox.
var ErrUnsupported = errors.New("compiling to bytecode needs macOS (libsandbox); use --emit sbpl for a portable flattened profile")

// Error is a compile error reported by libsandbox.
type Error struct {
	// Text is libsandbox's message, verbatim.
	Text string
	// Message is Text without the position suffix.
	Message string
	// Line and Column are 1-based positions in the compiled text, 0 when
	// the message has none.
	Line, Column int
}

// Error renders "libsandbox: TEXT".
func (e *Error) Error() string { return "libsandbox: " + e.Text }

// positionRE matches libsandbox's "... at <input string>, line L, column C"
// (the column is optional; sandbox-exec prints only the line).
var positionRE = lazyre.New(`^(?s)(.*?)\s+at\s+(<input string>|\S.*?),\s*line\s+(\d+)(?:,\s*column\s+(\d+))?\s*\.?\s*$`)

// ParseError splits libsandbox's error text into message and position.
func ParseError(text string) *Error {
	text = strings.TrimSpace(text)
	e := &Error{Text: text, Message: text}
	if m := positionRE().FindStringSubmatch(text); m != nil {
		e.Message = m[1]
		e.Line, _ = strconv.Atoi(m[3])
		if m[4] != "" {
			e.Column, _ = strconv.Atoi(m[4])
		}
	}
	return e
}

// Unit is the text handed to libsandbox: the preludes and the main file
// joined, with a map from its lines back to the files.
type Unit struct {
	Text  []byte
	parts []part
}

type part struct {
	file      *source.File
	firstLine int // first line of the file in Text (1-based)
	lines     int
}

// NewUnit joins the preludes and main, in that order, each on its own
// lines (a newline is added after a file that does not end with one).
func NewUnit(preludes []*source.File, main *source.File) *Unit {
	u := &Unit{}
	line := 1
	for _, f := range append(append([]*source.File(nil), preludes...), main) {
		if f == nil {
			continue
		}
		n := strings.Count(string(f.Text), "\n")
		if len(f.Text) > 0 && f.Text[len(f.Text)-1] != '\n' {
			n++
		}
		u.parts = append(u.parts, part{file: f, firstLine: line, lines: n})
		u.Text = append(u.Text, f.Text...)
		if len(f.Text) > 0 && f.Text[len(f.Text)-1] != '\n' {
			u.Text = append(u.Text, '\n')
		}
		line += n
	}
	return u
}

// Span maps a 1-based line and column of Text to a span in the original
// file (one character wide). ok is false when the line is outside Text.
func (u *Unit) Span(line, col int) (source.Span, bool) {
	for _, p := range u.parts {
		if line < p.firstLine || line >= p.firstLine+p.lines {
			continue
		}
		l := line - p.firstLine + 1
		start := p.file.LineStart(l)
		off := start
		text := p.file.Line(l)
		// Columns count characters (runes); clamp to the line.
		for i, c := 0, 1; i < len(text); c++ {
			if c >= col {
				break
			}
			_, size := decodeRune(text[i:])
			i += size
			off = start + i
		}
		end := off
		if end < start+len(text) {
			_, size := decodeRune(text[end-start:])
			end += size
		}
		return source.Span{File: p.file, Start: off, End: end}, true
	}
	return source.Span{}, false
}

// Diagnostic turns a compile error into a diagnostic at the user's
// position (code "libsandbox").
func (u *Unit) Diagnostic(err error) diag.Diagnostic {
	var e *Error
	if !errors.As(err, &e) {
		return diag.Diagnostic{Severity: diag.Error, Code: "compile", Message: err.Error()}
	}
	d := diag.Diagnostic{Severity: diag.Error, Code: "libsandbox", Message: "libsandbox: " + e.Message}
	if e.Line > 0 {
		col := e.Column
		if col <= 0 {
			col = 1
		}
		if sp, ok := u.Span(e.Line, col); ok {
			d.Span = sp
		} else {
			d.Notes = append(d.Notes, fmt.Sprintf("libsandbox reported line %d, which is outside the compiled text", e.Line))
		}
	}
	if strings.HasPrefix(e.Message, "unbound variable:") {
		d.Notes = append(d.Notes, "an unknown operation, filter or modifier name, or a form that only exists on another macOS release")
	}
	return d
}

func decodeRune(s string) (rune, int) {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		n = 1
	}
	return r, n
}
