package lint

import (
	"fmt"
	"strings"

	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/config"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/ruletable"
	"github.com/sbplc/sbplc/source"
)

// Suppression comments:
//
//	; sbplc:ignore RULE-ID[,RULE-ID...] reason      this line and the next
//	; sbplc:ignore-file RULE-ID[,RULE-ID...] reason the whole file
//
// The directive must start the comment (after the semicolons and spaces).
// IDs are rule IDs or the codes of parse/eval diagnostics. A suppression
// that matches nothing is reported as unused-ignore; an unknown ID as
// unknown-rule-in-ignore.

const (
	ignorePrefix     = "sbplc:ignore"
	ignoreFilePrefix = "sbplc:ignore-file"
)

// Suppression is one parsed ignore directive.
type Suppression struct {
	Comment *ast.Comment
	File    bool // ignore-file
	Line    int  // line of the comment
	IDs     []SuppressedID
	Reason  string
}

// SuppressedID is one ID of a suppression with its span in the comment.
type SuppressedID struct {
	ID   string
	Span source.Span
	used bool
}

// ParseSuppressions returns the suppression directives in f's comments.
func ParseSuppressions(f *ast.File) []*Suppression {
	if f == nil {
		return nil
	}
	var out []*Suppression
	for _, c := range f.Comments {
		if c.Kind != ast.LineComment {
			continue
		}
		if s := parseSuppression(c); s != nil {
			out = append(out, s)
		}
	}
	return out
}

func parseSuppression(c *ast.Comment) *Suppression {
	text := c.Text()
	i := 0
	for i < len(text) && (text[i] == ';' || text[i] == ' ' || text[i] == '\t') {
		i++
	}
	rest := text[i:]
	s := &Suppression{Comment: c, Line: c.Sp.StartPos().Line}
	switch {
	case strings.HasPrefix(rest, ignoreFilePrefix+" "):
		s.File = true
		i += len(ignoreFilePrefix) + 1
	case strings.HasPrefix(rest, ignorePrefix+" "):
		i += len(ignorePrefix) + 1
	default:
		return nil
	}
	for i < len(text) && (text[i] == ' ' || text[i] == '\t') {
		i++
	}
	j := i
	for j < len(text) && text[j] != ' ' && text[j] != '\t' {
		j++
	}
	list := text[i:j]
	s.Reason = strings.TrimSpace(text[j:])
	off := c.Sp.Start + i
	for _, id := range strings.Split(list, ",") {
		if id != "" {
			s.IDs = append(s.IDs, SuppressedID{ID: id, Span: source.Span{File: c.Sp.File, Start: off, End: off + len(id)}})
		}
		off += len(id) + 1
	}
	if len(s.IDs) == 0 {
		return nil
	}
	return s
}

// applySuppressions drops suppressed diagnostics and adds unused-ignore and
// unknown-rule-in-ignore findings.
func applySuppressions(f *ast.File, ds diag.List, on map[string]bool, cfg *config.Config) diag.List {
	sups := ParseSuppressions(f)
	if len(sups) == 0 {
		return ds
	}
	var out diag.List
	for _, d := range ds {
		if suppressed(d, sups) {
			continue
		}
		out = append(out, d)
	}
	unused, _ := Lookup("unused-ignore")
	unknown, _ := Lookup("unknown-rule-in-ignore")
	report := func(r *Rule, d diag.Diagnostic) {
		if r == nil || !on[r.ID] {
			return
		}
		d.Code = r.ID
		d.Severity = r.Severity
		if s, ok := configuredSeverity(r, cfg); ok {
			d.Severity = s
		}
		out = append(out, d)
	}
	for _, s := range sups {
		for k := range s.IDs {
			id := &s.IDs[k]
			if id.used {
				continue
			}
			r, isRule := Lookup(id.ID)
			if !isRule && !isStageCode(id.ID, ds) {
				report(unknown, diag.Diagnostic{Span: id.Span,
					Message: fmt.Sprintf("unknown rule %q in sbplc:ignore%s", id.ID, didYouMean(id.ID))})
				continue
			}
			if isRule && !on[r.ID] {
				continue // a disabled rule cannot use its suppression
			}
			d := diag.Diagnostic{Span: id.Span}
			if isRule && !ruletable.Suppressible(r.ID) {
				d.Message = fmt.Sprintf("sbplc:ignore cannot hide %s: syntax errors, evaluation limits and internal errors are always reported; fix the problem and remove the comment", id.ID)
				if len(s.IDs) == 1 {
					d.Fixes = []diag.Fix{{Title: "remove the suppression", Edits: []diag.Edit{removeComment(s.Comment)}}}
				}
				report(unused, d)
				continue
			}
			if s.File {
				d.Message = fmt.Sprintf("sbplc:ignore-file %s matches no finding in this file: remove it", id.ID)
			} else {
				d.Message = fmt.Sprintf("sbplc:ignore %s matches no finding on this line or the next: remove it", id.ID)
			}
			if len(s.IDs) == 1 {
				d.Fixes = []diag.Fix{{Title: "remove the unused suppression", Edits: []diag.Edit{removeComment(s.Comment)}}}
			}
			report(unused, d)
		}
	}
	return out
}

// isStageCode reports whether id is the code of a non-rule diagnostic (a
// parse or eval code) present in the file.
func isStageCode(id string, ds diag.List) bool {
	for _, d := range ds {
		if d.Code == id {
			return true
		}
	}
	switch id {
	case "syntax-error", "eval-error", "arity", "eval-limit", "unbound-identifier":
		return true
	}
	return false
}

func suppressed(d diag.Diagnostic, sups []*Suppression) bool {
	if !ruletable.Suppressible(d.Code) {
		return false // syntax errors, evaluation limits, internal errors
	}
	line := 0
	if d.Span.IsValid() {
		line = d.Span.StartPos().Line
	}
	hit := false
	for _, s := range sups {
		if d.Span.File != nil && s.Comment.Sp.File != d.Span.File {
			continue
		}
		if !s.File && line != s.Line && line != s.Line+1 {
			continue
		}
		for k := range s.IDs {
			if s.IDs[k].ID == d.Code {
				s.IDs[k].used = true
				hit = true
			}
		}
	}
	return hit
}

// removeComment deletes a comment: its whole line when it stands alone,
// otherwise the comment and the spaces before it.
func removeComment(c *ast.Comment) diag.Edit {
	f := c.Sp.File
	line := c.Sp.StartPos().Line
	start := f.LineStart(line)
	before := string(f.Text[start:c.Sp.Start])
	if strings.TrimSpace(before) == "" {
		end := c.Sp.End
		if end < len(f.Text) && f.Text[end] == '\n' {
			end++
		}
		return diag.Edit{Span: source.Span{File: f, Start: start, End: end}}
	}
	s := c.Sp.Start
	for s > start && (f.Text[s-1] == ' ' || f.Text[s-1] == '\t') {
		s--
	}
	return diag.Edit{Span: source.Span{File: f, Start: s, End: c.Sp.End}}
}
