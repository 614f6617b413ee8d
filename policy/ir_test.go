package policy

import (
	"strings"
	"testing"

	"github.com/sbplc/sbplc/ir"
)

// Hand-built IR: these tests pin the engine independently of the
// evaluator (the SBPL-source tests in engine_test.go cover both).

func str(s string) ir.Value { return ir.Value{Kind: ir.String, Str: s} }
func sym(s string) ir.Value { return ir.Value{Kind: ir.Symbol, Str: s} }

func leaf(name, base string, m ir.Match, args ...ir.Value) *ir.FilterNode {
	return &ir.FilterNode{Kind: ir.Leaf, Name: name, Written: name, Base: base, Match: m, Args: args}
}

func strs(ss []string) []ir.Value {
	var out []ir.Value
	for _, s := range ss {
		out = append(out, str(s))
	}
	return out
}

func lit(p ...string) *ir.FilterNode { return leaf("path", "path", ir.MatchExact, strs(p)...) }
func sub(p ...string) *ir.FilterNode { return leaf("subpath", "path", ir.MatchSubpath, strs(p)...) }
func pre(p ...string) *ir.FilterNode { return leaf("path-prefix", "path", ir.MatchPrefix, strs(p)...) }
func rx(p ...string) *ir.FilterNode  { return leaf("path-regex", "path", ir.MatchRegex, strs(p)...) }
func all(k ...*ir.FilterNode) *ir.FilterNode {
	return &ir.FilterNode{Kind: ir.All, Children: k}
}
func not(k *ir.FilterNode) *ir.FilterNode {
	return &ir.FilterNode{Kind: ir.Not, Children: []*ir.FilterNode{k}}
}

func rule(a ir.Action, ops string, fs ...*ir.FilterNode) *ir.Rule {
	r := &ir.Rule{Action: a}
	for _, op := range strings.Fields(ops) {
		r.Ops = append(r.Ops, ir.Op{Name: op, Written: op})
	}
	switch len(fs) {
	case 0:
	case 1:
		r.Filter = fs[0]
	default:
		r.Filter = &ir.FilterNode{Kind: ir.Any, Children: fs}
	}
	return r
}

func allow(ops string, fs ...*ir.FilterNode) *ir.Rule { return rule(ir.Allow, ops, fs...) }
func deny(ops string, fs ...*ir.FilterNode) *ir.Rule  { return rule(ir.Deny, ops, fs...) }

func prof(rules ...*ir.Rule) *ir.Profile {
	for i, r := range rules {
		r.Index = i
	}
	return &ir.Profile{Version: 1, Rules: rules, Implicit: true}
}

type irCase struct {
	op, res string
	want    Result
	rule    int // index of the deciding rule, -1 = none (built-in default), -2 = don't check
}

func checkIR(t *testing.T, name string, p *ir.Profile, opts Options, cases []irCase) {
	t.Helper()
	e, ds := New(p, opts)
	if len(ds) > 0 {
		t.Fatalf("%s: diagnostics: %v", name, ds)
	}
	for _, c := range cases {
		d, err := e.QueryText(c.op, c.res)
		if err != nil {
			t.Errorf("%s: %s %s: %v", name, c.op, c.res, err)
			continue
		}
		if d.Result != c.want {
			t.Errorf("%s: %s %s = %v (%s), want %v", name, c.op, c.res, d.Result, d.Reason, c.want)
			continue
		}
		if c.rule == -2 {
			continue
		}
		got := -1
		if d.Rule != nil && !d.Implicit {
			got = d.Rule.Index
		}
		if got != c.rule {
			t.Errorf("%s: %s %s decided by rule %d, want %d (%s)", name, c.op, c.res, got, c.rule, d.Reason)
		}
	}
}

