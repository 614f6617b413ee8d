package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testProfile = `(version 1)
(deny default)
(allow file-read* (subpath "/usr"))
(deny file-read* (subpath "/usr/local/secret"))
; expect allow file-read-data /usr/bin/ls
; expect deny rule=4 file-read-data /usr/local/secret/k
; expect allow rule=implicit signal self
`

func TestTestPasses(t *testing.T) {
	p := tempFile(t, "t.sb", testProfile)
	out, errs, code := runSbplc(t, "", "test", p)
	if code != 0 || errs != "" {
		t.Fatalf("code %d, stderr %q\n%s", code, errs, out)
	}
	want := "PASS " + p + ":5: expect allow file-read-data /usr/bin/ls\n" +
		"    decided by " + p + ":3:1: (allow file-read* (subpath \"/usr\"))\n" +
		"PASS " + p + ":6: expect deny file-read-data /usr/local/secret/k\n" +
		"    decided by " + p + ":4:1: (deny file-read* (subpath \"/usr/local/secret\"))\n" +
		"PASS " + p + ":7: expect allow signal self\n" +
		"    decided by <implicit policy>: (allow signal (target self)) ; implicit policy rule\n" +
		"3 passed, 0 failed\n"
	if out != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
}

func TestTestFailures(t *testing.T) {
	p := tempFile(t, "t.sb", testProfile+"; expect allow file-read-data /etc/passwd\n; expect deny rule=3 file-read-data /usr/local/secret/x\n")
	out, _, code := runSbplc(t, "", "test", p)
	if code != 1 {
		t.Fatalf("code %d\n%s", code, out)
	}
	for _, want := range []string{
		"FAIL " + p + ":8: expect allow file-read-data /etc/passwd (canonical /private/etc/passwd): got deny, want allow\n    decided by " + p + ":2:1: (deny default)",
		"FAIL " + p + ":9: expect deny file-read-data /usr/local/secret/x: decided by the rule at line 4, want the rule at line 3",
		"3 passed, 2 failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestTestSeparateFile(t *testing.T) {
	p := tempFile(t, "t.sb", "(version 1)\n(allow default)\n(deny network*)\n")
	x := tempFile(t, "t.expect", "# network is closed\nexpect deny network-outbound tcp:*:443\n; expect allow file-read-data ~/x\nexpect unknown file-read-data /x\nnot an expectation\n")
	out, errs, code := runSbplc(t, "", "test", "--home", "/Users/me", p, x)
	if code != 1 {
		t.Fatalf("code %d\n%s", code, out)
	}
	if !strings.Contains(out, "PASS "+x+":2:") || !strings.Contains(out, "PASS "+x+":3: expect allow file-read-data /Users/me/x") ||
		!strings.Contains(out, "FAIL "+x+":4:") || !strings.Contains(out, "2 passed, 2 failed") {
		t.Errorf("stdout:\n%s", out)
	}
	if !strings.Contains(errs, x+":5:1: error: not an expectation") {
		t.Errorf("stderr: %s", errs)
	}
}

// TestTestBothSources: with a TESTFILE the profile's inline expectations
// still run (issue 12, item 13); the help's example profile passes.
func TestTestBothSources(t *testing.T) {
	p := tempFile(t, "t.sb", testProfile)
	x := tempFile(t, "t.expect", "expect deny file-read-data /private/etc/passwd\n")
	out, _, code := runSbplc(t, "", "test", p, x)
	if code != 0 || !strings.Contains(out, "PASS "+p+":5:") || !strings.Contains(out, "PASS "+x+":1:") || !strings.Contains(out, "4 passed, 0 failed") {
		t.Fatalf("code %d\n%s", code, out)
	}
	// The example in 'sbplc test --help', as a profile: its comment line
	// is not part of a resource.
	help, _, _ := runSbplc(t, "", "test", "--help")
	var lines []string
	for _, l := range strings.Split(help, "\n") {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "; ") {
			lines = append(lines, t)
		}
	}
	ex := tempFile(t, "ex.sb", "(version 1)\n(deny default)\n(allow file-read* (require-all (subpath \"/Users/me/x\") (require-entitlement \"e\")))\n"+strings.Join(lines, "\n")+"\n")
	out, errs, code := runSbplc(t, "", "test", ex)
	if !strings.Contains(out, "expect unknown file-read-data /Users/me/x\n") || !strings.Contains(out, "PASS "+ex+":7:") {
		t.Errorf("help example: code %d\n%s%s", code, out, errs)
	}
}

