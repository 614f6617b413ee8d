// Package eval runs an SBPL profile as the TinyScheme program libsandbox
// sees and produces the flat rule IR (package ir).
//
// This file is the package's public contract, used by lint, the decision
// engine, compile, the formatter's tests and the editor: Run and EvalFile,
// their Options and Result. The evaluator reports what is wrong with a
// profile as typed Problems (problem.go), each rendering to one diagnostic.
package eval

import (
	"context"

	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/entitlements"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/parser"
	"github.com/sbplc/sbplc/source"
)

// Limits bound evaluation. Zero fields take the defaults.
type Limits struct {
	Steps     int // evaluation steps (default DefaultSteps)
	Depth     int // call depth (default DefaultDepth)
	ListLen   int // elements in one list (default DefaultListLen)
	StringLen int // bytes in one string (default DefaultStringLen)
	Rules     int // rules in the IR (default DefaultRules)
	Imports   int // files imported, transitively (default DefaultImports)
}

// Options configure one evaluation.
type Options struct {
	Params       map[string]string // -D KEY=VALUE and --params FILE
	StrictParams bool              // an unbound param is #f, as in libsandbox
	ImportDirs   []string          // -I DIR, searched after the importing file's directory
	SystemDirs   bool              // also search /System/Library/Sandbox/Profiles and /usr/share/sandbox
	Preludes     []*source.File    // evaluated first, in the same environment
	Target       string            // OS table, e.g. "macos14"; "" = newest known
	Limits       Limits
	// Fragment evaluates the file as a fragment that full profiles include
	// (as a "; sbplc:fragment" comment does): it needs no (version) form,
	// and names it does not define are expected to come from the profile
	// that includes it.
	Fragment bool
	// Context, when set, cancels evaluation: the evaluator checks it every
	// cancelEvery steps and stops with a Cancelled problem.
	Context context.Context
	// ReadFile reads imports; nil means fsutil.ReadRegular with
	// fsutil.MaxInputSize. Tests and the editor substitute their own.
	// Whatever it is, it is never asked for a path that is not a regular
	// file on disk (devices, FIFOs, sockets, directories): those imports
	// are refused.
	ReadFile func(path string) ([]byte, error)
	// Entitlements are the app's entitlements, bound as *entitlements*
	// (an alist, as libsandbox binds them). nil: the profile runs without
	// entitlements and *entitlements* is unbound, as in libsandbox.
	Entitlements *entitlements.Set
	// NoSystemModels leaves an import of a system profile that is not on
	// disk unresolved instead of evaluating sbplc's model of it (package
	// syslib).
	NoSystemModels bool
}

// Result is the outcome of evaluating one file.
type Result struct {
	File    *ast.File   // the main file's syntax tree (nil only if src was nil)
	Profile *ir.Profile // always non-nil; partial when Diags has errors
	// Problems are the evaluation's problems in the order they were found,
	// the parse errors of preludes and imports included (as *Generic).
	Problems []Problem
	// Diags are the main file's parse diagnostics (Run only) and the
	// diagnostic of every problem, sorted.
	Diags diag.List
	// Output is what the profile printed with display/write/newline
	// (collected, never printed; capped at 64 KiB).
	Output string
	// Steps is the number of evaluation steps used (see Limits.Steps).
	Steps int
	// Entitlements are the entitlement keys the profile tested, in the
	// order first tested: lookups in *entitlements* (recorded only when
	// Options.Entitlements is set) and require-entitlement filters.
	Entitlements []EntitlementUse
}

// Run parses src and evaluates it. Parse and evaluation diagnostics are
// merged and sorted.
func Run(src *source.File, opts Options) *Result {
	if src == nil {
		return &Result{Profile: &ir.Profile{Implicit: true}}
	}
	f, pd := parser.Parse(src)
	r := EvalFile(f, opts)
	r.Diags = append(pd, r.Diags...).Sort()
	return r
}

// EvalFile evaluates an already parsed file: the preludes first, then the
// file's forms, in one environment. It never panics.
func EvalFile(f *ast.File, opts Options) *Result {
	// The symbol table grows with the text: one slot per 128 bytes is
	// the starting size.
	size := 64
	if f != nil && f.Src != nil {
		size += len(f.Src.Text) / 128
	}
	for _, p := range opts.Preludes {
		size += len(p.Text) / 128
	}
	ev := newEvaluator(opts, min(size, 1024))
	if f != nil {
		ev.mainFile = f.Src
		ev.fragment = opts.Fragment || IsFragment(f)
	}
	for _, p := range opts.Preludes {
		if ev.aborted {
			break
		}
		pf, pd := parser.Parse(p)
		ev.addDiags(pd)
		ev.evalFileForms(pf)
	}
	if f != nil && !ev.aborted {
		ev.evalFileForms(f)
	}
	ev.finish(f)
	res := &Result{File: f, Profile: ev.prof, Problems: ev.problems, Output: ev.output.String(), Steps: ev.steps, Entitlements: ev.entUses}
	for _, p := range ev.problems {
		res.Diags = append(res.Diags, p.Diagnostic())
	}
	res.Diags = res.Diags.Sort()
	return res
}
