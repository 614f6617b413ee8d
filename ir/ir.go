// Package ir is the flat rule representation that evaluation produces and
// every analysis consumes (lint, the decision engine, compile, the editor).
//
// A Profile is what libsandbox would see after running the profile's Scheme:
// an ordered list of rules, each with an action, one or more operations, an
// optional filter tree and modifiers. Every rule, filter and value carries an
// Origin pointing back to the user's source, through function and macro
// expansion. The IR is deterministic: evaluating the same input twice gives
// equal IR.
//
// ir imports only source; it knows nothing of Scheme.
package ir

import (
	"github.com/sbplc/sbplc/source"
)

// Action is allow or deny.
type Action uint8

// Actions.
const (
	Deny Action = iota
	Allow
)

func (a Action) String() string {
	if a == Allow {
		return "allow"
	}
	return "deny"
}

// Frame is one step of an expansion chain: the call of a function or macro
// named Name at Call.
type Frame struct {
	Name string      // the function or macro called ("" for an anonymous lambda)
	Call source.Span // the call form
}

// Origin says where an IR element comes from. Span is the form that produced
// it (for a rule, the (allow ...)/(deny ...) form, which may sit inside a
// helper's body); Chain lists the calls that led there, innermost first.
type Origin struct {
	Span  source.Span
	Chain []Frame
}

// Primary is the span a diagnostic about this element should point at: the
// outermost call site when the element was produced inside a helper (the line
// in the user's profile that grants the access), otherwise Span.
func (o Origin) Primary() source.Span {
	if n := len(o.Chain); n > 0 && o.Chain[n-1].Call.IsValid() {
		return o.Chain[n-1].Call
	}
	return o.Span
}

// ValueKind classifies an argument value.
type ValueKind uint8

// Value kinds.
const (
	String ValueKind = iota // a string (path, name, regex source, network address)
	Int                     // an integer (signal numbers, enum values given as numbers)
	Bool                    // #t / #f
	Symbol                  // a symbol such as tcp, self, DIRECTORY, SIGKILL
	Filter                  // a nested filter (e.g. (remote unix-socket (path-literal P)))
)

// Value is one argument of a filter or modifier.
//
// The small fields come first, together: a profile has a Value per filter
// argument (100,000 of them in a profile of 100,000 rules), and so laid
// out it is 136 bytes, not 152.
type Value struct {
	Kind ValueKind
	// HasInt is true for a Symbol whose numeric encoding is known (tcp = 7,
	// AF_INET = 2). A Symbol with HasInt false is a constant libsandbox
	// accepts whose number sbplc has not measured: Int is then 0 and means
	// nothing.
	HasInt bool
	Bool   bool
	// Raw is true when the string came from a #"..." literal (directly or
	// through string-append of raw literals only).
	Raw bool

	Str string      // String: the decoded text; Symbol: the name
	Int int64       // Int: the number; Symbol: the constant's number when HasInt
	Sub *FilterNode // Kind == Filter
	// Params lists the names of unbound (placeholder) params whose ${NAME}
	// text is part of Str. Empty for fully concrete values.
	Params []string
	// FromParams lists the params, bound or unbound, whose value is part
	// of Str: a value built from (param "HOME") is the caller's, not
	// written in the profile, whatever -D supplied.
	FromParams []string

	Origin Origin
}

// Symbolic reports whether the value contains placeholder text for unbound
// params, so its concrete spelling is unknown.
func (v Value) Symbolic() bool { return len(v.Params) > 0 }

// FilterKind is the shape of a filter node.
type FilterKind uint8

// Filter kinds.
const (
	Leaf FilterKind = iota // a filter such as (subpath "/x")
	All                    // require-all
	Any                    // require-any (also several filters in one rule)
	Not                    // require-not (exactly one child)
)

// Match is how a leaf filter compares its argument with the request.
type Match uint8

// Match kinds.
const (
	MatchOther   Match = iota // enum, boolean, network, entitlement, ... (see Name)
	MatchExact                // literal / path / global-name / ...
	MatchSubpath              // subpath and other subpath forms
	MatchPrefix               // prefix / path-prefix / *-prefix
	MatchRegex                // regex / path-regex / *-regex
)

