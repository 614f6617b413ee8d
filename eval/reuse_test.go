package eval

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/corpus"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/parser"
	"github.com/sbplc/sbplc/source"
	"github.com/sbplc/sbplc/vocab"
)

// evalBoth evaluates src with and without the storage reuse of plain
// forms and fails when the profiles or the diagnostics differ.
func evalBoth(t *testing.T, name string, data []byte, opts Options) {
	t.Helper()
	run := func(reuse, fast bool) (string, string) {
		defer func(r, f bool) { reuseCells, fastPlain = r, f }(reuseCells, fastPlain)
		reuseCells, fastPlain = reuse, fast
		res := Run(source.NewFile(name, data), opts)
		return Dump(res.Profile), fmt.Sprint(res.Diags, res.Output)
	}
	d0, g0 := run(false, false)
	for _, c := range []struct{ reuse, fast bool }{{true, false}, {false, true}, {true, true}} {
		d, g := run(c.reuse, c.fast)
		if d != d0 {
			t.Errorf("%s: profile differs with reuse=%v fast=%v:\n%s\nwithout:\n%s", name, c.reuse, c.fast, d, d0)
		}
		if g != g0 {
			t.Errorf("%s: diagnostics differ with reuse=%v fast=%v:\n%s\nwithout:\n%s", name, c.reuse, c.fast, g, g0)
		}
	}
}

// TestCellReuseInvisible checks that reusing the cells of plain forms
// changes no result, on the corpus and on profiles that keep data from
// earlier forms alive (closures, quoted lists, macros, vectors) between
// plain forms.
func TestCellReuseInvisible(t *testing.T) {
	cases := map[string]string{
		"captured.sb": `(version 1)
(define saved '("/private/tmp/a" "/private/tmp/b"))
(define (grant p) (allow file-read* (literal p)))
(define-macro (twice op f) ` + "`" + `(begin (allow ,op ,f) (allow ,op ,f)))
(define v (vector "/usr/lib" "/usr/share"))
(allow file-read* (subpath "/usr/lib") (literal "/etc/hosts"))
(deny file-write* (regex #"^/private/var/x/[^/]+$"))
(allow network-outbound (remote unix-socket (path-literal "/private/var/run/x.sock")))
(for-each grant saved)
(twice file-read-metadata (literal "/private/tmp/c"))
(allow file-read* (subpath (vector-ref v 1)))
(allow file-read* (literal (string-append (car saved) "/x")))
(deny mach-lookup (with no-report) (global-name "com.apple.x"))
(allow file-read* (literal (cadr saved)))
`,
		"rebound.sb": `(version 1)
(define (literal p) (subpath p))
(allow file-read* (literal "/usr/lib"))
(define kept '())
(define (subpath p) (set! kept (cons p kept)) (path p))
(allow file-read* (subpath "/a") (subpath "/b"))
(allow file-read* (literal (car kept)))
`,
	}
	cases["errors.sb"] = `(version 1)
(allow file-read* (literal nosuchvar))
(allow file-read* (subpath "/a" 1))
(allow file-read* (literal))
(allow file-read* if)
(allow (literal "/x"))
(deny lsopen (require-not (literal "/a") (literal "/b")))
(allow file-read* (regex #"^/a[" ))
(allow network-outbound (remote ip "nohost:99999"))
(allow file-read* (literal (param "HOME")))
(allow file-read* (subpath (string-append "/a" (param "NOPE") 1)))
(allow nosuch-op (literal "/x"))
(allow file-read* (literal "/ok"))
`
	for name, text := range cases {
		evalBoth(t, name, []byte(text), Options{})
	}
	// The step and depth limits stop both paths at the same place.
	deep := "(version 1)\n(allow file-read* " + strings.Repeat("(require-any ", 40) + `(literal "/x")` + strings.Repeat(")", 40) + ")\n"
	for i := 0; i < 30; i++ {
		deep += fmt.Sprintf("(allow file-read* (literal \"/p%d\") (subpath (string-append \"/q\" \"%d\")))\n", i, i)
	}
	evalBoth(t, "steps.sb", []byte(deep), Options{Limits: Limits{Steps: 150}})
	evalBoth(t, "depth.sb", []byte(deep), Options{Limits: Limits{Depth: 20}})
	es := corpus.ForTest(t)
	for _, e := range es {
		data, err := e.Read()
		if err != nil {
			t.Fatal(err)
		}
		evalBoth(t, filepath.Base(e.File), data, corpusOptions(t, es, e))
	}
}

