// Package lint is sbplc's rule engine: a registry of rules that run over an
// evaluated profile (the flat IR of package ir, with the syntax tree where
// syntax matters), inline suppressions, configuration and the shared
// analyses the rules need (rule precedence, effective-policy probes).
//
// A rule is a value (see Rule) listed in registry.go. Its Run function gets a
// *Pass and reports findings through it; rules never print. Each rule has an
// embedded Markdown document (docs/<id>.md) with Avoid, Prefer and Rationale
// sections, which `sbplc explain ID` prints and a test executes.
//
// Entry points: Run lints an eval.Result; File parses, evaluates and lints
// one source file.
package lint

import (
	"fmt"

	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/config"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/eval"
	"github.com/sbplc/sbplc/internal/lazyre"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/ruletable"
	"github.com/sbplc/sbplc/source"
)

// Category groups rules.
type Category string

// Rule categories.
const (
	Correctness Category = "correctness" // fails to compile or load, or silently meaningless
	Paths       Category = "paths"       // path and regex semantics
	Ordering    Category = "ordering"    // rule precedence
	Overbreadth Category = "overbreadth" // grants far more than needed
	Escape      Category = "escape"      // lets the process act outside the sandbox
	Secrets     Category = "secrets"     // exposes credentials and private data
	Style       Category = "style"       // maintainability
)

// Categories returns the categories in display order
// (ruletable/categories.tsv).
func Categories() []Category {
	var out []Category
	for _, c := range ruletable.CategoryNames() {
		out = append(out, Category(c))
	}
	return out
}

// Rule is one lint rule. A rule value holds its behaviour (ID, Run,
// Stage); its defaults (Category, Severity, Off, Summary, Params) come from
// the rule table (package ruletable) when the registry is built, so config,
// audit and lint read one source.
type Rule struct {
	ID       string   // kebab-case, stable: config key, ignore comments, SARIF ruleId
	Category Category // see Categories
	Severity diag.Severity
	// Off is true for rules that are disabled unless enabled by config or flag.
	Off     bool
	Summary string // lowercase, no final period, at most 60 characters
	// Run reports the rule's findings. A rule that the probe table names
	// also reports its allowed probes after Run (probes.go). Nil for rules
	// whose findings come only from the probe table or from the runner
	// itself (unused-ignore, unknown-rule-in-ignore).
	Run func(p *Pass)
	// Params are the rule's options (name -> default), read with
	// Pass.Param.
	Params map[string]string
	// Stage names the stage that reports the rule's diagnostics when the
	// rule has no Run of its own: "parser", "evaluator" or "lint" (the
	// runner). Such rules document stage codes (see stage.go).
	Stage string
}

// Doc returns the rule's embedded Markdown document.
func (r *Rule) Doc() string { return docFor(r.ID) }

var kebab = lazyre.New(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// ValidID reports whether id is kebab-case.
func ValidID(id string) bool { return kebab().MatchString(id) }

// Pass is what a rule sees while it runs on one file. One Pass serves every
// rule of a run (Rule changes between them), so a rule must not keep p, or
// a closure over it, beyond its Run: per-run values go through the run's
// cache with the data they need, not with p.
type Pass struct {
	Rule    *Rule
	File    *ast.File // syntax tree of the main file (may be nil)
	Src     *source.File
	Profile *ir.Profile // never nil
	Config  *config.Config
	Opts    Options

	run *runState
}

// Report adds a finding at the rule's default severity (or the configured one).
func (p *Pass) Report(d diag.Diagnostic) { p.run.add(p.Rule, d, p.Rule.Severity) }

// ReportSev adds a finding with a rule-chosen severity (a configured level
// still wins).
func (p *Pass) ReportSev(sev diag.Severity, d diag.Diagnostic) { p.run.add(p.Rule, d, sev) }

// Reportf adds a finding with a formatted message.
func (p *Pass) Reportf(span source.Span, format string, args ...any) {
	p.Report(diag.Diagnostic{Span: span, Message: fmt.Sprintf(format, args...)})
}

// Param returns the rule option key from the configuration, or the rule's
// documented default.
func (p *Pass) Param(key string) string {
	return p.Config.RuleParam(p.Rule.ID, key, p.Rule.Params[key])
}

// Home is the home directory used for escape and secrets probes.
func (p *Pass) Home() string { return p.run.home }

// Target is the OS table name in use ("" = newest known).
func (p *Pass) Target() string { return p.run.target }

// Problems returns the evaluator's problems (eval.Result.Problems) that no
// rule has claimed or dropped yet. A rule takes the problems of the types
// it owns, by type switch: each type has one owner, so the order rules run
// in does not matter, and no rule reads a diagnostic's message.
func (p *Pass) Problems() []eval.Problem {
	var out []eval.Problem
	for _, pr := range p.run.problems {
		if !p.run.taken[pr] {
			out = append(out, pr)
		}
	}
	return out
}

// Claim takes over an evaluation problem: its diagnostic is removed from
// the pass-through output and re-reported as this rule's finding d, at
// d.Severity (a configured level still wins).
func (p *Pass) Claim(prob eval.Problem, d diag.Diagnostic) {
	p.run.taken[prob] = true
	d.Code = p.Rule.ID
	p.run.add(p.Rule, d, d.Severity)
}

// Drop removes an evaluation problem from the output without a finding
// (the rule decided it is not a problem, or reports it its own way).
func (p *Pass) Drop(prob eval.Problem) { p.run.taken[prob] = true }

// Cancelled reports whether the run's context (Options.Context) is done.
// A rule with a loop over the profile's rules checks it every few thousand
// steps and returns: a cancelled run's findings are discarded (see Run).
func (p *Pass) Cancelled() bool { return p.run.cancelled() }

// UserSpan reports whether sp lies in the file being linted.
func (p *Pass) UserSpan(sp source.Span) bool { return sp.File != nil && sp.File == p.Src }

// Index returns the shared rule index for the profile (computed once per run).
func (p *Pass) Index() *Index {
	return p.run.facts.index.get(func() *Index { return buildIndex(p.Profile) })
}
