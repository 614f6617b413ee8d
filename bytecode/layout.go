// Package bytecode decodes, verifies and disassembles compiled sandbox
// profiles: the blobs libsandbox's sandbox_compile_* functions produce and
// sandbox_apply hands to the kernel, and the profile collections (bundles)
// kernels carry, where many named profiles share one node array and pool.
//
// The format is versioned by OS release, not by anything inside the blob, so
// every function takes a Layout chosen from a table (Layouts). A layout
// describes the two forms a release writes: a single profile (type 0, or
// 0x4000 with message filters) and a collection (type 0x8000); the type
// word picks the form. Adding an OS release is adding a table entry. Only
// the macOS 14 single-profile form has been checked against real blobs;
// every other form is marked unverified, in the decoders' output and in
// the verifier's findings, until a blob with a published hash confirms it.
// LAYOUTS.md records where each fact of each layout comes from.
//
// The decoder is bounds-checked everywhere: corrupt or truncated input is an
// error, never a panic. Memory stays below a small multiple of the input:
// Decode keeps at most the 65,536 pool items a u16 offset can name, Verify
// lists at most MaxFindings findings, and walks over the graph decode each
// pool item once however many nodes share it. The disassemblies stream
// their output, print each node once and cut long arguments, so the output
// is linear in the graph.
package bytecode

import (
	"fmt"
	"sort"
	"strings"
)

// TableKind says what the entries of a header table refer to.
type TableKind uint8

// Table kinds.
const (
	// TableRegex entries are pool units of regex items.
	TableRegex TableKind = iota
	// TableVars entries are pool units of pattern-variable names
	// (HOME, FRONT_USER_HOME, ...).
	TableVars
	// TableStates entries are taken for pool units (no blob seen with one).
	TableStates
	// TablePolicies entries are node indexes: the root of each
	// message-filter policy (hash-verified on macOS 14).
	TablePolicies
	// TableMessages entries are pool units of message strings (iOS 13).
	TableMessages
	// TableOpaque entries have no known meaning: they are listed and
	// not checked.
	TableOpaque
)

// Table is one table of u16 entries after the header; its entry count is
// a header field.
type Table struct {
	Kind TableKind
	// Name names the table in messages ("regex", "pattern-variable").
	Name string
	// CountAt is the header offset of the entry count; Wide says it is a
	// u16 (else a u8).
	CountAt int
	Wide    bool
}

// HeaderField is a header field of unknown meaning: the disassembly shows
// its value.
type HeaderField struct {
	At   int
	Size int // 1 or 2
}

// Format is the byte layout of one form of a release's blobs: the header
// fields, the tables in blob order, and, for a collection, the profile
// records. After the tables come the op table (single profile) or the
// records, zero padding to a multiple of 8, the 8-byte nodes and the pool.
type Format struct {
	// Verified is true when the form was checked byte for byte against
	// blobs compiled by the release's libsandbox.
	Verified bool
	// Source says where the form's facts come from (see LAYOUTS.md).
	Source string

	// HeaderSize is the number of header bytes before the first table; 0
	// when the release's form is not described.
	HeaderSize int
	// Offsets of the header fields; -1 when the form has no such field.
	NodeCountAt, OpCountAt, PadAt, ProfileCountAt int
	// Tables lists the tables after the header, in blob order.
	Tables []Table
	// Unknown lists header fields of unknown meaning.
	Unknown []HeaderField
	// PolicyExtra is the number of bytes of unknown meaning that follow a
	// policy table that is not empty (sandblaster_26's iOS 18 and 26
	// decoders skip them).
	PolicyExtra int

	// RecordPrefix is the size of a collection record before its op
	// table; the record starts with the u16 pool unit of the profile's
	// name. RecordFields names the u16 fields after the name.
	RecordPrefix int
	RecordFields []string
}

// table returns the format's table of kind k.
func (f *Format) table(k TableKind) (Table, bool) {
	for _, t := range f.Tables {
		if t.Kind == k {
			return t, true
		}
	}
	return Table{}, false
}

