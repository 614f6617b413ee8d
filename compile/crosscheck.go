package compile

import (
	"fmt"
	"regexp/syntax"
	"sort"
	"strconv"
	"strings"

	"github.com/sbplc/sbplc/bytecode"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/policy"
	"github.com/sbplc/sbplc/vocab"
)

// CrossCheckOptions configure CrossCheck.
type CrossCheckOptions struct {
	// Target is the vocabulary target of the engine ("macos14").
	Target string
	// MaxWorlds bounds the probe combinations per operation (default 512).
	MaxWorlds int
	// MaxProbes bounds the probes of the whole check (default 100,000);
	// Report.Truncated says when it was reached.
	MaxProbes int
}

// Disagreement is one probe on which the blob and the source differ.
type Disagreement struct {
	Op       string
	Resource string // the probe, e.g. "path=/etc/hosts socket-domain=AF_INET"
	Blob     string // the blob's decision ("allow" / "deny")
	Source   string // the decision engine's answer on the source
	Reason   string // the engine's explanation (rule position, default)
}

// UndecidedGroup is a set of undecidable probes with the same reason.
type UndecidedGroup struct {
	Reason  string
	Count   int
	Example string // the first probe: "OP RESOURCE"
}

const maxUndecidedGroups = 8

// undecided records one undecidable probe.
func (r *Report) undecided(reason, example string) {
	r.Undecided++
	for i := range r.UndecidedWhy {
		if r.UndecidedWhy[i].Reason == reason {
			r.UndecidedWhy[i].Count++
			return
		}
	}
	if len(r.UndecidedWhy) == maxUndecidedGroups {
		last := &r.UndecidedWhy[len(r.UndecidedWhy)-1]
		last.Reason = "other reasons"
		last.Count++
		return
	}
	r.UndecidedWhy = append(r.UndecidedWhy, UndecidedGroup{Reason: reason, Count: 1, Example: example})
}

// Report is the result of a cross-check.
type Report struct {
	Operations int // operations checked
	Probes     int // probes evaluated on both sides
	Agree      int
	Undecided  int // probes where either side could not decide
	// UndecidedWhy groups the undecidable probes by reason, in order of
	// first occurrence (at most maxUndecidedGroups groups; the rest are
	// counted in the last).
	UndecidedWhy  []UndecidedGroup
	Disagreements []Disagreement
	// Truncated is set when the probe budget ran out before every
	// operation was checked.
	Truncated bool
}

// probe is one value of one filter dimension.
type probe struct {
	str   string
	num   int
	isInt bool
	// raw is set for a path probe that both sides see as written, not
	// canonicalised: the spelling a non-canonical literal of the blob or
	// the source names (which the kernel never presents, but a rule that
	// names it is still part of the profile).
	raw   bool
	label string
}

// world assigns a probe value to some filter dimensions.
type world map[string]probe

const (
	unmatchedPath   = "/sbplc-unmatched/probe"
	unmatchedString = "sbplc.unmatched.probe"
	unmatchedInt    = 0xfff0
)

// Injected lists the rules libsandbox 14.4.1 adds to a profile it
// compiles (bytecode-format §2.6, testdata/groundtruth): the flow-divert
// allow tested first on network-outbound, the target-self allows on the
// task and signal operations, and under (version 2) the syscall
// allow-lists. The decision engine adds the target-self rules itself
// (ImplicitRulesFor); injectedFor says which apply to a profile.
func Injected() []*ir.Rule {
	leaf := func(name string, v ...ir.Value) *ir.FilterNode {
		return &ir.FilterNode{Kind: ir.Leaf, Name: name, Written: name, Base: name, Match: ir.MatchExact, Args: v}
	}
	rule := func(op string, f *ir.FilterNode) *ir.Rule {
		return &ir.Rule{Action: ir.Allow, Ops: []ir.Op{{Name: op, Written: op}}, Filter: f}
	}
	out := []*ir.Rule{rule("network-outbound", leaf("control-name", ir.Value{Kind: ir.String, Str: flowDivert}))}
	for _, op := range []string{"mach-task-inspect", "mach-task-name", "mach-task-read", "signal"} {
		r := rule(op, leaf("target", ir.Value{Kind: ir.Symbol, Str: "self"}))
		r.Filter.Match = ir.MatchOther
		out = append(out, r)
	}
	for _, sc := range version2Syscalls {
		var vs []ir.Value
		for _, v := range sc.values {
			vs = append(vs, ir.Value{Kind: ir.Int, Int: int64(v)})
		}
		r := rule(sc.op, leaf(sc.filter, vs...))
		r.Filter.Match = ir.MatchOther
		out = append(out, r)
	}
	return out
}

