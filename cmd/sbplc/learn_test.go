package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/internal/testutil"
	"github.com/sbplc/sbplc/learn"
	"github.com/sbplc/sbplc/templates"
)

const learnFixtures = "../../learn/testdata"

// learnGolden runs sbplc with args and compares the command line, standard
// error and standard output with the golden file (SBPLC_UPDATE=1 rewrites
// it).
func learnGolden(t *testing.T, golden string, stdin string, args ...string) (string, int) {
	t.Helper()
	return learnGoldenAt(t, filepath.Join(learnFixtures, "golden", golden), stdin, args...)
}

func learnGoldenAt(t *testing.T, path string, stdin string, args ...string) (string, int) {
	t.Helper()
	out, errs, code := runSbplc(t, stdin, args...)
	got := "$ sbplc " + strings.Join(args, " ") + "\n# exit " + strconv.Itoa(code) + "\n# stderr\n" + errs + "# stdout\n" + out
	testutil.Golden(t, path, got)
	return out, code
}

// TestLearnGoldens: every fixture through sbplc learn with the defaults,
// and the synthetic one with every widening.
func TestLearnGoldens(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(learnFixtures, "*"))
	n := 0
	for _, f := range files {
		if st, err := os.Stat(f); err != nil || st.IsDir() {
			continue
		}
		n++
		base := filepath.Base(f)
		_, code := learnGolden(t, base+".golden", "", "learn", "-v", "-D", "HOME=/Users/me", f)
		if code != 0 {
			t.Errorf("%s: exit %d", base, code)
		}
	}
	if n < 9 {
		t.Fatalf("%d fixtures, want at least 9", n)
	}
	syn := filepath.Join(learnFixtures, "synthetic-edges.log")
	for _, w := range []string{"dir", "auto"} {
		learnGolden(t, "synthetic-edges.log.widen-"+w+".golden", "", "learn", "--widen", w, "-D", "HOME=/Users/me", "-D", "PROJECT=/Users/me/src/app", syn)
	}
	learnGolden(t, "synthetic-edges.log.json.golden", "", "learn", "--format", "json", "--process", "tool", "-D", "HOME=/Users/me", syn)
}

