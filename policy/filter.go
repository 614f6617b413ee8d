package policy

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/vocab"
)

// tri is a three-valued match result.
type tri uint8

const (
	no tri = iota
	yes
	maybe
)

// maxFilterDepth bounds filter nesting the engine compiles.
const maxFilterDepth = 10000

type leafKind uint8

const (
	lkUnknown leafKind = iota // cannot be evaluated: reason says why
	lkConst                   // forced by --assume
	lkPath                    // path family: literal/subpath/prefix/regex on the path
	lkName                    // a name filter (global-name, sysctl-name, ...)
	lkTarget                  // (target ...)
	lkVnode                   // (vnode-type ...)
	lkNet                     // (local|remote PROTO "HOST:PORT" ...)
	lkUnix                    // (local|remote unix-socket [path filter])
)

// carg is one compiled argument of a leaf.
type carg struct {
	s       string
	re      *cregex
	unknown string         // non-empty: this argument cannot be evaluated
	sym     *regexp.Regexp // for a symbolic unknown: the strings it can stand for
	net     *netAddr       // lkNet: the address (nil for other kinds)
}

type netAddr struct {
	proto  string // ip, tcp, udp
	family int    // 0, 4, 6
	host   string // "*" or "localhost"
	port   int    // AnyPort or a number
}

// cnode is a compiled filter node.
type cnode struct {
	kind   ir.FilterKind
	lk     leafKind
	match  ir.Match // for lkPath / lkName
	remote bool     // lkNet / lkUnix: remote (true) or local
	forced tri      // lkConst

	kids   []*cnode
	dim    string // the resource dimension: "path", "global-name", ...
	args   []carg
	sub    *cnode // lkUnix: the path filter, nil = any unix socket
	reason string // lkUnknown, or the reason a maybe came from

	src *ir.FilterNode
}

// isNameDim reports whether dim is a filter that names the resource of a
// name operation. A filter on a dimension the request does not have never
// matches. (A switch: this runs for every leaf a profile compiles.)
func isNameDim(dim string) bool {
	switch dim {
	case "global-name", "local-name", "xpc-service-name",
		"sysctl-name", "iokit-registry-entry-class",
		"preference-domain", "appleevent-destination",
		"notification-name", "ipc-posix-name", "nvram-variable",
		"right-name", "boot-arg", "kext-bundle-id":
		return true
	}
	return false
}

// nameDimFor returns the name filter that names op's resource.
func nameDimFor(op string, ns Namespace) string {
	switch {
	case strings.HasPrefix(op, "mach-"):
		switch ns {
		case Local:
			return "local-name"
		case XPC:
			return "xpc-service-name"
		}
		return "global-name"
	case strings.HasPrefix(op, "sysctl"):
		return "sysctl-name"
	case strings.HasPrefix(op, "iokit"):
		return "iokit-registry-entry-class"
	case strings.Contains(op, "preference"):
		return "preference-domain"
	case strings.HasPrefix(op, "appleevent"):
		return "appleevent-destination"
	case strings.HasSuffix(op, "notification-post"):
		return "notification-name"
	case strings.HasPrefix(op, "ipc-posix"):
		return "ipc-posix-name"
	case strings.HasPrefix(op, "nvram"):
		return "nvram-variable"
	case op == "authorization-right-obtain":
		return "right-name"
	case op == "boot-arg-set":
		return "boot-arg"
	case strings.HasPrefix(op, "system-kext"):
		return "kext-bundle-id"
	}
	return ""
}

// LeafDim returns the request dimension a leaf tests (its base filter:
// "path" for literal, subpath, prefix and regex) and how it compares its
// arguments. The evaluator records both from the vocabulary
// (ir.FilterNode.Base and Match); a leaf built without them (hand-written
// IR) is looked up in the vocabulary by name, so vocab stays the one
// source of filter facts. A leaf the vocabulary does not know tests the
// dimension of its own name.
func LeafDim(f *ir.FilterNode) (string, ir.Match) {
	dim, m := f.Base, f.Match
	if dim == "" {
		for _, name := range [...]string{f.Name, f.Written} {
			if vf, ok := vocab.LookupFilter(name); ok && vf.Base != "" {
				dim, m = vf.Base, vf.Match
				break
			}
		}
	}
	if dim == "" {
		dim = filterName(f)
	}
	return dim, m
}

