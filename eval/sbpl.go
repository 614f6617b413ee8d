package eval

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/internal/spell"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/source"
	"github.com/sbplc/sbplc/vocab"
)

// constV is a named constant of a filter (DIRECTORY, self, tcp, SIGKILL):
// it evaluates to the symbol of the same name.
type constV struct{ Name string }

// paramFalse is the #f an unbound (param "X") returns under --strict-params;
// it remembers the param call so errors can point at it.
type paramFalse struct {
	Name   string
	Origin ir.Origin
}

// msgCtx collects the rules of an (apply-message-filter ...) form.
type msgCtx struct{ rules []*ir.Rule }

// syscallGroups are the zero-argument filter helpers seen in macOS 26 profiles.
var syscallGroups = []string{"bsdthread", "chflags", "close", "fcntl", "getfsstat", "kevent", "kqueue",
	"mach-eventlink", "mkdir", "necp-client", "network-channel", "open", "open-dprotected", "pthread",
	"pthread-cv", "pthread-locks", "read", "recv", "rlimit", "select", "send", "signal", "sockopt", "stat",
	"statfs", "ulock", "write"}

// helperFilters are zero-argument filter helpers that expand to a filter
// with one fixed argument.
var helperFilters = map[string]struct {
	filter string
	arg    string
	sym    bool
}{
	"tty":                   {"vnode-type", "TTY", true},
	"container":             {"extension", "com.apple.sandbox.container", false},
	"application-group":     {"extension", "com.apple.sandbox.application-group", false},
	"system-container":      {"extension", "com.apple.sandbox.system-container", false},
	"system-group":          {"extension", "com.apple.sandbox.system-group", false},
	"executable-bundle":     {"extension", "com.apple.sandbox.executable", false},
	"datavault-file-filter": {"file-attribute", "datavault", true},
	"rootless-file-filter":  {"file-attribute", "sip-protected", true},
	"process-is-plugin":     {"process-attribute", "is-plugin", true},
	"process-is-installer":  {"process-attribute", "is-installer", true},
	"debug-mode":            {"system-attribute", "sandbox-debug-mode", true},
}

// addSBPL adds the SBPL vocabulary to the global table t: named filter
// constants, operations, filter constructors and helpers (all from package
// vocab), then the library of sbplLibrary and sbplForms.
func addSBPL(t map[string]value) {
	// Named constants first, so that operations and filters of the same
	// name win.
	for _, f := range vocab.Filters() {
		for _, v := range f.Values {
			if _, ok := t[v.Name]; !ok {
				t[v.Name] = &constV{Name: v.Name}
			}
		}
	}
	for _, m := range vocab.Modifiers() {
		for _, v := range m.Values {
			if _, ok := t[v]; !ok {
				t[v] = &constV{Name: v}
			}
		}
	}
	t["unix"] = &constV{Name: "unix"}
	t["unix-socket"] = &constV{Name: "unix"}
	for _, o := range vocab.Operations() {
		r, _ := vocab.ResolveOperation(o.Name)
		name := o.Name
		if r != nil {
			name = r.Name
		}
		t[o.Name] = &opV{Name: name, Written: o.Name, NoOp: o.NoOp}
	}
	for _, f := range vocab.Filters() {
		switch f.Form {
		case vocab.FormBase, vocab.FormDerived, vocab.FormAlias:
			t[f.Name] = &builtin{f.Name, 0, -1, leafFilter(f)}
		}
	}
	for name, h := range helperFilters {
		t[name] = &builtin{name, 0, 0, helperFilter(h.filter, h.arg, h.sym)}
	}
	for _, g := range syscallGroups {
		name := "syscall-group-" + g
		t[name] = &builtin{name, 0, 0, syscallGroup(name)}
	}
	for _, b := range sbplLibrary() {
		t[b.Name] = b
	}
	for _, b := range libraryModel() {
		t[b.Name] = b
	}
	for k, v := range sbplStrings {
		t[k] = &strV{S: v}
	}
	t["*default-import-search-paths*"] = listOf(&strV{S: "/System/Library/Sandbox/Profiles"}, &strV{S: "/usr/share/sandbox"})
	for _, f := range sbplForms() {
		t[f.Name] = f
	}
}

// sbplLibrary is libsandbox's own library: rules, combinators, versions,
// params, imports and quoting.
func sbplLibrary() []*builtin {
	return []*builtin{
		{"require-all", 0, -1, combinator(ir.All)},
		{"require-any", 0, -1, combinator(ir.Any)},
		{"require-not", 1, 1, combinator(ir.Not)},
		{"path-ancestors", 1, -1, biPathAncestors},
		{"require-entitlement", 1, -1, biRequireEntitlement},
		{"entitlement-value", 1, 1, biEntitlementValue},
		{"entitlement-value-regex", 1, 1, biEntitlementValueRegex},
		{"allow", 0, -1, ruleOf(ir.Allow)},
		{"deny", 0, -1, ruleOf(ir.Deny)},
		{"version", 1, 1, biVersion},
		{"param", 1, 1, biParam},
		{"getenv", 1, 1, biParam},
		{"import", 1, 1, biImport},
		{"trace", 1, 1, biTrace},
		{"regex-quote", 1, 1, biRegexQuote},
		{"variable-quote", 1, 1, biVariableQuote},
		{"_IO", 2, 2, biIO},
		{"sbpl-filter?", 1, 1, pred(isFilter)},
		{"sbpl-operation?", 1, 1, pred(isOperation)},
		{"sbpl-modifier?", 1, 1, pred(isModifier)},
		{"disable-callouts", 0, 0, biIgnored},
		{"disable-full-symbolication", 0, 0, biIgnored},
	}
}

