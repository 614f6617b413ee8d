package vocab

import "strings"

// Target is an OS release whose vocabulary sbplc knows (--target NAME).
type Target struct {
	Name  string // "macos14"
	OSKey string // the key of Operation.IDs / Filter.IDs: "14.4.1"
	// Verified is true when the release's operation table was read from
	// the binary (10.15 via simbple, 14.4.1 via SANDBOX_LORE); false for
	// releases known only from partial material.
	Verified bool
	// Release is a human-readable description.
	Release string
}

// targets is ordered oldest to newest.
var targets = []Target{
	{Name: "macos10.15", OSKey: "10.15", Verified: true, Release: "macOS 10.15 Catalina (operation and filter tables via simbple)"},
	{Name: "macos14", OSKey: "14.4.1", Verified: true, Release: "macOS 14.4.1 Sonoma 23E224 (operation and filter tables from libsandbox)"},
	{Name: "macos15", OSKey: "15.2+", Verified: false, Release: "macOS 15.2+ Sequoia (filter and modifier tables via sandblaster; no operation table)"},
	{Name: "macos26", OSKey: "26", Verified: false, Release: "macOS 26 Tahoe (names seen in 26.x profiles and measurements; no tables)"},
}

// targetLabels are the present_in labels that mean "seen in this release"
// for the unverified targets.
var targetLabels = map[string][]string{
	"15.2+": nil,
	"26":    {"26", "26.4.1", "26?", "iOS 26 / macOS 26?"},
}

// Targets returns the known targets, oldest first.
func Targets() []Target { return append([]Target(nil), targets...) }

// TargetNames returns the names accepted by --target, oldest first.
func TargetNames() []string {
	n := make([]string, len(targets))
	for i, t := range targets {
		n[i] = t.Name
	}
	return n
}

// LookupTarget finds a target by name ("macos14"); it also accepts the OS
// key ("14.4.1"), a bare major version ("14", "10.15") and the names
// without the "macos" prefix, case-insensitively.
func LookupTarget(name string) (Target, bool) {
	n := strings.ToLower(strings.TrimSpace(name))
	n = strings.TrimPrefix(n, "macos")
	n = strings.TrimPrefix(n, "-")
	for _, t := range targets {
		if n == strings.TrimPrefix(t.Name, "macos") || n == t.OSKey {
			return t, true
		}
	}
	return Target{}, false
}

// DefaultTarget is the newest known target.
func DefaultTarget() Target { return targets[len(targets)-1] }

// Presence is the answer to "does this release have that name?".
type Presence uint8

// Presence values.
const (
	Absent  Presence = iota // known to be missing (unbound on that release)
	Present                 // in the release's table, or seen in its material
	Unknown                 // the data cannot tell (unverified target)
)

// String returns "absent", "present" or "unknown".
func (p Presence) String() string {
	return [...]string{"absent", "present", "unknown"}[p]
}

// newestVerified is the OS key of the newest verified operation table.
const newestVerified = "14.4.1"

// OperationPresence answers whether the operation name is bound on t.
//
// The rule: a name outside the vocabulary is Absent. An sbpl1.scm alias is
// answered for the operation it names, and a 'no-op name is Present
// everywhere (sbpl1.scm binds it). For a verified target (macos10.15,
// macos14) the op table decides: Present when the name is in it, Unknown
// when it is not but current profiles still use it (PresumedIn), else
// Absent. For an unverified target (macos15, macos26) a name is Present
// when it is in the newest verified table (14.4.1) or labelled as seen in
// that release, and Unknown otherwise: such a target never answers Absent
// for a known name, so HasOperation produces no false "missing" reports.
func (t Target) OperationPresence(name string) Presence {
	o, ok := opByName(name)
	if !ok {
		return Absent
	}
	if o.NoOp {
		return Present
	}
	if o.AliasOf != "" {
		if a, ok := opByName(o.AliasOf); ok {
			o = a
		}
	}
	if t.Verified {
		if o.IDs.Has(t.OSKey) {
			return Present
		}
		for _, k := range o.PresumedIn {
			if k == t.OSKey {
				return Unknown
			}
		}
		return Absent
	}
	if o.IDs.Has(newestVerified) {
		return Present
	}
	for _, l := range targetLabels[t.OSKey] {
		for _, p := range o.PresentIn {
			if p == l {
				return Present
			}
		}
	}
	return Unknown
}

