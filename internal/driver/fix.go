package driver

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/source"
)

// MaxFixRounds bounds how often Fix re-lints to pick up the findings a
// first round of fixes exposed (an unknown operation stops its rule from
// evaluating; once fixed, the rule's own findings appear).
const MaxFixRounds = 5

// Refused is a fix that was not applied, and why.
type Refused struct {
	Finding diag.Diagnostic // the finding the fix belongs to (in the text it was proposed on)
	Title   string
	Reason  string
}

// FixResult is the outcome of Fix.
type FixResult struct {
	// Text is the fixed text (the original when nothing was applied).
	Text []byte
	// Applied counts the fixes applied over all rounds.
	Applied int
	// Refused lists fixes that were left out because applying them would
	// have added an error or drawn a new finding on their own text.
	Refused []Refused
	// Final is the check of Text.
	Final *Result
}

// Fix applies the mechanical fixes of r's findings and verifies the
// result: each round applies the first fix of every finding (guesses such
// as did-you-mean replacements never), re-parses, re-evaluates and re-lints
// the text, and keeps the round only if it adds no error-level diagnostic
// and no fix's own new text draws a finding. A fix that fails either check
// is left out, with the reason, and the round is retried without it. The
// original text is never modified: the caller writes Text when Applied > 0.
func (d *Driver) Fix(ctx context.Context, r *Result) (*FixResult, error) {
	out := &FixResult{Text: r.Src.Text, Final: r}
	refused := map[string]bool{} // fixes left out once are not retried
	cur := r
	for round := 0; round < MaxFixRounds && ctx.Err() == nil; round++ {
		var cands []candidate
		for _, c := range candidates(cur) {
			if !refused[c.key()] {
				cands = append(cands, c)
			}
		}
		if len(cands) == 0 {
			break
		}
		var next *Result
		var applied int
		for len(cands) > 0 {
			text, placed := applyFixes(cur.Src, cands)
			res, err := d.Check(ctx, source.NewFile(cur.Src.Name, text))
			if err != nil {
				return nil, err
			}
			bad := d.culprits(cur, res, cands, placed)
			if len(bad) == 0 {
				next, applied = res, len(cands)
				break
			}
			keep := cands[:0:0]
			for i, c := range cands {
				if reason, ok := bad[i]; ok {
					refused[c.key()] = true
					out.Refused = append(out.Refused, Refused{Finding: c.finding, Title: c.fix.Title, Reason: reason})
					continue
				}
				keep = append(keep, c)
			}
			cands = keep
		}
		if next == nil {
			break
		}
		out.Applied += applied
		out.Text, out.Final, cur = next.Src.Text, next, next
	}
	return out, nil
}

// CheckRewrite checks after, a rewrite of the text before checked (by
// fmt -w, lint --fix, learn -w): it must parse and evaluate with no
// error-level diagnostic that before lacked. It returns the check of after
// and the new errors (nil: safe to write).
func (d *Driver) CheckRewrite(ctx context.Context, before *Result, after *source.File) (*Result, diag.List, error) {
	res, err := d.Check(ctx, after)
	if err != nil {
		return nil, nil, err
	}
	byMessage := func(d diag.Diagnostic) string { return d.Code + "\x00" + d.Message }
	return res, newErrors(before.Diags, res.Diags, byMessage, byMessage), nil
}

// candidate is one fix to try.
type candidate struct {
	finding diag.Diagnostic
	fix     diag.Fix
}

// key identifies a fix across rounds (its position may move).
func (c candidate) key() string {
	return c.finding.Code + "\x00" + c.finding.Message + "\x00" + c.fix.Title
}

// candidates returns the first non-guess fix of each finding whose edits
// all lie in r's source, dropping fixes that overlap one already taken
// (earlier findings win).
func candidates(r *Result) []candidate {
	var out []candidate
	var taken [][2]int
	overlaps := func(a, b int) bool {
		for _, t := range taken {
			if a < t[1] && t[0] < b || a == t[0] {
				return true
			}
		}
		return false
	}
	for _, dg := range r.Diags {
		if len(dg.Fixes) == 0 || dg.Fixes[0].Guess || len(dg.Fixes[0].Edits) == 0 {
			continue
		}
		f := dg.Fixes[0]
		ok := true
		for _, e := range f.Edits {
			if e.Span.File != r.Src || e.Span.Start < 0 || e.Span.End > len(r.Src.Text) || e.Span.Start > e.Span.End || overlaps(e.Span.Start, e.Span.End) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		for _, e := range f.Edits {
			taken = append(taken, [2]int{e.Span.Start, e.Span.End})
		}
		out = append(out, candidate{finding: dg, fix: f})
	}
	return out
}

// placedEdit is where one edit's new text landed in the fixed text.
type placedEdit struct {
	cand             int // index in the candidate list
	start, end       int // range of NewText in the new text
	oldStart, oldEnd int // the range it replaced in the old text
}

// oldOffset maps an offset of the fixed text back to the text the edits
// were applied to: text inside an edit maps to the start of what it
// replaced.
func oldOffset(placed []placedEdit, off int) int {
	delta := 0
	for _, p := range placed {
		switch {
		case off < p.start:
			return off - delta
		case off < p.end || off == p.start:
			return p.oldStart
		}
		delta = p.end - p.oldEnd
	}
	return off - delta
}

// applyFixes applies the candidates' edits (non-overlapping) and returns
// the new text with the place of each inserted text.
func applyFixes(src *source.File, cands []candidate) ([]byte, []placedEdit) {
	type edit struct {
		cand int
		e    diag.Edit
	}
	var edits []edit
	for i, c := range cands {
		for _, e := range c.fix.Edits {
			edits = append(edits, edit{i, e})
		}
	}
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].e.Span.Start < edits[j].e.Span.Start })
	var b strings.Builder
	b.Grow(len(src.Text))
	var placed []placedEdit
	last := 0
	for _, e := range edits {
		b.Write(src.Text[last:e.e.Span.Start])
		start := b.Len()
		b.WriteString(e.e.NewText)
		placed = append(placed, placedEdit{cand: e.cand, start: start, end: b.Len(), oldStart: e.e.Span.Start, oldEnd: e.e.Span.End})
		last = e.e.Span.End
	}
	b.Write(src.Text[last:])
	return []byte(b.String()), placed
}

