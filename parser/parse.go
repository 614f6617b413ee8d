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
// not count as deep nesting) → participle (the grammar in grammar.go: runs
// of atoms, lists and quote forms) → converter (ast nodes from participle's
// tree: atoms, string escapes, numbers, dotted pairs) → attachComments
// (trivia).
//
// Limits: MaxInputSize bytes of input, MaxDepth levels of nesting and
// MaxErrors reported errors per file (errors past the first MaxErrors+1 are
// counted, never formatted or stored; see errSink). Every stage runs in time
// linear in the input, and none recurses deeper than MaxDepth. A run of
// adjacent stray ")" or too-deep "(" becomes one error atom, so 5 MB of
// either parses in a fraction of a second (TestPathologicalLarge).
package parser

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

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
	return parseChunks(f, chunkTokens)
}

// parseChunks is Parse with participle given chunks of about n tokens.
func parseChunks(f *source.File, n int) (file *ast.File, diags diag.List) {
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
	// opt: presize lx.toks from a token estimate; on megabyte inputs the
	// append growth of the token slice copies about four times its size.
	lx := &lexState{src: f.Text, file: f, runaway: -1, sink: sink}
	lx.lex()
	lx.balance()
	lx.limitDepth()

	// Participle's token values are substrings of one copy of the text;
	// the tree keeps its own strings (symbol names interned), so that the
	// copy is garbage once the file is parsed.
	text := string(f.Text)
	c := &converter{file: f, text: text, toks: lx.toks, sink: sink, names: map[string]string{}}
	file.Forms = []ast.Node{}
	var err error
	// Participle parses the file a chunk of whole top-level data at a
	// time: its token buffer and parse state are garbage once a chunk is
	// converted, so memory follows the tree, not the parser's bookkeeping,
	// whatever the size of the file.
	for start := 0; start < len(lx.toks) && err == nil; {
		end := chunkEnd(lx.toks, start, n)
		var g *gFile
		if g, err = parseTokens(lx.toks[start:end], text); err == nil {
			file.Forms = append(file.Forms, c.items(g.Items, nil)...)
		}
		start = end
	}
	diags = sink.result(MaxErrors)
	if err != nil {
		// Cannot happen: the grammar accepts every balanced token stream.
		diags.Errorf(source.Span{File: f}, "internal-error", "internal parser error: %v (please report this)", err)
	}
	file.Comments = lx.comments
	attachComments(file)
	file.Clean = !diags.HasErrors()
	return file, diags
}

// chunkTokens is about how many tokens participle parses at once.
const chunkTokens = 4096

