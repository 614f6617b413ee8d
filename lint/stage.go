package lint

// stageRules document the codes the parser, the evaluator and the lint
// runner report themselves (no Run: the diagnostics come from those
// stages), so every code lint can emit is a rule: `sbplc explain CODE`,
// the SARIF rules table and configuration levels all work for them.
var stageRules = []*Rule{
	{ID: "syntax-error", Stage: "parser"},
	{ID: "input-too-large", Stage: "parser"},
	{ID: "internal-error", Stage: "parser"},
	{ID: "lint-internal-error", Stage: "lint"},
	{ID: "type-error", Stage: "evaluator"},
	{ID: "arity", Stage: "evaluator"},
	{ID: "filter-arity", Stage: "evaluator"},
	{ID: "filter-arg-type", Stage: "evaluator"},
	{ID: "filter-arg-value", Stage: "evaluator"},
	{ID: "rule-arg", Stage: "evaluator"},
	{ID: "modifier", Stage: "evaluator"},
	{ID: "duplicate-modifier", Stage: "evaluator"},
	{ID: "scheme-error", Stage: "evaluator"},
	{ID: "eval-error", Stage: "evaluator"},
	{ID: "eval-limit", Stage: "evaluator"},
	{ID: "import", Stage: "evaluator"},
	{ID: "import-cycle", Stage: "evaluator"},
	{ID: "path-ancestors", Stage: "evaluator"},
	{ID: "op-not-on-target", Stage: "evaluator"},
}
