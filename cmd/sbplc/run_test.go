//go:build unix

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sbplc/sbplc/compile"
	"github.com/sbplc/sbplc/internal/fsutil"
	"github.com/sbplc/sbplc/internal/testutil"
	"github.com/sbplc/sbplc/internal/trace"
)

// testApplier is the child stage's applier in this test binary: the
// shared fake (no sandbox; SBPLC_TEST_APPLY chooses what it does,
// SBPLC_TEST_MARK records the profile), and one more choice:
//
//	SBPLC_TEST_APPLY=deny  report "DENY <pid> process-exec*" in $FEED, as a
//	                       sandbox would report an exec it is about to deny
//	                       (trace_test.go), then succeed
type testApplier struct{}

func (testApplier) Apply(bytecode []byte) error {
	if os.Getenv("SBPLC_TEST_APPLY") == "deny" {
		f, err := os.OpenFile(os.Getenv("FEED"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		fmt.Fprintf(f, "DENY %d process-exec*\n", os.Getpid())
		f.Close()
	}
	return testutil.FakeApplier{Env: "SBPLC_TEST"}.Apply(bytecode)
}

// fakeBytecode is what the fake libsandbox compiles every profile to.
const fakeBytecode = "fake compiled profile"

// testHooks sets up fakes from the environment, for sbplc started as a
// process of its own (scripts, signal tests):
//
//	SBPLC_TEST_COMPILE=ok          libsandbox is a fake that compiles to fakeBytecode
//	SBPLC_TEST_COMPILE=error:TEXT  libsandbox rejects every profile with TEXT
//	SBPLC_TEST_COMPILE=load        libsandbox cannot be loaded
//	SBPLC_TEST_TEMPLATES=DIR       --template NAME reads DIR/NAME.sb
//	SBPLC_TEST_MAIN=1              run as sbplc's main (signal handling included)
//	SBPLC_TEST_FAKE_LOG=FEED       act as `log stream`: noise, the ready line, then FEED's lines (testutil.FakeLogStream)
//	SBPLC_TEST_TRACE=FEED          trace uses that fake stream, /proc and the fake learner
func testHooks() {
	switch v := os.Getenv("SBPLC_TEST_COMPILE"); {
	case v == "ok":
		compileBackend = func() (compile.Backend, error) { return &compile.Fake{Blob: []byte(fakeBytecode)}, nil }
	case strings.HasPrefix(v, "error:"):
		compileBackend = func() (compile.Backend, error) { return &compile.Fake{ErrText: strings.TrimPrefix(v, "error:")}, nil }
	case v == "load":
		compileBackend = func() (compile.Backend, error) {
			return nil, errors.New("loading /usr/lib/libsandbox.1.dylib: image not found")
		}
	}
	if dir := os.Getenv("SBPLC_TEST_TEMPLATES"); dir != "" {
		templateSource = func(name string) ([]byte, error) {
			return fsutil.ReadRegular(filepath.Join(dir, name+".sb"), fsutil.MaxInputSize)
		}
	}
	if feed := os.Getenv("SBPLC_TEST_FAKE_LOG"); feed != "" {
		testutil.FakeLogStream(feed, trace.ReadyPrefix+` "fake"`, "")
	}
	if feed := os.Getenv("SBPLC_TEST_TRACE"); feed != "" {
		installTraceFakes(feed)
	}
	if os.Getenv("SBPLC_TEST_MAIN") == "1" {
		fsutil.CleanupOnSignal()
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
}

// fakeCompile makes libsandbox a fake for one test.
func fakeCompile(t *testing.T, f *compile.Fake) {
	t.Helper()
	old := compileBackend
	compileBackend = func() (compile.Backend, error) { return f, nil }
	t.Cleanup(func() { compileBackend = old })
}

const runProfile = "(version 1)\n(deny default)\n(allow process-exec*)\n(allow file-read* (subpath \"/usr\"))\n"

// touchArgs is a COMMAND that creates path: if it ever runs, the file exists.
func touchArgs(path string) []string { return []string{"/bin/sh", "-c", `echo ran > "$0"`, path} }

func TestRunUsage(t *testing.T) {
	dir := writeTree(t, map[string]string{"p.sb": runProfile})
	p := filepath.Join(dir, "p.sb")
	fakeCompile(t, &compile.Fake{Blob: []byte(fakeBytecode)})
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"run"}, "missing PROFILE (or --template NAME)"},
		{[]string{"run", p}, "missing COMMAND after --"},
		{[]string{"run", p, "--"}, "missing COMMAND after --"},
		{[]string{"run", p, "ls"}, "missing -- before COMMAND: write sbplc run " + p + " -- ls"},
		{[]string{"run", p, "q.sb", "--", "ls"}, `unexpected argument "q.sb" before --`},
		{[]string{"run", "--template", "agent", p, "--", "ls"}, "give --template NAME or PROFILE, not both"},
		{[]string{"run", "-", "--", "ls"}, "PROFILE cannot be -"},
		{[]string{"run", "-D", "novalue", p, "--", "ls"}, `-D "novalue": expected KEY=VALUE`},
		{[]string{"run", "--target", "macos99", p, "--", "ls"}, `unknown --target "macos99"`},
	}
	for _, tt := range tests {
		_, errs, code := runSbplc(t, "", tt.args...)
		if code != 2 || !strings.Contains(errs, tt.want) {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", tt.args, code, errs, tt.want)
		}
	}
}

