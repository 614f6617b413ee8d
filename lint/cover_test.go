package lint

import (
	"testing"

	"github.com/sbplc/sbplc/ir"
)

func leafNode(name string, args ...ir.Value) *ir.FilterNode {
	return &ir.FilterNode{Kind: ir.Leaf, Name: name, Args: args}
}

func str(s string) ir.Value { return ir.Value{Kind: ir.String, Str: s} }

// TestSameFilter checks the identity the coverage indexes use for
// duplicate and identical-filter detection, and that filterHash agrees.
func TestSameFilter(t *testing.T) {
	deep := func(n int) *ir.FilterNode {
		f := leafNode("literal", str("/x"))
		for i := 0; i < n; i++ {
			f = &ir.FilterNode{Kind: ir.Not, Children: []*ir.FilterNode{f}}
		}
		return f
	}
	cases := []struct {
		name string
		a, b *ir.FilterNode
		same bool
	}{
		{"equal leaves", leafNode("subpath", str("/a")), leafNode("subpath", str("/a")), true},
		{"other path", leafNode("subpath", str("/a")), leafNode("subpath", str("/b")), false},
		{"other filter", leafNode("subpath", str("/a")), leafNode("literal", str("/a")), false},
		{"arg kinds", leafNode("f", ir.Value{Kind: ir.Int, Int: 1}), leafNode("f", ir.Value{Kind: ir.Bool, Bool: true}), false},
		{"symbols", leafNode("f", ir.Value{Kind: ir.Symbol, Str: "a 'b"}), leafNode("f", ir.Value{Kind: ir.Symbol, Str: "a"}, ir.Value{Kind: ir.Symbol, Str: "b"}), false},
		{"nested equal",
			&ir.FilterNode{Kind: ir.Any, Children: []*ir.FilterNode{leafNode("literal", str("/a")), deep(2)}},
			&ir.FilterNode{Kind: ir.Any, Children: []*ir.FilterNode{leafNode("literal", str("/a")), deep(2)}}, true},
		{"all vs any",
			&ir.FilterNode{Kind: ir.All, Children: []*ir.FilterNode{leafNode("literal", str("/a"))}},
			&ir.FilterNode{Kind: ir.Any, Children: []*ir.FilterNode{leafNode("literal", str("/a"))}}, false},
		{"child order",
			&ir.FilterNode{Kind: ir.All, Children: []*ir.FilterNode{leafNode("literal", str("/a")), leafNode("literal", str("/b"))}},
			&ir.FilterNode{Kind: ir.All, Children: []*ir.FilterNode{leafNode("literal", str("/b")), leafNode("literal", str("/a"))}}, false},
		{"filter argument", leafNode("f", ir.Value{Kind: ir.Filter, Sub: deep(1)}), leafNode("f", ir.Value{Kind: ir.Filter, Sub: deep(3)}), false},
		{"beyond the depth bound", deep(maxFilterDepth + 5), deep(maxFilterDepth + 9), true},
		{"nil", nil, leafNode("literal", str("/a")), false},
	}
	for _, c := range cases {
		if got := sameFilter(c.a, c.b, 0); got != c.same {
			t.Errorf("%s: sameFilter = %v, want %v", c.name, got, c.same)
		}
		if got := sameFilter(c.b, c.a, 0); got != c.same {
			t.Errorf("%s: sameFilter (swapped) = %v, want %v", c.name, got, c.same)
		}
		if c.same && filterHash(c.a, 0) != filterHash(c.b, 0) {
			t.Errorf("%s: equal filters hash differently", c.name)
		}
	}
}
