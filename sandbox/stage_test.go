//go:build unix

package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sbplc/sbplc/compile"
	"github.com/sbplc/sbplc/internal/testutil"
)

func TestMain(m *testing.M) {
	// Functions are registered before the stage runs (as in init).
	RegisterFunc("upper", func(arg []byte) ([]byte, error) { return bytes.ToUpper(arg), nil })
	RegisterFunc("fails", func(arg []byte) ([]byte, error) { return nil, errors.New("the function said no") })
	RegisterFunc("panics", func(arg []byte) ([]byte, error) { panic("function exploded") })
	// The child stage's applier: SANDBOX_TEST_APPLY chooses what it does,
	// SANDBOX_TEST_MARK records the profile.
	MainWith(testutil.FakeApplier{Env: "SANDBOX_TEST"})
	os.Exit(m.Run())
}

var blob = []byte("\x00compiled profile\xff")

// touch is a COMMAND that creates path: if it ever runs, the file exists.
func touch(path string) []string { return []string{"/bin/sh", "-c", `echo ran > "$0"`, path} }

func env(kv ...string) []string { return append(os.Environ(), kv...) }

func newCmd(t *testing.T, p *Profile, argv ...string) *exec.Cmd {
	t.Helper()
	cmd, err := p.Command(context.Background(), argv[0], argv[1:]...)
	if err != nil {
		t.Fatal(err)
	}
	return cmd
}

func TestCommandRunsAfterApply(t *testing.T) {
	dir := t.TempDir()
	mark, out := filepath.Join(dir, "mark"), filepath.Join(dir, "out")
	p := FromBytecode("t.sb", blob)
	// COMMAND checks that the profile was applied before it ran.
	cmd := newCmd(t, p, "/bin/sh", "-c", `test -f "$SANDBOX_TEST_MARK" && echo ran > "$0"`, out)
	cmd.Env = env("SANDBOX_TEST_MARK=" + mark)
	if err := Start(cmd); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if got, err := os.ReadFile(mark); err != nil || !bytes.Equal(got, blob) {
		t.Errorf("applied profile %q (%v), want %q", got, err, blob)
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("COMMAND did not run: %v", err)
	}
	if err := Failure(cmd); err != nil {
		t.Errorf("Failure after Start: %v", err)
	}
}

// TestPassThrough checks that COMMAND gets the environment, working
// directory and standard streams it was given, unchanged.
func TestPassThrough(t *testing.T) {
	dir := t.TempDir()
	environ := []string{"PATH=" + os.Getenv("PATH"), "ODD=a b\tc", "EMPTY="}
	cmd := newCmd(t, FromBytecode("t.sb", blob), "sh", "-c", `env; echo "cwd=$(pwd -P)"; cat; echo oops >&2`)
	cmd.Env = environ
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader("from stdin\n")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := Start(cmd); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var envOut []string
	for _, l := range lines {
		if strings.Contains(l, "=") && !strings.HasPrefix(l, "cwd=") {
			envOut = append(envOut, l)
		}
	}
	// sh adds PWD, SHLVL and _ to what it prints.
	var want []string
	for _, kv := range environ {
		want = append(want, kv)
	}
	for _, kv := range envOut {
		if k, _, _ := strings.Cut(kv, "="); k == "PWD" || k == "SHLVL" || k == "_" || k == "OLDPWD" {
			want = append(want, kv)
		}
	}
	sort.Strings(want)
	sort.Strings(envOut)
	if strings.Join(envOut, "\n") != strings.Join(want, "\n") {
		t.Errorf("environment:\n%s\nwant:\n%s", strings.Join(envOut, "\n"), strings.Join(want, "\n"))
	}
	real, _ := filepath.EvalSymlinks(dir)
	if !strings.Contains(stdout.String(), "cwd="+real+"\n") {
		t.Errorf("working directory not passed: %q", stdout.String())
	}
	if !strings.HasSuffix(stdout.String(), "from stdin\n") || stderr.String() != "oops\n" {
		t.Errorf("streams: stdout %q, stderr %q", stdout.String(), stderr.String())
	}
}

