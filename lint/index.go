package lint

import (
	"strings"

	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/policy"
	"github.com/sbplc/sbplc/source"
	"github.com/sbplc/sbplc/vocab"
)

// Index holds per-profile lookups shared by the rules of one run.
type Index struct {
	// PathArgs lists every string argument of a path-typed filter, in rule
	// order (including filters nested in values, such as
	// (remote unix-socket (path-literal P))).
	PathArgs []PathArg
	// Leaves lists every leaf of every rule's filter in eachLeaf order,
	// rule by rule: the rules that look at leaves share this one walk.
	Leaves []LeafRef
}

// LeafRef is one leaf of a rule's filter.
type LeafRef struct {
	Rule *ir.Rule
	Leaf *ir.FilterNode
	Neg  bool // under an odd number of require-not
}

// PathArg is one path argument of a rule's filter.
type PathArg struct {
	Rule *ir.Rule
	Leaf *ir.FilterNode
	Val  *ir.Value
	Neg  bool // under an odd number of require-not
}

func buildIndex(prof *ir.Profile) *Index {
	// Count first: the lists are as long as the profile (100,000 rules),
	// and growing them by appending leaves up to a quarter unused.
	leaves, paths := 0, 0
	for _, r := range prof.Rules {
		eachLeaf(r.Filter, false, func(l *ir.FilterNode, _ bool) {
			leaves++
			if isPathFilter(l) {
				for i := range l.Args {
					if l.Args[i].Kind == ir.String {
						paths++
					}
				}
			}
		})
	}
	ix := &Index{Leaves: make([]LeafRef, 0, leaves), PathArgs: make([]PathArg, 0, paths)}
	for _, r := range prof.Rules {
		eachLeaf(r.Filter, false, func(l *ir.FilterNode, neg bool) {
			ix.Leaves = append(ix.Leaves, LeafRef{Rule: r, Leaf: l, Neg: neg})
			if !isPathFilter(l) {
				return
			}
			for i := range l.Args {
				if l.Args[i].Kind == ir.String {
					ix.PathArgs = append(ix.PathArgs, PathArg{Rule: r, Leaf: l, Val: &l.Args[i], Neg: neg})
				}
			}
		})
	}
	return ix
}

// eachLeaf calls fn for every leaf of n, including filters nested in
// argument values.
func eachLeaf(n *ir.FilterNode, neg bool, fn func(l *ir.FilterNode, neg bool)) {
	if n == nil {
		return
	}
	switch n.Kind {
	case ir.Leaf:
		fn(n, neg)
		for i := range n.Args {
			if n.Args[i].Kind == ir.Filter && n.Args[i].Sub != nil {
				eachLeaf(n.Args[i].Sub, neg, fn)
			}
		}
	case ir.Not:
		for _, c := range n.Children {
			eachLeaf(c, !neg, fn)
		}
	default:
		for _, c := range n.Children {
			eachLeaf(c, neg, fn)
		}
	}
}

// baseName is the base filter of a leaf ("path" for literal, subpath, ...),
// as the evaluator recorded it (policy.LeafDim).
func baseName(l *ir.FilterNode) string {
	b, _ := policy.LeafDim(l)
	return b
}

// matchOf returns how the leaf compares its arguments (policy.LeafDim).
func matchOf(l *ir.FilterNode) ir.Match {
	_, m := policy.LeafDim(l)
	return m
}

// isPathFilter reports whether the leaf takes path patterns: its base
// filter's argument kind in the vocabulary.
func isPathFilter(l *ir.FilterNode) bool {
	f, ok := vocab.LookupFilter(baseName(l))
	return ok && f.ArgKind == "path-pattern"
}

// isFilePath reports whether the leaf matches file-system paths of the
// request itself (the path filter family), not process or mount paths.
func isFilePath(l *ir.FilterNode) bool { return baseName(l) == "path" }

// writtenName is the filter name as the user wrote it.
func writtenName(l *ir.FilterNode) string {
	if l.Written != "" {
		return l.Written
	}
	return l.Name
}

// valueSpan is the best span for a finding about v in rule r.
func valueSpan(r *ir.Rule, l *ir.FilterNode, v *ir.Value) source.Span {
	if v != nil {
		if sp := v.Origin.Primary(); sp.IsValid() {
			return sp
		}
	}
	if l != nil {
		if sp := l.Origin.Primary(); sp.IsValid() {
			return sp
		}
	}
	return r.Origin.Primary()
}

// leafSpan is the best span for a finding about leaf l of rule r.
func leafSpan(r *ir.Rule, l *ir.FilterNode) source.Span {
	if l != nil {
		if sp := l.Origin.Primary(); sp.IsValid() {
			return sp
		}
	}
	return r.Origin.Primary()
}

