package parser_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/internal/testutil"
	"github.com/sbplc/sbplc/parser"
	"github.com/sbplc/sbplc/source"
)

// compact renders a tree for table tests: symbols bare, s"..." strings,
// r"..." raw strings, n:V numbers, c:'x' chars, #t/#f, quote marks, and
// lists with "!" when unclosed.
func compact(n ast.Node) string {
	switch n := n.(type) {
	case nil:
		return "<nil>"
	case *ast.List:
		var parts []string
		for _, e := range n.Elems {
			parts = append(parts, compact(e))
		}
		if n.Tail() != nil {
			parts = append(parts, ".", compact(n.Tail()))
		}
		open := "("
		if n.Vector {
			open = "#("
		}
		s := open + strings.Join(parts, " ") + ")"
		if !n.Closed {
			s += "!"
		}
		return s
	case *ast.Symbol:
		return n.Name
	case *ast.String:
		p := "s"
		if n.Raw {
			p = "r"
		}
		if n.Unterminated {
			p += "!"
		}
		return p + strconv.Quote(n.Value)
	case *ast.Number:
		if n.IsFloat {
			return fmt.Sprintf("n:%g", n.Float)
		}
		return fmt.Sprintf("n:%d", n.Int)
	case *ast.Bool:
		if n.Value {
			return "#t"
		}
		return "#f"
	case *ast.Char:
		return fmt.Sprintf("c:%q", n.Value)
	case *ast.Quote:
		return n.Kind.Mark() + compact(n.X)
	case *ast.Bad:
		return fmt.Sprintf("bad:%q", n.Text)
	}
	return fmt.Sprintf("?%T", n)
}

func compactFile(f *ast.File) string {
	var parts []string
	for _, n := range f.Forms {
		parts = append(parts, compact(n))
	}
	return strings.Join(parts, " ")
}

