package main

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/internal/testutil"
)

const auditAgent = `(version 1)
(deny default)
(allow file-read*)
(deny file-read* (subpath "/Users/user/.ssh"))
(allow file-write* (subpath "/Users/user/proj"))
(deny file-write* (subpath "/Users/user/proj/.git"))
(allow process-exec* (literal "/usr/bin/osascript"))
`

func TestAuditText(t *testing.T) {
	p := tempFile(t, "agent.sb", auditAgent)
	out, errs, code := runSbplc(t, "", "audit", "--project", "/Users/user/proj", p)
	if code != 1 || errs != "" {
		t.Fatalf("code %d, stderr %q\n%s", code, errs, out)
	}
	for _, want := range []string{
		"\nsecrets:\n  allow   warning EV004  file-read-data /Users/user/.aws/credentials: cloud keys [readable-cloud-credentials]\n          allowed by " + p + ":3:1: (allow file-read*)\n",
		"EV022  file-clone /Users/user/.ssh/id_rsa",
		"allowed by the built-in default of file-clone",
		"EV043  file-write-data /Users/user/proj/.gemini/settings.json",
		"\nexec:\n  allow   info    EV066  process-exec* /usr/bin/osascript",
		"EV082a system-privilege (any)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	for _, absent := range []string{"EV001 ", "EV038 ", "EV061 ", "EV071 "} {
		if strings.Contains(out, absent) {
			t.Errorf("denied probe %s listed:\n%s", absent, out)
		}
	}
	// --fail-on error: every allowed probe here is a warning or info (the
	// probes take their rule's severity; (allow file-read*) reads
	// /dev/bpf0, but EV080 is a write probe).
	_, _, code = runSbplc(t, "", "audit", "--fail-on", "error", p)
	if code != 0 {
		t.Errorf("--fail-on error: code %d, want 0", code)
	}
	locked := tempFile(t, "locked.sb", "(version 1)\n(deny default)\n(deny process-info* system-privilege file-clone file-link nvram*)\n")
	out, _, code = runSbplc(t, "", "audit", locked)
	if code != 0 || !strings.Contains(out, "0 of ") {
		t.Errorf("locked profile: code %d\n%s", code, out)
	}
	// --home changes what ~ means.
	out, _, _ = runSbplc(t, "", "audit", "--home", "/Users/other", p)
	if !strings.Contains(out, "EV001  file-read-data /Users/other/.ssh/id_rsa") {
		t.Errorf("--home: ~/.ssh of another home must be readable:\n%s", out)
	}
}

