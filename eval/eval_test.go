package eval

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/internal/testutil"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/parser"
	"github.com/sbplc/sbplc/source"
	"github.com/sbplc/sbplc/vocab"
)

// testPrelude defines (show X...): write each value, then a newline.
const testPrelude = `(define (show . xs) (for-each (lambda (x) (write x) (display " ")) xs) (newline))`

// TestChunks runs every chunk of testdata/*.sb. In a chunk:
//
//	; want "re"    expects a diagnostic on that line (testutil)
//	;> TEXT        expects TEXT as the next line printed by (show ...)
//	;= TEXT        expects TEXT as the next line of `sbplc expand` output
//	;! strict      evaluates with --strict-params
//	;! param K=V   sets a param
//
// A chunk without ;= lines does not check the expansion.
func TestChunks(t *testing.T) {
	files, err := filepath.Glob("testdata/*.sb")
	if err != nil || len(files) == 0 {
		t.Fatalf("no chunk files: %v", err)
	}
	for _, file := range files {
		chunks, err := testutil.ReadChunks(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range chunks {
			t.Run(filepath.Base(file)+"/"+c.Name, func(t *testing.T) { runChunk(t, c) })
		}
	}
}

// schemeChunks are the chunk files that test the language rather than
// profiles: their chunks run after a prelude that declares (version 1).
var schemeChunks = map[string]bool{"builtins.sb": true, "special-forms.sb": true}

func runChunk(t *testing.T, c testutil.Chunk) {
	if c.Text == "" {
		return // the file's head, before the first chunk
	}
	prelude := testPrelude
	if schemeChunks[filepath.Base(c.File)] {
		prelude = "(version 1)\n" + prelude
	}
	opts := Options{Params: map[string]string{},
		Preludes: []*source.File{source.NewFile("prelude", []byte(prelude))},
		ReadFile: chunkFS(c)}
	var wantOut, wantExp []string
	for _, l := range strings.Split(c.Text, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, ";> "):
			wantOut = append(wantOut, strings.TrimPrefix(l, ";> "))
		case l == ";>":
			wantOut = append(wantOut, "")
		case strings.HasPrefix(l, ";= "):
			wantExp = append(wantExp, strings.TrimPrefix(l, ";= "))
		case l == ";! strict":
			opts.StrictParams = true
		case strings.HasPrefix(l, ";! param "):
			k, v, _ := strings.Cut(strings.TrimPrefix(l, ";! param "), "=")
			opts.Params[k] = v
		case strings.HasPrefix(l, ";! target "):
			opts.Target = strings.TrimPrefix(l, ";! target ")
		case strings.HasPrefix(l, ";! limit-steps "):
			opts.Limits.Steps = atoi(strings.TrimPrefix(l, ";! limit-steps "))
		case strings.HasPrefix(l, ";! limit-depth "):
			opts.Limits.Depth = atoi(strings.TrimPrefix(l, ";! limit-depth "))
		case strings.HasPrefix(l, ";! limit-rules "):
			opts.Limits.Rules = atoi(strings.TrimPrefix(l, ";! limit-rules "))
		}
	}
	src := source.NewFile(c.Name+".sb", []byte(c.Text))
	res := Run(src, opts)
	var got []testutil.Got
	for _, d := range res.Diags {
		if d.Span.File != src {
			t.Errorf("diagnostic outside the chunk: %s", d)
			continue
		}
		got = append(got, testutil.Got{Line: d.Span.StartPos().Line, Text: d.Message + " [" + d.Code + "]"})
	}
	testutil.CheckWants(t, c, got)
	if len(wantOut) > 0 {
		gotOut := strings.Split(strings.TrimSuffix(res.Output, "\n"), "\n")
		for i := range gotOut {
			gotOut[i] = strings.TrimRight(gotOut[i], " ")
		}
		if strings.Join(gotOut, "\n") != strings.Join(wantOut, "\n") {
			t.Errorf("%s:%d: chunk %s: output\n got: %q\nwant: %q", c.File, c.StartLine, c.Name, gotOut, wantOut)
		}
	}
	if len(wantExp) > 0 {
		gotExp := strings.Split(strings.TrimSuffix(FormatSBPL(res.Profile), "\n"), "\n")
		if strings.Join(gotExp, "\n") != strings.Join(wantExp, "\n") {
			t.Errorf("%s:%d: chunk %s: expansion\n got:\n%s\nwant:\n%s", c.File, c.StartLine, c.Name, strings.Join(gotExp, "\n"), strings.Join(wantExp, "\n"))
		}
	}
	if !diag.List(res.Diags).HasErrors() {
		checkFixedPoint(t, c.Name, res)
	}
}

