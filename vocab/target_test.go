package vocab

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func mustTarget(t *testing.T, name string) Target {
	t.Helper()
	return must(t, "LookupTarget", LookupTarget, name)
}

func TestTargets(t *testing.T) {
	for in, want := range map[string]string{
		"macos14": "macos14", "14": "macos14", "14.4.1": "macos14", "MacOS14": "macos14",
		"macos10.15": "macos10.15", "10.15": "macos10.15", "macos15": "macos15", "15.2+": "macos15",
		"macos26": "macos26", "26": "macos26",
	} {
		if tg := mustTarget(t, in); tg.Name != want {
			t.Errorf("LookupTarget(%q) = %s, want %s", in, tg.Name, want)
		}
	}
	for _, bad := range []string{"", "macos13", "ios26", "linux"} {
		if _, ok := LookupTarget(bad); ok {
			t.Errorf("LookupTarget(%q) succeeded", bad)
		}
	}
	if d := DefaultTarget(); d.Name != "macos26" || d.Verified {
		t.Errorf("DefaultTarget = %+v, want the newest (unverified macos26)", d)
	}
	if !mustTarget(t, "macos14").Verified || !mustTarget(t, "macos10.15").Verified || mustTarget(t, "macos15").Verified {
		t.Error("verified flags wrong")
	}
	names := TargetNames()
	if len(names) != len(Targets()) || names[0] != "macos10.15" {
		t.Errorf("TargetNames = %v", names)
	}
}

func TestHasOperation(t *testing.T) {
	tests := []struct {
		target, op string
		want       Presence
	}{
		{"macos14", "file-read-data", Present},
		{"macos14", "file-lock", Present},
		{"macos14", "iokit-open", Unknown}, // not in the 14.4.1 table, still used
		{"macos14", "process-codesigning-status*", Absent},
		{"macos14", "ipc-posix-shm-read-metadata", Present}, // no-op
		{"macos14", "file-graft", Absent},                   // 26 only
		{"macos14", "process-exec", Present},                // alias of process-exec*
		{"macos14", "file-unlink", Present},                 // alias of file-write-unlink
		{"macos14", "qtn-download", Present},                // no-op name
		{"macos14", "no-such-op", Absent},
		{"macos10.15", "file-lock", Absent}, // new in 14.x
		{"macos10.15", "iokit-open", Present},
		{"macos15", "file-read-data", Present},
		{"macos15", "file-graft", Unknown}, // only seen in 26 material
		{"macos15", "iokit-open", Unknown}, // removed before 14.4.1, still used
		{"macos15", "no-such-op", Absent},
		{"macos26", "file-graft", Present},
		{"macos26", "sandbox-check", Present},  // "26?"
		{"macos26", "coalition-info", Unknown}, // iOS 26 only
		{"macos26", "no-such-op", Absent},
	}
	for _, tt := range tests {
		tg := mustTarget(t, tt.target)
		if got := tg.OperationPresence(tt.op); got != tt.want {
			t.Errorf("%s.OperationPresence(%q) = %v, want %v", tt.target, tt.op, got, tt.want)
		}
		if got := tg.HasOperation(tt.op); got != (tt.want != Absent) {
			t.Errorf("%s.HasOperation(%q) = %v", tt.target, tt.op, got)
		}
	}
	// An unverified target never reports a name of the newest verified
	// table missing.
	for _, o := range Operations() {
		if !o.IDs.Has("14.4.1") {
			continue
		}
		for _, n := range []string{"macos15", "macos26"} {
			if !mustTarget(t, n).HasOperation(o.Name) {
				t.Errorf("%s.HasOperation(%q) = false", n, o.Name)
			}
		}
	}
}

func TestHasFilter(t *testing.T) {
	tests := []struct {
		target, filter string
		want           Presence
	}{
		{"macos14", "subpath", Present},
		{"macos14", "literal", Present},
		{"macos14", "check-operation", Absent}, // 15.2+ only
		{"macos15", "check-operation", Present},
		{"macos15", "check-operation-prefix", Present},
		{"macos26", "check-operation", Present},
		{"macos14", "syscall-mask", Absent}, // 10.15 only
		{"macos10.15", "syscall-mask", Present},
		{"macos26", "syscall-mask", Unknown}, // 10.15 only, no 26 table
		{"macos14", "require-any", Present},
		{"macos14", "tty", Present},
		{"macos14", "no-such-filter", Absent},
	}
	for _, tt := range tests {
		if got := mustTarget(t, tt.target).FilterPresence(tt.filter); got != tt.want {
			t.Errorf("%s.FilterPresence(%q) = %v, want %v", tt.target, tt.filter, got, tt.want)
		}
	}
}

// TestSonomaIDs checks the 14.4.1 ids against the raw name lists (the array
// index is the compiled id).
func TestSonomaIDs(t *testing.T) {
	dir := sharedVocab(t)
	read := func(name string) []string {
		b, err := os.ReadFile(filepath.Join(dir, "raw", name))
		if err != nil {
			t.Fatal(err)
		}
		var r struct{ Names []string }
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		return r.Names
	}
	tg := mustTarget(t, "macos14")
	ops := read("sonoma_operation_names.json")
	if len(ops) != 196 || OperationCount(tg) != len(ops) {
		t.Errorf("%d raw op names, %d in the table", len(ops), OperationCount(tg))
	}
	for i, n := range ops {
		if id, ok := OperationID(tg, n); !ok || id != i {
			t.Errorf("OperationID(macos14, %q) = %d, %v; want %d", n, id, ok, i)
		}
		if got, ok := OperationByID(tg, i); !ok || got != n {
			t.Errorf("OperationByID(macos14, %d) = %q, %v; want %q", i, got, ok, n)
		}
	}
	for i, n := range read("sonoma_filter_kinds.json") {
		if got, ok := FilterByID(tg, i); !ok || got != n {
			t.Errorf("FilterByID(macos14, %d) = %q, %v; want %q", i, got, ok, n)
		}
		if id, ok := FilterID(tg, n); !ok || id != i {
			t.Errorf("FilterID(macos14, %q) = %d, %v", n, id, ok)
		}
	}
	if _, ok := OperationByID(tg, 196); ok {
		t.Error("OperationByID beyond the table succeeded")
	}
	if _, ok := OperationID(mustTarget(t, "macos26"), "file-read-data"); ok {
		t.Error("macos26 has no op table, OperationID must fail")
	}
	if id, ok := OperationID(mustTarget(t, "macos10.15"), "default"); !ok || id != 0 {
		t.Errorf("OperationID(macos10.15, default) = %d, %v", id, ok)
	}
}

func TestSince(t *testing.T) {
	for name, want := range map[string]string{
		"file-read-data":           "10.9.5",
		"file-map-executable":      "10.12",
		"darwin-notification-post": "10.14",
		"file-lock":                "14.4.1",
		"file-graft":               "26",
		"file-unlink":              "10.9.5", // alias of file-write-unlink
		"qtn-download":             "",
	} {
		o, ok := LookupOperation(name)
		if !ok {
			t.Fatalf("%s missing", name)
		}
		if got := o.Since(); got != want {
			t.Errorf("%s.Since() = %q, want %q", name, got, want)
		}
	}
}
