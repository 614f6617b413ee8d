package parser

import (
	"fmt"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/source"
)

// errSink collects the parser's diagnostics with a bounded amount of work
// and memory: it keeps only the keep diagnostics that sort first (by start
// offset) and counts the rest without building them. Every stage reports
// through one sink, so a hostile input such as five million stray ")"
// costs a counter increment per error, not a formatted message and a sort
// of millions of diagnostics.
type errSink struct {
	keep  int
	kept  diag.List
	total int // diagnostics reported, kept or not
	// maxStart is the largest start offset in kept once it is full: a
	// diagnostic starting after it can never be among the first keep.
	maxStart int
}

func newErrSink(keep int) *errSink { return &errSink{keep: keep} }

// wants counts one diagnostic starting at start and reports whether it may
// be kept (so the caller should build its message).
func (s *errSink) wants(start int) bool {
	s.total++
	return len(s.kept) < s.keep || start <= s.maxStart
}

// add stores a diagnostic that wants accepted (it must not be counted again).
func (s *errSink) add(d diag.Diagnostic) {
	s.kept = append(s.kept, d)
	if len(s.kept) > s.keep {
		// Rare: a diagnostic arrived out of order. Drop the one that sorts last.
		s.kept = s.kept.Sort()
		if len(s.kept) > s.keep {
			s.kept = s.kept[:s.keep]
		}
	}
	if len(s.kept) == s.keep {
		s.maxStart = 0
		for _, k := range s.kept {
			s.maxStart = max(s.maxStart, k.Span.Start)
		}
	}
}

// errorf reports an error-level diagnostic, formatting it only if it is kept.
func (s *errSink) errorf(sp source.Span, code, format string, args ...any) {
	if !s.wants(sp.Start) {
		return
	}
	s.add(diag.Diagnostic{Severity: diag.Error, Code: code, Span: sp, Message: fmt.Sprintf(format, args...)})
}

// report is errorf for a prepared diagnostic; build is called only when the
// diagnostic is kept.
func (s *errSink) report(start int, build func() diag.Diagnostic) {
	if s.wants(start) {
		s.add(build())
	}
}

// result returns the kept diagnostics in order, with at most max of them
// and a summary when more were reported.
func (s *errSink) result(max int) diag.List {
	n := len(s.kept)
	ds := s.kept.Sort()
	total := s.total - (n - len(ds)) // exact duplicates removed by Sort
	if total > max && len(ds) > max {
		rest := ds[max]
		ds = append(ds[:max:max], diag.Diagnostic{Severity: diag.Error, Code: "syntax-error", Span: rest.Span,
			Message: fmt.Sprintf("too many syntax errors (%d); only the first %d are reported", total, max)})
	}
	return ds
}