func (m Match) String() string {
	return [...]string{"other", "exact", "subpath", "prefix", "regex"}[m]
}

// FilterNode is one node of a rule's filter tree.
type FilterNode struct {
	Kind     FilterKind
	Children []*FilterNode // All, Any, Not

	// Leaf fields.
	Name    string  // the canonical filter name after aliases (e.g. "literal" -> "path")
	Written string  // the name as written (or as produced by a helper)
	Base    string  // the base filter a derived form belongs to ("subpath" -> "path")
	Match   Match   // how Args are compared
	Args    []Value // several arguments are ORed

	Origin Origin
}

// Op is one operation named by a rule.
type Op struct {
	Name    string // canonical name after sbpl aliases (sysctl-write -> sysctl*)
	Written string // as written
	Span    source.Span
}

// Modifier is a (with NAME ARGS...) clause.
type Modifier struct {
	Name string
	Args []Value
	// Rules are the nested rules of a message-filter modifier
	// ((apply-message-filter (deny ...) (allow ...))), in order.
	Rules  []*Rule
	Origin Origin
}

// Rule is one allow or deny statement.
type Rule struct {
	Action    Action
	Ops       []Op
	Filter    *FilterNode // nil: unfiltered (the operation's default, wherever it stands)
	Modifiers []Modifier
	Origin    Origin
	// Index is the rule's position in Profile.Rules (set by the evaluator).
	Index int
}

// Unfiltered reports whether the rule has no filter.
func (r *Rule) Unfiltered() bool { return r.Filter == nil }

// Import is one (import ...) form.
type Import struct {
	Name     string // as written
	Path     string // resolved file, "" when not found
	Resolved bool
	// Index is len(Profile.Rules) when the import was evaluated: an
	// unresolved import is an opaque block of unknown rules at that point.
	Index  int
	Origin Origin
	// Model is set when no file was found and the rules come from sbplc's
	// model of the system profile (package syslib) instead: it says which,
	// "sbplc's model of system.sb for macOS 14". Path is then the model's
	// source name, and the rules' origins point into it.
	Model string
}

// OpaqueBlock is a statement whose rules are unknown: it needed a name
// that no file defines, while an unresolved import that may define it was
// in effect (Apple's (corefoundation) after an import of
// com.apple.corefoundation.sb that cannot be found). Like an unresolved
// import, it may hold rules of any operation at its position.
type OpaqueBlock struct {
	// Index is len(Profile.Rules) when the statement stopped: its unknown
	// rules come after the rules before it.
	Index  int
	Name   string // the undefined name
	Import string // the unresolved import that may define it, as written
	Reason string // why the rules are unknown, in words
	Origin Origin // the statement
	// Model is set when the block is a procedure of a system-profile
	// model whose rules sbplc does not know (see Import.Model); it names
	// the model.
	Model string
}

// ParamUse records one param the profile asked for.
type ParamUse struct {
	Name   string
	Bound  bool   // supplied by the caller
	Value  string // the supplied value
	Origin Origin // the first (param ...) call
}

// Profile is an evaluated profile.
type Profile struct {
	Version     int // 0 when no (version N) form was evaluated
	VersionSpan source.Span
	Rules       []*Rule
	Imports     []Import
	// OpaqueBlocks are the statements whose rules are unknown, in order.
	OpaqueBlocks []OpaqueBlock
	Params       []ParamUse
	// Implicit is false when NO_IMPLICIT_RULES was set; the decision engine
	// appends libsandbox's implicit policy rules only when it is true.
	Implicit bool
	// Debug and Trace record (debug ...) and (trace ...) settings.
	Debug []string
	Trace string
}

// Opaque reports whether the profile contains unresolved imports or
// opaque blocks, so its rules are not fully known.
func (p *Profile) Opaque() bool {
	for _, im := range p.Imports {
		if !im.Resolved {
			return true
		}
	}
	return len(p.OpaqueBlocks) > 0
}
