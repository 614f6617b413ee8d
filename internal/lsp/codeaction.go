package lsp

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/source"
)

// IgnoreComment is the suppression comment the ignore action inserts on the
// line above a finding: "; sbplc:ignore RULE-ID reason".
const IgnoreComment = "; sbplc:ignore %s %s"

// IgnoreFileComment is the directive the file-wide ignore action inserts at
// the top of the file.
const IgnoreFileComment = "; sbplc:ignore-file %s %s"

// IgnoreReason is the placeholder reason written by the ignore action, for
// the user to replace.
const IgnoreReason = "TODO: say why this is safe"

// CodeActionWait bounds how long a code action request waits for the
// analysis of the document's current text (it arrives right after an edit,
// before the new findings are out).
const CodeActionWait = 5 * time.Second

// codeAction offers the fixes and ignore actions of the findings in the
// requested range (for a cursor, its line), and of the findings the client
// names in the request's context (which may lie outside the range). It
// answers from the analysis of the current text, waiting for it when the
// request arrives first.
func (s *Server) codeAction(p *CodeActionParams) (any, *ResponseError) {
	if len(p.Context.Only) > 0 && !wantsQuickfix(p.Context.Only) {
		return []CodeAction{}, nil
	}
	d, e := s.lookupDoc(p.TextDocument.URI)
	if e != nil {
		return nil, e
	}
	actions := []CodeAction{}
	if d.diagSrc != d.src {
		s.awaitAnalysis(d, CodeActionWait)
	}
	if d.closed || d.diagSrc != d.src {
		return actions, nil // no findings for this text yet: edits of older ones would not apply
	}
	src := d.src
	a, b := toOffset(src, p.Range.Start), toOffset(src, p.Range.End)
	if a == b {
		// A cursor stands for its line: clients differ in which findings
		// they name in the context (Neovim 0.10 all on the line, 0.12 only
		// those under the cursor), and the user expects the line's fixes.
		line := src.Position(a).Line
		a = src.LineStart(line)
		b = a + len(src.Line(line))
	}
	named := map[string]bool{}
	for _, cd := range p.Context.Diagnostics {
		named[contextKey(cd.Code, cd.Range)] = true
	}
	ignored := map[string]bool{}
	for _, dg := range d.diags {
		if dg.Span.File != src {
			continue
		}
		ld := toLSPDiag(d.uri, src, dg)
		if (dg.Span.Start > b || a > dg.Span.End) && !named[contextKey(jsonString(dg.Code), ld.Range)] {
			continue
		}
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
			if !insideToken(d.parsed(), src.LineStart(src.Position(dg.Span.Start).Line)) {
				actions = append(actions, CodeAction{
					Title:       fmt.Sprintf("ignore %s on this line", dg.Code),
					Kind:        "quickfix",
					Diagnostics: []Diagnostic{ld},
					Edit:        &WorkspaceEdit{Changes: map[string][]TextEdit{d.uri: {ignoreEdit(src, dg)}}},
				})
			}
			if !ignored[dg.Code] {
				ignored[dg.Code] = true
				actions = append(actions, CodeAction{
					Title:       fmt.Sprintf("ignore %s in this file", dg.Code),
					Kind:        "quickfix",
					Diagnostics: []Diagnostic{ld},
					Edit:        &WorkspaceEdit{Changes: map[string][]TextEdit{d.uri: {ignoreFileEdit(src, dg.Code)}}},
				})
			}
		}
	}
	return actions, nil
}

// contextKey identifies a diagnostic by its code (as JSON: clients send a
// string or a number) and range.
func contextKey(code json.RawMessage, r Range) string {
	return fmt.Sprintf("%s@%d:%d-%d:%d", code, r.Start.Line, r.Start.Character, r.End.Line, r.End.Character)
}

func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

// awaitAnalysis waits, at most limit, until the findings of d are for its
// current text; s.mu is held on entry and on return, and released while
// waiting. An analysis still in its debounce starts at once.
func (s *Server) awaitAnalysis(d *document, limit time.Duration) {
	if d.timer != nil && d.timer.Stop() {
		d.timer = nil
		go s.analyze(d, d.gen)
	}
	done := make(chan struct{})
	d.waiters = append(d.waiters, done)
	ctx := s.ctx
	s.mu.Unlock()
	t := time.NewTimer(limit)
	select {
	case <-done:
	case <-t.C:
	case <-ctx.Done():
	}
	t.Stop()
	s.mu.Lock()
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
// d, with that line's indentation. When the line above already holds an
// ignore directive, the code is added to its list instead.
func ignoreEdit(src *source.File, d diag.Diagnostic) TextEdit {
	p := src.Position(d.Span.Start)
	if p.Line > 1 {
		above := src.Line(p.Line - 1)
		if at, ok := directiveListEnd(above, ignoreDirective); ok {
			off := src.LineStart(p.Line-1) + at
			return TextEdit{Range: toRange(src, off, off), NewText: "," + d.Code}
		}
	}
	start := src.LineStart(p.Line)
	text := src.Line(p.Line)
	indent := text[:len(text)-len(strings.TrimLeft(text, " \t"))]
	comment := indent + fmt.Sprintf(IgnoreComment, d.Code, IgnoreReason) + "\n"
	return TextEdit{Range: toRange(src, start, start), NewText: comment}
}

// ignoreFileEdit adds code to the file's ignore-file directive, or inserts
// one at the top of the file.
func ignoreFileEdit(src *source.File, code string) TextEdit {
	for n := 1; n <= src.LineCount(); n++ {
		if at, ok := directiveListEnd(src.Line(n), ignoreFileDirective); ok {
			off := src.LineStart(n) + at
			return TextEdit{Range: toRange(src, off, off), NewText: "," + code}
		}
	}
	return TextEdit{NewText: fmt.Sprintf(IgnoreFileComment, code, IgnoreReason) + "\n"}
}

const (
	ignoreDirective     = "sbplc:ignore"
	ignoreFileDirective = "sbplc:ignore-file"
)

// directiveListEnd reports whether line is a comment holding directive (as
// package lint reads it: semicolons and blanks, the directive, a blank, an
// ID list) and returns the byte index just after the ID list.
func directiveListEnd(line, directive string) (int, bool) {
	i := 0
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	if i >= len(line) || line[i] != ';' {
		return 0, false
	}
	for i < len(line) && (line[i] == ';' || line[i] == ' ' || line[i] == '\t') {
		i++
	}
	if !strings.HasPrefix(line[i:], directive+" ") {
		return 0, false
	}
	i += len(directive) + 1
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	j := i
	for j < len(line) && line[j] != ' ' && line[j] != '\t' {
		j++
	}
	if j == i {
		return 0, false
	}
	return j, true
}

// insideToken reports whether off lies strictly inside a string or block
// comment of tree, where a comment line cannot be inserted.
func insideToken(tree *ast.File, off int) bool {
	for _, c := range tree.Comments {
		if c.Sp.Start < off && off < c.Sp.End {
			return true
		}
	}
	inside := false
	for _, f := range tree.Forms {
		ast.Walk(f, func(n ast.Node) bool {
			sp := n.Span()
			if inside || off <= sp.Start || off >= sp.End {
				return false
			}
			if _, ok := n.(*ast.String); ok {
				inside = true
			}
			return true
		})
	}
	return inside
}
