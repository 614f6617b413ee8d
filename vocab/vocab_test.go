package vocab

import (
	"slices"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/ir"
)

// must returns what lookup (called fn in the message) finds for name, or
// fails the test.
func must[T any](t *testing.T, fn string, lookup func(string) (T, bool), name string) T {
	t.Helper()
	v, ok := lookup(name)
	if !ok {
		t.Fatalf("%s(%q): not found", fn, name)
	}
	return v
}

func mustOp(t *testing.T, name string) *Operation {
	t.Helper()
	return must(t, "LookupOperation", LookupOperation, name)
}

func mustFilter(t *testing.T, name string) *Filter {
	t.Helper()
	return must(t, "LookupFilter", LookupFilter, name)
}

func TestAncestors(t *testing.T) {
	tests := []struct {
		op   string
		want []string
	}{
		{"file-read-data", []string{"file-read-data", "file-read*", "file*", "default"}},
		{"file-write-create", []string{"file-write-create", "file-write*", "file*", "default"}},
		{"network-bind", []string{"network-bind", "network-inbound", "network*", "default"}},
		{"managed-preference-read", []string{"managed-preference-read", "user-preference-read", "user-preference*", "default"}},
		{"file-mount-update", []string{"file-mount-update", "file-mount", "file*", "default"}},
		{"file-mknod", []string{"file-mknod", "file*", "default"}},
		{"default", []string{"default"}},
		{"process-info*", []string{"process-info*"}}, // terminal
		{"job-creation", []string{"job-creation"}},   // terminal
		{"no-such-op", nil},
	}
	for _, tt := range tests {
		if got := Ancestors(tt.op); !slices.Equal(got, tt.want) {
			t.Errorf("Ancestors(%q) = %v, want %v", tt.op, got, tt.want)
		}
	}
	// The returned slice is a copy.
	a := Ancestors("file-read-data")
	a[0] = "x"
	if mustOp(t, "file-read-data").Chain[0] != "file-read-data" {
		t.Error("Ancestors returned the table's slice")
	}
}

func TestCoversAndDescendants(t *testing.T) {
	for _, tt := range []struct {
		anc, op string
		want    bool
	}{
		{"file-read*", "file-read-data", true},
		{"file*", "file-read-data", true},
		{"default", "file-read-data", true},
		{"file-read-data", "file-read-data", true},
		{"file-write*", "file-read-data", false},
		{"file-write*", "file-mknod", false},
		{"file*", "file-mknod", true},
		{"network-inbound", "network-bind", true},
		{"default", "process-info*", false}, // terminal
		{"default", "nope", false},
	} {
		if got := Covers(tt.anc, tt.op); got != tt.want {
			t.Errorf("Covers(%q, %q) = %v", tt.anc, tt.op, got)
		}
	}
	d := Descendants("file-read*")
	for _, w := range []string{"file-read-data", "file-read-metadata", "file-read-xattr"} {
		if !slices.Contains(d, w) {
			t.Errorf("Descendants(file-read*) = %v lacks %s", d, w)
		}
	}
	if slices.Contains(Descendants("file-write*"), "file-write-setugid") {
		t.Error("file-write-setugid is terminal, not under file-write*")
	}
	if slices.Contains(Descendants("file-write-unlink"), "file-unlink") {
		t.Error("alias-only names must not be descendants")
	}
	if !slices.IsSorted(d) || len(Descendants("job-creation")) != 0 {
		t.Error("descendants unsorted, or job-creation has descendants")
	}
	// A terminal wildcard still has children that fall back to it.
	if !slices.Contains(Descendants("process-info*"), "process-info-pidinfo") {
		t.Errorf("Descendants(process-info*) = %v", Descendants("process-info*"))
	}
}

