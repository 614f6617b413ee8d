package lint_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sbplc/sbplc/config"
	"github.com/sbplc/sbplc/eval"
	"github.com/sbplc/sbplc/lint"
	"github.com/sbplc/sbplc/source"
)

// paramsAt are realistic -D values: the home and the project live under
// /Users/me, as they do on a Mac.
var paramsAt = map[string]string{"HOME": "/Users/me", "PROJECT": "/Users/me/src/app",
	"PROJECT_DIR": "/Users/me/src/app", "SRC_DIR": "/Users/me/src/app", "BUILD_DIR": "/Users/me/src/app/build"}

// TestHardcodedHomeParams: a path built from a param is the caller's,
// whatever -D supplied; only a /Users/NAME path written in the profile is
// hard-coded.
func TestHardcodedHomeParams(t *testing.T) {
	const v = "(version 1)\n(deny default)\n"
	for _, c := range []struct {
		text string
		want int
	}{
		{`(allow file-read* (subpath (string-append (param "HOME") "/.config/tool")))`, 0},
		{`(allow file-write* (subpath (param "PROJECT")))`, 0},
		{"(define proj (param \"PROJECT\"))\n(allow file-write* (subpath (string-append proj \"/out\")))", 0},
		{"(define (home p) (string-append (param \"HOME\") p))\n(deny file-read* (subpath (home \"/.ssh\")))", 0},
		{`(allow file-read* (regex (string-append "^" (regex-quote (param "HOME")) "/x")))`, 0},
		{`(allow file-write* (subpath "/Users/me/src/app"))`, 1},
	} {
		ds := lintText(t, "h.sb", v+c.text, lint.Options{ParamsGiven: true, Eval: eval.Options{Params: paramsAt}})
		if got := codes(ds, "hardcoded-home"); len(got) != c.want {
			t.Errorf("%s: %d hardcoded-home findings, want %d: %v", c.text, len(got), c.want, got)
		}
	}
}

// TestExamplesCleanWithParams lints the bundled examples and the agent
// example of docs/query-test-audit.md with every rule and realistic params: no finding.
func TestExamplesCleanWithParams(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "examples", "*.sb"))
	if err != nil || len(files) < 3 {
		t.Fatalf("examples: %v %v", files, err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, params := range []map[string]string{nil, paramsAt} {
			ds := lintText(t, f, string(data), lint.Options{ParamsGiven: params != nil, Eval: eval.Options{Params: params}})
			for _, d := range ds {
				t.Errorf("%s (params %v): %v", f, params != nil, d)
			}
		}
	}
	// The agent example of docs/query-test-audit.md: broad on purpose (an unfiltered
	// file-read*), but no path in it is hard-coded.
	const agent = `(version 1)
(deny default)
(define (home p) (string-append (param "HOME") p))
(allow file-read*)
(deny file-read* (subpath (home "/.ssh")))
(allow file-write* (subpath (param "PROJECT")) (subpath "/private/tmp"))
(deny file-write* (subpath (string-append (param "PROJECT") "/.git")))
(allow network-outbound (remote tcp "localhost:8080"))
`
	ds := lintText(t, "agent.sb", agent, lint.Options{ParamsGiven: true, Eval: eval.Options{Params: paramsAt}})
	if got := codes(ds, "hardcoded-home"); len(got) > 0 {
		t.Errorf("agent example of docs/query-test-audit.md: %v", got)
	}
}

// TestUnusedDefinePrelude: a file the configuration prepends to other
// profiles (preludes:) exports its definitions; the same file linted as a
// profile of its own reports them.
func TestUnusedDefinePrelude(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "common.sb")
	text := "(version 1)\n(deny default)\n(define (allow-font-access) (allow file-read-data (subpath \"/Library/Fonts\")))\n"
	cfg, err := config.Parse(filepath.Join(dir, ".sbplc.yaml"), []byte("preludes:\n  - common.sb\n"))
	if err != nil {
		t.Fatal(err)
	}
	ds, _ := lint.File(source.NewFile(name, []byte(text)), cfg, lint.Options{})
	if got := codes(ds, "unused-define"); len(got) != 0 {
		t.Errorf("configured prelude: %v", got)
	}
	ds, _ = lint.File(source.NewFile(filepath.Join(dir, "other.sb"), []byte(text)), cfg, lint.Options{})
	if got := codes(ds, "unused-define"); len(got) != 1 {
		t.Errorf("profile of its own: %v", got)
	}
}
