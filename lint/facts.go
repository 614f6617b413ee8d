package lint

import (
	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/policy"
)

// facts are the analyses the rules of one run share, in the spirit of
// go/analysis results: each is a typed field computed on first use by the
// accessor method that owns it, so a rule states what it needs by calling
// the accessor (p.Index(), p.engine(), p.deadRules(), ...). Nothing is
// keyed by strings, and no fact depends on the order rules run in: an
// accessor computes its fact from the profile whichever rule asks first.
// (The evaluator diagnostics rules claim are not facts: see Pass.Claim.)
//
// Accessors are not safe for concurrent use; the rules of a run are run
// one after another.
type facts struct {
	index        once[*Index]                       // Pass.Index
	engine       once[*policy.Engine]               // Pass.engine
	coverKeys    once[*keyTable]                    // Pass.coverKeys
	dead         once[[]*deadRule]                  // Pass.deadRules
	unfiltered   once[[]unfilteredOp]               // Pass.unfilteredOps
	opSets       once[map[*ir.Rule]map[string]bool] // Pass.namesOp
	scan         once[*astScan]                     // Pass.scan
	symbolUses   once[map[string]int]               // Pass.symbolUses
	guarded      once[map[string]bool]              // Pass.guardedParams
	listsAt      once[map[int]*ast.List]            // Pass.listAt
	audit        once[[]policy.ProbeResult]         // Pass.auditResults
	opSymbols    once[[]*ast.Symbol]                // Pass.opSymbols
	projectRoots once[[]string]                     // projectRoots
}

// once is a value computed by the first get and kept for the run.
type once[T any] struct {
	v    T
	done bool
}

func (o *once[T]) get(mk func() T) T {
	if !o.done {
		o.v = mk()
		o.done = true
	}
	return o.v
}
