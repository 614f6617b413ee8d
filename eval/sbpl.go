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

type defFn = func(name string, min, max int, fn func(ev *evaluator, c *call) value)

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

func addSBPL(t map[string]value, def defFn, syn func(string, syntaxFn)) {
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
			f := f
			def(f.Name, 0, -1, func(ev *evaluator, c *call) value { return ev.leafFilter(f, c) })
		}
	}
	for name, h := range helperFilters {
		name, h := name, h
		def(name, 0, 0, func(ev *evaluator, c *call) value {
			f, _ := vocab.LookupFilter(h.filter)
			n := ev.leaf(f, c.Sp)
			n.Written = h.filter
			if h.sym {
				n.Args = []ir.Value{{Kind: ir.Symbol, Str: h.arg, Origin: n.Origin}}
			} else {
				n.Args = []ir.Value{{Kind: ir.String, Str: h.arg, Origin: n.Origin}}
			}
			return &filterV{N: n}
		})
	}
	for _, g := range syscallGroups {
		name := "syscall-group-" + g
		def(name, 0, 0, func(ev *evaluator, c *call) value {
			return &filterV{N: &ir.FilterNode{Kind: ir.Leaf, Name: name, Written: name, Base: name, Origin: ev.origin(c.Sp)}}
		})
	}
	def("require-all", 0, -1, func(ev *evaluator, c *call) value { return ev.combinator(ir.All, c) })
	def("require-any", 0, -1, func(ev *evaluator, c *call) value { return ev.combinator(ir.Any, c) })
	def("require-not", 1, 1, func(ev *evaluator, c *call) value { return ev.combinator(ir.Not, c) })
	def("path-ancestors", 1, -1, biPathAncestors)
	def("require-entitlement", 1, -1, biRequireEntitlement)
	def("entitlement-value", 1, 1, biEntitlementValue)
	def("entitlement-value-regex", 1, 1, biEntitlementValueRegex)

	def("allow", 0, -1, func(ev *evaluator, c *call) value { return ev.rule(ir.Allow, c) })
	def("deny", 0, -1, func(ev *evaluator, c *call) value { return ev.rule(ir.Deny, c) })
	def("version", 1, 1, biVersion)
	def("param", 1, 1, biParam)
	def("getenv", 1, 1, biParam)
	def("import", 1, 1, biImport)
	def("trace", 1, 1, biTrace)
	def("regex-quote", 1, 1, biRegexQuote)
	def("variable-quote", 1, 1, biVariableQuote)
	def("_IO", 2, 2, func(ev *evaluator, c *call) value {
		s := c.str(ev, 0).S
		if len(s) != 1 {
			ev.fail(c.sp(0), "type-error", "_IO: group must be a one-character string, got %q", s)
		}
		return intV(int64(s[0])*256 + c.integer(ev, 1))
	})
	// Builtins that copy their arguments and call no procedure (plainForm).
	pure := func(name string) {
		if b, ok := t[name].(*builtin); ok {
			b.Pure = true
		}
	}
	for _, f := range vocab.Filters() {
		pure(f.Name)
	}
	for name := range helperFilters {
		pure(name)
	}
	for _, g := range syscallGroups {
		pure("syscall-group-" + g)
	}
	for _, name := range []string{"require-all", "require-any", "require-not", "path-ancestors",
		"require-entitlement", "entitlement-value", "entitlement-value-regex", "allow", "deny",
		"version", "param", "getenv", "regex-quote", "variable-quote"} {
		pure(name)
	}
	def("sbpl-filter?", 1, 1, pred(func(v value) bool { _, ok := v.(*filterV); return ok }))
	def("sbpl-operation?", 1, 1, pred(func(v value) bool { _, ok := v.(*opV); return ok }))
	def("sbpl-modifier?", 1, 1, pred(func(v value) bool { _, ok := v.(*modV); return ok }))
	def("disable-callouts", 0, 0, func(ev *evaluator, c *call) value { return theUnspec })
	def("disable-full-symbolication", 0, 0, func(ev *evaluator, c *call) value { return theUnspec })
	for k, v := range map[string]string{
		"*ios-sandbox-container*":         "com.apple.sandbox.container",
		"*ios-sandbox-application-group*": "com.apple.sandbox.application-group",
		"*ios-sandbox-system-container*":  "com.apple.sandbox.system-container",
		"*ios-sandbox-system-group*":      "com.apple.sandbox.system-group",
		"*sandbox-executable-bundle*":     "com.apple.sandbox.executable",
		"*target-platform*":               "mac",
	} {
		t[k] = &strV{S: v}
	}
	t["*default-import-search-paths*"] = listOf(&strV{S: "/System/Library/Sandbox/Profiles"}, &strV{S: "/usr/share/sandbox"})

	syn("with", synWith)
	syn("debug", synDebug)
	syn("with-filter", synWithFilter)
	syn("with-modifier", synWithModifier)
	syn("apply-message-filter", synMessageFilter)
}