// chunkFS serves imports from "; file NAME" sections: lines after
// ";; file: NAME" up to ";; end" become the file NAME.
func chunkFS(c testutil.Chunk) func(string) ([]byte, error) {
	files := map[string]string{}
	var cur string
	var b strings.Builder
	for _, l := range strings.Split(c.Text, "\n") {
		if strings.HasPrefix(l, ";; file: ") {
			cur = strings.TrimSpace(strings.TrimPrefix(l, ";; file: "))
			b.Reset()
			continue
		}
		if cur != "" && strings.TrimSpace(l) == ";; end" {
			files[cur] = b.String()
			cur = ""
			continue
		}
		if cur != "" {
			b.WriteString(strings.TrimPrefix(l, ";; "))
			b.WriteByte('\n')
		}
	}
	return func(name string) ([]byte, error) {
		if s, ok := files[filepath.Base(name)]; ok && filepath.Dir(name) == "." {
			return []byte(s), nil
		}
		if s, ok := files[name]; ok {
			return []byte(s), nil
		}
		return nil, os.ErrNotExist
	}
}

func atoi(s string) int {
	n := 0
	for _, r := range strings.TrimSpace(s) {
		n = n*10 + int(r-'0')
	}
	return n
}

// checkFixedPoint checks that the expansion evaluates to the same rules and
// that expanding it again prints the same text.
func checkFixedPoint(t *testing.T, name string, res *Result) {
	t.Helper()
	text := FormatSBPL(res.Profile)
	checkFlat(t, name, text, res.Profile)
	again := Run(source.NewFile(name+".expanded.sb", []byte(text)), Options{})
	for _, d := range again.Diags {
		if d.Severity == diag.Error && !(d.Code == "missing-version" && res.Profile.Version == 0) {
			t.Errorf("expansion of %s does not evaluate: %s\n%s", name, d, text)
			return
		}
	}
	if a, b := Dump(res.Profile), Dump(again.Profile); a != b {
		t.Errorf("expansion of %s evaluates to different rules:\n--- original\n%s\n--- re-evaluated\n%s", name, a, b)
	}
	if t2 := FormatSBPL(again.Profile); t2 != text {
		t.Errorf("expand is not a fixed point for %s:\n--- first\n%s\n--- second\n%s", name, text, t2)
	}
}

// checkFlat checks that expand output has no Scheme left: only version,
// debug, trace, import, allow and deny at top level; rules hold operation
// symbols, filters (vocabulary names or require-*), (with ...) modifiers and
// apply-message-filter; filter arguments are literals or nested filters.
func checkFlat(t *testing.T, name, text string, p *ir.Profile) {
	t.Helper()
	opaque := map[string]bool{} // statements of opaque blocks, kept as written
	for _, ob := range p.OpaqueBlocks {
		opaque[ob.Origin.Span.Text()] = true
	}
	for _, p := range flatProblems(text, opaque) {
		t.Errorf("expansion of %s is not flat SBPL: %s", name, p)
	}
}