func TestRunOffMac(t *testing.T) {
	if runtime.GOOS == "darwin" {
		t.Skip("libsandbox is here")
	}
	dir := writeTree(t, map[string]string{"p.sb": runProfile})
	ran := filepath.Join(dir, "ran")
	for _, cmd := range []string{"run", "trace"} {
		args := append([]string{cmd, filepath.Join(dir, "p.sb"), "--"}, touchArgs(ran)...)
		_, errs, code := runSbplc(t, "", args...)
		if code != 2 || !strings.Contains(errs, "needs macOS (libsandbox)") || !strings.Contains(errs, "--dry-run") || !strings.Contains(errs, "sbplc audit") {
			t.Errorf("%s off a Mac: exit %d, stderr %q", cmd, code, errs)
		}
		if _, err := os.Stat(ran); err == nil {
			t.Fatalf("%s ran COMMAND off a Mac", cmd)
		}
	}
	_, errs, code := runSbplc(t, "", "audit", "--live", filepath.Join(dir, "p.sb"))
	if code != 2 || !strings.Contains(errs, "needs macOS (libsandbox)") || !strings.Contains(errs, "sbplc audit") {
		t.Errorf("audit --live off a Mac: exit %d, stderr %q", code, errs)
	}
}

func TestRunDryRun(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"p.sb":   "(version 1)\n(deny default)\n(allow file-read* (subpath (param \"HOME\")))\n",
		"bad.sb": "(version 1)\n(allow file-read-dataa)\n",
	})
	// No libsandbox needed: the real backend is never asked.
	out, errs, code := runSbplc(t, "", "run", "--dry-run", "-D", "HOME=/Users/me", filepath.Join(dir, "p.sb"), "--", "ls", "-l", "a b")
	want := "; sbplc run --dry-run: the profile " + filepath.Join(dir, "p.sb") + " as sbplc evaluates it\n" +
		"; param HOME=/Users/me\n; command: ls -l 'a b'\n" +
		"(version 1)\n(deny default)\n(allow file-read* (subpath \"/Users/me\"))\n"
	if code != 0 || out != want {
		t.Errorf("dry-run: exit %d, stderr %q, stdout:\n%s\nwant:\n%s", code, errs, out, want)
	}
	out, errs, code = runSbplc(t, "", "run", "--dry-run", filepath.Join(dir, "bad.sb"))
	if code != 1 || out != "" || !strings.Contains(errs, "bad.sb:2:") {
		t.Errorf("dry-run of a bad profile: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// TestRunFailClosed covers every failure point of sbplc run before the
// exec: COMMAND would create a file, and must not; the status is 126 (127
// when COMMAND is not found) and the message says what failed.
func TestRunFailClosed(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"p.sb":        runProfile,
		"lint.sb":     "(version 1)\n(deny default)\n(allow file-read-dataa)\n",
		"syntax.sb":   "(version 1)\n(allow default\n",
		"noshebang":   "echo ran > \"$RAN\"\n",
		"tmpl/one.sb": runProfile,
	})
	os.Chmod(filepath.Join(dir, "noshebang"), 0o755)
	p := filepath.Join(dir, "p.sb")
	tests := []struct {
		name    string
		args    []string // before --; COMMAND is touchArgs unless command is set
		command []string
		compile *compile.Fake
		loadErr bool
		apply   string
		code    int
		want    []string // in stderr
	}{
		{name: "profile missing", args: []string{filepath.Join(dir, "none.sb")}, code: 126,
			want: []string{"none.sb: no such file or directory; /bin/sh was not started"}},
		{name: "lint error", args: []string{filepath.Join(dir, "lint.sb")}, code: 126,
			want: []string{"lint.sb:3:", "[unknown-operation]", "fix it, or use --no-lint"}},
		{name: "syntax error, even with --no-lint", args: []string{"--no-lint", filepath.Join(dir, "syntax.sb")},
			compile: &compile.Fake{ErrText: "unexpected end of input at <input string>, line 2, column 15"}, code: 126,
			want: []string{"syntax.sb:2:15: error: libsandbox: unexpected end of input", "libsandbox rejected the profile"}},
		{name: "libsandbox rejects", args: []string{p},
			compile: &compile.Fake{ErrText: "unbound variable: file-read at <input string>, line 4, column 8"}, code: 126,
			want: []string{"p.sb:4:8: error: libsandbox: unbound variable: file-read", "/bin/sh was not started"}},
		{name: "libsandbox missing", args: []string{p}, loadErr: true, code: 126,
			want: []string{"sbplc run: loading /usr/lib/libsandbox.1.dylib: image not found; /bin/sh was not started"}},
		{name: "prelude missing", args: []string{"--prelude", filepath.Join(dir, "none.sb"), p}, code: 126,
			want: []string{"--prelude:", "none.sb", "/bin/sh was not started"}},
		{name: "unknown template", args: []string{"--template", "no-such-template"}, code: 126,
			want: []string{`template "no-such-template": no such template (known: `, "/bin/sh was not started"}},
		{name: "apply fails", args: []string{p}, apply: "fail", code: 126,
			want: []string{"sbplc run: cannot apply the profile " + p + ": sandbox_apply: operation not permitted; /bin/sh was not started"}},
		{name: "stage killed", args: []string{p}, apply: "kill", code: 126,
			want: []string{"sbplc run: the sandbox stage", "was killed by signal 9", "/bin/sh was not started"}},
		{name: "command not found", args: []string{p}, command: []string{"no-such-command-sbplc"}, code: 127,
			want: []string{"sbplc run: no-such-command-sbplc: command not found"}},
		{name: "exec fails", args: []string{p}, command: []string{filepath.Join(dir, "noshebang")}, code: 126,
			want: []string{"exec " + filepath.Join(dir, "noshebang") + ": exec format error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ran := filepath.Join(t.TempDir(), "ran")
			t.Setenv("RAN", ran)
			t.Setenv("SBPLC_TEST_APPLY", tt.apply)
			f := tt.compile
			if f == nil {
				f = &compile.Fake{Blob: []byte(fakeBytecode)}
			}
			fakeCompile(t, f)
			if tt.loadErr {
				compileBackend = func() (compile.Backend, error) {
					return nil, errors.New("loading /usr/lib/libsandbox.1.dylib: image not found")
				}
			}
			command := tt.command
			if command == nil {
				command = touchArgs(ran)
			}
			args := append(append(append([]string{"run"}, tt.args...), "--"), command...)
			out, errs, code := runSbplc(t, "", args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, errs)
			}
			for _, w := range tt.want {
				if !strings.Contains(errs, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errs)
				}
			}
			if out != "" {
				t.Errorf("stdout %q", out)
			}
			if _, err := os.Stat(ran); err == nil {
				t.Fatal("COMMAND ran although sbplc run failed before the exec")
			}
		})
	}
}