func TestTestJSONAndUsage(t *testing.T) {
	p := tempFile(t, "t.sb", testProfile)
	out, _, code := runSbplc(t, "", "test", "--format", "json", p)
	var got struct {
		Cases []struct {
			Line int    `json:"line"`
			Pass bool   `json:"pass"`
			Got  string `json:"got"`
			Rule *struct {
				Line int `json:"line"`
			} `json:"rule"`
		} `json:"cases"`
		Passed int `json:"passed"`
		Failed int `json:"failed"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != 0 {
		t.Fatalf("code %d, %v\n%s", code, err, out)
	}
	if len(got.Cases) != 3 || got.Passed != 3 || got.Failed != 0 || got.Cases[1].Rule.Line != 4 || got.Cases[1].Got != "deny" {
		t.Errorf("json: %+v", got)
	}
	empty := tempFile(t, "e.sb", "(version 1)\n(deny default)\n")
	_, errs, code := runSbplc(t, "", "test", empty)
	if code != 2 || !strings.Contains(errs, "no expectations found") {
		t.Errorf("no expectations: code %d, %q", code, errs)
	}
}

// TestTestRuleForms: rule=default is the profile's (deny default) rule,
// rule=builtin a built-in default; a user rule the implicit policy
// duplicates can be named by its line, and the output names both.
func TestTestRuleForms(t *testing.T) {
	p := tempFile(t, "r.sb", `(version 1)
(deny default)
(allow signal (target self))
; expect deny rule=default file-read-data /x
; expect allow rule=builtin file-link /x
; expect allow rule=3 signal self
; expect allow rule=implicit signal self
; expect deny rule=default file-link /x
; expect deny rule=builtin file-read-data /x
`)
	out, _, code := runSbplc(t, "", "test", p)
	if code != 1 {
		t.Fatalf("code %d\n%s", code, out)
	}
	for _, want := range []string{
		"PASS " + p + ":4: expect deny file-read-data /x\n",
		"PASS " + p + ":5: expect allow file-link /x\n",
		"PASS " + p + ":6: expect allow signal self\n    decided by <implicit policy>: (allow signal (target self)) ; implicit policy rule\n    your rule at " + p + ":3:1 allows it too: (allow signal (target self))\n",
		"PASS " + p + ":7: expect allow signal self\n",
		"FAIL " + p + ":8: expect deny file-link /x: got allow, want deny\n",
		"FAIL " + p + ":9: expect deny file-read-data /x: decided by the (deny default) rule at line 2, want a built-in default (write rule=default for the profile's default rule)\n",
		"4 passed, 2 failed\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestTestDirectory: a directory tests every profile in it with its own
// expectations (issue 12, item 14); a TESTFILE goes with one profile.
func TestTestDirectory(t *testing.T) {
	dir := t.TempDir()
	writeT := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeT("a.sb", testProfile)
	writeT("b.sb", "(version 1)\n(deny default)\n; expect deny file-read-data /private/etc/passwd\n; expect allow process-fork\n")
	writeT("none.sb", "(version 1)\n(deny default)\n")
	writeT("broken.sb", "(version 1)\n(allow file-raed*)\n; expect allow process-fork\n")
	out, errs, code := runSbplc(t, "", "test", "-v", dir)
	if code != 1 || !strings.Contains(out, "4 passed, 2 failed (1 profile(s) with errors could not be tested)") ||
		!strings.Contains(out, "FAIL "+filepath.Join(dir, "b.sb")+":4: expect allow process-fork") ||
		!strings.Contains(errs, "none.sb: skipped: no expectations") || !strings.Contains(errs, "broken.sb:2:8: error: unknown operation") {
		t.Errorf("code %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if _, errs, code := runSbplc(t, "", "test", dir, filepath.Join(dir, "a.sb")); code != 2 || !strings.Contains(errs, "a TESTFILE goes with one profile") {
		t.Errorf("directory and TESTFILE: %d %s", code, errs)
	}
}
