package format

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/corpus"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/internal/testutil"
	"github.com/sbplc/sbplc/parser"
	"github.com/sbplc/sbplc/source"
)

// checkProperties asserts what formatting must preserve for one parseable
// input: the output parses without errors, equals the input as data, keeps
// every comment's text in order, and is a fixed point.
func checkProperties(t testing.TB, name string, src []byte, opts Options) (out []byte, ok bool) {
	t.Helper()
	out, ds := Source(src, name, opts)
	if ds.HasErrors() {
		return nil, false
	}
	in, _ := parser.Parse(source.NewFile(name, src))
	got, ds2 := parser.Parse(source.NewFile(name, out))
	if ds2.HasErrors() {
		t.Fatalf("%s: formatted text does not parse: %v\n%s", name, ds2, out)
	}
	if err := sameData(in, got); err != nil {
		t.Fatalf("%s: %v\n--- formatted:\n%s", name, err, out)
	}
	if a, b := commentTexts(in), commentTexts(got); !slices.Equal(a, b) {
		t.Fatalf("%s: comments changed:\n in: %q\nout: %q", name, a, b)
	}
	again, ds3 := Source(out, name, opts)
	if ds3.HasErrors() {
		t.Fatalf("%s: second pass failed: %v", name, ds3)
	}
	if !bytes.Equal(again, out) {
		t.Fatalf("%s: not idempotent:\n%s", name, testutil.LineDiff(string(out), string(again)))
	}
	return out, true
}

func sameData(a, b *ast.File) error {
	if len(a.Forms) != len(b.Forms) {
		return fmt.Errorf("%d top-level forms became %d", len(a.Forms), len(b.Forms))
	}
	for i := range a.Forms {
		if !ast.Equal(a.Forms[i], b.Forms[i]) {
			return fmt.Errorf("form %d changed:\n in: %s\nout: %s", i+1, ast.Datum(a.Forms[i]), ast.Datum(b.Forms[i]))
		}
	}
	return nil
}

// commentTexts lists the file's comments in order, as written, except for
// the trailing blanks of line comments, which the formatter removes.
func commentTexts(f *ast.File) []string {
	out := make([]string, 0, len(f.Comments))
	for _, c := range f.Comments {
		text := c.Text()
		switch c.Kind {
		case ast.LineComment, ast.SlashComment, ast.CppLine:
			text = strings.TrimRight(text, " \t\r\f\v") // trailing blanks are removed
		}
		out = append(out, c.Kind.String()+":"+text)
	}
	return out
}

// TestCorpusProperties formats every corpus file: parseable files keep
// their data and comments and format to a fixed point; files with syntax
// errors are refused with diagnostics.
func TestCorpusProperties(t *testing.T) {
	es := corpus.ForTest(t)
	changed, formatted, refused := 0, 0, 0
	for _, e := range es {
		src, err := e.Read()
		if err != nil {
			t.Fatal(err)
		}
		t.Run(e.Base(), func(t *testing.T) {
			out, ok := checkProperties(t, e.File, src, Options{})
			if !ok {
				_, ds := Source(src, e.File, Options{})
				if !ds.HasErrors() || ds.Max() < diag.Error {
					t.Fatalf("refused without an error diagnostic")
				}
				if e.Kind != "invalid" {
					t.Errorf("kind %s file refused: %v", e.Kind, ds)
				}
				refused++
				return
			}
			if e.Kind == "invalid" {
				t.Errorf("invalid file was formatted")
			}
			formatted++
			if !bytes.Equal(out, src) {
				changed++
			}
			// narrow widths stress the breaking paths
			for _, w := range []int{40, 60, 100} {
				checkProperties(t, e.File, src, Options{Width: w})
			}
		})
	}
	t.Logf("corpus: %d files formatted (%d changed), %d refused with syntax errors", formatted, changed, refused)
}

func parserParse(text string) (*ast.File, diag.List) {
	return parser.Parse(source.NewFile("t.sb", []byte(text)))
}