// TestPlainForm pins which forms reuse their storage.
func TestPlainForm(t *testing.T) {
	for _, tc := range []struct {
		src   string
		plain bool
	}{
		{`(allow file-read* (subpath "/usr") (literal "/etc/hosts"))`, true},
		{`(deny mach-lookup (with no-report) (global-name "x"))`, true},
		{`(allow file-read* (subpath (string-append (param "HOME") "/x")))`, true},
		{`(allow file-read* (require-all (vnode-type REGULAR-FILE) (require-not (literal "/x"))))`, true},
		{`(allow file-read* (literal (car '("/x"))))`, false}, // quoted data
		{`(define x "/x")`, false},                             // special form
		{`(allow file-read* (literal (f "/x")))`, false},       // unbound head
		{`(allow file-read* (literal (list-ref l 0)))`, false}, // impure builtin
		{`(import "x.sb")`, false},
		{`(allow file-read* #("/x"))`, false},
		{`(allow . file-read*)`, false},
	} {
		f, _ := parseForTest(tc.src)
		ev := newEvaluator(Options{})
		if got := isPlain(ev, f.Forms[0]); got != tc.plain {
			t.Errorf("plainForm(%s) = %v, want %v", tc.src, got, tc.plain)
		}
	}
	// A rebinding makes the head impure.
	ev := newEvaluator(Options{})
	f, _ := parseForTest(`(define (literal p) p) (allow file-read* (literal "/x"))`)
	ev.evalFileForms(f)
	if isPlain(ev, f.Forms[1]) {
		t.Error("a form calling a redefined filter is plain")
	}
}

// isPlain reports whether datum finds n plain.
func isPlain(ev *evaluator, n ast.Node) bool {
	ev.impure = false
	ev.datum(n)
	return !ev.impure
}

func parseForTest(src string) (*ast.File, diag.List) {
	return parser.Parse(source.NewFile("t.sb", []byte(src)))
}

// TestPureBuiltins pins the builtins marked Pure: plain forms made of them
// are evaluated from the tree and reuse their storage, so a builtin that
// keeps an argument, calls a procedure or evaluates other files (import,
// eval, apply, map, ...) must never be one.
func TestPureBuiltins(t *testing.T) {
	t.Run("never pure", func(t *testing.T) {
		for _, name := range []string{"import", "eval", "apply", "map", "for-each", "trace", "read",
			"list", "cons", "vector", "vector-set!", "set-car!", "set-cdr!", "string->symbol", "force",
			"call-with-current-continuation", "display", "sbpl-filter?"} {
			if b, ok := globalTable()[name].(*builtin); ok && b.Pure {
				t.Errorf("%s is marked Pure", name)
			}
		}
	})
	var pure []string
	for name, v := range globalTable() {
		if b, ok := v.(*builtin); ok && b.Pure {
			pure = append(pure, name)
		}
	}
	// The filter constructors, helper filters and syscall groups come from
	// the vocabulary; the rest is this list.
	fixed := map[string]bool{"require-all": true, "require-any": true, "require-not": true, "path-ancestors": true,
		"require-entitlement": true, "entitlement-value": true, "entitlement-value-regex": true, "allow": true, "deny": true,
		"version": true, "param": true, "getenv": true, "regex-quote": true, "variable-quote": true, "string-append": true}
	for _, name := range pure {
		if fixed[name] || strings.HasPrefix(name, "syscall-group-") || helperFilters[name].filter != "" {
			continue
		}
		if _, ok := vocab.LookupFilter(name); ok {
			continue
		}
		t.Errorf("%s is Pure but neither a filter constructor nor in the reviewed list", name)
	}
}
