//go:build unix

package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sbplc/sbplc/compile"
	"github.com/sbplc/sbplc/internal/driver"
	"github.com/sbplc/sbplc/internal/testutil"
	"github.com/sbplc/sbplc/internal/trace"
)

// traceLearnerFake reads report lines "DENY PID OP" and proposes
// "(allow OP)" for each OP the profile does not have yet.
type traceLearnerFake struct{ requests []trace.Request }

func (*traceLearnerFake) PID(line []byte) (int, bool) {
	f := strings.Fields(string(line))
	if len(f) != 3 || f[0] != "DENY" {
		return 0, false
	}
	pid, err := strconv.Atoi(f[1])
	return pid, err == nil
}

func (l *traceLearnerFake) Learn(ctx context.Context, req trace.Request) (*trace.Proposal, error) {
	l.requests = append(l.requests, req)
	text := string(req.Profile.Text)
	p := &trace.Proposal{}
	for _, line := range req.Lines {
		rule := "(allow " + strings.Fields(string(line))[2] + ")\n"
		if !strings.Contains(text, rule) {
			text += rule
			p.Report += "+ " + rule
			p.New++
		}
	}
	p.Profile = []byte(text)
	return p, nil
}

// installTraceFakes makes trace use the fake log stream fed from feed,
// the /proc process table and a fake learner.
func installTraceFakes(feed string) *traceLearnerFake {
	l := &traceLearnerFake{}
	traceSource = func(ctx context.Context) *exec.Cmd {
		exe, _ := os.Executable()
		cmd := exec.CommandContext(ctx, exe)
		cmd.Env = append(os.Environ(), "SBPLC_TEST_FAKE_LOG="+feed)
		return cmd
	}
	traceProcs = testutil.ProcTable
	traceLearner = func(*driver.Driver, map[string]string, string, string) (trace.Learner, error) { return l, nil }
	traceGrace = 100 * time.Millisecond
	return l
}

// fakeTrace installs the trace fakes (the stream fed from the returned
// file) and the fake libsandbox for one test.
func fakeTrace(t *testing.T) (feed string, l *traceLearnerFake) {
	t.Helper()
	if _, err := testutil.ProcTable(); err != nil {
		t.Skip(err)
	}
	feed = filepath.Join(t.TempDir(), "feed")
	os.WriteFile(feed, nil, 0o644)
	oldSrc, oldProcs, oldLearner, oldGrace := traceSource, traceProcs, traceLearner, traceGrace
	l = installTraceFakes(feed)
	t.Cleanup(func() { traceSource, traceProcs, traceLearner, traceGrace = oldSrc, oldProcs, oldLearner, oldGrace })
	fakeCompile(t, &compile.Fake{Blob: []byte(fakeBytecode)})
	t.Setenv("FEED", feed)
	return feed, l
}

// denyScript is a COMMAND whose process and child report denials; an
// unrelated process's report is in the feed too.
const denyScript = `echo "DENY 1 mach-lookup" >> "$FEED"; echo "DENY $$ file-read-data" >> "$FEED"; /bin/sh -c 'sleep 0.2; echo "DENY $$ network-outbound" >> "$FEED"'`

func TestTraceProposes(t *testing.T) {
	feed, l := fakeTrace(t)
	dir := writeTree(t, map[string]string{"p.sb": runProfile})
	p := filepath.Join(dir, "p.sb")
	out, errs, code := runSbplc(t, "", "trace", "-D", "HOME=/Users/me", p, "--", "/bin/sh", "-c", denyScript)
	if code != 1 {
		t.Errorf("exit %d, want 1 (rules proposed, not written); stderr %q", code, errs)
	}
	if !strings.Contains(out, "+ (allow file-read-data)\n+ (allow network-outbound)\n") || strings.Contains(out, "mach-lookup") {
		t.Errorf("proposal (only COMMAND's tree):\n%s", out)
	}
	if !strings.Contains(out, "round 1 of 1: COMMAND exited 0; 2 report line(s)") {
		t.Errorf("round line:\n%s", out)
	}
	if !strings.Contains(errs, "rerun with -w") {
		t.Errorf("stderr %q", errs)
	}
	if got, _ := os.ReadFile(p); string(got) != runProfile {
		t.Error("PROFILE changed without -w")
	}
	if len(l.requests) != 1 || l.requests[0].Params["HOME"] != "/Users/me" || l.requests[0].Profile.Name != p {
		t.Errorf("learn requests: %+v", l.requests)
	}
	if !testutil.LogStreamGone(t, feed) {
		t.Error("trace left the log stream running")
	}
}