// TestReader covers each lexical feature with the value the reader gives it.
// Every input here is valid: no diagnostics are allowed.
func TestReader(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"blank", " \t\r\n\f\v ", ""},
		{"list", "(allow file-read*)", "(allow file-read*)"},
		{"empty list", "()", "()"},
		{"nested", "(a (b (c)) d)", "(a (b (c)) d)"},
		{"adjacent", "(a)(b)c", "(a) (b) c"},
		{"vector", "#(1 a)", "#(n:1 a)"},
		{"dotted pair", "(a . b)", "(a . b)"},
		{"dotted list", "(a b . c)", "(a b . c)"},
		{"dotted nested", "(a . (b . ()))", "(a . (b . ()))"},
		{"symbols", "file-read* string-prefix? set! -> ... + - a.b 1+ .5x", "file-read* string-prefix? set! -> ... + - a.b 1+ .5x"},
		{"symbol with digits first", "12abc", "12abc"},
		{"symbol case kept", "Allow ALLOW", "Allow ALLOW"},
		{"symbol non-ascii", "café", "café"},
		{"decimal", "0 42 007", "n:0 n:42 n:7"},
		{"negative", "-7 -0", "n:-7 n:0"},
		{"plus sign", "+3", "n:3"},
		{"float", "1.5 -0.25 .5 1. 1e3 2E-2", "n:1.5 n:-0.25 n:0.5 n:1 n:1000 n:0.02"},
		{"hex", "#x1F #XfF #x-10", "n:31 n:255 n:-16"},
		{"octal", "#o17 #O7", "n:15 n:7"},
		{"binary", "#b1010 #B1", "n:10 n:1"},
		{"decimal prefix", "#d99 #D-1", "n:99 n:-1"},
		{"exactness prefix", "#e1.5 #i3", "n:1.5 n:3"},
		{"big integer reads as real", "99999999999999999999", "n:1e+20"},
		{"booleans", "#t #f #T #F #true #false", "#t #f #t #f #t #f"},
		{"char", `#\a #\Z #\( #\; #\\`, `c:'a' c:'Z' c:'(' c:';' c:'\\'`},
		{"named chars", `#\space #\newline #\tab #\return #\nul #\NEWLINE #\escape #\delete #\alarm`,
			`c:' ' c:'\n' c:'\t' c:'\r' c:'\x00' c:'\n' c:'\x1b' c:'\x7f' c:'\a'`},
		{"hex char", `#\x41 #\x`, `c:'A' c:'x'`},
		{"unicode char", `#\é`, `c:'é'`},
		{"string", `"a b"`, `s"a b"`},
		{"empty string", `""`, `s""`},
		{"escape quote backslash", `"\" \\"`, `s"\" \\"`},
		{"escape n t r", `"\n\t\r"`, `s"\n\t\r"`},
		{"escape hex semicolon", `"\x41;\x3bb;"`, `s"Aλ"`},
		{"escape hex two digits", `"\x41B"`, `s"AB"`},
		{"escape hex one digit", `"\x9z"`, `s"\tz"`},
		{"unknown escape drops backslash", `"^/a\.b$"`, `s"^/a.b$"`},
		{"unknown escape w", `"\w+"`, `s"w+"`},
		{"unknown escape u", `"\u00e9"`, `s"u00e9"`},
		{"x without digits", `"\xg"`, `s"xg"`},
		{"line continuation", "\"a\\\nb\"", `s"ab"`},
		{"newline in string", "\"a\nb\"", `s"a\nb"`},
		{"string utf-8", `"café ☕"`, `s"café ☕"`},
		{"raw string", `#"^/a\.b$"`, `r"^/a\\.b$"`},
		{"raw string backslash at end", `#"a\"`, `r"a\\"`},
		{"empty raw string", `#""`, `r""`},
		{"quote", "'a", "'a"},
		{"quote list", "'(a b)", "'(a b)"},
		{"quasiquote", "`(a ,b ,@c)", "`(a ,b ,@c)"},
		{"nested quotes", "''a", "''a"},
		{"quote vector", "'#(1)", "'#(n:1)"},
		{"quote then space", "' a", "'a"},
		{"line comment", "; c\na ; d\nb", "a b"},
		{"block comment", "#| c |# a", "a"},
		{"nested block comment", "#| a #| b |# c |# x", "x"},
		{"block comment with bars", "#| a | b ||# x", "x"},
		{"datum comment atom", "#; a b", "b"},
		{"datum comment list", "#;(a (b)) c", "c"},
		{"datum comment quoted", "#;'(a) b", "b"},
		{"datum comment in list", "(a #;b c)", "(a c)"},
		{"datum comment with comment inside", "#;(a ; x\n b) c", "c"},
		{"datum comment nested", "#; #;a b c", "c"},
		{"cpp include", "#include \"x.sb\"\n(a)", "(a)"},
		{"cpp if else", "#if A\n(a)\n#else\n(b)\n#endif", "(a) (b)"},
		{"cpp ifdef ifndef elif", "#ifdef A\n#ifndef B\n#elif C\n#endif\nx", "x"},
		{"cpp define continuation", "#define M(x) \\\n  (allow x)\ny", "y"},
		{"cpp undef", "#undef M\nz", "z"},
		{"cpp indented", "  #if A\nx\n  #endif", "x"},
		{"cpp with space after hash", "# if A\nx\n# endif", "x"},
		{"slash comment", "// c\n(a) // d", "(a)"},
		{"slash inside symbol", "a//b", "a//b"},
		{"crlf", "(a\r\n b)\r\n", "(a b)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ds := parser.ParseString("t.sb", tt.in)
			for _, d := range ds {
				t.Errorf("unexpected diagnostic: %s", d)
			}
			if got := compactFile(f); got != tt.want {
				t.Errorf("parse %q:\n got %s\nwant %s", tt.in, got, tt.want)
			}
			checkSpans(t, f)
			checkRoundTrip(t, f)
		})
	}
}

