package vocab

import (
	"slices"
	"testing"
)

// FuzzSuggest checks that Suggest never panics, returns a candidate or "",
// never returns the name itself, and respects its distance limit.
func FuzzSuggest(f *testing.F) {
	for _, s := range []string{"file-reed*", "", "x", "mach-lookpu", "\xff\xfe", "file-read*"} {
		f.Add(s)
	}
	names := OperationNames()
	f.Fuzz(func(t *testing.T, name string) {
		got := Suggest(name, names)
		if got == "" {
			return
		}
		if got == name || !slices.Contains(names, got) {
			t.Fatalf("Suggest(%q) = %q", name, got)
		}
		if d := distance(name, got, 100, make([]int, 3*(len(got)+1))); d > 3 {
			t.Fatalf("Suggest(%q) = %q at distance %d", name, got, d)
		}
	})
}

// FuzzLookup checks that every lookup accepts arbitrary names.
func FuzzLookup(f *testing.F) {
	for _, s := range []string{"file-read-data", "sysctl-write", "literal", "macos14", "", "*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if o, ok := ResolveOperation(name); ok && o.AliasOf != "" {
			t.Fatalf("ResolveOperation(%q) returned an alias %q", name, o.Name)
		}
		_ = Ancestors(name)
		_, _ = TerminalDefault(name, len(name)-3)
		_, _ = FilterAppliesTo(name, name)
		_, _ = ModifierAppliesTo(name, "allow", name)
		for _, tg := range Targets() {
			_ = tg.HasOperation(name)
			_ = tg.HasFilter(name)
		}
		if tg, ok := LookupTarget(name); ok {
			if _, ok := LookupTarget(tg.Name); !ok {
				t.Fatalf("target %q not found by its own name", tg.Name)
			}
		}
	})
}
