package ast_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unsafe"

	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/parser"
	"github.com/sbplc/sbplc/source"
)

var f = source.NewFile("a.sb", []byte("(allow file-read* (subpath \"/usr\"))"))

func sp(a, b int) source.Span { return source.Span{File: f, Start: a, End: b} }

func sample() *ast.List {
	inner := ast.NewList(sp(18, 34), []ast.Node{ast.NewSymbol(sp(19, 26), "subpath"), ast.NewString(sp(27, 33), "/usr", false)})
	return ast.NewList(sp(0, 35), []ast.Node{ast.NewSymbol(sp(1, 6), "allow"), ast.NewSymbol(sp(7, 17), "file-read*"), inner})
}

func TestWalk(t *testing.T) {
	var seen []string
	ast.Walk(sample(), func(n ast.Node) bool {
		if l, ok := n.(*ast.List); ok {
			seen = append(seen, "("+l.HeadSymbol())
			return l.HeadSymbol() != "subpath" // skip the filter's children
		}
		seen = append(seen, ast.Datum(n))
		return true
	})
	if got := strings.Join(seen, " "); got != "(allow allow file-read* (subpath" {
		t.Errorf("Walk order: %s", got)
	}
	tail := ast.NewList(sp(0, 1), []ast.Node{ast.NewSymbol(sp(0, 1), "a")})
	tail.SetTail(ast.NewQuote(sp(0, 1), ast.QuoteQ, ast.NewSymbol(sp(0, 1), "b")))
	n := 0
	ast.Walk(tail, func(ast.Node) bool { n++; return true })
	if n != 4 {
		t.Errorf("Walk visits tails and quoted data: %d nodes, want 4", n)
	}
	ast.Walk(nil, func(ast.Node) bool { t.Error("called on nil"); return true })
}

func TestListHelpers(t *testing.T) {
	l := sample()
	if l.HeadSymbol() != "allow" || l.Head() != l.Elems[0] {
		t.Error("Head/HeadSymbol")
	}
	empty := ast.NewList(sp(0, 2), nil)
	if empty.Head() != nil || empty.HeadSymbol() != "" || !empty.Closed {
		t.Error("empty list")
	}
	if num := ast.NewList(sp(0, 2), []ast.Node{ast.NewNumber(sp(0, 1), "1", 1)}); num.HeadSymbol() != "" {
		t.Error("HeadSymbol of a non-symbol head")
	}
	if l.HasComments() {
		t.Error("no comments yet")
	}
	l.Trivia().Leading = append(l.Trivia().Leading, &ast.Comment{Sp: sp(0, 1), Kind: ast.LineComment})
	if !l.HasComments() || ast.LineComment.String() != "line" || ast.CppLine.String() != "cpp" {
		t.Error("trivia")
	}
	ast.SetSpan(l, sp(1, 2))
	if l.Span() != sp(1, 2) {
		t.Error("SetSpan")
	}
}

func TestEqual(t *testing.T) {
	a, b := sample(), sample()
	b.Sp = sp(3, 4) // spans do not matter
	b.Closed = false
	if !ast.Equal(a, b) {
		t.Error("equal trees differ")
	}
	str := func(v string, raw bool) ast.Node { return ast.NewString(sp(0, 1), v, raw) }
	num := func(v int64) ast.Node { return ast.NewNumber(sp(0, 1), "x", v) }
	sym := func(s string) ast.Node { return ast.NewSymbol(sp(0, 1), s) }
	dotted := ast.NewList(sp(0, 1), []ast.Node{sym("a")})
	dotted.SetTail(sym("b"))
	vec := ast.NewList(sp(0, 1), []ast.Node{sym("a")})
	vec.Vector = true
	fl := ast.NewNumber(sp(0, 1), "1.5", 0)
	fl.IsFloat, fl.Float = true, 1.5
	differ := [][2]ast.Node{
		{sym("a"), sym("b")},
		{str("a", false), str("a", true)},
		{str("a", false), sym("a")},
		{num(1), num(2)},
		{num(1), fl},
		{ast.NewBool(sp(0, 1), true), ast.NewBool(sp(0, 1), false)},
		{ast.NewChar(sp(0, 1), 'a'), ast.NewChar(sp(0, 1), 'b')},
		{ast.NewQuote(sp(0, 1), ast.QuoteQ, sym("a")), ast.NewQuote(sp(0, 1), ast.QuasiQ, sym("a"))},
		{ast.NewQuote(sp(0, 1), ast.QuoteQ, sym("a")), ast.NewQuote(sp(0, 1), ast.QuoteQ, nil)},
		{ast.NewList(sp(0, 1), []ast.Node{sym("a")}), dotted},
		{ast.NewList(sp(0, 1), []ast.Node{sym("a")}), vec},
		{ast.NewList(sp(0, 1), []ast.Node{sym("a")}), ast.NewList(sp(0, 1), []ast.Node{sym("a"), sym("a")})},
		{ast.NewBad(sp(0, 1), "@"), ast.NewBad(sp(0, 1), "[")},
		{sym("a"), nil},
	}
	for _, d := range differ {
		if ast.Equal(d[0], d[1]) || ast.Equal(d[1], d[0]) {
			t.Errorf("Equal(%s, %s) is true", dumpOrNil(d[0]), dumpOrNil(d[1]))
		}
	}
	if !ast.Equal(nil, nil) {
		t.Error("Equal(nil, nil)")
	}
}