// TestEscapes checks the escape records that lint uses to flag dropped
// backslashes: offsets point at the backslash in the file.
func TestEscapes(t *testing.T) {
	tests := []struct {
		in   string
		want string // Seq@offset, with ! for an unknown escape
	}{
		{`"plain"`, ""},
		{`"a\"b"`, `\"@2`},
		{`"\\\n\t\r"`, `\\@1 \n@3 \t@5 \r@7`},
		{`"\x41;z\x42"`, `\x41;@1 \x42@7`},
		{`"^/a\.b\w"`, `\.!@4 \w!@7`},
		{`"\u00e9"`, `\u00e9!@1`},
		{`"\x"`, `\x!@1`},
		{"\"a\\\nb\"", "\\\n@2"},
		{`#"a\.b"`, ""}, // raw strings have no escapes
		{`(x "\.")`, `\.!@4`},
	}
	for _, tt := range tests {
		f, ds := parser.ParseString("t.sb", tt.in)
		if len(ds) > 0 {
			t.Errorf("%s: unexpected diagnostics %v", tt.in, ds)
			continue
		}
		var got []string
		for _, n := range f.Forms {
			ast.Walk(n, func(n ast.Node) bool {
				if s, ok := n.(*ast.String); ok {
					for _, e := range s.Escapes() {
						mark := ""
						if !e.Known {
							mark = "!"
						}
						got = append(got, fmt.Sprintf("%s%s@%d", e.Seq, mark, e.Offset))
						if f.Src.Text[e.Offset] != '\\' {
							t.Errorf("%s: escape offset %d is not a backslash", tt.in, e.Offset)
						}
					}
				}
				return true
			})
		}
		if g := strings.Join(got, " "); g != tt.want {
			t.Errorf("%s: escapes %q, want %q", tt.in, g, tt.want)
		}
	}
}

