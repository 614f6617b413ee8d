// Package format prints SBPL syntax trees in the canonical sbplc layout.
//
// The layout, in short (docs/fmt.md has the full description):
//
//   - A form that fits within the width (default 80 columns) and contains no
//     comment and no blank line is printed on one line.
//   - Otherwise it is broken: the head stays on the first line with its
//     header (the operations of allow/deny, the leading atoms of a call, the
//     fixed header of a special form such as define, lambda, let or if), and
//     every other element - every filter, modifier or body form - goes on a
//     line of its own, indented two spaces from the opening parenthesis.
//     Operations that do not fit on the first line continue aligned under
//     the first operation. Lists whose head is not a symbol (let bindings,
//     cond clauses, quoted data, vectors) put one element per line aligned
//     under the first element.
//   - Bodies of define, lambda, let, begin, when, unless, do, cond and case
//     with two or more forms are always broken, and so is an if with an
//     else branch when a branch is a list.
//   - Blank lines between forms and between elements are kept, runs of them
//     collapse to one. Every comment is kept where it was: leading comments
//     on their own lines before the datum they precede, trailing comments
//     after it on the same line, comments before a closing parenthesis on
//     their own lines. C-preprocessor lines (#if, #include, ...) and leading
//     // comments are printed at column 1.
//   - Atoms are printed exactly as written: strings (ordinary and #"..."
//     raw) keep their escapes, numbers their radix, characters and booleans
//     their spelling. Only whitespace between tokens changes.
//
// Files with syntax errors are not formatted: Source returns the parser's
// diagnostics and no text.
package format

import (
	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/parser"
	"github.com/sbplc/sbplc/source"
)

// DefaultWidth is the line width used when Options.Width is zero.
const DefaultWidth = 80

// IndentWidth is the indentation of body forms, filters and modifiers
// relative to the opening parenthesis of their form.
const IndentWidth = 2

// Options configure the printer.
type Options struct {
	// Width is the maximum line width in columns (runes) that the printer
	// aims for; 0 means DefaultWidth. Atoms and comments are never split, so
	// a single long string or comment may exceed it.
	Width int
}

func (o Options) width() int {
	if o.Width <= 0 {
		return DefaultWidth
	}
	return o.Width
}

// Source parses src and returns it in canonical layout. If the text has
// syntax errors it returns nil and the diagnostics; the caller must then
// leave the file alone. Warnings from the parser are returned alongside the
// formatted text.
func Source(src []byte, name string, opts Options) ([]byte, diag.List) {
	f := source.NewFile(name, src)
	file, ds := parser.Parse(f)
	if ds.HasErrors() {
		return nil, ds.Sort()
	}
	p := newPrinter(file, opts)
	p.file(file)
	if p.over {
		ds.Errorf(source.Span{File: f}, "format-limit",
			"formatting would make the file more than %d bytes: nesting is too deep to format", p.limit)
		return nil, ds
	}
	return p.buf, ds
}

// File prints a parsed file in canonical layout with the default options.
// The tree should be free of syntax errors: error nodes are printed as
// written and unclosed lists get their closing parenthesis.
func File(f *ast.File) []byte { return FileOptions(f, Options{}) }

// FileOptions is File with options. In the pathological case where the
// output would exceed the size limit (thousands of nested lists), it
// returns the source text unchanged.
func FileOptions(f *ast.File, opts Options) []byte {
	p := newPrinter(f, opts)
	p.file(f)
	if p.over && f.Src != nil {
		return append([]byte(nil), f.Src.Text...)
	}
	return p.buf
}

// Node prints one datum (with the comments attached inside it, but without
// its own leading and trailing comments) starting at column col, as it
// would appear in a formatted file.
func Node(n ast.Node, col int, opts Options) string {
	var f *source.File
	if n != nil && n.Span().IsValid() {
		f = n.Span().File
	}
	p := newPrinter(&ast.File{Src: f}, opts)
	p.pending = col
	p.node(n, 0)
	return string(p.buf[min(col, len(p.buf)):])
}
