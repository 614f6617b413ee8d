package parser_test

import (
	"testing"

	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/corpus"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/parser"
	"github.com/sbplc/sbplc/source"
)

// TestCorpus parses every file of the shared corpus: valid kinds must give no
// diagnostics at all, invalid ones at least one positioned error. Each file
// is also printed and reparsed (round trip) and checked for spans inside
// the input.
func TestCorpus(t *testing.T) {
	es := corpus.ForTest(t)
	counts := map[string]int{}
	for _, e := range es {
		t.Run(e.Base(), func(t *testing.T) {
			t.Parallel()
			data, err := e.Read()
			if err != nil {
				t.Fatal(err)
			}
			src := source.NewFile(e.File, data)
			f, ds := parser.Parse(src)
			switch e.Kind {
			case "profile", "fragment", "cpp", "empty":
				for _, d := range ds {
					t.Errorf("%s", d)
				}
				if e.Kind != "empty" && len(f.Forms) == 0 {
					t.Errorf("no forms parsed")
				}
			case "invalid":
				if !ds.HasErrors() {
					t.Fatalf("invalid file parsed without errors")
				}
				for _, d := range ds {
					if d.Severity == diag.Error && (!d.Span.IsValid() || d.Span.StartPos().Line < 1) {
						t.Errorf("error without a position: %s", d)
					}
					if d.Code == "internal-error" {
						t.Errorf("internal error: %s", d)
					}
				}
			default:
				t.Fatalf("unknown corpus kind %q", e.Kind)
			}
			checkSpans(t, f)
			if !ds.HasErrors() {
				checkRoundTrip(t, f)
			}
		})
		counts[e.Kind]++
	}
	t.Logf("corpus: %v", counts)
}

func equalFiles(a, b *ast.File) bool {
	if len(a.Forms) != len(b.Forms) {
		return false
	}
	for i := range a.Forms {
		if !ast.Equal(a.Forms[i], b.Forms[i]) {
			return false
		}
	}
	return true
}

// checkRoundTrip prints every form with ast.Datum, reparses the text and
// requires an equal tree and no diagnostics.
func checkRoundTrip(t testing.TB, f *ast.File) {
	t.Helper()
	var text []byte
	for _, n := range f.Forms {
		text = append(text, ast.Datum(n)...)
		text = append(text, '\n')
	}
	g, ds := parser.Parse(source.NewFile("roundtrip", text))
	if len(ds) > 0 {
		t.Fatalf("reparsing the printed tree: %v\nprinted:\n%s", ds, text)
	}
	if !equalFiles(f, g) {
		for i := range f.Forms {
			if i >= len(g.Forms) || !ast.Equal(f.Forms[i], g.Forms[i]) {
				t.Fatalf("round trip changed form %d: %s", i, ast.Datum(f.Forms[i]))
			}
		}
		t.Fatalf("round trip changed the number of forms: %d -> %d", len(f.Forms), len(g.Forms))
	}
}

// checkSpans requires every node and comment span to lie inside the input,
// children inside their parents, and siblings in source order.
func checkSpans(t testing.TB, f *ast.File) {
	t.Helper()
	n := len(f.Src.Text)
	ok := func(sp source.Span) bool {
		return sp.File == f.Src && 0 <= sp.Start && sp.Start <= sp.End && sp.End <= n
	}
	var visit func(parent source.Span, nodes []ast.Node)
	visit = func(parent source.Span, nodes []ast.Node) {
		prevEnd := parent.Start
		for _, x := range nodes {
			if x == nil {
				t.Errorf("nil node inside %v", parent)
				continue
			}
			sp := x.Span()
			if !ok(sp) {
				t.Errorf("span %d-%d of %T outside the input (%d bytes)", sp.Start, sp.End, x, n)
				continue
			}
			if sp.Start < prevEnd || sp.End > parent.End {
				t.Errorf("span %d-%d of %T not inside its parent %d-%d after %d", sp.Start, sp.End, x, parent.Start, parent.End, prevEnd)
			}
			prevEnd = sp.End
			if x.HasComments() {
				for _, c := range append(append([]*ast.Comment{}, x.Trivia().Leading...), x.Trivia().Trailing...) {
					if !ok(c.Sp) {
						t.Errorf("comment span %d-%d outside the input", c.Sp.Start, c.Sp.End)
					}
				}
			}
			switch x := x.(type) {
			case *ast.List:
				kids := x.Elems
				if x.Tail() != nil {
					kids = append(kids[:len(kids):len(kids)], x.Tail())
				}
				visit(sp, kids)
			case *ast.Quote:
				if x.X != nil {
					visit(sp, []ast.Node{x.X})
				}
			}
		}
	}
	visit(source.Span{File: f.Src, Start: 0, End: n}, f.Forms)
	prev := 0
	for _, c := range f.Comments {
		if !ok(c.Sp) || c.Sp.Start < prev {
			t.Errorf("comment span %d-%d outside the input or out of order", c.Sp.Start, c.Sp.End)
		}
		prev = c.Sp.End
	}
}
