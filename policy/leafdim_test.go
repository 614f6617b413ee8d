package policy

import (
	"testing"

	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/vocab"
)

// TestLeafDimIsVocab pins LeafDim to the vocabulary: a leaf that carries
// only its name (hand-built IR) is classified exactly as the vocabulary
// classifies that filter, and a leaf that carries Base and Match (as the
// evaluator builds them) keeps them, whatever its name.
func TestLeafDimIsVocab(t *testing.T) {
	n := 0
	for _, f := range vocab.Filters() {
		switch f.Form {
		case vocab.FormBase, vocab.FormDerived, vocab.FormAlias:
		default:
			continue
		}
		if f.Base == "" {
			continue
		}
		n++
		for _, l := range []*ir.FilterNode{
			{Kind: ir.Leaf, Name: f.Name},
			{Kind: ir.Leaf, Name: f.Canonical, Written: f.Name},
			{Kind: ir.Leaf, Name: "renamed-by-a-helper", Base: f.Base, Match: f.Match},
		} {
			dim, m := LeafDim(l)
			if dim != f.Base || m != f.Match {
				t.Errorf("LeafDim(%+v) = %s, %s; vocab says %s, %s", *l, dim, m, f.Base, f.Match)
			}
		}
	}
	if n < 100 {
		t.Fatalf("only %d vocabulary filters checked", n)
	}
	if dim, m := LeafDim(&ir.FilterNode{Kind: ir.Leaf, Name: "no-such-filter"}); dim != "no-such-filter" || m != ir.MatchOther {
		t.Errorf("unknown filter: %s, %s", dim, m)
	}
}
