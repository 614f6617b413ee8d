// Package parser reads SBPL source into an ast.File.
//
// The parser is fault tolerant by construction: a hand-written total lexer
// (error tokens instead of failures, balanced parentheses with recovery) feeds
// a participle grammar that accepts every token stream. Syntax problems are
// reported as diagnostics and the tree built so far is always returned, so the
// editor and the linter can keep working on broken input. Participle types
// never leave this package.
package parser

import (
	"fmt"
	"math"
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

// MaxDepth bounds list nesting; deeper input is reported and flattened.
const MaxDepth = 1000

// Parse parses one file. It never panics and always returns a non-nil File.
func Parse(f *source.File) (file *ast.File, diags diag.List) {
	return parse(f, false)
}

// ParseDeclarative parses with the pure participle grammar (no Parseable fast
// path). It is slower and exists for differential testing.
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
	lx := &lexState{src: f.Text, file: f}
	lx.lex()
	lx.limitDepth()
	lx.balance()
	diags = append(diags, lx.diags...)

	text := string(f.Text) // one copy; token values are substrings of it
	ptoks := make([]plexer.Token, len(lx.toks))
	for i, t := range lx.toks {
		ptoks[i] = plexer.Token{Type: t.typ, Value: text[t.start:t.end], Pos: plexer.Position{Offset: t.start, Column: t.end}}
	}
	peek, err := plexer.Upgrade(&sliceLexer{toks: ptoks})
	if err != nil {
		diags.Errorf(source.Span{File: f}, "internal-error", "internal lexer error: %v", err)
		return file, diags
	}
	var g *gFile
	if declarative {
		g, err = declGrammar().ParseFromLexer(peek)
	} else {
		var fg *gFastFile
		fg, err = fastGrammar().ParseFromLexer(peek)
		if fg != nil {
			g = fg.toDecl()
		}
	}
	if err != nil {
		// Cannot happen with a balanced token stream; keep what was built.
		diags.Errorf(source.Span{File: f}, "internal-error", "internal parser error: %v (please report this)", err)
	}
	c := &converter{file: f, text: text}
	if g != nil {
		for _, it := range g.Items {
			if n := c.node(it, 0, true); n != nil {
				file.Forms = append(file.Forms, n)
			}
		}
	}
	diags = append(diags, c.diags...)
	file.Comments = lx.comments
	attachComments(file)
	return file, diags
}

// ParseString is a convenience for tests and tools.
func ParseString(name, text string) (*ast.File, diag.List) {
	return Parse(source.NewFile(name, []byte(text)))
}

// limitDepth turns parentheses nested deeper than MaxDepth into error tokens.
func (lx *lexState) limitDepth() {
	depth := 0
	reported := false
	for i, t := range lx.toks {
		switch t.typ {
		case tLParen, tVecOpen:
			depth++
			if depth > MaxDepth {
				lx.toks[i].typ = tError
				if !reported {
					lx.errorf(t.start, t.end, "syntax-error", "lists are nested more than %d deep", MaxDepth)
					reported = true
				}
			}
		case tRParen:
			if depth > MaxDepth {
				lx.toks[i].typ = tError
			}
			if depth > 0 {
				depth--
			}
		}
	}
}

var quoteKinds = map[plexer.TokenType]ast.QuoteKind{tQuote: ast.QuoteQ, tQuasi: ast.QuasiQ, tUnquote: ast.UnquoteQ, tSplice: ast.UnquoteSplicingQ}

type converter struct {
	file  *source.File
	text  string
	diags diag.List
}

func (c *converter) span(a, b int) source.Span { return source.Span{File: c.file, Start: a, End: b} }

func tokEnd(t plexer.Token) int { return t.Pos.Column }

func (c *converter) node(g *gNode, depth int, top bool) ast.Node {
	switch {
	case g.Atom.Type != 0:
		return c.atom(g.Atom, top)
	case g.List != nil:
		return c.list(g.List, depth)
	case g.Quote != nil:
		q := g.Quote
		kind := quoteKinds[q.Mark.Type]
		start, end := q.Mark.Pos.Offset, tokEnd(q.Mark)
		var x ast.Node
		if q.X != nil {
			x = c.node(q.X, depth+1, false)
			if x != nil {
				end = x.Span().End
			}
		}
		if x == nil {
			c.diags.Errorf(c.span(start, tokEnd(q.Mark)), "syntax-error", "%q must be followed by a datum", kind.Mark())
		}
		return ast.NewQuote(c.span(start, end), kind, x)
	default:
		return c.atom(g.Atom, top)
	}
}