// culprits returns, by candidate index, the fixes that make res (the
// check of cur's text with the candidates applied) worse, and why:
//
//   - a warning or error that starts inside a fix's new text, unless a
//     finding of the same rule was on the text it replaced (advice such as
//     info findings may follow a fix);
//   - an error-level diagnostic that cur did not have at the same place
//     (positions are mapped back through the edits), pinned on the fixes
//     that cause it when each is tried alone.
func (d *Driver) culprits(cur, res *Result, cands []candidate, placed []placedEdit) map[int]string {
	bad := map[int]string{}
	for _, dg := range res.Diags {
		if dg.Span.File != res.Src || dg.Severity < diag.Warning {
			continue
		}
		// Findings about the profile as a whole (its built-in defaults) are
		// reported at its (version) form: a fix that inserts that form
		// makes the file a profile, it does not cause them.
		if res.Eval != nil && dg.Span == res.Eval.Profile.VersionSpan {
			continue
		}
		for _, p := range placed {
			if p.start == p.end || dg.Span.Start < p.start || dg.Span.Start >= p.end {
				continue
			}
			if _, seen := bad[p.cand]; seen || hadOn(cur.Diags, dg.Code, p.oldStart, p.oldEnd) {
				continue
			}
			bad[p.cand] = fmt.Sprintf("its text would draw a new finding: %s [%s]", dg.Message, dg.Code)
		}
	}
	if len(bad) > 0 {
		return bad
	}
	news := newErrorsAfterEdits(cur.Src.Name, cur.Diags, res.Diags, placed)
	if len(news) == 0 {
		return nil
	}
	if len(cands) == 1 {
		bad[0] = "it would add an error: " + news[0].Message + " [" + news[0].Code + "]"
		return bad
	}
	// Find the fixes at fault by trying each alone.
	for i, c := range cands {
		alone, pl := applyFixes(cur.Src, []candidate{c})
		r, err := d.Check(context.Background(), source.NewFile(cur.Src.Name, alone))
		if err != nil {
			continue
		}
		if n := newErrorsAfterEdits(cur.Src.Name, cur.Diags, r.Diags, pl); len(n) > 0 {
			bad[i] = "it would add an error: " + n[0].Message + " [" + n[0].Code + "]"
		}
	}
	if len(bad) == 0 {
		// Only the combination fails: keep the first fix, drop the rest
		// for this round (they are proposed again in the next).
		for i := 1; i < len(cands); i++ {
			bad[i] = "it conflicts with another fix in the same run; run --fix again"
		}
	}
	return bad
}

// hadOn reports whether ds has a finding of rule code overlapping
// [start, end) (or at start, for an insertion).
func hadOn(ds diag.List, code string, start, end int) bool {
	for _, d := range ds {
		if d.Code != code {
			continue
		}
		if d.Span.Start == start || d.Span.Start < end && start < d.Span.End {
			return true
		}
	}
	return false
}

// newErrorsAfterEdits returns the error-level diagnostics of after that
// before lacked: the same rule at the same place once the positions in the
// edited file (named name) are mapped back through the edits (a fix may
// change a message's text, such as the regex an invalid-regex error
// quotes).
func newErrorsAfterEdits(name string, before, after diag.List, placed []placedEdit) diag.List {
	old := func(d diag.Diagnostic) string {
		return fmt.Sprintf("%s\x00%s@%d", d.Code, d.Span.Filename(), d.Span.Start)
	}
	mapped := func(d diag.Diagnostic) string {
		start := d.Span.Start
		if d.Span.Filename() == name {
			start = oldOffset(placed, start)
		}
		return fmt.Sprintf("%s\x00%s@%d", d.Code, d.Span.Filename(), start)
	}
	return newErrors(before, after, old, mapped)
}

// newErrors returns the error-level diagnostics of after beyond those of
// before, matched by the keys the two functions give.
func newErrors(before, after diag.List, beforeKey, afterKey func(diag.Diagnostic) string) diag.List {
	left := map[string]int{}
	for _, d := range before {
		if d.Severity >= diag.Error {
			left[beforeKey(d)]++
		}
	}
	var out diag.List
	for _, d := range after {
		if d.Severity < diag.Error {
			continue
		}
		if k := afterKey(d); left[k] > 0 {
			left[k]--
			continue
		}
		out = append(out, d)
	}
	return out
}
