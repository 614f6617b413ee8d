package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const expandProfile = `(version 1)
(deny default)
(define (home p) (string-append (param "HOME") p))
(define ops (list file-read* file-write*))
(import "lib.sb")
(apply allow (append ops (list (subpath (home "/Library")))))
(with-filter (require-not (global-name "com.apple.b")) (allow mach-lookup (global-name "com.apple.a")))
`

func TestExpandCmd(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"p.sb":   expandProfile,
		"lib.sb": "(allow file-read-metadata)\n",
		"params": "# comment\nHOME=/Users/me\n",
		"pre.sb": "(define (pre-helper) (allow process-fork))\n",
		"use.sb": "(version 1)\n(pre-helper)\n",
	})
	p := filepath.Join(dir, "p.sb")
	want := `(version 1)
(deny default)
(allow file-read-metadata)
(allow file-read* file-write* (subpath "/Users/me/Library"))
(allow mach-lookup
  (require-all
    (global-name "com.apple.a")
    (require-not (global-name "com.apple.b"))))
`
	out, errs, code := runSbplc(t, "", "expand", "-D", "HOME=/Users/me", p)
	if code != 0 || out != want || errs != "" {
		t.Fatalf("expand -D: code %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	// --params FILE gives the same result.
	out2, _, code := runSbplc(t, "", "expand", "--params", filepath.Join(dir, "params"), p)
	if code != 0 || out2 != want {
		t.Fatalf("expand --params: code %d\n%s", code, out2)
	}
	// Fixed point: expanding the output prints the same text.
	out3, errs, code := runSbplc(t, out, "expand", "-")
	if code != 0 || out3 != out {
		t.Fatalf("expand of expand output differs (code %d):\n%s\nstderr: %s", code, out3, errs)
	}
	// Unbound params warn once and use ${NAME}.
	out, errs, code = runSbplc(t, "", "expand", p)
	if code != 0 || !strings.Contains(out, `(subpath "${HOME}/Library")`) || strings.Count(errs, "[unbound-param]") != 1 {
		t.Fatalf("unbound param: code %d\n%s\n%s", code, out, errs)
	}
	// --strict-params: the param is #f and the path filter fails, exit 1.
	_, errs, code = runSbplc(t, "", "expand", "--strict-params", p)
	if code != 1 || !strings.Contains(errs, "string-append: argument 1 must be a string, got boolean #f") {
		t.Fatalf("strict params: code %d\n%s", code, errs)
	}
	// --prelude evaluates first in the same environment.
	out, errs, code = runSbplc(t, "", "expand", "--prelude", filepath.Join(dir, "pre.sb"), filepath.Join(dir, "use.sb"))
	if code != 0 || out != "(version 1)\n(allow process-fork)\n" {
		t.Fatalf("prelude: code %d\n%s\n%s", code, out, errs)
	}
	// -I DIR finds imports elsewhere.
	other := writeTree(t, map[string]string{"main.sb": "(version 1)\n(import \"lib.sb\")\n"})
	out, errs, code = runSbplc(t, "", "expand", "-I", dir, filepath.Join(other, "main.sb"))
	if code != 0 || out != "(version 1)\n(allow file-read-metadata)\n" {
		t.Fatalf("-I: code %d\n%s\n%s", code, out, errs)
	}
}

func TestExpandCmdJSON(t *testing.T) {
	src := "(version 1)\n(define (h) (allow file-read* (subpath \"/a\")))\n(h)\n"
	out, errs, code := runSbplc(t, src, "expand", "--format", "json", "-")
	if code != 0 {
		t.Fatalf("code %d: %s", code, errs)
	}
	var got struct {
		Version int `json:"version"`
		Rules   []struct {
			Action string `json:"action"`
			Ops    []struct{ Name string }
			Origin struct {
				Span    struct{ Line, Column int }
				Primary struct {
					File         string
					Line, Column int
				}
				Chain []struct{ Name string }
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got.Version != 1 || len(got.Rules) != 1 {
		t.Fatalf("bad IR: %s", out)
	}
	r := got.Rules[0]
	if r.Action != "allow" || r.Ops[0].Name != "file-read*" || r.Origin.Span.Line != 2 ||
		r.Origin.Primary.Line != 3 || r.Origin.Primary.Column != 1 || r.Origin.Primary.File != "<stdin>" ||
		len(r.Origin.Chain) != 1 || r.Origin.Chain[0].Name != "h" {
		t.Fatalf("bad origin: %+v\n%s", r, out)
	}
}

func TestExpandCmdErrors(t *testing.T) {
	// Error diagnostics: positioned text on stderr, exit 1.
	_, errs, code := runSbplc(t, "(version 1)\n(allow file-raed*)\n", "expand", "-")
	if code != 1 || !strings.Contains(errs, `<stdin>:2:8: error: unknown operation file-raed*: libsandbox fails with "unbound variable: file-raed*"; did you mean file-read*? [unknown-operation]`) {
		t.Fatalf("code %d\n%s", code, errs)
	}
	// Usage errors exit 2.
	for _, args := range [][]string{
		{"--format", "yaml", "-"},
		{"-D", "NOEQUALS", "-"},
		{"--params", "/nonexistent/params", "-"},
		{"--prelude", "/nonexistent/prelude.sb", "-"},
		{"--target", "macos99", "-"},
		{"/nonexistent/profile.sb"},
		{},
	} {
		if _, errs, code := runSbplc(t, "", append([]string{"expand"}, args...)...); code != 2 {
			t.Errorf("expand %v: code %d, want 2 (%s)", args, code, errs)
		}
	}
	// -D without '=' says how to write it.
	if _, errs, _ := runSbplc(t, "", "expand", "-D", "HOME", "-"); !strings.Contains(errs, `-D "HOME": expected KEY=VALUE, e.g. -D HOME=/some/path`) {
		t.Errorf("-D HOME: %s", errs)
	}
	// A malformed --params line is a usage error naming the line.
	dir := writeTree(t, map[string]string{"bad": "A=1\nnot a pair\n"})
	if _, errs, code := runSbplc(t, "", "expand", "--params", filepath.Join(dir, "bad"), "-"); code != 2 || !strings.Contains(errs, "bad:2: expected KEY=VALUE") {
		t.Errorf("bad params file: code %d, %s", code, errs)
	}
}

func TestExpandCmdOutputFile(t *testing.T) {
	dir := writeTree(t, map[string]string{"out.sb": "keep me\n"})
	dst := filepath.Join(dir, "out.sb")
	// Errors: the output file is left untouched.
	if _, _, code := runSbplc(t, "(allow nope)\n", "expand", "-o", dst, "-"); code != 1 {
		t.Fatalf("code %d", code)
	}
	if b, _ := os.ReadFile(dst); string(b) != "keep me\n" {
		t.Fatalf("output file changed on error: %q", b)
	}
	if _, _, code := runSbplc(t, "(version 1)\n(allow file-read*)\n", "expand", "-o", dst, "-"); code != 0 {
		t.Fatalf("code %d", code)
	}
	if b, _ := os.ReadFile(dst); string(b) != "(version 1)\n(allow file-read*)\n" {
		t.Fatalf("output file: %q", b)
	}
}

// TestExpandCmdStrictParamPath checks libsandbox's exact wording for a #f
// reaching a path filter, at the (param ...) call, through a helper.
func TestExpandCmdStrictParamPath(t *testing.T) {
	src := "(version 1)\n(define (under p) (subpath p))\n(allow file-read* (under (param \"ROOT\")))\n"
	_, errs, code := runSbplc(t, src, "expand", "--strict-params", "-")
	want := "<stdin>:3:26: error: invalid data type of path filter; expected pattern, got boolean [filter-arg-type]\n"
	if code != 1 || !strings.Contains(errs, want) {
		t.Fatalf("code %d, want 1 and %q in:\n%s", code, want, errs)
	}
	if !strings.Contains(errs, `note: param "ROOT" is not set, so (param "ROOT") is #f: pass -D ROOT=VALUE`) {
		t.Errorf("no note saying what to do:\n%s", errs)
	}
	if strings.Count(errs, "[unbound-param]") != 1 {
		t.Errorf("want one unbound-param warning:\n%s", errs)
	}
}

// TestExpandCmdImportOrder checks the search order: the importing file's
// directory first, then each -I DIR in order; a file found through -I
// resolves its own imports relative to itself.
func TestExpandCmdImportOrder(t *testing.T) {
	main := writeTree(t, map[string]string{
		"main.sb": "(version 1)\n(import \"a.sb\")\n(import \"b.sb\")\n",
		"a.sb":    "(allow file-read* (literal \"/a-beside-main\"))\n",
	})
	i1 := writeTree(t, map[string]string{
		"a.sb": "(allow file-read* (literal \"/a-in-i1\"))\n",
		"b.sb": "(import \"c.sb\")\n",
		"c.sb": "(allow file-read* (literal \"/c-beside-b\"))\n",
	})
	i2 := writeTree(t, map[string]string{
		"b.sb": "(allow file-read* (literal \"/b-in-i2\"))\n",
		"c.sb": "(allow file-read* (literal \"/c-in-i2\"))\n",
	})
	out, errs, code := runSbplc(t, "", "expand", "-I", i1, "-I", i2, filepath.Join(main, "main.sb"))
	want := "(version 1)\n(allow file-read* (literal \"/a-beside-main\"))\n(allow file-read* (literal \"/c-beside-b\"))\n"
	if code != 0 || errs != "" || out != want {
		t.Fatalf("code %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s", code, out, want, errs)
	}
	// Not found: a warning naming every place searched, an opaque
	// (import ...) kept in the output, exit 0.
	if _, _, code = runSbplc(t, "", "expand", filepath.Join(i2, "missing-main.sb")); code != 2 {
		t.Fatalf("missing main file: code %d, want 2", code)
	}
	dir := writeTree(t, map[string]string{"m.sb": "(version 1)\n(import \"nowhere.sb\")\n(allow process-fork)\n"})
	out, errs, code = runSbplc(t, "", "expand", "-I", i1, filepath.Join(dir, "m.sb"))
	if code != 0 || !strings.Contains(errs, `m.sb:2:1: warning: cannot find imported profile "nowhere.sb"`) ||
		!strings.Contains(errs, filepath.Join(i1, "nowhere.sb")) || !strings.Contains(out, `(import "nowhere.sb")`) {
		t.Fatalf("import-not-found: code %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
}

// TestSameCodeAcrossCommands checks that expand, query and lint report one
// problem with one code, message and position (QA #7): the evaluator uses
// the lint rule IDs.
func TestSameCodeAcrossCommands(t *testing.T) {
	dir := t.TempDir()
	cases := []struct{ name, src, want string }{
		{"host.sb", "(version 1)\n(allow network-outbound (remote tcp \"127.0.0.1:80\"))\n",
			`host.sb:2:37: error: host "127.0.0.1" in network address: libsandbox fails with "host must be * or localhost in network address"; filter hosts with a local proxy and allow only localhost:PORT [remote-host-not-allowed]`},
		{"port.sb", "(version 1)\n(allow network-outbound (remote tcp \"localhost\"))\n",
			`port.sb:2:37: error: network address "localhost" has no port: libsandbox fails with "port missing in network address"; write "localhost:*" [malformed-network-address]`},
		{"ver.sb", "(version 1)\n(version 2)\n(allow default)\n",
			`ver.sb:2:1: error: second (version) form with a different version: libsandbox fails with "only one version may be specified" [duplicate-version]`},
		{"ver9.sb", "(version 9)\n(allow default)\n",
			`ver9.sb:1:10: error: version 9 is not supported: libsandbox fails with "unsupported version"; use (version 1) [unsupported-version]`},
		{"nover.sb", "(allow default)\n",
			`nover.sb:1:1: error: profile has no (version 1) form: libsandbox rejects it with "no version specified"; add (version 1) as the first form, or mark a fragment that other profiles include with a "; sbplc:fragment" comment [missing-version]`},
	}
	for _, c := range cases {
		p := filepath.Join(dir, c.name)
		if err := os.WriteFile(p, []byte(c.src), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"expand", p}, {"query", p, "file-read-data", "/x"}, {"lint", p}} {
			out, errs, code := runSbplc(t, "", args...)
			all := out + errs
			if code != 1 || !strings.Contains(all, filepath.Join(dir, c.want)) {
				t.Errorf("sbplc %s %s: code %d, want 1 and %q in\n%s", args[0], c.name, code, c.want, all)
			}
		}
	}
}
