package lint

import (
	"sort"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/source"
)

// ApplyFixes applies the first fix of every finding in ds whose edits all
// lie in src, skipping fixes that overlap an edit already taken (earlier
// findings win). It returns the new text and the number of fixes applied.
func ApplyFixes(src *source.File, ds diag.List) ([]byte, int) {
	type span struct{ start, end int }
	var taken []span
	var edits []diag.Edit
	n := 0
	overlaps := func(a span) bool {
		for _, b := range taken {
			if a.start < b.end && b.start < a.end || a.start == b.start {
				return true
			}
		}
		return false
	}
	for _, d := range ds {
		if len(d.Fixes) == 0 {
			continue
		}
		f := d.Fixes[0]
		ok := len(f.Edits) > 0
		var mine []span
		for _, e := range f.Edits {
			s := span{e.Span.Start, e.Span.End}
			if e.Span.File != src || s.start < 0 || s.end > len(src.Text) || s.start > s.end || overlaps(s) {
				ok = false
				break
			}
			mine = append(mine, s)
		}
		if !ok {
			continue
		}
		taken = append(taken, mine...)
		edits = append(edits, f.Edits...)
		n++
	}
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].Span.Start > edits[j].Span.Start })
	out := append([]byte(nil), src.Text...)
	for _, e := range edits {
		out = append(out[:e.Span.Start], append([]byte(e.NewText), out[e.Span.End:]...)...)
	}
	return out, n
}