// compiler turns IR filters into cnodes.
type compiler struct {
	opts  *Options
	diags diag.List
	// reasons memoises unknownReason by filter name and dimension: large
	// profiles repeat the same unevaluable filters many times.
	reasons map[[2]string]string
}

// reason returns unknownReason(f, dim), memoised.
func (c *compiler) reason(f *ir.FilterNode, dim string) string {
	k := [2]string{filterName(f), dim}
	if r, ok := c.reasons[k]; ok {
		return r
	}
	if c.reasons == nil {
		c.reasons = map[[2]string]string{}
	}
	r := unknownReason(f, dim)
	c.reasons[k] = r
	return r
}

func (c *compiler) compile(f *ir.FilterNode, depth int) *cnode {
	if f == nil {
		return nil
	}
	if depth > maxFilterDepth {
		return &cnode{kind: ir.Leaf, lk: lkUnknown, reason: "filter nesting is too deep to evaluate", src: f}
	}
	switch f.Kind {
	case ir.All, ir.Any, ir.Not:
		n := &cnode{kind: f.Kind, src: f, kids: make([]*cnode, 0, len(f.Children))}
		for _, k := range f.Children {
			if k != nil {
				n.kids = append(n.kids, c.compile(k, depth+1))
			}
		}
		if f.Kind == ir.Not && len(n.kids) != 1 {
			return &cnode{kind: ir.Leaf, lk: lkUnknown, reason: "require-not needs exactly one filter", src: f}
		}
		return n
	}
	return c.leaf(f, depth)
}

func (c *compiler) leaf(f *ir.FilterNode, depth int) *cnode {
	n := &cnode{}
	n.kind, n.src = ir.Leaf, f
	if v, ok := c.assumed(f); ok {
		n.lk, n.forced = lkConst, no
		if v {
			n.forced = yes
		}
		return n
	}
	dim, m := LeafDim(f)
	n.dim, n.match = dim, m
	switch {
	case dim == "path":
		n.lk = lkPath
		c.stringArgs(n, f)
	case isNameDim(dim):
		n.lk = lkName
		c.stringArgs(n, f)
	case dim == "target":
		n.lk = lkTarget
		n.args = make([]carg, 0, len(f.Args))
		for _, a := range f.Args {
			switch a.Kind {
			case ir.Symbol, ir.String:
				t := strings.ToLower(a.Str)
				if !validTarget(t) {
					n.args = append(n.args, carg{unknown: fmt.Sprintf("target %q is not one of self, pgrp, others, children, same-sandbox, initproc", a.Str)})
					continue
				}
				n.args = append(n.args, carg{s: t})
			default:
				n.args = append(n.args, carg{unknown: "target argument is not a symbol"})
			}
		}
	case dim == "vnode-type":
		n.lk = lkVnode
		n.args = make([]carg, 0, len(f.Args))
		for _, a := range f.Args {
			if a.Kind == ir.Symbol || a.Kind == ir.String {
				n.args = append(n.args, carg{s: strings.ToUpper(a.Str)})
			} else {
				n.args = append(n.args, carg{unknown: "vnode-type given as a number"})
			}
		}
	case dim == "local" || dim == "remote":
		c.network(n, f, dim == "remote", depth)
	default:
		n.lk = lkUnknown
		n.reason = c.reason(f, dim)
	}
	return n
}

func filterName(f *ir.FilterNode) string {
	if f.Written != "" {
		return f.Written
	}
	return f.Name
}