func TestIRPrecedence(t *testing.T) {
	// A filtered deny written before an unfiltered allow still wins.
	checkIR(t, "filtered-before-unfiltered", prof(
		deny("file-read*", sub("/Users/me/.ssh")),
		allow("file-read*"),
	), Options{}, []irCase{
		{"file-read-data", "/Users/me/.ssh/id_rsa", Deny, 0},
		{"file-read-data", "/Users/me/notes", Allow, 1},
	})
	// Among filtered rules the last one written wins.
	checkIR(t, "last-filtered-wins", prof(
		allow("file-read*", sub("/Users/me")),
		deny("file-read*", sub("/Users/me/.ssh")),
		allow("file-read*", lit("/Users/me/.ssh/known_hosts")),
	), Options{}, []irCase{
		{"file-read-data", "/Users/me/.ssh/known_hosts", Allow, 2},
		{"file-read-data", "/Users/me/.ssh/id_rsa", Deny, 1},
		{"file-read-data", "/Users/me/x", Allow, 0},
		{"file-read-data", "/Users/other", Deny, -1},
	})
	// Several unfiltered rules: the last one is the bottom.
	checkIR(t, "last-unfiltered-wins", prof(
		deny("network-outbound"),
		allow("network-outbound"),
	), Options{}, []irCase{
		{"network-outbound", "tcp:*:443", Allow, 1},
	})
	// Specific beats wildcard regardless of order (default model) ...
	p := prof(
		allow("file-read-data", sub("/x")),
		deny("file-read*", sub("/x")),
	)
	checkIR(t, "specific-beats-wildcard", p, Options{}, []irCase{
		{"file-read-data", "/x/y", Allow, 0},
		{"file-read-metadata", "/x/y", Deny, 1},
	})
	// ... and the expansion model makes the later wildcard rule win.
	m := DefaultModel()
	m.SpecificBeatsWildcard = false
	checkIR(t, "expansion-model", p, Options{Model: &m}, []irCase{
		{"file-read-data", "/x/y", Deny, 1},
	})
	// An unfiltered rule on an operation cuts it off from its parent.
	checkIR(t, "unfiltered-cuts-parent", prof(
		allow("file-read-data"),
		deny("file-read*", sub("/")),
		deny("default"),
	), Options{}, []irCase{
		{"file-read-data", "/private/etc/passwd", Allow, 0},
		{"file-read-metadata", "/private/etc/passwd", Deny, 1},
		// The lookup of /etc/passwd also checks file-read-metadata on the
		// link /etc, which rule 1 denies.
		{"file-read-data", "/etc/passwd", Deny, 1},
		{"mach-lookup", "com.apple.x", Deny, 2},
	})
}

func TestIRTerminalDefaults(t *testing.T) {
	p := prof(deny("default"))
	checkIR(t, "deny-default", p, Options{}, []irCase{
		{"file-read-data", "/x", Deny, 0},
		{"process-info-pidinfo", "others", Allow, -1}, // process-info* is allowed by default under version 1
		{"file-clone", "/x", Allow, -1},
	})
	p = prof(allow("default"))
	checkIR(t, "allow-default", p, Options{}, []irCase{
		{"file-read-data", "/x", Allow, 0},
		{"job-creation", "", Deny, -1},
		{"file-write-setugid", "/x", Deny, -1},
	})
	// Under version 2 the default-allow set is the one measured in the
	// 14.4.1 (version 2) blobs: file-clone falls back to default.
	p = prof(deny("default"))
	p.Version = 2
	checkIR(t, "version-2", p, Options{}, []irCase{{"file-clone", "/x", Deny, 0}, {"file-lock", "/x", Allow, -1}})
	m := DefaultModel()
	m.NewerVersionDefaults = Deny
	checkIR(t, "version-2-deny", p, Options{Model: &m}, []irCase{{"file-clone", "/x", Deny, 0}})
	// Under version 3 nothing is measured: the model switch decides.
	p.Version = 3
	checkIR(t, "version-3", p, Options{}, []irCase{{"file-clone", "/x", Unknown, -1}})
	checkIR(t, "version-3-deny", p, Options{Model: &m}, []irCase{{"file-clone", "/x", Deny, -1}})
	// An empty profile denies through default.
	checkIR(t, "empty", prof(), Options{}, []irCase{{"file-read-data", "/x", Deny, -1}})
}