// injectedFor returns the Injected rules that libsandbox adds to prof:
// the flow-divert allow only when a filtered rule names network-outbound
// (an unfiltered one gets none: nl_v13_network_outbound), the
// target-self rules never (the decision engine adds them as libsandbox's
// implicit policy, unless the profile sets NO_IMPLICIT_RULES),
// the (version 2) syscall rules under (version 2), the trap one when
// iokit-open-user-client is allowed.
func injectedFor(prof *ir.Profile, t vocab.Target) []*ir.Rule {
	network, userClient := false, false
	for _, r := range prof.Rules {
		for _, o := range r.Ops {
			name := resolveAlias(t, o.Name)
			if name == "network-outbound" && r.Filter != nil {
				network = true
			}
			if name == "iokit-open-user-client" && r.Action == ir.Allow {
				userClient = true
			}
		}
	}
	version := prof.Version
	var out []*ir.Rule
	for _, r := range Injected() {
		switch op := r.Ops[0].Name; {
		case r.Filter.Name == "target":
			// The engine's implicit policy has them (policy.ImplicitRulesFor).
			continue
		case op == "network-outbound" && !network:
			continue
		case op == "syscall-unix" && version != 2:
			continue
		case op == "syscall-mach" && (version != 2 || !userClient):
			continue
		}
		out = append(out, r)
	}
	return out
}

// resolveAlias maps an operation name through the verified 14.4.1 aliases.
func resolveAlias(t vocab.Target, name string) string {
	if a, ok := policy.LookupAlias(t, name); ok && a.Status == policy.AliasVerified {
		return a.Target
	}
	return name
}

// leafRef is a leaf of the augmented profile that CrossCheck evaluates
// itself and forces in the engine through Options.Assume.
type leafRef struct {
	key  string
	node *ir.FilterNode
	rule int // index in the augmented profile's rules
}

// selfEvaluated reports whether CrossCheck evaluates a leaf itself rather
// than leaving it to the engine: everything but path and target, whose
// resolution rules (canonical paths, target names) the engine owns.
func selfEvaluated(f *ir.FilterNode) bool {
	switch dimOf(f) {
	case "path", "target", "vnode-type", "local", "remote":
		return false
	}
	return true
}

// dimOf is the filter dimension a leaf tests: its base filter (subpath
// and literal test path), as the decision engine classifies it.
func dimOf(f *ir.FilterNode) string {
	d, _ := policy.LeafDim(f)
	return d
}

// matchOf is how a leaf compares its arguments, as the decision engine
// classifies it.
func matchOf(f *ir.FilterNode) ir.Match {
	_, m := policy.LeafDim(f)
	return m
}

