package templates

import (
	"context"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/internal/driver"
	"github.com/sbplc/sbplc/policy"
	"github.com/sbplc/sbplc/source"
)

// The params every template's policy tests run with (the "Policy tests"
// comment of each template says the same).
var (
	testHome    = "/Users/me"
	testProject = "/Users/me/src/app"
	testParams  = map[string]string{"HOME": testHome, "PROJECT": testProject,
		"PROGRAM": "/usr/local/bin/tool", "PROXY_PORT": "8877"}
)

func check(t *testing.T, tpl Template, params map[string]string) *driver.Result {
	t.Helper()
	d, err := driver.New(driver.Options{Params: params, ParamsGiven: len(params) > 0, NoConfig: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.Check(context.Background(), source.NewFile(tpl.Name+".sb", tpl.Text))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestList(t *testing.T) {
	want := []string{"no-internet", "no-network", "no-write", "no-write-except-temporary", "pure-computation",
		"minimal", "cli-tool", "build", "agent", "dev-server"}
	if got := Names(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("templates %v, want %v", got, want)
	}
	for _, tpl := range List() {
		if tpl.Summary == "" || strings.Contains(tpl.Summary, "\n") {
			t.Errorf("%s: summary %q", tpl.Name, tpl.Summary)
		}
		if g, ok := Get(tpl.Name); !ok || string(g.Text) != string(tpl.Text) {
			t.Errorf("Get(%q) does not return the listed template", tpl.Name)
		}
	}
	if _, ok := Get("nope"); ok {
		t.Error("Get of an unknown name succeeded")
	}
}

func TestParseHeader(t *testing.T) {
	for _, bad := range []string{"(version 1)\n", ";; sbplc template other: x\n", ";; sbplc template x: \n"} {
		if _, err := parse("x.sb", []byte(bad)); err == nil {
			t.Errorf("header %q accepted", bad)
		}
	}
	if tpl, err := parse("x.sb", []byte(";; sbplc template x: a summary\n(version 1)\n")); err != nil || tpl.Summary != "a summary" {
		t.Errorf("good header: %+v %v", tpl, err)
	}
	if _, err := load("missing.sb"); err == nil {
		t.Error("loading a file that is not embedded succeeded")
	}
}

// TestLintClean: every template lints without a single finding, as the
// user gets it (no params), and with params without a warning. (With
// params, hardcoded-home reports the values of bound (param "HOME")
// expressions as written-out homes; see the report.)
func TestLintClean(t *testing.T) {
	for _, tpl := range List() {
		if ds := check(t, tpl, nil).Diags; len(ds) > 0 {
			t.Errorf("%s: lint findings:\n%s", tpl.Name, text(ds))
		}
		var bad diag.List
		for _, dg := range check(t, tpl, testParams).Diags {
			if dg.Severity >= diag.Warning {
				bad = append(bad, dg)
			}
		}
		if len(bad) > 0 {
			t.Errorf("%s: lint findings with params:\n%s", tpl.Name, text(bad))
		}
	}
}

// TestAuditClean: no escape-vector probe is allowed, with the home and
// the project of the tests.
func TestAuditClean(t *testing.T) {
	for _, tpl := range List() {
		res := check(t, tpl, testParams)
		eng, ds := res.Engine(policy.Options{Home: testHome})
		if ds.HasErrors() {
			t.Fatalf("%s: engine: %s", tpl.Name, text(ds))
		}
		rs := eng.Audit(policy.AuditOptions{Home: testHome, Projects: []string{testProject}})
		for _, r := range rs {
			if r.Skipped != "" && r.Base == nil {
				// A probe with a precondition (Probe.If) runs only where
				// it holds; any other skip is a probe that could not run.
				t.Errorf("%s: probe %s skipped: %s", tpl.Name, r.ID, r.Skipped)
			}
			if r.Allowed() || r.Decision.Result == policy.Unknown {
				t.Errorf("%s: probe %s %s %s is %s (%s)", tpl.Name, r.ID, r.Op, r.Resource, r.Decision.Result, policy.RuleText(r.Decision))
			}
		}
	}
}

// TestExpectations runs each template's `; expect` lines.
func TestExpectations(t *testing.T) {
	for _, tpl := range List() {
		n, allow, deny := runExpectations(t, tpl)
		if n < 8 || allow == 0 || deny == 0 {
			t.Errorf("%s: %d expectations (%d allow, %d deny); want at least 8 with both answers", tpl.Name, n, allow, deny)
		}
	}
}

func runExpectations(t *testing.T, tpl Template) (n, allow, deny int) {
	t.Helper()
	res := check(t, tpl, testParams)
	eng, _ := res.Engine(policy.Options{Home: testHome})
	xs, ds := policy.ParseExpectations(res.Src, testHome, false)
	if len(ds) > 0 {
		t.Errorf("%s: bad expectations:\n%s", tpl.Name, text(ds))
	}
	for _, x := range xs {
		cr := eng.Check(x)
		if !cr.Pass {
			t.Errorf("%s: %s: %s", tpl.Name, x.Span, cr.Problem)
		}
		switch x.Want {
		case policy.Allow:
			allow++
		case policy.Deny:
			deny++
		}
	}
	return len(xs), allow, deny
}

// TestExpectationsCanFail makes sure the harness sees a wrong expectation.
func TestExpectationsCanFail(t *testing.T) {
	tpl, _ := Get("minimal")
	tpl.Text = append(append([]byte(nil), tpl.Text...), "; expect allow file-read-data ~/.ssh/id_rsa\n"...)
	res := check(t, tpl, testParams)
	eng, _ := res.Engine(policy.Options{Home: testHome})
	xs, _ := policy.ParseExpectations(res.Src, testHome, false)
	if cr := eng.Check(xs[len(xs)-1]); cr.Pass {
		t.Fatal("an expectation that reads an SSH key passed on the minimal template")
	}
}

func text(ds diag.List) string {
	var b strings.Builder
	diag.WriteText(&b, ds, diag.TextOptions{})
	return b.String()
}
