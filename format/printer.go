package format

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/source"
)

// printer renders a tree. Indentation is written lazily, so no line ever
// ends in blanks and a column-1 comment can take over a line that so far
// holds only indentation.
type printer struct {
	src   *source.File
	text  []byte // src.Text, or nil
	width int

	buf       []byte
	col       int  // column after the last byte written on the current line
	lineEmpty bool // the current line holds nothing yet
	pending   int  // indentation to write before the next text on an empty line

	limit int  // output size limit (bytes)
	over  bool // the limit was reached; the output is incomplete
}

// outputLimit bounds the output for an input of n bytes. Formatting only
// changes whitespace, but deep nesting multiplies indentation; a hostile
// input must not make the printer allocate without bound.
func outputLimit(n int) int { return 8*n + 1<<20 }

func newPrinter(f *ast.File, opts Options) *printer {
	p := &printer{src: f.Src, width: opts.width(), lineEmpty: true, limit: outputLimit(0)}
	if f.Src != nil {
		p.limit = outputLimit(len(f.Src.Text))
		p.text = f.Src.Text
		p.buf = make([]byte, 0, len(p.text)+len(p.text)/8+16)
	}
	return p
}

// column is where the next text will start.
func (p *printer) column() int {
	if p.lineEmpty {
		return p.pending
	}
	return p.col
}

// write appends s on the current line (s may contain newlines when it is
// a multi-line string or comment written as it was).
func (p *printer) write(s string) {
	if s == "" {
		return
	}
	p.indent()
	p.buf = append(p.buf, s...)
	p.advance(s)
}

// writeBytes is write for source bytes.
func (p *printer) writeBytes(s []byte) {
	if len(s) == 0 {
		return
	}
	p.indent()
	p.buf = append(p.buf, s...)
	if i := bytes.LastIndexByte(s, '\n'); i >= 0 {
		p.col = utf8.RuneCount(s[i+1:])
	} else {
		p.col += utf8.RuneCount(s)
	}
}

// indent writes the pending indentation when the line is still empty, and
// checks the output limit.
func (p *printer) indent() {
	if len(p.buf) > p.limit {
		p.over = true
		p.buf = p.buf[:0]
	}
	if p.lineEmpty {
		for i := 0; i < p.pending; i++ {
			p.buf = append(p.buf, ' ')
		}
		p.col = p.pending
		p.lineEmpty = false
	}
}

func (p *printer) advance(s string) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '\n' {
			p.col = utf8.RuneCountInString(s[i+1:])
			return
		}
	}
	p.col += utf8.RuneCountInString(s)
}

// newline ends the current line (if it holds anything) and makes the next
// text start at column indent. With blank it also ensures one empty line
// (never at the start of the output, never two).
func (p *printer) newline(indent int, blank bool) {
	if !p.lineEmpty {
		p.buf = append(p.buf, '\n')
		p.lineEmpty = true
	}
	if blank && len(p.buf) > 0 && !hasSuffix(p.buf, "\n\n") {
		p.buf = append(p.buf, '\n')
	}
	p.pending = indent
}

func hasSuffix(b []byte, s string) bool {
	return len(b) >= len(s) && string(b[len(b)-len(s):]) == s
}

// inFile reports whether sp lies in the file being printed.
func (p *printer) inFile(sp source.Span) bool {
	return p.text != nil && sp.File == p.src && sp.Start >= 0 && sp.End <= len(p.text) && sp.Start <= sp.End
}

// blankBefore reports whether at least one empty line precedes offset off
// in the source (only whitespace between the previous token and off).
func (p *printer) blankBefore(sp source.Span) bool {
	if !p.inFile(sp) {
		return false
	}
	nl := 0
	for i := sp.Start - 1; i >= 0; i-- {
		switch p.text[i] {
		case '\n':
			nl++
			if nl >= 2 {
				return true
			}
		case ' ', '\t', '\r', '\f', '\v':
		default:
			return false
		}
	}
	return false
}

// startOf is the span of the first thing printed for n: its first leading
// comment, or n itself.
func startOf(n ast.Node) source.Span {
	if n.HasComments() {
		if t := n.Trivia(); len(t.Leading) > 0 {
			return t.Leading[0].Sp
		}
	}
	return n.Span()
}