// CrossCheck compares, for every operation of the blob, the decoded
// graph's decisions with the decision engine's answers on prof (plus the
// rules libsandbox injects) over probes built from the graph's filters and
// the profile's own filter values, plus values that no filter matches.
func CrossCheck(p *bytecode.Profile, voc bytecode.Vocabulary, prof *ir.Profile, opts CrossCheckOptions) *Report {
	if opts.MaxWorlds <= 0 {
		opts.MaxWorlds = 512
	}
	if opts.MaxProbes <= 0 {
		opts.MaxProbes = 100000
	}
	if opts.Target == "" {
		opts.Target = p.Layout.Name
	}
	rep := &Report{}
	tgt, _ := vocab.LookupTarget(opts.Target)
	// A rule on a name libsandbox 14.4.1 may or may not bind: nothing it
	// decides can be compared.
	for _, r := range prof.Rules {
		for _, o := range r.Ops {
			if a, ok := policy.LookupAlias(tgt, o.Name); ok && a.Status != policy.AliasVerified {
				at := ""
				if sp := r.Origin.Primary(); sp.IsValid() {
					at = " at " + sp.String()
				}
				rep.undecided(fmt.Sprintf("the rule%s names %s, which is not in the 14.4.1 operation table; whether libsandbox 14.4.1 binds it, and to what, is not measured (%s)", at, o.Name, a.Evidence),
					o.Name+" (every request the rule could decide)")
			}
		}
	}
	aug, leaves := augment(prof, opts.Target)
	// Leaves and rules by the operations their rule names.
	leavesOf := map[string][]leafRef{}
	rulesOf := map[string][]int{}
	for i, r := range aug.Rules {
		seen := map[string]bool{}
		for _, o := range r.Ops {
			if n := resolveAlias(tgt, o.Name); !seen[n] {
				seen[n] = true
				rulesOf[n] = append(rulesOf[n], i)
			}
		}
	}
	for _, l := range leaves {
		seen := map[string]bool{}
		for _, o := range aug.Rules[l.rule].Ops {
			if n := resolveAlias(tgt, o.Name); !seen[n] {
				seen[n] = true
				leavesOf[n] = append(leavesOf[n], l)
			}
		}
	}
	// An operation's engine sees only the rules of its fallback chain, so
	// that forcing leaves for one operation does not rebuild everything.
	subProfiles := map[string]*ir.Profile{}
	subProfile := func(chain []string) (*ir.Profile, string) {
		key := strings.Join(chain, " ")
		if sp, ok := subProfiles[key]; ok {
			return sp, key
		}
		var idx []int
		for _, op := range chain {
			idx = append(idx, rulesOf[op]...)
		}
		sort.Ints(idx)
		sp := *aug
		sp.Rules = nil
		last := -1
		for _, i := range idx {
			if i != last {
				sp.Rules = append(sp.Rules, aug.Rules[i])
			}
			last = i
		}
		sp.Imports = nil
		for _, im := range aug.Imports {
			n := 0
			for _, r := range sp.Rules {
				if r.Index < im.Index {
					n++
				}
			}
			im.Index = n
			sp.Imports = append(sp.Imports, im)
		}
		subProfiles[key] = &sp
		return &sp, key
	}
	engines := map[string]*policy.Engine{}
	// engineFor returns an engine for chain whose self-evaluated leaves
	// among relevant are forced to their value in w.
	engineFor := func(chain []string, w world, relevant []leafRef) *policy.Engine {
		if len(relevant) == 0 {
			// Nothing to force: one engine on the whole profile serves
			// every such operation.
			if e, ok := engines[""]; ok {
				return e
			}
			e, _ := policy.New(aug, policy.Options{Target: opts.Target})
			engines[""] = e
			return e
		}
		sp, ckey := subProfile(chain)
		assume := map[string]bool{}
		var key strings.Builder
		key.WriteString(ckey)
		key.WriteByte('|')
		for _, l := range relevant {
			v, ok := evalLeaf(l.node, w)
			if !ok {
				continue
			}
			assume[l.key] = v
			key.WriteString(l.key)
			if v {
				key.WriteString("=1;")
			} else {
				key.WriteString("=0;")
			}
		}
		if e, ok := engines[key.String()]; ok {
			return e
		}
		e, _ := policy.New(sp, policy.Options{Assume: assume, Target: opts.Target})
		engines[key.String()] = e
		return e
	}

	for op := range p.OpTable {
		name, ok := voc.OperationName(op)
		if !ok {
			continue
		}
		if o, ok := vocab.LookupOperation(name); !ok || o.NoOp {
			continue
		}
		if rep.Probes >= opts.MaxProbes {
			rep.Truncated = true
			break
		}
		rep.Operations++
		var relevant []leafRef
		chain := vocab.Ancestors(name)
		if len(chain) == 0 {
			chain = []string{name}
		}
		for _, a := range chain {
			relevant = append(relevant, leavesOf[a]...)
		}
		dims := dimensions(p, voc, op, aug, name, tgt)
		for _, w := range worlds(dims, opts.MaxWorlds) {
			blob := p.Evaluate(voc, op, blobRequest(w))
			e := engineFor(chain, w, relevant)
			d := e.Query(policy.Request{Op: name, Resource: engineResource(name, w)})
			rep.Probes++
			if blob.Decision == "" || d.Result == policy.Unknown {
				why := d.Reason
				if blob.Decision == "" {
					why = "the compiled graph gives no decision for this request"
				} else if why == "" {
					why = "sbplc's decision engine cannot decide it"
				}
				rep.undecided(why, name+" "+w.String())
				continue
			}
			var dis Disagreement
			if blob.Decision == d.Result.String() {
				got, want, ok := compareModifiers(p.Node(blob.Node), &d)
				if ok {
					rep.Agree++
					continue
				}
				dis = Disagreement{Op: name, Resource: w.String(), Blob: got + fmt.Sprintf(" (node %d)", blob.Node), Source: want}
			} else {
				dis = Disagreement{Op: name, Resource: w.String(), Blob: blob.Decision + fmt.Sprintf(" (node %d)", blob.Node), Source: d.Result.String()}
			}
			dis.Reason = d.Reason
			if d.Rule != nil {
				if sp := d.Rule.Origin.Primary(); sp.IsValid() {
					dis.Reason += " at " + sp.String()
				} else if d.Implicit {
					dis.Reason += " (implicit rule)"
				}
			}
			rep.Disagreements = append(rep.Disagreements, dis)
		}
	}
	return rep
}