func dumpOrNil(n ast.Node) string {
	if n == nil {
		return "nil"
	}
	return ast.Datum(n)
}

// TestQuoteStringReadsBack checks that every printed string reads back as
// the same value, including quotes, control characters and invalid UTF-8.
func TestQuoteStringReadsBack(t *testing.T) {
	values := []string{"", "plain", `a"b`, `back\slash`, "nl\ntab\tcr\r", "\x00\x01\x1f\x7f", "é☕", "bad\xffbyte", "\xc3"}
	for _, v := range values {
		for _, raw := range []bool{false, true} {
			text := ast.QuoteString(v, raw)
			file, ds := parser.ParseString("q.sb", text)
			if len(ds) > 0 || len(file.Forms) != 1 {
				t.Errorf("QuoteString(%q, %v) = %s does not read back: %v", v, raw, text, ds)
				continue
			}
			s, ok := file.Forms[0].(*ast.String)
			if !ok || s.Value != v {
				t.Errorf("QuoteString(%q, %v) = %s reads back as %s", v, raw, text, ast.Datum(file.Forms[0]))
			}
			wantRaw := raw && !strings.Contains(v, `"`)
			if s.Raw != wantRaw {
				t.Errorf("QuoteString(%q, %v) = %s: raw %v, want %v", v, raw, text, s.Raw, wantRaw)
			}
		}
	}
	if got := ast.QuoteString(`^/a\.b$`, true); got != `#"^/a\.b$"` {
		t.Errorf("raw regex: %s", got)
	}
}

func TestCharLiteralReadsBack(t *testing.T) {
	for _, r := range []rune{'a', 'Z', '(', ';', '\\', '"', ' ', '\n', '\t', '\r', 0, 7, 0x7f, 'é', '☕', 0x200b} {
		text := ast.CharLiteral(r)
		file, ds := parser.ParseString("c.sb", text)
		if len(ds) > 0 || len(file.Forms) != 1 {
			t.Errorf("CharLiteral(%q) = %s does not read back: %v", r, text, ds)
			continue
		}
		if c, ok := file.Forms[0].(*ast.Char); !ok || c.Value != r {
			t.Errorf("CharLiteral(%q) = %s reads back as %s", r, text, ast.Datum(file.Forms[0]))
		}
	}
	if ast.CharLiteral(' ') != `#\space` || ast.CharLiteral('a') != `#\a` || ast.CharLiteral(7) != `#\x7` {
		t.Error("char spellings")
	}
}

func TestDatumAndDump(t *testing.T) {
	l := sample()
	q := ast.NewQuote(sp(0, 1), ast.UnquoteSplicingQ, ast.NewBool(sp(0, 1), false))
	l.Elems = append(l.Elems, q)
	if got := ast.Datum(l); got != `(allow file-read* (subpath "/usr") ,@#f)` {
		t.Errorf("Datum: %s", got)
	}
	want := `(list @1:1-1:36
  (symbol @1:2-1:7 allow)
  (symbol @1:8-1:18 file-read*)
  (list @1:19-1:35
    (symbol @1:20-1:27 subpath)
    (string @1:28-1:34 "/usr"))
  (unquote-splicing @1:1-1:2
    (bool @1:1-1:2 false)))`
	if got := ast.Dump(l); got != want {
		t.Errorf("Dump:\n%s\nwant:\n%s", got, want)
	}
	open := ast.NewString(sp(27, 33), "/u", false)
	open.Unterminated = true
	if got := ast.Dump(open); got != `(string!unterminated @1:28-1:34 "/u")` {
		t.Errorf("Dump of an unterminated string: %s", got)
	}
	if got := ast.Dump(ast.NewSymbol(source.Span{}, "x")); got != "(symbol @- x)" {
		t.Errorf("Dump without a span: %s", got)
	}
	if ast.QuasiQ.Name() != "quasiquote" || ast.UnquoteQ.Mark() != "," {
		t.Error("quote names")
	}
}

