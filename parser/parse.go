// Package parser reads SBPL source into an ast.File.
//
// The parser is fault tolerant by construction: a hand-written total lexer
// (error tokens instead of failures, balanced parentheses with recovery) feeds
// a participle grammar that accepts every token stream. Syntax problems are
// reported as diagnostics and the tree built so far is always returned, so the
// editor and the linter can keep working on broken input. Participle types
// never leave this package.
//
// Stages: lex (tokens, comments and lexical errors) → balance (stray ")"
// and unclosed lists, with recovery at the next "(" in column 1) →
// limitDepth (bounds nesting, after recovery so that many unclosed forms do
// not count as deep nesting) → participle (the top-level sequence; see grammar.go
// for why lists are read by hand on the production path) → converter (ast
// nodes, string escapes, numbers, dotted pairs) → attachComments (trivia).
//
// Limits: MaxInputSize bytes of input, MaxDepth levels of nesting and
// MaxErrors reported errors per file (errors past the first MaxErrors+1 are
// counted, never formatted or stored; see errSink). Every stage runs in time
// linear in the input, and none recurses deeper than MaxDepth. A run of
// adjacent stray ")" or too-deep "(" becomes one error atom, so 5 MB of
// either parses in a fraction of a second (TestPathologicalLarge).
package parser

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/alecthomas/participle/v2"
	plexer "github.com/alecthomas/participle/v2/lexer"

	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/source"
)

// MaxInputSize is the largest input the parser accepts (16 MiB). Real
// profiles are kilobytes; the limit keeps hostile inputs from exhausting memory.
const MaxInputSize = 16 << 20

// MaxDepth bounds the nesting of lists and quote marks: a "(" or quote mark
// that would nest a datum deeper is reported and read as an error atom.
const MaxDepth = 1000

// MaxErrors is the number of syntax errors reported per file; the rest are
// summarised in one more diagnostic. The tree still covers the whole file.
const MaxErrors = 100

// Parse parses one file. It never panics and always returns a non-nil File.
func Parse(f *source.File) (file *ast.File, diags diag.List) {
	return parse(f, false)
}

// ParseDeclarative parses with the all-participle reference grammar instead
// of the hand-written list reader. It gives the same tree and diagnostics as
// Parse, about 25 times slower, and exists for differential testing.
func ParseDeclarative(f *source.File) (*ast.File, diag.List) {
	return parse(f, true)
}

func parse(f *source.File, declarative bool) (file *ast.File, diags diag.List) {
	file = &ast.File{Src: f}
	defer func() {
		if r := recover(); r != nil {
			diags.Add(diag.Diagnostic{Severity: diag.Error, Code: "internal-error",
				Span:    source.Span{File: f},
				Message: fmt.Sprintf("internal parser error: %v (please report this)", r)})
		}
	}()
	if len(f.Text) > MaxInputSize {
		diags.Errorf(source.Span{File: f}, "input-too-large", "input is %d bytes; the limit is %d bytes", len(f.Text), MaxInputSize)
		return file, diags
	}
	sink := newErrSink(MaxErrors + 1)
	buf := getTokens(tokenEstimate(f.Text))
	lx := &lexState{src: f.Text, file: f, toks: *buf, runaway: -1, sink: sink}
	defer func() { putTokens(buf, lx.toks) }()
	lx.lex()
	lx.balance()
	lx.limitDepth()

	// Token values and node strings are substrings of text, which shares
	// the file's bytes: source.File text is never modified after NewFile.
	text := unsafe.String(unsafe.SliceData(f.Text), len(f.Text))
	c := &converter{file: f, text: text, toks: lx.toks, sink: sink}
	c.sizeSlabs()
	var err error
	if declarative {
		ptoks := make([]plexer.Token, len(lx.toks))
		for i, t := range lx.toks {
			ptoks[i] = plexer.Token{Type: t.typ, Value: text[t.start:t.end], Pos: plexer.Position{Offset: t.start, Column: t.end}}
		}
		var g *gFile
		g, err = parseTokens(declGrammar(), ptoks)
		if g != nil {
			for _, it := range g.Items {
				file.Forms = append(file.Forms, c.node(it, 0))
			}
		}
	} else {
		var g *gFastFile
		top, nodes := lx.topTokens(text)
		g, err = parseTokens(fastGrammar(), top)
		if g != nil {
			file.Forms = make([]ast.Node, 0, nodes)
			for _, t := range g.Items.toks {
				for i := t.Pos.Line; i < t.Pos.Column; {
					var n ast.Node
					n, i = c.read(i, 0)
					file.Forms = append(file.Forms, n)
				}
			}
		}
	}
	diags = sink.result(MaxErrors)
	if err != nil {
		// Cannot happen with a balanced token stream; keep what was built.
		diags.Errorf(source.Span{File: f}, "internal-error", "internal parser error: %v (please report this)", err)
	}
	file.Comments = lx.comments
	attachComments(file)
	file.Clean = !diags.HasErrors()
	return file, diags
}

