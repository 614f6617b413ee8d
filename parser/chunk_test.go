package parser

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/corpus"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/source"
)

// render is a parse result as text: every form's tree, the comments and
// the diagnostics.
func render(f *ast.File, ds diag.List) string {
	var b strings.Builder
	for _, n := range f.Forms {
		b.WriteString(ast.Dump(n))
		b.WriteByte('\n')
	}
	for _, c := range f.Comments {
		fmt.Fprintf(&b, "comment %d-%d\n", c.Sp.Start, c.Sp.End)
	}
	for _, d := range ds {
		b.WriteString(d.String())
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "clean %v\n", f.Clean)
	return b.String()
}

// checkChunks parses text whole and in chunks of every small size: the
// trees, comments and diagnostics must be the same (participle is given
// the file a chunk of whole top-level data at a time).
func checkChunks(t *testing.T, name string, text []byte) {
	t.Helper()
	whole := render(parseChunks(source.NewFile(name, text), 1<<30))
	for _, n := range []int{1, 2, 3, 7, 64} {
		if got := render(parseChunks(source.NewFile(name, text), n)); got != whole {
			t.Errorf("%s: chunks of %d tokens parse differently:\n%s\nwhole:\n%s", name, n, got, whole)
			return
		}
	}
}

func TestChunksAreInvisible(t *testing.T) {
	for i, text := range []string{
		"(version 1) (deny default) 'a 'b ''c '(x) ` (y ,z ,@w) #(1 2) a b c . d",
		"(a (b (c ))) )) (d",
		"' ' ' (x)",
		"'",
		"(a . b) (c . ) . e",
		"\"unterminated (a b",
		"#\"raw\" #t #f #\\a 1.5 #x10 ; comment\n(e) #| block |# (f)",
	} {
		checkChunks(t, fmt.Sprintf("case%d.sb", i), []byte(text))
	}
	for _, e := range corpus.ForTest(t) {
		data, err := e.Read()
		if err != nil {
			t.Fatal(err)
		}
		checkChunks(t, e.File, data)
	}
}

// FuzzChunks: on any input, parsing in small chunks gives what parsing
// whole gives.
func FuzzChunks(f *testing.F) {
	for _, s := range []string{"(a) (b)", "' ' x", "(a . b) c", ") ) (", "#(1) `(,a ,@b)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkChunks(t, "fuzz.sb", []byte(s))
	})
}