// leaf returns an empty leaf node for f created at sp.
func (ev *evaluator) leaf(f *vocab.Filter, sp source.Span) *ir.FilterNode {
	n := ev.newLeafNode()
	*n = ir.FilterNode{Kind: ir.Leaf, Name: f.Canonical, Written: f.Name, Base: f.Base, Match: f.Match, Origin: ev.origin(sp)}
	return n
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
	panic(&evalErr{D: d})
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
	return ir.Value{Kind: ir.String, Str: s.S, Raw: s.Raw, Params: s.Params, Origin: o}
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

// leafFilter builds a base, derived or alias filter from its arguments.
func (ev *evaluator) leafFilter(f *vocab.Filter, c *call) value {
	n := ev.leaf(f, c.Sp)
	if f.ArgKind == "network-address" {
		ev.networkArgs(f, n, c)
		return &filterV{N: n}
	}
	if len(c.Args) == 0 {
		ev.fail(c.Sp, "filter-arity", "%s: expected at least one argument", f.Name)
	}
	n.Args = ev.newValues(len(c.Args))
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
	return ev.filterValue(n)
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
			ev.fail(c.sp(0), "malformed-network-address", "%s: missing protocol; write (%s ip %s)", f.Name, f.Name, showValue(c.Args[0]))
		}
		ev.fail(c.sp(0), "malformed-network-address", "%s: expected a protocol such as tcp, udp, ip or unix-socket, got %s", f.Name, describe(c.Args[0]))
	}
	k, known := namedValue(f, proto.Name)
	if !known && proto.Name != "unix" {
		ev.fail(c.sp(0), "malformed-network-address", "%s: unknown protocol %s%s", f.Name, proto.Name, valueHint(f))
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
				ev.fail(sp, "malformed-network-address", "%s expects string argument", f.Name)
			}
			n.Args = append(n.Args, ir.Value{Kind: ir.Filter, Sub: v.N, Origin: v.N.Origin})
		default:
			ev.fail(sp, "malformed-network-address", "%s expects string argument, got %s", f.Name, describe(v))
		}
	}
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
	panic(&evalErr{D: d})
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
	return ev.filterValue(n)
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

// rule is (allow ...) / (deny ...).
func (ev *evaluator) rule(action ir.Action, c *call) value {
	r := ev.newRule()
	r.Action = action
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
				ev.warn(sp, "op-not-on-target", "operation %s is not in the %s operation table; libsandbox there reports \"unbound variable: %s\"", v.Written, ev.target.Name, v.Written)
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
	var fa formArgs
	vs, sps := ev.elemsInto(form, sp, &fa)
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
		ev.fail(sps[0], "unbound-identifier", "%s (not a known modifier)", msg)
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
				ev.unbound(s, sps[i], e)
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
	var fa formArgs
	vs, _ := ev.elemsInto(form, sp, &fa)
	for _, v := range vs {
		var b strings.Builder
		writeValue(&b, v, true, 0)
		ev.prof.Debug = append(ev.prof.Debug, b.String())
	}
	return done(theUnspec)
}