// countAt is the header offset of the count of table kind k, -1 when the
// format has no such table.
func (f *Format) countAt(k TableKind) int {
	if t, ok := f.table(k); ok {
		return t.CountAt
	}
	return -1
}

// Layout describes one OS release's blob formats.
type Layout struct {
	// Name is the target name, e.g. "macos14" (shared with package vocab
	// for the macOS releases it knows).
	Name string
	// Aliases are other names LookupLayout accepts ("ios16.5").
	Aliases []string
	// OSKey is the vocabulary key of the release the layout was taken
	// from, e.g. "14.4.1" (vocab.Target.OSKey); iOS releases have none
	// in the vocabulary, so their operations and filters are unnamed.
	OSKey string
	// OS is "macOS" or "iOS": only macOS layouts are chosen from the
	// running kernel (HostLayout).
	OS string
	// Darwin is the Darwin major version (uname -r) of the release.
	Darwin int
	// Release is a human-readable name ("macOS 14 Sonoma").
	Release string

	// Format is the single-profile form (HeaderSize 0 when the release's
	// single profiles are not described).
	Format
	// Collection is the collection form, nil when it is not described.
	Collection *Format

	// OpCount is the number of op-table entries libsandbox writes on this
	// release (0 when unknown).
	OpCount int
	// FilterIDBias is added to a node's filter byte to get the vocabulary's
	// filter id for OSKey (the 14.4.1 vocabulary is 0-based, blobs 1-based).
	FilterIDBias int
}

// The forms below are shared by the macOS and iOS releases of one Darwin
// version. Each fact's source is in LAYOUTS.md; in short:
//   - darwin23: the macOS 14.4.1 single profile, hash-verified; its
//     collection per Cellebrite's iOS 16.5/17 decoder (sandblaster_26 -r 17);
//   - darwin24, darwin25: 0x3c3e/sandblaster (macOS 15.2+ platform
//     profile) and sandblaster_26 -r 18 / -r 26;
//   - darwin22: blacktop/ipsw's header16 and profile15 (iOS 16);
//   - ios13: Proteas/ios13-sandbox-profile-format, consistent with the one
//     public iOS 13 collection.
var (
	// darwin23Tables is the macOS 14 table order: regex, pattern
	// variables, states, policies.
	darwin23Tables = []Table{
		{TableRegex, "regex", 10, true},
		{TableVars, "pattern-variable", 5, false},
		{TableStates, "state", 6, false},
		{TablePolicies, "policy", 12, true},
	}
	darwin23Single = Format{
		Verified:   true,
		Source:     "45 hash-verified blobs compiled by libsandbox on macOS 14.4.1 (23E224)",
		HeaderSize: 14, NodeCountAt: 2, OpCountAt: 4, PadAt: 7, ProfileCountAt: 8,
		Tables: darwin23Tables,
	}
	darwin23Collection = Format{
		Source:     "Cellebrite's iOS 16.5/17 collection decoder (chensokolovsky/sandblaster_26 -r 17): the macOS 14 header, records of a name and one u16 before the op table",
		HeaderSize: 14, NodeCountAt: 2, OpCountAt: 4, PadAt: 7, ProfileCountAt: 8,
		Tables:       darwin23Tables,
		RecordPrefix: 4, RecordFields: []string{"policy_index"},
	}

	darwin24Single = Format{
		Source: "the macOS 15.2+ platform-profile decoder (0x3c3e/sandblaster: 16-byte header, regex count at 12) " +
			"and sandblaster_26 -r 18 (policy count at 10, 72 bytes after a non-empty policy table); no userland blob checked",
		HeaderSize: 16, NodeCountAt: 2, OpCountAt: 4, PadAt: 7, ProfileCountAt: 8,
		Tables: []Table{
			{TableRegex, "regex", 12, true},
			{TableVars, "pattern-variable", 5, false},
			{TableStates, "state", 6, false},
			{TablePolicies, "policy", 10, true},
		},
		Unknown:     []HeaderField{{14, 2}},
		PolicyExtra: 72,
	}
	darwin24Collection = Format{
		Source: "sandblaster_26 -r 18 (iOS 18 collections: policy count at 8, profile count at 10, regex count at 12, " +
			"72 bytes after a non-empty policy table, 8-byte record prefix)",
		HeaderSize: 16, NodeCountAt: 2, OpCountAt: 4, PadAt: 7, ProfileCountAt: 10,
		Tables: []Table{
			{TableRegex, "regex", 12, true},
			{TableVars, "pattern-variable", 5, false},
			{TableStates, "state", 6, false},
			{TablePolicies, "policy", 8, true},
		},
		Unknown:      []HeaderField{{14, 2}},
		PolicyExtra:  72,
		RecordPrefix: 8, RecordFields: []string{"flags", "policy_index", "unknown"},
	}

	darwin22Tables = []Table{
		{TableRegex, "regex", 10, true},
		{TableVars, "pattern-variable", 5, false},
		{TablePolicies, "policy", 12, true},
		{TableOpaque, "extension", 6, false},
		{TableOpaque, "unknown", 14, true},
	}
	darwin22Single = Format{
		Source:     "blacktop/ipsw's iOS 16 parser (header16: 16-byte header, two more tables after the policies)",
		HeaderSize: 16, NodeCountAt: 2, OpCountAt: 4, PadAt: -1, ProfileCountAt: 8,
		Tables:  darwin22Tables,
		Unknown: []HeaderField{{7, 1}},
	}
	darwin22Collection = Format{
		Source:     "blacktop/ipsw's iOS 16 parser (header16, profile15 records: name, flags, policy index)",
		HeaderSize: 16, NodeCountAt: 2, OpCountAt: 4, PadAt: -1, ProfileCountAt: 8,
		Tables:       darwin22Tables,
		Unknown:      []HeaderField{{7, 1}},
		RecordPrefix: 6, RecordFields: []string{"flags", "policy_index"},
	}

	ios13Collection = Format{
		Source: "Proteas/ios13-sandbox-profile-format (12-byte header; regex, variable and message tables; records of a name and a version); " +
			"consistent with the iOS 13.0 (17A577) collection that project publishes, which has no published hash",
		HeaderSize: 12, NodeCountAt: 2, OpCountAt: 4, PadAt: -1, ProfileCountAt: 6,
		Tables: []Table{
			{TableRegex, "regex", 8, true},
			{TableVars, "pattern-variable", 10, false},
			{TableMessages, "message", 11, false},
		},
		Unknown:      []HeaderField{{5, 1}},
		RecordPrefix: 4, RecordFields: []string{"version"},
	}
)