// compareModifiers compares what the blob's decision node carries beyond
// allow or deny with what the deciding rule asks for: the report bit (set
// on every deny libsandbox 14.4.1 writes, on an allow only with (with
// report), cleared by (with no-report)), a message filter's inline
// terminal, and an inline modifier for any other (with ...) clause. ok is
// false when they differ; got and want describe both.
func compareModifiers(n *bytecode.Node, d *policy.Decision) (got, want string, ok bool) {
	if n == nil {
		return "", "", true
	}
	wantReport := d.Result == policy.Deny
	var wantInline []string
	for _, m := range d.Modifiers {
		switch m.Name {
		case "report":
			wantReport = true
		case "no-report":
			wantReport = false
		default:
			wantInline = append(wantInline, m.Name)
		}
	}
	describe := func(report bool, inline []string) string {
		s := d.Result.String()
		if report {
			s += " with report"
		} else {
			s += " without report"
		}
		for _, m := range inline {
			s += " (with " + m + ")"
		}
		return s
	}
	hasReport := n.Flags&bytecode.FlagReport != 0
	inline := n.Flags&bytecode.FlagInline != 0
	var gotInline []string
	if inline {
		gotInline = []string{"an inline modifier"}
		if n.ModType == bytecode.ModMessageFilter {
			gotInline = []string{"message-filter"}
		}
	}
	got = describe(hasReport, gotInline)
	want = describe(wantReport, wantInline)
	if hasReport != wantReport || inline != (len(wantInline) > 0) {
		return got, want, false
	}
	for _, m := range wantInline {
		if m == "message-filter" && n.ModType != bytecode.ModMessageFilter {
			return got, want, false
		}
	}
	return got, want, true
}