// TestFailClosed covers every failure point before exec: COMMAND would
// create a file, and must not.
func TestFailClosed(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "notexec")
	os.WriteFile(notExec, []byte("#!/bin/sh\necho ran > \"$RAN\"\n"), 0o644)
	noShebang := filepath.Join(dir, "noshebang")
	os.WriteFile(noShebang, []byte("echo ran > \"$RAN\"\n"), 0o755)
	tests := []struct {
		name  string
		apply string
		argv  []string // nil: touch
		edit  func(*exec.Cmd)
		step  string
		code  int
		msg   string
	}{
		{name: "apply fails", apply: "fail", step: "apply", code: 126, msg: "cannot apply the profile t.sb: sandbox_apply: operation not permitted; /bin/sh was not started"},
		{name: "applier panics", apply: "panic", step: "stage", code: 126, msg: "internal error in the sandbox stage: applier exploded"},
		{name: "stage killed", apply: "kill", step: "stage", code: 126, msg: "was killed by signal 9"},
		{name: "command not found", argv: []string{"no-such-command-sbplc"}, step: "find", code: 127, msg: "no-such-command-sbplc: command not found"},
		{name: "command path missing", argv: []string{filepath.Join(dir, "missing")}, step: "find", code: 127, msg: "no such file or directory"},
		{name: "not executable", argv: []string{notExec}, step: "find", code: 126, msg: "permission denied (not executable)"},
		{name: "a directory", argv: []string{dir}, step: "find", code: 126, msg: "is a directory"},
		{name: "exec fails after apply", argv: []string{noShebang}, step: "exec", code: 126, msg: "exec " + noShebang + ": exec format error"},
		{name: "bad request", edit: func(c *exec.Cmd) {
			f, _ := os.CreateTemp(dir, "req")
			f.WriteString("{not json")
			f.Seek(0, 0)
			c.ExtraFiles[0] = f
		}, step: "request", code: 126, msg: "is not valid"},
		{name: "request of another version", edit: func(c *exec.Cmd) {
			f, _ := os.CreateTemp(dir, "req")
			f.WriteString(`{"v":9,"profile":"AA=="}`)
			f.Seek(0, 0)
			c.ExtraFiles[0] = f
		}, step: "request", code: 126, msg: "protocol version 9"},
		{name: "empty profile", edit: func(c *exec.Cmd) {
			f, _ := os.CreateTemp(dir, "req")
			f.WriteString(`{"v":1}`)
			f.Seek(0, 0)
			c.ExtraFiles[0] = f
		}, step: "request", code: 126, msg: "holds no profile"},
		{name: "stage program missing", edit: func(c *exec.Cmd) { c.Path = filepath.Join(dir, "no-stage") },
			step: "start", code: 126, msg: "cannot start the sandbox stage"},
		{name: "stage program does not run the stage", edit: func(c *exec.Cmd) { c.Path = "/bin/true" },
			step: "stage", code: 126, msg: "exited with status 0 without reporting"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ran := filepath.Join(t.TempDir(), "ran")
			argv := tt.argv
			if argv == nil {
				argv = touch(ran)
			}
			for _, how := range []string{"Start", "Run"} {
				cmd := newCmd(t, FromBytecode("t.sb", blob), argv...)
				cmd.Env = env("SANDBOX_TEST_APPLY="+tt.apply, "RAN="+ran)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				if tt.edit != nil {
					tt.edit(cmd)
				}
				var err error
				if how == "Start" {
					err = Start(cmd)
				} else {
					runErr := cmd.Run()
					var ee *exec.ExitError
					switch {
					case errors.As(runErr, &ee):
						if tt.code != 0 && tt.step != "stage" && ee.ExitCode() != tt.code {
							t.Errorf("Run: exit %d, want %d", ee.ExitCode(), tt.code)
						}
						err = Failure(cmd)
					case runErr != nil: // the stage did not start
						err = &StageError{Step: "start", Code: 126, Message: "cannot start the sandbox stage: " + runErr.Error()}
					default:
						err = Failure(cmd)
					}
				}
				var se *StageError
				if !errors.As(err, &se) {
					t.Fatalf("%s: error %v (%T), want a *StageError", how, err, err)
				}
				if se.Step != tt.step || se.Code != tt.code || !strings.Contains(se.Message, tt.msg) {
					t.Errorf("%s: %+v, want step %s, code %d, message containing %q", how, se, tt.step, tt.code, tt.msg)
				}
				if _, err := os.Stat(ran); err == nil {
					t.Fatalf("%s: COMMAND ran although the stage failed (%s)", how, tt.name)
				}
				// The stage says what failed on standard error, once.
				if tt.step != "start" && tt.step != "stage" {
					if n := strings.Count(stderr.String(), "\n"); n != 1 || !strings.Contains(stderr.String(), tt.msg) {
						t.Errorf("%s: stderr %q, want one line with %q", how, stderr.String(), tt.msg)
					}
				}
			}
		})
	}
}

