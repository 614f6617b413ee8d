package eval

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/entitlements"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/source"
	"github.com/sbplc/sbplc/syslib"
)

// This file is the prelude-level part of libsandbox's library that the
// table of builtins does not hold: names whose presence depends on the
// release (--target), values bound per evaluation (*params*,
// *entitlements*, *import-path*), the entitlement keys a profile tests,
// and the two procedures only sbplc's system-profile models may call
// (package syslib).

// EntitlementUse is an entitlement key the profile tested.
type EntitlementUse struct {
	Key string
	// At is where: the user's statement that looked the key up.
	At source.Span
	// Runtime is set for (require-entitlement KEY): a filter the kernel
	// checks against the running process, not a test while compiling.
	Runtime bool
}

// onTarget says on which releases a library name is bound: the names
// missing from this table are bound on every release.
var onTarget = map[string]func(target string) bool{
	// A C builtin on 10.11-10.15; on 14 appsandbox-common.sb defines it.
	"split-string": before14,
	"%version-1":   before14,
	// New with the macOS 14 library.
	"sbpl-version-compatible?": since14,
	"*import-path*":            since14,
	"*apply-implicit-policy*":  since14,
}

func before14(target string) bool { return !syslib.AtLeast(target, "14") }
func since14(target string) bool  { return syslib.AtLeast(target, "14") }

// libraryModel are the library procedures with no table of their own.
func libraryModel() []*builtin {
	return []*builtin{
		{"split-string", 2, 2, biSplitString},
		{"%version-1", 0, 0, biIgnored},
		{"%finalize", 0, 0, biIgnored},
		{"%notify-file-open", 0, -1, biIgnored},
		{"eliminate-duplicate-rules", 0, -1, biIgnored},
		{"record", 0, -1, biIgnored},
		{"sbpl-version-compatible?", 1, 1, biVersionCompatible},
		{"%sbplc-os>=", 1, 1, modelOnly(biOSAtLeast)},
		{"%sbplc-unknown-rules", 1, 1, modelOnly(biUnknownRules)},
	}
}