func (c *converter) list(g *gList, depth int) ast.Node {
	start := g.Open.Pos.Offset
	end := tokEnd(g.Close)
	l := ast.NewList(c.span(start, end), nil)
	l.Vector = g.Open.Type == tVecOpen
	l.Closed = g.Close.Type == tRParen
	if !l.Closed {
		// span ends at the last element
		end = tokEnd(g.Open)
	}
	elems := make([]ast.Node, 0, len(g.Items))
	for _, it := range g.Items {
		if it.List == nil && it.Quote == nil && it.Atom.Type == tDot {
			elems = append(elems, nil) // marker for the dot, resolved below
			continue
		}
		if n := c.node(it, depth+1, false); n != nil {
			elems = append(elems, n)
			if n.Span().End > end {
				end = n.Span().End
			}
		}
	}
	if !l.Closed {
		l.Sp.End = end
	}
	// Resolve dots: (a b . c) is legal; anything else is reported.
	dotAt := -1
	for i, e := range elems {
		if e == nil {
			dotAt = i
			break
		}
	}
	if dotAt >= 0 {
		dots := 0
		for _, e := range elems {
			if e == nil {
				dots++
			}
		}
		if dots == 1 && dotAt > 0 && dotAt == len(elems)-2 && !l.Vector {
			l.Tail = elems[dotAt+1]
			elems = elems[:dotAt]
		} else {
			// mark every dot as a bad node
			k := 0
			for _, it := range g.Items {
				if it.List == nil && it.Quote == nil && it.Atom.Type == tDot {
					for k < len(elems) && elems[k] != nil {
						k++
					}
					if k < len(elems) {
						sp := c.span(it.Atom.Pos.Offset, tokEnd(it.Atom))
						elems[k] = ast.NewBad(sp, ".")
						c.diags.Errorf(sp, "syntax-error", "misplaced '.': a dotted pair needs one datum after the dot, as in (a . b)")
					}
				}
			}
		}
	}
	l.Elems = elems
	return l
}

func (c *converter) atom(t plexer.Token, top bool) ast.Node {
	start, end := t.Pos.Offset, tokEnd(t)
	sp := c.span(start, end)
	text := t.Value
	switch t.Type {
	case tSymbol:
		return ast.NewSymbol(sp, text)
	case tNumber:
		return c.number(sp, text)
	case tString:
		return c.str(sp, text[1:len(text)-1], start+1, false)
	case tRawString:
		return ast.NewString(sp, text[2:len(text)-1], true)
	case tUnterminated:
		raw := strings.HasPrefix(text, "#\"")
		var s *ast.String
		if raw {
			s = ast.NewString(sp, text[2:], true)
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
		c.diags.Errorf(sp, "syntax-error", "misplaced '.' outside a list")
		return ast.NewBad(sp, text)
	case tStray, tError:
		return ast.NewBad(sp, text) // already reported by the lexer
	}
	return ast.NewBad(sp, text)
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
	if base == 10 {
		if f, err := strconv.ParseFloat(body, 64); err == nil && !math.IsInf(f, 0) {
			n.IsFloat, n.Float = true, f
			return n
		}
	}
	c.diags.Errorf(sp, "syntax-error", "invalid number %q", text)
	return ast.NewBad(sp, text)
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
	c.diags.Errorf(sp, "syntax-error", "unknown character name %q", text)
	return ast.NewBad(sp, text)
}

// str decodes an ordinary string body with TinyScheme escape semantics:
// \" \\ \n \t \r and \xNN; are escapes; any other backslash is dropped and
// the character kept (recorded so the linter can flag it).
func (c *converter) str(sp source.Span, body string, bodyOff int, raw bool) *ast.String {
	if strings.IndexByte(body, '\\') < 0 {
		return ast.NewString(sp, body, raw)
	}
	var b strings.Builder
	b.Grow(len(body))
	var escs []ast.Escape
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
			if v > utf8.MaxRune {
				v = utf8.RuneError
			}
			if v < 0x80 {
				b.WriteByte(byte(v))
			} else {
				b.WriteRune(rune(v))
			}
			end := j
			if semi {
				end++
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
	s.Escapes = escs
	return s
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