// TestSpans pins exact byte spans of representative nodes.
func TestSpans(t *testing.T) {
	src := "(allow\n  (subpath \"/é\") . x) 'q #\"r\" ; c\n(open"
	f, _ := parser.ParseString("t.sb", src)
	var got []string
	for _, n := range f.Forms {
		ast.Walk(n, func(n ast.Node) bool {
			sp := n.Span()
			got = append(got, fmt.Sprintf("%s=%q", strings.TrimPrefix(fmt.Sprintf("%T", n), "*ast."), sp.Text()))
			return true
		})
	}
	want := []string{
		`List="(allow\n  (subpath \"/é\") . x)"`,
		`Symbol="allow"`,
		`List="(subpath \"/é\")"`,
		`Symbol="subpath"`,
		`String="\"/é\""`,
		`Symbol="x"`,
		`Quote="'q"`,
		`Symbol="q"`,
		`String="#\"r\""`,
		`List="(open"`, // an unclosed list ends at its last element
		`Symbol="open"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("spans:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Line and column: columns count runes.
	s := f.Forms[0].(*ast.List).Elems[1].(*ast.List).Elems[1]
	if p := s.Span().EndPos(); p.Line != 2 || p.Col != 16 {
		t.Errorf("end of \"/é\" at %d:%d, want 2:16", p.Line, p.Col)
	}
}

// TestGolden parses each file in testdata/syntax and compares the tree dump
// (spans, values), the comment attachment and the diagnostics with a golden
// .ast.txt file. Refresh with SBPLC_UPDATE=1.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "syntax", "*.sb*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no test files")
	}
	for _, name := range files {
		if strings.HasSuffix(name, ".ast.txt") {
			continue
		}
		t.Run(filepath.Base(name), func(t *testing.T) {
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			f, ds := parser.Parse(source.NewFile(filepath.Base(name), data))
			checkSpans(t, f)
			testutil.Golden(t, name+".ast.txt", dumpFile(f, ds))
		})
	}
}

// dumpFile renders everything the parser produces for a golden file.
func dumpFile(f *ast.File, ds diag.List) string {
	var b strings.Builder
	for _, n := range f.Forms {
		b.WriteString(ast.Dump(n))
		b.WriteByte('\n')
	}
	var trivia []string
	pos := func(sp source.Span) string {
		p := sp.StartPos()
		return fmt.Sprintf("%d:%d", p.Line, p.Col)
	}
	label := func(n ast.Node) string {
		d := ast.Datum(n)
		if len(d) > 24 {
			d = d[:24] + "..."
		}
		return fmt.Sprintf("%s %s", pos(n.Span()), d)
	}
	var walk func(n ast.Node)
	walk = func(n ast.Node) {
		if n.HasComments() {
			for _, c := range n.Trivia().Leading {
				trivia = append(trivia, fmt.Sprintf("leading  %s <- %s %s %q", label(n), c.Kind, pos(c.Sp), c.Text()))
			}
			for _, c := range n.Trivia().Trailing {
				trivia = append(trivia, fmt.Sprintf("trailing %s <- %s %s %q", label(n), c.Kind, pos(c.Sp), c.Text()))
			}
		}
		switch n := n.(type) {
		case *ast.List:
			for _, c := range n.Dangling() {
				trivia = append(trivia, fmt.Sprintf("dangling %s <- %s %s %q", label(n), c.Kind, pos(c.Sp), c.Text()))
			}
			for _, e := range n.Elems {
				walk(e)
			}
			if n.Tail() != nil {
				walk(n.Tail())
			}
		case *ast.Quote:
			if n.X != nil {
				walk(n.X)
			}
		case *ast.String:
			for _, e := range n.Escapes() {
				trivia = append(trivia, fmt.Sprintf("escape   %s %q known=%v", pos(source.Span{File: f.Src, Start: e.Offset}), e.Seq, e.Known))
			}
		}
	}
	for _, n := range f.Forms {
		walk(n)
	}
	for _, c := range f.Trailing {
		trivia = append(trivia, fmt.Sprintf("file-end <- %s %s %q", c.Kind, pos(c.Sp), c.Text()))
	}
	if len(trivia) > 0 {
		b.WriteString("\n;; trivia\n")
		for _, s := range trivia {
			b.WriteString(s + "\n")
		}
	}
	if len(ds) > 0 {
		b.WriteString("\n;; diagnostics\n")
		for _, d := range ds {
			b.WriteString(d.String() + "\n")
			for _, r := range d.Related {
				b.WriteString("  related " + r.Span.String() + ": " + r.Message + "\n")
			}
		}
	}
	return b.String()
}

// TestErrors runs the chunked negative tests in testdata/errors.txt: every
// diagnostic must be wanted on its line, every want met, no internal error,
// and the tree built so far is returned with spans inside the input.
func TestErrors(t *testing.T) {
	chunks, err := testutil.ReadChunks(filepath.Join("testdata", "errors.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range chunks {
		if strings.TrimSpace(c.Text) == "" {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			f, ds := parser.Parse(source.NewFile("errors.txt", []byte(c.Text)))
			var got []testutil.Got
			for _, d := range ds {
				if d.Severity != diag.Error {
					t.Errorf("parser diagnostics are errors, got %s", d)
				}
				got = append(got, testutil.Got{Line: d.Span.StartPos().Line, Text: d.Message + " [" + d.Code + "]"})
			}
			testutil.CheckWants(t, c, got)
			checkSpans(t, f)
			if len(c.Wants) == 0 {
				t.Errorf("chunk has no want")
			}
		})
	}
}

// TestRecovery checks that the tree built so far is returned after errors,
// with the rest of the file still readable.
func TestRecovery(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"unclosed then next form", "(allow a (b\n(deny c)", "(allow a (b)!)! (deny c)"},
		{"unclosed at end", "(a (b", "(a (b)!)!"},
		{"stray skipped", "(a)) (b)", `(a) bad:")" (b)`},
		{"unterminated string stops at end of line", "(a \"x\n(b)", `(a s!"x")! (b)`},
		{"bad atom kept in place", "(allow @x y)", `(allow bad:"@x" y)`},
		{"bad number kept", "(f #xZZ 1)", `(f bad:"#xZZ" n:1)`},
		{"misplaced dot kept", "(a . b c)", `(a bad:"." b c)`},
		{"quote without datum", "(a ')", "(a '<nil>)"},
		{"unterminated block comment hides the rest", "(a) #| (b)", "(a)"},
		{"incomplete char at end of input", `(a) #\`, `(a) bad:"#\\"`},
		{"hash at end of input", "(a) #", `(a) bad:"#"`},
		{"unterminated string at end of input", `(a "x`, `(a s!"x")!`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ds := parser.ParseString("t.sb", tt.in)
			if !ds.HasErrors() {
				t.Errorf("no error reported for %q", tt.in)
			}
			if got := compactFile(f); got != tt.want {
				t.Errorf("parse %q:\n got %s\nwant %s", tt.in, got, tt.want)
			}
		})
	}
}