func TestIRFallbackChains(t *testing.T) {
	e, _ := New(prof(deny("default")), Options{})
	for op, want := range map[string]string{
		"file-read-data": "file-read-data file-read* file* default",
		"network-bind":   "network-bind network-inbound network* default",
		"process-info*":  "process-info*",
		"file-mknod":     "file-mknod file* default",
	} {
		if got := strings.Join(e.Chain(op), " "); got != want {
			t.Errorf("Chain(%s) = %q, want %q", op, got, want)
		}
	}
	// The chain walked is reported.
	d, _ := e.QueryText("file-read-data", "/x")
	var ops []string
	for _, s := range d.Chain {
		ops = append(ops, s.Op)
	}
	if got := strings.Join(ops, " "); got != "file-read-data file-read* file* default" {
		t.Errorf("chain = %q", got)
	}
	if d.Chain[3].How != HowUnfiltered {
		t.Errorf("last step = %v, want unfiltered", d.Chain[3].How)
	}
	// Irregular parent: network-bind falls back to network-inbound.
	checkIR(t, "network-bind", prof(deny("default"), allow("network-inbound", leaf("local", "", ir.MatchOther, sym("tcp"), str("*:8080")))), Options{}, []irCase{
		{"network-bind", "tcp:*:8080", Allow, 1},
		{"network-bind", "tcp:*:22", Deny, 0},
	})
}

func TestIRImplicitRules(t *testing.T) {
	p := prof(deny("default"))
	e, _ := New(p, Options{})
	d, _ := e.QueryText("signal", "self")
	if d.Result != Allow || !d.Implicit {
		t.Errorf("signal self = %v implicit=%v, want implicit allow", d.Result, d.Implicit)
	}
	d, _ = e.QueryText("signal", "others")
	if d.Result != Deny {
		t.Errorf("signal others = %v, want deny", d.Result)
	}
	d, _ = e.QueryText("mach-task-name", "self")
	if d.Result != Allow {
		t.Errorf("mach-task-name self = %v, want allow", d.Result)
	}
	for _, opts := range []Options{{NoImplicit: true}} {
		e, _ := New(p, opts)
		if d, _ := e.QueryText("signal", "self"); d.Result != Deny {
			t.Errorf("NoImplicit: signal self = %v, want deny", d.Result)
		}
	}
	p.Implicit = false // NO_IMPLICIT_RULES
	e, _ = New(p, Options{})
	if d, _ := e.QueryText("signal", "self"); d.Result != Deny {
		t.Errorf("profile without implicit rules: signal self = %v, want deny", d.Result)
	}
}

func TestIRPathMatching(t *testing.T) {
	checkIR(t, "paths", prof(
		deny("default"),
		allow("file-read*", sub("/Users/me/proj")),
		allow("file-read*", lit("/a/b", "/a/c")),
		allow("file-read*", pre("/cores/")),
		allow("file-write*", sub("/tmp/x")), // non-canonical: never matches
		allow("file-read*", rx(`\.dylib$`)),
		allow("file-read*", rx(`^/opt/[a-z]+/bin$`)),
		allow("file-read*", sub("/")),
	), Options{}, []irCase{
		{"file-read-data", "/Users/me/proj", Allow, 7},
		{"file-write-data", "/Users/me/proj", Deny, 0},
		{"file-write-data", "/Users/me/project2", Deny, 0},
		{"file-read-data", "/a/c", Allow, 7},
		{"file-write-data", "/a/c", Deny, 0},
		{"file-write-data", "/tmp/x/y", Deny, 0},
		{"file-write-data", "/private/tmp/x/y", Deny, 0},
		{"file-read-data", "/Users/me/x.dylib", Allow, 7},
	})
	e, _ := New(prof(
		deny("default"),
		allow("file-read*", sub("/Users/me/proj")),
		allow("file-read*", lit("/a/b", "/a/c")),
		allow("file-read*", pre("/cores/")),
		allow("file-read*", rx(`\.dylib$`)),
		allow("file-read*", rx(`^/opt/[a-z]+/bin$`)),
	), Options{})
	for _, c := range []struct {
		res  string
		want Result
	}{
		{"/Users/me/proj", Allow}, {"/Users/me/proj/", Allow}, {"/Users/me/projx", Deny},
		{"/Users/me/proj/../proj2", Deny}, {"/Users/me/./proj//a", Allow},
		{"/a/b", Allow}, {"/a/c", Allow}, {"/a/d", Deny}, {"/a/b/c", Deny},
		{"/cores/core.1", Allow}, {"/cores", Deny},
		{"/usr/lib/libz.dylib", Allow}, {"/usr/lib/libz.dylib.bak", Deny},
		{"/opt/local/bin", Allow}, {"/opt/local/bin/x", Deny}, {"/opt/Local/bin", Deny}, {"/x/opt/local/bin", Deny},
	} {
		d, err := e.QueryText("file-read-data", c.res)
		if err != nil || d.Result != c.want {
			t.Errorf("file-read-data %s = %v (%v), want %v", c.res, d.Result, err, c.want)
		}
	}
}

