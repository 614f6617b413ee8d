package parser_test

import (
	"github.com/sbplc/sbplc/ast"
	"testing"

	"github.com/sbplc/sbplc/parser"
	"github.com/sbplc/sbplc/source"
)

// FuzzParse checks the parser's contract on arbitrary input: no panic (a
// recovered panic surfaces as an internal-error diagnostic), every span
// inside the input, and for error-free input, printing the tree and reparsing it gives an equal tree.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"",
		"(version 1)\n(deny default)\n",
		`(allow file-read* (subpath "/usr") (literal "/etc/hosts"))`,
		`(allow file-read* (regex #"^/private/var/[^/]+\.db$"))`,
		`"a\"b\\c\nd\te\x41;f\.g"`,
		"(a . b) (a b . c) #(1 2) '(x) `(y ,z ,@w)",
		"#x1F #o17 #b101 #d42 -5 1.5 #t #f #\\a #\\space",
		"; line\n#| block #| nested |# |#\n#;(datum) x ; trailing\n",
		"#include \"common.sb\"\n#if FOO\n(allow mach-lookup)\n#endif\n// slash\n",
		"(define (f x) (string-append (param \"HOME\") x))",
		"(allow (a (b (c",
		") (a))) (\"unterminated",
		"@x [y] #q #\\ #",
		"(. a) (a .) (a . b c) '",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		src := source.NewFile("fuzz.sb", data)
		file, ds := parser.Parse(src)
		if file == nil {
			t.Fatal("nil file")
		}
		for _, d := range ds {
			if d.Code == "internal-error" {
				t.Fatalf("internal error: %s", d)
			}
			if d.Span.File != src || d.Span.Start < 0 || d.Span.Start > d.Span.End || d.Span.End > len(data) {
				t.Fatalf("diagnostic span %d-%d outside the input: %s", d.Span.Start, d.Span.End, d)
			}
		}
		checkSpans(t, file)
		if len(ds) == 0 {
			checkRoundTrip(t, file)
		}
		if file.Clean {
			for _, n := range file.Forms {
				if bad := badNode(n); bad != nil {
					t.Fatalf("Clean file holds an unreadable node at %d-%d", bad.Span().Start, bad.Span().End)
				}
			}
		}
	})
}

// badNode returns a node under n the parser could not read completely
// (what the evaluator skips when a file is not Clean), or nil.
func badNode(n ast.Node) ast.Node {
	switch x := n.(type) {
	case *ast.Bad:
		return x
	case *ast.String:
		if x.Unterminated {
			return x
		}
	case *ast.Quote:
		if x.X != nil {
			return badNode(x.X)
		}
	case *ast.List:
		if !x.Closed {
			return x
		}
		for _, e := range x.Elems {
			if b := badNode(e); b != nil {
				return b
			}
		}
		if x.Tail() != nil {
			return badNode(x.Tail())
		}
	}
	return nil
}
