package vocab

//go:generate go run ../internal/vocabgen

import (
	"slices"
	"sort"
	"sync"
)

// The generated tables (tables_gen.go) are static data sorted by name:
// lookups search them in place, so that starting sbplc builds no index
// (a pre-commit hook starts it once per invocation). The few derived
// tables that need work are built on first use.

// byName returns the entry of table, sorted by the names nameOf gives, with
// exactly this name.
//
// opt: a map built on first use answers in about 15 ns instead of 50 (and
// FilterAppliesTo in 30 instead of 95), for about 0.1 ms at the first
// lookup; the lookups are under 1% of linting 100,000 rules.
func byName[T any](table []T, name string, nameOf func(*T) string) (*T, bool) {
	i := sort.Search(len(table), func(i int) bool { return nameOf(&table[i]) >= name })
	if i < len(table) && nameOf(&table[i]) == name {
		return &table[i], true
	}
	return nil, false
}

// names returns the names of table's entries, in order.
func names[T any](table []T, nameOf func(*T) string) []string {
	out := make([]string, len(table))
	for i := range table {
		out[i] = nameOf(&table[i])
	}
	return out
}

// The names of the entries of each table, for byName and names.
func operationName(o *Operation) string { return o.Name }
func filterName(f *Filter) string       { return f.Name }
func modifierName(m *Modifier) string   { return m.Name }
func formName(f *Form) string           { return f.Name }
func builtinName(b *Builtin) string     { return b.Name }

// opByName returns the operation with exactly this name.
func opByName(name string) (*Operation, bool) { return byName(operationTable[:], name, operationName) }

// filterByName returns the filter with exactly this name.
func filterByName(name string) (*Filter, bool) { return byName(filterTable[:], name, filterName) }

// modifierByName returns the modifier with exactly this name.
func modifierByName(name string) (*Modifier, bool) {
	return byName(modifierTable[:], name, modifierName)
}

// formByName returns the form with exactly this name.
func formByName(name string) (*Form, bool) { return byName(formTable[:], name, formName) }

// builtinByName returns the builtin with exactly this name.
func builtinByName(name string) (*Builtin, bool) { return byName(builtinTable[:], name, builtinName) }

// pointers returns a pointer to each element of table, in order.
func pointers[T any](table []T) []*T {
	out := make([]*T, len(table))
	for i := range table {
		out[i] = &table[i]
	}
	return out
}

// Get returns the index recorded for OS key key.
func (ids OSIDs) Get(key string) (int, bool) {
	for _, id := range ids {
		if id.Key == key {
			return id.ID, true
		}
	}
	return 0, false
}

// Has reports whether the table of OS key key has the name.
func (ids OSIDs) Has(key string) bool {
	_, ok := ids.Get(key)
	return ok
}

// defaults are the built-in decisions (newTargetDefaults) and, per
// defaults-set key, the versions with data, ascending. Built on first use.
var defaults = sync.OnceValue(func() (d struct {
	sets     map[string]map[int]map[string]DefaultRule
	versions map[string][]int
}) {
	d.sets = newTargetDefaults()
	d.versions = map[string][]int{}
	for k, set := range d.sets {
		for v := range set {
			d.versions[k] = append(d.versions[k], v)
		}
		sort.Ints(d.versions[k])
	}
	return d
})

// byIDTables are idToOp[osKey][id] and idToFilter[osKey][id] ("" marks an
// unused id), built on first use.
var byIDTables = sync.OnceValue(func() (t struct{ ops, filters map[string][]string }) {
	t.ops, t.filters = map[string][]string{}, map[string][]string{}
	for i := range operationTable {
		for _, id := range operationTable[i].IDs {
			t.ops[id.Key] = place(t.ops[id.Key], id.ID, operationTable[i].Name)
		}
	}
	for i := range filterTable {
		for _, id := range filterTable[i].IDs {
			t.filters[id.Key] = place(t.filters[id.Key], id.ID, filterTable[i].Name)
		}
	}
	return t
})

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

// LookupOperation returns the table entry with exactly this name (an alias
// such as sysctl-write returns its own entry; see ResolveOperation).
func LookupOperation(name string) (*Operation, bool) {
	o, ok := opByName(name)
	return o, ok
}