// HasOperation reports whether the operation name may be used on t: false
// only when it is unknown or known to be absent (see OperationPresence).
func (t Target) HasOperation(name string) bool {
	return t.OperationPresence(name) != Absent
}

// FilterPresence answers whether the filter name is bound on t. Derived
// forms and aliases follow their base filter; helpers, combinators and
// legacy symbols are Present everywhere. A target with a filter table
// (macos10.15, macos14, and macos15 through the 15.2+ table) answers Present
// or Absent from it. macos26 has no table: Present when the base filter is
// in the 15.2+ or 14.4.1 table, else Unknown (never Absent for a known
// name).
func (t Target) FilterPresence(name string) Presence {
	f, ok := filterByName(name)
	if !ok {
		return Absent
	}
	switch f.Form {
	case FormHelper, FormCombinator, FormLegacy:
		return Present
	}
	b, ok := filterByName(f.Base)
	if !ok {
		return Unknown
	}
	if b.IDs.Has(t.OSKey) {
		return Present
	}
	if t.Verified || t.OSKey == "15.2+" {
		return Absent
	}
	in15 := b.IDs.Has("15.2+")
	in14 := b.IDs.Has(newestVerified)
	if in15 || in14 {
		return Present
	}
	return Unknown
}

// HasFilter reports whether the filter name may be used on t (false only
// when unknown or known absent).
func (t Target) HasFilter(name string) bool {
	return t.FilterPresence(name) != Absent
}

// OperationID returns the op-table index of the operation (exact name) on
// t; ok is false when t has no op table or the name is not in it.
func OperationID(t Target, name string) (int, bool) {
	o, ok := opByName(name)
	if !ok {
		return 0, false
	}
	id, ok := o.IDs.Get(t.OSKey)
	return id, ok
}

// OperationByID returns the operation name at index id of t's op table.
func OperationByID(t Target, id int) (string, bool) {
	return byID(byIDTables().ops[t.OSKey], id)
}

func byID(l []string, id int) (string, bool) {
	if id < 0 || id >= len(l) || l[id] == "" {
		return "", false
	}
	return l[id], true
}

// FilterID returns the filter-table index of a base filter on t.
func FilterID(t Target, name string) (int, bool) {
	f, ok := filterByName(name)
	if !ok {
		return 0, false
	}
	id, ok := f.IDs.Get(t.OSKey)
	return id, ok
}

// FilterByID returns the base filter name at index id of t's filter table.
func FilterByID(t Target, id int) (string, bool) {
	return byID(byIDTables().filters[t.OSKey], id)
}

// OperationCount returns the size of t's op table (0 when it has none).
func OperationCount(t Target) int {
	n := 0
	for _, s := range byIDTables().ops[t.OSKey] {
		if s != "" {
			n++
		}
	}
	return n
}

// osOrder lists the op-table keys oldest first.
var osOrder = []string{"10.9.5", "10.12", "10.13", "10.14", "10.15", "14.4.1"}

// Since returns the oldest OS key whose op table has the operation (or the
// operation an alias names), or its first release label when it is known
// only from later material ("26", "iOS 26"), or "" for no-op names and
// names without presence data. For the unknown-operation lint's "needs a
// newer release" note.
func (o *Operation) Since() string {
	if o.NoOp {
		return ""
	}
	if o.AliasOf != "" && len(o.IDs) == 0 {
		if a, ok := opByName(o.AliasOf); ok {
			o = a
		}
	}
	for _, k := range osOrder {
		if o.IDs.Has(k) {
			return k
		}
	}
	if len(o.PresentIn) > 0 {
		return o.PresentIn[0]
	}
	return ""
}
