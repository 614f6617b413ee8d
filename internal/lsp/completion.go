package lsp

import (
	"fmt"
	"strings"
)

// MaxCompletions bounds one completion answer; the list is marked
// incomplete when more names match.
const MaxCompletions = 500

var completionKinds = map[Kind]int{
	kindValue:     CompletionKindEnum,
	KindOperation: CompletionKindKeyword,
	KindFilter:    CompletionKindFunction,
	KindModifier:  CompletionKindProperty,
	KindKeyword:   CompletionKindKeyword,
}

func (s *Server) completion(p *CompletionParams) (any, *ResponseError) {
	empty := CompletionList{Items: []CompletionItem{}}
	d, off, e := s.lookupPosition(&p.TextDocumentPositionParams)
	if e != nil {
		return nil, e
	}
	if s.opts.Vocab == nil {
		return empty, nil
	}
	pos := locate(d.parsed(), off, true)
	if pos.inert || len(pos.want) == 0 {
		return empty, nil
	}
	// The prefix is the part of the symbol before the cursor; the edit
	// replaces the whole symbol so that names with * and - insert cleanly.
	start, end := off, off
	prefix := ""
	if pos.sym != nil {
		start, end = pos.sym.Sp.Start, pos.sym.Sp.End
		prefix = string(d.src.Text[start:off])
	}
	r := toRange(d.src, start, end)
	out := CompletionList{Items: []CompletionItem{}}
	seen := map[string]bool{}
	for rank, k := range pos.want {
		var cands []Entry
		if k == kindValue {
			cands = s.opts.Vocab.Values(pos.list.HeadSymbol())
		} else {
			cands = s.names(k)
		}
		for _, e := range cands {
			if !strings.HasPrefix(e.Name, prefix) || seen[e.Name] {
				continue
			}
			if len(out.Items) >= MaxCompletions {
				out.IsIncomplete = true
				break
			}
			seen[e.Name] = true
			item := CompletionItem{
				Label:    e.Name,
				Kind:     completionKinds[e.Kind],
				Detail:   e.Detail,
				SortText: fmt.Sprintf("%d%s", rank, e.Name),
				TextEdit: &TextEdit{Range: r, NewText: e.Name},
			}
			if item.Detail == "" {
				item.Detail = k.String()
			}
			if e.Doc != "" {
				item.Documentation = &MarkupContent{Kind: "markdown", Value: e.Doc}
			}
			out.Items = append(out.Items, item)
		}
	}
	return out, nil
}

// withEntry describes the modifier form when the vocabulary has no entry.
var withEntry = Entry{Name: "with", Kind: KindKeyword, Detail: "modifier form: (with NAME [ARG])",
	Doc: "Attaches a modifier such as `report`, `no-report`, `send-signal` or `message` to the rule."}

// names lists the completion candidates for k.
func (s *Server) names(k Kind) []Entry {
	if k == kindWith {
		if e, ok := s.opts.Vocab.Lookup(KindKeyword, "with"); ok {
			return []Entry{e}
		}
		return []Entry{withEntry}
	}
	return s.opts.Vocab.Names(k)
}
