//go:build unix

package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/compile"
	"github.com/sbplc/sbplc/internal/liveaudit"
	"github.com/sbplc/sbplc/policy"
	"github.com/sbplc/sbplc/sandbox"
)

// fakeLive makes audit --live work here: the fake libsandbox, a scratch
// base the model does not rewrite, and a fixed OS name. The attempts are
// the real ones, made by the child stage under the fake applier (no
// sandbox): everything that can be attempted on Linux is allowed.
func fakeLive(t *testing.T) (base string) {
	t.Helper()
	fakeCompile(t, &compile.Fake{Blob: []byte(fakeBytecode)})
	for _, b := range []string{os.TempDir(), "/dev/shm"} {
		if r, err := filepath.EvalSymlinks(b); err == nil && policy.IsCanonicalPath(r) {
			if dir, err := os.MkdirTemp(r, "sbplc-live-test-"); err == nil {
				base = dir
				break
			}
		}
	}
	if base == "" {
		t.Skip("no temporary directory outside /tmp, /var and /etc")
	}
	oldBase, oldOS := liveScratchBase, liveOS
	liveScratchBase = func() string { return base }
	liveOS = func() string { return "testOS 1.0" }
	t.Cleanup(func() {
		liveScratchBase, liveOS = oldBase, oldOS
		os.RemoveAll(base)
	})
	return base
}

const liveProfile = `(version 1)
(deny default)
(allow file-read* (subpath (param "HOME")))
(allow process-exec*)
`

func TestAuditLiveModelBugs(t *testing.T) {
	base := fakeLive(t)
	p := tempFile(t, "p.sb", liveProfile)
	out, errs, code := runSbplc(t, "", "audit", "--live", "--format", "json", p)
	if code != 1 {
		t.Errorf("exit %d, want 1 (disagreements); stderr %q", code, errs)
	}
	var rep struct {
		OS      string
		Scratch string
		Summary map[string]int
		Probes  []map[string]string
		Bugs    []map[string]string `json:"model_bugs"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	by := map[string]map[string]string{}
	for _, pr := range rep.Probes {
		by[pr["id"]] = pr
	}
	// The profile allows reading the (scratch) home: sbplc and the
	// attempt agree.
	if pr := by["EV001"]; pr["offline"] != "allow" || pr["live"] != "allowed" || pr["agree"] != "yes" || !strings.HasPrefix(pr["resource"], rep.Scratch+"/h/") {
		t.Errorf("EV001: %v", pr)
	}
	// Writing is denied by sbplc's model, but nothing sandboxes the
	// attempt here: a disagreement, reported with both answers.
	if pr := by["EV034"]; pr["offline"] != "deny" || pr["live"] != "allowed" || pr["agree"] != "no" {
		t.Errorf("EV034: %v", pr)
	}
	found := false
	for _, b := range rep.Bugs {
		found = found || b["id"] == "EV034"
	}
	if !found || rep.OS != "testOS 1.0" || rep.Summary["disagree"] != len(rep.Bugs) || rep.Summary["probes"] != len(rep.Probes) {
		t.Errorf("report: os %q, summary %v, %d bugs", rep.OS, rep.Summary, len(rep.Bugs))
	}
	// Outside the scratch directory nothing is attempted.
	if pr := by["EV032b"]; pr["live"] != "not-attempted" || pr["agree"] != "n/a" {
		t.Errorf("EV032b: %v", pr)
	}
	// The scratch directory is gone, and nothing else was left in the base.
	if ents, _ := os.ReadDir(base); len(ents) != 0 {
		t.Errorf("left behind in %s: %v", base, ents)
	}
	// Text: the model bugs with both answers and the OS.
	out, _, _ = runSbplc(t, "", "audit", "--live", p)
	if !strings.Contains(out, "model bugs: sbplc's answer differs from testOS 1.0's") ||
		!strings.Contains(out, "(deny default)); testOS 1.0 says allowed (open for writing succeeded)") {
		t.Errorf("text report:\n%s", out)
	}
}

// agreeingProber answers what sbplc's model says, by the probe's id.
type agreeingProber struct{ answers map[string]liveaudit.Answer }

func (a agreeingProber) Probe(ctx context.Context, at liveaudit.Attempt) (liveaudit.Outcome, error) {
	if ans, ok := a.answers[at.ID]; ok {
		return liveaudit.Outcome{Answer: ans, Detail: "fake"}, nil
	}
	return liveaudit.Outcome{Answer: liveaudit.Inconclusive, Detail: "fake"}, nil
}

func TestAuditLiveAgreement(t *testing.T) {
	fakeLive(t)
	// New names in the home may be created, so the link attempt tells.
	p := tempFile(t, "p.sb", "(version 1)\n(deny default)\n(allow file-write-create (subpath (param \"HOME\")))\n")
	old := liveProber
	liveProber = func(*sandbox.Profile, *liveaudit.Scratch) liveaudit.Prober {
		return agreeingProber{answers: map[string]liveaudit.Answer{"EV001": liveaudit.Denied, "EV034": liveaudit.Denied, "EV021": liveaudit.Allowed}}
	}
	defer func() { liveProber = old }()
	out, errs, code := runSbplc(t, "", "audit", "--live", "--all", p)
	// (version 1) allows file-link whatever the profile says: allowed
	// offline and live, at warning level, so exit 1 without a model bug.
	if code != 1 || strings.Contains(out, "model bugs") || !strings.Contains(out, "3 agree, 0 disagree") {
		t.Errorf("exit %d, stderr %q, stdout:\n%s", code, errs, out)
	}
	if !strings.Contains(out, "EV021   yes  file-link") || !strings.Contains(out, "EV001   yes  file-read-data") {
		t.Errorf("--all rows:\n%s", out)
	}
	_, _, code = runSbplc(t, "", "audit", "--live", "--fail-on", "error", p)
	if code != 0 {
		t.Errorf("--fail-on error: exit %d", code)
	}
}

func TestAuditLiveFailures(t *testing.T) {
	fakeLive(t)
	p := tempFile(t, "p.sb", liveProfile)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--format", "sarif"}, "--live reports in text or json"},
		{[]string{"--project", "/x"}, "leave out --home and --project"},
		{[]string{"--home", "/x"}, "leave out --home and --project"},
	} {
		_, errs, code := runSbplc(t, "", append(append([]string{"audit", "--live"}, tt.args...), p)...)
		if code != 2 || !strings.Contains(errs, tt.want) {
			t.Errorf("%v: exit %d, stderr %q", tt.args, code, errs)
		}
	}
	t.Setenv("SBPLC_TEST_APPLY", "fail")
	_, errs, code := runSbplc(t, "", "audit", "--live", p)
	if code != 2 || !strings.Contains(errs, "cannot attempt the probes") || !strings.Contains(errs, "cannot apply the profile") {
		t.Errorf("apply fails: exit %d, stderr %q", code, errs)
	}
	fakeCompile(t, &compile.Fake{ErrText: "unbound variable: x at <input string>, line 2, column 1"})
	t.Setenv("SBPLC_TEST_APPLY", "")
	_, errs, code = runSbplc(t, "", "audit", "--live", p)
	if code != 2 || !strings.Contains(errs, "p.sb:2:1: error: libsandbox: unbound variable: x") {
		t.Errorf("compile fails: exit %d, stderr %q", code, errs)
	}
}
