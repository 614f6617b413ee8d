package lint

import (
	"bytes"

	"github.com/sbplc/sbplc/ast"
)

// astScan is what the syntax-tree rules need of the file, collected in one
// walk per run (in ast.Walk order: forms in order, each preorder).
type astScan struct {
	lists   []*ast.List
	strings []*ast.String
}

// scan returns the run's astScan.
func (p *Pass) scan() *astScan {
	return p.run.facts.scan.get(func() *astScan {
		sc := &astScan{}
		if p.File == nil {
			return sc
		}
		if src := p.File.Src; src != nil {
			// Upper bounds (parentheses and quotes in comments and
			// strings count too), so the lists grow at most rarely.
			sc.lists = make([]*ast.List, 0, bytes.Count(src.Text, []byte{'('}))
			sc.strings = make([]*ast.String, 0, bytes.Count(src.Text, []byte{'"'})/2+1)
		}
		var walk func(n ast.Node)
		walk = func(n ast.Node) {
			switch n := n.(type) {
			case nil:
			case *ast.List:
				sc.lists = append(sc.lists, n)
				for _, e := range n.Elems {
					walk(e)
				}
				if n.Tail != nil {
					walk(n.Tail)
				}
			case *ast.Quote:
				if n.X != nil {
					walk(n.X)
				}
			case *ast.String:
				sc.strings = append(sc.strings, n)
			}
		}
		for _, f := range p.File.Forms {
			walk(f)
		}
		return sc
	})
}

// symbolUses counts the occurrences of each symbol name in the file.
func (p *Pass) symbolUses() map[string]int {
	return p.run.facts.symbolUses.get(func() map[string]int {
		uses := map[string]int{}
		if p.File == nil {
			return uses
		}
		var walk func(n ast.Node)
		walk = func(n ast.Node) {
			switch n := n.(type) {
			case *ast.List:
				for _, e := range n.Elems {
					walk(e)
				}
				if n.Tail != nil {
					walk(n.Tail)
				}
			case *ast.Quote:
				if n.X != nil {
					walk(n.X)
				}
			case *ast.Symbol:
				uses[n.Name]++
			}
		}
		for _, f := range p.File.Forms {
			walk(f)
		}
		return uses
	})
}
