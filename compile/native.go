package compile

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sbplc/sbplc/bytecode"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/policy"
	"github.com/sbplc/sbplc/source"
	"github.com/sbplc/sbplc/vocab"
)

// The native emitter serialises the evaluated IR into the macOS 14.4.1
// single-profile format itself, following the serialisation model of
// bytecode-format.md ("Serialisation model that reproduces the 47
// vectors") extended by the message-filter and (version 2) blobs of
// testdata/groundtruth. It reproduces every hash-verified blob whose
// source it accepts, byte for byte, and refuses (UnsupportedError) every
// construct no hash-verified blob shows the encoding of.

// UnsupportedError is the native emitter's refusal: Construct names what
// the profile uses, Why says what is not known about its encoding, Span
// points at it.
type UnsupportedError struct {
	Construct string
	Why       string
	Span      source.Span
}

// Error renders "native emitter: CONSTRUCT: WHY".
func (e *UnsupportedError) Error() string {
	return "native emitter: " + e.Construct + ": " + e.Why
}

// NativeBackend is the Backend that runs the native emitter on the
// request's evaluated profile (Request.Profile).
type NativeBackend struct {
	// Target is the release whose format is written; "" is macos14, the
	// only one whose format is verified.
	Target string
}

// Name implements Backend.
func (NativeBackend) Name() string { return "sbplc native emitter (macOS 14.4.1 format)" }

// Compile implements Backend.
func (b NativeBackend) Compile(req Request) (*Result, error) {
	if req.Profile == nil {
		return nil, fmt.Errorf("the native emitter needs the evaluated profile")
	}
	blob, err := EmitNative(req.Profile, b.Target)
	if err != nil {
		return nil, err
	}
	return &Result{Bytecode: blob}, nil
}

// Terminal flags libsandbox 14.4.1 writes (hash-verified).
const (
	flagsAllow = 0
	flagsDeny  = bytecode.FlagDeny | bytecode.FlagReport
)

// messageFilterOps are the operations a message-filter policy may name,
// with the number byte 5 of the inline terminal carries (op-table
// numbering continued past the 190 entries; hash-verified for 191, 192 and
// 193).
var verifiedMessageOps = map[string]bool{
	"iokit-async-external-method": true, "iokit-external-method": true, "iokit-external-trap": true,
}

// verifiedWildcards are the operations whose rules libsandbox copies
// into their children at compile time as the emitter models it: each is
// shown by hash-verified blobs (baseline_deny_all for file-read* and
// file-write*, param_path for process-exec*, nl_v12_write_only for an
// unfiltered file-write*, f2_v6_iokit_registry_class for iokit-open*). A
// rule on any other operation with children is refused.
var verifiedWildcards = map[string]bool{"file-read*": true, "file-write*": true, "process-exec*": true, "iokit-open*": true}

// emitter holds the state of one emission.
type emitter struct {
	t       vocab.Target
	version int
	ops     []string       // op-table order
	opID    map[string]int // name -> op-table index
	// builtin are the operations with a built-in decision on t under
	// the profile's version.
	builtin map[string]vocab.DefaultRule

	deny, allow *gnode // the profile's one deny and one allow object
	// policies are the message-filter policies in order: the root is the
	// profile's deny or allow object (policyDeny), resolved once the
	// defaults are known.
	policies   []*gnode
	policyDeny []bool
}

// gnode is a node of the graph being built.
type gnode struct {
	term    bool
	raw     [8]byte // terminal bytes, or filter byte / argument for a filter
	filter  byte
	arg     uint16
	item    []byte // pool item of a string or set argument (nil: inline)
	match   *gnode
	unmatch *gnode
	index   int // assigned at emission, -1 before
}

// erule is one rule as the emitter sees it: its reach, condition and
// decision object.
type erule struct {
	span     source.Span
	content  int // the profile's rules: the id of their action and condition (0 for injected rules)
	pos      int // place in the profile (newest = highest)
	cond     *cond
	decision *gnode
	ops      map[int]bool // op-table entries it reaches
}