func unknownReason(f *ir.FilterNode, dim string) string {
	name := filterName(f)
	low := name + " " + dim
	switch {
	case strings.Contains(low, "entitlement"):
		shown := name
		if strings.HasPrefix(shown, "%") {
			shown = "require-entitlement"
		}
		return fmt.Sprintf("(%s ...) depends on the process's entitlements: decide it with --assume entitlement=true|false", shown)
	case strings.Contains(low, "extension"):
		return fmt.Sprintf("(%s ...) depends on sandbox extensions issued at run time: decide it with --assume %s=true|false", name, name)
	case strings.Contains(low, "signing-identifier") || strings.Contains(low, "process") || dim == "uid" || dim == "persona-type":
		return fmt.Sprintf("(%s ...) depends on attributes of the process: decide it with --assume %s=true|false", name, name)
	case dim == "system-attribute" || dim == "csr" || dim == "state-flag" || dim == "profile-flag":
		return fmt.Sprintf("(%s ...) depends on the system state: decide it with --assume %s=true|false", name, name)
	}
	return fmt.Sprintf("the engine does not evaluate (%s ...) for this query: decide it with --assume %s=true|false", name, name)
}

// assumed reports an --assume decision for f.
func (c *compiler) assumed(f *ir.FilterNode) (bool, bool) {
	if len(c.opts.Assume) == 0 {
		return false, false
	}
	for _, k := range []string{f.Written, f.Name, f.Base} {
		if k == "" {
			continue
		}
		if v, ok := c.opts.Assume[k]; ok {
			return v, true
		}
	}
	name := f.Name + " " + f.Written
	for k, v := range c.opts.Assume {
		for _, fam := range [...]string{"entitlement", "extension"} {
			if strings.Contains(k, fam) && strings.Contains(name, fam) {
				return v, true
			}
		}
	}
	return false, false
}

// stringArgs compiles the pattern arguments of a path or name filter.
func (c *compiler) stringArgs(n *cnode, f *ir.FilterNode) {
	n.args = make([]carg, 0, len(f.Args))
	for _, a := range f.Args {
		if a.Kind != ir.String {
			n.args = append(n.args, carg{unknown: fmt.Sprintf("(%s ...) argument is not a string", filterName(f))})
			continue
		}
		s, why, segs := c.substitute(a, n.match == ir.MatchRegex)
		if why != "" {
			n.args = append(n.args, carg{unknown: why, sym: symbolicPattern(segs, n.match)})
			continue
		}
		if n.match == ir.MatchRegex {
			if activeMutation == mutRegexAnchored {
				s = "^(" + s + ")$"
			}
			re, err := compileRegex(s)
			if err != nil {
				c.diags.Add(diag.Diagnostic{Severity: diag.Warning, Code: "policy/unsupported-regex",
					Span: a.Origin.Primary(), Message: fmt.Sprintf("regex %q cannot be evaluated: %v; queries that reach it answer unknown", s, err)})
				n.args = append(n.args, carg{unknown: fmt.Sprintf("regex %q cannot be evaluated: %v", s, err)})
				continue
			}
			n.args = append(n.args, carg{s: s, re: re})
			continue
		}
		if s == "" && n.lk == lkPath {
			n.args = append(n.args, carg{unknown: "empty path argument"})
			continue
		}
		if n.lk == lkPath && n.match == ir.MatchSubpath && len(s) > 1 && strings.HasSuffix(s, "/") {
			// 10.9.5 rejected this ("subpaths must not end with a slash");
			// whether modern libsandbox strips the slash is unverified.
			t := strings.TrimRight(s, "/")
			if t == "" {
				t = "/"
			}
			n.args = append(n.args, carg{unknown: fmt.Sprintf("(subpath %q) ends with a slash: whether it matches is unverified (10.9.5 rejected it); write %q", s, t),
				sym: symbolicPattern([]string{t}, ir.MatchSubpath)})
			continue
		}
		n.args = append(n.args, carg{s: s})
	}
}