func TestToJSON(t *testing.T) {
	file := &ast.File{Src: f, Forms: []ast.Node{sample()}}
	data, err := json.Marshal(ast.ToJSON(file))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"file":"a.sb","forms":[{"type":"list","start":0,"end":35,"line":1,"column":1,"elems":[` +
		`{"type":"symbol","start":1,"end":6,"line":1,"column":2,"value":"allow"},` +
		`{"type":"symbol","start":7,"end":17,"line":1,"column":8,"value":"file-read*"},` +
		`{"type":"list","start":18,"end":34,"line":1,"column":19,"elems":[` +
		`{"type":"symbol","start":19,"end":26,"line":1,"column":20,"value":"subpath"},` +
		`{"type":"string","start":27,"end":33,"line":1,"column":28,"value":"/usr"}]}]}]}`
	if string(data) != want {
		t.Errorf("ToJSON:\n%s\nwant:\n%s", data, want)
	}
	l := ast.NewList(sp(0, 35), nil)
	l.SetDangling([]*ast.Comment{{Sp: sp(0, 6), Kind: ast.LineComment}})
	l.Trivia().Leading = []*ast.Comment{{Sp: sp(1, 6), Kind: ast.LineComment}}
	withComments := &ast.File{Src: f, Forms: []ast.Node{l}, Trailing: []*ast.Comment{{Sp: sp(7, 17), Kind: ast.BlockComment}}}
	data, _ = json.Marshal(ast.ToJSON(withComments))
	if want := `{"file":"a.sb","forms":[{"type":"list","start":0,"end":35,"line":1,"column":1,"comments":["allow"],"dangling":["(allow"]}],"trailing_comments":["file-read*"]}`; string(data) != want {
		t.Errorf("comments in JSON:\n%s\nwant:\n%s", data, want)
	}
	empty, _ := json.Marshal(ast.ToJSON(&ast.File{}))
	if string(empty) != `{"file":"","forms":[]}` {
		t.Errorf("empty file: %s", empty)
	}
}

// TestNodeSizes keeps the nodes a profile has hundreds of thousands of
// small: what few nodes have (comments, a dotted tail, escapes) lives in
// one pointer, so that a list or a string is one 64-byte allocation.
func TestNodeSizes(t *testing.T) {
	if unsafe.Sizeof(ast.List{}) > 64 || unsafe.Sizeof(ast.Symbol{}) > 48 || unsafe.Sizeof(ast.String{}) > 64 {
		t.Errorf("List %d bytes, Symbol %d bytes, String %d bytes: want at most 64, 48 and 64",
			unsafe.Sizeof(ast.List{}), unsafe.Sizeof(ast.Symbol{}), unsafe.Sizeof(ast.String{}))
	}
	l := ast.NewList(sp(0, 1), nil)
	if l.Tail() != nil || l.Dangling() != nil || l.HasComments() {
		t.Error("a new list has a tail, dangling comments or comments")
	}
	l.SetTail(nil)
	l.SetDangling(nil)
	if n := testing.AllocsPerRun(10, func() { l.SetTail(nil); l.SetDangling(nil); _ = l.Tail() }); n != 0 {
		t.Errorf("clearing an absent tail allocated %v times", n)
	}
	q := ast.NewSymbol(sp(0, 1), "b")
	l.SetTail(q)
	c := &ast.Comment{Sp: sp(0, 1)}
	l.SetDangling([]*ast.Comment{c})
	if l.Tail() != q || len(l.Dangling()) != 1 || l.HasComments() {
		t.Error("tail or dangling comments not kept, or counted as attached comments")
	}
	l.Trivia().Leading = append(l.Trivia().Leading, c)
	if !l.HasComments() || l.Tail() != q {
		t.Error("attaching a comment lost the tail")
	}
}

func TestStringEscapes(t *testing.T) {
	s := ast.NewString(sp(0, 4), "a", false)
	if s.Escapes() != nil {
		t.Error("a new string has escapes")
	}
	if n := testing.AllocsPerRun(10, func() { s.SetEscapes(nil) }); n != 0 {
		t.Errorf("clearing absent escapes allocated %v times", n)
	}
	s.SetEscapes([]ast.Escape{{Offset: 1, Seq: `\.`}})
	if len(s.Escapes()) != 1 || s.HasComments() {
		t.Error("escapes not kept, or counted as comments")
	}
}
