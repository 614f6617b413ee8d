package lint_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/corpus"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/eval"
	"github.com/sbplc/sbplc/internal/testutil"
	"github.com/sbplc/sbplc/lint"
	"github.com/sbplc/sbplc/policy"
	"github.com/sbplc/sbplc/ruletable"
	"github.com/sbplc/sbplc/source"
)

// probeReport is what one side says about one probe.
type probeReport struct {
	rule string
	sev  diag.Severity
}

func (r probeReport) String() string { return r.rule + "/" + r.sev.String() }

// lintProbes collects the probes lint's findings name: a finding's note
// "`sbplc audit` probes: ID, ..." lists them; in a grouped secrets finding
// the note follows its category's "[rule] message" note.
func lintProbes(t *testing.T, ds diag.List) map[string]probeReport {
	t.Helper()
	out := map[string]probeReport{}
	const prefix = "`sbplc audit` probes: "
	for _, d := range ds {
		cur := probeReport{rule: d.Code, sev: d.Severity}
		for _, n := range d.Notes {
			if id, _, ok := strings.Cut(strings.TrimPrefix(n, "["), "] "); ok && strings.HasPrefix(n, "[") {
				r, _ := lint.Lookup(id)
				cur = probeReport{rule: id, sev: r.Severity}
				continue
			}
			ids, ok := strings.CutPrefix(n, prefix)
			if !ok {
				continue
			}
			for _, id := range strings.Split(ids, ", ") {
				if prev, dup := out[id]; dup && prev != cur {
					t.Errorf("probe %s reported as %v and %v", id, prev, cur)
				}
				out[id] = cur
			}
		}
	}
	return out
}

// auditProbes runs the probes as `sbplc audit` does (same home and project
// directories) and returns the allowed ones. For a file without a
// (version) form, which audit refuses, the built-in defaults belong to the
// including profile and are left out.
func auditProbes(res *eval.Result) map[string]probeReport {
	home := policy.PickHome("", "", res.Profile)
	e, _ := policy.New(res.Profile, policy.Options{Home: home})
	out := map[string]probeReport{}
	for _, r := range e.Audit(policy.AuditOptions{Home: home, Projects: lint.ProjectDirs(res.Profile, home)}) {
		if !r.Allowed() {
			continue
		}
		byProfile := r.Decision.Rule != nil && !r.Decision.Implicit && policy.RuleSpan(r.Decision.Rule).IsValid()
		if res.Profile.Version == 0 && !byProfile {
			continue
		}
		out[r.ID] = probeReport{rule: r.Rule, sev: r.Severity}
	}
	return out
}

// compareProbes returns the disagreements between the two sides.
func compareProbes(name string, lintSide, auditSide map[string]probeReport) []string {
	var ids, out []string
	for id := range lintSide {
		ids = append(ids, id)
	}
	for id := range auditSide {
		if _, ok := lintSide[id]; !ok {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		l, inLint := lintSide[id]
		a, inAudit := auditSide[id]
		switch {
		case !inAudit:
			out = append(out, fmt.Sprintf("%s: lint reports probe %s (%v), audit does not find it allowed", name, id, l))
		case !inLint:
			out = append(out, fmt.Sprintf("%s: audit finds probe %s allowed (%v), lint does not report it", name, id, a))
		case l != a:
			out = append(out, fmt.Sprintf("%s: probe %s: lint says %v, audit %v", name, id, l, a))
		}
	}
	return out
}

// TestLintAndAuditAgree lints every bundled example (with the params its
// header documents) and every corpus profile with all rules enabled, runs
// the audit probes on the same evaluation, and checks that they agree
// probe by probe: the same probes allowed, each reported by its rule at
// its one severity.
func TestLintAndAuditAgree(t *testing.T) {
	exs, err := testutil.Examples()
	if err != nil {
		t.Fatal(err)
	}
	type input struct {
		name   string
		text   []byte
		params map[string]string
	}
	var ins []input
	for _, ex := range exs {
		ins = append(ins, input{"examples/" + ex.Name, ex.Text, ex.Params})
	}
	es, err := corpus.Load()
	if err != nil {
		t.Logf("corpus not available: %v (examples only)", err)
	}
	for _, e := range es {
		data, err := e.Read()
		if err != nil {
			t.Fatal(err)
		}
		ins = append(ins, input{e.File, data, nil})
	}
	allowed := 0
	for _, in := range ins {
		src := source.NewFile(in.name, in.text)
		ds, res := lint.File(src, nil, lint.Options{Enable: []string{"all"}, Eval: eval.Options{Params: in.params}})
		a := auditProbes(res)
		for _, msg := range compareProbes(in.name, lintProbes(t, ds), a) {
			t.Error(msg)
		}
		allowed += len(a)
	}
	t.Logf("%d inputs, %d allowed probes compared", len(ins), allowed)
}

// TestCompareProbesCatchesDisagreement: the comparison fails on a missing
// probe, an extra one and a severity or rule difference.
func TestCompareProbesCatchesDisagreement(t *testing.T) {
	a := map[string]probeReport{"EV001": {"readable-ssh-keys", diag.Warning}, "EV034": {"writable-shell-startup", diag.Warning}}
	for name, l := range map[string]map[string]probeReport{
		"missing":  {"EV001": {"readable-ssh-keys", diag.Warning}},
		"extra":    {"EV001": {"readable-ssh-keys", diag.Warning}, "EV034": {"writable-shell-startup", diag.Warning}, "EV002": {"readable-ssh-keys", diag.Warning}},
		"severity": {"EV001": {"readable-ssh-keys", diag.Warning}, "EV034": {"writable-shell-startup", diag.Error}},
	} {
		if got := compareProbes(name, l, a); len(got) != 1 {
			t.Errorf("%s: %d disagreements reported, want 1: %q", name, len(got), got)
		}
	}
}

// TestProbeSeverityIsTheRules: every probe has its rule's severity, and
// the rule is a lint rule.
func TestProbeSeverityIsTheRules(t *testing.T) {
	for _, p := range ruletable.Probes() {
		r, ok := lint.Lookup(p.Rule)
		if !ok {
			t.Errorf("%s: rule %s is not a lint rule", p.ID, p.Rule)
			continue
		}
		if p.Severity != r.Severity {
			t.Errorf("%s: severity %v, rule %s has %v", p.ID, p.Severity, r.ID, r.Severity)
		}
	}
}