// cond is a filter tree flattened to the shapes libsandbox emits.
type cond struct {
	kind ir.FilterKind // ir.Leaf, ir.All or ir.Any
	leaf *leaf
	kids []*cond
}

// key renders c as text: two conditions with the same key compile to the
// same nodes.
func (c *cond) key() string {
	if c == nil {
		return ""
	}
	if c.kind == ir.Leaf {
		return fmt.Sprintf("(%d %d %x)", c.leaf.filter, c.leaf.arg, c.leaf.item)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "(%d", c.kind)
	for _, k := range c.kids {
		b.WriteString(k.key())
	}
	b.WriteByte(')')
	return b.String()
}

type leaf struct {
	filter byte
	arg    uint16
	item   []byte
}

func (e *emitter) refuse(sp source.Span, construct, format string, args ...any) error {
	return &UnsupportedError{Construct: construct, Why: fmt.Sprintf(format, args...), Span: sp}
}

// EmitNative serialises p for target ("" = macos14). A construct whose
// encoding no hash-verified blob shows is refused with *UnsupportedError.
func EmitNative(p *ir.Profile, target string) ([]byte, error) {
	if target == "" {
		target = "macos14"
	}
	t, ok := vocab.LookupTarget(target)
	if !ok || t.OSKey != "14.4.1" {
		return nil, &UnsupportedError{Construct: "target " + target, Why: "the native emitter writes the macOS 14.4.1 format only (the only one verified against real blobs); compile with libsandbox on that release"}
	}
	l, _ := bytecode.LookupLayout("macos14")
	e := &emitter{t: t, opID: map[string]int{}}
	for id := 0; id < l.OpCount; id++ {
		name, ok := vocab.OperationByID(t, id)
		if !ok {
			return nil, fmt.Errorf("internal error: no operation %d in the 14.4.1 table", id)
		}
		e.ops = append(e.ops, name)
		e.opID[name] = id
	}
	if p.Opaque() {
		return nil, e.refuse(source.Span{}, "unresolved import", "the profile's rules are not all known (an import was not found); add -I DIR")
	}
	e.version = p.Version
	if e.version == 0 {
		e.version = 1
	}
	if e.version != 1 && e.version != 2 {
		return nil, e.refuse(p.VersionSpan, fmt.Sprintf("(version %d)", e.version), "no compiled blob of this version has been measured")
	}
	e.builtin = policy.BuiltinDefaults(t, e.version)
	e.deny = &gnode{term: true, raw: bytecode.TerminalBytes(flagsDeny, 0, 0, 0), index: -1}
	e.allow = &gnode{term: true, raw: bytecode.TerminalBytes(flagsAllow, 0, 0, 0), index: -1}
	if !p.Implicit {
		return nil, e.refuse(source.Span{}, "NO_IMPLICIT_RULES", "a profile without libsandbox's implicit rules has not been measured")
	}

	// The default decision: the last unfiltered rule on default.
	defDeny := true
	var unfiltered []*ir.Rule // unfiltered rules on other operations
	var rules []*erule
	contentID := map[string]int{}
	allowsUserClient := false
	for _, r := range p.Rules {
		if r == nil {
			continue
		}
		msg, err := e.modifiers(r)
		if err != nil {
			return nil, err
		}
		ids, err := e.ruleOps(r)
		if err != nil {
			return nil, err
		}
		if r.Filter == nil && msg == nil {
			for _, id := range ids {
				if id == 0 {
					defDeny = r.Action == ir.Deny
				}
			}
			if !(len(ids) == 1 && ids[0] == 0) {
				for _, id := range ids {
					if id == 0 {
						return nil, e.refuse(r.Origin.Primary(), "an unfiltered rule on default and other operations", "not measured")
					}
				}
				unfiltered = append(unfiltered, r)
			}
			continue
		}
		for _, id := range ids {
			if name := e.ops[id]; !verifiedWildcards[name] && e.hasChildren(name) {
				return nil, e.refuse(r.Origin.Primary(), "a rule on "+name,
					"libsandbox copies rules on %s into the operations below it; which ones, in which order, no hash-verified blob shows", name)
			}
		}
		if r.Action == ir.Allow && slices.Contains(ids, e.opID["iokit-open-user-client"]) {
			allowsUserClient = true
		}
		if e.version == 2 && msg == nil {
			return nil, e.refuse(r.Origin.Primary(), "a rule other than a message filter under (version 2)",
				"how libsandbox 14.4.1 shares decision nodes in (version 2) profiles is measured only for message-filter rules")
		}
		er := &erule{span: r.Origin.Primary(), pos: r.Index, decision: e.deny, ops: map[int]bool{}}
		if r.Action == ir.Allow {
			er.decision = e.allow
		}
		if msg != nil {
			if r.Filter != nil || r.Action != ir.Allow {
				return nil, e.refuse(r.Origin.Primary(), "apply-message-filter on a filtered rule", "only an unfiltered allow with a message filter has been measured")
			}
			er.decision = msg
		}
		if r.Filter != nil {
			c, err := e.cond(r.Filter)
			if err != nil {
				return nil, err
			}
			er.cond = c
		}
		for _, id := range ids {
			for _, k := range e.reach(id) {
				er.ops[k] = true
			}
		}
		if msg == nil {
			// Rules with the same action and condition are one subgraph:
			// the key is a small number, so that per-operation keys stay
			// short however large the rules are.
			k := fmt.Sprintf("%v%s", r.Action, er.cond.key())
			if _, ok := contentID[k]; !ok {
				contentID[k] = len(contentID)
			}
			er.content = contentID[k] + 1
		}
		rules = append(rules, er)
	}
	if !defDeny && e.version == 2 {
		return nil, e.refuse(source.Span{}, "(allow default) under (version 2)", "which operations stay denied under (version 2)(allow default) is not measured")
	}

	// Per-operation default decisions.
	defaults := make([]*gnode, len(e.ops))
	for k, name := range e.ops {
		switch r, ok := e.builtin[name]; {
		case k == 0:
			defaults[k] = e.decision(defDeny)
		case ok && name != "default":
			defaults[k] = e.decision(r.Action == "deny")
		default:
			defaults[k] = e.decision(defDeny)
		}
	}
	if e.version == 2 {
		// Under (version 2) the default-allow operations share one allow
		// object of their own (the v2 blobs have several allow terminals).
		a := &gnode{term: true, raw: e.allow.raw, index: -1}
		for k := range defaults {
			if defaults[k] == e.allow {
				defaults[k] = a
			}
		}
		e.allow = a
	}
	for _, d := range e.policyDeny {
		e.policies = append(e.policies, e.decision(d))
	}
	for _, r := range unfiltered {
		ids, _ := e.ruleOps(r)
		for _, id := range ids {
			for _, k := range e.reach(id) {
				for _, fr := range rules {
					if fr.ops[k] {
						return nil, e.refuse(r.Origin.Primary(), fmt.Sprintf("an unfiltered rule on %s with filtered rules that reach %s", e.ops[id], e.ops[k]),
							"the order libsandbox gives an unfiltered rule among filtered ones of the same operation is not measured")
					}
				}
				if _, ok := e.builtin[e.ops[k]]; ok && k == id {
					return nil, e.refuse(r.Origin.Primary(), "an unfiltered rule on "+e.ops[k], "the operation has a built-in default; whether a rule replaces it is not measured")
				}
				defaults[k] = e.decision(r.Action == ir.Deny)
			}
		}
	}

	// Rules libsandbox adds: the flow-divert allow on network-outbound
	// when a filtered rule reaches it, the (target self) allows of the
	// task and signal operations under a deny default, and under (version
	// 2) the syscall allow-lists.
	injected := map[int][]*erule{} // tested before the profile's rules, first first
	if out := e.opID["network-outbound"]; anyReaches(rules, out) {
		c, err := e.stringLeaf("control-name", flowDivert)
		if err != nil {
			return nil, err
		}
		injected[out] = append(injected[out], &erule{cond: c, decision: e.allow})
	}
	if defDeny {
		shared := &erule{} // mach-task-read and signal share one rule object
		for _, name := range vocab.InjectedFilterOps() {
			c, err := e.intLeaf("target", 1)
			if err != nil {
				return nil, err
			}
			r := &erule{cond: c, decision: e.allow}
			if name == "mach-task-read" || name == "signal" {
				if shared.cond == nil {
					*shared = *r
				}
				r = shared
			}
			injected[e.opID[name]] = append(injected[e.opID[name]], r)
		}
	}
	if e.version == 2 {
		for _, s := range version2Syscalls {
			if s.needsUserClient && !allowsUserClient {
				continue
			}
			if anyReaches(rules, e.opID[s.op]) {
				return nil, e.refuse(source.Span{}, "a rule on "+s.op+" under (version 2)", "libsandbox adds its own %s rule under (version 2); how it combines with the profile's is not measured", s.op)
			}
			c, err := e.intSetLeaf(s.filter, s.values)
			if err != nil {
				return nil, err
			}
			injected[e.opID[s.op]] = append(injected[e.opID[s.op]], &erule{cond: c, decision: &gnode{term: true, raw: e.allow.raw, index: -1}})
		}
	}

	// Per-operation rule lists, highest precedence first, and their roots:
	// operations with the same default object and the same rule objects
	// share one root.
	roots := make([]*gnode, len(e.ops))
	memo := map[string]*gnode{}
	ruleID := map[*erule]int{}
	id := func(r *erule) int {
		if n, ok := ruleID[r]; ok {
			return n
		}
		ruleID[r] = len(ruleID)
		return ruleID[r]
	}
	defID := map[*gnode]int{}
	for k := range e.ops {
		list := append([]*erule(nil), injected[k]...)
		var own []*erule
		for _, r := range rules {
			if r.ops[k] {
				own = append(own, r)
			}
		}
		slices.SortStableFunc(own, func(a, b *erule) int { return b.pos - a.pos })
		for i, r := range own {
			for _, q := range own[:i] {
				if q.decision == r.decision && q.cond != nil && r.cond != nil {
					return nil, e.refuse(r.span, "several rules with the same action on "+e.ops[k],
						"libsandbox merges them (into one pattern when they test the same filter), in an encoding sbplc has not verified")
				}
			}
		}
		list = append(list, own...)
		// Operations share a root when their default and their rule lists
		// are the same: injected rules by identity, the profile's rules by
		// content (two rules with the same action and filter on different
		// operations compile to one subgraph: vfs_firmlink_private_only).
		var key strings.Builder
		if _, ok := defID[defaults[k]]; !ok {
			defID[defaults[k]] = len(defID)
		}
		fmt.Fprintf(&key, "%d", defID[defaults[k]])
		for _, r := range list {
			if r.content != 0 {
				fmt.Fprintf(&key, ";%d", r.content)
			} else {
				fmt.Fprintf(&key, ";#%d", id(r))
			}
		}
		if root, ok := memo[key.String()]; ok {
			roots[k] = root
			continue
		}
		// Rules without a condition (an unfiltered allow with a message
		// filter) are the operation's decision.
		rest := defaults[k]
		for i := len(list) - 1; i >= 0; i-- {
			r := list[i]
			if r.cond == nil {
				rest = r.decision
				continue
			}
			rest = e.build(r.cond, r.decision, rest)
		}
		memo[key.String()] = rest
		roots[k] = rest
	}

	// Emission: operations in op-table order, each graph depth first
	// (pool item, match, unmatch, then the node), numbered from the end.
	var order []*gnode
	var pool [][]byte
	im := &bytecode.Image{}
	var visit func(n *gnode)
	visit = func(n *gnode) {
		if n.index != -1 {
			return
		}
		n.index = -2 // being visited
		if !n.term {
			if n.item != nil {
				im.Pool = pool
				n.arg = uint16(im.PoolUnit())
				pool = append(pool, n.item)
			}
			visit(n.match)
			visit(n.unmatch)
		}
		order = append(order, n)
	}
	for _, r := range roots {
		visit(r)
	}
	for _, r := range e.policies {
		visit(r)
	}
	nn := len(order)
	for k, n := range order {
		n.index = nn - 1 - k
	}
	im.Pool = pool
	im.Nodes = make([][8]byte, nn)
	for _, n := range order {
		if n.term {
			im.Nodes[n.index] = n.raw
			continue
		}
		im.Nodes[n.index] = bytecode.FilterNodeBytes(n.filter, n.arg, uint16(n.match.index), uint16(n.unmatch.index))
	}
	for _, r := range roots {
		im.Ops = append(im.Ops, uint16(r.index))
	}
	for _, r := range e.policies {
		im.Policies = append(im.Policies, uint16(r.index))
	}
	if len(im.Policies) > 0 {
		im.Type = bytecode.TypeMessageFilters
	}
	blob, err := im.Bytes(l)
	if err != nil {
		return nil, e.refuse(source.Span{}, "the profile's size", "%v", err)
	}
	return blob, nil
}

