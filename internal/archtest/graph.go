package archtest

// The intended import graph of sbplc's production packages (non-test
// imports only). layers lists the packages from the bottom up: a package
// may import only packages of lower layers, never one of its own layer or
// above. edges lists every import between sbplc packages that is intended;
// TestImportDirection fails on any other, and on a package missing here.
// docs/architecture.md shows both (TestArchitectureDoc keeps it in step:
// SBPLC_UPDATE=1 go test ./internal/archtest rewrites its graph section).
//
// To add a package or an import: decide where it belongs, add it here and
// regenerate the doc; the review of that diff is the point.
var layers = [][]string{
	{"source", "internal/spell", "internal/fsutil", "internal/lazyre", "templates"},
	{"diag", "ast", "ir", "internal/trace", "entitlements"},
	{"vocab", "ruletable", "parser"},
	{"policy", "config", "bytecode", "format", "syslib"},
	{"eval"},
	{"lint", "compile"},
	{"internal/driver", "sandbox"},
	{"learn", "internal/liveaudit", "internal/lsp"},
	{"cmd/sbplc"},
}

// layerNotes says what each layer is for, for the doc.
var layerNotes = []string{
	"text, spelling suggestions, bounded file reading, regexes compiled on first use, the embedded templates",
	"diagnostics, the syntax tree, the flat rule IR, the log-stream runner, entitlement files",
	"the vocabulary tables, the rule table, the parser",
	"the decision engine, .sbplc.yaml, the bytecode decoder, the formatter, the models of Apple's system profiles",
	"the evaluator",
	"the linter, the compiler",
	"the one analysis pipeline (parse, evaluate, lint) and running under a profile",
	"log learning, the live audit, the language server",
	"the command line",
}

var edges = map[string][]string{
	"source":             nil,
	"internal/spell":     nil,
	"internal/fsutil":    nil,
	"internal/lazyre":    nil,
	"templates":          nil,
	"diag":               {"source"},
	"ast":                {"source"},
	"ir":                 {"source"},
	"internal/trace":     {"source"},
	"entitlements":       {"internal/fsutil"},
	"vocab":              {"ir"},
	"ruletable":          {"diag", "internal/spell"},
	"parser":             {"ast", "diag", "source"},
	"policy":             {"diag", "internal/spell", "ir", "ruletable", "source", "vocab"},
	"config":             {"diag", "internal/fsutil", "internal/spell", "ruletable"},
	"bytecode":           {"diag", "internal/fsutil", "vocab"},
	"format":             {"ast", "diag", "parser", "source"},
	"syslib":             {"source", "vocab"},
	"eval":               {"ast", "diag", "entitlements", "internal/fsutil", "internal/spell", "ir", "parser", "source", "syslib", "vocab"},
	"lint":               {"ast", "config", "diag", "eval", "internal/lazyre", "internal/spell", "ir", "policy", "ruletable", "source", "vocab"},
	"compile":            {"bytecode", "diag", "eval", "format", "internal/lazyre", "ir", "policy", "source", "vocab"},
	"internal/driver":    {"config", "diag", "entitlements", "eval", "internal/fsutil", "lint", "policy", "source", "vocab"},
	"sandbox":            {"compile", "internal/fsutil", "templates"},
	"learn":              {"ast", "diag", "format", "internal/driver", "internal/lazyre", "internal/trace", "ir", "policy", "source", "vocab"},
	"internal/liveaudit": {"policy", "sandbox"},
	"internal/lsp":       {"ast", "diag", "format", "internal/driver", "internal/fsutil", "lint", "parser", "ruletable", "source", "vocab"},
	"cmd/sbplc": {"ast", "bytecode", "compile", "config", "diag", "entitlements", "eval", "format", "internal/driver", "internal/fsutil",
		"internal/liveaudit", "internal/lsp", "internal/spell", "internal/trace", "ir", "learn", "lint", "parser", "policy",
		"ruletable", "sandbox", "source", "syslib", "templates", "vocab"},
}

// tools are packages outside the product: test helpers and generators.
// They may import any production package; no production package may
// depend on them (the binary never reads ../shared).
var tools = []string{"corpus", "internal/testutil", "internal/testutil/sarifcheck", "internal/archtest", "internal/vocabgen", "internal/vocabgen/gen"}

// testOnly are the tools that read ../shared or import testing.
var testOnly = []string{"corpus", "internal/testutil"}

// lintRunners may run the linter (lint.Run and its options); every other
// package that imports lint uses only its registry (rule IDs, documents,
// probe directories), so there is one analysis pipeline, internal/driver.
var lintRunners = []string{"lint", "internal/driver"}

// lintRunAPI are lint's names that run the linter or configure a run.
var lintRunAPI = []string{"Run", "File", "Options", "Validate", "Enabled", "EvalOptions"}