func TestRunRunsCommand(t *testing.T) {
	dir := writeTree(t, map[string]string{"p.sb": runProfile, "tmpl/agent.sb": runProfile})
	mark := filepath.Join(dir, "mark")
	f := &compile.Fake{Blob: []byte(fakeBytecode)}
	fakeCompile(t, f)
	t.Setenv("SBPLC_TEST_MARK", mark)
	out, errs, code := runSbplc(t, "in\n", "run", "-D", "HOME=/Users/me", filepath.Join(dir, "p.sb"), "--",
		"/bin/sh", "-c", `test -f "$SBPLC_TEST_MARK" && cat && echo "args: $*"; exit 3`, "sh", "a b", "c")
	if code != 3 || out != "in\nargs: a b c\n" || errs != "" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if got, _ := os.ReadFile(mark); string(got) != fakeBytecode {
		t.Errorf("applied %q, want the compiled profile", got)
	}
	// libsandbox got the file's text and the params.
	rs := f.Requests()
	if len(rs) != 1 || string(rs[0].Source) != runProfile || len(rs[0].Params) != 1 || rs[0].Params[0] != (compile.Param{Key: "HOME", Value: "/Users/me"}) {
		t.Errorf("libsandbox requests: %+v", rs)
	}
	// Warnings stay out of COMMAND's standard error unless -v.
	if _, errs, code := runSbplc(t, "", "run", "-v", filepath.Join(dir, "p.sb"), "--", "true"); code != 0 || !strings.Contains(errs, "[implicit-preamble-allows]") {
		t.Errorf("-v: exit %d, stderr %q", code, errs)
	}
	// --template goes through the template source.
	old := templateSource
	templateSource = func(name string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, "tmpl", name+".sb")) }
	defer func() { templateSource = old }()
	if _, errs, code := runSbplc(t, "", "run", "--template", "agent", "--", "true"); code != 0 {
		t.Errorf("--template: exit %d, stderr %q", code, errs)
	}
}