// flowDivert is the control name of libsandbox's injected network-outbound
// rule.
const flowDivert = "com.apple.flow-divert"

// version2Syscalls are the rules libsandbox 14.4.1 adds under (version 2):
// syscall-unix allows exit and kill (1, 37) in every (version 2) blob;
// syscall-mach allows iokit_user_client_trap (100) when the profile allows
// iokit-open-user-client (hash-verified: v2_empty has only the first,
// mf_v2_* both).
var version2Syscalls = []struct {
	op, filter      string
	values          []int
	needsUserClient bool
}{
	{"syscall-unix", "syscall-number", []int{1, 37}, false},
	{"syscall-mach", "machtrap-number", []int{100}, true},
}

func anyReaches(rules []*erule, k int) bool {
	for _, r := range rules {
		if r.ops[k] && r.cond != nil {
			return true
		}
	}
	return false
}

func (e *emitter) decision(deny bool) *gnode {
	if deny {
		return e.deny
	}
	return e.allow
}

// build returns the sub-graph of c whose matched exits go to yes and
// unmatched to no.
func (e *emitter) build(c *cond, yes, no *gnode) *gnode {
	switch c.kind {
	case ir.All:
		next := yes
		for i := len(c.kids) - 1; i >= 0; i-- {
			next = e.build(c.kids[i], next, no)
		}
		return next
	case ir.Any:
		next := no
		for i := len(c.kids) - 1; i >= 0; i-- {
			next = e.build(c.kids[i], yes, next)
		}
		return next
	}
	return &gnode{filter: c.leaf.filter, arg: c.leaf.arg, item: c.leaf.item, match: yes, unmatch: no, index: -1}
}