func TestFallbackParents(t *testing.T) {
	for op, parent := range map[string]string{
		"network-bind":            "network-inbound",
		"managed-preference-read": "user-preference-read",
		"file-mount-update":       "file-mount",
		"file-read*":              "file*",
		"file*":                   "default",
		"default":                 "",
		"job-creation":            "",
	} {
		if got := mustOp(t, op).Fallback; got != parent {
			t.Errorf("%s.Fallback = %q, want %q", op, got, parent)
		}
	}
}

func TestAliases(t *testing.T) {
	tests := []struct{ name, resolves string }{
		{"sysctl-write", "sysctl*"},
		{"process-exec", "process-exec*"},
		{"file-unlink", "file-write-unlink"},
		{"system-misc", "system*"},
		{"ipc-posix-sem", "ipc-posix-sem*"},
		{"ipc-posix-shm", "ipc-posix-shm*"},
		{"file-write-mount", "file-mount"},
		{"file-write-unmount", "file-unmount"},
		{"file-read-data", "file-read-data"}, // not an alias
	}
	for _, tt := range tests {
		o, ok := ResolveOperation(tt.name)
		if !ok || o.Name != tt.resolves {
			t.Errorf("ResolveOperation(%q) = %v, %v; want %s", tt.name, o, ok, tt.resolves)
		}
	}
	// The table entry of sysctl-write is still reachable by exact name.
	if o := mustOp(t, "sysctl-write"); o.AliasOf != "sysctl*" || o.Fallback != "sysctl*" {
		t.Errorf("sysctl-write entry: AliasOf %q Fallback %q", o.AliasOf, o.Fallback)
	}
	if _, ok := ResolveOperation("nope"); ok {
		t.Error("ResolveOperation(nope) found something")
	}
}

func TestNoOps(t *testing.T) {
	for _, n := range []string{"ipc-posix-shm-read-metadata", "mach-per-user-lookup", "system-chud", "qtn-download"} {
		o := mustOp(t, n)
		if !o.NoOp || o.AliasOf != "" {
			t.Errorf("%s: NoOp %v AliasOf %q, want no-op", n, o.NoOp, o.AliasOf)
		}
		if !strings.Contains(o.Doc, "no-op") {
			t.Errorf("%s: Doc does not mention no-op: %s", n, o.Doc)
		}
	}
	if mustOp(t, "file-read-data").NoOp {
		t.Error("file-read-data is not a no-op")
	}
}

func TestTerminalDefault(t *testing.T) {
	tests := []struct {
		op      string
		version int
		action  string
		ok      bool
	}{
		{"job-creation", 1, "deny", true},
		{"file-write-setugid", 1, "deny", true},
		{"storage-class-map", 1, "deny", true},
		{"default", 1, "deny", true},
		{"process-info*", 1, "allow", true},
		{"file-clone", 1, "allow", true},
		{"syscall-unix", 1, "allow", true},
		{"darwin-notification-post", 1, "allow", true},
		{"file-lock", 1, "allow", true}, // measured on 26.x
		{"file-read-data", 1, "", false},
		{"network-outbound", 1, "", false},
		{"no-such-op", 1, "", false},
		{"job-creation", 3, "deny", true}, // later versions: v1 table, unverified
	}
	for _, tt := range tests {
		a, ok := TerminalDefault(tt.op, tt.version)
		if a != tt.action || ok != tt.ok {
			t.Errorf("TerminalDefault(%q, %d) = %q, %v; want %q, %v", tt.op, tt.version, a, ok, tt.action, tt.ok)
		}
	}
	// The default target (macos26) is unverified: answers carry the
	// measured 14.4.1 set over, unverified.
	r, _ := TerminalDefaultRule("process-info*", 1)
	if r.Verified || len(r.Sources) == 0 {
		t.Errorf("process-info* on the default target: Verified %v, %d sources; want unverified, measured", r.Verified, len(r.Sources))
	}
	r, _ = TerminalDefaultRule("process-info*", 2)
	if r.Verified {
		t.Error("version 2 answers must be unverified")
	}
	r, _ = TerminalDefaultRule("file-graft", 1)
	if r.Action != "allow" || r.Verified || r.Sources != nil {
		t.Errorf("file-graft (26-only, 10.15-derived set) = %+v", r)
	}
	// Every terminal operation's field agrees with the version-1 table.
	for _, o := range Operations() {
		if o.TerminalDefault == "" {
			continue
		}
		if a, ok := TerminalDefault(o.Name, 1); !ok || a != o.TerminalDefault {
			t.Errorf("%s: TerminalDefault = %q, %v; field %q", o.Name, a, ok, o.TerminalDefault)
		}
		if o.Fallback != "" {
			t.Errorf("%s: terminal with fallback %q", o.Name, o.Fallback)
		}
	}
}

