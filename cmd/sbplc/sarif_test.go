package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/internal/testutil/sarifcheck"
	"github.com/sbplc/sbplc/ruletable"
)

// TestLintSARIFValidates: lint's SARIF, with the whole rule table, for a
// file whose name needs percent-encoding, an absolute path and standard
// input, passes the SARIF 2.1.0 schema and the validator's rules.
func TestLintSARIFValidates(t *testing.T) {
	dir := t.TempDir()
	odd := writeFile(t, filepath.Join(dir, "a #1%.sb"), lintBad)
	abs := writeFile(t, filepath.Join(dir, "abs.sb"), lintBad)
	rel, err := filepath.Rel(mustGetwd(t), odd)
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{rel}, {abs}, {"-"}} {
		out, errs, _ := runSbplc(t, lintBad, append([]string{"lint", "--no-config", "--format", "sarif"}, args...)...)
		if p := sarifcheck.Check([]byte(out)); len(p) != 0 {
			t.Fatalf("lint %v: invalid SARIF:\n%s\n%s", args, strings.Join(p, "\n"), errs)
		}
		log := decodeSARIF(t, out)
		loc := log.Runs[0].Results[0].Locations[0].PhysicalLocation.ArtifactLocation
		switch args[0] {
		case "-":
			if loc.URI != "" || loc.Description == nil || loc.Description.Text != "<stdin>" {
				t.Errorf("standard input: %+v", loc)
			}
		case abs:
			if !strings.HasPrefix(loc.URI, "file:///") || !strings.HasSuffix(loc.URI, "/abs.sb") {
				t.Errorf("absolute path: %q", loc.URI)
			}
		default:
			if !strings.HasSuffix(loc.URI, "/a%20%231%25.sb") || strings.HasPrefix(loc.URI, "/") {
				t.Errorf("relative path %q: %q", rel, loc.URI)
			}
		}
		for _, r := range log.Runs[0].Results {
			if r.Fingerprints["sbplcFinding/v1"] == "" {
				t.Errorf("result %s has no fingerprint", r.RuleID)
			}
		}
	}
}

func mustGetwd(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

// TestSARIFHelpAndSecurity: every rule's helpUri is its document in this
// repository; the rules of the security categories, and only they, carry
// security-severity (from their default severity) and precision; the
// tool version is numeric.
func TestSARIFHelpAndSecurity(t *testing.T) {
	out, _, _ := runSbplc(t, lintBad, "lint", "--no-config", "--format", "sarif", "-")
	log := decodeSARIF(t, out)
	d := log.Runs[0].Tool.Driver
	if d.Version == "" || d.Version[0] < '0' || d.Version[0] > '9' {
		t.Errorf("tool version %q is not numeric", d.Version)
	}
	nsec := 0
	for _, r := range d.Rules {
		doc := strings.TrimPrefix(r.HelpURI, informationURI+"/blob/main/")
		if doc == r.HelpURI {
			t.Errorf("%s: helpUri %q", r.ID, r.HelpURI)
		} else if _, err := os.Stat(filepath.Join("..", "..", filepath.FromSlash(doc))); err != nil {
			t.Errorf("%s: helpUri names %s, which is not in the repository", r.ID, doc)
		}
		row, _ := ruletable.Lookup(r.ID)
		sev, hasSev := r.Properties["security-severity"]
		prec := r.Properties["precision"]
		tags, _ := r.Properties["tags"].([]any)
		if !securityCategories[row.Category] {
			if hasSev || prec != nil {
				t.Errorf("%s (%s) has security properties %v", r.ID, row.Category, r.Properties)
			}
			continue
		}
		nsec++
		want := "medium"
		if len(ruletable.ProbesOf(r.ID)) > 0 {
			want = "high"
		}
		if sev != securitySeverity[row.Severity] || prec != want || len(tags) != 2 || tags[1] != "security" {
			t.Errorf("%s: security-severity %v precision %v tags %v", r.ID, sev, prec, tags)
		}
	}
	if nsec == 0 {
		t.Error("no security rules")
	}
}

// TestAuditSARIFValidates: audit's SARIF passes the same checks.
func TestAuditSARIFValidates(t *testing.T) {
	p := tempFile(t, "agent.sb", auditAgent)
	out, _, _ := runSbplc(t, "", "audit", "--format", "sarif", p)
	if problems := sarifcheck.Check([]byte(out)); len(problems) != 0 {
		t.Fatalf("invalid SARIF:\n%s", strings.Join(problems, "\n"))
	}
}