func leading(n ast.Node) []*ast.Comment {
	if !n.HasComments() {
		return nil
	}
	return n.Trivia().Leading
}

func trailing(n ast.Node) []*ast.Comment {
	if !n.HasComments() {
		return nil
	}
	return n.Trivia().Trailing
}

// commentText is a comment as written. Line comments (";", "//" and
// preprocessor lines) lose trailing blanks, except that a preprocessor line
// ending in "\ " keeps one blank: without it the backslash would continue
// the directive onto the next line.
func (p *printer) commentText(c *ast.Comment) string {
	var s string
	if p.inFile(c.Sp) {
		s = string(p.text[c.Sp.Start:c.Sp.End])
	} else {
		s = c.Text()
	}
	switch c.Kind {
	case ast.LineComment, ast.SlashComment, ast.CppLine:
		t := strings.TrimRight(s, " \t\r\f\v")
		if c.Kind == ast.CppLine && strings.HasSuffix(t, "\\") && len(t) < len(s) {
			t += " "
		}
		s = t
	}
	return s
}

// atColumn1 reports whether the comment is printed at column 1 whatever
// the indentation: preprocessor lines, which the reader only recognises at
// the start of a line, and // comments, which WebKit's .sb.in files keep
// there.
func atColumn1(c *ast.Comment) bool { return c.Kind == ast.CppLine || c.Kind == ast.SlashComment }

// comment prints a comment that stands on its own line(s); afterwards the
// next text goes on a new line at column indent.
func (p *printer) comment(c *ast.Comment, indent int) {
	text := p.commentText(c)
	if atColumn1(c) {
		if !p.lineEmpty {
			p.buf = append(p.buf, '\n')
		}
		p.buf = append(p.buf, text...)
		p.lineEmpty = false
		p.col = 0
		p.advance(text)
	} else {
		p.write(text)
	}
	p.newline(indent, false)
}

// leadingComments prints n's leading comments; n then starts at indent.
func (p *printer) leadingComments(n ast.Node, indent int) {
	lead := leading(n)
	for i, c := range lead {
		if i > 0 {
			p.newline(indent, p.blankBefore(c.Sp))
		}
		p.comment(c, indent)
	}
	if len(lead) > 0 {
		p.newline(indent, p.blankBefore(n.Span()))
	}
}

// trailingComments prints n's trailing comments on the current line and
// reports whether there were any (the line must then end).
func (p *printer) trailingComments(n ast.Node) bool {
	tr := trailing(n)
	for _, c := range tr {
		p.write(" ")
		p.write(p.commentText(c))
	}
	return len(tr) > 0
}

// item prints n with its comments; indent is n's column (for the lines
// after leading comments). It reports whether trailing comments were
// printed.
func (p *printer) item(n ast.Node, indent, trail int) bool {
	p.leadingComments(n, indent)
	p.node(n, trail)
	return p.trailingComments(n)
}

// file prints the whole file.
func (p *printer) file(f *ast.File) {
	for i, n := range f.Forms {
		if n == nil {
			continue
		}
		if i > 0 {
			p.newline(0, p.blankBefore(startOf(n)))
		}
		p.item(n, 0, 0)
	}
	for _, c := range f.Trailing {
		p.newline(0, p.blankBefore(c.Sp))
		p.comment(c, 0)
	}
	if !p.lineEmpty {
		p.buf = append(p.buf, '\n')
		p.lineEmpty = true
	}
	// A preprocessor line can only end in "\" at the end of the input: a
	// newline after it would continue the directive, so leave it off.
	if n := len(f.Trailing); n > 0 && f.Trailing[n-1].Kind == ast.CppLine &&
		strings.HasSuffix(p.commentText(f.Trailing[n-1]), "\\") && hasSuffix(p.buf, "\\\n") {
		p.buf = p.buf[:len(p.buf)-1]
	}
}

// atomBytes is the spelling of an atom: its source text when it has one.
func (p *printer) atomBytes(n ast.Node) []byte {
	if sp := n.Span(); p.inFile(sp) {
		return p.text[sp.Start:sp.End]
	}
	return []byte(ast.Datum(n))
}

func isAtom(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.List:
		return false
	case *ast.Quote:
		return n.X != nil && isAtom(n.X)
	}
	return true
}

