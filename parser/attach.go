package parser

import (
	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/source"
)

// attachComments distributes file.Comments over the tree: a comment that
// starts on the line where the previous sibling ends is that sibling's
// trailing comment; otherwise it leads the next sibling; with no next
// sibling it dangles at the end of the enclosing list (or file).
func attachComments(file *ast.File) {
	if len(file.Comments) == 0 {
		return
	}
	a := &attacher{cs: file.Comments, src: file.Src}
	file.Trailing = a.attach(file.Forms, len(file.Src.Text)+1)
}

type attacher struct {
	cs  []*ast.Comment
	i   int // next unattached comment
	src *source.File
}

// sameLine reports whether there is no newline in text[from:to]. It asks
// the line index rather than scanning, so that many comments after one
// datum on one long line cost linear time.
func (a *attacher) sameLine(from, to int) bool {
	if from < 0 {
		return false
	}
	return from >= to || a.src.LineOf(from) == a.src.LineOf(to)
}

// attach handles the items of one container whose contents end before
// limit; it returns the comments left dangling at the container's end.
func (a *attacher) attach(items []ast.Node, limit int) []*ast.Comment {
	var prev ast.Node
	for _, it := range items {
		if it == nil {
			continue
		}
		sp := it.Span()
		for a.i < len(a.cs) && a.cs[a.i].Sp.Start < sp.Start {
			c := a.cs[a.i]
			a.i++
			if prev != nil && a.sameLine(prev.Span().End, c.Sp.Start) {
				t := prev.Trivia()
				t.Trailing = append(t.Trailing, c)
			} else {
				t := it.Trivia()
				t.Leading = append(t.Leading, c)
			}
		}
		a.inside(it)
		prev = it
	}
	var dangling []*ast.Comment
	for a.i < len(a.cs) && a.cs[a.i].Sp.Start < limit {
		c := a.cs[a.i]
		a.i++
		if prev != nil && a.sameLine(prev.Span().End, c.Sp.Start) {
			t := prev.Trivia()
			t.Trailing = append(t.Trailing, c)
		} else {
			dangling = append(dangling, c)
		}
	}
	return dangling
}

// inside attaches the comments that lie within node n.
func (a *attacher) inside(n ast.Node) {
	switch n := n.(type) {
	case *ast.List:
		items := n.Elems
		if n.Tail() != nil {
			items = append(items[:len(items):len(items)], n.Tail())
		}
		end := n.Sp.End
		if n.Closed {
			end-- // before the ")"
		}
		n.SetDangling(a.attach(items, end))
	case *ast.Quote:
		if n.X != nil {
			// comments between the mark and the datum lead the datum
			for a.i < len(a.cs) && a.cs[a.i].Sp.Start < n.X.Span().Start {
				t := n.X.Trivia()
				t.Leading = append(t.Leading, a.cs[a.i])
				a.i++
			}
			a.inside(n.X)
		}
	}
}