// sbplForms are libsandbox's special forms.
func sbplForms() []*syntaxV {
	return []*syntaxV{
		{"with", synWith},
		{"debug", synDebug},
		{"with-filter", scoped(true)},
		{"with-modifier", scoped(false)},
		{"apply-message-filter", synMessageFilter},
	}
}

// sbplStrings are the string constants libsandbox binds.
var sbplStrings = map[string]string{
	"*ios-sandbox-container*":         "com.apple.sandbox.container",
	"*ios-sandbox-application-group*": "com.apple.sandbox.application-group",
	"*ios-sandbox-system-container*":  "com.apple.sandbox.system-container",
	"*ios-sandbox-system-group*":      "com.apple.sandbox.system-group",
	"*sandbox-executable-bundle*":     "com.apple.sandbox.executable",
	"*target-platform*":               "mac",
}

func isFilter(v value) bool    { _, ok := v.(*filterV); return ok }
func isOperation(v value) bool { _, ok := v.(*opV); return ok }
func isModifier(v value) bool  { _, ok := v.(*modV); return ok }

func biIgnored(ev *evaluator, c *call) value { return theUnspec }

func biIO(ev *evaluator, c *call) value {
	s := c.str(ev, 0).S
	if len(s) != 1 {
		ev.fail(c.sp(0), "type-error", "_IO: group must be a one-character string, got %q", s)
	}
	return intV(int64(s[0])*256 + c.integer(ev, 1))
}

// helperFilter is a zero-argument helper that expands to filter with one
// fixed argument (a symbol when sym, else a string).
func helperFilter(filter, arg string, sym bool) func(ev *evaluator, c *call) value {
	return func(ev *evaluator, c *call) value {
		f, _ := vocab.LookupFilter(filter)
		n := ev.leaf(f, c.Sp)
		n.Written = filter
		kind := ir.String
		if sym {
			kind = ir.Symbol
		}
		n.Args = []ir.Value{{Kind: kind, Str: arg, Origin: n.Origin}}
		return &filterV{N: n}
	}
}

// syscallGroup is a (syscall-group-NAME) filter, kept opaque in the IR.
func syscallGroup(name string) func(ev *evaluator, c *call) value {
	return func(ev *evaluator, c *call) value {
		return &filterV{N: &ir.FilterNode{Kind: ir.Leaf, Name: name, Written: name, Base: name, Origin: ev.origin(c.Sp)}}
	}
}

// leaf returns an empty leaf node for f created at sp.
func (ev *evaluator) leaf(f *vocab.Filter, sp source.Span) *ir.FilterNode {
	return &ir.FilterNode{Kind: ir.Leaf, Name: f.Canonical, Written: f.Name, Base: f.Base, Match: f.Match, Origin: ev.origin(sp)}
}

// kindWord is the libsandbox wording for what a filter of kind k expects.
func kindWord(k string) string {
	switch k {
	case "path-pattern", "string-pattern":
		return "pattern"
	case "string-exact":
		return "string"
	case "integer-enum", "bitfield", "bitmask":
		return "integer"
	case "boolean":
		return "boolean"
	}
	return "value"
}

// badFilterArg reports a filter argument of the wrong type, pointing at
// the (param ...) call when the value came from one.
func (ev *evaluator) badFilterArg(f *vocab.Filter, c *call, i int) {
	fam := f.Base
	if fam == "" {
		fam = f.Name
	}
	msg := fmt.Sprintf("invalid data type of %s filter; expected %s, got %s", fam, kindWord(f.ArgKind), typeName(c.Args[i]))
	sp := c.sp(i)
	var pf *paramFalse
	if p, ok := c.Args[i].(*paramFalse); ok {
		pf = p
	}
	d := ev.errDiag(sp, "filter-arg-type", msg)
	if pf != nil {
		// libsandbox's exact message, at the (param ...) call that gave #f.
		d.Span = pf.Origin.Primary()
		d.Notes = append(d.Notes, paramFalseNote(pf))
		d.Related = append(d.Related, rel(c.Sp, "the "+f.Name+" filter that received it"))
	}
	ev.abort(&Generic{problem{d}})
}

// paramFalseNote explains a #f that came from an unset param.
func paramFalseNote(pf *paramFalse) string {
	return fmt.Sprintf("param %q is not set, so (param %q) is #f: pass -D %s=VALUE, or guard the rule with (if (param %q) ...)", pf.Name, pf.Name, pf.Name, pf.Name)
}

func (ev *evaluator) strArg(s *strV) ir.Value {
	o := s.Origin
	if len(o.Chain) == 0 {
		o = ev.valueOrigin(o.Span)
	}
	return ir.Value{Kind: ir.String, Str: s.S, Raw: s.Raw, Params: s.Params, FromParams: s.From, Origin: o}
}

// valueOrigin is the origin of a value written at sp: in the main file it
// is just sp (where the user wrote it); in a prelude or import it carries
// the current call chain, so that Primary leads back to the user's file.
func (ev *evaluator) valueOrigin(sp source.Span) ir.Origin {
	if sp.File == ev.mainFile || ev.mainFile == nil {
		return ir.Origin{Span: sp}
	}
	return ev.origin(sp)
}

// leafFilter is the constructor of a base, derived or alias filter.
func leafFilter(f *vocab.Filter) func(ev *evaluator, c *call) value {
	return func(ev *evaluator, c *call) value { return ev.leafFilter(f, c) }
}

