package vocab

import "testing"

// TestTablesSortedForLookup checks what the lookups rely on: every
// generated table is sorted by name without duplicates (they search it in
// place) and each operation's idx is its position (the applies bitsets).
func TestTablesSortedForLookup(t *testing.T) {
	check := func(table string, n int, name func(int) string) {
		for i := 1; i < n; i++ {
			if name(i-1) >= name(i) {
				t.Errorf("%s: %q before %q: not strictly sorted", table, name(i-1), name(i))
			}
		}
	}
	check("operationTable", len(operationTable), func(i int) string { return operationTable[i].Name })
	check("filterTable", len(filterTable), func(i int) string { return filterTable[i].Name })
	check("modifierTable", len(modifierTable), func(i int) string { return modifierTable[i].Name })
	check("formTable", len(formTable), func(i int) string { return formTable[i].Name })
	check("builtinTable", len(builtinTable), func(i int) string { return builtinTable[i].Name })
	for i := range operationTable {
		if operationTable[i].idx != i {
			t.Errorf("%s: idx %d at position %d", operationTable[i].Name, operationTable[i].idx, i)
		}
	}
	// Every entry is found by its name, and a name between two entries is
	// not.
	for i := range operationTable {
		if o, ok := LookupOperation(operationTable[i].Name); !ok || o != &operationTable[i] {
			t.Errorf("LookupOperation(%q) does not find its entry", operationTable[i].Name)
		}
	}
	for i := range filterTable {
		if f, ok := LookupFilter(filterTable[i].Name); !ok || f != &filterTable[i] {
			t.Errorf("LookupFilter(%q) does not find its entry", filterTable[i].Name)
		}
	}
	for _, name := range []string{"", "file-read", "file-read*x", "zzz", "a"} {
		if _, ok := LookupOperation(name); ok {
			t.Errorf("LookupOperation(%q) found an entry", name)
		}
	}
}

// TestOSIDs checks the IDs accessors.
func TestOSIDs(t *testing.T) {
	ids := OSIDs{{"10.15", 3}, {"14.4.1", 0}}
	if id, ok := ids.Get("14.4.1"); !ok || id != 0 {
		t.Errorf("Get(14.4.1) = %d, %v", id, ok)
	}
	if _, ok := ids.Get("10.9.5"); ok || ids.Has("10.9.5") || !ids.Has("10.15") {
		t.Error("Has/Get answer for a key the table lacks")
	}
	o, _ := LookupOperation("file-read-data")
	if id, ok := o.IDs.Get("14.4.1"); !ok || id <= 0 {
		t.Errorf("file-read-data has no 14.4.1 id: %v", o.IDs)
	}
}