// augment copies prof with the injected rules appended and every
// self-evaluated leaf renamed to a unique Assume key.
func augment(prof *ir.Profile, target string) (*ir.Profile, []leafRef) {
	cp := *prof
	cp.Rules = nil
	var leaves []leafRef
	ruleIndex := 0
	var clone func(f *ir.FilterNode) *ir.FilterNode
	clone = func(f *ir.FilterNode) *ir.FilterNode {
		if f == nil {
			return nil
		}
		n := *f
		if f.Kind == ir.Leaf {
			if selfEvaluated(f) {
				key := fmt.Sprintf("sbplc-crosscheck-leaf-%d", len(leaves))
				n.Written = key
				leaves = append(leaves, leafRef{key: key, node: f, rule: ruleIndex})
			}
			return &n
		}
		n.Children = make([]*ir.FilterNode, len(f.Children))
		for i, c := range f.Children {
			n.Children[i] = clone(c)
		}
		return &n
	}
	t, _ := vocab.LookupTarget(target)
	cp.Imports = append([]ir.Import(nil), prof.Imports...)
	rules := append([]*ir.Rule(nil), prof.Rules...)
	rules = append(rules, injectedFor(prof, t)...)
	for _, r := range rules {
		ruleIndex = len(cp.Rules)
		rc := *r
		rc.Filter = clone(r.Filter)
		rc.Index = len(cp.Rules)
		cp.Rules = append(cp.Rules, &rc)
	}
	return &cp, leaves
}

// evalLeaf evaluates a self-evaluated leaf in w; ok is false when w has
// no value for its dimension or the argument form is not understood.
func evalLeaf(f *ir.FilterNode, w world) (bool, bool) {
	v, ok := w[dimOf(f)]
	if !ok {
		return false, false
	}
	for _, a := range f.Args {
		switch a.Kind {
		case ir.String:
			if v.isInt || a.Symbolic() {
				return false, false
			}
			switch matchOf(f) {
			case ir.MatchExact, ir.MatchOther:
				if v.str == a.Str {
					return true, true
				}
			case ir.MatchPrefix:
				if strings.HasPrefix(v.str, a.Str) {
					return true, true
				}
			case ir.MatchSubpath:
				if v.str == a.Str || strings.HasPrefix(v.str, strings.TrimSuffix(a.Str, "/")+"/") {
					return true, true
				}
			default:
				return false, false
			}
		case ir.Bool:
			if !v.isInt {
				return false, false
			}
			if (v.num != 0) == a.Bool {
				return true, true
			}
		case ir.Int, ir.Symbol:
			n := int(a.Int)
			if a.Kind == ir.Symbol {
				x, ok := bytecode.WellKnownValue(dimOf(f), a.Str)
				if !ok {
					return false, false
				}
				n = int(x)
			}
			if !v.isInt {
				return false, false
			}
			if v.num == n {
				return true, true
			}
		default:
			return false, false
		}
	}
	return false, true
}

