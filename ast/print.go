package ast

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Walk visits n and its descendants depth-first. If f returns false the
// children of that node are skipped.
func Walk(n Node, f func(Node) bool) {
	if n == nil || !f(n) {
		return
	}
	switch n := n.(type) {
	case *List:
		for _, e := range n.Elems {
			Walk(e, f)
		}
		if n.Tail() != nil {
			Walk(n.Tail(), f)
		}
	case *Quote:
		if n.X != nil {
			Walk(n.X, f)
		}
	}
}

// WriteDatum prints n as SBPL text on one line (no comments). Reading the
// output back gives an equal tree: strings keep their raw/ordinary spelling,
// numbers keep their radix.
func WriteDatum(b *strings.Builder, n Node) {
	switch n := n.(type) {
	case *List:
		if n.Vector {
			b.WriteString("#(")
		} else {
			b.WriteByte('(')
		}
		for i, e := range n.Elems {
			if i > 0 {
				b.WriteByte(' ')
			}
			WriteDatum(b, e)
		}
		if n.Tail() != nil {
			b.WriteString(" . ")
			WriteDatum(b, n.Tail())
		}
		b.WriteByte(')')
	case *Symbol:
		b.WriteString(n.Name)
	case *String:
		b.WriteString(QuoteString(n.Value, n.Raw))
	case *Number:
		b.WriteString(n.Text)
	case *Bool:
		if n.Value {
			b.WriteString("#t")
		} else {
			b.WriteString("#f")
		}
	case *Char:
		b.WriteString(CharLiteral(n.Value))
	case *Quote:
		b.WriteString(n.Kind.Mark())
		if n.X != nil {
			WriteDatum(b, n.X)
		}
	case *Bad:
		b.WriteString(n.Text)
	}
}

// Datum returns WriteDatum's output as a string.
func Datum(n Node) string {
	var b strings.Builder
	WriteDatum(&b, n)
	return b.String()
}

// QuoteString spells s as an SBPL string literal. Raw strings are written as
// #"..." when s contains no double quote; otherwise the ordinary form is used.
func QuoteString(s string, raw bool) string {
	if raw && !strings.ContainsRune(s, '"') {
		return `#"` + s + `"`
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteByte(s[i]) // keep an invalid byte as it is: it reads back unchanged
			i++
			continue
		}
		i += size
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\x%02x;`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

var charNames = map[rune]string{' ': "space", '\n': "newline", '\t': "tab", '\r': "return", 0: "nul"}

// CharLiteral spells r as a character literal.
func CharLiteral(r rune) string {
	if n, ok := charNames[r]; ok {
		return `#\` + n
	}
	if unicode.IsGraphic(r) && r != ' ' {
		return `#\` + string(r)
	}
	return fmt.Sprintf(`#\x%x`, r)
}

// Dump renders n as an indented S-expression with spans (line:col-line:col),
// used by `sbplc parse --format sexpr` and by golden tests.
func Dump(n Node) string {
	var b strings.Builder
	dump(&b, n, 0)
	return b.String()
}

func spanStr(n Node) string {
	sp := n.Span()
	if !sp.IsValid() {
		return "@-"
	}
	s, e := sp.StartPos(), sp.EndPos()
	return fmt.Sprintf("@%d:%d-%d:%d", s.Line, s.Col, e.Line, e.Col)
}

func dump(b *strings.Builder, n Node, depth int) {
	ind := strings.Repeat("  ", depth)
	b.WriteString(ind)
	switch n := n.(type) {
	case *List:
		kind := "list"
		if n.Vector {
			kind = "vector"
		}
		if !n.Closed {
			kind += "!unclosed"
		}
		fmt.Fprintf(b, "(%s %s", kind, spanStr(n))
		for _, e := range n.Elems {
			b.WriteByte('\n')
			dump(b, e, depth+1)
		}
		if n.Tail() != nil {
			b.WriteString("\n" + ind + "  .\n")
			dump(b, n.Tail(), depth+1)
		}
		b.WriteByte(')')
	case *Symbol:
		fmt.Fprintf(b, "(symbol %s %s)", spanStr(n), n.Name)
	case *String:
		kind := "string"
		if n.Raw {
			kind = "raw-string"
		}
		if n.Unterminated {
			kind += "!unterminated"
		}
		fmt.Fprintf(b, "(%s %s %s)", kind, spanStr(n), strconv.Quote(n.Value))
	case *Number:
		if n.IsFloat {
			fmt.Fprintf(b, "(number %s %s %g)", spanStr(n), n.Text, n.Float)
		} else {
			fmt.Fprintf(b, "(number %s %s %d)", spanStr(n), n.Text, n.Int)
		}
	case *Bool:
		fmt.Fprintf(b, "(bool %s %v)", spanStr(n), n.Value)
	case *Char:
		fmt.Fprintf(b, "(char %s %q)", spanStr(n), n.Value)
	case *Quote:
		fmt.Fprintf(b, "(%s %s", n.Kind.Name(), spanStr(n))
		if n.X != nil {
			b.WriteByte('\n')
			dump(b, n.X, depth+1)
		}
		b.WriteByte(')')
	case *Bad:
		fmt.Fprintf(b, "(error %s %q)", spanStr(n), n.Text)
	}
}

// Equal reports whether two trees are equal as data (ignoring spans,
// comments and error flags such as a missing close parenthesis).
func Equal(a, b Node) bool {
	switch a := a.(type) {
	case *List:
		bl, ok := b.(*List)
		if !ok || len(a.Elems) != len(bl.Elems) || a.Vector != bl.Vector || (a.Tail() == nil) != (bl.Tail() == nil) {
			return false
		}
		for i := range a.Elems {
			if !Equal(a.Elems[i], bl.Elems[i]) {
				return false
			}
		}
		return a.Tail() == nil || Equal(a.Tail(), bl.Tail())
	case *Symbol:
		bs, ok := b.(*Symbol)
		return ok && a.Name == bs.Name
	case *String:
		bs, ok := b.(*String)
		return ok && a.Value == bs.Value && a.Raw == bs.Raw
	case *Number:
		bn, ok := b.(*Number)
		return ok && a.IsFloat == bn.IsFloat && a.Int == bn.Int && (a.Float == bn.Float || a.Float != a.Float)
	case *Bool:
		bb, ok := b.(*Bool)
		return ok && a.Value == bb.Value
	case *Char:
		bc, ok := b.(*Char)
		return ok && a.Value == bc.Value
	case *Quote:
		bq, ok := b.(*Quote)
		if !ok || a.Kind != bq.Kind || (a.X == nil) != (bq.X == nil) {
			return false
		}
		return a.X == nil || Equal(a.X, bq.X)
	case *Bad:
		bb, ok := b.(*Bad)
		return ok && a.Text == bb.Text
	}
	return a == nil && b == nil
}