// leafFilter builds a filter of f from its arguments.
func (ev *evaluator) leafFilter(f *vocab.Filter, c *call) value {
	n := ev.leaf(f, c.Sp)
	if f.ArgKind == "network-address" {
		ev.networkArgs(f, n, c)
		return &filterV{N: n}
	}
	if len(c.Args) == 0 {
		ev.fail(c.Sp, "filter-arity", "%s: expected at least one argument", f.Name)
	}
	n.Args = make([]ir.Value, 0, len(c.Args))
	for i, a := range c.Args {
		switch f.ArgKind {
		case "path-pattern", "string-pattern", "string-exact":
			s, ok := a.(*strV)
			if !ok {
				ev.badFilterArg(f, c, i)
			}
			n.Args = append(n.Args, ev.strArg(s))
		case "integer-enum", "bitfield", "bitmask":
			switch v := a.(type) {
			case intV:
				n.Args = append(n.Args, ir.Value{Kind: ir.Int, Int: int64(v), Origin: ev.valueOrigin(c.sp(i))})
			case *sym:
				k, ok := namedValue(f, v.Name)
				if !ok {
					if len(f.Values) > 0 && len(f.Values) < 100 {
						ev.fail(c.sp(i), "filter-arg-value", "%s: %s is not a %s value%s", f.Name, v.Name, f.Name, valueHint(f))
					}
					// Large tables (ioctl, fsctl, syscall numbers) overlap and
					// are incomplete, and some filters (socket-protocol) have
					// no table yet: libsandbox binds every constant globally.
					if k, ok = anyNamedValue(v.Name); !ok {
						ev.fail(c.sp(i), "filter-arg-value", "%s: %s is not a known %s value%s", f.Name, v.Name, f.Name, valueHint(f))
					}
				}
				n.Args = append(n.Args, k.value(v.Name, ev.valueOrigin(c.sp(i))))
			default:
				ev.badFilterArg(f, c, i)
			}
		case "boolean":
			switch v := a.(type) {
			case boolV:
				n.Args = append(n.Args, ir.Value{Kind: ir.Bool, Bool: bool(v), Origin: ev.valueOrigin(c.sp(i))})
			case *sym:
				k, ok := namedValue(f, v.Name)
				if !ok {
					ev.badFilterArg(f, c, i)
				}
				n.Args = append(n.Args, k.value(v.Name, ev.valueOrigin(c.sp(i))))
			default:
				ev.badFilterArg(f, c, i)
			}
		default:
			ev.genericArg(n, c, i)
		}
	}
	return &filterV{N: n}
}

// genericArg converts any argument of a filter with unknown argument kind.
func (ev *evaluator) genericArg(n *ir.FilterNode, c *call, i int) {
	sp := c.sp(i)
	switch v := c.Args[i].(type) {
	case *strV:
		n.Args = append(n.Args, ev.strArg(v))
	case intV:
		n.Args = append(n.Args, ir.Value{Kind: ir.Int, Int: int64(v), Origin: ev.valueOrigin(sp)})
	case boolV:
		n.Args = append(n.Args, ir.Value{Kind: ir.Bool, Bool: bool(v), Origin: ev.valueOrigin(sp)})
	case *sym:
		n.Args = append(n.Args, ir.Value{Kind: ir.Symbol, Str: v.Name, Origin: ev.valueOrigin(sp)})
	case *filterV:
		n.Args = append(n.Args, ir.Value{Kind: ir.Filter, Sub: v.N, Origin: v.N.Origin})
	default:
		ev.fail(sp, "filter-arg-type", "%s: argument %d must be a string, number, symbol or filter, got %s", n.Written, i+1, typeName(v))
	}
}

// constant is what the vocabulary says about a named filter value.
type constant struct {
	num    int64
	hasNum bool // num is the measured encoding
}

// value is the IR form of the constant name: always a Symbol, with the
// number only when it is known (never a made-up 0).
func (k constant) value(name string, o ir.Origin) ir.Value {
	v := ir.Value{Kind: ir.Symbol, Str: name, Origin: o}
	if k.hasNum {
		v.Int, v.HasInt = k.num, true
	}
	return v
}

// namedValue looks name up in f's table of named values.
func namedValue(f *vocab.Filter, name string) (constant, bool) {
	for _, v := range f.Values {
		if v.Name == name {
			return constant{num: v.Value, hasNum: v.HasValue}, true
		}
	}
	return constant{}, false
}

// anyNamedValue looks a constant up in every filter's table, preferring
// an entry whose number is known.
func anyNamedValue(name string) (constant, bool) {
	var found constant
	known := false
	for _, f := range vocab.Filters() {
		if k, ok := namedValue(f, name); ok {
			if k.hasNum {
				return k, true
			}
			found, known = k, true
		}
	}
	return found, known
}

func valueHint(f *vocab.Filter) string {
	if len(f.Values) == 0 {
		return "; it takes numbers"
	}
	var names []string
	for i, v := range f.Values {
		if i == 8 {
			names = append(names, "...")
			break
		}
		names = append(names, v.Name)
	}
	return "; expected one of " + strings.Join(names, ", ")
}

