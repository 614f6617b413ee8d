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
	baseline := errorKeys(r.Diags)
	cur := r
	for round := 0; round < MaxFixRounds && ctx.Err() == nil; round++ {
		cands := candidates(cur)
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
			bad := d.culprits(baseline, res, cands, placed)
			if len(bad) == 0 {
				next, applied = res, len(cands)
				break
			}
			keep := cands[:0:0]
			for i, c := range cands {
				if reason, ok := bad[i]; ok {
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
	return res, newErrors(errorKeys(before.Diags), res.Diags), nil
}

// candidate is one fix to try.
type candidate struct {
	finding diag.Diagnostic
	fix     diag.Fix
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
	cand       int // index in the candidate list
	start, end int // range of NewText in the new text
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
		if e.e.NewText != "" {
			placed = append(placed, placedEdit{cand: e.cand, start: start, end: b.Len()})
		}
		last = e.e.Span.End
	}
	b.Write(src.Text[last:])
	return []byte(b.String()), placed
}

// culprits returns, by candidate index, the fixes that make res worse: a
// finding that starts inside a fix's new text, or (when the new errors
// cannot be pinned on one fix's text) every fix of the round, each tried
// alone to find the ones at fault.
func (d *Driver) culprits(baseline map[string]int, res *Result, cands []candidate, placed []placedEdit) map[int]string {
	bad := map[int]string{}
	for _, dg := range res.Diags {
		if dg.Span.File != res.Src {
			continue
		}
		// Findings about the profile as a whole (its built-in defaults) are
		// reported at its (version) form: a fix that inserts that form
		// makes the file a profile, it does not cause them.
		if res.Eval != nil && dg.Span == res.Eval.Profile.VersionSpan {
			continue
		}
		for _, p := range placed {
			if dg.Span.Start >= p.start && dg.Span.Start < p.end {
				if _, seen := bad[p.cand]; !seen {
					bad[p.cand] = fmt.Sprintf("its text would draw a new finding: %s [%s]", dg.Message, dg.Code)
				}
			}
		}
	}
	if len(bad) > 0 {
		return bad
	}
	news := newErrors(baseline, res.Diags)
	if len(news) == 0 {
		return nil
	}
	if len(cands) == 1 {
		bad[0] = "it would add an error: " + news[0].Message + " [" + news[0].Code + "]"
		return bad
	}
	// Find the fixes at fault by trying each alone.
	for i, c := range cands {
		orig := c.finding.Span.File
		if orig == nil {
			continue
		}
		alone, _ := applyFixes(orig, []candidate{c})
		r, err := d.Check(context.Background(), source.NewFile(orig.Name, alone))
		if err != nil {
			continue
		}
		if n := newErrors(baseline, r.Diags); len(n) > 0 {
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

// errorKeys counts the error-level diagnostics by code and message
// (positions move when text is inserted).
func errorKeys(ds diag.List) map[string]int {
	m := map[string]int{}
	for _, d := range ds {
		if d.Severity >= diag.Error {
			m[d.Code+"\x00"+d.Message]++
		}
	}
	return m
}

// newErrors returns the error-level diagnostics of ds beyond baseline.
func newErrors(baseline map[string]int, ds diag.List) diag.List {
	left := map[string]int{}
	for k, v := range baseline {
		left[k] = v
	}
	var out diag.List
	for _, d := range ds {
		if d.Severity < diag.Error {
			continue
		}
		k := d.Code + "\x00" + d.Message
		if left[k] > 0 {
			left[k]--
			continue
		}
		out = append(out, d)
	}
	return out
}
