// Package syslib is sbplc's model of the system library that real
// profiles lean on and that exists only on a Mac: the importable profiles
// of /System/Library/Sandbox/Profiles and /usr/share/sandbox (system.sb,
// bsd.sb, com.apple.corefoundation.sb, ...), written by sbplc from the
// facts recorded about each OS release (names, arities and the rules they
// produce; no Apple text).
//
// The evaluator uses a model only when the real file is not found: a file
// on disk (macOS, or -I DIR) always wins. A model is SBPL evaluated like
// the file it stands for; its source is named after what it is ("<sbplc
// model of system.sb for macOS 14>"), so every rule it produces carries
// that origin. Two procedures exist only inside models (the evaluator
// refuses them elsewhere): (%sbplc-os>= "14") tests the modelled release,
// and (%sbplc-unknown-rules "NAME") marks a place whose rules sbplc does
// not know (an opaque block, reported once per import).
//
// The model texts are parsed only when an import needs them.
package syslib

import (
	"embed"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/sbplc/sbplc/source"
	"github.com/sbplc/sbplc/vocab"
)

//go:embed profiles/*.sb
var files embed.FS

// A Profile is the model of one system profile for one release.
type Profile struct {
	Name   string // the import name, "system.sb"
	Target string // the --target it models, "macos14"
	OS     string // the release as people say it, "macOS 14"
	// Basis says what the model rests on for this release.
	Basis string
	// Src is the model's SBPL, named "<sbplc model of NAME for OS>".
	Src *source.File
	// Incomplete is set when the real file defines names the model lacks:
	// a statement that needs one is unknown rules, not an error.
	Incomplete bool
}

// Description is how messages name the model: "sbplc's model of
// system.sb for macOS 14".
func (p *Profile) Description() string {
	return "sbplc's model of " + p.Name + " for " + p.OS
}

// model is one modelled file: the releases it exists on and, per release,
// what its rules rest on. A release missing from basis has no such file
// (an import of it is not found, as on that release).
type model struct {
	name       string
	basis      map[string]string // target name -> basis
	incomplete bool              // see Profile.Incomplete
}

// Bases shared by several models.
const (
	src1015   = "the macOS 10.15.2 profile sources"
	interp    = "the macOS 10.15.2 sources, without the additions first seen in the macOS 26.3 inventory (no copy of this release's file is public)"
	inv263    = "a secondary inventory of the macOS 26.3 file, on top of the rules stable since 10.15.2"
	stable    = "the rules of this file, unchanged in every release whose copy is public (10.9.5 to 14.4.1)"
	after1015 = "the macOS 10.15.2 sources (no later copy is public; the file is assumed unchanged)"
)

var models = []model{
	{name: "system.sb", basis: map[string]string{"macos10.15": src1015, "macos14": interp, "macos15": interp, "macos26": inv263}},
	{name: "bsd.sb", basis: map[string]string{"macos10.15": stable, "macos14": stable, "macos15": stable, "macos26": stable}},
	{name: "com.apple.corefoundation.sb", basis: map[string]string{"macos10.15": src1015, "macos14": after1015, "macos15": after1015, "macos26": after1015}},
	{name: "opendirectory.sb", basis: map[string]string{"macos10.15": src1015, "macos14": after1015, "macos15": after1015, "macos26": after1015}},
	{name: "dyld-support.sb", basis: map[string]string{
		"macos14": "nothing: the file exists (Messages' BlastDoor profile imports it) but its macOS 14 rules are not public, so they are unknown rules",
		"macos15": "notes on the macOS 15 file and a secondary inventory of the macOS 26.3 file",
		"macos26": "a secondary inventory of the macOS 26.3 file"}},
	{name: "appsandbox-common.sb", basis: map[string]string{
		"macos14": "the App Sandbox helpers as application.sb defined them up to 10.15.2 and the bundles' call sites in the 14.4.1 application.sb; bundles whose rules are not public are unknown rules",
		"macos15": "the same facts as for macOS 14 (no macOS 15 copy is public)",
		"macos26": "the macOS 14 facts plus quotations from the macOS 26.6 file"}, incomplete: true},
}

// osName turns a target into the release people name: macos14 -> macOS 14.
func osName(target string) string {
	return "macOS " + strings.TrimPrefix(target, "macos")
}

var cache sync.Map // name + "\x00" + target -> *Profile

// Lookup returns the model of the system profile name (an import name
// such as "system.sb", or an absolute path into one of Apple's profile
// directories) for target ("" is the newest known release). It reports
// false when sbplc has no model of it for that release.
func Lookup(name, target string) (*Profile, bool) {
	base := name
	for _, dir := range []string{"/System/Library/Sandbox/Profiles/", "/usr/share/sandbox/"} {
		if strings.HasPrefix(name, dir) {
			base = strings.TrimPrefix(name, dir)
		}
	}
	if strings.Contains(base, "/") {
		return nil, false
	}
	t := vocab.DefaultTarget()
	if target != "" {
		var ok bool
		if t, ok = vocab.LookupTarget(target); !ok {
			return nil, false
		}
	}
	for _, m := range models {
		if m.name != base {
			continue
		}
		basis, ok := m.basis[t.Name]
		if !ok {
			return nil, false
		}
		key := base + "\x00" + t.Name
		if p, ok := cache.Load(key); ok {
			return p.(*Profile), true
		}
		text, err := files.ReadFile("profiles/" + base)
		if err != nil {
			return nil, false // cannot happen: every model has a file (TestModelsHaveFiles)
		}
		p := &Profile{Name: base, Target: t.Name, OS: osName(t.Name), Basis: basis, Incomplete: m.incomplete}
		p.Src = source.NewFile("<sbplc model of "+base+" for "+p.OS+">", text)
		got, _ := cache.LoadOrStore(key, p)
		return got.(*Profile), true
	}
	return nil, false
}

// Names lists the modelled system profiles, sorted.
func Names() []string {
	out := make([]string, 0, len(models))
	for _, m := range models {
		out = append(out, m.name)
	}
	sort.Strings(out)
	return out
}

// Targets lists the releases name is modelled for, oldest first.
func Targets(name string) []string {
	var out []string
	for _, t := range vocab.Targets() {
		for _, m := range models {
			if _, ok := m.basis[t.Name]; ok && m.name == name {
				out = append(out, t.Name)
			}
		}
	}
	return out
}

// AtLeast reports whether target ("" is the newest) is the release v
// ("10.15", "14", "26.3") or later, comparing version numbers.
func AtLeast(target, v string) bool {
	t := vocab.DefaultTarget()
	if target != "" {
		var ok bool
		if t, ok = vocab.LookupTarget(target); !ok {
			return false
		}
	}
	return compareVersions(strings.TrimSuffix(t.OSKey, "+"), v) >= 0
}

// compareVersions compares dotted version numbers: "14.4.1" > "14" > "10.15".
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}
