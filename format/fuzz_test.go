package format

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzFormat checks that formatting never panics, refuses exactly the
// inputs with syntax errors, and on every other input keeps the data and
// the comments and reaches a fixed point in one pass.
func FuzzFormat(f *testing.F) {
	for _, pat := range []string{"testdata/*.sb", "testdata/*.sb.in"} {
		m, _ := filepath.Glob(pat)
		for _, name := range m {
			if b, err := os.ReadFile(name); err == nil {
				f.Add(b, 0)
			}
		}
	}
	for _, s := range []string{
		"", "\n\n", "; only a comment", "(a . b)", "'(1 . (2 3))", "#(1 #(2))", "`(a ,b ,@c)",
		"(allow a\n\n b (c))", "(a #;b)", "(#| x |# a)", "(a\n#if X\n b)\n#endif", "(a) // c\n(b)",
		"(define (f)\n  ; c\n  )", "(x \"a\nb\" c)", "(if a (b) (c))", "(a #\\space #\\( #x1F)",
		"(a\r\n b) ; crlf\r\n", "(. a)", "(a . b c)", "#;", "(a #|", "\"", "(a))", "'",
	} {
		f.Add([]byte(s), 0)
		f.Add([]byte(s), 20)
	}
	f.Fuzz(func(t *testing.T, src []byte, width int) {
		if len(src) > 1<<16 {
			return
		}
		opts := Options{Width: width % 200}
		out, ds := Source(src, "fuzz.sb", opts)
		if ds.HasErrors() {
			if out != nil {
				t.Fatalf("text returned for input with syntax errors")
			}
			return
		}
		checkProperties(t, "fuzz.sb", src, opts)
	})
}