// TestLimits checks the size and depth limits.
func TestLimits(t *testing.T) {
	deep := strings.Repeat("(", parser.MaxDepth+5) + strings.Repeat(")", parser.MaxDepth+5)
	f, ds := parser.ParseString("deep.sb", deep)
	if len(ds) != 1 || !strings.Contains(ds[0].Message, "nested more than") {
		t.Fatalf("deep lists: %v", ds)
	}
	checkSpans(t, f)
	quotes := strings.Repeat("'", parser.MaxDepth+5) + "x"
	f, ds = parser.ParseString("quotes.sb", quotes)
	if len(ds) == 0 || !strings.Contains(ds[0].Message, "nested more than") {
		t.Fatalf("deep quotes: %v", ds)
	}
	checkSpans(t, f)
	mixed := strings.Repeat("'(", parser.MaxDepth) + strings.Repeat(")", parser.MaxDepth)
	_, ds = parser.ParseString("mixed.sb", mixed)
	if len(ds) == 0 {
		t.Fatal("deep quote/list mix not reported")
	}
	ok := strings.Repeat("(", parser.MaxDepth) + strings.Repeat(")", parser.MaxDepth)
	if _, ds := parser.ParseString("ok.sb", ok); len(ds) != 0 {
		t.Fatalf("lists exactly MaxDepth deep: %v", ds)
	}
	big := make([]byte, parser.MaxInputSize+1)
	_, ds = parser.Parse(source.NewFile("big.sb", big))
	if len(ds) != 1 || ds[0].Code != "input-too-large" {
		t.Fatalf("big input: %v", ds)
	}
}

// TestTooManyErrors checks that a file full of errors reports MaxErrors of
// them, in source order, plus one summary.
func TestTooManyErrors(t *testing.T) {
	f, ds := parser.ParseString("junk.sb", strings.Repeat(") ", 500)+"(ok)")
	if len(ds) != parser.MaxErrors+1 {
		t.Fatalf("%d diagnostics, want %d", len(ds), parser.MaxErrors+1)
	}
	for i := 1; i < parser.MaxErrors; i++ {
		if ds[i].Span.Start <= ds[i-1].Span.Start {
			t.Fatalf("diagnostics out of order at %d", i)
		}
	}
	last := ds[len(ds)-1]
	if last.Message != "too many syntax errors (500); only the first 100 are reported" || last.Span.Start != 200 {
		t.Errorf("summary: %s at %d", last.Message, last.Span.Start)
	}
	if len(f.Forms) != 501 {
		t.Errorf("tree has %d forms, want all 501", len(f.Forms))
	}
}

// TestPathological parses inputs that once took quadratic time or deep
// recursion (a long "#;" chain); a regression shows up as a test timeout.
func TestPathological(t *testing.T) {
	for _, s := range []string{
		strings.Repeat("#;", 50000) + "x",
		strings.Repeat("#;(", 20000),
		strings.Repeat("#| ", 20000),
		strings.Repeat("'(", 20000),
		strings.Repeat("#(", 20000),
		strings.Repeat(")", 20000),
		strings.Repeat("(a . ", 20000),
		strings.Repeat("\"\\x", 20000),
		strings.Repeat("          #q", 20000),
		strings.Repeat("(a\n", 20000),
	} {
		f, ds := parser.ParseString("p.sb", s)
		if len(ds) == 0 || len(ds) > parser.MaxErrors+1 {
			t.Errorf("%.10q...: %d diagnostics", s, len(ds))
		}
		for _, d := range ds {
			if d.Code == "internal-error" {
				t.Errorf("%.10q...: %s", s, d)
			}
		}
		checkSpans(t, f)
	}
}