// sbplcProcess is sbplc as a process of its own (this test binary in
// SBPLC_TEST_MAIN mode, with the fake libsandbox), for signals.
func sbplcProcess(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer, *bufio.Reader) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), "SBPLC_TEST_MAIN=1", "SBPLC_TEST_COMPILE=ok")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, &stderr, bufio.NewReader(out)
}

// waitLine waits (10 s at most) for COMMAND to print want.
func waitLine(t *testing.T, r *bufio.Reader, want string) {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		l, _ := r.ReadString('\n')
		got <- l
	}()
	select {
	case l := <-got:
		if strings.TrimSpace(l) != want {
			t.Fatalf("COMMAND printed %q, want %q", l, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("COMMAND did not print %q", want)
	}
}

func exitCode(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("sbplc did not exit")
	}
	return cmd.ProcessState.ExitCode()
}

// TestRunForwardsSignals: SIGINT and SIGTERM sent to sbplc alone reach
// COMMAND, and sbplc waits for it and exits with its status.
func TestRunForwardsSignals(t *testing.T) {
	p := tempFile(t, "p.sb", runProfile)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		script := fmt.Sprintf(`trap 'echo caught; exit 7' %d; echo ready; i=0; while [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done`, int(sig))
		cmd, stderr, out := sbplcProcess(t, "run", p, "--", "/bin/sh", "-c", script)
		waitLine(t, out, "ready")
		cmd.Process.Signal(sig)
		waitLine(t, out, "caught")
		if code := exitCode(t, cmd); code != 7 {
			t.Errorf("%v: sbplc exited %d, want COMMAND's 7; stderr %q", sig, code, stderr)
		}
	}
}

// TestRunDeathBySignal: COMMAND killed by signal N gives 128+N, reported
// the way shells do (silent for SIGINT and SIGPIPE).
func TestRunDeathBySignal(t *testing.T) {
	p := tempFile(t, "p.sb", runProfile)
	for _, tt := range []struct {
		sig  syscall.Signal
		want string
	}{
		{syscall.SIGTERM, "sbplc run: /bin/sh: terminated (signal 15)\n"},
		{syscall.SIGKILL, "sbplc run: /bin/sh: killed (signal 9)\n"},
		{syscall.SIGINT, ""},
		{syscall.SIGPIPE, ""},
	} {
		cmd, stderr, _ := sbplcProcess(t, "run", p, "--", "/bin/sh", "-c", fmt.Sprintf("kill -%d $$", int(tt.sig)))
		if code := exitCode(t, cmd); code != 128+int(tt.sig) || stderr.String() != tt.want {
			t.Errorf("%v: exit %d, stderr %q; want %d, %q", tt.sig, code, stderr, 128+int(tt.sig), tt.want)
		}
	}
}

// TestRunDryRunUsage: --dry-run runs nothing, so a missing profile or
// template is a usage error (2), not "cannot run" (126).
func TestRunDryRunUsage(t *testing.T) {
	for _, args := range [][]string{
		{"run", "--dry-run", "--template", "nosuch", "--", "true"},
		{"run", "--dry-run", filepath.Join(t.TempDir(), "missing.sb"), "--", "true"},
	} {
		if _, errs, code := runSbplc(t, "", args...); code != 2 {
			t.Errorf("%v: exit %d, want 2: %s", args, code, errs)
		}
	}
}
