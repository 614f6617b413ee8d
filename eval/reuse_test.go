package eval

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/corpus"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/parser"
	"github.com/sbplc/sbplc/source"
)

// evalBoth evaluates src with and without the storage reuse of plain
// forms and fails when the profiles or the diagnostics differ.
func evalBoth(t *testing.T, name string, data []byte, opts Options) {
	t.Helper()
	run := func(reuse bool) (string, string) {
		defer func(old bool) { reuseCells = old }(reuseCells)
		reuseCells = reuse
		res := Run(source.NewFile(name, data), opts)
		return Dump(res.Profile), fmt.Sprint(res.Diags)
	}
	d1, g1 := run(true)
	d2, g2 := run(false)
	if d1 != d2 {
		t.Errorf("%s: profile differs with cell reuse:\n%s\nwithout:\n%s", name, d1, d2)
	}
	if g1 != g2 {
		t.Errorf("%s: diagnostics differ with cell reuse:\n%s\nwithout:\n%s", name, g1, g2)
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
	for name, text := range cases {
		evalBoth(t, name, []byte(text), Options{})
	}
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