func TestIRRequireCombinators(t *testing.T) {
	checkIR(t, "require", prof(
		deny("default"),
		allow("file-write*", all(sub("/w"), not(sub("/w/.git")))),
	), Options{}, []irCase{
		{"file-write-data", "/w/a", Allow, 1},
		{"file-write-data", "/w/.git/config", Deny, 0},
		{"file-write-data", "/w/.gitignore", Allow, 1},
	})
}

func TestIRUnknownFilters(t *testing.T) {
	ent := leaf("require-entitlement", "", ir.MatchOther, str("com.apple.x"))
	p := prof(
		deny("default"),
		allow("file-read*", all(sub("/e"), ent)),
		deny("file-read*", all(sub("/f"), leaf("extension", "extension", ir.MatchOther, str("com.apple.app-sandbox.read")))),
	)
	checkIR(t, "unknown", p, Options{}, []irCase{
		{"file-read-data", "/e/x", Unknown, 1},
		{"file-read-data", "/g", Deny, 0},
		// The unknown deny agrees with the default deny: the answer is known.
		{"file-read-data", "/f/x", Deny, 0},
	})
	checkIR(t, "assume-true", p, Options{Assume: map[string]bool{"require-entitlement": true}}, []irCase{
		{"file-read-data", "/e/x", Allow, 1},
	})
	checkIR(t, "assume-false", p, Options{Assume: map[string]bool{"entitlement": false}}, []irCase{
		{"file-read-data", "/e/x", Deny, 0},
	})
	e, _ := New(p, Options{})
	d, _ := e.QueryText("file-read-data", "/e/x")
	if !strings.Contains(d.Reason, "entitlement") {
		t.Errorf("reason %q does not name the entitlement", d.Reason)
	}
}

func TestIROpaqueImports(t *testing.T) {
	p := prof(
		deny("default"),
		allow("file-read*", sub("/before")),
		allow("file-read-data", sub("/after")),
		allow("file-read*", sub("/wild")),
	)
	p.Imports = []ir.Import{{Name: "missing.sb", Index: 2}}
	checkIR(t, "opaque", p, Options{}, []irCase{
		{"file-read-data", "/after/x", Allow, 2},
		{"file-read-data", "/before/x", Unknown, -1},
		{"file-read-data", "/none", Unknown, -1},
		// Written after the import, but on the parent: an imported
		// file-read-data rule would be consulted first.
		{"file-read-data", "/wild/x", Unknown, -1},
		{"file-read*", "/wild/x", Allow, 3},
	})
	p.Imports[0].Resolved = true
	checkIR(t, "resolved", p, Options{}, []irCase{{"file-read-data", "/before/x", Allow, 1}})
}

func TestIRSymbolicValues(t *testing.T) {
	v := ir.Value{Kind: ir.String, Str: "${HOME}/.ssh", Params: []string{"HOME"}}
	w := ir.Value{Kind: ir.String, Str: "${PROJECT}", Params: []string{"PROJECT"}}
	p := prof(
		allow("default"),
		deny("file-read*", leaf("subpath", "path", ir.MatchSubpath, v)),
		deny("file-write*", leaf("subpath", "path", ir.MatchSubpath, w)),
		deny("file-read*", leaf("path-regex", "path", ir.MatchRegex, ir.Value{Kind: ir.String, Str: "^${HOME}/Library/Keychains/"})),
	)
	checkIR(t, "home", p, Options{Home: "/Users/a.b"}, []irCase{
		{"file-read-data", "/Users/a.b/.ssh/id_rsa", Deny, 1},
		{"file-read-data", "/Users/a.b/x", Allow, 0},
		{"file-read-data", "/Users/a.b/Library/Keychains/login.keychain-db", Deny, 3},
		{"file-read-data", "/Users/aXb/Library/Keychains/login.keychain-db", Allow, 0}, // the home is quoted in regexes
		{"file-write-data", "/w", Unknown, 2},
	})
	checkIR(t, "home-slash", p, Options{Home: "/Users/a.b/"}, []irCase{
		{"file-read-data", "/Users/a.b/.ssh/id_rsa", Deny, 1},
	})
	checkIR(t, "no-home", p, Options{}, []irCase{
		{"file-read-data", "/Users/a.b/.ssh/id_rsa", Unknown, -2},
	})
}