// tokenPool recycles token buffers between parses: tokens are only needed
// while the tree is built (nodes copy their offsets), and the buffer is the
// largest allocation of a parse. Buffers above maxPooledTokens are dropped
// so that one huge input does not pin its buffer.
var tokenPool sync.Pool

const maxPooledTokens = 1 << 20

// getTokens returns an empty token buffer with room for at least n tokens.
func getTokens(n int) *[]token {
	if b, ok := tokenPool.Get().(*[]token); ok && cap(*b) >= n {
		*b = (*b)[:0]
		return b
	}
	b := make([]token, 0, n)
	return &b
}

// putTokens returns the buffer behind toks (the lexer's final slice, which
// may have been reallocated) to the pool.
func putTokens(b *[]token, toks []token) {
	if cap(toks) > maxPooledTokens {
		return
	}
	*b = toks[:0]
	tokenPool.Put(b)
}

// tokenEstimate guesses the number of tokens in src, so that the token
// slice rarely grows: about one per eight bytes of ordinary profile text,
// plus one per parenthesis and quote mark (counting them is fast), which
// covers inputs made of little else.
func tokenEstimate(src []byte) int {
	n := len(src)/8 + 8
	for _, c := range []byte("()'") {
		n += bytes.Count(src, []byte{c})
	}
	// No more tokens than bytes, plus room for the Missing tokens that
	// balance appends at the end (at most MaxDepth).
	return min(n, len(src)) + MaxDepth + 8
}

// parseTokens runs a participle grammar over a pre-lexed token slice.
func parseTokens[G any](p *participle.Parser[G], toks []plexer.Token) (*G, error) {
	peek, err := plexer.Upgrade(&sliceLexer{toks: toks})
	if err != nil {
		return nil, err
	}
	return p.ParseFromLexer(peek)
}

// topTokens groups the balanced token stream into participle tokens, each
// covering a run of up to formsPerToken top-level data (a list, a quote form
// or an atom). Its Pos.Line and Pos.Column hold the run's index range in
// lx.toks, and it returns the number of top-level data. Grouping keeps
// participle's per-token cost (several words copied per token, three times)
// from dominating inputs made of millions of tiny top-level data, such as
// five megabytes of stray ")".
func (lx *lexState) topTokens(text string) ([]plexer.Token, int) {
	toks := lx.toks
	out := make([]plexer.Token, 0, 16)
	nodes := 0
	for i := 0; i < len(toks); {
		first, k := i, 0
		for ; k < formsPerToken && i < len(toks); k++ {
			j := skipNode(toks, i)
			if j <= i { // cannot happen: at depth 0 every token starts a node
				j = i + 1
			}
			i = j
		}
		nodes += k
		out = append(out, plexer.Token{Type: tForm, Value: text[toks[first].start:toks[i-1].end],
			Pos: plexer.Position{Offset: toks[first].start, Line: first, Column: i}})
	}
	return out, nodes
}

// formsPerToken is the number of top-level data per participle token.
const formsPerToken = 64

