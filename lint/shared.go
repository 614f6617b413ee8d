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
		for _, f := range p.File.Forms {
			ast.Walk(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.List:
					sc.lists = append(sc.lists, n)
				case *ast.String:
					sc.strings = append(sc.strings, n)
				}
				return true
			})
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
		for _, f := range p.File.Forms {
			ast.Walk(f, func(n ast.Node) bool {
				if s, ok := n.(*ast.Symbol); ok {
					uses[s.Name]++
				}
				return true
			})
		}
		return uses
	})
}