// perEvaluation binds the names whose value depends on the options; ok
// is false when the name is not bound at all.
func (ev *evaluator) perEvaluation(name string) (value, bool, bool) {
	switch name {
	case "*params*":
		keys := make([]string, 0, len(ev.opts.Params))
		for k := range ev.opts.Params {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		items := make([]value, len(keys))
		for i, k := range keys {
			items[i] = cons(&strV{S: k}, &strV{S: ev.opts.Params[k], From: []string{k}})
		}
		return listOf(items...), true, true
	case "*entitlements*":
		if ev.opts.Entitlements == nil {
			return nil, false, true // libsandbox binds it only for an app with entitlements
		}
		return entitlementsAlist(ev.opts.Entitlements.Entries), true, true
	case "*import-path*":
		return boolV(false), since14(ev.opts.Target), true
	case "*apply-implicit-policy*":
		return boolV(ev.prof.Implicit), since14(ev.opts.Target), true
	}
	return nil, false, false
}

// entitlementsAlist converts entitlements as libsandbox does: booleans,
// strings and numbers as themselves, arrays as lists, dictionaries as
// alists ((key . value) ...).
func entitlementsAlist(es []entitlements.Entry) value {
	items := make([]value, len(es))
	for i, e := range es {
		items[i] = cons(&strV{S: e.Key}, entitlementValue(e.Value))
	}
	return listOf(items...)
}

func entitlementValue(v entitlements.Value) value {
	switch v.Kind {
	case entitlements.Bool:
		return boolV(v.Bool)
	case entitlements.Integer:
		return intV(v.Int)
	case entitlements.Real:
		return realV(v.Real)
	case entitlements.Array:
		items := make([]value, len(v.List))
		for i, x := range v.List {
			items[i] = entitlementValue(x)
		}
		return listOf(items...)
	case entitlements.Dict:
		return entitlementsAlist(v.Dict)
	}
	return &strV{S: v.Str}
}

// noteEntitlementLookup records key when list is the *entitlements*
// alist (an assoc on it is how application.sb tests a key).
func (ev *evaluator) noteEntitlementLookup(c *call) {
	if ev.opts.Entitlements == nil || len(c.Args) < 2 {
		return
	}
	key, ok := c.Args[0].(*strV)
	if !ok {
		return
	}
	s, ok := ev.syms["*entitlements*"]
	if !ok || !s.gbound || !sameList(s.gval, c.Args[1]) {
		return
	}
	ev.useEntitlement(key.S, c.Sp, false)
}

func sameList(a, b value) bool {
	if _, ok := a.(*nilT); ok {
		_, ok := b.(*nilT)
		return ok
	}
	return a == b
}

func (ev *evaluator) useEntitlement(key string, sp source.Span, runtime bool) {
	at := ev.origin(sp).Primary()
	for _, u := range ev.entUses {
		if u.Key == key && u.Runtime == runtime {
			return
		}
	}
	ev.entUses = append(ev.entUses, EntitlementUse{Key: key, At: at, Runtime: runtime})
}

func biSplitString(ev *evaluator, c *call) value {
	s, sep := c.str(ev, 0), c.str(ev, 1)
	if sep.S == "" {
		ev.fail(c.sp(1), "eval-error", "split-string: the separator is empty")
	}
	parts := strings.Split(s.S, sep.S)
	ev.checkLen(len(parts), c.Sp)
	items := make([]value, len(parts))
	for i, p := range parts {
		items[i] = derived(ev, s, p, c.Sp)
	}
	return listOf(items...)
}

func biVersionCompatible(ev *evaluator, c *call) value {
	return boolV(int64(ev.prof.Version) >= c.integer(ev, 0))
}

// modelOnly is a procedure only sbplc's system-profile models may call:
// anywhere else its name is unbound, as in libsandbox.
func modelOnly(fn func(ev *evaluator, c *call) value) func(ev *evaluator, c *call) value {
	return func(ev *evaluator, c *call) value {
		if ev.modelOf(c.Sp) == nil {
			ev.unbound(ev.intern(c.Name), c.Sp, c.Env, nil, true)
		}
		return fn(ev, c)
	}
}

// modelOf returns the model whose text sp lies in, or nil.
func (ev *evaluator) modelOf(sp source.Span) *syslib.Profile {
	if sp.File == nil {
		return nil
	}
	return ev.models[sp.File]
}

func biOSAtLeast(ev *evaluator, c *call) value {
	return boolV(syslib.AtLeast(ev.modelOf(c.Sp).Target, c.str(ev, 0).S))
}

// biUnknownRules marks the place of rules the model does not know: an
// opaque block at the current position, listed on the import's one
// warning.
func biUnknownRules(ev *evaluator, c *call) value {
	m := ev.modelOf(c.Sp)
	what := c.str(ev, 0).S
	thing := "(" + what + ")"
	if strings.HasSuffix(what, ".sb") {
		thing = "the rules of " + what
	}
	reason := fmt.Sprintf("%s does not know what %s allows", m.Description(), thing)
	ev.modelUnknown(m, what, reason, c.Sp)
	return theUnspec
}

// modelUnknown records an opaque block of rules the model m does not
// know, at the statement sp belongs to, and adds it to the import's
// warning.
func (ev *evaluator) modelUnknown(m *syslib.Profile, name, reason string, sp source.Span) {
	o := ev.origin(sp)
	ev.prof.OpaqueBlocks = append(ev.prof.OpaqueBlocks, ir.OpaqueBlock{Index: len(ev.prof.Rules), Name: name, Import: m.Name,
		Reason: reason, Origin: ir.Origin{Span: o.Primary()}, Model: m.Description()})
	nf := ev.modelWarning(m)
	if nf == nil {
		return
	}
	nf.Uses = append(nf.Uses, o.Primary())
	nf.d.Related = append(nf.d.Related, rel(o.Primary(), "unknown rules: "+reason))
}

// modelWarning returns the one import-not-found warning of the model m,
// made on first use: the import was not found, the model stood in, and
// some of its rules are unknown.
func (ev *evaluator) modelWarning(m *syslib.Profile) *ImportNotFound {
	key := "model:" + m.Name
	if nf, ok := ev.missing[key]; ok {
		return nf
	}
	im, ok := ev.modelImport[m]
	if !ok {
		return nil
	}
	d := diag.Diagnostic{Severity: diag.Warning, Code: "import-not-found", Span: im.at,
		Message: fmt.Sprintf("cannot find imported profile %q; %s stands in for it, but does not know all of its rules, so the statements that need them are unknown rules", m.Name, m.Description())}
	d.Notes = append(d.Notes, "the model rests on "+m.Basis,
		fmt.Sprintf("pass -I DIR with a directory holding a copy of %s (from /System/Library/Sandbox/Profiles on a Mac) for its real rules", m.Name))
	nf := &ImportNotFound{problem: problem{d}, Name: m.Name, At: im.at, Searched: im.searched, Model: m.Description()}
	ev.missing[key] = nf
	ev.add(nf)
	return nf
}

// modelImport is what the evaluator keeps about an import a model stood
// in for.
type modelImport struct {
	at       source.Span
	searched []string
}