// skipNode returns the index just past the Node starting at toks[i], by the
// grammar's rules: a quote mark takes the following node if there is one,
// and a list runs to its ")" or Missing token.
func skipNode(toks []token, i int) int {
	for i < len(toks) && isQuoteTok(toks[i].typ) {
		i++
		if i >= len(toks) || !startsNode(toks[i].typ) {
			return i
		}
	}
	if i >= len(toks) {
		return i
	}
	if t := toks[i].typ; t != tLParen && t != tVecOpen {
		return i + 1
	}
	d := 0
	for ; i < len(toks); i++ {
		switch toks[i].typ {
		case tLParen, tVecOpen:
			d++
		case tRParen, tMissing:
			d--
			if d == 0 {
				return i + 1
			}
		}
	}
	return i
}

// ParseString is a convenience for tests and tools.
func ParseString(name, text string) (*ast.File, diag.List) {
	return Parse(source.NewFile(name, []byte(text)))
}

// limitDepth bounds the depth of the tree: a "(" or quote mark that would
// nest a datum more than MaxDepth deep becomes an error token (a ")" that
// matched such a "(" too, and its Missing token is dropped), so that every
// later recursive pass is bounded. It runs on the balanced stream.
func (lx *lexState) limitDepth() {
	quotes, depth, maxDepth := 0, 0, 0
	for _, t := range lx.toks {
		switch t.typ {
		case tLParen, tVecOpen:
			depth++
			maxDepth = max(maxDepth, depth)
		case tRParen, tMissing:
			depth = max(depth-1, 0)
		case tQuote, tQuasi, tUnquote, tSplice:
			quotes++
		}
	}
	if maxDepth+quotes <= MaxDepth {
		return // the common case: no datum can be too deep
	}
	var stack []int // for each open list: 1 + the quote marks applying to it
	base, pending, suppressed := 0, 0, 0
	const (
		keep = iota
		deep // made an error atom here
		drop // the Missing token of a list made an error atom
	)
	mark := make([]uint8, len(lx.toks))
	tooDeep := func(i int) {
		t := &lx.toks[i]
		lx.reportDeep(t.start, t.end)
		t.typ = tError
		mark[i] = deep
		pending = 0 // an error token is an atom: it ends the quote chain
	}
	for i, t := range lx.toks {
		switch t.typ {
		case tQuote, tQuasi, tUnquote, tSplice:
			if base+pending+1 > MaxDepth {
				tooDeep(i)
				continue
			}
			pending++
		case tLParen, tVecOpen:
			if base+pending+1 > MaxDepth {
				tooDeep(i)
				suppressed++
				continue
			}
			stack = append(stack, pending+1)
			base += pending + 1
			pending = 0
		case tRParen, tMissing:
			switch {
			case suppressed > 0:
				suppressed--
				if t.typ == tMissing {
					mark[i] = drop
				} else {
					tooDeep(i)
				}
			case len(stack) > 0:
				base -= stack[len(stack)-1]
				stack = stack[:len(stack)-1]
			}
			pending = 0
		default:
			pending = 0
		}
	}
	out := lx.toks[:0]
	kept := mark[:0] // reuses mark: index k of kept is never ahead of i
	for i, t := range lx.toks {
		if m := mark[i]; m != drop {
			out = append(out, t)
			kept = append(kept, m)
		}
	}
	lx.toks = mergeRuns(out, func(i int) bool { return kept[i] == deep })
}

// mergeRuns joins each run of adjacent tokens (no bytes between them) for
// which marked holds into one token of the first one's type, in place. A
// run of five million stray ")" or too-deep "(" then becomes one error atom
// in the tree instead of five million.
func mergeRuns(toks []token, marked func(i int) bool) []token {
	out := toks[:0]
	prevMarked := false
	for i, t := range toks {
		m := marked(i)
		if m && prevMarked && len(out) > 0 && out[len(out)-1].end == t.start {
			out[len(out)-1].end = t.end
			continue
		}
		out = append(out, t)
		prevMarked = m
	}
	return out
}

var quoteKinds = map[plexer.TokenType]ast.QuoteKind{tQuote: ast.QuoteQ, tQuasi: ast.QuasiQ, tUnquote: ast.UnquoteQ, tSplice: ast.UnquoteSplicingQ}

