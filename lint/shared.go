package lint

import "github.com/sbplc/sbplc/ast"

// astNodes returns every node of the file in ast.Walk order (forms in
// order, each preorder), collected once per run: the rules that scan the
// syntax tree share one walk.
func (p *Pass) astNodes() []ast.Node {
	return p.run.cached("astNodes", func() any {
		var out []ast.Node
		if p.File == nil {
			return out
		}
		var walk func(n ast.Node)
		walk = func(n ast.Node) {
			// Iterative over list elements, recursive on nesting only
			// (like ast.Walk).
			if n == nil {
				return
			}
			out = append(out, n)
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
			}
		}
		for _, f := range p.File.Forms {
			walk(f)
		}
		return out
	}).([]ast.Node)
}

// astStrings returns the file's string literals in ast.Walk order.
func (p *Pass) astStrings() []*ast.String {
	return p.run.cached("astStrings", func() any {
		var out []*ast.String
		for _, n := range p.astNodes() {
			if s, ok := n.(*ast.String); ok {
				out = append(out, s)
			}
		}
		return out
	}).([]*ast.String)
}