// TestLearnWorkedExample is the worked example of docs/making-profiles.md, step by step:
// init a cli-tool profile, learn from a real curl log, learn again from the
// second run's log, and end with a profile that lints without errors and
// allows every denial of both runs.
func TestLearnWorkedExample(t *testing.T) {
	readme, err := os.ReadFile("../../docs/making-profiles.md")
	if err != nil {
		t.Fatal(err)
	}
	fixture, err := os.ReadFile(filepath.Join(learnFixtures, "curl-compact.log"))
	if err != nil {
		t.Fatal(err)
	}
	goldens, err := filepath.Abs(filepath.Join(learnFixtures, "golden"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir()) // the names in the output are the document's
	prof, log := "curl.sb", "curl.log"
	if err := os.WriteFile(log, fixture, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errs, code := runSbplc(t, "", "init", "--template", "cli-tool", "-o", prof); code != 0 {
		t.Fatalf("init: %d %s", code, errs)
	}
	args := []string{"learn", "--profile", prof, "-D", "HOME=/Users/me", "-D", "PROGRAM=/usr/bin/curl", "--process", "curl"}
	out, code := learnGoldenAt(t, filepath.Join(goldens, "worked-example.diff.golden"), "", append(args, "--format", "diff", log)...)
	if code != 0 || !strings.Contains(out, "+;; ---- sbplc learn: begin") {
		t.Fatalf("diff: exit %d\n%s", code, out)
	}
	if _, errs, code := runSbplc(t, "", append(args, "-w", log)...); code != 0 || !strings.Contains(errs, "wrote 5 learned rules") {
		t.Fatalf("-w: exit %d\n%s", code, errs)
	}
	// Nothing is left to learn from the same log.
	if _, errs, code := runSbplc(t, "", append(args, "--format", "diff", log)...); code != 0 || !strings.Contains(errs, "no rule to add") {
		t.Fatalf("second learn: exit %d\n%s", code, errs)
	}
	if out, errs, code := runSbplc(t, "", "lint", "-D", "HOME=/Users/me", "-D", "PROGRAM=/usr/bin/curl", prof); code != 0 {
		t.Fatalf("lint: exit %d\n%s%s", code, out, errs)
	}
	// The template's policy tests now show the one thing the learned
	// rules changed that the template promised: curl needs notifyd.
	if out, errs, code := runSbplc(t, "", "test", "--home", "/Users/me", "-D", "HOME=/Users/me", "-D", "PROJECT=/Users/me/src/app",
		"-D", "PROGRAM=/usr/local/bin/tool", prof); code != 1 || !strings.Contains(out, "15 passed, 1 failed") ||
		!strings.Contains(out, "FAIL "+prof+":128: expect deny mach-lookup com.apple.system.notification_center: got allow, want deny") {
		t.Fatalf("test: exit %d\n%s%s", code, out, errs)
	}
	for _, q := range [][]string{
		{"network-outbound", "tcp:*:80"}, {"mach-lookup", "com.apple.logd"}, {"file-read-data", "/Users/me/.CFUserTextEncoding"},
		{"system-socket", ""}, {"file-read-metadata", "/Users/me"},
	} {
		qargs := []string{"query", "-D", "HOME=/Users/me", "--assume", "socket-protocol=true", "--assume", "socket-domain=true", "--assume", "socket-type=true", prof, q[0]}
		if q[1] != "" {
			qargs = append(qargs, q[1])
		}
		if out, _, _ := runSbplc(t, "", qargs...); !strings.HasPrefix(out, "allow") {
			t.Errorf("query %v: %s", q, out)
		}
	}
	golden, _ := os.ReadFile(filepath.Join(goldens, "worked-example.diff.golden"))
	for _, line := range strings.Split(string(golden), "\n") {
		if strings.HasPrefix(line, "+(") && !strings.Contains(string(readme), strings.TrimPrefix(line, "+")) {
			t.Errorf("the worked example of docs/making-profiles.md lacks the learned line %q (copy it from the golden)", line)
		}
	}
}

const oneDenial = "Sandbox: tool(5) deny(1) file-read-data /private/etc/hosts\n"

func TestLearnStdinAndNoDenials(t *testing.T) {
	out, errs, code := runSbplc(t, oneDenial, "learn", "-")
	if code != 0 || !strings.Contains(out, `(allow file-read-data (literal "/private/etc/hosts"))`) || !strings.Contains(errs, "<stdin>: 1 line read") {
		t.Fatalf("stdin: exit %d\n%s%s", code, out, errs)
	}
	out, errs, code = runSbplc(t, "Jul  1 09:29:14 host kernel[0]: AirPort: Link Up on en0\n", "learn", "-")
	if code != 0 || !strings.Contains(errs, "no denials in the log: nothing to learn") || !strings.Contains(errs, "no rule to add") {
		t.Fatalf("no denials: exit %d\n%s%s", code, out, errs)
	}
	if out != learn.EmptyProfile {
		t.Errorf("no denials: stdout %q, want the starting profile", out)
	}
}

func TestLearnWriteAndMalformedProfile(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"ok.sb":  "(version 1)\n(deny default)\n",
		"bad.sb": "(version 1)\n(deny default)\n(allow file-frobnicate)\n",
		"d.log":  oneDenial,
	})
	ok, bad, log := filepath.Join(dir, "ok.sb"), filepath.Join(dir, "bad.sb"), filepath.Join(dir, "d.log")
	out, errs, code := runSbplc(t, "", "learn", "--profile", bad, "-w", log)
	if code != 1 || out != "" || !strings.Contains(errs, "has errors; fix them first") || !strings.Contains(errs, "unknown-operation") {
		t.Fatalf("malformed: exit %d\n%s%s", code, out, errs)
	}
	if b, _ := os.ReadFile(bad); string(b) != "(version 1)\n(deny default)\n(allow file-frobnicate)\n" {
		t.Fatalf("malformed profile was written: %q", b)
	}
	out, errs, code = runSbplc(t, "", "learn", "--profile", ok, "-w", log)
	if code != 0 || out != "" || !strings.Contains(errs, "wrote 1 learned rule") {
		t.Fatalf("-w: exit %d\n%s%s", code, out, errs)
	}
	b, _ := os.ReadFile(ok)
	if !strings.Contains(string(b), `(allow file-read-data (literal "/private/etc/hosts"))`) {
		t.Fatalf("-w result:\n%s", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("-w left files behind: %v", entries)
	}
	// Nothing to learn the second time: the file is not touched.
	st1, _ := os.Stat(ok)
	if _, errs, code = runSbplc(t, "", "learn", "--profile", ok, "-w", log); code != 0 || !strings.Contains(errs, "1 denial already allowed") {
		t.Fatalf("second -w: exit %d\n%s", code, errs)
	}
	if st2, _ := os.Stat(ok); !st2.ModTime().Equal(st1.ModTime()) {
		t.Error("a run with nothing to learn rewrote the profile")
	}
}

func TestLearnUsageErrors(t *testing.T) {
	dir := writeTree(t, map[string]string{"p.sb": "(version 1)\n(deny default)\n", "d.log": oneDenial})
	p, log := filepath.Join(dir, "p.sb"), filepath.Join(dir, "d.log")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"learn"}, "missing LOG"},
		{[]string{"learn", "--format", "yaml", log}, `unknown --format "yaml"`},
		{[]string{"learn", "--widen", "far", log}, `unknown --widen "far"`},
		{[]string{"learn", "-w", log}, "-w rewrites the --profile file"},
		{[]string{"learn", "--profile", "-", "-"}, "standard input (-) can be read only once"},
		{[]string{"learn", "--profile", "-", "-w", log}, "cannot use -w with a profile read from standard input"},
		{[]string{"learn", "-i", "-"}, "-i reads answers from standard input"},
		{[]string{"learn", "-i", log}, "-i needs a terminal"},
		{[]string{"learn", "--pid", "-3", log}, "--pid -3"},
		{[]string{"learn", filepath.Join(dir, "missing.log")}, "missing.log: no such file or directory"},
		{[]string{"learn", dir}, "is a directory, not a log"},
		{[]string{"learn", "--profile", filepath.Join(dir, "nope.sb"), log}, "nope.sb: no such file or directory"},
		{[]string{"learn", "--home", "rel", log}, `--home "rel": want an absolute path`},
		{[]string{"learn", "-D", "HOME", log}, `-D "HOME": expected KEY=VALUE`},
		{[]string{"learn", "--profile", p, "--target", "macos99", log}, "unknown --target"},
	}
	for _, c := range cases {
		_, errs, code := runSbplc(t, "", c.args...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, errs, c.want)
		}
		if strings.Contains(errs, "goroutine") {
			t.Errorf("%v: stack trace", c.args)
		}
	}
}

