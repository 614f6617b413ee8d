// Package bytecode decodes, verifies and disassembles compiled sandbox
// profiles: the blobs libsandbox's sandbox_compile_* functions produce and
// sandbox_apply hands to the kernel.
//
// The format is versioned by OS release, not by anything inside the blob, so
// every function takes a Layout chosen from a table (Layouts). Adding an OS
// release is adding a table entry. Only the macOS 14 layout has been checked
// against real blobs; the others are marked unverified.
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

// Layout describes one OS release's single-profile format.
type Layout struct {
	// Name is the target name shared with package vocab, e.g. "macos14".
	Name string
	// OSKey is the vocabulary key of the release the layout was taken
	// from, e.g. "14.4.1" (vocab.Target.OSKey).
	OSKey string
	// Darwin is the Darwin major version (uname -r) of the release.
	Darwin int
	// Release is a human-readable name ("macOS 14 Sonoma").
	Release string
	// Verified is true when the layout was checked byte for byte against
	// blobs compiled by that release's libsandbox.
	Verified bool
	// Source says where an unverified layout comes from.
	Source string

	// HeaderSize is the number of header bytes before the first table.
	HeaderSize int
	// Offsets of the header fields; -1 when the release has no such field.
	NodeCountAt, OpCountAt, VarCountAt, StateCountAt, PadAt int
	ProfileCountAt, RegexCountAt, PolicyCountAt             int
	// OpCount is the number of op-table entries libsandbox writes on this
	// release (0 when unknown).
	OpCount int
	// FilterIDBias is added to a node's filter byte to get the vocabulary's
	// filter id for OSKey (the 14.4.1 vocabulary is 0-based, blobs 1-based).
	FilterIDBias int
}

var layouts = []Layout{
	{
		Name: "macos14", OSKey: "14.4.1", Darwin: 23, Release: "macOS 14 Sonoma",
		Verified:    true,
		Source:      "45 hash-verified blobs compiled by libsandbox on macOS 14.4.1 (23E224)",
		HeaderSize:  14,
		NodeCountAt: 2, OpCountAt: 4, VarCountAt: 5, StateCountAt: 6, PadAt: 7,
		ProfileCountAt: 8, RegexCountAt: 10, PolicyCountAt: 12,
		OpCount: 190, FilterIDBias: -1,
	},
	{
		Name: "macos15", OSKey: "15.2+", Darwin: 24, Release: "macOS 15 Sequoia",
		Verified:    false,
		Source:      "decoders written for the macOS 15.2 kernel profile (sandblaster); no userland blob checked",
		HeaderSize:  16,
		NodeCountAt: 2, OpCountAt: 4, VarCountAt: 5, StateCountAt: 6, PadAt: 7,
		ProfileCountAt: 8, PolicyCountAt: 10, RegexCountAt: 12,
		OpCount: 0, FilterIDBias: 0,
	},
	{
		Name: "macos26", OSKey: "26", Darwin: 25, Release: "macOS 26 Tahoe",
		Verified:    false,
		Source:      "iOS 18/26 decoders (sandblaster_26); assumed equal to the macOS 15 layout",
		HeaderSize:  16,
		NodeCountAt: 2, OpCountAt: 4, VarCountAt: 5, StateCountAt: 6, PadAt: 7,
		ProfileCountAt: 8, PolicyCountAt: 10, RegexCountAt: 12,
		OpCount: 0, FilterIDBias: 0,
	},
}

// Layouts returns the known layouts, oldest first.
func Layouts() []Layout {
	out := append([]Layout(nil), layouts...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Darwin < out[j].Darwin })
	return out
}

// DefaultLayout is the newest verified layout (macOS 14).
func DefaultLayout() Layout { return layouts[0] }

// LookupLayout finds a layout by target name ("macos14"), by OS key
// ("14.4.1") or by a macOS version with the major number matching
// ("14", "14.5").
func LookupLayout(name string) (Layout, bool) {
	name = strings.TrimSpace(strings.ToLower(name))
	for _, l := range layouts {
		if name == l.Name || name == l.OSKey {
			return l, true
		}
	}
	major := name
	if i := strings.IndexByte(major, '.'); i >= 0 {
		major = major[:i]
	}
	major = strings.TrimPrefix(major, "macos")
	for _, l := range layouts {
		if strings.TrimPrefix(l.Name, "macos") == major {
			return l, true
		}
	}
	return Layout{}, false
}

// LayoutForDarwin picks the layout for a Darwin major version (uname -r).
func LayoutForDarwin(major int) (Layout, bool) {
	for _, l := range layouts {
		if l.Darwin == major {
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

// String describes the layout.
func (l Layout) String() string {
	v := "verified"
	if !l.Verified {
		v = "unverified"
	}
	return fmt.Sprintf("%s (%s, Darwin %d, %s)", l.Name, l.Release, l.Darwin, v)
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