// synWithFilter is (with-filter FILTER RULE...): FILTER is ANDed into
// every rule evaluated inside.
func synWithFilter(ev *evaluator, form *pair, sp source.Span, e *env) (value, source.Span, *env, bool) {
	vs, sps := ev.scopedForm(form, sp, "with-filter: expected a filter and rules")
	f, ok := ev.eval(vs[0], sps[0], e).(*filterV)
	if !ok {
		ev.fail(sps[0], "filter-arg-type", "with-filter: expected a filter")
	}
	ev.withFilters = append(ev.withFilters, f.N)
	n := len(ev.withFilters)
	ev.evalStmts(vs[1:], sps[1:], e)
	ev.withFilters = ev.withFilters[:n-1]
	return done(theUnspec)
}

// synWithModifier is (with-modifier (with M...) RULE...): the modifier is
// added to every rule evaluated inside.
func synWithModifier(ev *evaluator, form *pair, sp source.Span, e *env) (value, source.Span, *env, bool) {
	vs, sps := ev.scopedForm(form, sp, "with-modifier: expected a modifier and rules")
	m, ok := ev.eval(vs[0], sps[0], e).(*modV)
	if !ok {
		ev.fail(sps[0], "modifier", "with-modifier: expected a modifier such as (with report)")
	}
	ev.withMods = append(ev.withMods, m.M)
	n := len(ev.withMods)
	ev.evalStmts(vs[1:], sps[1:], e)
	ev.withMods = ev.withMods[:n-1]
	return done(theUnspec)
}

// scopedForm returns the arguments of a with-filter/with-modifier form.
// The stacks they push are restored by the top level when a rule inside
// fails.
func (ev *evaluator) scopedForm(form *pair, sp source.Span, usage string) ([]value, []source.Span) {
	var fa formArgs
	vs, sps := ev.elemsInto(form, sp, &fa)
	if len(vs) < 1 {
		ev.fail(sp, "syntax-error", "%s", usage)
	}
	return vs, sps
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
	var fa formArgs
	vs, sps := ev.elemsInto(form, sp, &fa)
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
	switch c.Args[0].(type) {
	case intV:
	default:
		ev.fail(c.sp(0), "unsupported-version", "(version N) takes one integer: libsandbox fails with \"unsupported version\"")
	}
	n := c.integer(ev, 0)
	if n < 1 || n > 3 {
		ev.fail(c.sp(0), "unsupported-version", "version %d is not supported: libsandbox fails with \"unsupported version\"; use (version 1)", n)
	}
	if ev.versionSeen && int64(ev.prof.Version) != n && ev.curCpp {
		ev.warn(c.Sp, "duplicate-version", "second version %d ignored (already %d); this file has C-preprocessor conditionals that sbplc evaluates as comments, so both branches ran: run it through cpp first", n, ev.prof.Version)
		return theUnspec
	}
	if ev.versionSeen && int64(ev.prof.Version) != n {
		d := ev.errDiag(c.Sp, "duplicate-version", "second (version) form with a different version: libsandbox fails with \"only one version may be specified\"")
		d.Related = append(d.Related, rel(ev.prof.VersionSpan, "first (version) form"))
		panic(&evalErr{D: d})
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
		return &strV{S: val, Origin: o}
	}
	if !ev.paramWarned[name] {
		ev.paramWarned[name] = true
		ev.paramDiag[name] = len(ev.diags)
		if ev.opts.StrictParams {
			ev.warn(c.Sp, "unbound-param", "param %q is not set; it evaluates to #f as in libsandbox (pass -D %s=VALUE)", name, name)
		} else {
			ev.warn(c.Sp, "unbound-param", "param %q is not set; analysing with the placeholder ${%s} (pass -D %s=VALUE, or --strict-params for libsandbox's #f)", name, name, name)
		}
	}
	if ev.opts.StrictParams {
		return &paramFalse{Name: name, Origin: o}
	}
	return &strV{S: "${" + name + "}", Params: []string{name}, Origin: o}
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