func TestLearnUnknownOperationAndUnparseable(t *testing.T) {
	log := oneDenial + "Sandbox: tool(5) deny(1) file-frobnicate /x\nSandbox: tool(5) deny(1) ???\n"
	_, errs, code := runSbplc(t, log, "learn", "-")
	if code != 0 || !strings.Contains(errs, `<stdin>:2: warning: unknown operation "file-frobnicate"`) || !strings.Contains(errs, "1 unparseable line (-v lists them)") {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	_, errs, _ = runSbplc(t, log, "learn", "-v", "-")
	if !strings.Contains(errs, "<stdin>:3: unparseable: ") {
		t.Errorf("-v does not list the unparseable line:\n%s", errs)
	}
}

func TestLearnFormats(t *testing.T) {
	dir := writeTree(t, map[string]string{"p.sb": "(version 1)\n(deny default)\n", "d.log": oneDenial})
	p, log := filepath.Join(dir, "p.sb"), filepath.Join(dir, "d.log")
	out, _, code := runSbplc(t, "", "learn", "--profile", p, "--format", "diff", log)
	if code != 0 || !strings.HasPrefix(out, "--- a/"+p+"\n+++ b/"+p+"\n") || !strings.Contains(out, "+(allow file-read-data") {
		t.Fatalf("diff: %d\n%s", code, out)
	}
	out, _, code = runSbplc(t, "", "learn", "--profile", p, "--format", "json", log)
	var j struct {
		Profile string
		Denials int
		Rules   []struct {
			Line       int
			Operations []string
			Effective  bool
			Breadth    []string
		}
		Text string
	}
	if err := json.Unmarshal([]byte(out), &j); err != nil || code != 0 {
		t.Fatalf("json: %v %d\n%s", err, code, out)
	}
	if j.Denials != 1 || len(j.Rules) != 1 || !j.Rules[0].Effective || j.Rules[0].Breadth[0] != "1 path" || !strings.Contains(j.Text, "/private/etc/hosts") {
		t.Errorf("json report %+v", j)
	}
}

func TestLearnInteractive(t *testing.T) {
	old := reviewTerminal
	reviewTerminal = func(io.Reader, io.Writer) bool { return true }
	defer func() { reviewTerminal = old }()
	log := "Sandbox: tool(5) deny(1) file-read-data /opt/x/a\nSandbox: tool(5) deny(1) file-read-data /opt/x/b\n" +
		"Sandbox: tool(5) deny(1) mach-lookup com.example.a\nSandbox: tool(5) deny(1) sysctl-read kern.x\n"
	dir := writeTree(t, map[string]string{"d.log": log})
	// file-read-data: widen (to dir), accept; mach-lookup: deny quietly;
	// sysctl-read: an unknown answer, then skip.
	out, errs, code := runSbplc(t, "w\na\nd\nhuh\ns\n", "learn", "-i", filepath.Join(dir, "d.log"))
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	for _, want := range []string{`(allow file-read-data (subpath "/opt/x"))`, `(deny mach-lookup (global-name "com.example.a") (with no-report))`} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %s in\n%s", want, out)
		}
	}
	if strings.Contains(out, "kern.x") {
		t.Errorf("a skipped rule was written:\n%s", out)
	}
	if !strings.Contains(errs, `"huh": answer a, w, l, d, s or q`) || !strings.Contains(errs, "(1/3) file-read-data") {
		t.Errorf("prompts:\n%s", errs)
	}
	// The input ends before every rule is answered: nothing is written.
	out, errs, code = runSbplc(t, "a\n", "learn", "-i", filepath.Join(dir, "d.log"))
	if code != 2 || out != "" || !strings.Contains(errs, "review ended before every rule was answered") {
		t.Errorf("short input: exit %d\n%s%s", code, out, errs)
	}
}

