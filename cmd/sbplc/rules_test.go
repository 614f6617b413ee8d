package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/ruletable"
)

// TestRulesFromTable: `sbplc rules` lists the rule table with each rule's
// probes, suppressibility and typed options.
func TestRulesFromTable(t *testing.T) {
	out, _, _ := runSbplc(t, "", "rules", "--format", "json")
	var rs []ruleJSON
	if err := json.Unmarshal([]byte(out), &rs); err != nil {
		t.Fatal(err)
	}
	if len(rs) != len(ruletable.Rules()) {
		t.Fatalf("%d rules listed, table has %d", len(rs), len(ruletable.Rules()))
	}
	by := map[string]ruleJSON{}
	for _, r := range rs {
		by[r.ID] = r
	}
	if r := by["readable-ssh-keys"]; len(r.Probes) < 4 || r.Probes[0] != "EV001" || !r.Suppressible {
		t.Errorf("readable-ssh-keys = %+v", r)
	}
	if r := by["syntax-error"]; r.Suppressible {
		t.Errorf("syntax-error is listed as suppressible")
	}
	if r := by["complex-regex"]; len(r.Options) != 2 || r.Options[0] != (optionJSON{"max-length", "int", "200"}) || r.Params["max-length"] != "200" {
		t.Errorf("complex-regex options = %+v", r)
	}
	out, _, _ = runSbplc(t, "", "rules", "--category", "escape")
	if !strings.Contains(out, "PROBES") || !strings.Contains(out, "launchservices-open") || strings.Contains(out, "readable-ssh-keys") {
		t.Errorf("rules --category escape:\n%s", out)
	}
	_, _, code := runSbplc(t, "", "rules", "--category", "security")
	if code != exitUsage {
		t.Errorf("--category security (not a category): exit %d", code)
	}
}

func TestExplainFromTable(t *testing.T) {
	out, _, _ := runSbplc(t, "", "explain", "case-variant-deny")
	if !strings.Contains(out, "## Probes (reported at warning") || !strings.Contains(out, "EV017  file-read-data ~/.SSH/id_rsa") ||
		!strings.Contains(out, "only while a filtered deny rule denies file-read-data ~/.ssh/id_rsa") {
		t.Errorf("explain case-variant-deny:\n%s", out)
	}
	out, _, _ = runSbplc(t, "", "explain", "eval-limit")
	if !strings.Contains(out, "cannot suppress") {
		t.Errorf("explain eval-limit does not say it cannot be suppressed:\n%s", out)
	}
	out, _, _ = runSbplc(t, "", "explain", "complex-regex")
	if !strings.Contains(out, "max-length: 200   (default; a non-negative integer)") {
		t.Errorf("explain complex-regex options:\n%s", out)
	}
}

// TestSARIFRuleMetadata: lint's and audit's SARIF rules come from the
// table: summary, level and category of the row, help from the rule doc.
func TestSARIFRuleMetadata(t *testing.T) {
	rules := sarifRules()
	if len(rules) != len(ruletable.Rules()) {
		t.Fatalf("%d SARIF rules, table has %d", len(rules), len(ruletable.Rules()))
	}
	for _, sr := range rules {
		row, _ := ruletable.Lookup(sr.ID)
		if sr.Summary != row.Summary || sr.Level != row.Severity || sr.Category != row.Category || !strings.HasPrefix(sr.Help, "# "+sr.ID) {
			t.Errorf("%s: SARIF rule %+v, row %+v", sr.ID, sr, row)
		}
	}
	p := tempFile(t, "a.sb", "(version 1)\n(deny default)\n(allow file-read*)\n")
	out, _, _ := runSbplc(t, "", "audit", "--format", "sarif", p)
	sarif := decodeSARIF(t, out)
	if len(sarif.Runs) != 1 {
		t.Fatalf("sarif: %d runs\n%s", len(sarif.Runs), out)
	}
	found := false
	for _, r := range sarif.Runs[0].Tool.Driver.Rules {
		row, ok := ruletable.Lookup(r.ID)
		level := map[string]string{"error": "error", "warning": "warning", "info": "note"}[row.Severity.String()]
		if !ok || r.ShortDescription.Text != row.Summary || r.DefaultConfiguration.Level != level {
			t.Errorf("audit SARIF rule %+v, row %+v", r, row)
		}
		found = found || r.ID == "readable-ssh-keys"
	}
	if !found {
		t.Errorf("audit SARIF lacks readable-ssh-keys:\n%s", out)
	}
}
