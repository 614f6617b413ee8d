package vocab

import (
	"slices"
	"testing"
)

// TestTerminalDefaultForMacOS14 checks the (version 1) set measured in the
// compiled 14.4.1 blobs (bytecode-format §2.6).
func TestTerminalDefaultForMacOS14(t *testing.T) {
	m14 := mustTarget(t, "macos14")
	tests := []struct {
		op     string
		action string // "" = falls back (ok false)
	}{
		// allowed under (deny default): the op-table entry points at allow.
		{"file-lock", "allow"},
		{"syscall-mach", "allow"},
		{"mach-bootstrap", "allow"},
		{"system-fcntl", "allow"},
		{"fs-quota*", "allow"},
		{"fs-quota-get", "allow"},
		{"process-info-pidinfo", "allow"},
		{"process-exec-update-label", "allow"},
		{"darwin-notification-post", "allow"},
		// denied even under (allow default).
		{"system-kas-info", "deny"},
		{"job-creation", "deny"},
		{"file-write-setugid", "deny"},
		{"storage-class-map", "deny"},
		{"default", "deny"},
		// follow the default.
		{"file-read-data", ""},
		{"network-outbound", ""},
		{"mach-lookup", ""},
		{"mach-task-name", ""}, // injected (target self) filter, not a decision
		{"appleevent-send", ""},
	}
	for _, tt := range tests {
		r, ok := TerminalDefaultFor(m14, tt.op, 1)
		if r.Action != tt.action || ok != (tt.action != "") {
			t.Errorf("TerminalDefaultFor(macos14, %q, 1) = %q, %v; want %q", tt.op, r.Action, ok, tt.action)
			continue
		}
		if ok && tt.op != "default" && (!r.Verified || len(r.Sources) == 0) {
			t.Errorf("%s on macos14: Verified %v, sources %v; want verified with vector names", tt.op, r.Verified, r.Sources)
		}
	}
	// The measured set has exactly the 54 + 4 decisions of §2.6.
	allow, deny := 0, 0
	for op, r := range BuiltinDefaults(m14, 1) {
		if op == "default" {
			continue
		}
		if len(r.Sources) == 0 {
			t.Errorf("%s: macos14 decision %q without vector sources", op, r.Action)
		}
		switch r.Action {
		case "allow":
			allow++
		case "deny":
			deny++
		}
	}
	if allow != 54 || deny != 4 {
		t.Errorf("macos14 built-in defaults: %d allow, %d deny; want 54, 4", allow, deny)
	}
	if got := InjectedFilterOps(); !slices.Equal(got, []string{"mach-task-inspect", "mach-task-name", "mach-task-read", "signal"}) {
		t.Errorf("InjectedFilterOps = %v", got)
	}
	if v := MeasuredVectors(); len(v) < 40 || !slices.Contains(v, "sonoma14.4.1_allow_all") || !slices.Contains(v, "sonoma14.4.1_baseline_deny_all") {
		t.Errorf("MeasuredVectors = %v", v)
	}
}

