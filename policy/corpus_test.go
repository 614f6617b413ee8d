package policy

import (
	"testing"

	"github.com/sbplc/sbplc/corpus"
	"github.com/sbplc/sbplc/eval"
	"github.com/sbplc/sbplc/source"
)

// TestCorpus compiles every corpus profile, runs the audit probes on it
// and checks that the engine never fails on real profiles: every regex
// Apple and others wrote translates, and the probes answer.
func TestCorpus(t *testing.T) {
	es := corpus.ForTest(t)
	answered := 0
	for _, en := range es {
		data, err := en.Read()
		if err != nil {
			t.Fatal(err)
		}
		res := eval.Run(source.NewFile(en.File, data), eval.Options{Params: map[string]string{"HOME": "/Users/user"}})
		e, ds := New(res.Profile, Options{Home: "/Users/user"})
		for _, d := range ds {
			if d.Code != "policy/unsupported-regex" {
				t.Errorf("%s: %v", en.File, d)
			}
			t.Logf("%v", d)
		}
		rs := e.Audit(AuditOptions{Home: "/Users/user", Projects: []string{"/Users/user/proj"}})
		for _, r := range rs {
			if r.Skipped == "" && r.Decision.Result != Unknown {
				answered++
			}
		}
	}
	t.Logf("%d profiles, %d probe answers", len(es), answered)
	if len(es) > 0 && answered == 0 {
		t.Error("no probe answered on the corpus")
	}
}

// TestFilteredRulesMatchesRulesFor checks the shortcut lint's shadowing
// analysis uses against RulesFor, for every operation of every corpus
// profile, under both fallback models.
func TestFilteredRulesMatchesRulesFor(t *testing.T) {
	es := corpus.ForTest(t)
	for _, en := range es {
		data, err := en.Read()
		if err != nil {
			t.Fatal(err)
		}
		res := eval.Run(source.NewFile(en.File, data), eval.Options{})
		for _, specific := range []bool{true, false} {
			m := DefaultModel()
			m.SpecificBeatsWildcard = specific
			e, _ := New(res.Profile, Options{Model: &m})
			seen := map[string]bool{"no-such-operation": true}
			for _, r := range res.Profile.Rules {
				for _, o := range r.Ops {
					seen[o.Name] = true
				}
			}
			for op := range seen {
				got, want := e.FilteredRules(op), e.RulesFor(op).Filtered
				if len(got) != len(want) {
					t.Fatalf("%s %s (specific=%v): FilteredRules has %d rules, RulesFor %d", en.File, op, specific, len(got), len(want))
				}
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("%s %s (specific=%v): rule %d differs", en.File, op, specific, i)
					}
				}
			}
		}
	}
}