// withSource is f marked unverified, with another source: a form assumed
// to carry over to a sibling release.
func withSource(f Format, source string) Format {
	f.Verified, f.Source = false, source
	return f
}

// withPolicyExtra is f with another policy-block size.
func withPolicyExtra(f Format, n int, source string) Format {
	f.PolicyExtra, f.Source = n, source
	return f
}

func ptr(f Format) *Format { return &f }

var (
	darwin25Single = withPolicyExtra(darwin24Single, 76,
		"sandblaster_26 -r 26 (iOS 26: the iOS 18 form with 76 bytes after a non-empty policy table); no userland blob checked")
	darwin25Collection = withPolicyExtra(darwin24Collection, 76,
		"sandblaster_26 -r 26 (iOS 26 collections: the iOS 18 form with 76 bytes after a non-empty policy table)")
)

var layouts = []Layout{
	{
		Name: "macos14", OSKey: "14.4.1", OS: "macOS", Darwin: 23, Release: "macOS 14 Sonoma",
		Format:     darwin23Single,
		Collection: ptr(darwin23Collection),
		OpCount:    190, FilterIDBias: -1,
	},
	{
		Name: "macos15", OSKey: "15.2+", OS: "macOS", Darwin: 24, Release: "macOS 15 Sequoia",
		Format:     darwin24Single,
		Collection: ptr(darwin24Collection),
	},
	{
		Name: "macos26", OSKey: "26", OS: "macOS", Darwin: 25, Release: "macOS 26 Tahoe",
		Format:     darwin25Single,
		Collection: ptr(darwin25Collection),
	},
	{
		Name: "ios13", OSKey: "ios13", OS: "iOS", Darwin: 19, Release: "iOS 13",
		Collection: ptr(ios13Collection),
	},
	{
		Name: "ios16", OSKey: "ios16", OS: "iOS", Darwin: 22, Release: "iOS 16.0-16.4",
		Format:     darwin22Single,
		Collection: ptr(darwin22Collection),
	},
	{
		Name: "ios17", Aliases: []string{"ios16.5"}, OSKey: "ios17", OS: "iOS", Darwin: 23, Release: "iOS 16.5 and 17",
		Format: withSource(darwin23Single,
			"assumed equal to the macOS 14 single profile (same Darwin release); Cellebrite's iOS 16.5/17 decoder (sandblaster_26 -r 17) reads platform profiles so"),
		Collection: ptr(darwin23Collection),
	},
	{
		Name: "ios18", OSKey: "ios18", OS: "iOS", Darwin: 24, Release: "iOS 18",
		Format:     darwin24Single,
		Collection: ptr(darwin24Collection),
	},
	{
		Name: "ios26", OSKey: "ios26", OS: "iOS", Darwin: 25, Release: "iOS 26",
		Format:     darwin25Single,
		Collection: ptr(darwin25Collection),
	},
}

