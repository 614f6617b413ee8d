package eval

import (
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/source"
)

// A Problem is one thing the evaluator found wrong with a profile, as a
// typed value (the model is protocompile's reporter and ErrorWithPos).
// Consumers that tell problems apart, such as lint's rules, switch on the
// concrete type and read its fields, never the message; every problem also
// renders to the one diagnostic that Result.Diags holds for everybody else.
//
// The set of problem types is closed: each has the fields a consumer needs
// to act on it. A problem without a type of its own is a *Generic, known by
// its diagnostic's code.
type Problem interface {
	error
	// Diagnostic is the problem as printed: the same value Result.Diags
	// holds for it.
	Diagnostic() diag.Diagnostic
	isProblem()
}

// problem is the rendering every Problem carries.
type problem struct{ d diag.Diagnostic }

// Diagnostic returns the problem's diagnostic.
func (p *problem) Diagnostic() diag.Diagnostic { return p.d }

// Error renders the problem as file:line:col: severity: message [code].
func (p *problem) Error() string { return p.d.String() }

func (p *problem) isProblem() {}

// Generic is a problem no consumer tells apart from others of its code
// (type errors, arity errors, limits, syntax errors in imports and
// preludes, ...).
type Generic struct{ problem }

// Unbound is what the problems about a name without a binding share. The
// diagnostic says "unbound variable: NAME", as libsandbox does, with a
// did-you-mean suggestion when one is plausible.
type Unbound struct {
	problem
	Name string
	At   source.Span // the name as written
	// InScope lists the names the profile had bound where the name was
	// used: local names, innermost first, then the profile's globals,
	// sorted (the library's names are not repeated here).
	InScope []string
	// Fragment is set when the file is a fragment (Options.Fragment or a
	// "; sbplc:fragment" comment): the name is expected to come from the
	// profile that includes it, and no suggestion is made.
	Fragment bool
	// Imports are the unresolved imports in effect where the name was
	// used; one of them may define it.
	Imports []string
}

// UnboundName is an unbound name in no position the other Unbound
// problems cover (a helper, a variable, a set!).
type UnboundName struct{ Unbound }

// UnknownOperation is an unbound name written as an operation of an allow
// or deny form.
type UnknownOperation struct{ Unbound }

// UnknownFilter is an unbound name at the head of a filter: an argument of
// allow, deny or require-all/any/not.
type UnknownFilter struct{ Unbound }

// UnknownModifier is (with NAME) with a NAME no modifier has.
type UnknownModifier struct{ Unbound }

// MissingVersion is a profile without a (version N) form. It is reported
// for every file that is not a fragment, with or without rules.
type MissingVersion struct {
	problem
	At    source.Span // where (version 1) belongs: before the first form
	Empty bool        // the file has no forms at all
}

// DuplicateVersion is a second (version N) form with a different number.
type DuplicateVersion struct {
	problem
	At    source.Span // the second form
	First source.Span // the first form
	// Cpp is set when the file has C-preprocessor conditionals (evaluated
	// as comments, so both branches ran): the second form is ignored and
	// the problem is a warning.
	Cpp bool
}

// UnsupportedVersion is (version N) with an N libsandbox rejects.
type UnsupportedVersion struct {
	problem
	At source.Span // the argument
}

// UnboundParam is a (param NAME) the caller does not supply: a warning,
// once per name.
type UnboundParam struct {
	problem
	Name   string
	At     source.Span // the first (param NAME) call
	Strict bool        // Options.StrictParams: the param is #f
}

// RemoteHostNotAllowed is a network address whose host is neither * nor
// localhost.
type RemoteHostNotAllowed struct {
	problem
	Address, Host string
	At            source.Span // the address string
}

// MalformedNetworkAddress is a (local ...) or (remote ...) filter whose
// protocol or address libsandbox rejects.
type MalformedNetworkAddress struct {
	problem
	Address string      // the address, "" when the protocol is the problem
	At      source.Span // the offending argument
}

// ImportNotFound is an (import NAME) that no search directory holds. Its
// rules are unknown (ir.Import.Resolved is false). A later statement that
// fails only because it uses a name the import may define is not an
// error: it becomes an ir.OpaqueBlock, listed in Uses (and as related
// locations of the one warning).
type ImportNotFound struct {
	problem
	Name     string
	At       source.Span   // the import form
	Searched []string      // the paths tried, in order
	Uses     []source.Span // the statements that became opaque blocks
	// Model is set when sbplc's model of the system profile stood in for
	// the missing file but does not know all of its rules (ir.Import.Model
	// names it; the import itself is resolved).
	Model string
}

// ImportRefused is an (import NAME) that resolves to something that is not
// a profile to read: a device, FIFO, socket or directory (after resolving
// links), or a file over fsutil.MaxInputSize. Its rules are unknown
// (ir.Import.Resolved is false).
type ImportRefused struct {
	problem
	Name, Path string
	At         source.Span
	Err        error // the reader's *fsutil.ReadError
}

// OpNotOnTarget is an operation the --target operation table lacks.
type OpNotOnTarget struct {
	problem
	Op, Target string
	At         source.Span
}

// Cancelled is evaluation stopped by Options.Context: the profile is
// incomplete.
type Cancelled struct {
	problem
	Err error // the context's error
}