// converter builds ast nodes, either from the declarative parse tree (node)
// or directly from the lexer's tokens (read).
type converter struct {
	file  *source.File
	text  string
	toks  []token
	sink  *errSink
	stack []ast.Node // scratch space for list elements while reading

	// Slabs: nodes are carved out of chunks to save allocations.
	elemSlab  []ast.Node
	symSlab   []ast.Symbol
	listSlab  []ast.List
	strSlab   []ast.String
	badSlab   []ast.Bad
	quoteSlab []ast.Quote
}

const slabSize = 128

// sizeSlabs allocates the node slabs once, sized from the token counts: a
// list per "(", a symbol per symbol token, and at most one list element per
// token that can start a datum.
func (c *converter) sizeSlabs() {
	lists, syms, strs, bads, quotes, elems := 0, 0, 0, 0, 0, 0
	for _, t := range c.toks {
		switch t.typ {
		case tLParen, tVecOpen:
			lists++
		case tSymbol:
			syms++
		case tString, tRawString, tUnterminated:
			strs++
		case tStray, tError:
			bads++
		case tQuote, tQuasi, tUnquote, tSplice:
			quotes++
		}
		if t.typ != tRParen && t.typ != tMissing {
			elems++
		}
	}
	c.listSlab = make([]ast.List, lists)
	c.symSlab = make([]ast.Symbol, syms)
	c.strSlab = make([]ast.String, strs)
	c.badSlab = make([]ast.Bad, bads)
	c.quoteSlab = make([]ast.Quote, quotes)
	c.elemSlab = make([]ast.Node, elems)
}

// elems returns a slice of n elements for a list.
func (c *converter) elems(n int) []ast.Node {
	if n == 0 {
		return nil
	}
	if n > slabSize/4 {
		return make([]ast.Node, n)
	}
	if len(c.elemSlab) < n {
		c.elemSlab = make([]ast.Node, 4*slabSize)
	}
	e := c.elemSlab[:n:n]
	c.elemSlab = c.elemSlab[n:]
	return e
}

func (c *converter) newSymbol(sp source.Span, name string) *ast.Symbol {
	if len(c.symSlab) == 0 {
		c.symSlab = make([]ast.Symbol, slabSize)
	}
	s := &c.symSlab[0]
	c.symSlab = c.symSlab[1:]
	// Slab nodes are zero: set the non-zero fields only (fewer write
	// barriers than a struct copy while the collector runs).
	s.Sp, s.Name = sp, name
	return s
}

func (c *converter) newList(sp source.Span) *ast.List {
	if len(c.listSlab) == 0 {
		c.listSlab = make([]ast.List, slabSize/2)
	}
	l := &c.listSlab[0]
	c.listSlab = c.listSlab[1:]
	l.Sp, l.Closed = sp, true
	return l
}

func (c *converter) newString(sp source.Span, v string, raw bool) *ast.String {
	if len(c.strSlab) == 0 {
		c.strSlab = make([]ast.String, slabSize/2)
	}
	s := &c.strSlab[0]
	c.strSlab = c.strSlab[1:]
	s.Sp, s.Value, s.Raw = sp, v, raw
	return s
}

func (c *converter) newBad(sp source.Span, text string) *ast.Bad {
	if len(c.badSlab) == 0 {
		c.badSlab = make([]ast.Bad, slabSize)
	}
	b := &c.badSlab[0]
	c.badSlab = c.badSlab[1:]
	*b = *ast.NewBad(sp, text)
	return b
}

func (c *converter) span(a, b int) source.Span { return source.Span{File: c.file, Start: a, End: b} }

func tokEnd(t plexer.Token) int { return t.Pos.Column }

