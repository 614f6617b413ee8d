package lint

import (
	"bytes"
	"strings"

	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/source"
)

// Fixes that add forms place them by the syntax tree: a new form goes
// between top-level forms, never inside a form (an (if ...) whose
// branches are rules, a (define ...) body), whose arity or meaning it
// would change. The new text keeps the file's newline style and the
// indentation of the form it goes next to.

// topLevelAt returns the top-level form of the user's file whose span
// contains byte offset at, or nil.
func (p *Pass) topLevelAt(at int) ast.Node {
	if p.File == nil || p.Src == nil {
		return nil
	}
	for _, n := range p.File.Forms {
		if sp := n.Span(); sp.File == p.Src && sp.Start <= at && at < sp.End {
			return n
		}
	}
	return nil
}

// newline is the file's line ending: "\r\n" when its first line ends so.
func (p *Pass) newline() string {
	t := p.Src.Text
	if i := bytes.IndexByte(t, '\n'); i > 0 && t[i-1] == '\r' { // not string(t): a copy of the file
		return "\r\n"
	}
	return "\n"
}

// lineStart returns the offset where the line holding off starts, and the
// indentation before off when only blanks precede it on that line.
func (p *Pass) lineStart(off int) (int, string, bool) {
	t := p.Src.Text
	ls := off
	for ls > 0 && t[ls-1] != '\n' {
		ls--
	}
	indent := string(t[ls:off])
	return ls, indent, strings.Trim(indent, " \t") == ""
}

// insertAfterTopLevel returns an edit that adds forms (complete top-level
// forms) after the top-level form of the user's file that encloses byte
// offset at: on lines of their own after that form's line (after a
// trailing comment), indented like the form. ok is false when at is not
// inside a top-level form of the file.
func (p *Pass) insertAfterTopLevel(at int, forms ...string) (diag.Edit, bool) {
	top := p.topLevelAt(at)
	if top == nil || len(forms) == 0 {
		return diag.Edit{}, false
	}
	sp := top.Span()
	t := p.Src.Text
	nl := p.newline()
	_, indent, blank := p.lineStart(sp.Start)
	if !blank {
		indent = ""
	}
	// The rest of the form's last line: blanks, then a comment or nothing.
	eol := sp.End
	for eol < len(t) && t[eol] != '\n' {
		eol++
	}
	rest := strings.TrimLeft(strings.TrimRight(string(t[sp.End:eol]), "\r"), " \t")
	if rest != "" && !strings.HasPrefix(rest, ";") && !strings.HasPrefix(rest, "//") {
		// More code on the same line: keep the line, add the forms to it.
		return diag.Edit{Span: source.Span{File: p.Src, Start: sp.End, End: sp.End}, NewText: " " + strings.Join(forms, " ")}, true
	}
	at = eol
	if eol > sp.End && t[eol-1] == '\r' && eol < len(t) {
		at = eol - 1
	}
	var b strings.Builder
	for _, f := range forms {
		b.WriteString(nl)
		b.WriteString(indent)
		b.WriteString(f)
	}
	return diag.Edit{Span: source.Span{File: p.Src, Start: at, End: at}, NewText: b.String()}, true
}

// insertBeforeTopLevel returns an edit that adds form (a complete
// top-level form) on a line of its own before the top-level form n of the
// user's file, indented like n.
func (p *Pass) insertBeforeTopLevel(n ast.Node, form string) diag.Edit {
	sp := n.Span()
	ls, indent, blank := p.lineStart(sp.Start)
	if !blank {
		// Something precedes n on its line (a block comment): insert
		// right before n.
		return diag.Edit{Span: source.Span{File: p.Src, Start: sp.Start, End: sp.Start}, NewText: form + " "}
	}
	return diag.Edit{Span: source.Span{File: p.Src, Start: ls, End: ls}, NewText: indent + form + p.newline()}
}