// TestRunawayString checks the hint for the usual unterminated-string
// mistake: the quote is missing early in the file, the next string's
// opening quote closes it, and the error only shows at the last string.
func TestRunawayString(t *testing.T) {
	src := "(allow file-read* (literal \"/a))\n(allow file-write* (literal \"/b\"))\n"
	_, ds := parser.ParseString("r.sb", src)
	if len(ds) == 0 {
		t.Fatal("no diagnostics")
	}
	d := ds[len(ds)-1]
	if !strings.HasPrefix(d.Message, "unterminated string") || d.Span.StartPos().Line != 2 {
		t.Fatalf("last diagnostic: %s", d)
	}
	if len(d.Related) != 1 || d.Related[0].Span.String() != "r.sb:1:28" || !strings.Contains(d.Related[0].Message, "missing its closing") {
		t.Errorf("related: %+v", d.Related)
	}
	// A multi-line string that does not run into a new form gives no hint.
	_, ds = parser.ParseString("m.sb", "(with message \"two\nlines\")\n(x \"open\n")
	for _, d := range ds {
		if len(d.Related) > 0 {
			t.Errorf("unexpected hint: %+v", d.Related)
		}
	}
}

// TestPathologicalLarge parses megabytes of the inputs that once took
// minutes and gigabytes (QA #1: 5 MB of ")" built five million diagnostics
// and sorted them; 5 MB of "(" built five million Missing tokens and a
// five-million-element list). It bounds CPU time generously for a loaded
// two-core CI machine, and bounds allocation, which does not depend on load.
func TestPathologicalLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("large inputs")
	}
	const mb = 1 << 20
	for _, tt := range []struct {
		unit     string
		size     int
		maxNodes int // nodes in the tree
		perByte  int // bytes allocated per input byte
	}{
		{")", 4 * mb, 1, 256},                    // one run of stray ")" is one error atom
		{"(", 4 * mb, parser.MaxDepth + 1, 256},  // 1000 nested lists around one too-deep error atom
		{"#(", mb, parser.MaxDepth + 1, 256},     // the same with vectors
		{") ", mb, mb / 2, 1024},                 // separate strays stay separate
		{"(a\n", mb, 2 * (mb / 3), 2048},         // recovery closes each list at the next line
		{"'", mb, mb + mb/parser.MaxDepth, 1024}, // chains of 1000 quotes
	} {
		size := tt.size
		in := []byte(strings.Repeat(tt.unit, size/len(tt.unit)))
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		c0, w0 := testutil.ProcessCPU(), time.Now()
		f, ds := parser.Parse(source.NewFile("p.sb", in))
		cpu, wall := testutil.ProcessCPU()-c0, time.Since(w0)
		runtime.ReadMemStats(&m1)
		alloc := m1.TotalAlloc - m0.TotalAlloc
		t.Logf("%q x %d: %v CPU, %v wall, %d MB allocated, %d diagnostics", tt.unit, len(in)/len(tt.unit), cpu, wall, alloc>>20, len(ds))
		if len(ds) == 0 || len(ds) > parser.MaxErrors+1 {
			t.Errorf("%q: %d diagnostics, want 1..%d", tt.unit, len(ds), parser.MaxErrors+1)
		}
		nodes := 0
		for _, n := range f.Forms {
			ast.Walk(n, func(ast.Node) bool { nodes++; return true })
		}
		if nodes > tt.maxNodes {
			t.Errorf("%q: %d nodes in the tree, want at most %d", tt.unit, nodes, tt.maxNodes)
		}
		// Linear work. Participle copies its parse context for every
		// alternative it tries, so a file of nothing but tiny lists
		// allocates a constant, large amount per byte: tt.perByte bounds
		// it (before the fix, megabytes of ")" allocated gigabytes).
		if limit := uint64(tt.perByte * size); alloc > limit {
			t.Errorf("%q: allocated %d MB, want at most %d MB", tt.unit, alloc>>20, limit>>20)
		}
		limit := 8 * time.Second
		if cpu == 0 { // no CPU clock here: fall back to a looser wall bound
			cpu, limit = wall, 20*time.Second
		}
		if cpu > limit {
			t.Errorf("%q: parse took %v, want well under %v", tt.unit, cpu, limit)
		}
	}
}

