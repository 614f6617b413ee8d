package syslib

import (
	"strings"
	"testing"

	"github.com/sbplc/sbplc/vocab"
)

// TestModelsHaveFiles checks that every modelled profile has its text and
// that Lookup names the source after what it is.
func TestModelsHaveFiles(t *testing.T) {
	for _, m := range models {
		if _, err := files.ReadFile("profiles/" + m.name); err != nil {
			t.Errorf("%s: %v", m.name, err)
		}
		for target, basis := range m.basis {
			if _, ok := vocab.LookupTarget(target); !ok {
				t.Errorf("%s: unknown target %s", m.name, target)
			}
			p, ok := Lookup(m.name, target)
			if !ok || basis == "" {
				t.Fatalf("%s for %s: not found", m.name, target)
			}
			if want := "<sbplc model of " + m.name + " for macOS " + strings.TrimPrefix(target, "macos") + ">"; p.Src.Name != want {
				t.Errorf("source name %q, want %q", p.Src.Name, want)
			}
		}
	}
}

func TestLookup(t *testing.T) {
	for _, c := range []struct {
		name, target string
		ok           bool
		os           string
	}{
		{"system.sb", "", true, "macOS 26"},
		{"system.sb", "macos10.15", true, "macOS 10.15"},
		{"/System/Library/Sandbox/Profiles/bsd.sb", "14", true, "macOS 14"},
		{"/usr/share/sandbox/bsd.sb", "macos15", true, "macOS 15"},
		{"/etc/bsd.sb", "", false, ""},
		{"sub/system.sb", "", false, ""},
		{"appsandbox-common.sb", "macos10.15", false, ""}, // new in 14
		{"appsandbox-common.sb", "macos14", true, "macOS 14"},
		{"dyld-support.sb", "macos10.15", false, ""},
		{"application.sb", "", false, ""},
		{"system.sb", "macos99", false, ""},
	} {
		p, ok := Lookup(c.name, c.target)
		if ok != c.ok || (ok && p.OS != c.os) {
			t.Errorf("Lookup(%q, %q) = %v, %v; want %v %s", c.name, c.target, p, ok, c.ok, c.os)
		}
	}
	a, _ := Lookup("system.sb", "macos14")
	b, _ := Lookup("system.sb", "14")
	if a != b {
		t.Error("two lookups of one model give two profiles")
	}
	if p, _ := Lookup("appsandbox-common.sb", "macos14"); !p.Incomplete {
		t.Error("appsandbox-common.sb is not marked incomplete")
	}
}

func TestAtLeast(t *testing.T) {
	for _, c := range []struct {
		target, v string
		want      bool
	}{
		{"macos10.15", "10.15", true},
		{"macos10.15", "14", false},
		{"macos14", "14", true},
		{"macos14", "10.15", true},
		{"macos14", "15", false},
		{"macos15", "15", true},
		{"macos26", "26", true},
		{"", "26", true},
		{"bogus", "10", false},
	} {
		if got := AtLeast(c.target, c.v); got != c.want {
			t.Errorf("AtLeast(%q, %q) = %v", c.target, c.v, got)
		}
	}
}