// TestParentGone: when nobody reads the status pipe any more, the stage
// does not exec COMMAND unsupervised.
func TestParentGone(t *testing.T) {
	ran := filepath.Join(t.TempDir(), "ran")
	cmd := newCmd(t, FromBytecode("t.sb", blob), touch(ran)...)
	cmd.Env = env("SANDBOX_TEST_APPLY=slow")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for _, f := range cmd.ExtraFiles {
		f.Close()
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 126 {
		t.Errorf("stage without a reader: %v, want exit 126", err)
	}
	if _, err := os.Stat(ran); err == nil {
		t.Error("COMMAND ran without a parent listening")
	}
}

// TestStageByHand: the stage started without its descriptors refuses.
func TestStageByHand(t *testing.T) {
	ran := filepath.Join(t.TempDir(), "ran")
	exe, _ := os.Executable()
	for _, marker := range []string{stageArg, "-sandbox-stage-v7"} {
		cmd := exec.Command(exe, append([]string{marker}, touch(ran)...)...)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 126 {
			t.Errorf("%s by hand: %v, want exit 126\n%s", marker, err, out)
		}
		if !strings.Contains(string(out), "started only by the sandbox package") && !strings.Contains(string(out), "protocol") {
			t.Errorf("%s by hand: message %q", marker, out)
		}
		if _, err := os.Stat(ran); err == nil {
			t.Fatal("COMMAND ran")
		}
	}
}

func TestExitStatusIsCommands(t *testing.T) {
	for _, code := range []int{0, 3, 126, 127} {
		cmd := newCmd(t, FromBytecode("t.sb", blob), "/bin/sh", "-c", fmt.Sprintf("exit %d", code))
		if err := Start(cmd); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		if got := cmd.ProcessState.ExitCode(); got != code {
			t.Errorf("exit %d: got %d (%v)", code, got, err)
		}
		// COMMAND's own 126 or 127 is not a stage failure.
		if f := Failure(cmd); f != nil {
			t.Errorf("exit %d: Failure = %v", code, f)
		}
	}
	cmd := newCmd(t, FromBytecode("t.sb", blob), "/bin/sh", "-c", "exit 126")
	cmd.Run()
	if f := Failure(cmd); f != nil || cmd.ProcessState.ExitCode() != 126 {
		t.Errorf("COMMAND exiting 126 after Run: Failure = %v", f)
	}
}

func TestMainRequired(t *testing.T) {
	mainCalled.Store(false)
	defer mainCalled.Store(true)
	_, err := FromBytecode("t.sb", blob).Command(context.Background(), "true")
	if err == nil || !strings.Contains(err.Error(), "sandbox.Main") {
		t.Errorf("Command without Main: %v", err)
	}
	// Another program as the stage does not need this one's Main.
	p := FromBytecode("t.sb", blob)
	p.Stage, _ = os.Executable()
	if _, err := p.Command(context.Background(), "true"); err != nil {
		t.Errorf("Command with Stage set: %v", err)
	}
}

func TestOtherStageProgram(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	p := FromBytecode("t.sb", blob)
	p.Stage, _ = os.Executable()
	p.Prefix = "tool run"
	cmd := newCmd(t, p, touch(out)...)
	if err := Start(cmd); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if _, err := os.Stat(out); err != nil {
		t.Errorf("COMMAND did not run through the named stage: %v", err)
	}
	cmd = newCmd(t, p, "no-such-command-sbplc")
	err := Start(cmd)
	if err == nil || !strings.HasPrefix(err.Error(), "tool run: no-such-command-sbplc: command not found") {
		t.Errorf("prefix: %v", err)
	}
}

func TestLargeProfile(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB: far more than a pipe holds
	mark := filepath.Join(t.TempDir(), "mark")
	cmd := newCmd(t, FromBytecode("big.sb", big), "true")
	cmd.Env = env("SANDBOX_TEST_MARK=" + mark)
	if err := Start(cmd); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if got, _ := os.ReadFile(mark); !bytes.Equal(got, big) {
		t.Errorf("the child applied %d bytes, want %d", len(got), len(big))
	}
}

// TestConcurrentStarts: the status pipe of one command never leaks into
// another, so a quick command's Start does not wait for a slow sibling.
func TestConcurrentStarts(t *testing.T) {
	p := FromBytecode("t.sb", blob)
	slow := newCmd(t, p, "sleep", "5")
	quick := make([]*exec.Cmd, 8)
	for i := range quick {
		quick[i] = newCmd(t, p, "true")
	}
	errs := make(chan error, len(quick)+1)
	go func() { errs <- Start(slow) }()
	for _, c := range quick {
		go func() { errs <- Start(c) }()
	}
	deadline := time.After(3 * time.Second)
	for range len(quick) + 1 {
		select {
		case err := <-errs:
			if err != nil {
				t.Error(err)
			}
		case <-deadline:
			t.Fatal("Start blocked: a status pipe leaked into another child")
		}
	}
	for _, c := range quick {
		c.Wait()
	}
	slow.Process.Kill()
	slow.Wait()
}

func TestContextKills(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	cmd, err := FromBytecode("t.sb", blob).Command(ctx, "sleep", "10")
	if err != nil {
		t.Fatal(err)
	}
	if err := Start(cmd); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	cmd.Wait()
	if time.Since(start) > 5*time.Second {
		t.Error("the context did not end COMMAND")
	}
}

func TestRunFunc(t *testing.T) {
	p := FromBytecode("t.sb", blob)
	got, err := p.RunFunc(context.Background(), "upper", []byte("probe"))
	if err != nil || string(got) != "PROBE" {
		t.Errorf("RunFunc: %q, %v", got, err)
	}
	for _, tt := range []struct{ fn, apply, step, msg string }{
		{"fails", "", "func", "the function said no"},
		{"panics", "", "func", "the sandboxed function panicked: function exploded"},
		{"unregistered", "", "request", `no function "unregistered" is registered`},
		{"upper", "fail", "apply", "cannot apply the profile t.sb"},
	} {
		os.Setenv("SANDBOX_TEST_APPLY", tt.apply)
		_, err := p.RunFunc(context.Background(), tt.fn, nil)
		os.Unsetenv("SANDBOX_TEST_APPLY")
		var se *StageError
		if !errors.As(err, &se) || se.Step != tt.step || !strings.Contains(se.Message, tt.msg) {
			t.Errorf("RunFunc(%s, apply %q): %v, want step %s with %q", tt.fn, tt.apply, err, tt.step, tt.msg)
		}
	}
}

func TestCompile(t *testing.T) {
	old := backend
	defer func() { backend = old }()
	fake := &compile.Fake{Blob: blob}
	backend = func() (compile.Backend, error) { return fake, nil }
	p, err := Compile("a.sb", []byte("(version 1)(allow default)"), map[string]string{"HOME": "/Users/me"})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(p.bytecode, blob) {
		t.Errorf("bytecode %q", p.bytecode)
	}
	if rs := fake.Requests(); len(rs) != 1 || rs[0].Params[0] != (compile.Param{Key: "HOME", Value: "/Users/me"}) {
		t.Errorf("requests %+v", rs)
	}
	// The package-level Command compiles and runs.
	out := filepath.Join(t.TempDir(), "out")
	cmd, err := Command(context.Background(), []byte("(version 1)"), nil, touch(out)[0], touch(out)[1:]...)
	if err != nil {
		t.Fatal(err)
	}
	if err := Start(cmd); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if _, err := os.Stat(out); err != nil {
		t.Error("Command did not run COMMAND")
	}

	fake.ErrText = "unbound variable: frobnicate at <input string>, line 2, column 3"
	_, err = Command(context.Background(), []byte("x"), nil, "true")
	var ce *CompileError
	if !errors.As(err, &ce) || ce.Line != 2 || ce.Column != 3 || err.Error() != "profile:2:3: libsandbox: unbound variable: frobnicate" {
		t.Errorf("compile error: %v", err)
	}
	fake.ErrText = ""
	if _, err := Compile("a.sb", nil, map[string]string{"K": "a\x00b"}); err == nil || !strings.Contains(err.Error(), "NUL") {
		t.Errorf("NUL in a param: %v", err)
	}
	backend = func() (compile.Backend, error) { return nil, compile.ErrUnsupported }
	if _, err := Compile("a.sb", nil, nil); !errors.Is(err, ErrUnsupported) {
		t.Errorf("no libsandbox: %v", err)
	}
	if _, err := CommandTemplate(context.Background(), "no-such-template", nil, "true"); !errors.Is(err, ErrNoTemplate) || !strings.Contains(err.Error(), "known: ") {
		t.Errorf("unknown template: %v", err)
	}
	// A known template resolves and then meets the missing libsandbox.
	if _, err := CommandTemplate(context.Background(), "agent", map[string]string{"HOME": "/Users/me", "PROJECT": "/Users/me/src/app"}, "true"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("template: %v", err)
	}
}

func TestNotOurs(t *testing.T) {
	if err := Start(exec.Command("true")); !errors.Is(err, errNotOurs) {
		t.Errorf("Start of a plain command: %v", err)
	}
	if _, err := FromBytecode("t.sb", nil).Command(context.Background(), "true"); err == nil {
		t.Error("empty profile accepted")
	}
	if _, err := FromBytecode("t.sb", blob).Command(context.Background(), ""); err == nil {
		t.Error("empty command accepted")
	}
}

func FuzzParseStatus(f *testing.F) {
	f.Add([]byte("X"))
	f.Add([]byte(`XE{"step":"exec","code":127,"message":"m"}`))
	f.Add([]byte(`E{"step":"apply","code":126}`))
	f.Add([]byte("Rresult"))
	f.Add([]byte("Q"))
	f.Fuzz(func(t *testing.T, data []byte) {
		st := parseStatus(data)
		if st.execed != (string(data) == "X") {
			t.Errorf("%q: execed %v", data, st.execed)
		}
		if err := st.failure(&exec.Cmd{Path: "p"}, nil); err == nil {
			t.Errorf("%q: no failure", data)
		} else if se := err.(*StageError); se.Code != 126 && se.Code != 127 {
			t.Errorf("%q: code %d", data, se.Code)
		}
	})
}
