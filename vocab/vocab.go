package vocab

//go:generate go run ../internal/vocabgen

import (
	"slices"
	"sort"
	"sync"
)

var (
	opByName       map[string]*Operation
	filterByName   map[string]*Filter
	modifierByName map[string]*Modifier
	formByName     map[string]*Form
	builtinByName  map[string]*Builtin

	opList       []*Operation
	filterList   []*Filter
	modifierList []*Modifier
	formList     []*Form
	builtinList  []*Builtin

	opNames, filterNames, modifierNames []string

	// defaultVersions[key] are the versions of targetDefaults[key],
	// ascending.
	defaultVersions map[string][]int

	// idToOp[osKey][id] / idToFilter[osKey][id]; "" marks an unused id.
	idToOp     map[string][]string
	idToFilter map[string][]string
)

// place sets l[id] = name, growing l as needed.
func place(l []string, id int, name string) []string {
	if id < 0 {
		return l
	}
	for len(l) <= id {
		l = append(l, "")
	}
	l[id] = name
	return l
}

func init() {
	opByName = make(map[string]*Operation, len(operationTable))
	opList = make([]*Operation, len(operationTable))
	idToOp = map[string][]string{}
	for i := range operationTable {
		o := &operationTable[i]
		o.idx = i
		opByName[o.Name] = o
		opList[i] = o
		opNames = append(opNames, o.Name)
		for k, id := range o.IDs {
			idToOp[k] = place(idToOp[k], id, o.Name)
		}
	}
	filterByName = make(map[string]*Filter, len(filterTable))
	filterList = make([]*Filter, len(filterTable))
	idToFilter = map[string][]string{}
	for i := range filterTable {
		f := &filterTable[i]
		filterByName[f.Name] = f
		filterList[i] = f
		filterNames = append(filterNames, f.Name)
		for k, id := range f.IDs {
			idToFilter[k] = place(idToFilter[k], id, f.Name)
		}
	}
	modifierByName = make(map[string]*Modifier, len(modifierTable))
	modifierList = make([]*Modifier, len(modifierTable))
	for i := range modifierTable {
		m := &modifierTable[i]
		modifierByName[m.Name] = m
		modifierList[i] = m
		modifierNames = append(modifierNames, m.Name)
	}
	formByName = make(map[string]*Form, len(formTable))
	formList = make([]*Form, len(formTable))
	for i := range formTable {
		formByName[formTable[i].Name] = &formTable[i]
		formList[i] = &formTable[i]
	}
	defaultVersions = map[string][]int{}
	for k, set := range targetDefaults {
		for v := range set {
			defaultVersions[k] = append(defaultVersions[k], v)
		}
		sort.Ints(defaultVersions[k])
	}
	builtinByName = make(map[string]*Builtin, len(builtinTable))
	builtinList = make([]*Builtin, len(builtinTable))
	for i := range builtinTable {
		builtinByName[builtinTable[i].Name] = &builtinTable[i]
		builtinList[i] = &builtinTable[i]
	}
}

// LookupOperation returns the table entry with exactly this name (an alias
// such as sysctl-write returns its own entry; see ResolveOperation).
func LookupOperation(name string) (*Operation, bool) {
	o, ok := opByName[name]
	return o, ok
}

// ResolveOperation returns the operation a symbol written in a rule names:
// it follows AliasOf (sysctl-write -> sysctl*, process-exec ->
// process-exec*). A no-op name returns its own entry (NoOp set).
func ResolveOperation(name string) (*Operation, bool) {
	o, ok := opByName[name]
	if !ok {
		return nil, false
	}
	if o.AliasOf != "" {
		if t, ok := opByName[o.AliasOf]; ok {
			return t, true
		}
	}
	return o, true
}

// Operations returns every operation sorted by name.
func Operations() []*Operation { return slices.Clone(opList) }

// OperationNames returns every operation name sorted (for Suggest).
func OperationNames() []string { return slices.Clone(opNames) }

// Ancestors returns the fallback chain of the operation with exactly this
// name: op first, then each parent, ending at "default" or at a terminal
// operation (which is then the only element). It returns nil for an unknown
// name. Aliases are not followed; resolve first.
func Ancestors(op string) []string {
	o, ok := opByName[op]
	if !ok {
		return nil
	}
	return slices.Clone(o.Chain)
}

// Covers reports whether a rule on operation anc reaches requests for
// operation op through op's fallback chain (anc == op counts). Both names
// are exact table names; resolve aliases first.
func Covers(anc, op string) bool {
	o, ok := opByName[op]
	if !ok {
		return false
	}
	return slices.Contains(o.Chain, anc)
}

