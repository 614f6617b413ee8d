package lsp

import (
	"fmt"
	"strings"

	"github.com/sbplc/sbplc/ast"
)

// allKinds is the lookup order for a symbol whose position says nothing.
var allKinds = []Kind{KindKeyword, KindOperation, KindFilter, KindModifier}

func (s *Server) hover(p *TextDocumentPositionParams) (any, *ResponseError) {
	d, off, e := s.lookupPosition(p)
	if e != nil || s.opts.Vocab == nil {
		return nil, e
	}
	tree := d.parsed()
	pos := locate(tree, off, false)
	if pos.sym == nil && d.good != nil && d.good != tree {
		// The text does not parse here; look in the last good tree.
		if old, ok := mapOffset(d.src.Text, d.good.Src.Text, off); ok {
			if gp := locate(d.good, old, false); gp.sym != nil {
				pos = gp
				// Translate the symbol's span back to the current text.
				delta := off - old
				r := toRange(d.src, gp.sym.Sp.Start+delta, gp.sym.Sp.End+delta)
				return s.hoverFor(pos, &r), nil
			}
		}
	}
	if pos.sym == nil && pos.inert {
		return s.hoverDirective(tree, d, off), nil
	}
	if pos.sym == nil || pos.inert {
		return nil, nil
	}
	r := toRange(d.src, pos.sym.Sp.Start, pos.sym.Sp.End)
	return s.hoverFor(pos, &r), nil
}

// hoverFor documents the symbol at pos, or returns nil.
func (s *Server) hoverFor(pos position, r *Range) *Hover {
	if pos.inert || pos.sym == nil {
		return nil
	}
	e, ok := s.lookupAt(pos)
	if !ok {
		return nil
	}
	return &Hover{Contents: MarkupContent{Kind: "markdown", Value: renderEntry(e)}, Range: r}
}

// lookupAt finds the symbol at pos, trying the kinds its position suggests
// first and then every kind.
func (s *Server) lookupAt(pos position) (Entry, bool) {
	name := pos.sym.Name
	tried := map[Kind]bool{}
	order := append(append([]Kind{}, pos.want...), allKinds...)
	if pos.list != nil && pos.index == 0 && len(pos.want) == 0 {
		order = append([]Kind{KindKeyword, KindFilter}, order...)
	}
	for _, k := range order {
		if k == kindWith {
			if name == "with" {
				if e, ok := s.opts.Vocab.Lookup(KindKeyword, name); ok {
					return e, true
				}
				return withEntry, true
			}
			continue
		}
		if k == kindValue {
			if pos.list != nil {
				for _, e := range s.opts.Vocab.Values(pos.list.HeadSymbol()) {
					if e.Name == name {
						return e, true
					}
				}
			}
			continue
		}
		if tried[k] {
			continue
		}
		tried[k] = true
		if e, ok := s.opts.Vocab.Lookup(k, name); ok {
			return e, true
		}
	}
	return Entry{}, false
}

// renderEntry formats an entry as markdown.
func renderEntry(e Entry) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** (%s)", mdEscape(e.Name), e.Kind)
	if e.Detail != "" {
		fmt.Fprintf(&b, "\n\n%s", e.Detail)
	}
	if e.Doc != "" {
		fmt.Fprintf(&b, "\n\n%s", e.Doc)
	}
	return b.String()
}

// mdEscape escapes markdown emphasis characters in a name such as file-read*.
func mdEscape(s string) string {
	return strings.NewReplacer(`*`, `\*`, `_`, `\_`, "`", "\\`").Replace(s)
}

// RuleDocs is implemented by analyzers that can document their rule IDs;
// hover then explains the IDs in "; sbplc:ignore ID,ID reason" comments.
type RuleDocs interface {
	RuleDoc(id string) (Entry, bool)
}

// hoverDirective documents the rule ID under the cursor in an ignore
// directive comment.
func (s *Server) hoverDirective(tree *ast.File, d *document, off int) *Hover {
	rd, ok := s.opts.Analyzer.(RuleDocs)
	if !ok {
		return nil
	}
	for _, c := range tree.Comments {
		if c.Kind != ast.LineComment || off < c.Sp.Start || off >= c.Sp.End {
			continue
		}
		text := c.Text()
		end, ok := directiveListEnd(text, ignoreFileDirective)
		if !ok {
			end, ok = directiveListEnd(text, ignoreDirective)
		}
		if !ok {
			return nil
		}
		start := strings.LastIndexAny(text[:end], " \t") + 1
		rel := off - c.Sp.Start
		if rel < start || rel >= end {
			return nil
		}
		// The ID under the cursor within the comma-separated list.
		a := start + strings.LastIndex(text[start:rel], ",") + 1
		b := rel + strings.IndexByte(text[rel:end]+",", ',')
		if a >= b {
			return nil
		}
		e, ok := rd.RuleDoc(text[a:b])
		if !ok {
			return nil
		}
		r := toRange(d.src, c.Sp.Start+a, c.Sp.Start+b)
		return &Hover{Contents: MarkupContent{Kind: "markdown", Value: renderEntry(e)}, Range: &r}
	}
	return nil
}