// substitute resolves ${HOME} placeholders (unbound params and pattern
// variables) with Options.Home. When the value stays symbolic it returns
// the reason and the literal pieces between the remaining placeholders
// (nil when their place is not known).
func (c *compiler) substitute(v ir.Value, regex bool) (string, string, []string) {
	s := v.Str
	if !strings.Contains(s, "${") {
		if len(v.Params) > 0 {
			return "", fmt.Sprintf("value depends on unbound param %q: pass -D %s=VALUE", v.Params[0], v.Params[0]), nil
		}
		return s, "", nil
	}
	unbound := map[string]bool{}
	for _, p := range v.Params {
		unbound[p] = true
	}
	var b strings.Builder
	var segs []string
	why := ""
	for {
		i := strings.Index(s, "${")
		j := -1
		if i >= 0 {
			j = strings.IndexByte(s[i:], '}')
		}
		if i < 0 || j < 0 {
			b.WriteString(s)
			break
		}
		name := s[i+2 : i+j]
		b.WriteString(s[:i])
		s = s[i+j+1:]
		if (name == "HOME" || name == "FRONT_USER_HOME") && c.opts.Home != "" {
			if regex {
				b.WriteString(QuoteRegex(c.opts.Home))
			} else {
				b.WriteString(c.opts.Home)
			}
			continue
		}
		if why == "" {
			switch {
			case unbound[name]:
				why = fmt.Sprintf("value %q depends on unbound param %q: pass -D %s=VALUE", v.Str, name, name)
			case name == "HOME" || name == "FRONT_USER_HOME":
				why = fmt.Sprintf("value %q contains ${%s}: pass -D HOME=DIR or --home DIR", v.Str, name)
			default:
				why = fmt.Sprintf("value %q contains ${%s}, which is only known at run time", v.Str, name)
			}
		}
		segs = append(segs, b.String())
		b.Reset()
	}
	if why == "" {
		return b.String(), "", nil
	}
	return "", why, append(segs, b.String())
}

// symbolicPattern matches every string a symbolic value can stand for
// (each placeholder may be any text), under match kind m: a request that
// does not match it cannot match the filter.
func symbolicPattern(segs []string, m ir.Match) *regexp.Regexp {
	if segs == nil {
		return nil
	}
	var b strings.Builder
	b.WriteString("(?s)^")
	for i, sg := range segs {
		if i > 0 {
			b.WriteString(".*")
		}
		b.WriteString(regexp.QuoteMeta(sg))
	}
	switch m {
	case ir.MatchExact:
		b.WriteString("$")
	case ir.MatchSubpath:
		b.WriteString("(?:/.*)?$")
	case ir.MatchPrefix:
	default:
		return nil
	}
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil
	}
	return re
}

