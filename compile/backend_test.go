package compile

import (
	"errors"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/eval"
	"github.com/sbplc/sbplc/source"
)

func TestParseError(t *testing.T) {
	cases := []struct {
		text      string
		msg       string
		line, col int
	}{
		{"unbound variable: frobnicate at <input string>, line 5, column 12", "unbound variable: frobnicate", 5, 12},
		{"unbound variable: setenv at <input string>, line 5", "unbound variable: setenv", 5, 0},
		{"invalid data type of path filter; expected pattern, got boolean at /tmp/p.sb, line 3, column 1\n", "invalid data type of path filter; expected pattern, got boolean", 3, 1},
		{"no version specified", "no version specified", 0, 0},
		{"host must be * or localhost in network address", "host must be * or localhost in network address", 0, 0},
	}
	for _, c := range cases {
		e := ParseError(c.text)
		if e.Message != c.msg || e.Line != c.line || e.Column != c.col {
			t.Errorf("%q: got %q %d:%d, want %q %d:%d", c.text, e.Message, e.Line, e.Column, c.msg, c.line, c.col)
		}
		if !strings.HasPrefix(e.Error(), "libsandbox: ") {
			t.Errorf("Error() = %q", e.Error())
		}
	}
}

func TestUnitMapsLinesToFiles(t *testing.T) {
	p1 := source.NewFile("a.sb", []byte("; a\n(define x 1)\n"))
	p2 := source.NewFile("b.sb", []byte("(define y 2)")) // no final newline
	main := source.NewFile("main.sb", []byte("(version 1)\n(allow fïle-read*)\n"))
	u := NewUnit([]*source.File{p1, p2}, main)
	if got, want := string(u.Text), "; a\n(define x 1)\n(define y 2)\n(version 1)\n(allow fïle-read*)\n"; got != want {
		t.Fatalf("text %q", got)
	}
	cases := []struct {
		line, col int
		want      string
		text      string
	}{
		{1, 1, "a.sb:1:1", ";"},
		{2, 9, "a.sb:2:9", "x"},
		{3, 2, "b.sb:1:2", "d"},
		{4, 2, "main.sb:1:2", "v"},
		{5, 10, "main.sb:2:10", "l"}, // columns count characters, not bytes
		{5, 99, "main.sb:2:19", ""},
	}
	for _, c := range cases {
		sp, ok := u.Span(c.line, c.col)
		if !ok || sp.String() != c.want || sp.Text() != c.text {
			t.Errorf("line %d col %d: %v %q (ok %v), want %s %q", c.line, c.col, sp, sp.Text(), ok, c.want, c.text)
		}
	}
	if _, ok := u.Span(6, 1); ok {
		t.Errorf("line past the end mapped")
	}
	d := u.Diagnostic(ParseError("unbound variable: fïle-read* at <input string>, line 5, column 8"))
	if d.String() != "main.sb:2:8: error: libsandbox: unbound variable: fïle-read* [libsandbox]" || len(d.Notes) == 0 {
		t.Errorf("diagnostic %s %v", d, d.Notes)
	}
	d = u.Diagnostic(ParseError("oops at <input string>, line 40, column 1"))
	if d.Span.IsValid() || len(d.Notes) != 1 {
		t.Errorf("out-of-range line: %s %v", d, d.Notes)
	}
	d = u.Diagnostic(errors.New("dlopen failed"))
	if d.Code != "compile" {
		t.Errorf("non-libsandbox error: %s", d)
	}
}

func TestParamsValidate(t *testing.T) {
	ps := ParamsFromMap(map[string]string{"b": "2", "a": "1"})
	if len(ps) != 2 || ps[0].Key != "a" || ps[1].Key != "b" {
		t.Errorf("not sorted: %v", ps)
	}
	if err := ps.Validate(); err != nil {
		t.Error(err)
	}
	for _, bad := range []Params{{{"", "x"}}, {{"a\x00b", "x"}}, {{"k", "v\x00"}}} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	f := &Fake{Blob: []byte{1}}
	if _, err := f.Compile(Request{Params: Params{{"k", "a\x00"}}}); err == nil {
		t.Errorf("fake accepted a NUL value")
	}
}

func TestBuildEmitBytecodeNeedsBackend(t *testing.T) {
	src := source.NewFile("p.sb", []byte("(version 1)(deny default)"))
	_, err := Build(src, Options{Emit: EmitBytecode})
	if _, nerr := Native(); nerr != nil {
		if err == nil || err.Error() != ErrUnsupported.Error() {
			t.Errorf("err = %v", err)
		}
	}
}

func TestBuildWithFake(t *testing.T) {
	v := findVec(t, "sonoma14.4.1_param_path_root_private_tmp")
	fake := &Fake{Blob: v.blob}
	build := func(root string) *Output {
		t.Helper()
		out, err := Build(v.src, Options{Backend: fake, Eval: eval.Options{Params: map[string]string{"ROOT": root}, Target: "macos14"}})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	out := build("/private/tmp")
	if out.Failed != "" || string(out.Data) != string(v.blob) || out.Report == nil || out.Report.Agree == 0 || len(out.Report.Disagreements) > 0 {
		t.Fatalf("ROOT=/private/tmp: failed %q, report %+v", out.Failed, out.Report)
	}
	req := fake.Requests()[0]
	if string(req.Source) != string(v.src.Text) || len(req.Params) != 1 || req.Params[0] != (Param{"ROOT", "/private/tmp"}) {
		t.Errorf("request %q %v", req.Source, req.Params)
	}
	out = build("/private/var")
	if out.Data != nil || !strings.Contains(out.Failed, "disagree") {
		t.Errorf("ROOT=/private/var: failed %q", out.Failed)
	}
}
