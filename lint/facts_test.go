package lint

import (
	"context"
	"testing"

	"github.com/sbplc/sbplc/config"
	"github.com/sbplc/sbplc/ir"
)

// TestFacts checks that a fact is computed once per run and shared by
// every rule of the run, and that each run has its own.
func TestFacts(t *testing.T) {
	var o once[int]
	calls := 0
	mk := func() int { calls++; return 7 }
	if o.get(mk) != 7 || o.get(mk) != 7 || calls != 1 {
		t.Errorf("once: %d calls, want 1", calls)
	}

	prof := &ir.Profile{Rules: []*ir.Rule{{Action: ir.Allow, Ops: []ir.Op{{Name: "file-read*"}}}}}
	newPass := func() *Pass {
		return &Pass{Profile: prof, Config: config.Default(), run: &runState{cfg: config.Default(), ctx: context.Background()}}
	}
	p := newPass()
	p.Rule = &Rule{ID: "one"}
	e, ix, dead := p.engine(), p.Index(), p.deadRules()
	p.Rule = &Rule{ID: "two"}
	if p.engine() != e || p.Index() != ix || len(p.deadRules()) != len(dead) {
		t.Error("a second rule of the run recomputed a fact")
	}
	if q := newPass(); q.engine() == e || q.Index() == ix {
		t.Error("a second run shares the first run's facts")
	}
}