var descendants = sync.OnceValue(func() map[string][]string {
	d := map[string][]string{}
	for _, o := range opList {
		if o.NoOp || (o.AliasOf != "" && len(o.IDs) == 0) {
			continue // alias-only and no-op names are not operations
		}
		for _, a := range o.Chain[1:] {
			d[a] = append(d[a], o.Name)
		}
	}
	return d
})

// Descendants returns the operations whose fallback chain passes through
// op (op itself excluded), sorted: the requests a rule on op can decide
// when they have no rule of their own. Alias-only and no-op names are not
// included. Descendants("file-read*") includes file-read-data,
// file-read-metadata and file-read-xattr.
func Descendants(op string) []string {
	return slices.Clone(descendants()[op])
}

// TerminalDefault returns the built-in decision of op under (version N) on
// DefaultTarget(): "allow" or "deny" when op is terminal (it never falls
// back to its parent or to default), ok=false when op falls back. "default"
// itself answers "deny". It is TerminalDefaultFor(DefaultTarget(), op,
// version): since the default target (macos26) is unverified, operations
// of the 14.4.1 op table are answered from the set measured in the
// compiled macOS 14.4.1 blobs, and other names (26-only operations such as
// file-graft) from the 10.15-derived set; every answer is unverified.
func TerminalDefault(op string, version int) (action string, ok bool) {
	r, ok := TerminalDefaultFor(DefaultTarget(), op, version)
	return r.Action, ok
}

// TerminalDefaultRule is TerminalDefault with the rule's provenance.
func TerminalDefaultRule(op string, version int) (DefaultRule, bool) {
	return TerminalDefaultFor(DefaultTarget(), op, version)
}

// TerminalDefaultFor returns op's built-in decision under (version N) on
// target t:
//
//   - macos10.15 answers from the 10.15-derived set: the 10.15 table's
//     terminal operations (verified) plus the 26.x measurements of
//     semantics.md §1.5 (unverified).
//   - macos14 answers operations of its op table (and "default") from the
//     set measured in the compiled 14.4.1 blobs (verified; Sources names
//     the vectors); an operation with no entry there falls back (ok=false).
//     Names outside the 14.4.1 table are answered from the 10.15-derived
//     set, unverified.
//   - An unverified target (macos15, macos26) answers like macos14, with
//     Verified false: 14.4.1 is the newest measured release.
//
// Versions above the newest with data are answered from it, unverified
// (version 2 and 3 are known to close some of these defaults).
func TerminalDefaultFor(t Target, op string, version int) (DefaultRule, bool) {
	key := t.OSKey
	if _, ok := targetDefaults[key]; !ok {
		key = newestVerified
	}
	if key == newestVerified && op != "default" {
		if o, ok := opByName[op]; !ok || !hasID(o, newestVerified) {
			key = legacyDefaults
		}
	}
	v := defaultsVersion(key, version)
	r, ok := targetDefaults[key][v][op]
	if ok && (v != version || !t.Verified || key != t.OSKey) {
		r.Verified = false
	}
	return r, ok
}

// BuiltinDefaults returns the operations of t's op table (all known names
// for a target without one) that have a built-in decision under (version
// N), as TerminalDefaultFor answers them, including "default". The map is
// new; its DefaultRule values share their Sources slices.
func BuiltinDefaults(t Target, version int) map[string]DefaultRule {
	out := map[string]DefaultRule{}
	for _, o := range opList {
		if t.Verified && !hasID(o, t.OSKey) && o.Name != "default" {
			continue
		}
		if r, ok := TerminalDefaultFor(t, o.Name, version); ok {
			out[o.Name] = r
		}
	}
	return out
}

// InjectedFilterOps returns the operations that libsandbox 14.4.1 gives an
// injected filter under (deny default) instead of a decision
// (mach-task-name ... signal: allowed for (target self), else denied). A
// DefaultRule cannot express that, so they fall back as usual.
func InjectedFilterOps() []string { return slices.Clone(injectedFilterOps) }

// MeasuredVectors returns the names of the compiled 14.4.1 vectors
// (bytecode/vectors) the measured defaults and filter encodings come from.
func MeasuredVectors() []string { return slices.Clone(measuredVectors) }

// legacyDefaults is the key of the 10.15-derived defaults set.
const legacyDefaults = "10.15"

func hasID(o *Operation, key string) bool {
	_, ok := o.IDs[key]
	return ok
}

// defaultsVersion picks the entry of set key that answers (version N): the
// largest version with data that is <= N, else the smallest one.
func defaultsVersion(key string, version int) int {
	vs := defaultVersions[key]
	if len(vs) == 0 {
		return version
	}
	best := vs[0]
	for _, v := range vs {
		if v <= version {
			best = v
		}
	}
	return best
}