// node prints n (without its own comments). trail is the number of columns
// that will follow n on its last line (closing parentheses).
func (p *printer) node(n ast.Node, trail int) {
	switch n := n.(type) {
	case *ast.List:
		p.list(n, trail)
	case *ast.Quote:
		p.write(n.Kind.Mark())
		if n.X != nil {
			p.leadingComments(n.X, p.column())
			p.node(n.X, trail)
		}
	case nil:
	default:
		p.writeBytes(p.atomBytes(n))
	}
}

// flatWidth is the width of n printed on one line, or -1 when that is
// more than budget or n must be broken (it holds a comment, a blank line, a
// multi-line atom, or a body of two or more forms). The scan stops once the
// budget is spent, so trying a big form costs no more than one line.
func (p *printer) flatWidth(n ast.Node, budget int) int {
	if budget < 0 {
		return -1
	}
	switch n := n.(type) {
	case *ast.List:
		if len(n.Dangling()) > 0 || forcedBreak(n) {
			return -1
		}
		w := 2
		if n.Vector {
			w = 3
		}
		for i, e := range n.Elems {
			if e == nil || e.HasComments() || (i > 0 && p.blankBefore(e.Span())) {
				return -1
			}
			if i > 0 {
				w++
			}
			ew := p.flatWidth(e, budget-w)
			if ew < 0 {
				return -1
			}
			w += ew
		}
		if t := n.Tail(); t != nil {
			if t.HasComments() {
				return -1
			}
			w += 3
			tw := p.flatWidth(t, budget-w)
			if tw < 0 {
				return -1
			}
			w += tw
		}
		if w > budget {
			return -1
		}
		return w
	case *ast.Quote:
		m := len(n.Kind.Mark())
		if n.X == nil {
			return m
		}
		if n.X.HasComments() {
			return -1
		}
		xw := p.flatWidth(n.X, budget-m)
		if xw < 0 {
			return -1
		}
		return m + xw
	case nil:
		return 0
	default:
		s := p.atomBytes(n)
		if len(s) > 4*(budget+1) {
			return -1 // cannot fit even as 4-byte runes
		}
		for _, c := range s {
			if c == '\n' || c == '\r' {
				return -1
			}
		}
		if w := utf8.RuneCount(s); w <= budget {
			return w
		}
		return -1
	}
}

// flatNode prints n on one line; flatWidth(n, ...) must be >= 0.
func (p *printer) flatNode(n ast.Node) {
	switch n := n.(type) {
	case *ast.List:
		if n.Vector {
			p.write("#(")
		} else {
			p.write("(")
		}
		for i, e := range n.Elems {
			if i > 0 {
				p.write(" ")
			}
			p.flatNode(e)
		}
		if n.Tail() != nil {
			p.write(" . ")
			p.flatNode(n.Tail())
		}
		p.write(")")
	case *ast.Quote:
		p.write(n.Kind.Mark())
		if n.X != nil {
			p.flatNode(n.X)
		}
	case nil:
	default:
		p.writeBytes(p.atomBytes(n))
	}
}

// list prints a list, on one line when it fits.
func (p *printer) list(l *ast.List, trail int) {
	c := p.column()
	if p.flatWidth(l, p.width-c-trail) >= 0 {
		p.flatNode(l)
		return
	}
	open := "("
	if l.Vector {
		open = "#("
	}
	p.write(open)
	// broke reports whether the line must end before the next element
	// (the previous one had a trailing comment).
	broke := false
	bodyIndent := c + len(open)
	// lastTrail is the trail of element i: the closing parenthesis follows
	// the last element unless comments come between.
	lastTrail := func(i int) int {
		if i == len(l.Elems)-1 && l.Tail() == nil && len(l.Dangling()) == 0 {
			return trail + 1
		}
		return 0
	}
	if len(l.Elems) > 0 {
		head, isSym := l.Elems[0].(*ast.Symbol)
		if isSym && !l.Vector {
			bodyIndent = c + IndentWidth
			broke = p.item(head, c+len(open), lastTrail(0))
			i := 1
			if !broke {
				i, broke = p.header(l, head.Name, lastTrail)
			}
			for ; i < len(l.Elems); i++ {
				e := l.Elems[i]
				p.newline(bodyIndent, p.blankBefore(startOf(e)))
				broke = p.item(e, bodyIndent, lastTrail(i))
			}
		} else {
			for i, e := range l.Elems {
				if i > 0 {
					p.newline(bodyIndent, p.blankBefore(startOf(e)))
				}
				broke = p.item(e, bodyIndent, lastTrail(i))
			}
		}
	}
	if t := l.Tail(); t != nil {
		// ". tail" on its own line, after the tail's leading comments.
		// Blank lines are kept only before those comments: next to the
		// dot they would not survive a second pass.
		p.newline(bodyIndent, len(leading(t)) > 0 && p.blankBefore(startOf(t)))
		for i, cm := range leading(t) {
			if i > 0 {
				p.newline(bodyIndent, p.blankBefore(cm.Sp))
			}
			p.comment(cm, bodyIndent)
		}
		p.write(". ")
		p.node(t, trail+1)
		broke = p.trailingComments(t)
	}
	for i, cm := range l.Dangling() {
		// comments before ")" always stand on their own lines
		p.newline(bodyIndent, (i > 0 || len(l.Elems) > 0) && p.blankBefore(cm.Sp))
		p.comment(cm, bodyIndent)
		broke = true
	}
	if broke {
		p.newline(c, false)
	}
	p.write(")")
}