// ruleOps resolves the operations a rule names to op-table indexes.
func (e *emitter) ruleOps(r *ir.Rule) ([]int, error) {
	var out []int
	for _, o := range r.Ops {
		name := o.Name
		if name == "" {
			name = o.Written
		}
		if a, ok := policy.LookupAlias(e.t, name); ok {
			if a.Status != policy.AliasVerified {
				return nil, e.refuse(o.Span, name, "not in the 14.4.1 operation table; whether libsandbox 14.4.1 accepts it, and what it means there, is not measured (%s)", a.Evidence)
			}
			name = a.Target
		}
		id, ok := e.opID[name]
		if !ok {
			return nil, e.refuse(o.Span, name, "not an operation of the 14.4.1 op table")
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

// reach returns the op-table entries a rule on op id reaches: the
// operation and, for a verified wildcard, every operation whose fallback
// chain passes through it without crossing an operation with a built-in
// default.
func (e *emitter) reach(id int) []int {
	name := e.ops[id]
	out := []int{id}
	if !verifiedWildcards[name] {
		return out
	}
	for k, child := range e.ops {
		if k == id {
			continue
		}
		chain := vocab.Ancestors(child)
		i := slices.Index(chain, name)
		if i <= 0 {
			continue
		}
		blocked := false
		for _, c := range chain[:i] {
			if _, ok := e.builtin[c]; ok {
				blocked = true
			}
		}
		if !blocked {
			out = append(out, k)
		}
	}
	return out
}

// hasChildren reports whether some operation of the table falls back to
// op.
func (e *emitter) hasChildren(op string) bool {
	for _, child := range e.ops {
		if child != op && slices.Contains(vocab.Ancestors(child), op) {
			return true
		}
	}
	return false
}

// modifiers checks a rule's modifiers; it returns the inline terminal of a
// message filter, nil when the rule has none.
func (e *emitter) modifiers(r *ir.Rule) (*gnode, error) {
	var msg *gnode
	for _, m := range r.Modifiers {
		if m.Name != "message-filter" {
			return nil, e.refuse(m.Origin.Primary(), "(with "+m.Name+")", "no hash-verified blob shows how libsandbox 14.4.1 encodes this modifier in a terminal")
		}
		if len(m.Rules) != 1 || m.Rules[0].Filter != nil || len(m.Rules[0].Ops) != 1 || len(m.Rules[0].Modifiers) > 0 {
			return nil, e.refuse(m.Origin.Primary(), "apply-message-filter with filters or several rules",
				"only a message filter of one unfiltered allow or deny has been measured")
		}
		in := m.Rules[0]
		if in.Action != ir.Deny {
			return nil, e.refuse(in.Origin.Primary(), "a message filter that allows",
				"the policy graph libsandbox writes for an allowing message filter is not known (the blob differs from the denying one in more than its policy root)")
		}
		op := in.Ops[0].Name
		if !verifiedMessageOps[op] {
			return nil, e.refuse(in.Ops[0].Span, "a message filter on "+op, "only iokit-external-method, iokit-async-external-method and iokit-external-trap have been measured")
		}
		mid, ok := vocab.OperationID(e.t, op)
		if !ok {
			return nil, e.refuse(in.Ops[0].Span, op, "not a message-filter operation of 14.4.1")
		}
		// The policy's root is the profile's own decision object.
		idx := len(e.policyDeny)
		e.policyDeny = append(e.policyDeny, in.Action == ir.Deny)
		msg = &gnode{term: true, raw: bytecode.TerminalBytes(bytecode.FlagInline, bytecode.ModMessageFilter, uint8(mid), uint16(idx)), index: -1}
	}
	return msg, nil
}

// cond compiles a filter tree: leaves of verified filters, require-all
// and require-any (nested ones of the same kind flattened).
func (e *emitter) cond(f *ir.FilterNode) (*cond, error) {
	switch f.Kind {
	case ir.Not:
		return nil, e.refuse(f.Origin.Primary(), "require-not", "no hash-verified blob has one")
	case ir.All, ir.Any:
		c := &cond{kind: f.Kind}
		paths := 0
		for _, k := range f.Children {
			kc, err := e.cond(k)
			if err != nil {
				return nil, err
			}
			if kc.kind == f.Kind {
				c.kids = append(c.kids, kc.kids...)
			} else {
				c.kids = append(c.kids, kc)
			}
		}
		for _, k := range c.kids {
			if k.kind == ir.Leaf && k.leaf.filter == e.filterByte("path") {
				paths++
			}
		}
		if paths > 1 {
			what := map[ir.FilterKind]string{ir.All: "require-all", ir.Any: "require-any"}[f.Kind]
			return nil, e.refuse(f.Origin.Primary(), what+" of several path filters",
				"libsandbox merges them into one pattern (or drops the rule), in an encoding sbplc has not verified")
		}
		if len(c.kids) == 0 {
			return nil, e.refuse(f.Origin.Primary(), "an empty require-all or require-any", "not measured")
		}
		if len(c.kids) == 1 {
			return c.kids[0], nil
		}
		return c, nil
	}
	if len(f.Args) != 1 {
		return nil, e.refuse(f.Origin.Primary(), fmt.Sprintf("(%s ...) with %d arguments", f.Written, len(f.Args)),
			"several arguments of one filter are merged by libsandbox in an encoding sbplc has not verified")
	}
	dim, match := policy.LeafDim(f)
	a := f.Args[0]
	switch {
	case dim == "path" && (match == ir.MatchExact || match == ir.MatchSubpath) && a.Kind == ir.String:
		if a.Symbolic() || strings.Contains(a.Str, "${") {
			return nil, e.refuse(a.Origin.Primary(), fmt.Sprintf("%q", a.Str), "pattern variables and unset params have no verified encoding")
		}
		var prog []byte
		var err error
		if match == ir.MatchExact {
			prog, err = bytecode.EncodeLiteral(a.Str)
		} else {
			if len(a.Str) > 1 && strings.HasSuffix(a.Str, "/") {
				return nil, e.refuse(a.Origin.Primary(), fmt.Sprintf("(subpath %q)", a.Str), "a subpath ending in a slash has not been measured")
			}
			prog, err = bytecode.EncodeSubpath(a.Str)
		}
		if err != nil {
			return nil, e.refuse(a.Origin.Primary(), fmt.Sprintf("%q", a.Str), "%v", err)
		}
		return &cond{kind: ir.Leaf, leaf: &leaf{filter: e.filterByte("path"), item: bytecode.ProgramItem(prog)}}, nil
	case verifiedStringFilters[dim] && match == ir.MatchExact && a.Kind == ir.String:
		return e.stringLeaf(dim, a.Str)
	case verifiedIntFilters[dim]:
		n, ok := intValue(dim, a)
		if !ok {
			return nil, e.refuse(a.Origin.Primary(), fmt.Sprintf("(%s %s)", f.Written, argText(a)), "the numeric encoding of this value is not known")
		}
		return e.intLeaf(dim, n)
	}
	return nil, e.refuse(f.Origin.Primary(), "("+f.Written+" ...)", "no hash-verified blob shows how libsandbox 14.4.1 encodes this filter")
}

// verifiedStringFilters are the exact-string filters whose encoding
// (filter id, literal program) hash-verified blobs show.
var verifiedStringFilters = map[string]bool{
	"control-name": true, "global-name": true, "local-name": true, "iokit-registry-entry-class": true,
}

// verifiedIntFilters are the inline integer filters hash-verified blobs
// show.
var verifiedIntFilters = map[string]bool{"socket-domain": true, "socket-type": true, "socket-protocol": true, "target": true}

func intValue(dim string, a ir.Value) (int, bool) {
	switch a.Kind {
	case ir.Int:
		return int(a.Int), a.Int >= 0 && a.Int <= 0xffff
	case ir.Symbol:
		if v, ok := bytecode.WellKnownValue(dim, a.Str); ok {
			return int(v), true
		}
		if a.HasInt {
			return int(a.Int), true
		}
	}
	return 0, false
}

func argText(a ir.Value) string {
	if a.Kind == ir.Int {
		return fmt.Sprint(a.Int)
	}
	return a.Str
}

// filterByte is the blob's filter byte of a base filter on 14.4.1 (the
// vocabulary is 0-based, blobs 1-based).
func (e *emitter) filterByte(name string) byte {
	id, ok := vocab.FilterID(e.t, name)
	if !ok {
		return 0
	}
	return byte(id + 1)
}

func (e *emitter) stringLeaf(dim, s string) (*cond, error) {
	prog, err := bytecode.EncodeLiteral(s)
	if err != nil {
		return nil, e.refuse(source.Span{}, fmt.Sprintf("%q", s), "%v", err)
	}
	return &cond{kind: ir.Leaf, leaf: &leaf{filter: e.filterByte(dim), item: bytecode.ProgramItem(prog)}}, nil
}

func (e *emitter) intLeaf(dim string, n int) (*cond, error) {
	return &cond{kind: ir.Leaf, leaf: &leaf{filter: e.filterByte(dim), arg: uint16(n)}}, nil
}

func (e *emitter) intSetLeaf(dim string, values []int) (*cond, error) {
	item, err := bytecode.IntSetItem(values)
	if err != nil {
		return nil, err
	}
	return &cond{kind: ir.Leaf, leaf: &leaf{filter: e.filterByte(dim) | bytecode.RegexBit, item: item}}, nil
}