// TestLongRepetition parses a file of more top-level data than participle
// repeats a grammar element by default (a million).
func TestLongRepetition(t *testing.T) {
	if testing.Short() {
		t.Skip("large input")
	}
	const n = 1<<20 + 10
	f, ds := parser.ParseString("long.sb", strings.Repeat("a ", n))
	if len(ds) != 0 {
		t.Fatalf("diagnostics: %v", ds[0])
	}
	if len(f.Forms) != n {
		t.Errorf("%d forms, want %d", len(f.Forms), n)
	}
}

func TestCleanFlag(t *testing.T) {
	for src, want := range map[string]bool{
		`(version 1) (allow default)`: true,
		`(allow "\q")`:                true, // an unknown escape is a warning
		`(allow file-read* "x`:        false,
		`(allow (deny`:                false,
		`(allow))`:                    false,
	} {
		f, _ := parser.Parse(source.NewFile("t.sb", []byte(src)))
		if f.Clean != want {
			t.Errorf("Parse(%q).Clean = %v, want %v", src, f.Clean, want)
		}
	}
}

// TestOneLineLinear runs the syntax stages on a generated profile written
// one form per line and as one line: parse, resolve the position of every
// node, and print a diagnostic with its excerpt for every form. One line
// once cost time quadratic in its length (positions counted runes from the
// line start, excerpts searched the whole line for its end, and comment
// attachment scanned for newlines from the previous datum), 50 to 100 times
// the one-per-line time at this size; it must stay within 4 times.
func TestOneLineLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	var lines, one strings.Builder
	lines.WriteString("(version 1)\n")
	one.WriteString("(version 1) ")
	const n = 5000
	for i := 0; i < n; i++ {
		form := `(allow file-read* (literal "/a/é"))`
		lines.WriteString(form + "\n")
		one.WriteString(form + " ")
	}
	comments := strings.Repeat("#| ☕ |# ", 2*n)
	lines.WriteString("(deny default)\n" + strings.ReplaceAll(comments, "|# ", "|#\n") + "(deny default)\n")
	one.WriteString("(deny default) " + comments + "(deny default)")
	work := func(text string) time.Duration {
		start := time.Now()
		f, ds := parser.ParseString("p.sb", text)
		if len(ds) > 0 {
			t.Fatal(ds[0])
		}
		var found []diag.Diagnostic
		for _, form := range f.Forms {
			ast.Walk(form, func(n ast.Node) bool {
				_ = n.Span().String()
				_ = n.Span().EndPos()
				return true
			})
			found = append(found, diag.Diagnostic{Severity: diag.Warning, Code: "c", Span: form.Span(), Message: "m"})
		}
		if err := diag.WriteText(io.Discard, found, diag.TextOptions{Snippet: true}); err != nil {
			t.Fatal(err)
		}
		return time.Since(start)
	}
	best := func(text string, d *time.Duration) {
		if w := work(text); *d == 0 || w < *d {
			*d = w
		}
	}
	var tLines, tOne time.Duration
	for range 3 { // interleaved, best of three: a loaded machine slows both alike
		best(lines.String(), &tLines)
		best(one.String(), &tOne)
	}
	t.Logf("one form per line %v, one line %v", tLines, tOne)
	if tOne > 4*tLines {
		t.Errorf("one line took %v, %.1f times the %v for one form per line", tOne, float64(tOne)/float64(tLines), tLines)
	}
}
