package vocab

import "testing"

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
