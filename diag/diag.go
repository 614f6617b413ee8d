// Package diag is sbplc's one diagnostic currency: parse errors, evaluation
// errors, lint findings and compile errors are all a Diagnostic.
//
// Style guide for messages (in the spirit of buf/protocompile's report
// package): plain English, lowercase, no final period, no blame words; the
// primary span is the smallest exact culprit; say what to do ("write
// /private/tmp: Seatbelt matches resolved paths"); one diagnostic per root
// cause. Notes add context; fixes carry mechanical edits.
package diag

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sbplc/sbplc/source"
)

// Severity orders findings; higher is more severe.
type Severity int

// Severities. The zero value is Info so that an unset severity is the mildest.
const (
	Info Severity = iota
	Warning
	Error
)

var severityNames = [...]string{"info", "warning", "error"}

func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity parses "error", "warning" or "info" (and "style"/"note"
// aliases for info).
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "error":
		return Error, nil
	case "warning", "warn":
		return Warning, nil
	case "info", "style", "note", "hint":
		return Info, nil
	}
	return Info, fmt.Errorf("unknown severity %q (want error, warning or info)", s)
}

// Related is a secondary location with its own caption.
type Related struct {
	Span    source.Span
	Message string
}

// Edit replaces the bytes of Span with NewText.
type Edit struct {
	Span    source.Span
	NewText string
}

// Fix is one suggested change: a verb-phrase title and non-overlapping edits.
type Fix struct {
	Title string
	Edits []Edit
	// Guess marks a fix that may change the profile's meaning (a
	// did-you-mean replacement): editors offer it as a quick fix, but
	// `lint --fix` never applies it.
	Guess bool
}

// Diagnostic is one finding.
type Diagnostic struct {
	Severity Severity
	Code     string // rule ID or stable stage code, e.g. "syntax-error"
	Message  string
	Span     source.Span
	Related  []Related
	Notes    []string
	Fixes    []Fix
}

// String renders the one-line form file:line:col: severity: message [code].
func (d Diagnostic) String() string {
	var b strings.Builder
	if d.Span.IsValid() {
		b.WriteString(d.Span.String())
		b.WriteString(": ")
	}
	b.WriteString(d.Severity.String())
	b.WriteString(": ")
	b.WriteString(d.Message)
	if d.Code != "" {
		b.WriteString(" [")
		b.WriteString(d.Code)
		b.WriteString("]")
	}
	return b.String()
}

// Error makes a Diagnostic usable as an error value.
func (d Diagnostic) Error() string { return d.String() }

// List is a collection of diagnostics.
type List []Diagnostic

// Add appends a diagnostic.
func (l *List) Add(d Diagnostic) { *l = append(*l, d) }

// Errorf appends an error-level diagnostic.
func (l *List) Errorf(span source.Span, code, format string, args ...any) {
	l.Add(Diagnostic{Severity: Error, Code: code, Span: span, Message: fmt.Sprintf(format, args...)})
}

// Warnf appends a warning-level diagnostic.
func (l *List) Warnf(span source.Span, code, format string, args ...any) {
	l.Add(Diagnostic{Severity: Warning, Code: code, Span: span, Message: fmt.Sprintf(format, args...)})
}

// HasErrors reports whether any diagnostic is an error.
func (l List) HasErrors() bool { return l.Max() >= Error && len(l) > 0 }

// Max returns the highest severity in the list (Info for an empty list).
func (l List) Max() Severity {
	m := Info
	for _, d := range l {
		if d.Severity > m {
			m = d.Severity
		}
	}
	return m
}

// CountAtLeast counts diagnostics at or above s.
func (l List) CountAtLeast(s Severity) int {
	n := 0
	for _, d := range l {
		if d.Severity >= s {
			n++
		}
	}
	return n
}

// Sort orders diagnostics by file, position, severity (most severe first),
// code and message, and removes exact duplicates. The result is deterministic.
func (l List) Sort() List {
	sort.SliceStable(l, func(i, j int) bool { return less(l[i], l[j]) })
	out := l[:0]
	for i, d := range l {
		if i > 0 && same(d, l[i-1]) {
			continue
		}
		out = append(out, d)
	}
	return out
}

func less(a, b Diagnostic) bool {
	if a.Span.Filename() != b.Span.Filename() {
		return a.Span.Filename() < b.Span.Filename()
	}
	if a.Span.Start != b.Span.Start {
		return a.Span.Start < b.Span.Start
	}
	if a.Severity != b.Severity {
		return a.Severity > b.Severity
	}
	if a.Code != b.Code {
		return a.Code < b.Code
	}
	if a.Message != b.Message {
		return a.Message < b.Message
	}
	return a.Span.End < b.Span.End
}

func same(a, b Diagnostic) bool {
	return a.Span.File == b.Span.File && a.Span.Start == b.Span.Start && a.Span.End == b.Span.End &&
		a.Severity == b.Severity && a.Code == b.Code && a.Message == b.Message
}