// dimensions collects the probe values for op: from the blob's graph and
// from the profile's rules that name op or one of its ancestors (aliases
// resolved), each with near misses: a literal's child, a subpath's or
// prefix's sibling, the case-flipped spelling, strings a regex matches and
// nearly matches, the verbatim spelling of a non-canonical path; then a
// value no filter matches.
func dimensions(p *bytecode.Profile, voc bytecode.Vocabulary, op int, prof *ir.Profile, name string, t vocab.Target) map[string][]probe {
	dims := map[string][]probe{}
	add := func(dim string, pr probe) {
		for _, x := range dims[dim] {
			if x.isInt == pr.isInt && x.str == pr.str && x.num == pr.num && x.raw == pr.raw {
				return
			}
		}
		dims[dim] = append(dims[dim], pr)
	}
	addStr := func(dim, s string) { add(dim, probe{str: s, label: s}) }
	addString := func(dim, s string, m ir.Match) {
		addStr(dim, s)
		switch m {
		case ir.MatchExact:
			addStr(dim, strings.TrimSuffix(s, "/")+"/sbplc-probe")
		case ir.MatchSubpath:
			addStr(dim, strings.TrimSuffix(s, "/")+"/sbplc-probe")
			addStr(dim, s+"-sbplc-probe")
		case ir.MatchPrefix:
			addStr(dim, s+"sbplc-probe")
		}
		if f := flipCase(s); f != s {
			addStr(dim, f)
		}
		if dim == "path" && strings.HasPrefix(s, "/") && !policy.IsCanonicalPath(s) {
			add(dim, probe{str: s, raw: true, label: s + " (as written)"})
		}
	}
	addInt := func(dim string, n int) {
		add(dim, probe{num: n, isInt: true, label: intLabel(dim, n)})
	}
	for _, n := range p.Filters(voc, op) {
		dim := bytecode.FilterName(voc, n.Filter)
		a := p.FilterArg(voc, n)
		switch {
		case a.IntSet:
			for _, v := range a.Set {
				addInt(dim, v)
				addInt(dim, v+1)
			}
		case a.Regex:
		case a.Kind == bytecode.ArgInline:
			addInt(dim, a.Int)
		case a.Pattern != nil && a.Pattern.Shape != bytecode.ShapeProgram:
			m := map[bytecode.PatternShape]ir.Match{bytecode.ShapeExact: ir.MatchExact, bytecode.ShapeSubpath: ir.MatchSubpath, bytecode.ShapePrefix: ir.MatchPrefix}[a.Pattern.Shape]
			addString(dim, a.Pattern.Text, m)
		}
	}
	related := map[string]bool{}
	for _, a := range vocab.Ancestors(name) {
		related[a] = true
	}
	related[name] = true
	var walk func(f *ir.FilterNode)
	walk = func(f *ir.FilterNode) {
		if f == nil {
			return
		}
		if f.Kind != ir.Leaf {
			for _, c := range f.Children {
				walk(c)
			}
			return
		}
		dim, m := policy.LeafDim(f)
		for _, a := range f.Args {
			switch {
			case a.Kind == ir.Filter:
				walk(a.Sub)
			case (dim == "local" || dim == "remote") && a.Kind == ir.String:
				addNetwork(dims, add, dim, f, a.Str)
			case a.Kind == ir.String && m == ir.MatchRegex:
				for _, s := range regexSamples(a.Str, dim == "path") {
					addStr(dim, s)
				}
			case a.Kind == ir.String && !a.Symbolic():
				addString(dim, a.Str, m)
			case a.Kind == ir.Int:
				addInt(dim, int(a.Int))
				addInt(dim, int(a.Int)+1)
			case a.Kind == ir.Bool:
				addInt(dim, 0)
				addInt(dim, 1)
			case a.Kind == ir.Symbol && dim == "vnode-type":
				addStr(dim, strings.ToUpper(a.Str))
			case a.Kind == ir.Symbol:
				if x, ok := bytecode.WellKnownValue(dim, a.Str); ok {
					addInt(dim, int(x))
				}
			}
		}
		if (dim == "local" || dim == "remote") && len(f.Args) == 1 && f.Args[0].Kind == ir.Symbol {
			addNetwork(dims, add, dim, f, "*:*")
		}
	}
	for _, r := range prof.Rules {
		for _, o := range r.Ops {
			if related[resolveAlias(t, o.Name)] {
				walk(r.Filter)
				break
			}
		}
	}
	// Values that no filter matches.
	for dim, ps := range dims {
		switch {
		case ps[0].isInt:
			addInt(dim, unmatchedInt)
		case dim == "path":
			add(dim, probe{str: unmatchedPath, label: unmatchedPath})
		case dim == "vnode-type":
			if !hasProbe(ps, "REGULAR-FILE") {
				addStr(dim, "REGULAR-FILE")
			} else {
				addStr(dim, "DIRECTORY")
			}
		case dim == "local" || dim == "remote":
			addStr(dim, "udp6:*:9")
		default:
			add(dim, probe{str: unmatchedString, label: unmatchedString})
		}
	}
	return dims
}

