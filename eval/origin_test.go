package eval

import (
	"os"
	"testing"

	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/source"
)

func pos(sp source.Span) string {
	if !sp.IsValid() {
		return "-"
	}
	return sp.String()
}

// TestOrigins checks where rules, filters and values point: through
// helpers, macros, imports and params.
func TestOrigins(t *testing.T) {
	main := `(version 1)
(import "lib.sb")
(lib-rule)
(define (mine) (allow file-write* (subpath "/m")))
(mine)
(allow file-read* (literal (param "P")))
(with-filter (literal "/w") (allow mach-lookup))
`
	lib := "(define (lib-rule) (allow file-read* (subpath \"/lib\")))\n(deny network*)\n"
	res := Run(source.NewFile("main.sb", []byte(main)), Options{ReadFile: func(name string) ([]byte, error) {
		if name == "lib.sb" {
			return []byte(lib), nil
		}
		return nil, os.ErrNotExist
	}})
	if len(res.Profile.Rules) != 5 {
		t.Fatalf("rules: %s", Dump(res.Profile))
	}
	rs := res.Profile.Rules
	check := func(what string, o ir.Origin, span, primary string) {
		t.Helper()
		if got := pos(o.Span); got != span {
			t.Errorf("%s: span %s, want %s", what, got, span)
		}
		if got := pos(o.Primary()); got != primary {
			t.Errorf("%s: primary %s, want %s", what, got, primary)
		}
	}
	// (deny network*) in lib.sb: imported, so it points at the import line.
	check("imported rule", rs[0].Origin, "lib.sb:2:1", "main.sb:2:1")
	// A helper from the import, called from main.sb.
	check("imported helper rule", rs[1].Origin, "lib.sb:1:20", "main.sb:3:1")
	check("imported helper value", rs[1].Filter.Args[0].Origin, "lib.sb:1:47", "main.sb:3:1")
	// A helper of the main file.
	check("helper rule", rs[2].Origin, "main.sb:4:16", "main.sb:5:1")
	check("helper value", rs[2].Filter.Args[0].Origin, "main.sb:4:44", "main.sb:4:44")
	if n := len(rs[2].Origin.Chain); n != 1 || rs[2].Origin.Chain[0].Name != "mine" {
		t.Errorf("helper chain: %+v", rs[2].Origin.Chain)
	}
	// A value from (param ...) points at the param call and lists the param.
	v := rs[3].Filter.Args[0]
	check("param value", v.Origin, "main.sb:6:28", "main.sb:6:28")
	if !v.Symbolic() || v.Params[0] != "P" || v.Str != "${P}" {
		t.Errorf("param value: %+v", v)
	}
	// with-filter: the rule is the user's form.
	check("with-filter rule", rs[4].Origin, "main.sb:7:29", "main.sb:7:29")
	if im := res.Profile.Imports; len(im) != 1 || !im[0].Resolved || im[0].Index != 0 || pos(im[0].Origin.Span) != "main.sb:2:1" {
		t.Errorf("imports: %+v", im)
	}
	if p := res.Profile.Params; len(p) != 1 || p[0].Name != "P" || p[0].Bound || pos(p[0].Origin.Span) != "main.sb:6:28" {
		t.Errorf("params: %+v", p)
	}
	for i, r := range rs {
		if r.Index != i {
			t.Errorf("rule %d has Index %d", i, r.Index)
		}
	}
}

// TestConcurrent evaluates profiles from several goroutines (run with -race):
// the shared builtin table must never be mutated.
func TestConcurrent(t *testing.T) {
	src := `(version 1)
(set-car! *default-import-search-paths* "/mutated")
(define (f x) (allow file-read* (subpath x)))
(for-each f (list "/a" "/b"))
(set! allow deny)
(allow file-write*)
`
	want := Dump(Run(source.NewFile("c.sb", []byte(src)), Options{}).Profile)
	done := make(chan string, 8)
	for i := 0; i < 8; i++ {
		go func() {
			done <- Dump(Run(source.NewFile("c.sb", []byte(src)), Options{}).Profile)
		}()
	}
	for i := 0; i < 8; i++ {
		if got := <-done; got != want {
			t.Errorf("concurrent evaluation differs:\n%s\nwant\n%s", got, want)
		}
	}
	r := Run(source.NewFile("d.sb", []byte(`(show (car *default-import-search-paths*))`)),
		Options{Preludes: []*source.File{source.NewFile("p", []byte(testPrelude))}})
	if r.Output != "\"/System/Library/Sandbox/Profiles\" \n" {
		t.Errorf("shared list was mutated: %q", r.Output)
	}
}