func TestTerminalDefaultForTargets(t *testing.T) {
	m1015 := mustTarget(t, "macos10.15")
	m14 := mustTarget(t, "macos14")
	// 10.15 keeps its table: file-lock falls back there (only the 26.x
	// measurement says allow, unverified), system-kas-info is not terminal.
	if r, ok := TerminalDefaultFor(m1015, "process-info*", 1); !ok || r.Action != "allow" || !r.Verified {
		t.Errorf("macos10.15 process-info* = %+v, %v", r, ok)
	}
	if r, ok := TerminalDefaultFor(m1015, "file-lock", 1); !ok || r.Verified {
		t.Errorf("macos10.15 file-lock = %+v, %v; want the unverified 26.x measurement", r, ok)
	}
	if _, ok := TerminalDefaultFor(m1015, "system-kas-info", 1); ok {
		t.Error("macos10.15 system-kas-info has no built-in decision in the 10.15-derived set")
	}
	if r, ok := TerminalDefaultFor(m1015, "priv*", 1); !ok || r.Action != "allow" {
		t.Errorf("macos10.15 priv* = %+v, %v", r, ok)
	}
	// A name outside the 14.4.1 op table falls back to the 10.15 set,
	// unverified, on macos14.
	if r, ok := TerminalDefaultFor(m14, "priv*", 1); !ok || r.Action != "allow" || r.Verified {
		t.Errorf("macos14 priv* = %+v, %v", r, ok)
	}
	// Unverified targets: the measured set, unverified.
	for _, name := range []string{"macos15", "macos26"} {
		tg := mustTarget(t, name)
		r, ok := TerminalDefaultFor(tg, "system-kas-info", 1)
		if !ok || r.Action != "deny" || r.Verified || len(r.Sources) == 0 {
			t.Errorf("%s system-kas-info = %+v, %v", name, r, ok)
		}
		if r, ok := TerminalDefaultFor(tg, "sandbox-check", 1); !ok || r.Action != "allow" || r.Verified {
			t.Errorf("%s sandbox-check = %+v, %v", name, r, ok)
		}
	}
	// Versions above 1 carry version 1 over, unverified.
	if r, ok := TerminalDefaultFor(m14, "job-creation", 3); !ok || r.Action != "deny" || r.Verified {
		t.Errorf("macos14 job-creation (version 3) = %+v, %v", r, ok)
	}
	// TerminalDefault answers for DefaultTarget().
	for _, o := range Operations() {
		a, ok := TerminalDefault(o.Name, 1)
		r, ok2 := TerminalDefaultFor(DefaultTarget(), o.Name, 1)
		if a != r.Action || ok != ok2 {
			t.Errorf("%s: TerminalDefault %q %v, TerminalDefaultFor(DefaultTarget()) %q %v", o.Name, a, ok, r.Action, ok2)
		}
	}
	// Every 10.15-derived decision for a 14.4.1 operation agrees with the
	// measurement (no disagreement between the sources).
	for op, r := range BuiltinDefaults(m1015, 1) {
		o, _ := LookupOperation(op)
		if !hasID(o, "14.4.1") && op != "default" {
			continue
		}
		if m, ok := TerminalDefaultFor(m14, op, 1); !ok || m.Action != r.Action {
			t.Errorf("%s: 10.15-derived %q, measured on 14.4.1 %q (%v)", op, r.Action, m.Action, ok)
		}
	}
}

// TestOperationFieldsFollowMeasured: the Operation fields the decision
// engine walks (Chain, TerminalDefault) give the measured 14.4.1 answer for
// every operation of that op table.
func TestOperationFieldsFollowMeasured(t *testing.T) {
	m14 := mustTarget(t, "macos14")
	for _, o := range Operations() {
		if !hasID(o, "14.4.1") || o.Name == "default" {
			continue
		}
		last := mustOp(t, o.Chain[len(o.Chain)-1])
		got := last.TerminalDefault
		if last.Name == "default" {
			got = ""
		}
		want := ""
		if r, ok := TerminalDefaultFor(m14, o.Name, 1); ok {
			want = r.Action
		}
		if got != want {
			t.Errorf("%s: chain %v gives %q, measured %q", o.Name, o.Chain, got, want)
		}
	}
	// A retargeted operation keeps its old parent as Family.
	if o := mustOp(t, "file-lock"); o.Fallback != "" || o.TerminalDefault != "allow" || o.Family != "file*" {
		t.Errorf("file-lock: Fallback %q TerminalDefault %q Family %q", o.Fallback, o.TerminalDefault, o.Family)
	}
}

// TestMeasuredFilterValues: encodings the compiled vectors prove.
func TestMeasuredFilterValues(t *testing.T) {
	want := map[string]map[string]int64{
		"socket-protocol": {"IPPROTO_TCP": 6, "IPPROTO_UDP": 17},
		"socket-domain":   {"AF_INET": 2, "AF_SYSTEM": 32},
		"socket-type":     {"SOCK_STREAM": 1, "SOCK_DGRAM": 2},
	}
	for fname, vals := range want {
		f, ok := LookupFilter(fname)
		if !ok {
			t.Fatalf("no filter %s", fname)
		}
		for name, v := range vals {
			found := false
			for _, nv := range f.Values {
				if nv.Name == name {
					found = true
					if !nv.HasValue || nv.Value != v {
						t.Errorf("%s %s = %d (HasValue %v), want %d", fname, name, nv.Value, nv.HasValue, v)
					}
				}
			}
			if !found {
				t.Errorf("%s: no value %s", fname, name)
			}
		}
	}
}