func hasProbe(ps []probe, s string) bool {
	for _, p := range ps {
		if !p.isInt && p.str == s {
			return true
		}
	}
	return false
}

// addNetwork adds the endpoints a (local|remote PROTO "HOST:PORT") leaf
// names, and a port and a host next to them, as PROTO:HOST:PORT probes.
func addNetwork(dims map[string][]probe, add func(string, probe), dim string, f *ir.FilterNode, addr string) {
	proto := "ip"
	if len(f.Args) > 0 && f.Args[0].Kind == ir.Symbol {
		proto = strings.ToLower(f.Args[0].Str)
	}
	if proto == "unix" || proto == "unix-socket" {
		return
	}
	host, port, ok := strings.Cut(addr, ":")
	if !ok {
		return
	}
	if host == "*" {
		host = "10.0.0.1"
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	if port == "*" {
		port = "80"
	}
	base := strings.TrimRight(proto, "46")
	if base == "ip" {
		base = "tcp"
	}
	for _, s := range []string{base + ":" + host + ":" + port, base + ":" + host + ":1", base + ":192.0.2.9:" + port} {
		add(dim, probe{str: s, label: s})
	}
}

// flipCase returns s with the case of its ASCII letters swapped.
func flipCase(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z':
			b[i] = c - 32
		case c >= 'A' && c <= 'Z':
			b[i] = c + 32
		}
	}
	return string(b)
}

// regexSamples returns strings an SBPL regex matches, and near misses: the
// shortest match the regex's syntax tree gives, the same with one more
// character, and with its last character changed. path makes every
// sample absolute.
func regexSamples(src string, path bool) []string {
	g, err := policy.TranslateRegex(src)
	if err != nil {
		return nil
	}
	re, err := syntax.Parse(g, syntax.Perl)
	if err != nil {
		return nil
	}
	var b strings.Builder
	if !sampleRegex(&b, re.Simplify(), 0) {
		return nil
	}
	s := b.String()
	if path && !strings.HasPrefix(s, "/") {
		s = "/" + s
	}
	out := []string{s, s + "x"}
	if len(s) > 1 {
		last := s[len(s)-1]
		repl := byte('q')
		if last == 'q' {
			repl = 'z'
		}
		out = append(out, s[:len(s)-1]+string(repl))
	}
	return out
}

// sampleRegex writes a short string re matches; false when re cannot be
// sampled (deep nesting, empty classes).
func sampleRegex(b *strings.Builder, re *syntax.Regexp, depth int) bool {
	if depth > 100 || b.Len() > 4096 {
		return false
	}
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			b.WriteRune(r)
		}
	case syntax.OpCharClass:
		if len(re.Rune) < 2 {
			return false
		}
		r := re.Rune[0]
		if r < 'a' && re.Rune[1] >= 'a' {
			r = 'a'
		}
		b.WriteRune(r)
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteByte('a')
	case syntax.OpPlus:
		return sampleRegex(b, re.Sub[0], depth+1)
	case syntax.OpRepeat:
		for i := 0; i < re.Min; i++ {
			if !sampleRegex(b, re.Sub[0], depth+1) {
				return false
			}
		}
	case syntax.OpCapture:
		return sampleRegex(b, re.Sub[0], depth+1)
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			if !sampleRegex(b, sub, depth+1) {
				return false
			}
		}
	case syntax.OpAlternate:
		return sampleRegex(b, re.Sub[0], depth+1)
	case syntax.OpStar, syntax.OpQuest, syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine,
		syntax.OpBeginText, syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
	default:
		return false
	}
	return true
}

func intLabel(dim string, n int) string {
	if n == unmatchedInt {
		return "(other)"
	}
	if dim == "target" && n == 1 {
		return "self"
	}
	return strconv.Itoa(n)
}