// node converts one declarative grammar node.
func (c *converter) node(g *gNode, depth int) ast.Node {
	switch {
	case g.List != nil:
		l := g.List
		var dots []source.Span
		elems := make([]ast.Node, 0, len(l.Items))
		for _, it := range l.Items {
			if it.List == nil && it.Quote == nil && it.Atom.Type == tDot {
				elems = append(elems, nil) // marker for the dot, resolved by finishList
				dots = append(dots, c.span(it.Atom.Pos.Offset, tokEnd(it.Atom)))
				continue
			}
			elems = append(elems, c.node(it, depth+1))
		}
		return c.finishList(l.Open.Type, l.Open.Pos.Offset, tokEnd(l.Open), l.Close.Type == tRParen, tokEnd(l.Close), elems, dots)
	case g.Quote != nil:
		q := g.Quote
		var x ast.Node
		if q.X != nil {
			x = c.node(q.X, depth+1)
		}
		return c.quote(q.Mark.Type, q.Mark.Pos.Offset, tokEnd(q.Mark), x)
	}
	return c.atom(token{g.Atom.Type, g.Atom.Pos.Offset, tokEnd(g.Atom)})
}

// read converts the node starting at c.toks[i] and returns the index after it.
func (c *converter) read(i, depth int) (ast.Node, int) {
	t := c.toks[i]
	switch {
	case t.typ == tLParen || t.typ == tVecOpen:
		i++
		mark := len(c.stack)
		var dots []source.Span
		closed, closeEnd := false, len(c.text)
		for {
			if i >= len(c.toks) { // cannot happen: the lexer balances lists
				break
			}
			e := c.toks[i]
			if e.typ == tRParen || e.typ == tMissing {
				closed, closeEnd = e.typ == tRParen, e.end
				i++
				break
			}
			if e.typ == tDot {
				c.stack = append(c.stack, nil)
				dots = append(dots, c.span(e.start, e.end))
				i++
				continue
			}
			var n ast.Node
			n, i = c.read(i, depth+1)
			c.stack = append(c.stack, n)
		}
		elems := c.elems(len(c.stack) - mark)
		copy(elems, c.stack[mark:])
		clear(c.stack[mark:])
		c.stack = c.stack[:mark]
		return c.finishList(t.typ, t.start, t.end, closed, closeEnd, elems, dots), i
	case isQuoteTok(t.typ):
		i++
		var x ast.Node
		if i < len(c.toks) && startsNode(c.toks[i].typ) {
			x, i = c.read(i, depth+1)
		}
		return c.quote(t.typ, t.start, t.end, x), i
	}
	return c.atom(t), i + 1
}

// quote builds a quote form; x is nil when the mark has no datum.
func (c *converter) quote(mark plexer.TokenType, start, markEnd int, x ast.Node) ast.Node {
	kind := quoteKinds[mark]
	end := markEnd
	if x != nil {
		end = x.Span().End
	} else {
		c.sink.errorf(c.span(start, markEnd), "syntax-error", "%q must be followed by a datum", kind.Mark())
	}
	if len(c.quoteSlab) == 0 {
		c.quoteSlab = make([]ast.Quote, slabSize)
	}
	q := &c.quoteSlab[0]
	c.quoteSlab = c.quoteSlab[1:]
	*q = *ast.NewQuote(c.span(start, end), kind, x)
	return q
}

// finishList builds a list from its elements, where a nil element marks a
// "." (dots holds their spans in order). An unclosed list's span ends at its
// last element.
func (c *converter) finishList(open plexer.TokenType, start, openEnd int, closed bool, closeEnd int, elems []ast.Node, dots []source.Span) ast.Node {
	l := c.newList(c.span(start, closeEnd))
	l.Vector = open == tVecOpen
	l.Closed = closed
	if len(dots) > 0 {
		// (a b . c) is legal; anything else is reported.
		dotAt := -1
		for i, e := range elems {
			if e == nil {
				dotAt = i
				break
			}
		}
		if len(dots) == 1 && dotAt > 0 && dotAt == len(elems)-2 && !l.Vector {
			l.Tail = elems[dotAt+1]
			elems = elems[:dotAt]
		} else {
			k := 0
			for i, e := range elems {
				if e == nil {
					elems[i] = ast.NewBad(dots[k], ".")
					c.sink.errorf(dots[k], "syntax-error", "misplaced '.': a dotted pair needs one datum after the dot, as in (a . b)")
					k++
				}
			}
		}
	}
	l.Elems = elems
	if !closed {
		end := openEnd
		for _, e := range elems {
			end = max(end, e.Span().End)
		}
		if l.Tail != nil {
			end = max(end, l.Tail.Span().End)
		}
		l.Sp.End = end
	}
	return l
}