// QuoteRegex escapes s so that it matches itself in an SBPL regex.
func QuoteRegex(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if isRegexMeta(s[i]) {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// network compiles (local|remote PROTO "HOST:PORT"...) and the unix-socket
// forms.
func (c *compiler) network(n *cnode, f *ir.FilterNode, remote bool, depth int) {
	n.remote = remote
	args := f.Args
	if len(args) == 0 {
		n.lk, n.reason = lkUnknown, fmt.Sprintf("(%s) has no protocol", filterName(f))
		return
	}
	proto := strings.ToLower(args[0].Str)
	if args[0].Kind == ir.Filter {
		proto = "unix"
		args = append([]ir.Value{{Kind: ir.Symbol, Str: "unix"}}, args...)
	}
	if proto == "unix" || proto == "unix-socket" {
		n.lk = lkUnix
		var subs []*cnode
		for _, a := range args[1:] {
			switch a.Kind {
			case ir.Filter:
				subs = append(subs, c.compile(a.Sub, depth+1))
			case ir.String:
				// (remote unix "/path") names the socket path exactly.
				subs = append(subs, c.leaf(&ir.FilterNode{Kind: ir.Leaf, Name: "path", Base: "path", Match: ir.MatchExact, Args: []ir.Value{a}, Origin: a.Origin}, depth+1))
			default:
				subs = append(subs, &cnode{kind: ir.Leaf, lk: lkUnknown, reason: "unix socket argument is not a path"})
			}
		}
		switch len(subs) {
		case 0:
		case 1:
			n.sub = subs[0]
		default:
			n.sub = &cnode{kind: ir.Any, kids: subs}
		}
		return
	}
	n.lk = lkNet
	na := netAddr{proto: proto}
	switch {
	case strings.HasSuffix(proto, "4"):
		na.proto, na.family = strings.TrimSuffix(proto, "4"), 4
	case strings.HasSuffix(proto, "6"):
		na.proto, na.family = strings.TrimSuffix(proto, "6"), 6
	}
	if na.proto != "ip" && na.proto != "tcp" && na.proto != "udp" {
		n.lk, n.reason = lkUnknown, fmt.Sprintf("unknown network protocol %q", args[0].Str)
		return
	}
	if len(args) == 1 {
		a := na
		a.host, a.port = "*", AnyPort
		n.args = append(n.args, carg{net: &a})
		return
	}
	for _, v := range args[1:] {
		if v.Kind != ir.String {
			n.args = append(n.args, carg{unknown: fmt.Sprintf("(%s ...) expects string addresses", filterName(f))})
			continue
		}
		a, err := parseRuleAddr(na, v.Str)
		if err != nil {
			// The evaluator reports the address; the argument stays unknown.
			n.args = append(n.args, carg{unknown: fmt.Sprintf("network address %q: %v", v.Str, err)})
			continue
		}
		n.args = append(n.args, carg{net: &a})
	}
}

// parseRuleAddr parses a rule's "HOST:PORT" as libsandbox accepts it.
func parseRuleAddr(base netAddr, s string) (netAddr, error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return base, fmt.Errorf("port missing in network address")
	}
	host, port := s[:i], s[i+1:]
	if host != "*" && host != "localhost" {
		return base, fmt.Errorf("host must be * or localhost in network address")
	}
	base.host, base.port = host, AnyPort
	if port != "*" {
		p, err := strconv.Atoi(port)
		if err != nil || p < 0 || p > 65535 {
			return base, fmt.Errorf("invalid port in network address")
		}
		base.port = p
	}
	return base, nil
}

// query is the per-request state filters look at.
type query struct {
	res     Resource
	nameDim string // the dimension a KindName resource is matched on
	remote  bool   // network resources: the address is the remote end
	model   *Model
	why     string // reason of the last maybe
}

func (n *cnode) eval(q *query) tri {
	switch n.kind {
	case ir.All:
		out := yes
		for _, k := range n.kids {
			switch k.eval(q) {
			case no:
				return no
			case maybe:
				out = maybe
			}
		}
		return out
	case ir.Any:
		out := no
		for _, k := range n.kids {
			switch k.eval(q) {
			case yes:
				return yes
			case maybe:
				out = maybe
			}
		}
		return out
	case ir.Not:
		switch n.kids[0].eval(q) {
		case yes:
			return no
		case no:
			return yes
		}
		return maybe
	}
	return n.evalLeaf(q)
}

// anyArg ORs match over n's arguments in three-valued logic: yes as soon
// as one argument matches, maybe if none does but one is maybe (an
// argument the engine could not compile without a symbolic pattern is
// maybe; one with a pattern is left to match), else no.
func (n *cnode) anyArg(q *query, match func(a *carg) tri) tri {
	out := no
	for i := range n.args {
		a := &n.args[i]
		t := maybe
		if a.unknown == "" || a.sym != nil {
			t = match(a)
		} else {
			q.why = a.unknown
		}
		switch t {
		case yes:
			return yes
		case maybe:
			out = maybe
		}
	}
	return out
}

func (n *cnode) evalLeaf(q *query) tri {
	r := &q.res
	switch n.lk {
	case lkConst:
		return n.forced
	case lkUnknown:
		q.why = n.reason
		return maybe
	case lkPath:
		if r.Kind != KindPath && r.Kind != KindUnix {
			return no
		}
		return n.strMatch(q, r.Path)
	case lkName:
		if r.Kind != KindName || q.nameDim != n.dim {
			return no
		}
		return n.strMatch(q, r.Name)
	case lkTarget:
		if r.Kind != KindTarget {
			return no
		}
		return n.anyArg(q, func(a *carg) tri {
			t := targetMatch(a.s, r.Target)
			if t == maybe {
				q.why = fmt.Sprintf("whether (target %s) covers a %s process is not known", a.s, r.Target)
			}
			return t
		})
	case lkVnode:
		if r.Kind != KindPath {
			return no
		}
		if r.Vnode == "" {
			q.why = "(vnode-type ...) needs the file type: give it with vnode=TYPE (or --vnode-type)"
			return maybe
		}
		return n.anyArg(q, func(a *carg) tri {
			if a.s == r.Vnode {
				return yes
			}
			return no
		})
	case lkUnix:
		if r.Kind != KindUnix {
			return no
		}
		if n.remote != q.remote {
			q.why = "the query names one end of the socket only"
			return maybe
		}
		if n.sub == nil {
			return yes
		}
		return n.sub.eval(q)
	case lkNet:
		if r.Kind != KindNetwork {
			return no
		}
		sameEnd := n.remote == q.remote
		return n.anyArg(q, func(a *carg) tri { return netMatch(q, a.net, r, sameEnd) })
	}
	return no
}

// strMatch ORs the arguments of a path or name filter. A symbolic
// argument is maybe only for strings its pattern admits.
func (n *cnode) strMatch(q *query, s string) tri {
	return n.anyArg(q, func(a *carg) tri {
		if a.unknown != "" {
			if a.sym.MatchString(s) {
				q.why = a.unknown
				return maybe
			}
			return no
		}
		var ok bool
		if activeMutation != mutNone {
			if r, changed := mutatedMatch(n.match, s, a); changed {
				return r
			}
		}
		switch n.match {
		case ir.MatchSubpath:
			ok = subpathMatch(s, a.s)
		case ir.MatchPrefix:
			ok = strings.HasPrefix(s, a.s)
		case ir.MatchRegex:
			ok = a.re.match(s)
		default: // MatchExact
			ok = s == a.s
		}
		if ok {
			return yes
		}
		return no
	})
}

// subpathMatch is component-bounded: p is dir itself or lies below it.
func subpathMatch(p, dir string) bool {
	if dir == "/" {
		return strings.HasPrefix(p, "/")
	}
	return strings.HasPrefix(p, dir) && (len(p) == len(dir) || p[len(dir)] == '/')
}

// targetMatch relates a rule's (target T) to a request's process relation.
// (target others) covers every process but the caller itself; self is
// only self; the overlap of pgrp and same-sandbox with self and children
// is unverified.
func targetMatch(rule, req string) tri {
	if rule == req || activeMutation == mutTargetMatchesAll {
		return yes
	}
	switch rule {
	case "others":
		if req == "self" {
			return no
		}
		return yes
	case "pgrp", "same-sandbox":
		if req == "self" || req == "children" {
			return maybe
		}
	}
	return no
}

func isLoopback(h string) bool {
	return h == "localhost" || h == "127.0.0.1" || h == "::1" || h == "::ffff:127.0.0.1"
}

func netMatch(q *query, a *netAddr, r *Resource, sameEnd bool) tri {
	if a.proto != "ip" && a.proto != r.Proto {
		return no
	}
	out := yes
	if a.family != 0 && a.family != r.Family {
		if r.Family != 0 {
			return no
		}
		q.why = fmt.Sprintf("the rule is for IPv%d only: write %s%d:... in the query", a.family, r.Proto, a.family)
		out = maybe
	}
	if !sameEnd {
		if a.host == "*" && a.port == AnyPort {
			return out
		}
		q.why = "the query gives one end of the connection; the rule filters the other"
		return maybe
	}
	switch a.host {
	case "*":
	case "localhost":
		switch {
		case isLoopback(r.Host):
		case r.Host == "0.0.0.0" || r.Host == "::":
			switch q.model.LocalhostMatchesAny {
			case Deny:
				return no
			case Unknown:
				q.why = "whether localhost covers the unspecified address is not verified (--model localhost-matches-any)"
				out = maybe
			}
		default:
			return no
		}
	}
	if a.port != AnyPort && a.port != r.Port {
		return no
	}
	return out
}