// worlds enumerates the combinations of dims, or when there are more than
// max, every single-dimension variation of the all-unmatched world.
func worlds(dims map[string][]probe, max int) []world {
	keys := make([]string, 0, len(dims))
	total := 1
	for k, ps := range dims {
		keys = append(keys, k)
		if total <= max {
			total *= len(ps)
		}
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		return []world{{}}
	}
	if total <= max {
		out := []world{{}}
		for _, k := range keys {
			var next []world
			for _, w := range out {
				for _, pr := range dims[k] {
					nw := world{}
					for kk, vv := range w {
						nw[kk] = vv
					}
					nw[k] = pr
					next = append(next, nw)
				}
			}
			out = next
		}
		return out
	}
	base := world{}
	for _, k := range keys {
		ps := dims[k]
		base[k] = ps[len(ps)-1] // the unmatched value is last
	}
	out := []world{base}
	for _, k := range keys {
		for _, pr := range dims[k][:len(dims[k])-1] {
			nw := world{}
			for kk, vv := range base {
				nw[kk] = vv
			}
			nw[k] = pr
			out = append(out, nw)
		}
	}
	return out
}

func (w world) String() string {
	keys := make([]string, 0, len(w))
	for k := range w {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+"="+w[k].label)
	}
	if len(parts) == 0 {
		return "(no resource)"
	}
	return strings.Join(parts, " ")
}

// blobRequest is w as the blob sees it: paths resolved the way the kernel
// presents them (a raw probe as written).
func blobRequest(w world) bytecode.Request {
	r := bytecode.Request{Strings: map[string]string{}, Ints: map[string]int{}}
	for k, v := range w {
		if v.isInt {
			r.Ints[k] = v.num
			continue
		}
		s := v.str
		if k == "path" && !v.raw {
			if c, err := policy.CanonicalPath(s); err == nil {
				s = c
			}
		}
		r.Strings[k] = s
	}
	if _, ok := r.Strings["path"]; !ok {
		r.Strings["path"] = unmatchedPath
	}
	if _, ok := r.Ints["target"]; !ok {
		r.Ints["target"] = unmatchedInt
	}
	return r
}

// engineResource is w as a decision-engine resource for op.
func engineResource(op string, w world) policy.Resource {
	r := policy.Resource{Port: policy.AnyPort}
	switch policy.Family(op) {
	case policy.KindPath:
		path := unmatchedPath
		v, ok := w["path"]
		if ok && !v.isInt {
			path = v.str
		}
		// One check, as blobRequest presents it to the graph: the
		// canonical path (a raw probe as written), without the lookup's
		// symlink checks.
		r.Kind, r.Path, r.Text = policy.KindPath, path, path
		if c, err := policy.CanonicalPath(path); err == nil && !v.raw {
			r.Path = c
		}
		if vt, ok := w["vnode-type"]; ok && !vt.isInt {
			r.Vnode = vt.str
		}
	case policy.KindTarget:
		r.Kind, r.Target = policy.KindTarget, "others"
		if v, ok := w["target"]; ok && v.isInt && v.num == 1 {
			r.Target = "self"
		}
		r.Text = r.Target
	case policy.KindNetwork:
		r.Kind, r.Proto, r.Host, r.Text = policy.KindNetwork, "ip", "*", "ip:*:*"
		// The end of the connection the operation names: network-outbound
		// the remote one, inbound and bind the local one.
		end := "remote"
		if strings.Contains(op, "inbound") || strings.Contains(op, "bind") {
			end = "local"
		}
		if v, ok := w[end]; ok && !v.isInt {
			if nr, err := policy.ParseResource(op, v.str); err == nil {
				nr.Text = v.str
				r = nr
			}
		}
	case policy.KindName:
		r.Kind, r.Name = policy.KindName, unmatchedString
		for _, k := range sortedKeys(w) {
			if v := w[k]; !v.isInt && k != "path" && k != "local" && k != "remote" && k != "vnode-type" {
				r.Name = v.str
				break
			}
		}
		r.Text = r.Name
	}
	return r
}

func sortedKeys(w world) []string {
	keys := make([]string, 0, len(w))
	for k := range w {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