func (c *converter) atom(t token) ast.Node {
	start, end := t.start, t.end
	sp := c.span(start, end)
	text := c.text[start:end]
	switch t.typ {
	case tSymbol:
		return c.newSymbol(sp, text)
	case tNumber:
		return c.number(sp, text)
	case tString:
		return c.str(sp, text[1:len(text)-1], start+1, false)
	case tRawString:
		return c.newString(sp, text[2:len(text)-1], true)
	case tUnterminated:
		raw := strings.HasPrefix(text, "#\"")
		var s *ast.String
		if raw {
			s = c.newString(sp, text[2:], true)
		} else {
			s = c.str(sp, text[1:], start+1, false)
		}
		s.Unterminated = true
		return s
	case tBool:
		return ast.NewBool(sp, strings.EqualFold(text, "#t") || strings.EqualFold(text, "#true"))
	case tChar:
		return c.char(sp, text)
	case tDot:
		c.sink.errorf(sp, "syntax-error", "misplaced '.' outside a list")
		return ast.NewBad(sp, text)
	}
	return c.newBad(sp, text) // tStray, tError: already reported by the lexer
}

func (c *converter) number(sp source.Span, text string) ast.Node {
	n := ast.NewNumber(sp, text, 0)
	body, base := text, 10
	if strings.HasPrefix(text, "#") && len(text) >= 2 {
		switch text[1] {
		case 'x', 'X':
			base = 16
		case 'o', 'O':
			base = 8
		case 'b', 'B':
			base = 2
		case 'd', 'D':
			base = 10
		case 'e', 'E', 'i', 'I':
			base = 10
		}
		body = text[2:]
	}
	if v, err := strconv.ParseInt(body, base, 64); err == nil {
		n.Int = v
		return n
	}
	if base == 10 && looksNumeric([]byte(body)) { // not "nan", "inf" or Go's hex floats
		if f, err := strconv.ParseFloat(body, 64); err == nil && !math.IsInf(f, 0) {
			n.IsFloat, n.Float = true, f
			return n
		}
		c.sink.errorf(sp, "syntax-error", "number %s is out of range", text)
		return ast.NewBad(sp, text)
	}
	if digitsOK(body, base) {
		c.sink.errorf(sp, "syntax-error", "number %s does not fit in 64 bits", text)
	} else {
		c.sink.errorf(sp, "syntax-error", "invalid number %q: expected %s", text, radixNames[base])
	}
	return ast.NewBad(sp, text)
}

var radixNames = map[int]string{
	2:  "binary digits (0-1) after #b",
	8:  "octal digits (0-7) after #o",
	10: "a decimal number",
	16: "hexadecimal digits (0-9, a-f) after #x",
}

// digitsOK reports whether body is an optionally signed, non-empty run of
// digits of base (so a ParseInt failure means overflow).
func digitsOK(body string, base int) bool {
	if body != "" && (body[0] == '+' || body[0] == '-') {
		body = body[1:]
	}
	if body == "" {
		return false
	}
	for i := 0; i < len(body); i++ {
		d := 99
		switch c := body[i]; {
		case c >= '0' && c <= '9':
			d = int(c - '0')
		case c >= 'a' && c <= 'z':
			d = int(c-'a') + 10
		case c >= 'A' && c <= 'Z':
			d = int(c-'A') + 10
		}
		if d >= base {
			return false
		}
	}
	return true
}

var namedChars = map[string]rune{
	"space": ' ', "newline": '\n', "tab": '\t', "nul": 0, "null": 0, "return": '\r',
	"linefeed": '\n', "altmode": 27, "escape": 27, "backspace": 8, "delete": 127, "alarm": 7,
}

