package lsp

import (
	"github.com/sbplc/sbplc/ast"
)

// Kind classifies a vocabulary name.
type Kind int

// Vocabulary kinds.
const (
	KindOperation Kind = iota
	KindFilter
	KindModifier
	KindKeyword // builtins and special forms: version, allow, define, param, ...
	KindRule    // a lint rule ID (in ignore directives)

	// kindWith is a completion position only: the (with MODIFIER) form,
	// offered beside filters inside a rule.
	kindWith Kind = -1
	// kindValue is a completion position only: a named value of the
	// enclosing filter, such as DIRECTORY in (vnode-type DIRECTORY).
	kindValue Kind = -2
)

var kindNames = [...]string{"operation", "filter", "modifier", "keyword", "lint rule"}

func (k Kind) String() string {
	if k == kindValue {
		return "value"
	}
	if k < 0 || int(k) >= len(kindNames) {
		return "keyword"
	}
	return kindNames[k]
}

// Entry is one vocabulary name with its documentation.
type Entry struct {
	Name   string
	Kind   Kind
	Detail string // one line, e.g. "operation · falls back to file*"
	Doc    string // markdown
}

// Vocabulary answers hover and completion questions.
type Vocabulary interface {
	// Lookup finds name as a k.
	Lookup(k Kind, name string) (Entry, bool)
	// Names lists every entry of kind k, sorted by name.
	Names(k Kind) []Entry
	// Values lists the named values filter accepts, such as DIRECTORY for
	// vnode-type (nil when it takes free-form arguments).
	Values(filter string) []Entry
}

// position is what the cursor is on, syntactically.
type position struct {
	list  *ast.List   // innermost list containing the cursor (nil at top level)
	index int         // element index of the cursor within list
	sym   *ast.Symbol // the symbol under the cursor, if any
	want  []Kind      // what names fit here, best first
	// inert is set inside strings and comments, where nothing is offered.
	inert bool
}

// ruleHeads are the forms whose bare symbol arguments are operations.
var ruleHeads = map[string]bool{"allow": true, "deny": true}

// filterCombinators nest filters.
var filterCombinators = map[string]bool{"require-all": true, "require-any": true, "require-not": true}

// locate classifies offset off of tree. For hover, off is the character under
// the cursor; for completion it is the insertion point (so a symbol ending
// exactly at off is the prefix being typed).
func locate(tree *ast.File, off int, completion bool) position {
	var pos position
	for _, c := range tree.Comments {
		if off > c.Sp.Start && (off < c.Sp.End || (completion && off == c.Sp.End && c.Kind != ast.BlockComment)) {
			pos.inert = true
			return pos
		}
	}
	// Walk down the forms, keeping the chain of enclosing lists.
	var chain []*ast.List
	nodes := tree.Forms
	for {
		var next *ast.List
		for i, n := range nodes {
			sp := n.Span()
			if l, ok := n.(*ast.List); ok {
				// An unclosed list ends at its last element; the text up to
				// the next form still belongs to it (the user is typing there).
				inside := off > sp.Start && off < sp.End
				if !l.Closed && off > sp.Start {
					inside = i+1 == len(nodes) || off < nodes[i+1].Span().Start
				}
				if inside {
					chain = append(chain, l)
					next = l
					break
				}
				continue
			}
			hit := sp.Start <= off && off < sp.End
			if completion {
				hit = sp.Start < off && off <= sp.End
			}
			if !hit {
				continue
			}
			switch n := n.(type) {
			case *ast.Symbol:
				pos.sym = n
				pos.index = i
			case *ast.String:
				if off > sp.Start {
					pos.inert = true
				}
			case *ast.Quote:
				if l, ok := n.X.(*ast.List); ok && off > l.Sp.Start && off < l.Sp.End {
					chain = append(chain, l) // quoted data: no names are offered
					next = l
					pos.inert = true
				}
			}
			break
		}
		if next == nil {
			break
		}
		nodes = next.Elems
		pos.index = 0
		for i, e := range nodes {
			if e.Span().End <= off {
				pos.index = i + 1
			}
		}
	}
	if len(chain) > 0 {
		pos.list = chain[len(chain)-1]
	}
	if pos.sym != nil && pos.list != nil {
		for i, e := range pos.list.Elems {
			if e == ast.Node(pos.sym) {
				pos.index = i
			}
		}
	}
	pos.want = wanted(chain, pos.index)
	return pos
}

// wanted decides which kinds of names fit element index of the innermost
// list in chain.
func wanted(chain []*ast.List, index int) []Kind {
	if len(chain) == 0 {
		return nil
	}
	l := chain[len(chain)-1]
	head := l.HeadSymbol()
	if index == 0 {
		// A list head: a filter (or the with form) inside a rule, a form at
		// the top level, a form or filter anywhere else (helper bodies).
		switch {
		case inRule(chain[:len(chain)-1]):
			return []Kind{KindFilter, kindWith}
		case len(chain) == 1:
			return []Kind{KindKeyword}
		}
		return []Kind{KindKeyword, KindFilter}
	}
	switch {
	case ruleHeads[head]:
		return []Kind{KindOperation}
	case head == "with":
		if index == 1 {
			return []Kind{KindModifier}
		}
	case head != "" && !filterCombinators[head] && inRule(chain[:len(chain)-1]):
		return []Kind{kindValue} // an argument of a filter: its named values
	}
	return nil
}

// inRule reports whether the lists in chain put their last element in filter
// position: directly inside allow/deny, or inside filter combinators there.
func inRule(chain []*ast.List) bool {
	for i := len(chain) - 1; i >= 0; i-- {
		h := chain[i].HeadSymbol()
		switch {
		case ruleHeads[h]:
			return true
		case filterCombinators[h]:
			continue
		default:
			return false
		}
	}
	return false
}