// LookupFilter returns the filter with this name in any form. For an alias
// (literal, prefix, regex ...) Canonical names the aliased filter and Base
// its base filter.
func LookupFilter(name string) (*Filter, bool) {
	f, ok := filterByName[name]
	return f, ok
}

// Filters returns every filter sorted by name.
func Filters() []*Filter { return slices.Clone(filterList) }

// FilterNames returns every filter name sorted (for Suggest).
func FilterNames() []string { return slices.Clone(filterNames) }

// FilterAppliesTo reports whether the filter may be used on the operation
// (for the filter-operation-mismatch lint). Aliases answer for the filter
// they name and helpers for the filter they expand to. known is false when
// the data cannot decide: an unknown filter or operation, a combinator or a
// helper without a single base filter, a filter whose operations are
// unrecorded, or an operation that is not in
// the 10.15 table (new in 14.x). When known is false, ok is true, so
// callers flag only known && !ok. The operation is resolved through
// sbpl1.scm aliases first. Sources: the 10.15 allowed-category lists, plus
// pairs observed in macOS 26.4.1 profiles (always ok).
func FilterAppliesTo(filter, op string) (ok bool, known bool) {
	f, found := filterByName[filter]
	if !found {
		return true, false
	}
	o, found := ResolveOperation(op)
	if !found || o.NoOp {
		return true, false
	}
	appliesIndex()
	if has(f.observed, o) {
		return true, true
	}
	switch {
	case f.Form == FormAlias:
		f = filterByName[f.Canonical]
	case f.Form == FormHelper && f.Base != "":
		f = filterByName[f.Base] // (tty) is a vnode-type filter
	}
	if has(f.observed, o) {
		return true, true
	}
	if f.AppliesToAll {
		return true, true
	}
	if f.AppliesTo == nil {
		return true, false
	}
	if has(f.applies, o) {
		return true, true
	}
	if _, in10 := o.IDs["10.15"]; !in10 {
		// The operation's accepted categories are unrecorded (new in 14.x,
		// or only in older tables).
		return true, false
	}
	return false, true
}

// appliesIndex builds the per-filter operation bitsets once.
var appliesIndex = sync.OnceFunc(func() {
	words := (len(operationTable) + 63) / 64
	bits := func(names []string) []uint64 {
		if names == nil {
			return nil
		}
		b := make([]uint64, words)
		for _, n := range names {
			if o, ok := opByName[n]; ok {
				b[o.idx/64] |= 1 << (o.idx % 64)
			}
		}
		return b
	}
	for i := range filterTable {
		f := &filterTable[i]
		f.applies, f.observed = bits(f.AppliesTo), bits(f.Observed)
	}
})

// has reports whether bitset b holds operation o.
func has(b []uint64, o *Operation) bool {
	return b != nil && b[o.idx/64]&(1<<(o.idx%64)) != 0
}

// LookupModifier returns the modifier (or modifier alias) with this name.
func LookupModifier(name string) (*Modifier, bool) {
	m, ok := modifierByName[name]
	return m, ok
}

// Modifiers returns every modifier sorted by name.
func Modifiers() []*Modifier { return slices.Clone(modifierList) }

// ModifierNames returns every modifier name sorted (for Suggest).
func ModifierNames() []string { return slices.Clone(modifierNames) }

// ModifierAppliesTo reports whether modifier mod may be used on a rule with
// this action ("allow" or "deny") and on operation op (resolved through
// aliases). known is false for an unknown modifier or an unrecorded action;
// ok is then true.
func ModifierAppliesTo(mod, action, op string) (ok bool, known bool) {
	m, found := modifierByName[mod]
	if !found || m.Action == "" {
		return true, false
	}
	if m.Action != "allow+deny" && m.Action != action {
		return false, true
	}
	if len(m.RestrictedOps) > 0 && op != "" {
		o, found := ResolveOperation(op)
		if !found {
			return true, false
		}
		return slices.Contains(m.RestrictedOps, o.Name), true
	}
	return true, true
}

// LookupForm returns the top-level form (version, allow, import,
// with-filter, ...) with this name.
func LookupForm(name string) (*Form, bool) {
	f, ok := formByName[name]
	return f, ok
}

// Forms returns every top-level form sorted by name.
func Forms() []*Form { return slices.Clone(formList) }

// LookupBuiltin returns the builtin with this name.
func LookupBuiltin(name string) (*Builtin, bool) {
	b, ok := builtinByName[name]
	return b, ok
}

// Builtins returns every builtin sorted by name.
func Builtins() []*Builtin { return slices.Clone(builtinList) }