// networkArgs validates (local|remote PROTO ["HOST:PORT"...]) and the
// legacy unix-socket forms.
func (ev *evaluator) networkArgs(f *vocab.Filter, n *ir.FilterNode, c *call) {
	if len(c.Args) == 0 {
		ev.fail(c.Sp, "filter-arity", "%s: expected a protocol such as tcp, udp, ip or unix-socket", f.Name)
	}
	proto, ok := c.Args[0].(*sym)
	if !ok {
		if _, isStr := c.Args[0].(*strV); isStr {
			ev.badAddress(c.sp(0), "", "%s: missing protocol; write (%s ip %s)", f.Name, f.Name, showValue(c.Args[0]))
		}
		ev.badAddress(c.sp(0), "", "%s: expected a protocol such as tcp, udp, ip or unix-socket, got %s", f.Name, describe(c.Args[0]))
	}
	k, known := namedValue(f, proto.Name)
	if !known && proto.Name != "unix" {
		ev.badAddress(c.sp(0), "", "%s: unknown protocol %s%s", f.Name, proto.Name, valueHint(f))
	}
	n.Args = append(n.Args, k.value(proto.Name, ev.valueOrigin(c.sp(0))))
	for i := 1; i < len(c.Args); i++ {
		sp := c.sp(i)
		switch v := c.Args[i].(type) {
		case *strV:
			if proto.Name != "unix" && len(v.Params) == 0 {
				ev.checkAddress(sp, v.S)
			}
			n.Args = append(n.Args, ev.strArg(v))
		case *filterV:
			if proto.Name != "unix" {
				ev.badAddress(sp, "", "%s expects string argument", f.Name)
			}
			n.Args = append(n.Args, ir.Value{Kind: ir.Filter, Sub: v.N, Origin: v.N.Origin})
		default:
			ev.badAddress(sp, "", "%s expects string argument, got %s", f.Name, describe(v))
		}
	}
}

// badAddress fails with a MalformedNetworkAddress problem.
func (ev *evaluator) badAddress(sp source.Span, addr, format string, args ...any) {
	d := ev.errDiag(sp, "malformed-network-address", fmt.Sprintf(format, args...))
	ev.abort(&MalformedNetworkAddress{problem: problem{d}, Address: addr, At: sp})
}

// checkAddress validates HOST:PORT in the same order as libsandbox and
// fails with the lint rule's code and wording (remote-host-not-allowed,
// malformed-network-address), so that every command reports one code per
// problem.
func (ev *evaluator) checkAddress(sp source.Span, a string) {
	code, msg, fix := addressProblem(a)
	if code == "" {
		return
	}
	d := ev.errDiag(sp, code, msg)
	if fix != nil && d.Span == sp {
		if e, ok := fix(sp); ok {
			d.Fixes = []diag.Fix{e}
		}
	}
	if code == "remote-host-not-allowed" {
		host := a[:strings.LastIndexByte(a, ':')] // the problem needs a port separator
		ev.abort(&RemoteHostNotAllowed{problem: problem{d}, Address: a, Host: host, At: sp})
	}
	ev.abort(&MalformedNetworkAddress{problem: problem{d}, Address: a, At: sp})
}