func TestFilterClassification(t *testing.T) {
	tests := []struct {
		name, form, base, canonical string
		match                       ir.Match
		argKind                     string
	}{
		{"path", FormBase, "path", "path", ir.MatchExact, "path-pattern"},
		{"literal", FormAlias, "path", "path", ir.MatchExact, "path-pattern"},
		{"path-literal", FormAlias, "path", "path", ir.MatchExact, "path-pattern"},
		{"subpath", FormDerived, "path", "subpath", ir.MatchSubpath, "path-pattern"},
		{"process-subpath", FormDerived, "process-path", "process-subpath", ir.MatchSubpath, "path-pattern"},
		{"prefix", FormAlias, "path", "path-prefix", ir.MatchPrefix, "path-pattern"},
		{"path-prefix", FormDerived, "path", "path-prefix", ir.MatchPrefix, "path-pattern"},
		{"global-name-prefix", FormDerived, "global-name", "global-name-prefix", ir.MatchPrefix, "string-pattern"},
		{"global-name", FormBase, "global-name", "global-name", ir.MatchExact, "string-pattern"},
		{"regex", FormAlias, "path", "path-regex", ir.MatchRegex, "path-pattern"},
		{"path-regex", FormDerived, "path", "path-regex", ir.MatchRegex, "path-pattern"},
		{"xpc-service-name-regex", FormDerived, "xpc-service-name", "xpc-service-name-regex", ir.MatchRegex, "string-pattern"},
		{"vnode-type", FormBase, "vnode-type", "vnode-type", ir.MatchOther, "integer-enum"},
		{"local", FormBase, "local", "local", ir.MatchOther, "network-address"},
		{"from", FormAlias, "local", "local", ir.MatchOther, "network-address"},
		{"tty", FormHelper, "vnode-type", "tty", ir.MatchOther, ""},
		{"require-all", FormCombinator, "", "require-all", ir.MatchOther, ""},
		{"unix-socket", FormLegacy, "", "unix-socket", ir.MatchOther, ""},
	}
	for _, tt := range tests {
		f := mustFilter(t, tt.name)
		if f.Form != tt.form || f.Base != tt.base || f.Canonical != tt.canonical || f.Match != tt.match || f.ArgKind != tt.argKind {
			t.Errorf("%s: form %q base %q canonical %q match %v arg %q; want %q %q %q %v %q", tt.name,
				f.Form, f.Base, f.Canonical, f.Match, f.ArgKind, tt.form, tt.base, tt.canonical, tt.match, tt.argKind)
		}
		if f.Doc == "" || strings.Contains(f.Doc, "\n") {
			t.Errorf("%s: Doc must be one non-empty paragraph: %q", tt.name, f.Doc)
		}
	}
	if _, ok := LookupFilter("subpaht"); ok {
		t.Error("found a misspelt filter")
	}
}

func valueNames(f *Filter) []string {
	var n []string
	for _, v := range f.Values {
		n = append(n, v.Name)
	}
	return n
}