// ResolveOperation returns the operation a symbol written in a rule names:
// it follows AliasOf (sysctl-write -> sysctl*, process-exec ->
// process-exec*). A no-op name returns its own entry (NoOp set).
func ResolveOperation(name string) (*Operation, bool) {
	o, ok := opByName(name)
	if !ok {
		return nil, false
	}
	if o.AliasOf != "" {
		if t, ok := opByName(o.AliasOf); ok {
			return t, true
		}
	}
	return o, true
}

// Operations returns every operation sorted by name.
func Operations() []*Operation { return pointers(operationTable[:]) }

// OperationNames returns every operation name sorted (for Suggest).
func OperationNames() []string { return names(operationTable[:], operationName) }

// Ancestors returns the fallback chain of the operation with exactly this
// name: op first, then each parent, ending at "default" or at a terminal
// operation (which is then the only element). It returns nil for an unknown
// name. Aliases are not followed; resolve first.
func Ancestors(op string) []string {
	o, ok := opByName(op)
	if !ok {
		return nil
	}
	return slices.Clone(o.Chain)
}

// Covers reports whether a rule on operation anc reaches requests for
// operation op through op's fallback chain (anc == op counts). Both names
// are exact table names; resolve aliases first.
func Covers(anc, op string) bool {
	o, ok := opByName(op)
	if !ok {
		return false
	}
	return slices.Contains(o.Chain, anc)
}

var descendants = sync.OnceValue(func() map[string][]string {
	d := map[string][]string{}
	for _, o := range pointers(operationTable[:]) {
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
	if _, ok := defaults().sets[key]; !ok {
		key = newestVerified
	}
	if key == newestVerified && op != "default" {
		if o, ok := opByName(op); !ok || !hasID(o, newestVerified) {
			key = legacyDefaults
		}
	}
	v := defaultsVersion(key, version)
	r, ok := defaults().sets[key][v][op]
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
	for _, o := range pointers(operationTable[:]) {
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
	return o.IDs.Has(key)
}

// defaultsVersion picks the entry of set key that answers (version N): the
// largest version with data that is <= N, else the smallest one.
func defaultsVersion(key string, version int) int {
	vs := defaults().versions[key]
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
	f, ok := filterByName(name)
	return f, ok
}

// Filters returns every filter sorted by name.
func Filters() []*Filter { return pointers(filterTable[:]) }

// FilterNames returns every filter name sorted (for Suggest).
func FilterNames() []string { return names(filterTable[:], filterName) }

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
	f, found := filterByName(filter)
	if !found {
		return true, false
	}
	o, found := ResolveOperation(op)
	if !found || o.NoOp {
		return true, false
	}
	if has(f.observed, o) {
		return true, true
	}
	switch {
	case f.Form == FormAlias:
		f, _ = filterByName(f.Canonical)
	case f.Form == FormHelper && f.Base != "":
		f, _ = filterByName(f.Base) // (tty) is a vnode-type filter
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
	if !o.IDs.Has("10.15") {
		// The operation's accepted categories are unrecorded (new in 14.x,
		// or only in older tables).
		return true, false
	}
	return false, true
}

// has reports whether bitset b holds operation o.
func has(b []uint64, o *Operation) bool {
	return b != nil && b[o.idx/64]&(1<<(o.idx%64)) != 0
}

// LookupModifier returns the modifier (or modifier alias) with this name.
func LookupModifier(name string) (*Modifier, bool) {
	m, ok := modifierByName(name)
	return m, ok
}

// Modifiers returns every modifier sorted by name.
func Modifiers() []*Modifier { return pointers(modifierTable[:]) }

// ModifierNames returns every modifier name sorted (for Suggest).
func ModifierNames() []string { return names(modifierTable[:], modifierName) }

// ModifierAppliesTo reports whether modifier mod may be used on a rule with
// this action ("allow" or "deny") and on operation op (resolved through
// aliases). known is false for an unknown modifier or an unrecorded action;
// ok is then true.
func ModifierAppliesTo(mod, action, op string) (ok bool, known bool) {
	m, found := modifierByName(mod)
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
	f, ok := formByName(name)
	return f, ok
}

// Forms returns every top-level form sorted by name.
func Forms() []*Form { return pointers(formTable[:]) }

// LookupBuiltin returns the builtin with this name.
func LookupBuiltin(name string) (*Builtin, bool) {
	b, ok := builtinByName(name)
	return b, ok
}

// Builtins returns every builtin sorted by name.
func Builtins() []*Builtin { return pointers(builtinTable[:]) }