// ruleSpan is the span of the rule's form at the user's call site.
func ruleSpan(r *ir.Rule) source.Span { return r.Origin.Primary() }

// opSpan is the span of the operation symbol when it is in the user's file
// at the rule's own form, else the rule's span.
func opSpan(r *ir.Rule, op ir.Op) source.Span {
	if len(r.Origin.Chain) == 0 && op.Span.IsValid() {
		return op.Span
	}
	return ruleSpan(r)
}

// literalEdit returns an edit replacing bytes [from, to) of v's decoded
// text with repl, when v is written as one string literal argument of leaf
// l's own form in the user's file (directArg: a literal defined once and
// used by several filters is not edited for one of them) whose source text
// maps byte for byte onto the value (no escapes before to). ok is false
// otherwise.
func (p *Pass) literalEdit(l *ir.FilterNode, v *ir.Value, from, to int, repl string) (diag.Edit, bool) {
	sp := v.Origin.Span
	if !sp.IsValid() || len(v.Origin.Chain) != 0 || sp.File != p.Src || v.Symbolic() || !p.directArg(l, v) {
		return diag.Edit{}, false
	}
	text := sp.Text()
	open := 1
	if strings.HasPrefix(text, "#\"") {
		open = 2
	} else if !strings.HasPrefix(text, "\"") {
		return diag.Edit{}, false
	}
	if len(text) < open+1 || text[len(text)-1] != '"' {
		return diag.Edit{}, false
	}
	inner := text[open : len(text)-1]
	if to > len(inner) || from > to || inner[:to] != v.Str[:to] {
		return diag.Edit{}, false
	}
	if open == 1 && strings.Contains(inner[:to], "\\") {
		return diag.Edit{}, false
	}
	start := sp.Start + open
	return diag.Edit{Span: source.Span{File: sp.File, Start: start + from, End: start + to}, NewText: repl}, true
}

// directArg reports whether v is written as an argument of leaf l's own
// form in the user's file, as in (subpath "/tmp"): not a value defined
// elsewhere ((define p "/tmp") ... (subpath p)) or built by a helper. An
// edit of such a literal changes this filter only.
func (p *Pass) directArg(l *ir.FilterNode, v *ir.Value) bool {
	lsp, vsp := l.Origin.Span, v.Origin.Span
	if !lsp.IsValid() || !vsp.IsValid() || len(l.Origin.Chain) != 0 || len(v.Origin.Chain) != 0 || lsp.File != p.Src || vsp.File != p.Src {
		return false
	}
	form := p.listAt(lsp.Start)
	if form == nil || form.Sp.End != lsp.End {
		return false
	}
	for _, e := range form.Elems[min(1, len(form.Elems)):] {
		if sp := e.Span(); sp.Start == vsp.Start && sp.End == vsp.End {
			return true
		}
	}
	return false
}

// listAt returns the list of the user's file that starts at byte offset
// off, or nil.
func (p *Pass) listAt(off int) *ast.List {
	m := p.run.facts.listsAt.get(func() map[int]*ast.List {
		lists := p.scan().lists
		m := make(map[int]*ast.List, len(lists))
		for _, l := range lists {
			if _, dup := m[l.Sp.Start]; !dup {
				m[l.Sp.Start] = l
			}
		}
		return m
	})
	return m[off]
}

// twinEdit returns an edit that adds, after v's literal, a second argument
// spelled like v's literal with ins inserted at byte from of the value:
// (subpath "/tmp") becomes (subpath "/tmp" "/private/tmp"). A filter's
// arguments are ORed, so the filter keeps matching what it matched. ok is
// false when literalEdit cannot edit v.
func (p *Pass) twinEdit(l *ir.FilterNode, v *ir.Value, from int, ins string) (diag.Edit, bool) {
	e, ok := p.literalEdit(l, v, from, from, ins)
	if !ok {
		return diag.Edit{}, false
	}
	sp := v.Origin.Span
	text := sp.Text()
	at := e.Span.Start - sp.Start
	twin := text[:at] + ins + text[at:]
	return diag.Edit{Span: source.Span{File: sp.File, Start: sp.End, End: sp.End}, NewText: " " + twin}, true
}

// topForms returns the top-level lists of the file with head symbol name.
func topForms(f *ast.File, name string) []*ast.List {
	if f == nil {
		return nil
	}
	var out []*ast.List
	for _, n := range f.Forms {
		if l, ok := n.(*ast.List); ok && l.HeadSymbol() == name {
			out = append(out, l)
		}
	}
	return out
}