func TestFilterValues(t *testing.T) {
	vt := valueNames(mustFilter(t, "vnode-type"))
	for _, v := range []string{"REGULAR-FILE", "DIRECTORY", "BLOCK-DEVICE", "CHARACTER-DEVICE", "SYMLINK", "SOCKET", "FIFO", "TTY"} {
		if !slices.Contains(vt, v) {
			t.Errorf("vnode-type lacks %s", v)
		}
	}
	if got := valueNames(mustFilter(t, "target")); !slices.Equal(got, []string{"self", "pgrp", "others", "children", "same-sandbox", "initproc"}) {
		t.Errorf("target values = %v", got)
	}
	want := map[string]int64{"ip": 3, "ip4": 1, "ip6": 2, "tcp": 7, "tcp4": 5, "tcp6": 6, "udp": 11, "udp4": 9, "udp6": 10}
	for _, name := range []string{"local", "remote", "from", "to"} {
		f := mustFilter(t, name)
		got := map[string]int64{}
		for _, v := range f.Values {
			if !v.HasValue {
				t.Errorf("%s %s: no numeric value", name, v.Name)
			}
			got[v.Name] = v.Value
		}
		if len(got) != len(want) {
			t.Errorf("%s values = %v", name, got)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s %s = %d, want %d", name, k, got[k], v)
			}
		}
	}
}

func TestFilterAppliesTo(t *testing.T) {
	tests := []struct {
		filter, op string
		ok, known  bool
	}{
		{"subpath", "file-read*", true, true},
		{"literal", "file-read-data", true, true},
		{"subpath", "mach-lookup", true, true}, // observed in 26.4.1 profiles
		{"global-name", "mach-lookup", true, true},
		{"global-name", "file-read-data", false, true},
		{"vnode-type", "network-outbound", true, true}, // unix sockets
		{"vnode-type", "mach-lookup", false, true},
		{"signing-identifier", "file-read-data", true, true}, // process category: all ops
		{"target", "signal", true, true},
		{"target", "file-write-data", false, true},
		{"subpath", "sysctl-write", false, true}, // resolves to sysctl*
		{"sysctl-name", "sysctl-write", true, true},
		{"subpath", "file-lock", true, false}, // new in 14.x: categories unknown
		{"tty", "file-read-data", true, true}, // helper: a vnode-type filter
		{"tty", "mach-lookup", false, true},
		{"require-entitlement", "mach-lookup", true, true}, // %entitlement-load: every op
		{"path-ancestors", "file-read-metadata", true, true},
		{"path-ancestors", "mach-lookup", false, true},
		{"require-any", "mach-lookup", true, false},
		{"no-such-filter", "file-read-data", true, false},
		{"subpath", "no-such-op", true, false},
	}
	for _, tt := range tests {
		ok, known := FilterAppliesTo(tt.filter, tt.op)
		if ok != tt.ok || known != tt.known {
			t.Errorf("FilterAppliesTo(%q, %q) = %v, %v; want %v, %v", tt.filter, tt.op, ok, known, tt.ok, tt.known)
		}
	}
}

func TestModifiers(t *testing.T) {
	tests := []struct {
		name, action string
		restricted   []string
	}{
		{"report", "allow", nil},
		{"no-report", "deny", nil},
		{"no-log", "deny", nil},
		{"errno", "deny", nil},
		{"message", "allow+deny", nil},
		{"no-sandbox", "allow", []string{"process-exec*", "process-exec-interpreter"}},
		{"grant", "allow", []string{"system-privilege"}},
		{"rootless", "deny", nil},
		{"termination", "allow+deny", nil},
	}
	for _, tt := range tests {
		m, ok := LookupModifier(tt.name)
		if !ok {
			t.Errorf("LookupModifier(%q): not found", tt.name)
			continue
		}
		if m.Action != tt.action || !slices.Equal(m.RestrictedOps, tt.restricted) {
			t.Errorf("%s: action %q restricted %v; want %q %v", tt.name, m.Action, m.RestrictedOps, tt.action, tt.restricted)
		}
	}
	mod := []struct {
		mod, action, op string
		ok, known       bool
	}{
		{"report", "allow", "file-read*", true, true},
		{"report", "deny", "file-read*", false, true},
		{"no-sandbox", "allow", "process-exec", true, true}, // alias of process-exec*
		{"no-sandbox", "allow", "file-read*", false, true},
		{"no-times", "allow", "file-read-metadata", true, true},
		{"bogus", "allow", "file-read*", true, false},
	}
	for _, tt := range mod {
		ok, known := ModifierAppliesTo(tt.mod, tt.action, tt.op)
		if ok != tt.ok || known != tt.known {
			t.Errorf("ModifierAppliesTo(%q, %q, %q) = %v, %v; want %v, %v", tt.mod, tt.action, tt.op, ok, known, tt.ok, tt.known)
		}
	}
	if _, ok := LookupModifier("allow"); ok {
		t.Error("top-level forms must not be modifiers")
	}
	if f, ok := LookupForm("with-filter"); !ok || f.Syntax == "" {
		t.Error("with-filter form missing")
	}
}