func TestIRNetwork(t *testing.T) {
	remote := func(args ...ir.Value) *ir.FilterNode { return leaf("remote", "", ir.MatchOther, args...) }
	pathSub := &ir.FilterNode{Kind: ir.Leaf, Name: "path", Written: "path-literal", Base: "path", Match: ir.MatchExact, Args: []ir.Value{str("/private/var/run/docker.sock")}}
	p := prof(
		deny("default"),
		allow("network-outbound", remote(sym("tcp"), str("*:443"))),
		allow("network-outbound", remote(sym("udp"), str("localhost:53"))),
		allow("network-outbound", remote(sym("ip"), str("localhost:8080"))),
		allow("network-outbound", remote(sym("tcp6"), str("*:22"))),
		allow("network-outbound", remote(sym("unix-socket"), ir.Value{Kind: ir.Filter, Sub: pathSub})),
		allow("network-outbound", lit("/private/var/run/mDNSResponder")),
	)
	checkIR(t, "network", p, Options{}, []irCase{
		{"network-outbound", "tcp:*:443", Allow, 1},
		{"network-outbound", "tcp:example.com:443", Allow, 1},
		{"network-outbound", "udp:*:443", Deny, 0},
		{"network-outbound", "tcp:*:80", Deny, 0},
		{"network-outbound", "udp:localhost:53", Allow, 2},
		{"network-outbound", "udp:127.0.0.1:53", Allow, 2},
		{"network-outbound", "udp:[::1]:53", Allow, 2},
		{"network-outbound", "udp:8.8.8.8:53", Deny, 0},
		{"network-outbound", "udp:*:53", Deny, 0},
		{"network-outbound", "udp:localhost:8080", Allow, 3},
		{"network-outbound", "tcp:localhost:8080", Allow, 3},
		{"network-outbound", "tcp6:*:22", Allow, 4},
		{"network-outbound", "tcp4:*:22", Deny, 0},
		{"network-outbound", "tcp:*:22", Unknown, 4},
		{"network-outbound", "tcp:0.0.0.0:8080", Unknown, 3},
		{"network-outbound", "unix:/private/var/run/docker.sock", Allow, 5},
		// connect() through /var also checks file-read-metadata on /var.
		{"network-outbound", "unix:/var/run/docker.sock", Deny, 0},
		{"network-outbound", "unix:/private/var/run/mDNSResponder", Allow, 6},
		{"network-outbound", "/private/var/run/other.sock", Deny, 0},
		{"network-inbound", "tcp:*:443", Deny, 0},
	})
}

func TestIRTargetsAndNames(t *testing.T) {
	target := func(v ...string) *ir.FilterNode {
		var args []ir.Value
		for _, s := range v {
			args = append(args, sym(s))
		}
		return leaf("target", "target", ir.MatchOther, args...)
	}
	p := prof(
		deny("default"),
		allow("signal", target("children")),
		allow("process-info*", target("self")),
		deny("process-info*"),
		allow("mach-lookup", leaf("global-name", "global-name", ir.MatchExact, str("com.apple.a"))),
		allow("mach-lookup", leaf("global-name-prefix", "global-name", ir.MatchPrefix, str("com.apple.b."))),
		allow("mach-lookup", leaf("global-name-regex", "global-name", ir.MatchRegex, str("_OpenStep$"))),
		allow("sysctl-read", leaf("sysctl-name", "sysctl-name", ir.MatchExact, str("kern.osversion"))),
		allow("iokit-open", leaf("iokit-user-client-class", "", ir.MatchOther, str("IOSurfaceRootUserClient"))),
	)
	checkIR(t, "targets-names", p, Options{}, []irCase{
		{"signal", "children", Allow, 1},
		{"signal", "others", Deny, 0},
		{"signal", "self", Allow, -1}, // implicit rule
		{"process-info-pidinfo", "others", Deny, 3},
		{"process-info-pidinfo", "self", Allow, 2},
		{"mach-lookup", "com.apple.a", Allow, 4},
		{"mach-lookup", "com.apple.ab", Deny, 0},
		{"mach-lookup", "com.apple.b.c", Allow, 5},
		{"mach-lookup", "x_OpenStep", Allow, 6},
		{"mach-lookup", "local:com.apple.a", Deny, 0},
		{"sysctl-read", "kern.osversion", Allow, 7},
		{"sysctl-read", "kern.maxproc", Deny, 0},
		{"iokit-open", "IOSurfaceRootUserClient", Allow, 8},
	})
}