func TestAuditJSONAndSARIF(t *testing.T) {
	p := tempFile(t, "agent.sb", auditAgent)
	out, _, code := runSbplc(t, "", "audit", "--format", "json", "--all", "--project", "/Users/user/proj", p)
	var got struct {
		Probes []jsonProbe `json:"probes"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != 1 {
		t.Fatalf("code %d, %v\n%s", code, err, out)
	}
	byID := map[string]jsonProbe{}
	for _, pr := range got.Probes {
		byID[pr.ID] = pr
	}
	if pr := byID["EV001"]; pr.Decision != "deny" || pr.Rule == nil || pr.Rule.Line != 4 {
		t.Errorf("EV001 = %+v", pr)
	}
	// With --project the $P probes run there; .git is denied.
	if pr := byID["EV038"]; pr.Decision != "deny" || pr.Resource != "/Users/user/proj/.git/hooks/pre-commit" {
		t.Errorf("EV038 = %+v", pr)
	}
	// A case variant applies only where the exact spelling is carved out.
	if pr := byID["EV018"]; pr.Decision != "skipped" || !strings.Contains(pr.Skipped, "applies only while the profile denies file-read-data /Users/user/proj/.env") {
		t.Errorf("EV018 = %+v", pr)
	}
	if pr := byID["EV004"]; pr.Decision != "allow" || pr.Group != "secrets" || pr.Severity != "warning" || pr.LintRule != "readable-cloud-credentials" {
		t.Errorf("EV004 = %+v", pr)
	}
	out, _, _ = runSbplc(t, "", "audit", "--format", "sarif", p)
	sarif := decodeSARIF(t, out)
	if len(sarif.Runs) != 1 {
		t.Fatalf("sarif: %d runs\n%s", len(sarif.Runs), out)
	}
	found := false
	for _, r := range sarif.Runs[0].Results {
		if r.RuleID == "readable-cloud-credentials" && strings.Contains(r.Message.Text, "EV004") && r.Level == "warning" {
			found = true
		}
	}
	if !found {
		t.Errorf("sarif lacks EV004:\n%s", out)
	}
	_, errs, code := runSbplc(t, "", "audit", "--format", "xml", p)
	if code != 2 || !strings.Contains(errs, "unknown --format") {
		t.Errorf("bad format: %d %q", code, errs)
	}
}

// TestAuditTarget: --target is validated, and a valid one audits as usual
// (the signal probe is allowed by the user's unfiltered rule).
func TestAuditTarget(t *testing.T) {
	p := tempFile(t, "a.sb", "(version 1)\n(deny default)\n(allow signal)\n")
	if _, errs, code := runSbplc(t, "", "audit", "--target", "macos9", p); code != 2 || !strings.Contains(errs, "unknown --target") {
		t.Errorf("bad target: code %d, %q", code, errs)
	}
	out, _, _ := runSbplc(t, "", "audit", "--target", "macos14", p)
	if !strings.Contains(out, "EV076") || !strings.Contains(out, p+":3:1: (allow signal)") {
		t.Errorf("signal probe not reported at the user's rule:\n%s", out)
	}
}

// TestAuditExamplesClean: every bundled example passes `sbplc audit` with
// the params its header comment documents: no probe allowed, exit 0.
// (Before the case-variant probes required a carve-out of the exact
// spelling, cli-tool.sb failed on EV018 .ENV although it denies no .env.)
func TestAuditExamplesClean(t *testing.T) {
	exs, err := testutil.Examples()
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range exs {
		args := []string{"audit"}
		for _, k := range slices.Sorted(maps.Keys(ex.Params)) {
			args = append(args, "-D", k+"="+ex.Params[k])
		}
		// Without --project the $P probes run on the profile's writable
		// project directories (as in lint); with it, on the checkout.
		for _, extra := range [][]string{nil, {"--project", testutil.ExampleProject}} {
			a := append(append(slices.Clone(args), extra...), ex.Path)
			out, errs, code := runSbplc(t, "", a...)
			if code != 0 || errs != "" || !strings.Contains(out, ": 0 of ") {
				t.Errorf("sbplc %s: code %d, stderr %q\n%s", strings.Join(a, " "), code, errs, out)
			}
		}
	}
}

// TestAuditHome: ~ is --home, else the bound HOME param, else the default
// (policy.PickHome), and ${HOME} placeholders resolve to the same home.
func TestAuditHome(t *testing.T) {
	p := tempFile(t, "h.sb", "(version 1)\n(deny default)\n(allow file-read* (subpath (param \"HOME\")))\n")
	out, _, _ := runSbplc(t, "", "audit", "-D", "HOME=/Users/bob", p)
	if !strings.Contains(out, "EV001  file-read-data /Users/bob/.ssh/id_rsa") {
		t.Errorf("bound HOME param not used for ~:\n%s", out)
	}
	out, _, _ = runSbplc(t, "", "audit", "-D", "HOME=/Users/bob", "--home", "/Users/ana", p)
	if strings.Contains(out, "EV001 ") || !strings.Contains(out, "EV021  file-link /Users/ana/.ssh/id_rsa") {
		t.Errorf("--home /Users/ana with HOME=/Users/bob: ~ is /Users/ana, the rule covers /Users/bob only:\n%s", out)
	}
	// Unbound: the default home, substituted for ${HOME} as well.
	out, errs, _ := runSbplc(t, "", "audit", p)
	if !strings.Contains(out, "EV001  file-read-data /Users/user/.ssh/id_rsa") {
		t.Errorf("default home not substituted for the unbound HOME param:\n%s\n%s", out, errs)
	}
}

// TestTestHome: `sbplc test` expands ~ by the same rule: without --home,
// the bound HOME param.
func TestTestHome(t *testing.T) {
	p := tempFile(t, "t.sb", "(version 1)\n(deny default)\n(allow file-read* (subpath (param \"HOME\")))\n; expect allow file-read-data ~/notes.txt\n; expect deny file-read-data /Users/other/notes.txt\n")
	out, errs, code := runSbplc(t, "", "test", "-D", "HOME=/Users/bob", p)
	if code != 0 || !strings.Contains(out, "2 passed, 0 failed") {
		t.Errorf("code %d, stderr %q\n%s", code, errs, out)
	}
	out, _, code = runSbplc(t, "", "test", "-D", "HOME=/Users/bob", "--home", "/Users/other", p)
	if code != 1 || !strings.Contains(out, "failed") {
		t.Errorf("--home overrides the param: code %d\n%s", code, out)
	}
}

// TestAuditOneSeverity: a probe has its rule's severity, the one lint
// reports: exec of /usr/bin/open is exec-interpreter-escape (info), and
// reading /dev/bpf0 is not a file-write-dev probe.
func TestAuditOneSeverity(t *testing.T) {
	p := tempFile(t, "x.sb", "(version 1)\n(deny default)\n(deny file-link file-clone system-privilege nvram*)\n(deny process-info* (target others))\n(allow process-exec* (subpath \"/usr/bin\"))\n(allow file-read*)\n")
	out, _, _ := runSbplc(t, "", "audit", p)
	if !strings.Contains(out, "allow   info    EV067  process-exec* /usr/bin/open: asks LaunchServices to launch apps unsandboxed [exec-interpreter-escape]") {
		t.Errorf("EV067 not an exec-interpreter-escape info:\n%s", out)
	}
	if strings.Contains(out, "launchservices-open") || strings.Contains(out, "EV080") || strings.Contains(out, "allow   error") {
		t.Errorf("wrong rule or severity:\n%s", out)
	}
	lout, _, _ := runSbplc(t, "", "lint", "--no-config", "--enable", "all", p)
	if !strings.Contains(lout, "info: this rule allows process-exec* of /usr/bin/security (and 2 more probe(s))") || !strings.Contains(lout, "EV026, EV066, EV067") {
		t.Errorf("lint does not report the same probes at the same severity:\n%s", lout)
	}
}

// TestAuditDirectory: audit takes several profiles, directories and globs
// (issue 12, item 14); a profile with errors is reported and fails the run,
// the others are still audited; JSON names each probe's profile.
func TestAuditDirectory(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "open.sb"), []byte("(version 1)\n(allow default)\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "closed.sb"), []byte("(version 1)\n(deny default)\n(deny file-link file-clone system-privilege nvram*)\n(deny process-info* (target others))\n"), 0o644)
	out, errs, code := runSbplc(t, "", "audit", dir)
	if code != 1 || !strings.Contains(out, filepath.Join(dir, "closed.sb")+": 0 of") || !strings.Contains(out, filepath.Join(dir, "open.sb")+": ") {
		t.Fatalf("code %d\n%s%s", code, out, errs)
	}
	os.WriteFile(filepath.Join(dir, "broken.sb"), []byte("(version 1)\n(allow file-raed*)\n"), 0o644)
	out, errs, code = runSbplc(t, "", "audit", "--format", "json", filepath.Join(dir, "broken.sb"), filepath.Join(dir, "closed.sb"))
	var got struct {
		Probes []struct {
			Profile string `json:"profile"`
		} `json:"probes"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if code != 1 || !strings.Contains(errs, "broken.sb:2:8: error: unknown operation") {
		t.Errorf("broken profile: code %d %s", code, errs)
	}
	for _, p := range got.Probes {
		if p.Profile != filepath.Join(dir, "closed.sb") {
			t.Errorf("probe of %q", p.Profile)
		}
	}
	if _, errs, code := runSbplc(t, "", "audit", "--live", filepath.Join(dir, "open.sb"), filepath.Join(dir, "closed.sb")); code != 2 || !strings.Contains(errs, "one profile at a time") {
		t.Errorf("--live with two: %d %s", code, errs)
	}
}
