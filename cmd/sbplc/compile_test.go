package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/compile"
	"github.com/sbplc/sbplc/corpus"
)

// bcVectorFile returns a file of a bytecode vector.
func bcVectorFile(t *testing.T, vector, file string) string {
	t.Helper()
	shared, err := corpus.SharedDir()
	if err != nil {
		t.Skipf("shared research data not available: %v", err)
	}
	p := filepath.Join(shared, "bytecode", "vectors", vector, file)
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func bcReadVector(t *testing.T, vector, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(bcVectorFile(t, vector, file))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const strict1 = "sonoma14.4.1_golden_strict_1"

// bcWithFake makes the compile command use f instead of libsandbox.
func bcWithFake(t *testing.T, f *compile.Fake) {
	t.Helper()
	old, oldDefault := compileBackend, defaultBackend
	compileBackend = func() (compile.Backend, error) { return f, nil }
	defaultBackend = func() string { return "libsandbox" }
	t.Cleanup(func() { compileBackend, defaultBackend = old, oldDefault })
}

const bcPrevious = "previous output\n"

func TestCompileWithoutLibsandbox(t *testing.T) {
	if runtime.GOOS == "darwin" {
		t.Skip("libsandbox exists here")
	}
	dir := t.TempDir()
	src := writeFile(t, filepath.Join(dir, "p.sb"), "(version 1)\n(deny default)\n")
	out := writeFile(t, filepath.Join(dir, "p.bin"), bcPrevious)
	_, stderr, code := runSbplc(t, "", "compile", "--backend", "libsandbox", "-o", out, src)
	if code != 2 || !strings.Contains(stderr, "compiling to bytecode needs macOS (libsandbox); use --emit sbpl for a portable flattened profile") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	bcAssertFile(t, out, bcPrevious)
}

func TestCompileBytecodeWithFake(t *testing.T) {
	blob := bcReadVector(t, strict1, strict1+".sb.bin")
	fake := &compile.Fake{Blob: blob}
	bcWithFake(t, fake)
	dir := t.TempDir()
	src := writeFile(t, filepath.Join(dir, "p.sb"), string(bcReadVector(t, strict1, "strict_1.sb.INFERRED")))
	out := writeFile(t, filepath.Join(dir, "p.bin"), bcPrevious)
	_, stderr, code := runSbplc(t, "", "compile", "-D", "B=2", "-D", "A=1", "-o", out, src)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	bcAssertFile(t, out, string(blob))
	reqs := fake.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	if got := reqs[0].Params; len(got) != 2 || got[0] != (compile.Param{Key: "A", Value: "1"}) || got[1] != (compile.Param{Key: "B", Value: "2"}) {
		t.Errorf("params %v, want A=1 B=2 in key order", got)
	}
	if !strings.Contains(string(reqs[0].Source), "(deny file-read* file-write* (literal \"/etc/hosts\"))") {
		t.Errorf("libsandbox did not get the source text: %q", reqs[0].Source)
	}
}

func TestCompileLibsandboxErrorMapsToSource(t *testing.T) {
	dir := t.TempDir()
	prelude := writeFile(t, filepath.Join(dir, "prelude.sb"), "; shared\n(define (helper) #t)\n")
	src := writeFile(t, filepath.Join(dir, "p.sb"), "(version 1)\n(deny default)\n(allow frobnicate-thing)\n")
	out := writeFile(t, filepath.Join(dir, "p.bin"), bcPrevious)
	// Line 5 of prelude+file is line 3 of p.sb.
	bcWithFake(t, &compile.Fake{ErrText: "unbound variable: frobnicate-thing at <input string>, line 5, column 8"})
	_, stderr, code := runSbplc(t, "", "compile", "--no-lint", "--prelude", prelude, "-o", out, src)
	if code != 1 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := src + ":3:8: error: libsandbox: unbound variable: frobnicate-thing [libsandbox]"
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
	bcAssertFile(t, out, bcPrevious)

	// An error in the prelude points into the prelude.
	bcWithFake(t, &compile.Fake{ErrText: "unbound variable: x at <input string>, line 2, column 1"})
	_, stderr, _ = runSbplc(t, "", "compile", "--no-lint", "--prelude", prelude, "-o", out, src)
	if !strings.Contains(stderr, prelude+":2:1: error: libsandbox: unbound variable: x") {
		t.Errorf("prelude error not mapped:\n%s", stderr)
	}
}

func TestCompileLintErrorsStop(t *testing.T) {
	blob := bcReadVector(t, strict1, strict1+".sb.bin")
	fake := &compile.Fake{Blob: blob}
	bcWithFake(t, fake)
	dir := t.TempDir()
	src := writeFile(t, filepath.Join(dir, "p.sb"), "(version 1)\n(deny default)\n(allow file-read* (subpath \"/private/tmp/strict_ok\"))\n(allow frobnicate-thing)\n")
	out := writeFile(t, filepath.Join(dir, "p.bin"), bcPrevious)
	_, stderr, code := runSbplc(t, "", "compile", "-o", out, src)
	if code != 1 || !strings.Contains(stderr, src+":4:") || !strings.Contains(stderr, "--no-lint") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if len(fake.Requests()) != 0 {
		t.Errorf("libsandbox was called despite lint errors")
	}
	bcAssertFile(t, out, bcPrevious)
	// --no-lint hands it to libsandbox; the fake's blob then disagrees
	// with the source, which --no-verify accepts.
	_, stderr, code = runSbplc(t, "", "compile", "--no-lint", "--no-verify", "-o", out, src)
	if code != 0 {
		t.Fatalf("--no-lint --no-verify: exit %d: %s", code, stderr)
	}
	bcAssertFile(t, out, string(blob))
}

func TestCompileVerificationFailureKeepsOutput(t *testing.T) {
	blob := bcReadVector(t, strict1, strict1+".sb.bin")
	dir := t.TempDir()
	src := writeFile(t, filepath.Join(dir, "p.sb"), string(bcReadVector(t, strict1, "strict_1.sb.INFERRED")))
	out := writeFile(t, filepath.Join(dir, "p.bin"), bcPrevious)

	// A truncated blob fails structural verification.
	bcWithFake(t, &compile.Fake{Blob: blob[:len(blob)-3]})
	_, stderr, code := runSbplc(t, "", "compile", "-o", out, src)
	if code != 1 || !strings.Contains(stderr, "[bytecode-pool]") || !strings.Contains(stderr, "not writing") {
		t.Fatalf("truncated: exit %d:\n%s", code, stderr)
	}
	bcAssertFile(t, out, bcPrevious)

	// A blob that does not implement the source fails the cross-check.
	other := writeFile(t, filepath.Join(dir, "other.sb"), "(version 1)\n(deny default)\n(allow file-read* (subpath \"/private/tmp/elsewhere\"))\n")
	bcWithFake(t, &compile.Fake{Blob: blob})
	_, stderr, code = runSbplc(t, "", "compile", "-o", out, other)
	if code != 1 || !strings.Contains(stderr, "[cross-check]") || !strings.Contains(stderr, "path=/private/tmp/elsewhere") {
		t.Fatalf("cross-check: exit %d:\n%s", code, stderr)
	}
	bcAssertFile(t, out, bcPrevious)

	// A non-compile backend failure is an environment error.
	bcWithFake(t, &compile.Fake{Err: os.ErrPermission})
	_, stderr, code = runSbplc(t, "", "compile", "-o", out, src)
	if code != 2 {
		t.Fatalf("backend failure: exit %d:\n%s", code, stderr)
	}
	bcAssertFile(t, out, bcPrevious)
}

func TestCompileEmitSBPLAndJSON(t *testing.T) {
	dir := t.TempDir()
	src := writeFile(t, filepath.Join(dir, "p.sb"), "(version 1)\n(deny default)\n(define (ro p) (allow file-read* (subpath p)))\n(ro (param \"ROOT\"))\n")
	out := filepath.Join(dir, "flat.sb")
	_, stderr, code := runSbplc(t, "", "compile", "--emit", "sbpl", "-D", "ROOT=/private/tmp", "-o", out, src)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, _ := os.ReadFile(out)
	if !strings.Contains(string(b), "(allow file-read* (subpath \"/private/tmp\"))") || strings.Contains(string(b), "param") {
		t.Errorf("flattened profile:\n%s", b)
	}
	// The flattened profile is itself a profile that flattens to itself.
	out2 := filepath.Join(dir, "flat2.sb")
	if _, stderr, code := runSbplc(t, "", "compile", "--emit", "sbpl", "-o", out2, out); code != 0 {
		t.Fatalf("re-flatten: %s", stderr)
	}
	bcAssertFile(t, out2, string(b))

	js := filepath.Join(dir, "p.json")
	if _, stderr, code := runSbplc(t, "", "compile", "--emit", "json", "-D", "ROOT=/private/tmp", "-o", js, src); code != 0 {
		t.Fatalf("json: %s", stderr)
	}
	jb, _ := os.ReadFile(js)
	if !json.Valid(jb) || !strings.Contains(string(jb), "/private/tmp") {
		t.Errorf("json output: %s", jb)
	}
	// Standard output.
	stdout, _, code := runSbplc(t, "", "compile", "--emit", "sbpl", "-D", "ROOT=/x", "-o", "-", src)
	if code != 0 || !strings.Contains(stdout, "(subpath \"/x\")") {
		t.Errorf("-o -: exit %d, %q", code, stdout)
	}
}

func TestCompileUsageErrors(t *testing.T) {
	dir := t.TempDir()
	src := writeFile(t, filepath.Join(dir, "p.sb"), "(version 1)\n(deny default)\n")
	for _, args := range [][]string{
		{"compile", src},
		{"compile", "--emit", "elf", "-o", "x", src},
		{"compile", "--emit", "sbpl", "-o", filepath.Join(dir, "x"), filepath.Join(dir, "missing.sb")},
		{"compile", "--emit", "sbpl", "-D", "NOEQUALS", "-o", filepath.Join(dir, "x"), src},
	} {
		if _, stderr, code := runSbplc(t, "", args...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, stderr)
		}
	}
	// An evaluation error stops --emit sbpl, and leaves OUT alone.
	bad := writeFile(t, filepath.Join(dir, "bad.sb"), "(version 1)\n(deny default)\n(allow file-read* (subpath 42))\n")
	out := writeFile(t, filepath.Join(dir, "flat.sb"), bcPrevious)
	if _, stderr, code := runSbplc(t, "", "compile", "--emit", "sbpl", "-o", out, bad); code != 1 {
		t.Errorf("bad profile: exit %d (%s)", code, stderr)
	}
	bcAssertFile(t, out, bcPrevious)
}

func bcAssertFile(t *testing.T, name, want string) {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want {
		t.Errorf("%s: got %d bytes %q, want %q", name, len(b), bcTrunc(string(b)), bcTrunc(want))
	}
}

func bcTrunc(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// Lint levels come from the nearest .sbplc.yaml.
func TestCompileUsesLintConfig(t *testing.T) {
	dir := t.TempDir()
	src := writeFile(t, filepath.Join(dir, "p.sb"), "(version 1)\n(allow default)\n")
	out := filepath.Join(dir, "flat.sb")
	if _, stderr, code := runSbplc(t, "", "compile", "--emit", "sbpl", "-o", out, src); code != 0 {
		t.Fatalf("without config: exit %d: %s", code, stderr)
	}
	writeFile(t, filepath.Join(dir, ".sbplc.yaml"), "rules:\n  allow-default: error\n")
	os.Remove(out)
	_, stderr, code := runSbplc(t, "", "compile", "--emit", "sbpl", "-o", out, src)
	if code != 1 || !strings.Contains(stderr, "[allow-default]") {
		t.Fatalf("with allow-default: error: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s written despite a lint error", out)
	}
}

// compile applies libsandbox's semantics for unset params (QA #3): a
// guarded rule is left out, a path filter given #f is libsandbox's error,
// and no ${NAME} placeholder is ever written.
func TestCompileUnsetParams(t *testing.T) {
	dir := t.TempDir()
	guarded := writeFile(t, filepath.Join(dir, "g.sb"), "(version 1)\n(deny default)\n(if (param \"SRC_DIR\")\n  (allow file-read* (subpath (param \"SRC_DIR\"))))\n(allow file-read* (literal \"/private/etc/hosts\"))\n")
	out := filepath.Join(dir, "flat.sb")
	_, stderr, code := runSbplc(t, "", "compile", "--emit", "sbpl", "-o", out, guarded)
	if code != 0 {
		t.Fatalf("guarded: exit %d: %s", code, stderr)
	}
	bcAssertFile(t, out, "(version 1)\n(deny default)\n(allow file-read* (literal \"/private/etc/hosts\"))\n")
	if !strings.Contains(stderr, "pass -D SRC_DIR=VALUE to include them) [unbound-param]") {
		t.Errorf("the left-out rule is not explained:\n%s", stderr)
	}

	bad := writeFile(t, filepath.Join(dir, "params.sb"), "(version 1)\n(deny default)\n(allow file-read* (subpath (param \"ROOT\")))\n")
	fake := &compile.Fake{Blob: []byte("never")}
	bcWithFake(t, fake)
	for _, emit := range []string{"sbpl", "json", "bytecode"} {
		prev := writeFile(t, filepath.Join(dir, "out."+emit), bcPrevious)
		_, stderr, code := runSbplc(t, "", "compile", "--emit", emit, "-o", prev, bad)
		if code != 1 {
			t.Errorf("--emit %s: exit %d, want 1:\n%s", emit, code, stderr)
		}
		want := bad + ":3:28: error: invalid data type of path filter; expected pattern, got boolean"
		if !strings.Contains(stderr, want) || strings.Contains(stderr, "${ROOT}") {
			t.Errorf("--emit %s: stderr lacks %q:\n%s", emit, want, stderr)
		}
		if !strings.Contains(stderr, "sbplc: not writing "+prev+": the profile has") {
			t.Errorf("--emit %s: no refusal:\n%s", emit, stderr)
		}
		bcAssertFile(t, prev, bcPrevious)
	}
	if len(fake.Requests()) != 0 {
		t.Errorf("libsandbox was called for a profile with errors")
	}
}

// An unresolved import stops --emit sbpl with an error and a refusal that
// says what to do (QA #4c), even with --no-lint.
func TestCompileUnresolvedImport(t *testing.T) {
	dir := t.TempDir()
	src := writeFile(t, filepath.Join(dir, "ks.sb"), "(version 1)\n(deny default)\n(import \"system.sb\")\n(corefoundation)\n")
	out := writeFile(t, filepath.Join(dir, "ks.out"), bcPrevious)
	for _, extra := range [][]string{nil, {"--no-lint"}} {
		args := append([]string{"compile", "--emit", "sbpl", "-o", out}, extra...)
		_, stderr, code := runSbplc(t, "", append(args, src)...)
		if code != 1 {
			t.Fatalf("%v: exit %d:\n%s", extra, code, stderr)
		}
		for _, want := range []string{
			src + ":3:1: error: cannot find imported profile \"system.sb\"",
			"sbplc: not writing " + out + ": import \"system.sb\" was not found, so the flattened profile would be incomplete: add -I DIR",
		} {
			if !strings.Contains(stderr, want) {
				t.Errorf("%v: stderr lacks %q:\n%s", extra, want, stderr)
			}
		}
		bcAssertFile(t, out, bcPrevious)
	}
}

// compile --backend native (the default off macOS) writes the bytes
// libsandbox 14.4.1 writes, verified and cross-checked, and refuses a
// construct it cannot encode at the construct's position, leaving OUT
// alone.
func TestCompileNativeBackend(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(bcVectorFile(t, "sonoma14.4.1_domain_af_inet", "domain_af_inet.sb"))
	if err != nil {
		t.Fatal(err)
	}
	p := writeFile(t, filepath.Join(dir, "p.sb"), string(src))
	out := filepath.Join(dir, "p.bin")
	if _, stderr, code := runSbplc(t, "", "compile", "--backend", "native", "--no-lint", "-o", out, p); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	bcAssertFile(t, out, string(bcReadVector(t, "sonoma14.4.1_domain_af_inet", "sonoma14.4.1_domain_af_inet.sb.bin")))

	bad := writeFile(t, filepath.Join(dir, "bad.sb"), "(version 1)\n(deny default)\n(allow file-read* (regex #\"^/private/tmp/x\"))\n")
	prev := writeFile(t, filepath.Join(dir, "bad.bin"), bcPrevious)
	_, stderr, code := runSbplc(t, "", "compile", "--backend", "native", "--no-lint", "-o", prev, bad)
	if code != 1 || !strings.Contains(stderr, "bad.sb:3:19: error: native emitter: (regex ...): no hash-verified blob shows how libsandbox 14.4.1 encodes this filter; compile on macOS 14 with --backend libsandbox [native-unsupported]") {
		t.Errorf("exit %d, stderr %s", code, stderr)
	}
	bcAssertFile(t, prev, bcPrevious)
	if _, stderr, code := runSbplc(t, "", "compile", "--backend", "gcc", "-o", out, p); code != 2 || !strings.Contains(stderr, "unknown --backend") {
		t.Errorf("bad backend: %d %s", code, stderr)
	}
}

// TestFlatOutputIsCanonical: expand and compile --emit sbpl print fmt's
// canonical layout (issue 12, item 10): fmt --check accepts their output.
func TestFlatOutputIsCanonical(t *testing.T) {
	p := tempFile(t, "p.sb", "(version 1)\n(deny default)\n(define (h p) (string-append \"/Users/me\" p))\n(allow file-read* file-write* (require-all (subpath (h \"/src\")) (require-not (literal (h \"/src/.env\")))) (subpath \"/usr\"))\n(allow mach-lookup (global-name \"com.apple.a\") (global-name \"com.apple.b\") (global-name \"com.apple.c\") (global-name \"com.apple.d\"))\n")
	for _, args := range [][]string{{"expand", p}, {"compile", "--emit", "sbpl", "--no-lint", "-o", "-", p}} {
		out, errs, code := runSbplc(t, "", args...)
		if code != 0 {
			t.Fatalf("%v: %d %s", args, code, errs)
		}
		if _, errs, code := runSbplc(t, out, "fmt", "--check", "-"); code != 0 {
			t.Errorf("%v output is not canonical: %d %s\n%s", args[0], code, errs, out)
		}
	}
}