func TestIRVnodeType(t *testing.T) {
	p := prof(
		deny("default"),
		allow("file-read*", all(sub("/d"), leaf("vnode-type", "vnode-type", ir.MatchOther, sym("DIRECTORY")))),
	)
	e, _ := New(p, Options{})
	res, _ := ParseResource("file-read-data", "/d/x")
	if d := e.Query(Request{Op: "file-read-data", Resource: res}); d.Result != Unknown {
		t.Errorf("no vnode type: %v, want unknown", d.Result)
	}
	res.Vnode = "DIRECTORY"
	if d := e.Query(Request{Op: "file-read-data", Resource: res}); d.Result != Allow {
		t.Errorf("DIRECTORY: %v, want allow", d.Result)
	}
	res.Vnode = "REGULAR-FILE"
	if d := e.Query(Request{Op: "file-read-data", Resource: res}); d.Result != Deny {
		t.Errorf("REGULAR-FILE: %v, want deny", d.Result)
	}
}

func TestIRAliases(t *testing.T) {
	// A rule on sysctl-write names sysctl* (the evaluator canonicalises).
	p := prof(deny("default"), allow("sysctl*"))
	e, _ := New(p, Options{})
	for _, op := range []string{"sysctl-write", "sysctl-read"} {
		if d, err := e.QueryText(op, "kern.x"); err != nil || d.Result != Allow {
			t.Errorf("%s: %v %v", op, d.Result, err)
		}
	}
	// process-exec resolves to process-exec* for queries.
	if r, err := e.ResolveOp("process-exec"); err != nil || r != "process-exec*" {
		t.Errorf("ResolveOp(process-exec) = %q, %v", r, err)
	}
	if _, err := e.ResolveOp("file-raed-data"); err == nil || !strings.Contains(err.Error(), "file-read-data") {
		t.Errorf("typo: %v", err)
	}
	if _, err := e.ResolveOp("mach-per-user-lookup"); err == nil {
		t.Errorf("no-op name accepted")
	}
}

// TestThreeValuedLogic pins Kleene logic for the combinators, with an
// entitlement check as the unknown operand: not(unknown) = unknown,
// any(true, unknown) = true, any(false, unknown) = unknown,
// all(false, unknown) = false, all(true, unknown) = unknown.
func TestThreeValuedLogic(t *testing.T) {
	unk := func() *ir.FilterNode {
		return leaf("require-entitlement", "", ir.MatchOther, str("com.apple.x"))
	}
	yes_, no_ := func() *ir.FilterNode { return sub("/q") }, func() *ir.FilterNode { return sub("/elsewhere") }
	any := func(k ...*ir.FilterNode) *ir.FilterNode { return &ir.FilterNode{Kind: ir.Any, Children: k} }
	for _, c := range []struct {
		name string
		f    *ir.FilterNode
		want tri
	}{
		{"not(unknown)", not(unk()), maybe},
		{"not(not(unknown))", not(not(unk())), maybe},
		{"any(true, unknown)", any(yes_(), unk()), yes},
		{"any(unknown, true)", any(unk(), yes_()), yes},
		{"any(false, unknown)", any(no_(), unk()), maybe},
		{"all(false, unknown)", all(no_(), unk()), no},
		{"all(unknown, false)", all(unk(), no_()), no},
		{"all(true, unknown)", all(yes_(), unk()), maybe},
		{"not(all(unknown, false))", not(all(unk(), no_())), yes},
		{"any(not(true), unknown)", any(not(yes_()), unk()), maybe},
	} {
		c0 := &compiler{opts: &Options{}}
		n := c0.compile(c.f, 0)
		res, _ := ParseResource("file-read-data", "/q/x")
		q := &query{res: res, model: &Model{}}
		if got := n.eval(q); got != c.want {
			t.Errorf("%s = %d, want %d", c.name, got, c.want)
		}
	}
}
