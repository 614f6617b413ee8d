package eval

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/ir"
)

// quoteString spells s so that the parser reads back exactly s: like
// ast.QuoteString, but bytes that are not UTF-8 are kept as they are
// (escaping them would change the value).
func quoteString(s string, raw bool) string {
	if utf8.ValidString(s) {
		return ast.QuoteString(s, raw)
	}
	if raw && !strings.ContainsRune(s, '"') {
		return `#"` + s + `"`
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteByte(s[i])
		} else {
			q := ast.QuoteString(s[i:i+size], false)
			b.WriteString(q[1 : len(q)-1])
		}
		i += size
	}
	b.WriteByte('"')
	return b.String()
}

// writeIRValue prints one filter or modifier argument as SBPL.
func writeIRValue(b *strings.Builder, v ir.Value) {
	switch v.Kind {
	case ir.String:
		b.WriteString(quoteString(v.Str, v.Raw))
	case ir.Int:
		b.WriteString(strconv.FormatInt(v.Int, 10))
	case ir.Bool:
		if v.Bool {
			b.WriteString("#t")
		} else {
			b.WriteString("#f")
		}
	case ir.Symbol:
		b.WriteString(v.Str)
	case ir.Filter:
		writeFilter(b, v.Sub)
	}
}

// writeFilter prints a filter tree as SBPL on one line.
func writeFilter(b *strings.Builder, n *ir.FilterNode) {
	if n == nil {
		return
	}
	switch n.Kind {
	case ir.All, ir.Any, ir.Not:
		b.WriteString([...]string{"", "(require-all", "(require-any", "(require-not"}[n.Kind])
		for _, c := range n.Children {
			b.WriteByte(' ')
			writeFilter(b, c)
		}
		b.WriteByte(')')
		return
	}
	b.WriteByte('(')
	b.WriteString(n.Written)
	for _, a := range n.Args {
		b.WriteByte(' ')
		if a.Kind == ir.Int && n.Name == "file-mode" && a.Int >= 0 {
			// file modes read best in octal, as profiles write them
			b.WriteString("#o" + fmt.Sprintf("%04o", a.Int))
			continue
		}
		writeIRValue(b, a)
	}
	b.WriteByte(')')
}

// filterKey is a canonical text of a filter tree (without origins).
func filterKey(n *ir.FilterNode) string {
	var b strings.Builder
	writeFilter(&b, n)
	return b.String()
}

// FormatSBPL prints a profile as flat SBPL: (version N), then every rule in
// order as (allow|deny OPS... FILTERS... MODIFIERS...), with unresolved
// imports kept as (import ...) at their position and the statements of
// opaque blocks (which need a name such an import may define) kept as
// written. Apart from those statements the output contains no Scheme;
// evaluating it gives the same rules and blocks, and formatting that
// result gives the same text. (Rules that a system-profile model does not
// know are a comment at their place: evaluating the output again gives
// the same rules without those blocks.)
func FormatSBPL(p *ir.Profile) string {
	var b strings.Builder
	if p.Version != 0 {
		b.WriteString("(version " + strconv.Itoa(p.Version) + ")\n")
	}
	for _, d := range p.Debug {
		b.WriteString("(debug " + d + ")\n")
	}
	if p.Trace != "" {
		b.WriteString("(trace " + quoteString(p.Trace, false) + ")\n")
	}
	imps, blocks := p.Imports, p.OpaqueBlocks
	// unknown writes the imports and blocks that come before rule i.
	unknown := func(i int) {
		for len(imps) > 0 && imps[0].Index <= i {
			writeImport(&b, imps[0])
			imps = imps[1:]
		}
		for len(blocks) > 0 && blocks[0].Index <= i && (len(imps) == 0 || blocks[0].Index < imps[0].Index) {
			if blocks[0].Model != "" {
				// Rules a system-profile model does not know: nothing to
				// write but where they are.
				b.WriteString(";; unknown rules: " + blocks[0].Reason + "\n")
			} else {
				b.WriteString(blocks[0].Origin.Span.Text() + "\n") // the statement as written
			}
			blocks = blocks[1:]
		}
	}
	for i, r := range p.Rules {
		unknown(i)
		writeRule(&b, r, "")
		b.WriteByte('\n')
	}
	unknown(len(p.Rules))
	for _, im := range imps {
		writeImport(&b, im)
	}
	return b.String()
}

func writeImport(b *strings.Builder, im ir.Import) {
	if im.Resolved {
		return // its rules are inlined
	}
	b.WriteString("(import " + quoteString(im.Name, false) + ")\n")
}

// writeRule prints one rule; indent is used for nested message-filter rules.
func writeRule(b *strings.Builder, r *ir.Rule, indent string) {
	start := b.Len()
	b.WriteString(indent)
	b.WriteByte('(')
	b.WriteString(r.Action.String())
	for _, op := range r.Ops {
		b.WriteByte(' ')
		b.WriteString(op.Written)
	}
	inner := indent + "    "
	if f := r.Filter; f != nil {
		if f.Kind == ir.Any && len(f.Children) > 1 {
			for _, c := range f.Children {
				b.WriteString("\n" + inner)
				writeFilterPretty(b, c, inner)
			}
		} else {
			one := filterKey(f)
			if b.Len()-start+1+len(one) <= lineWidth {
				b.WriteString(" " + one)
			} else {
				b.WriteString("\n" + inner)
				writeFilterPretty(b, f, inner)
			}
		}
	}
	for _, m := range r.Modifiers {
		b.WriteByte(' ')
		writeModifier(b, m, indent)
	}
	b.WriteByte(')')
}

