// Package eval runs an SBPL profile as the TinyScheme program libsandbox
// sees and produces the flat rule IR (package ir).
//
// This file is the package's public contract, used by lint, the decision
// engine, compile, the formatter's tests and the editor.
package eval

import (
	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/source"
)

// Limits bound evaluation. Zero fields take the defaults.
type Limits struct {
	Steps     int // evaluation steps (default 1,000,000; the largest corpus profile needs 2,604)
	Depth     int // call depth (default 10,000)
	ListLen   int // elements in one list (default 1,000,000)
	StringLen int // bytes in one string (default 1 MiB)
	Rules     int // rules in the IR (default 1,000,000)
	Imports   int // files imported, transitively (default 256)
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
	// ReadFile reads imports; nil means os.ReadFile. Tests and the editor
	// substitute their own.
	ReadFile func(path string) ([]byte, error)
}

// Result is the outcome of evaluating one file.
type Result struct {
	File    *ast.File   // the main file's syntax tree (nil only if src was nil)
	Profile *ir.Profile // always non-nil; partial when Diags has errors
	Diags   diag.List   // parse and evaluation diagnostics, sorted
	// Output is what the profile printed with display/write/newline
	// (collected, never printed; capped at 64 KiB).
	Output string
	// Steps is the number of evaluation steps used (see Limits.Steps).
	Steps int
}
