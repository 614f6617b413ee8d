package main

import (
	"encoding/json"
	"strings"
	"testing"
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
	p := queryFile(t, "agent.sb", auditAgent)
	out, errs, code := queryRun(t, "", "audit", "--project", "/Users/user/proj", p)
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
	// --fail-on error: no error-level probe is allowed here except EV080 (/dev/bpf0 read).
	_, _, code = queryRun(t, "", "audit", "--fail-on", "error", p)
	if code != 1 {
		t.Errorf("--fail-on error: code %d, want 1 (EV080)", code)
	}
	locked := queryFile(t, "locked.sb", "(version 1)\n(deny default)\n(deny process-info* system-privilege file-clone file-link nvram*)\n")
	out, _, code = queryRun(t, "", "audit", locked)
	if code != 0 || !strings.Contains(out, "0 of ") {
		t.Errorf("locked profile: code %d\n%s", code, out)
	}
	// --home changes what ~ means.
	out, _, _ = queryRun(t, "", "audit", "--home", "/Users/other", p)
	if !strings.Contains(out, "EV001  file-read-data /Users/other/.ssh/id_rsa") {
		t.Errorf("--home: ~/.ssh of another home must be readable:\n%s", out)
	}
}

func TestAuditJSONAndSARIF(t *testing.T) {
	p := queryFile(t, "agent.sb", auditAgent)
	out, _, code := queryRun(t, "", "audit", "--format", "json", "--all", p)
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
	if pr := byID["EV038"]; pr.Decision != "skipped" || !strings.Contains(pr.Skipped, "--project") {
		t.Errorf("EV038 = %+v", pr)
	}
	if pr := byID["EV004"]; pr.Decision != "allow" || pr.Group != "secrets" || pr.Severity != "warning" || pr.LintRule != "readable-cloud-credentials" {
		t.Errorf("EV004 = %+v", pr)
	}
	out, _, _ = queryRun(t, "", "audit", "--format", "sarif", p)
	var sarif struct {
		Runs []struct {
			Results []struct {
				RuleID  string `json:"ruleId"`
				Level   string `json:"level"`
				Message struct {
					Text string `json:"text"`
				} `json:"message"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &sarif); err != nil || len(sarif.Runs) != 1 {
		t.Fatalf("sarif: %v\n%s", err, out)
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
	_, errs, code := queryRun(t, "", "audit", "--format", "xml", p)
	if code != 2 || !strings.Contains(errs, "unknown --format") {
		t.Errorf("bad format: %d %q", code, errs)
	}
}

// TestAuditTarget: --target is validated, and a valid one audits as usual
// (the signal probe is allowed by the user's unfiltered rule).
func TestAuditTarget(t *testing.T) {
	p := queryFile(t, "a.sb", "(version 1)\n(deny default)\n(allow signal)\n")
	if _, errs, code := queryRun(t, "", "audit", "--target", "macos9", p); code != 2 || !strings.Contains(errs, "unknown --target") {
		t.Errorf("bad target: code %d, %q", code, errs)
	}
	out, _, _ := queryRun(t, "", "audit", "--target", "macos14", p)
	if !strings.Contains(out, "EV076") || !strings.Contains(out, p+":3:1: (allow signal)") {
		t.Errorf("signal probe not reported at the user's rule:\n%s", out)
	}
}