// lineWidth is the width expand output tries to keep filters within.
const lineWidth = 100

// writeFilterPretty prints n on one line when it fits in lineWidth after
// indent, else one child (or argument) per line.
func writeFilterPretty(b *strings.Builder, n *ir.FilterNode, indent string) {
	one := filterKey(n)
	if len(indent)+len(one) <= lineWidth {
		b.WriteString(one)
		return
	}
	inner := indent + "    "
	switch n.Kind {
	case ir.All, ir.Any, ir.Not:
		b.WriteString([...]string{"", "(require-all", "(require-any", "(require-not"}[n.Kind])
		for _, c := range n.Children {
			b.WriteString("\n" + inner)
			writeFilterPretty(b, c, inner)
		}
		b.WriteByte(')')
		return
	}
	if len(n.Args) < 2 {
		b.WriteString(one)
		return
	}
	b.WriteString("(" + n.Written)
	for _, a := range n.Args {
		b.WriteString("\n" + inner)
		var ab strings.Builder
		writeFilter(&ab, &ir.FilterNode{Kind: ir.Leaf, Name: n.Name, Written: "", Args: []ir.Value{a}})
		// reuse the argument spelling of writeFilter (octal modes) without the parentheses
		b.WriteString(strings.TrimSuffix(strings.TrimPrefix(ab.String(), "( "), ")"))
	}
	b.WriteByte(')')
}

func writeModifier(b *strings.Builder, m ir.Modifier, indent string) {
	if m.Name == "message-filter" {
		b.WriteString("(apply-message-filter")
		for _, r := range m.Rules {
			b.WriteByte('\n')
			writeRule(b, r, indent+"    ")
		}
		b.WriteByte(')')
		return
	}
	b.WriteString("(with " + m.Name)
	for _, a := range m.Args {
		b.WriteByte(' ')
		writeIRValue(b, a)
	}
	b.WriteByte(')')
}

// Dump renders a canonical text of the profile's meaning, without source
// positions or placeholder bookkeeping: two profiles with equal Dumps have
// the same version, rules, imports and settings. Tests use it to compare
// evaluations.
func Dump(p *ir.Profile) string {
	var b strings.Builder
	b.WriteString("version " + strconv.Itoa(p.Version) + "\n")
	if !p.Implicit {
		b.WriteString("no-implicit-rules\n")
	}
	for _, d := range p.Debug {
		b.WriteString("debug " + d + "\n")
	}
	if p.Trace != "" {
		b.WriteString("trace " + strconv.Quote(p.Trace) + "\n")
	}
	for _, im := range p.Imports {
		if !im.Resolved {
			b.WriteString("opaque-import " + strconv.Quote(im.Name) + " at " + strconv.Itoa(im.Index) + "\n")
		}
	}
	for _, ob := range p.OpaqueBlocks {
		b.WriteString("opaque-block at " + strconv.Itoa(ob.Index) + "\n")
	}
	for _, r := range p.Rules {
		dumpRule(&b, r, "")
	}
	return b.String()
}

func dumpRule(b *strings.Builder, r *ir.Rule, indent string) {
	b.WriteString(indent + "rule " + strconv.Itoa(r.Index) + " " + r.Action.String())
	for _, op := range r.Ops {
		b.WriteString(" " + op.Name)
		if op.Written != op.Name {
			b.WriteString("(as " + op.Written + ")")
		}
	}
	b.WriteByte('\n')
	if r.Filter != nil {
		dumpFilter(b, r.Filter, indent+"  ")
	}
	for _, m := range r.Modifiers {
		b.WriteString(indent + "  with " + m.Name)
		for _, a := range m.Args {
			b.WriteString(" " + dumpValue(a))
		}
		b.WriteByte('\n')
		for _, nr := range m.Rules {
			dumpRule(b, nr, indent+"    ")
		}
	}
}

func dumpFilter(b *strings.Builder, n *ir.FilterNode, indent string) {
	switch n.Kind {
	case ir.All, ir.Any, ir.Not:
		b.WriteString(indent + [...]string{"", "all", "any", "not"}[n.Kind] + "\n")
		for _, c := range n.Children {
			dumpFilter(b, c, indent+"  ")
		}
		return
	}
	b.WriteString(indent + n.Name)
	if n.Written != n.Name {
		b.WriteString("(as " + n.Written + ")")
	}
	b.WriteString(" base=" + n.Base + " match=" + n.Match.String())
	for _, a := range n.Args {
		if a.Kind == ir.Filter {
			b.WriteByte('\n')
			dumpFilter(b, a.Sub, indent+"    ")
			continue
		}
		b.WriteString(" " + dumpValue(a))
	}
	b.WriteByte('\n')
}

func dumpValue(v ir.Value) string {
	switch v.Kind {
	case ir.String:
		s := strconv.Quote(v.Str)
		if v.Raw {
			s = "#" + s
		}
		return s
	case ir.Int:
		return strconv.FormatInt(v.Int, 10)
	case ir.Bool:
		if v.Bool {
			return "#t"
		}
		return "#f"
	case ir.Symbol:
		return "'" + v.Str
	case ir.Filter:
		return filterKey(v.Sub)
	}
	return "?"
}

// FormatRule prints one rule as flat SBPL, as FormatSBPL does.
func FormatRule(r *ir.Rule) string {
	var b strings.Builder
	writeRule(&b, r, "")
	return b.String()
}