func (c *converter) char(sp source.Span, text string) ast.Node {
	body := text[2:]
	r, size := utf8.DecodeRuneInString(body)
	if size == len(body) {
		return ast.NewChar(sp, r)
	}
	if v, ok := namedChars[strings.ToLower(body)]; ok {
		return ast.NewChar(sp, v)
	}
	if (body[0] == 'x' || body[0] == 'X') && len(body) > 1 {
		if v, err := strconv.ParseUint(body[1:], 16, 32); err == nil && v <= utf8.MaxRune {
			return ast.NewChar(sp, rune(v))
		}
	}
	c.sink.errorf(sp, "syntax-error", "unknown character name %s: write one character, a name such as #\\space, #\\newline or #\\tab, or #\\xHH", text)
	return ast.NewBad(sp, text)
}

// str decodes an ordinary string body with TinyScheme escape semantics:
// \" \\ \n \t \r and \xNN; are escapes; any other backslash is dropped and
// the character kept (recorded so the linter can flag it).
func (c *converter) str(sp source.Span, body string, bodyOff int, raw bool) *ast.String {
	if strings.IndexByte(body, '\\') < 0 {
		return c.newString(sp, body, raw)
	}
	var b strings.Builder
	b.Grow(len(body))
	escs := make([]ast.Escape, 0, strings.Count(body, `\`))
	for i := 0; i < len(body); i++ {
		ch := body[i]
		if ch != '\\' {
			b.WriteByte(ch)
			continue
		}
		if i+1 >= len(body) {
			escs = append(escs, ast.Escape{Offset: bodyOff + i, Seq: `\`})
			break
		}
		n := body[i+1]
		switch n {
		case '"', '\\':
			b.WriteByte(n)
			escs = append(escs, ast.Escape{Offset: bodyOff + i, Seq: body[i : i+2], Known: true})
			i++
		case 'n':
			b.WriteByte('\n')
			escs = append(escs, ast.Escape{Offset: bodyOff + i, Seq: `\n`, Known: true})
			i++
		case 't':
			b.WriteByte('\t')
			escs = append(escs, ast.Escape{Offset: bodyOff + i, Seq: `\t`, Known: true})
			i++
		case 'r':
			b.WriteByte('\r')
			escs = append(escs, ast.Escape{Offset: bodyOff + i, Seq: `\r`, Known: true})
			i++
		case '\n':
			// backslash-newline: line continuation, both dropped
			escs = append(escs, ast.Escape{Offset: bodyOff + i, Seq: "\\\n", Known: true})
			i++
		case 'x', 'X':
			j := i + 2
			for j < len(body) && j < i+2+6 && isHex(body[j]) {
				j++
			}
			if j == i+2 {
				// "\x" without digits: TinyScheme fails; keep x
				b.WriteByte(n)
				escs = append(escs, ast.Escape{Offset: bodyOff + i, Seq: body[i : i+2]})
				i++
				continue
			}
			semi := j < len(body) && body[j] == ';'
			digits := body[i+2 : j]
			if !semi && len(digits) > 2 {
				digits = digits[:2] // TinyScheme reads at most two digits
				j = i + 4
			}
			v, _ := strconv.ParseUint(digits, 16, 32)
			end := j
			if semi {
				end++
			}
			if v > utf8.MaxRune || (v >= 0xD800 && v <= 0xDFFF) {
				c.sink.errorf(c.span(bodyOff+i, bodyOff+end), "syntax-error", "escape %s is not a valid character code", body[i:end])
				v = utf8.RuneError
			}
			if v < 0x80 {
				b.WriteByte(byte(v))
			} else {
				b.WriteRune(rune(v))
			}
			escs = append(escs, ast.Escape{Offset: bodyOff + i, Seq: body[i:end], Known: true})
			i = end - 1
		default:
			// Unknown escape: TinyScheme keeps the character, drops the backslash.
			_, size := utf8.DecodeRuneInString(body[i+1:])
			seq := body[i : i+1+size]
			if n == 'u' || n == 'U' { // \u00e9: record the whole JSON-style escape
				k := i + 2
				for k < len(body) && k < i+2+4 && isHex(body[k]) {
					k++
				}
				seq = body[i:k]
			}
			b.WriteString(body[i+1 : i+1+size])
			escs = append(escs, ast.Escape{Offset: bodyOff + i, Seq: seq})
			i += size
		}
	}
	s := c.newString(sp, b.String(), raw)
	s.Escapes = escs
	return s
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