func TestTraceIterateWrites(t *testing.T) {
	_, l := fakeTrace(t)
	dir := writeTree(t, map[string]string{"p.sb": runProfile})
	p := filepath.Join(dir, "p.sb")
	out, errs, code := runSbplc(t, "", "trace", "--iterate", "5", "-w", p, "--", "/bin/sh", "-c", denyScript)
	if code != 0 {
		t.Errorf("exit %d; stderr %q", code, errs)
	}
	// Round 2 runs the written profile and finds nothing new: the loop ends.
	if len(l.requests) != 2 || !strings.Contains(out, "round 2 of 5") || strings.Contains(out, "round 3") {
		t.Errorf("%d rounds:\n%s", len(l.requests), out)
	}
	want := runProfile + "(allow file-read-data)\n(allow network-outbound)\n"
	if got, _ := os.ReadFile(p); string(got) != want {
		t.Errorf("written profile:\n%s\nwant:\n%s", got, want)
	}
	if string(l.requests[1].Profile.Text) != want {
		t.Error("round 2 did not run the rewritten profile")
	}
}

func TestTraceFailures(t *testing.T) {
	feed, _ := fakeTrace(t)
	dir := writeTree(t, map[string]string{"p.sb": runProfile, "lint.sb": "(version 1)\n(allow file-read-dataa)\n"})
	p := filepath.Join(dir, "p.sb")
	ran := filepath.Join(dir, "ran")
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--iterate", "0", p}, 2, "--iterate 0: want at least 1"},
		{[]string{"--timeout", "0s", p}, 2, "--timeout 0s: want a positive duration"},
		{[]string{"-w", "--template", "agent"}, 2, "with --template there is none"},
		{[]string{filepath.Join(dir, "lint.sb")}, 126, "lint.sb:2:"},
		{[]string{filepath.Join(dir, "none.sb")}, 126, "none.sb: no such file or directory"},
	} {
		args := append(append(append([]string{"trace"}, tt.args...), "--"), touchArgs(ran)...)
		_, errs, code := runSbplc(t, "", args...)
		if code != tt.code || !strings.Contains(errs, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d, %q", tt.args, code, errs, tt.code, tt.want)
		}
		if _, err := os.Stat(ran); err == nil {
			t.Fatalf("%v: COMMAND ran", tt.args)
		}
	}
	// Without the learn stage trace says so and runs nothing.
	traceLearner = func(*driver.Driver, map[string]string, string, string) (trace.Learner, error) {
		return nil, trace.ErrNoLearner
	}
	_, errs, code := runSbplc(t, "", append([]string{"trace", p, "--"}, touchArgs(ran)...)...)
	if code != 2 || !strings.Contains(errs, "the learn stage (package learn) is not part of this build") {
		t.Errorf("no learner: exit %d, stderr %q", code, errs)
	}
	if _, err := os.Stat(ran); err == nil {
		t.Fatal("COMMAND ran without a learner")
	}
	_ = feed
}

// TestTraceTimeout: a COMMAND that outlives --timeout is stopped, and the
// stream is stopped with it.
func TestTraceTimeout(t *testing.T) {
	feed, _ := fakeTrace(t)
	p := tempFile(t, "p.sb", runProfile)
	start := time.Now()
	_, errs, code := runSbplc(t, "", "trace", "--timeout", "300ms", p, "--", "/bin/sh", "-c", `echo "DENY $$ file-read-data" >> "$FEED"; exec sleep 30`)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("trace took %v", d)
	}
	if code != 1 || !strings.Contains(errs, "ran longer than --timeout 300ms and was stopped") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
	if !testutil.LogStreamGone(t, feed) {
		t.Error("the log stream was left running")
	}
}

// TestTraceStageDenial: when the exec of COMMAND is denied, the stage's
// own report (same pid) is kept and learned from.
func TestTraceStageDenial(t *testing.T) {
	_, l := fakeTrace(t)
	dir := writeTree(t, map[string]string{"p.sb": "(version 1)\n(deny default)\n", "noshebang": "true\n"})
	os.Chmod(filepath.Join(dir, "noshebang"), 0o755)
	t.Setenv("SBPLC_TEST_APPLY", "deny")
	out, errs, code := runSbplc(t, "", "trace", filepath.Join(dir, "p.sb"), "--", filepath.Join(dir, "noshebang"))
	if code != 1 || !strings.Contains(out, "COMMAND exited 126; 1 report line(s)") || !strings.Contains(out, "+ (allow process-exec*)") {
		t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if len(l.requests) != 1 || len(l.requests[0].Lines) != 1 {
		t.Errorf("learn requests: %+v", l.requests)
	}
}

// TestTraceInterrupt: SIGINT to sbplc trace reaches COMMAND, the stream is
// stopped, and trace exits 130.
func TestTraceInterrupt(t *testing.T) {
	if _, err := testutil.ProcTable(); err != nil {
		t.Skip(err)
	}
	feed := filepath.Join(t.TempDir(), "feed")
	os.WriteFile(feed, nil, 0o644)
	p := tempFile(t, "p.sb", runProfile)
	t.Setenv("SBPLC_TEST_TRACE", feed)
	cmd, stderr, out := sbplcProcess(t, "trace", p, "--", "/bin/sh", "-c", `echo ready; exec sleep 30`)
	waitLine(t, out, "ready")
	cmd.Process.Signal(syscall.SIGINT)
	if code := exitCode(t, cmd); code != 130 || !strings.Contains(stderr.String(), "interrupt after 1 round(s)") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if !testutil.LogStreamGone(t, feed) {
		t.Error("the log stream was left running")
	}
}
