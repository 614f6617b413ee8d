package lint

import "github.com/sbplc/sbplc/diag"

// stageRules document the codes the parser, the evaluator and the lint
// runner report themselves (no Run: the diagnostics come from those
// stages), so every code lint can emit is a rule: `sbplc explain CODE`,
// the SARIF rules table and configuration levels all work for them.
var stageRules = []*Rule{
	{ID: "syntax-error", Category: Correctness, Severity: diag.Error, Stage: "parser",
		Summary: "text that does not parse as SBPL"},
	{ID: "input-too-large", Category: Correctness, Severity: diag.Error, Stage: "parser",
		Summary: "profile larger than the 16 MiB input limit"},
	{ID: "internal-error", Category: Correctness, Severity: diag.Error, Stage: "parser",
		Summary: "internal error in the parser or evaluator"},
	{ID: "lint-internal-error", Category: Correctness, Severity: diag.Error, Stage: "lint",
		Summary: "lint rule that failed on this file"},
	{ID: "type-error", Category: Correctness, Severity: diag.Error, Stage: "evaluator",
		Summary: "value of the wrong type passed to a procedure"},
	{ID: "arity", Category: Correctness, Severity: diag.Error, Stage: "evaluator",
		Summary: "procedure called with the wrong number of arguments"},
	{ID: "filter-arity", Category: Correctness, Severity: diag.Error, Stage: "evaluator",
		Summary: "filter called with the wrong number of arguments"},
	{ID: "filter-arg-type", Category: Correctness, Severity: diag.Error, Stage: "evaluator",
		Summary: "filter argument of the wrong type"},
	{ID: "filter-arg-value", Category: Correctness, Severity: diag.Error, Stage: "evaluator",
		Summary: "named constant that the filter does not know"},
	{ID: "rule-arg", Category: Correctness, Severity: diag.Error, Stage: "evaluator",
		Summary: "allow or deny argument of the wrong kind"},
	{ID: "modifier", Category: Correctness, Severity: diag.Error, Stage: "evaluator",
		Summary: "malformed (with ...) modifier"},
	{ID: "duplicate-modifier", Category: Correctness, Severity: diag.Error, Stage: "evaluator",
		Summary: "modifier repeated in one rule"},
	{ID: "scheme-error", Category: Correctness, Severity: diag.Error, Stage: "evaluator",
		Summary: "(error ...) raised by the profile"},
	{ID: "eval-error", Category: Correctness, Severity: diag.Error, Stage: "evaluator",
		Summary: "runtime error while the profile runs"},
	{ID: "eval-limit", Category: Correctness, Severity: diag.Error, Stage: "evaluator",
		Summary: "evaluation step or recursion limit exceeded"},
	{ID: "import", Category: Correctness, Severity: diag.Error, Stage: "evaluator",
		Summary: "(import ...) that cannot be used here"},
	{ID: "import-cycle", Category: Correctness, Severity: diag.Error, Stage: "evaluator",
		Summary: "profile that imports itself"},
	{ID: "path-ancestors", Category: Correctness, Severity: diag.Error, Stage: "evaluator",
		Summary: "path-ancestors of a relative path"},
	{ID: "op-not-on-target", Category: Correctness, Severity: diag.Warning, Stage: "evaluator",
		Summary: "operation missing from the --target operation table"},
}