// Layouts returns the known layouts: the macOS ones oldest first, then
// the iOS ones oldest first.
func Layouts() []Layout {
	out := append([]Layout(nil), layouts...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].OS != out[j].OS {
			return out[i].OS == "macOS"
		}
		return out[i].Darwin < out[j].Darwin
	})
	return out
}

// DefaultLayout is the newest verified layout (macOS 14).
func DefaultLayout() Layout { return layouts[0] }

// LookupLayout finds a layout by target name ("macos14", "ios18"), by
// alias ("ios16.5"), by OS key ("14.4.1"), or by a version whose major
// number matches: "14", "14.5", "macos15.1" for macOS, "ios18.2" for iOS.
func LookupLayout(name string) (Layout, bool) {
	name = strings.TrimSpace(strings.ToLower(name))
	for _, l := range layouts {
		if name == l.Name || name == l.OSKey {
			return l, true
		}
		for _, a := range l.Aliases {
			if name == a {
				return l, true
			}
		}
	}
	major := name
	if i := strings.IndexByte(major, '.'); i >= 0 {
		major = major[:i]
	}
	ios := strings.HasPrefix(major, "ios")
	major = strings.TrimPrefix(strings.TrimPrefix(major, "macos"), "ios")
	for _, l := range layouts {
		if (l.OS == "iOS") != ios {
			continue
		}
		if strings.TrimPrefix(strings.TrimPrefix(l.Name, "macos"), "ios") == major {
			return l, true
		}
	}
	return Layout{}, false
}

// LayoutForDarwin picks the macOS layout for a Darwin major version
// (uname -r).
func LayoutForDarwin(major int) (Layout, bool) {
	for _, l := range layouts {
		if l.Darwin == major && l.OS == "macOS" {
			return l, true
		}
	}
	return Layout{}, false
}

// LayoutNames lists the target names, for flag help and error messages.
func LayoutNames() []string {
	var out []string
	for _, l := range Layouts() {
		out = append(out, l.Name)
	}
	return out
}

// String describes the layout and whether its single-profile form is
// verified.
func (l Layout) String() string { return l.describe(&l.Format, false) }

// describe names the layout with the verification state of form f.
func (l Layout) describe(f *Format, collection bool) string {
	v := "verified"
	if !f.Verified {
		v = "unverified"
	}
	what := l.Name
	if collection {
		what += " collection"
	}
	return fmt.Sprintf("%s (%s, Darwin %d, %s)", what, l.Release, l.Darwin, v)
}

// HostLayout is the layout for the running system: on macOS the entry for
// the kernel's Darwin version (ok is false when the table has none, and
// DefaultLayout is returned); elsewhere DefaultLayout with ok true.
func HostLayout() (l Layout, ok bool) {
	major, isDarwin := hostDarwin()
	if !isDarwin {
		return DefaultLayout(), true
	}
	if l, ok := LayoutForDarwin(major); ok {
		return l, true
	}
	return DefaultLayout(), false
}