// header prints the elements that share the head's line and returns the
// index of the first body element, and whether the line must end.
func (p *printer) header(l *ast.List, head string, lastTrail func(int) int) (int, bool) {
	n, fixed := headerCount(head, l)
	argCol := -1
	prevMulti := false
	i := 1
	for ; i < len(l.Elems); i++ {
		e := l.Elems[i]
		if len(leading(e)) > 0 || p.blankBefore(e.Span()) {
			break // comments and blank lines start the body
		}
		if fixed {
			if i > n {
				break
			}
		} else if !isAtom(e) {
			break
		}
		t := lastTrail(i)
		switch {
		case argCol < 0:
			p.write(" ")
			argCol = p.column()
		case fixed && !prevMulti:
			p.write(" ")
		case !fixed && p.flatWidth(e, p.width-p.column()-1-t) >= 0:
			p.write(" ")
		default:
			p.newline(argCol, false)
		}
		start := len(p.buf)
		p.node(e, t)
		prevMulti = bytes.IndexByte(p.buf[start:], '\n') >= 0
		if p.trailingComments(e) {
			return i + 1, true
		}
	}
	return i, false
}

// headerCount returns how many elements after the head of a special form
// stay on the head's line (fixed = true), or fixed = false for calls and
// rules, whose leading atoms fill the head line.
func headerCount(head string, l *ast.List) (int, bool) {
	switch head {
	case "define", "define-macro", "defmacro", "set!", "lambda", "if", "when", "unless", "case",
		"let*", "letrec", "letrec*", "let-values", "let*-values", "fluid-let", "with-filter":
		return 1, true
	case "let":
		if len(l.Elems) > 1 {
			if _, ok := l.Elems[1].(*ast.Symbol); ok {
				return 2, true // named let
			}
		}
		return 1, true
	case "do", "named-lambda":
		return 2, true
	case "begin", "cond":
		return 0, true
	}
	return 0, false
}

// forcedBreak reports whether a special form has a body of two or more
// forms (or clauses), or is an if with an else branch where a branch is
// a list: those are never printed on one line.
func forcedBreak(l *ast.List) bool {
	if l.Vector || len(l.Elems) == 0 {
		return false
	}
	head, ok := l.Elems[0].(*ast.Symbol)
	if !ok {
		return false
	}
	body := -1 // index of the first body form
	switch head.Name {
	case "define", "define-macro", "defmacro":
		if len(l.Elems) > 1 {
			if _, isList := l.Elems[1].(*ast.List); isList {
				body = 2
			}
		}
	case "lambda", "when", "unless", "let*", "letrec", "letrec*", "fluid-let", "case":
		body = 2
	case "let":
		body = 2
		if len(l.Elems) > 1 {
			if _, ok := l.Elems[1].(*ast.Symbol); ok {
				body = 3
			}
		}
	case "begin", "cond":
		body = 1
	case "do":
		body = 3
	case "if":
		if len(l.Elems) == 4 {
			_, thenList := l.Elems[2].(*ast.List)
			_, elseList := l.Elems[3].(*ast.List)
			return thenList || elseList
		}
	}
	return body > 0 && len(l.Elems)-body >= 2
}