// flatProblems lists what makes text more than flat SBPL (see checkFlat).
func flatProblems(text string, opaque map[string]bool) []string {
	f, ds := parser.Parse(source.NewFile("expanded.sb", []byte(text)))
	if len(ds) > 0 {
		return []string{"does not parse: " + ds[0].Message}
	}
	var out []string
	bad := func(n ast.Node, why string) {
		p := n.Span().StartPos()
		out = append(out, fmt.Sprintf("%d:%d: %s: %s", p.Line, p.Col, why, n.Span().Text()))
	}
	var filter func(n ast.Node)
	filter = func(n ast.Node) {
		l, ok := n.(*ast.List)
		if !ok || l.Tail() != nil || l.Vector {
			bad(n, "a filter must be a list")
			return
		}
		head := l.HeadSymbol()
		switch {
		case head == "require-all" || head == "require-any" || head == "require-not":
			for _, c := range l.Elems[1:] {
				filter(c)
			}
			return
		case head == "":
			bad(n, "filter without a name")
			return
		}
		// syscall-group-* are libsandbox builtins kept opaque in the IR.
		if _, ok := vocab.LookupFilter(head); !ok && !strings.HasPrefix(head, "syscall-group-") {
			bad(n, "unknown filter "+head)
		}
		for _, a := range l.Elems[1:] {
			switch a.(type) {
			case *ast.String, *ast.Number, *ast.Bool, *ast.Symbol:
			case *ast.List:
				filter(a)
			default:
				bad(a, "filter argument is not a literal")
			}
		}
	}
	var rule func(l *ast.List)
	rule = func(l *ast.List) {
		for _, e := range l.Elems[1:] {
			switch x := e.(type) {
			case *ast.Symbol:
				if _, ok := vocab.LookupOperation(x.Name); !ok {
					bad(x, "unknown operation")
				}
			case *ast.List:
				switch x.HeadSymbol() {
				case "with":
					for _, a := range x.Elems[1:] {
						switch a.(type) {
						case *ast.String, *ast.Number, *ast.Bool, *ast.Symbol:
						default:
							bad(a, "modifier argument is not a literal")
						}
					}
				case "apply-message-filter":
					for _, r := range x.Elems[1:] {
						if rl, ok := r.(*ast.List); ok && (rl.HeadSymbol() == "allow" || rl.HeadSymbol() == "deny") {
							rule(rl)
						} else {
							bad(r, "message-filter entry is not a rule")
						}
					}
				default:
					filter(x)
				}
			default:
				bad(e, "rule element is neither an operation nor a filter")
			}
		}
	}
	for _, form := range f.Forms {
		l, ok := form.(*ast.List)
		if !ok {
			bad(form, "top-level form is not a list")
			continue
		}
		switch l.HeadSymbol() {
		case "version", "import", "debug", "trace":
			for _, a := range l.Elems[1:] {
				switch a.(type) {
				case *ast.String, *ast.Number, *ast.Symbol:
				default:
					bad(a, "argument is not a literal")
				}
			}
		case "allow", "deny":
			rule(l)
		default:
			if !opaque[l.Span().Text()] {
				bad(form, "top-level form is Scheme, not a rule")
			}
		}
	}
	return out
}

// TestFlatProblems makes sure the flatness check can fail.
func TestFlatProblems(t *testing.T) {
	ok := "(version 1)\n(deny default)\n(allow file-read* (require-all (subpath \"/a\") (vnode-type DIRECTORY)) (with report))\n(import \"x.sb\")\n"
	if p := flatProblems(ok, nil); len(p) != 0 {
		t.Errorf("flat text rejected: %v", p)
	}
	for _, text := range []string{
		"(define x 1)",
		"(allow file-read* (subpath (string-append \"/a\" \"b\")))",
		"(allow file-read* (my-helper \"/a\"))",
		"(allow file-read* (literal '/a))",
		"(allow not-an-operation)",
		"(if #t (allow file-read*))",
		"(allow file-read* (with report (param \"X\")))",
	} {
		if len(flatProblems(text, nil)) == 0 {
			t.Errorf("not flagged: %s", text)
		}
	}
}
