package lsp

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/source"
)

// IgnoreComment is the suppression comment the ignore action inserts on the
// line above a finding: "; sbplc:ignore RULE-ID reason".
const IgnoreComment = "; sbplc:ignore %s %s"

// IgnoreReason is the placeholder reason written by the ignore action, for
// the user to replace.
const IgnoreReason = "TODO: say why this is safe"

func (s *Server) codeAction(params json.RawMessage) (any, *ResponseError) {
	var p CodeActionParams
	if e := decode(params, &p); e != nil {
		return nil, e
	}
	if len(p.Context.Only) > 0 && !wantsQuickfix(p.Context.Only) {
		return []CodeAction{}, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, e := s.lookupDoc(p.TextDocument.URI)
	if e != nil {
		return nil, e
	}
	actions := []CodeAction{}
	if d.diagSrc != d.src {
		return actions, nil // the findings are for an older text: their edits would not apply
	}
	src := d.src
	a, b := toOffset(src, p.Range.Start), toOffset(src, p.Range.End)
	ignored := map[string]bool{}
	for _, dg := range d.diags {
		if dg.Span.File != src || dg.Span.Start > b || a > dg.Span.End {
			continue
		}
		ld := toLSPDiag(d.uri, src, dg)
		for i, f := range dg.Fixes {
			edit := s.workspaceEdit(d.uri, src, f.Edits)
			if edit == nil {
				continue
			}
			actions = append(actions, CodeAction{Title: f.Title, Kind: "quickfix", Diagnostics: []Diagnostic{ld},
				IsPreferred: i == 0, Edit: edit})
		}
		line, _ := src.UTF16Col(dg.Span.Start)
		key := fmt.Sprintf("%s@%d", dg.Code, line)
		if dg.Code != "" && !ignored[key] && s.opts.Analyzer.Ignorable(dg.Code) {
			ignored[key] = true
			actions = append(actions, CodeAction{
				Title:       fmt.Sprintf("ignore %s on this line", dg.Code),
				Kind:        "quickfix",
				Diagnostics: []Diagnostic{ld},
				Edit:        &WorkspaceEdit{Changes: map[string][]TextEdit{d.uri: {ignoreEdit(src, dg)}}},
			})
		}
	}
	return actions, nil
}

func wantsQuickfix(only []string) bool {
	for _, k := range only {
		if k == "quickfix" || strings.HasPrefix("quickfix", k) && k != "" {
			return true
		}
	}
	return false
}

// workspaceEdit converts fix edits; edits in other files use their own URI.
func (s *Server) workspaceEdit(uri string, src *source.File, edits []diag.Edit) *WorkspaceEdit {
	if len(edits) == 0 {
		return nil
	}
	w := &WorkspaceEdit{Changes: map[string][]TextEdit{}}
	for _, e := range edits {
		if !e.Span.IsValid() {
			return nil
		}
		u := uri
		if e.Span.File != src {
			u = fileURI(e.Span.File.Name)
		}
		w.Changes[u] = append(w.Changes[u], TextEdit{Range: toRange(e.Span.File, e.Span.Start, e.Span.End), NewText: e.NewText})
	}
	return w
}

// ignoreEdit inserts the ignore comment on its own line above the line of
// d, with that line's indentation.
func ignoreEdit(src *source.File, d diag.Diagnostic) TextEdit {
	p := src.Position(d.Span.Start)
	start := src.LineStart(p.Line)
	text := src.Line(p.Line)
	indent := text[:len(text)-len(strings.TrimLeft(text, " \t"))]
	comment := indent + fmt.Sprintf(IgnoreComment, d.Code, IgnoreReason) + "\n"
	r := toRange(src, start, start)
	return TextEdit{Range: r, NewText: comment}
}