// addressProblem returns the rule code and message for an invalid network
// address (code "" if it is valid), and an optional fix builder for the
// string literal at a span.
func addressProblem(a string) (code, msg string, fix func(source.Span) (diag.Fix, bool)) {
	i := strings.LastIndexByte(a, ':')
	if i < 0 {
		if strings.Contains(a, "/") {
			return "malformed-network-address", fmt.Sprintf("network address %q: libsandbox fails with \"port missing in network address\"; addresses are HOST:PORT, no CIDR ranges", a), nil
		}
		return "malformed-network-address", fmt.Sprintf("network address %q has no port: libsandbox fails with \"port missing in network address\"; write %q", a, a+":*"),
			func(sp source.Span) (diag.Fix, bool) {
				t := sp.Text()
				if !strings.HasSuffix(t, "\"") || len(t) < 2 {
					return diag.Fix{}, false
				}
				at := source.Span{File: sp.File, Start: sp.End - 1, End: sp.End - 1}
				return diag.Fix{Title: fmt.Sprintf("write %q", a+":*"), Edits: []diag.Edit{{Span: at, NewText: ":*"}}}, true
			}
	}
	host, port := a[:i], a[i+1:]
	if host != "*" && host != "localhost" {
		msg = fmt.Sprintf("host %q in network address: libsandbox fails with \"host must be * or localhost in network address\"; filter hosts with a local proxy and allow only localhost:PORT", host)
		if host != "127.0.0.1" && host != "[::1]" && host != "::1" {
			return "remote-host-not-allowed", msg, nil
		}
		return "remote-host-not-allowed", msg, func(sp source.Span) (diag.Fix, bool) {
			k := strings.Index(sp.Text(), host)
			if k < 0 {
				return diag.Fix{}, false
			}
			start := sp.Start + k
			return diag.Fix{Title: fmt.Sprintf("write %q", "localhost"+a[len(host):]),
				Edits: []diag.Edit{{Span: source.Span{File: sp.File, Start: start, End: start + len(host)}, NewText: "localhost"}}}, true
		}
	}
	if port == "*" {
		return "", "", nil
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 || strings.HasPrefix(port, "+") {
		return "malformed-network-address", fmt.Sprintf("invalid port %q in network address: libsandbox fails with \"invalid port in network address\"; use * or one number from 0 to 65535 (no ranges)", port), nil
	}
	return "", "", nil
}

// combinator is require-all, require-any or require-not.
func combinator(k ir.FilterKind) func(ev *evaluator, c *call) value {
	return func(ev *evaluator, c *call) value { return ev.combinator(k, c) }
}

func (ev *evaluator) combinator(k ir.FilterKind, c *call) value {
	n := &ir.FilterNode{Kind: k, Origin: ev.origin(c.Sp)}
	if len(c.Args) == 0 {
		ev.fail(c.Sp, "filter-arity", "%s requires at least one filter", c.Name)
	}
	for i, a := range c.Args {
		f, ok := a.(*filterV)
		if !ok {
			if pf, isPF := a.(*paramFalse); isPF {
				ev.fail(pf.Origin.Primary(), "filter-arg-type", "arguments to %s must be filters, got boolean from (param %q), which is not set", c.Name, pf.Name)
			}
			ev.fail(c.sp(i), "filter-arg-type", "arguments to %s must be filters, got %s %s", c.Name, typeName(a), showValue(a))
		}
		n.Children = append(n.Children, f.N)
		if d := ev.fdepth[f.N] + 1; d > ev.fdepth[n] {
			ev.fdepth[n] = d
		}
	}
	if ev.fdepth[n] > MaxFilterDepth {
		ev.fail(c.Sp, "eval-limit", "filters are nested more than %d levels deep", MaxFilterDepth)
	}
	return &filterV{N: n}
}

// MaxFilterDepth bounds the nesting of require-all/any/not.
const MaxFilterDepth = 1000

// ancestors returns the ancestor directories of an absolute path ("/"
// included, the path itself excluded).
func ancestors(p string) []string {
	var out []string
	p = strings.TrimRight(p, "/")
	for {
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			break
		}
		if i == 0 {
			out = append(out, "/")
			break
		}
		p = p[:i]
		out = append(out, p)
	}
	// outermost first
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

func biPathAncestors(ev *evaluator, c *call) value {
	f, _ := vocab.LookupFilter("literal")
	any := &ir.FilterNode{Kind: ir.Any, Origin: ev.origin(c.Sp)}
	for i := range c.Args {
		s := c.str(ev, i)
		if !strings.HasPrefix(s.S, "/") && !strings.HasPrefix(s.S, "${") {
			ev.fail(c.sp(i), "path-ancestors", "path must start with a /: %q", s.S)
		}
		var list []string
		if strings.HasPrefix(s.S, "${") {
			// ${VAR}/a/b: the variable is an opaque root.
			j := strings.IndexByte(s.S, '}')
			if j < 0 {
				ev.fail(c.sp(i), "path-ancestors", "path must start with a /: %q", s.S)
			}
			root := s.S[:j+1]
			for _, a := range ancestors(s.S[j+1:]) {
				if a == "/" {
					list = append(list, root)
				} else {
					list = append(list, root+a)
				}
			}
		} else {
			list = ancestors(s.S)
		}
		for _, a := range list {
			n := ev.leaf(f, c.Sp)
			v := ev.strArg(s)
			v.Str, v.Raw = a, false
			n.Args = []ir.Value{v}
			any.Children = append(any.Children, n)
		}
	}
	if len(any.Children) == 1 {
		return &filterV{N: any.Children[0]}
	}
	if len(any.Children) == 0 {
		// (path-ancestors "/") has no ancestors: match "/" itself.
		n := ev.leaf(f, c.Sp)
		n.Args = []ir.Value{{Kind: ir.String, Str: "/", Origin: ev.origin(c.Sp)}}
		return &filterV{N: n}
	}
	return &filterV{N: any}
}

func (ev *evaluator) simpleLeaf(name string, sp source.Span, arg ir.Value) *ir.FilterNode {
	f, ok := vocab.LookupFilter(name)
	if !ok {
		return &ir.FilterNode{Kind: ir.Leaf, Name: name, Written: name, Base: name, Args: []ir.Value{arg}, Origin: ev.origin(sp)}
	}
	n := ev.leaf(f, sp)
	n.Args = []ir.Value{arg}
	return n
}

func biRequireEntitlement(ev *evaluator, c *call) value {
	if len(c.Args) > 2 {
		ev.fail(c.sp(2), "filter-arity", "too many arguments to require-entitlement")
	}
	key := c.str(ev, 0)
	ev.useEntitlement(key.S, c.Sp, true)
	load := ev.simpleLeaf("%entitlement-load", c.Sp, ev.strArg(key))
	var val *ir.FilterNode
	if len(c.Args) == 2 {
		f, ok := c.Args[1].(*filterV)
		if !ok {
			ev.fail(c.sp(1), "filter-arg-type", "require-entitlement: expected a filter such as (entitlement-value #t), got %s", describe(c.Args[1]))
		}
		val = f.N
	} else {
		val = ev.simpleLeaf("%entitlement-boolean", c.Sp, ir.Value{Kind: ir.Bool, Bool: true, Origin: ev.origin(c.Sp)})
	}
	return &filterV{N: &ir.FilterNode{Kind: ir.All, Children: []*ir.FilterNode{load, val}, Origin: ev.origin(c.Sp)}}
}

func biEntitlementValue(ev *evaluator, c *call) value {
	switch v := c.Args[0].(type) {
	case *strV:
		return &filterV{N: ev.simpleLeaf("%entitlement-string", c.Sp, ev.strArg(v))}
	case boolV:
		return &filterV{N: ev.simpleLeaf("%entitlement-boolean", c.Sp, ir.Value{Kind: ir.Bool, Bool: bool(v), Origin: ev.valueOrigin(c.sp(0))})}
	}
	ev.fail(c.sp(0), "filter-arg-type", "entitlement-value argument must be string or boolean")
	return nil
}

func biEntitlementValueRegex(ev *evaluator, c *call) value {
	s, ok := c.Args[0].(*strV)
	if !ok {
		ev.fail(c.sp(0), "filter-arg-type", "entitlement-value-regex argument must be string")
	}
	return &filterV{N: ev.simpleLeaf("%entitlement-string-regex", c.Sp, ev.strArg(s))}
}

// ruleOf is allow or deny.
func ruleOf(action ir.Action) func(ev *evaluator, c *call) value {
	return func(ev *evaluator, c *call) value { return ev.rule(action, c) }
}

// rule is (allow ...) / (deny ...).
func (ev *evaluator) rule(action ir.Action, c *call) value {
	r := &ir.Rule{Action: action}
	nops, nfilters := 0, 0
	for _, a := range c.Args {
		switch a.(type) {
		case *opV:
			nops++
		case *filterV:
			nfilters++
		}
	}
	r.Ops = make([]ir.Op, 0, nops)
	var filters []*ir.FilterNode
	if nfilters > 1 {
		filters = make([]*ir.FilterNode, 0, nfilters)
	}
	noops := 0
	seenMod := map[string]bool{}
	for i, a := range c.Args {
		switch v := a.(type) {
		case *opV:
			if v.NoOp {
				noops++
				continue
			}
			sp := v.Sp
			if !sp.IsValid() {
				sp = c.sp(i)
			}
			r.Ops = append(r.Ops, ir.Op{Name: v.Name, Written: v.Written, Span: sp})
			if ev.hasTarget && !ev.target.HasOperation(v.Name) {
				d := ev.warnDiag(sp, "op-not-on-target", "operation %s is not in the %s operation table; libsandbox there reports \"unbound variable: %s\"", v.Written, ev.target.Name, v.Written)
				ev.add(&OpNotOnTarget{problem: problem{d}, Op: v.Written, Target: ev.target.Name, At: sp})
			}
		case *filterV:
			filters = append(filters, v.N)
		case *modV:
			if seenMod[v.M.Name] {
				ev.fail(c.sp(i), "duplicate-modifier", "%s modifier can only appear once per rule", v.M.Name)
			}
			seenMod[v.M.Name] = true
			r.Modifiers = append(r.Modifiers, v.M)
		case *paramFalse:
			ev.fail(v.Origin.Primary(), "rule-arg", "%s: got #f from (param %q), which is not set; expected an operation, a filter or a modifier", action, v.Name)
		case *sym:
			ev.fail(c.sp(i), "rule-arg", "%s: argument %d is the symbol %s, not an operation; write it without a quote", action, i+1, v.Name)
		default:
			ev.fail(c.sp(i), "rule-arg", "%s: argument %d must be an operation, a filter or a modifier, got %s %s", action, i+1, typeName(a), showValue(a))
		}
	}
	if len(r.Ops) == 0 {
		if noops > 0 {
			return theUnspec // rules naming only no-op operations are dropped
		}
		ev.fail(c.Sp, "rule-arg", "%s: at least one operation required", action)
	}
	switch len(filters) {
	case 0:
	case 1:
		r.Filter = filters[0]
	default:
		r.Filter = &ir.FilterNode{Kind: ir.Any, Children: filters, Origin: ev.origin(c.Sp)}
	}
	for i := len(ev.withFilters) - 1; i >= 0; i-- {
		wf := ev.withFilters[i]
		if r.Filter == nil {
			r.Filter = wf
		} else {
			r.Filter = &ir.FilterNode{Kind: ir.All, Children: []*ir.FilterNode{r.Filter, wf}, Origin: ev.origin(c.Sp)}
		}
	}
	for _, m := range ev.withMods {
		if !seenMod[m.Name] {
			r.Modifiers = append(r.Modifiers, m)
			seenMod[m.Name] = true
		}
	}
	r.Origin = ev.origin(c.Sp)
	if ev.msg != nil {
		ev.msg.rules = append(ev.msg.rules, r)
		return theUnspec
	}
	if len(ev.prof.Rules) >= ev.lim.Rules {
		ev.fatal(c.Sp, "eval-limit", "profile exceeds the rule limit (%d rules)", ev.lim.Rules)
	}
	ev.prof.Rules = append(ev.prof.Rules, r)
	return theUnspec
}

// synWith is (with NAME ARG...): the name is not evaluated.
func synWith(ev *evaluator, form *pair, sp source.Span, e *env) (value, source.Span, *env, bool) {
	vs, sps := ev.elems(form, sp)
	if len(vs) == 0 {
		ev.fail(sp, "modifier", "with: expected a modifier name")
	}
	var name string
	switch v := vs[0].(type) {
	case *sym:
		name = v.Name
		if _, ok := vocab.LookupModifier(name); !ok {
			// Maybe a variable holding a modifier name.
			if x, bound := e.lookup(v); bound {
				if s, ok := x.(*sym); ok {
					name = s.Name
				}
			}
		}
	default:
		ev.fail(sps[0], "modifier", "with: expected a modifier name, got %s", describe(vs[0]))
	}
	mod, known := vocab.LookupModifier(name)
	if !known {
		var names []string
		for _, m := range vocab.Modifiers() {
			names = append(names, m.Name)
		}
		msg := "unbound variable: " + name
		if s := suggestName(name, names); s != "" {
			msg += "; did you mean " + s + "?"
		}
		d := ev.errDiag(sps[0], "unbound-identifier", msg+" (not a known modifier)")
		ev.abort(&UnknownModifier{ev.unboundOf(name, sps[0], e, d)})
	}
	m := ir.Modifier{Name: name, Origin: ev.origin(sp)}
	if mod.Kind == "modifier-alias" && mod.AliasOf != "" && !strings.Contains(mod.AliasOf, " ") {
		m.Name = mod.AliasOf
	}
	for i := 1; i < len(vs); i++ {
		var a value
		if s, ok := vs[i].(*sym); ok {
			if x, bound := e.lookup(s); bound {
				a = x
				if c, ok := x.(*constV); ok {
					a = ev.intern(c.Name)
				}
			} else {
				ev.unbound(s, sps[i], e, nil, false)
			}
		} else {
			a = ev.eval(vs[i], sps[i], e)
		}
		switch v := a.(type) {
		case *strV:
			m.Args = append(m.Args, ev.strArg(v))
		case intV:
			m.Args = append(m.Args, ir.Value{Kind: ir.Int, Int: int64(v), Origin: ev.valueOrigin(sps[i])})
		case boolV:
			m.Args = append(m.Args, ir.Value{Kind: ir.Bool, Bool: bool(v), Origin: ev.valueOrigin(sps[i])})
		case *sym:
			if _, isConst := v.gval.(*constV); !isConst {
				ev.fail(sps[i], "modifier", "with %s: %s is not a known constant such as SIGKILL or EPERM", name, v.Name)
			}
			m.Args = append(m.Args, ir.Value{Kind: ir.Symbol, Str: v.Name, Origin: ev.valueOrigin(sps[i])})
		case *filterV:
			m.Args = append(m.Args, ir.Value{Kind: ir.Filter, Sub: v.N, Origin: v.N.Origin})
		default:
			ev.fail(sps[i], "modifier", "with %s: argument must be a string, number or symbol, got %s", name, describe(a))
		}
	}
	if mod.Arg == "none" && len(m.Args) > 0 {
		ev.fail(sps[1], "modifier", "unexpected argument: the %s modifier takes no argument", name)
	}
	if (mod.Arg == "string" || mod.Arg == "integer") && len(m.Args) == 0 {
		ev.fail(sp, "modifier", "with %s: expected %s %s argument", name, article(mod.Arg), mod.Arg)
	}
	return done(&modV{M: m})
}

func article(s string) string {
	if s != "" && strings.ContainsRune("aeiou", rune(s[0])) {
		return "an"
	}
	return "a"
}

// synDebug is (debug MODE...): the modes are recorded, not evaluated.
func synDebug(ev *evaluator, form *pair, sp source.Span, e *env) (value, source.Span, *env, bool) {
	vs, _ := ev.elems(form, sp)
	for _, v := range vs {
		var b strings.Builder
		writeValue(&b, v, true, 0)
		ev.prof.Debug = append(ev.prof.Debug, b.String())
	}
	return done(theUnspec)
}

// scoped is with-filter (filter true) or with-modifier:
// (with-filter FILTER RULE...) ANDs FILTER into every rule evaluated
// inside, (with-modifier (with M...) RULE...) adds the modifier to each.
// When a rule inside fails, the statement's recovery restores the stacks.
func scoped(filter bool) syntaxFn {
	form, what, example, code := "with-modifier", "a modifier", " such as (with report)", "modifier"
	if filter {
		form, what, example, code = "with-filter", "a filter", "", "filter-arg-type"
	}
	return func(ev *evaluator, f *pair, sp source.Span, e *env) (value, source.Span, *env, bool) {
		vs, sps := ev.elems(f, sp)
		if len(vs) < 1 {
			ev.fail(sp, "syntax-error", "%s: expected %s and rules", form, what)
		}
		nf, nm := len(ev.withFilters), len(ev.withMods)
		v := ev.eval(vs[0], sps[0], e)
		if fv, ok := v.(*filterV); ok && filter {
			ev.withFilters = append(ev.withFilters, fv.N)
		} else if mv, ok := v.(*modV); ok && !filter {
			ev.withMods = append(ev.withMods, mv.M)
		} else {
			ev.fail(sps[0], code, "%s: expected %s%s", form, what, example)
		}
		ev.evalStmts(vs[1:], sps[1:], e)
		ev.withFilters, ev.withMods = ev.withFilters[:nf], ev.withMods[:nm]
		return done(theUnspec)
	}
}

// evalStmts evaluates forms in order for their effects.
func (ev *evaluator) evalStmts(vs []value, sps []source.Span, e *env) {
	for i := range vs {
		ev.evalStmt(vs[i], sps[i], e)
	}
}

// synMessageFilter is (apply-message-filter RULE...): the rules are
// collected into a message-filter modifier instead of the profile.
func synMessageFilter(ev *evaluator, form *pair, sp source.Span, e *env) (value, source.Span, *env, bool) {
	vs, sps := ev.elems(form, sp)
	saved, savedWF, savedWM := ev.msg, ev.withFilters, ev.withMods
	ev.msg, ev.withFilters, ev.withMods = &msgCtx{}, nil, nil
	ctx := ev.msg
	defer func() { ev.msg, ev.withFilters, ev.withMods = saved, savedWF, savedWM }()
	for i := range vs {
		ev.eval(vs[i], sps[i], e)
	}
	for i, r := range ctx.rules {
		r.Index = i
	}
	return done(&modV{M: ir.Modifier{Name: "message-filter", Rules: ctx.rules, Origin: ev.origin(sp)}})
}

func biVersion(ev *evaluator, c *call) value {
	if _, ok := c.Args[0].(intV); !ok {
		d := ev.errDiag(c.sp(0), "unsupported-version", "(version N) takes one integer: libsandbox fails with \"unsupported version\"")
		ev.abort(&UnsupportedVersion{problem: problem{d}, At: c.sp(0)})
	}
	n := c.integer(ev, 0)
	if n < 1 || n > 3 {
		d := ev.errDiag(c.sp(0), "unsupported-version", fmt.Sprintf("version %d is not supported: libsandbox fails with \"unsupported version\"; use (version 1)", n))
		ev.abort(&UnsupportedVersion{problem: problem{d}, At: c.sp(0)})
	}
	if ev.versionSeen && int64(ev.prof.Version) != n {
		dv := &DuplicateVersion{At: c.Sp, First: ev.prof.VersionSpan, Cpp: ev.curCpp}
		if ev.curCpp {
			dv.d = ev.warnDiag(c.Sp, "duplicate-version", "second version %d ignored (already %d); this file has C-preprocessor conditionals that sbplc evaluates as comments, so both branches ran: run it through cpp first", n, ev.prof.Version)
			ev.add(dv)
			return theUnspec
		}
		dv.d = ev.errDiag(c.Sp, "duplicate-version", "second (version) form with a different version: libsandbox fails with \"only one version may be specified\"")
		dv.d.Related = append(dv.d.Related, rel(ev.prof.VersionSpan, "first (version) form"))
		ev.abort(dv)
	}
	if !ev.versionSeen {
		ev.prof.Version, ev.prof.VersionSpan, ev.versionSeen = int(n), ev.origin(c.Sp).Primary(), true
	}
	return theUnspec
}

func biParam(ev *evaluator, c *call) value {
	var name string
	switch v := c.Args[0].(type) {
	case *strV:
		name = v.S
	case *sym:
		name = v.Name
	default:
		c.bad(ev, 0, "a string")
	}
	o := ev.origin(c.Sp)
	val, bound := ev.opts.Params[name]
	if !ev.paramSeen[name] {
		ev.paramSeen[name] = true
		ev.prof.Params = append(ev.prof.Params, ir.ParamUse{Name: name, Bound: bound, Value: val, Origin: o})
	}
	if bound {
		return &strV{S: val, From: []string{name}, Origin: o}
	}
	if !ev.paramWarned[name] {
		ev.paramWarned[name] = true
		var d diag.Diagnostic
		if ev.opts.StrictParams {
			d = ev.warnDiag(c.Sp, "unbound-param", "param %q is not set; it evaluates to #f as in libsandbox (pass -D %s=VALUE)", name, name)
		} else {
			d = ev.warnDiag(c.Sp, "unbound-param", "param %q is not set; analysing with the placeholder ${%s} (pass -D %s=VALUE, or --strict-params for libsandbox's #f)", name, name, name)
		}
		up := &UnboundParam{problem: problem{d}, Name: name, At: c.Sp, Strict: ev.opts.StrictParams}
		ev.paramProblem[name] = up
		ev.add(up)
	}
	if ev.opts.StrictParams {
		return &paramFalse{Name: name, Origin: o}
	}
	return &strV{S: "${" + name + "}", Params: []string{name}, From: []string{name}, Origin: o}
}

func biTrace(ev *evaluator, c *call) value {
	s, ok := c.Args[0].(*strV)
	if !ok {
		ev.fail(c.sp(0), "unsupported-debug-trace", "argument to trace must be a string")
	}
	if ev.prof.Trace != "" && ev.prof.Trace != s.S {
		ev.fail(c.Sp, "unsupported-debug-trace", "only one trace path may be specified")
	}
	ev.prof.Trace = s.S
	return theUnspec
}

const regexMeta = `\^$.|?*+()[]{}`

func biRegexQuote(ev *evaluator, c *call) value {
	s := c.str(ev, 0)
	var b strings.Builder
	text := s.S
	for i := 0; i < len(text); i++ {
		if ph := placeholderAt(text, i, s.Params); ph != "" {
			b.WriteString(ph)
			i += len(ph) - 1
			continue
		}
		if strings.IndexByte(regexMeta, text[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(text[i])
	}
	out := derived(ev, s, b.String(), c.Sp)
	return out
}

// placeholderAt returns the ${NAME} placeholder of an unbound param at
// text[i:], or "".
func placeholderAt(text string, i int, params []string) string {
	if len(params) == 0 || !strings.HasPrefix(text[i:], "${") {
		return ""
	}
	for _, p := range params {
		ph := "${" + p + "}"
		if strings.HasPrefix(text[i:], ph) {
			return ph
		}
	}
	return ""
}

func biVariableQuote(ev *evaluator, c *call) value {
	s := c.str(ev, 0)
	var b strings.Builder
	text := s.S
	for i := 0; i < len(text); i++ {
		if ph := placeholderAt(text, i, s.Params); ph != "" {
			b.WriteString(ph)
			i += len(ph) - 1
			continue
		}
		if text[i] == '$' {
			b.WriteByte('\\')
		}
		b.WriteByte(text[i])
	}
	return derived(ev, s, b.String(), c.Sp)
}

// suggestName is spell.Nearest, except for unquote and unquote-splicing,
// which unboundNote explains instead.
func suggestName(name string, cands []string) string {
	if name == "unquote" || name == "unquote-splicing" {
		return "" // unquote outside quasiquote: see unboundNote
	}
	return spell.Nearest(name, cands)
}

// unboundNote explains common causes of an unbound identifier.
func unboundNote(name string) string {
	if name == "unquote" || name == "unquote-splicing" {
		return ", and ,@ (unquote, unquote-splicing) work only inside a ` (quasiquote) template such as `(allow file-read* (literal ,p))"
	}
	if b, ok := vocab.LookupBuiltin(name); ok && !b.Bound() {
		where := map[string]string{
			"apple-profile-helper":  "Apple's system profiles (application.sb, system.sb)",
			"webkit-profile-helper": "WebKit's util.sb",
		}[b.Kind]
		if where == "" {
			where = "the profile that uses it"
		}
		return fmt.Sprintf("%s is a helper defined in %s, not a libsandbox builtin: import the file that defines it (-I DIR), or define it", name, where)
	}
	return ""
}