// chunkEnd returns the end of the chunk that starts at token start: the
// first boundary between top-level data at or after start+n tokens (a
// quote mark stays with its datum), or the end of the stream.
func chunkEnd(toks []token, start, n int) int {
	depth := 0
	for i := start; i < len(toks); i++ {
		if depth == 0 && i >= start+n && toks[i-1].typ != tQuote && toks[i-1].typ != tQuasi &&
			toks[i-1].typ != tUnquote && toks[i-1].typ != tSplice {
			return i
		}
		switch toks[i].typ {
		case tLParen, tVecOpen:
			depth++
		case tRParen, tMissing:
			depth--
		}
	}
	return len(toks)
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

// converter builds ast nodes from participle's parse tree.
type converter struct {
	file  *source.File
	text  string
	toks  []token // the lexer's tokens, for the kinds of atoms
	sink  *errSink
	names map[string]string // symbol names, interned
}

// intern returns the one copy of symbol name s (a substring of c.text).
func (c *converter) intern(s string) string {
	if n, ok := c.names[s]; ok {
		return n
	}
	n := strings.Clone(s)
	c.names[n] = n
	return n
}

func (c *converter) span(a, b int) source.Span { return source.Span{File: c.file, Start: a, End: b} }

// items converts a sequence of items, each run of atoms becoming one node
// per atom. Inside a list (dots != nil) a "." becomes a nil element and its
// span is appended to *dots, for finishList; elsewhere it is an error.
func (c *converter) items(items []*gItem, dots *[]source.Span) []ast.Node {
	n := 0
	for _, it := range items {
		if it.Tokens[0].Type == cAtom {
			n += len(it.Tokens)
		} else {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]ast.Node, 0, n)
	for _, it := range items {
		if it.Tokens[0].Type != cAtom {
			out = append(out, c.compound(it.Tokens, it.Items, it.X))
			continue
		}
		for _, t := range c.lexTokens(it.Tokens) {
			if t.typ == tDot && dots != nil {
				out = append(out, nil)
				*dots = append(*dots, c.span(t.start, t.end))
				continue
			}
			out = append(out, c.atom(t))
		}
	}
	return out
}

// datum converts the datum of a quote form.
func (c *converter) datum(d *gDatum) ast.Node {
	if d.Tokens[0].Type == cAtom {
		return c.atom(c.lexTokens(d.Tokens)[0])
	}
	return c.compound(d.Tokens, d.Items, nil)
}

// compound converts a list (toks runs from its Open to its Close token) or a
// run of quote marks (toks starts with the marks; x is the datum or nil).
func (c *converter) compound(toks []plexer.Token, items []*gItem, x *gDatum) ast.Node {
	first := toks[0]
	if first.Type == cMark {
		var n ast.Node
		if x != nil {
			n = c.datum(x)
		}
		k := 0
		for k < len(toks) && toks[k].Type == cMark {
			k++
		}
		for i := k - 1; i >= 0; i-- { // the last mark quotes the datum, each other mark the quote after it
			m := toks[i]
			n = c.quote(quoteKinds[m.Value], m.Pos.Offset, m.Pos.Offset+len(m.Value), n)
		}
		return n
	}
	last := toks[len(toks)-1] // ")" or the zero-width Missing token
	var dots []source.Span
	elems := c.items(items, &dots)
	return c.finishList(first.Value == "#(", first.Pos.Offset, first.Pos.Offset+len(first.Value),
		last.Value == ")", last.Pos.Offset+len(last.Value), elems, dots)
}

// lexTokens returns the lexer's tokens behind a run of participle tokens,
// which match them one to one and in order. The run starts at the first
// token that ends after its offset: tokens are disjoint and in order, and
// only the zero-width Missing tokens can share an atom's start.
func (c *converter) lexTokens(run []plexer.Token) []token {
	off := run[0].Pos.Offset
	i := sort.Search(len(c.toks), func(i int) bool { return c.toks[i].end > off })
	return c.toks[i : i+len(run)]
}

var quoteKinds = map[string]ast.QuoteKind{"'": ast.QuoteQ, "`": ast.QuasiQ, ",": ast.UnquoteQ, ",@": ast.UnquoteSplicingQ}

// quote builds a quote form; x is nil when the mark has no datum.
func (c *converter) quote(kind ast.QuoteKind, start, markEnd int, x ast.Node) ast.Node {
	end := markEnd
	if x != nil {
		end = x.Span().End
	} else {
		c.sink.errorf(c.span(start, markEnd), "syntax-error", "%q must be followed by a datum", kind.Mark())
	}
	return ast.NewQuote(c.span(start, end), kind, x)
}

// finishList builds a list from its elements, where a nil element marks a
// "." (dots holds their spans in order). An unclosed list's span ends at its
// last element.
func (c *converter) finishList(vector bool, start, openEnd int, closed bool, closeEnd int, elems []ast.Node, dots []source.Span) ast.Node {
	l := ast.NewList(c.span(start, closeEnd), nil)
	l.Vector = vector
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
			l.SetTail(elems[dotAt+1])
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
		if l.Tail() != nil {
			end = max(end, l.Tail().Span().End)
		}
		l.Sp.End = end
	}
	return l
}

func (c *converter) atom(t token) ast.Node {
	start, end := t.start, t.end
	sp := c.span(start, end)
	text := c.text[start:end] // nodes keep a clone (see Parse)
	switch t.typ {
	case tSymbol:
		return ast.NewSymbol(sp, c.intern(text))
	case tNumber:
		return c.number(sp, strings.Clone(text))
	case tString:
		return c.str(sp, text[1:len(text)-1], start+1, false)
	case tRawString:
		return ast.NewString(sp, strings.Clone(text[2:len(text)-1]), true)
	case tUnterminated:
		raw := strings.HasPrefix(text, "#\"")
		var s *ast.String
		if raw {
			s = ast.NewString(sp, strings.Clone(text[2:]), true)
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
		return ast.NewBad(sp, strings.Clone(text))
	}
	return ast.NewBad(sp, strings.Clone(text)) // tStray, tError: already reported by the lexer
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
		return ast.NewString(sp, strings.Clone(body), raw)
	}
	body = strings.Clone(body) // escapes keep substrings of it
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
	s := ast.NewString(sp, b.String(), raw)
	s.SetEscapes(escs)
	return s
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