func TestLearnHelp(t *testing.T) {
	out, _, code := runSbplc(t, "", "learn", "--help")
	if code != 0 || !strings.Contains(out, "Exit status (learn): 0") || !strings.Contains(out, "log stream ... | sbplc learn -") {
		t.Fatalf("help:\n%s", out)
	}
}

func TestInit(t *testing.T) {
	out, _, code := runSbplc(t, "", "init", "--list")
	if code != 0 || len(strings.Split(strings.TrimSpace(out), "\n")) != len(templates.List()) {
		t.Fatalf("--list: %d\n%s", code, out)
	}
	for _, tpl := range templates.List() {
		if !strings.Contains(out, tpl.Name+" ") || !strings.Contains(out, tpl.Summary) {
			t.Errorf("--list lacks %s", tpl.Name)
		}
	}
	out, _, code = runSbplc(t, "", "init")
	if min, _ := templates.Get("minimal"); code != 0 || out != string(min.Text) {
		t.Errorf("init without --template: exit %d", code)
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "agent.sb")
	if _, errs, code := runSbplc(t, "", "init", "-t", "agent", "-o", f); code != 0 || !strings.Contains(errs, "wrote the agent template") {
		t.Fatalf("-o: %d %s", code, errs)
	}
	if out, errs, code := runSbplc(t, "", "lint", f); code != 0 || out != "" {
		t.Errorf("the written template is not lint-clean: %d\n%s%s", code, out, errs)
	}
	if _, errs, code := runSbplc(t, "", "init", "-t", "agent", "-o", f); code != 2 || !strings.Contains(errs, "exists: not overwriting it") {
		t.Errorf("existing -o: %d %s", code, errs)
	}
	if _, _, code := runSbplc(t, "", "init", "-t", "cli-tool", "-o", f, "--force"); code != 0 {
		t.Errorf("--force: %d", code)
	}
	if b, _ := os.ReadFile(f); !strings.HasPrefix(string(b), ";; sbplc template cli-tool:") {
		t.Errorf("--force did not overwrite")
	}
	if _, errs, code := runSbplc(t, "", "init", "-t", "nope"); code != 2 || !strings.Contains(errs, `unknown template "nope": use no-internet`) {
		t.Errorf("unknown template: %d %s", code, errs)
	}
	if _, errs, code := runSbplc(t, "", "init", "-o", filepath.Join(dir, "missing", "x.sb")); code != 2 || !strings.Contains(errs, "cannot write") {
		t.Errorf("unwritable -o: %d %s", code, errs)
	}
}

// TestLearnNoiseFromConfig: .sbplc.yaml's learn.noise adds to and keeps
// entries of the embedded noise table.
func TestLearnNoiseFromConfig(t *testing.T) {
	dir := t.TempDir()
	log := "Sandbox: tool(41) deny(1) file-read-data /dev/dtracehelper\nSandbox: tool(41) deny(1) mach-lookup com.example.chatty\nSandbox: tool(41) deny(1) mach-lookup com.example.needed\n"
	logPath := filepath.Join(dir, "d.log")
	os.WriteFile(logPath, []byte(log), 0o644)
	out, errs, code := runSbplc(t, "", "learn", logPath)
	if code != 0 || strings.Contains(out, "/dev/dtracehelper") || !strings.Contains(out, "com.example.chatty") || !strings.Contains(errs, "skipped 1 denial harmless") {
		t.Fatalf("defaults: %d\n%s%s", code, out, errs)
	}
	os.WriteFile(filepath.Join(dir, ".sbplc.yaml"), []byte("learn:\n  noise:\n    add: [\"mach-lookup com.example.chatty\"]\n    keep: [\"file-read-data /dev/dtracehelper\"]\n"), 0o644)
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	os.Chdir(dir)
	out, errs, code = runSbplc(t, "", "learn", "d.log")
	if code != 0 || !strings.Contains(out, "/dev/dtracehelper") || strings.Contains(out, "com.example.chatty") || !strings.Contains(out, "com.example.needed") {
		t.Errorf("with learn.noise: %d\n%s%s", code, out, errs)
	}
}