func TestBuiltins(t *testing.T) {
	for name, kind := range map[string]string{
		"param":            "sbpl-library",
		"define":           "syntax",
		"home-subpath":     "apple-profile-helper",
		"quasiquote":       "syntax (reader: ` , ,@)",
		"unquote-splicing": "syntax (reader: ` , ,@)",
	} {
		b, ok := LookupBuiltin(name)
		if !ok {
			t.Errorf("LookupBuiltin(%q): not found", name)
			continue
		}
		if b.Kind != kind {
			t.Errorf("%s: kind %q, want %q (kinds %v)", name, b.Kind, kind, b.Kinds)
		}
	}
	if b, ok := LookupBuiltin("home-subpath"); ok && b.Bound() {
		t.Error("home-subpath is defined by profiles, not bound by default")
	}
	if b, ok := LookupBuiltin("syscall-group-open"); !ok || b.Name != "syscall-group-open" {
		t.Error("syscall-group-* group not expanded")
	}
	for _, b := range Builtins() {
		if strings.ContainsAny(b.Name, " ()") {
			t.Errorf("builtin name %q is not an identifier", b.Name)
		}
	}
}

func TestTables(t *testing.T) {
	ops := Operations()
	if len(ops) < 240 {
		t.Fatalf("only %d operations", len(ops))
	}
	if !slices.IsSortedFunc(ops, func(a, b *Operation) int { return strings.Compare(a.Name, b.Name) }) {
		t.Error("Operations not sorted")
	}
	for _, o := range ops {
		if o.Doc == "" || strings.Contains(o.Doc, "\n") || !strings.HasPrefix(o.Doc, o.Name+":") {
			t.Errorf("%s: bad Doc %q", o.Name, o.Doc)
		}
		if o.Wildcard != strings.HasSuffix(o.Name, "*") {
			t.Errorf("%s: Wildcard %v", o.Name, o.Wildcard)
		}
		if o.AliasOf != "" {
			if _, ok := LookupOperation(o.AliasOf); !ok {
				t.Errorf("%s: alias target %q unknown", o.Name, o.AliasOf)
			}
		}
		c := o.Chain
		if len(c) == 0 || c[0] != o.Name {
			t.Errorf("%s: chain %v", o.Name, c)
			continue
		}
		last := mustOp(t, c[len(c)-1])
		if last.Name != "default" && last.TerminalDefault == "" {
			t.Errorf("%s: chain %v ends at a non-terminal", o.Name, c)
		}
	}
	// file-graft's parent is inferred from its name; file-lock's guessed
	// parent was replaced by the measured 14.4.1 terminal decision.
	if !mustOp(t, "file-graft").Guessed || mustOp(t, "file-lock").Guessed || mustOp(t, "file-read-data").Guessed {
		t.Error("Guessed flags wrong for file-graft / file-lock / file-read-data")
	}
	for _, m := range Modifiers() {
		if m.Doc == "" || strings.Contains(m.Doc, "\n") {
			t.Errorf("modifier %s: bad Doc %q", m.Name, m.Doc)
		}
	}
}
