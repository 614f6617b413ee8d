package policy

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/internal/spell"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/vocab"
)

// Result is the engine's answer.
type Result uint8

// Results.
const (
	Deny Result = iota
	Allow
	Unknown
)

// String returns allow, deny or unknown.
func (r Result) String() string {
	return [...]string{"deny", "allow", "unknown"}[r]
}

func fromAction(a ir.Action) Result {
	if a == ir.Allow {
		return Allow
	}
	return Deny
}

// Options configure an Engine.
type Options struct {
	// Version overrides the profile's (version N); 0 uses the profile's,
	// and a profile without one is treated as version 1.
	Version int
	// NoImplicit leaves out libsandbox's implicit policy rules even when
	// the profile would get them.
	NoImplicit bool
	// Assume forces filters the engine cannot evaluate (or any filter):
	// the key is a filter name as written or canonical ("require-entitlement",
	// "extension", "vnode-type"); "entitlement" and "extension" also cover
	// every filter whose name contains that word.
	Assume map[string]bool
	// Home substitutes ${HOME} (unbound HOME param placeholders and the
	// pattern variables ${HOME} / ${FRONT_USER_HOME}); "" leaves values
	// that contain them unknown.
	Home string
	// Target is the OS release (e.g. "macos14", as --target takes it) whose
	// operation table decides which operation a query names, whose
	// built-in defaults apply (vocab.TerminalDefaultFor) and whose implicit
	// rules are added (ImplicitRulesFor); "" = vocab.DefaultTarget(). An
	// unknown name also selects the default target.
	Target string
	// TargetInfo selects the target directly; it takes precedence over
	// Target when its Name is set.
	TargetInfo vocab.Target
	// Model selects the unverified model choices; nil = DefaultModel().
	Model *Model
}

// How says how a step of the walk ended.
type How uint8

// Step outcomes.
const (
	HowNext       How = iota // the operation's filtered rules did not decide: jump to its parent
	HowFiltered              // a filtered rule matched
	HowUnfiltered            // the operation's own unfiltered rule decided
	HowTerminal              // the operation's built-in default decided
)

// String names the step outcome.
func (h How) String() string {
	return [...]string{"fallback", "filtered", "unfiltered", "terminal"}[h]
}

// Step is one operation of the fallback chain the query walked.
type Step struct {
	Op    string
	Tried int // filtered rules tried on this operation
	How   How
}

// Decision is the answer to one query.
type Decision struct {
	Result Result
	// Reason says in words how the result came about; for Unknown it says
	// what the engine could not evaluate and how to decide it.
	Reason string
	// Rule is the deciding rule, nil for a built-in default. For Unknown it
	// is the rule whose filter could not be evaluated, if any.
	Rule *ir.Rule
	// Implicit is true when Rule is one of libsandbox's implicit policy
	// rules (it then has no source position).
	Implicit bool
	// Also is, when an implicit rule decided, a rule of the profile on the
	// same operation that gives the same answer (the user wrote the rule
	// the implicit policy also adds); nil otherwise.
	Also *ir.Rule
	// Op is the operation asked about (after alias resolution).
	Op        string
	Resource  Resource
	Canonical string
	Chain     []Step
	Modifiers []ir.Modifier
	// Link is the symlink whose own file-read-metadata check decided (the
	// lookup of /etc/hosts crosses /etc; see Resource.Links), "" when the
	// operation's check on the canonical path decided. Chain and Rule are
	// then those of the link's check.
	Link string

	pos int // the deciding rule's place in written order
}

// Request is one question: may Op act on Resource?
type Request struct {
	Op       string
	Resource Resource
}

// crule is a compiled rule.
type crule struct {
	r        *ir.Rule
	result   Result
	f        *cnode
	implicit bool
	pos      int // place in written order; implicit rules come last
}

// segment is one operation's part of a fallback chain.
type segment struct {
	op        string
	filtered  []*crule // newest first
	bottom    *crule
	bottomWhy string
	idx       []*sindex // simple rules by resource dimension
	complex   []int32   // positions in filtered of the other rules, ascending
	guards    []guard   // necessary conditions of the complex rules
	gidx      *gindex   // path-guarded complex rules by path
	free      []int32   // slots of complex rules without a path guard
	allK      []int32   // every slot
	// indexOnce builds idx, complex, guards, gidx, free and allK on the
	// first query: callers that only list rules (RulesFor) never pay for
	// the index.
	indexOnce sync.Once
}

// plan is the precomputed fallback chain of one operation.
type plan struct {
	op       string
	segs     []*segment
	terminal Result // decision when no segment decides
	termOp   string // the operation whose built-in default that is
	termWhy  string // reason for an Unknown terminal
	remote   bool   // network addresses of this operation are the remote end
	nameDim  string // the filter naming a global name resource of this operation
	// guessed is the first fallback link of the chain that the vocabulary
	// inferred rather than read from a table (vocab Operation.Guessed):
	// guessedFrom jumps to guessedTo. beforeGuess are the operations up to
	// guessedFrom; a rule naming none of them decides only through the
	// guessed link. "" when every link is verified.
	guessedFrom, guessedTo string
	beforeGuess            []string
}

// Engine answers queries about one evaluated profile. It is safe for
// concurrent use.
type Engine struct {
	profile  *ir.Profile
	opts     Options
	model    Model
	version  int
	target   vocab.Target
	rules    []*crule
	byOp     map[string][]*crule // rules naming the op, in written order
	segs     map[string]*segment // per-operation segments, shared by plans
	whyCache map[whyKey]string   // built-in default reasons, shared by plans
	// Plans are built on first use: lazy[i] is the plan of operation i of
	// opIndex (vocab.Operations()), extra those of operations the profile
	// names that the vocabulary does not know (built by New). mu guards
	// building (segs, whyCache).
	lazy     []atomic.Pointer[plan]
	extra    map[string]*plan
	mu       sync.Mutex
	opaque   []opaquePoint // unresolved imports and opaque blocks, by index
	implicit []*crule
	defaults map[string]vocab.DefaultRule // built-in defaults on target (shared: read only)
	// measured is set when defaults come from compiled blobs of the
	// target rather than the vocabulary (measuredDefaults).
	measured bool
}

// whyKey identifies a built-in default reason.
type whyKey struct {
	op  string
	res Result
}

// defaultsKey identifies one table of built-in defaults.
type defaultsKey struct {
	target  string
	version int
}

// defaultsCache holds, per target and version, the operations with a
// built-in decision as vocab.TerminalDefaultFor answers them; it is filled
// once per key for the process (at most maxDefaultsCache keys).
var defaultsCache struct {
	mu sync.Mutex
	m  map[defaultsKey]map[string]vocab.DefaultRule
}

const maxDefaultsCache = 64

func builtinDefaults(t vocab.Target, version int) map[string]vocab.DefaultRule {
	if activeMutation == mutNoBuiltinDefaults {
		return map[string]vocab.DefaultRule{"default": {Action: "deny", Verified: true}}
	}
	k := defaultsKey{t.Name + "\x00" + t.OSKey + "\x00" + activeMutation.String(), version}
	defaultsCache.mu.Lock()
	defer defaultsCache.mu.Unlock()
	if m, ok := defaultsCache.m[k]; ok {
		return m
	}
	m, measured := measuredDefaults(t, version)
	if !measured {
		m = map[string]vocab.DefaultRule{}
		for _, o := range vocab.Operations() {
			if r, ok := vocab.TerminalDefaultFor(t, o.Name, version); ok {
				m[o.Name] = r
			}
		}
	}
	if defaultsCache.m == nil || len(defaultsCache.m) >= maxDefaultsCache {
		defaultsCache.m = map[defaultsKey]map[string]vocab.DefaultRule{}
	}
	defaultsCache.m[k] = m
	return m
}

// ImplicitRules returns the rules libsandbox's policy.scm appends to every
// profile (semantics §1.7): (allow signal (target self)) and (allow
// mach-task-name (target self)).
func ImplicitRules() []*ir.Rule {
	return []*ir.Rule{selfRule("signal"), selfRule("mach-task-name")}
}

// ImplicitRulesFor returns the implicit rules on target t: those of
// ImplicitRules, and on macOS 14 and the newer (unverified) targets, which
// vocab answers from the 14.4.1 measurements, an (allow OP (target self))
// for each operation of vocab.InjectedFilterOps() (the compiled 14.4.1
// blobs give mach-task-inspect, mach-task-name, mach-task-read and signal a
// (target self) node under (deny default); bytecode-format §2.6).
func ImplicitRulesFor(t vocab.Target) []*ir.Rule {
	switch activeMutation {
	case mutNoImplicit:
		return nil
	case mutImplicit10x:
		return ImplicitRules()
	}
	rs := ImplicitRules()
	if !injectsTargetSelf(t) {
		return rs
	}
	have := map[string]bool{"signal": true, "mach-task-name": true}
	for _, op := range vocab.InjectedFilterOps() {
		if !have[op] {
			have[op] = true
			rs = append(rs, selfRule(op))
		}
	}
	return rs
}

// injectsTargetSelf reports whether t is macOS 14 or newer.
func injectsTargetSelf(t vocab.Target) bool {
	ts := vocab.Targets()
	at, m14 := -1, -1
	for i, x := range ts {
		if x.Name == t.Name {
			at = i
		}
		if x.OSKey == "14.4.1" {
			m14 = i
		}
	}
	return at >= 0 && m14 >= 0 && at >= m14
}

func selfRule(op string) *ir.Rule {
	return &ir.Rule{Action: ir.Allow, Ops: []ir.Op{{Name: op, Written: op}},
		Filter: &ir.FilterNode{Kind: ir.Leaf, Name: "target", Written: "target", Base: "target",
			Args: []ir.Value{{Kind: ir.Symbol, Str: "self"}}}}
}

// New compiles p for querying: regexes are translated and validated (and
// compiled lazily, on first use), literal, subpath and prefix filters are
// indexed per operation. The
// diagnostics (warnings) report regexes the engine cannot translate; those
// filters, like malformed network addresses the evaluator already
// reports, evaluate to unknown.
func New(p *ir.Profile, opts Options) (*Engine, diag.List) {
	if p == nil {
		p = &ir.Profile{}
	}
	e := &Engine{profile: p, opts: opts, byOp: map[string][]*crule{}, segs: map[string]*segment{}, whyCache: map[whyKey]string{}}
	if len(e.opts.Home) > 1 {
		e.opts.Home = strings.TrimRight(e.opts.Home, "/")
	}
	if opts.Model != nil {
		e.model = *opts.Model
	} else {
		e.model = DefaultModel()
	}
	switch activeMutation {
	case mutExpansion:
		e.model.SpecificBeatsWildcard = false
	case mutV1DefaultsUnderV2:
		e.model.NewerVersionDefaults = Allow
	}
	e.version = opts.Version
	if e.version == 0 {
		e.version = p.Version
	}
	if e.version == 0 {
		e.version = 1
	}
	e.target = vocab.DefaultTarget()
	if opts.TargetInfo.Name != "" {
		e.target = opts.TargetInfo
	} else if opts.Target != "" {
		if t, ok := vocab.LookupTarget(opts.Target); ok {
			e.target = t
		}
	}
	e.defaults = builtinDefaults(e.target, e.version)
	_, e.measured = measuredDefaults(e.target, e.version)
	c := &compiler{opts: &e.opts}
	add := func(r *ir.Rule, implicit bool) {
		cr := &crule{r: r, result: fromAction(r.Action), f: c.compile(r.Filter, 0), implicit: implicit, pos: len(e.rules)}
		e.rules = append(e.rules, cr)
		opName := func(op ir.Op) string {
			if op.Name == "" {
				return op.Written
			}
			return op.Name
		}
		var seen map[string]bool // only for rules naming many operations
		if len(r.Ops) > 8 {
			seen = make(map[string]bool, len(r.Ops))
		}
	ops:
		for i, op := range r.Ops {
			name := opName(op)
			if a, ok := LookupAlias(e.target, name); ok && a.Status == AliasVerified {
				name = a.Target
			}
			if seen != nil {
				if seen[name] {
					continue
				}
				seen[name] = true
			} else {
				for _, prev := range r.Ops[:i] {
					if opName(prev) == name {
						continue ops
					}
				}
			}
			e.byOp[name] = append(e.byOp[name], cr)
		}
		if implicit {
			e.implicit = append(e.implicit, cr)
		}
	}
	for _, r := range p.Rules {
		if r == nil {
			r = &ir.Rule{} // keep positions aligned with Import.Index
		}
		add(r, false)
	}
	if p.Implicit && !opts.NoImplicit {
		for _, r := range ImplicitRulesFor(e.target) {
			r.Index = len(e.rules)
			add(r, true)
		}
	}
	for _, im := range p.Imports {
		if !im.Resolved {
			why := fmt.Sprintf("the profile imports %q, which was not found: its rules may decide this (add -I DIR)", im.Name)
			e.opaque = append(e.opaque, opaquePoint{index: im.Index, why: why + atOrigin(im.Origin)})
		}
	}
	for _, ob := range p.OpaqueBlocks {
		why := ob.Reason + ": the rules of the statement that needs it may decide this (add -I DIR)"
		e.opaque = append(e.opaque, opaquePoint{index: ob.Index, why: why + atOrigin(ob.Origin)})
	}
	sort.SliceStable(e.opaque, func(i, j int) bool { return e.opaque[i].index < e.opaque[j].index })
	idx := opIndex()
	e.lazy = make([]atomic.Pointer[plan], len(idx))
	for op := range e.byOp {
		if _, ok := idx[op]; !ok {
			if e.extra == nil {
				e.extra = map[string]*plan{}
			}
			e.extra[op] = e.buildPlan(op)
		}
	}
	return e, c.diags.Sort()
}

// opaquePoint is a place in the profile where rules of any operation may
// hide: an unresolved import or an opaque block (ir.OpaqueBlock). index is
// the number of rules before it; why is the Unknown reason it gives.
type opaquePoint struct {
	index int
	why   string
}

// atOrigin is " at FILE:LINE:COL" for o's primary span, or "".
func atOrigin(o ir.Origin) string {
	if sp := o.Primary(); sp.IsValid() {
		return " at " + sp.String()
	}
	return ""
}

// opIndex numbers the vocabulary's operations (the engine's lazy plans).
var opIndex = sync.OnceValue(func() map[string]int {
	m := map[string]int{}
	for i, o := range vocab.Operations() {
		m[o.Name] = i
	}
	return m
})

// planFor returns the fallback chain of op, building it on first use; nil
// for an operation neither the vocabulary nor the profile names. It is
// safe for concurrent use and does not allocate once the plan exists.
func (e *Engine) planFor(op string) *plan {
	i, ok := opIndex()[op]
	if !ok {
		return e.extra[op]
	}
	if pl := e.lazy[i].Load(); pl != nil {
		return pl
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if pl := e.lazy[i].Load(); pl != nil {
		return pl
	}
	pl := e.buildPlan(op)
	e.lazy[i].Store(pl)
	return pl
}

// buildPlan computes the fallback chain of op. It runs in New or under mu.
func (e *Engine) buildPlan(op string) *plan {
	pl := &plan{op: op, remote: !strings.Contains(op, "inbound") && !strings.Contains(op, "bind"), nameDim: nameDimFor(op, Global)}
	var chain []string // shared with vocab: read only
	if o, ok := vocab.LookupOperation(op); ok {
		chain = o.Chain
	}
	if len(chain) == 0 || chain[0] != op {
		chain = append([]string{op}, chain...)
	}
	for i, name := range chain[:len(chain)-1] {
		if o, ok := vocab.LookupOperation(name); ok && o.Guessed {
			pl.guessedFrom, pl.guessedTo, pl.beforeGuess = name, chain[i+1], chain[:i+1]
			break
		}
	}
	last := chain[len(chain)-1]
	_, known := vocab.LookupOperation(last)
	// The built-in default on the target: the most specific operation of
	// the chain with one decides (on 14.4.1 an operation such as
	// process-info-pidinfo has its own entry). Such a chain never reaches
	// default: these operations are allowed (or denied) whatever the
	// (allow|deny default) rule says. The step shown is the chain's last
	// operation when its default is the same.
	termAt := -1
	var term vocab.DefaultRule
	for i, name := range chain {
		if name == "default" {
			break
		}
		if r, ok := e.defaults[name]; ok {
			termAt, term = i, r
			break
		}
	}
	walk := chain
	if termAt >= 0 && last == "default" {
		walk = chain[:len(chain)-1]
	}
	pl.segs = make([]*segment, 0, len(walk)+1)
	if e.model.SpecificBeatsWildcard {
		for _, name := range walk {
			pl.segs = append(pl.segs, e.opSegment(name))
		}
	} else {
		// Expansion model: the operation and its ancestors below default
		// form one list in written order; default stays the final fallback.
		var merged []string
		for _, name := range walk {
			if name != "default" {
				merged = append(merged, name)
			}
		}
		if len(merged) > 0 {
			pl.segs = append(pl.segs, e.segment(op, merged))
		}
		if walk[len(walk)-1] == "default" {
			pl.segs = append(pl.segs, e.opSegment("default"))
		}
	}
	pl.termOp = last
	switch {
	case termAt >= 0:
		pl.termOp = chain[termAt]
		if end := walk[len(walk)-1]; end != pl.termOp {
			if r, ok := e.defaults[end]; ok && r.Action == term.Action {
				pl.termOp = end
			}
		}
		pl.terminal = Deny
		if term.Action == "allow" {
			pl.terminal = Allow
			if e.version >= 2 && !e.measured {
				pl.terminal = e.model.NewerVersionDefaults
				if pl.terminal == Unknown {
					pl.termWhy = fmt.Sprintf("the built-in default of %s under (version %d) is not verified (semantics §1.5): decide it with --model newer-version-defaults=allow|deny", pl.termOp, e.version)
				}
			}
		}
	case !known || e.measured && last != "default":
		// Not in the vocabulary, or (measured (version 2) defaults) an
		// operation without a parent whose (version 1) built-in default
		// is gone: it falls back to default, as every op-table entry
		// that has no default of its own copies entry 0's decision.
		if last != "default" {
			pl.segs = append(pl.segs, e.opSegment("default"))
			pl.termOp = "default"
		}
		pl.terminal = Deny
	default:
		pl.terminal = Deny
	}
	if pl.termWhy == "" {
		key := whyKey{pl.termOp, pl.terminal}
		w, ok := e.whyCache[key]
		if !ok {
			w = fmt.Sprintf("no rule matched; the built-in default of %s is %s", pl.termOp, pl.terminal)
			e.whyCache[key] = w
		}
		pl.termWhy = w
	}
	return pl
}

// opSegment returns the (shared) segment of one operation's own rules.
func (e *Engine) opSegment(op string) *segment {
	if s, ok := e.segs[op]; ok {
		return s
	}
	s := e.segment(op, []string{op})
	e.segs[op] = s
	return s
}

func (e *Engine) segment(label string, ops []string) *segment {
	s := &segment{op: label}
	var all []*crule
	if len(ops) == 1 {
		all = e.byOp[ops[0]]
	} else {
		seen := map[*crule]bool{}
		for _, op := range ops {
			for _, cr := range e.byOp[op] {
				if !seen[cr] {
					seen[cr] = true
					all = append(all, cr)
				}
			}
		}
		sort.SliceStable(all, func(i, j int) bool { return all[i].pos < all[j].pos })
	}
	s.filtered = make([]*crule, 0, len(all))
	for i := len(all) - 1; i >= 0; i-- {
		cr := all[i]
		if cr.f == nil {
			if s.bottom == nil {
				s.bottom = cr
			}
			continue
		}
		s.filtered = append(s.filtered, cr)
	}
	if s.bottom != nil {
		s.bottomWhy = "no filtered rule matched; the unfiltered rule of " + label + " decides"
	}
	return s
}

// ResolveOp maps an operation name as a caller writes it to the operation
// the kernel checks: a name in the target's table stays; an sbpl alias
// (process-exec, file-unlink) resolves to what it is bound to. It fails
// for unknown and no-op names.
func (e *Engine) ResolveOp(name string) (string, error) {
	o, ok := vocab.LookupOperation(name)
	if !ok {
		if s := spell.Nearest(name, vocab.OperationNames()); s != "" {
			return "", fmt.Errorf("unknown operation %q (did you mean %q?)", name, s)
		}
		return "", fmt.Errorf("unknown operation %q", name)
	}
	if o.NoOp {
		return "", fmt.Errorf("%q is bound to 'no-op: libsandbox drops rules that name it, and no operation of that name is checked", name)
	}
	key := e.target.OSKey
	if !e.target.Verified {
		key = "14.4.1" // the newest table read from a binary
	}
	if own := o.IDs.Has(key); o.AliasOf != "" && !own {
		if r, ok := vocab.ResolveOperation(name); ok {
			return r.Name, nil
		}
	}
	return o.Name, nil
}

// Query answers req. An operation name that ResolveOp rejects gives
// Unknown with the error as reason.
func (e *Engine) Query(req Request) Decision {
	var d Decision
	e.QueryInto(req, &d)
	return d
}

// QueryInto is Query writing into d, reusing d.Chain's storage: a loop
// that passes the same Decision makes no allocations for path and name
// queries.
//
// A path whose lookup crosses symlinks (Resource.Links: /tmp/x crosses
// /tmp) is decided as Seatbelt decides the lookup: the operation on the
// canonical path, and file-read-metadata on each link itself; a deny of
// either denies the request, and the decision then names the link.
func (e *Engine) QueryInto(req Request, d *Decision) {
	e.queryOne(req, d)
	if len(req.Resource.Links) == 0 || d.Result == Deny || activeMutation == mutNoLinkCheck {
		return
	}
	// opt: ld could reuse storage across calls; link-crossing paths are
	// rare in queries (lint and audit probes are canonical).
	var ld Decision
	var unknown *Decision
	for _, l := range req.Resource.Links {
		e.queryOne(Request{Op: "file-read-metadata", Resource: Resource{Kind: KindPath, Text: l, Path: l, Port: AnyPort}}, &ld)
		switch ld.Result {
		case Deny:
			*d = Decision{Result: Deny, Rule: ld.Rule, Implicit: ld.Implicit, Op: d.Op, Resource: req.Resource, Canonical: d.Canonical,
				Chain: ld.Chain, Modifiers: ld.Modifiers, Link: l, pos: ld.pos,
				Reason: fmt.Sprintf("the lookup crosses the symlink %s, which Seatbelt checks as file-read-metadata on %s itself, and that is denied: %s", l, l, ld.Reason)}
			return
		case Unknown:
			if unknown == nil {
				u := ld
				u.Link = l
				unknown = &u
			}
		}
	}
	if unknown != nil && d.Result == Allow {
		*d = Decision{Result: Unknown, Rule: unknown.Rule, Implicit: unknown.Implicit, Op: d.Op, Resource: req.Resource, Canonical: d.Canonical,
			Chain: unknown.Chain, Modifiers: unknown.Modifiers, Link: unknown.Link, pos: unknown.pos,
			Reason: fmt.Sprintf("the lookup crosses the symlink %s, which Seatbelt checks as file-read-metadata on %s itself: %s", unknown.Link, unknown.Link, unknown.Reason)}
	}
}

// queryOne decides one check: req.Op on req.Resource as given (the
// resource's Links are QueryInto's business).
func (e *Engine) queryOne(req Request, d *Decision) {
	op := req.Op
	if a, ok := LookupAlias(e.target, op); ok && a.Status == AliasVerified {
		op = a.Target // rules on the alias are filed under its target (New)
	}
	pl := e.planFor(op)
	if pl == nil {
		r, err := e.ResolveOp(op)
		if err != nil {
			*d = Decision{Result: Unknown, Reason: err.Error(), Op: op, Resource: req.Resource, Canonical: req.Resource.Canonical(), Chain: d.Chain[:0]}
			return
		}
		op = r
		if pl = e.planFor(op); pl == nil {
			*d = Decision{Result: Unknown, Reason: fmt.Sprintf("operation %q has no fallback chain", op), Op: op, Resource: req.Resource, Canonical: req.Resource.Canonical(), Chain: d.Chain[:0]}
			return
		}
	}
	q := query{res: req.Resource, model: &e.model, remote: pl.remote}
	if q.res.Kind == KindName {
		q.nameDim = pl.nameDim
		if q.res.NS != Global {
			q.nameDim = nameDimFor(op, q.res.NS)
		}
	}
	chain := d.Chain[:0]
	*d = Decision{Op: op, Resource: req.Resource, Canonical: req.Resource.Canonical()}
	if activeMutation != mutNone && mutatesChoice() {
		d.Chain = chain
		e.mutatedQuery(pl, &q, d)
		return
	}
	var pending []*crule
	var reasons []string
	var cbuf, tbuf [64]int32
	decided := false
	var decSeg *segment
	for si := range pl.segs {
		s := pl.segs[si]
		step := Step{Op: s.op}
		s.indexOnce.Do(s.buildIndex)
		best := s.newestSimple(&q)
		for _, k := range s.candidates(&q.res, cbuf[:0], tbuf[:0]) {
			i := s.complex[k]
			if i > best {
				break
			}
			if !s.guards[k].pass(&q.res) {
				continue
			}
			cr := s.filtered[i]
			switch cr.f.eval(&q) {
			case yes:
				best = i
				decided = true
			case maybe:
				pending = append(pending, cr)
				reasons = append(reasons, q.why)
			}
			if decided {
				break
			}
		}
		if best != none {
			decided = true
			step.How = HowFiltered
			step.Tried = int(best) + 1
			d.decide(s.filtered[best], "a filtered rule matched")
		} else {
			step.Tried = len(s.filtered)
		}
		if !decided && s.bottom != nil {
			step.How = HowUnfiltered
			d.decide(s.bottom, s.bottomWhy)
			decided = true
		}
		chain = append(chain, step)
		if decided {
			decSeg = s
			break
		}
	}
	if !decided {
		// The built-in default belongs to the chain's last operation: mark
		// its step rather than listing the operation twice.
		if n := len(chain); n > 0 && chain[n-1].Op == pl.termOp {
			chain[n-1].How = HowTerminal
		} else {
			chain = append(chain, Step{Op: pl.termOp, How: HowTerminal})
		}
		d.Result = pl.terminal
		d.Reason = pl.termWhy
	}
	d.Chain = chain
	if pl.guessedFrom != "" && !e.model.TrustGuessedFallbacks && d.Result != Unknown && !d.namesAny(pl.beforeGuess) {
		d.Result = Unknown
		d.Reason = fmt.Sprintf("the answer depends on the fallback %s -> %s, which is inferred from the names, not read from an operation table: decide it with --model trust-guessed-fallbacks=true", pl.guessedFrom, pl.guessedTo)
		d.Rule, d.Modifiers, d.Implicit = nil, nil, false
		return
	}
	// Unresolved imports may hold rules of any operation. An answer stands
	// only if a filtered rule of the queried operation's own list (the
	// first segment), written after the last such import, decided it: an
	// imported rule on the queried operation would be older, and one on an
	// ancestor would only be consulted after the first segment.
	if n := len(e.opaque); n > 0 {
		last := e.opaque[n-1]
		how := d.Chain[len(d.Chain)-1].How
		if how != HowFiltered || len(d.Chain) > 1 || d.pos < last.index {
			d.Result = Unknown
			d.Reason = last.why
			d.Rule, d.Modifiers, d.Implicit = nil, nil, false
		}
	}
	// Filters that could not be evaluated: the answer stands only if every
	// rule they guard has the same action as the rest of the walk. The
	// reported rule is the one of highest precedence (pending is in walk
	// order) whose action differs.
	if d.Result == Unknown {
		return
	}
	for i, cr := range pending {
		if cr.result != d.Result {
			d.Result = Unknown
			d.Reason = reasons[i]
			d.Rule, d.Implicit, d.Modifiers = cr.r, cr.implicit, cr.r.Modifiers
			return
		}
	}
	if d.Implicit && decSeg != nil {
		d.Also = decSeg.userAgrees(&q, d.Result)
	}
}

// userAgrees returns the rule of the profile that decides q in s when the
// implicit rules are left out, if it gives res; nil when none does, when
// it gives another answer or when a filter cannot be evaluated.
func (s *segment) userAgrees(q *query, res Result) *ir.Rule {
	for _, cr := range s.filtered {
		if cr.implicit {
			continue
		}
		switch cr.f.eval(q) {
		case yes:
			if cr.result == res {
				return cr.r
			}
			return nil
		case maybe:
			return nil
		}
	}
	if s.bottom != nil && !s.bottom.implicit && s.bottom.result == res {
		return s.bottom.r
	}
	return nil
}

// namesAny reports whether the deciding rule names one of ops (false for
// a built-in default).
func (d *Decision) namesAny(ops []string) bool {
	if d.Rule == nil {
		return false
	}
	for _, o := range d.Rule.Ops {
		for _, x := range ops {
			if o.Name == x {
				return true
			}
		}
	}
	return false
}

func (d *Decision) decide(cr *crule, why string) {
	d.Result, d.Rule, d.Implicit, d.Modifiers, d.pos, d.Also = cr.result, cr.r, cr.implicit, cr.r.Modifiers, cr.pos, nil
	d.Reason = why
	if cr.implicit {
		d.Reason = "libsandbox's implicit policy rule matched"
	}
}

// QueryText parses resource for op (see ParseResource) and answers.
func (e *Engine) QueryText(op, resource string) (Decision, error) {
	r, err := e.ResolveOp(op)
	if err != nil {
		return Decision{}, err
	}
	res, err := ParseResource(r, resource)
	if err != nil {
		return Decision{}, err
	}
	return e.Query(Request{Op: r, Resource: res}), nil
}

// Version is the SBPL version the engine applies.
func (e *Engine) Version() int { return e.version }

// Model returns the model choices in effect.
func (e *Engine) Model() Model { return e.model }

// OpRules is what the engine sees for one operation.
type OpRules struct {
	Op       string
	Filtered []*ir.Rule // newest first: the first whose filter matches decides
	Bottom   *ir.Rule   // the last unfiltered rule, nil = jump to Parent or the built-in default
	Parent   string     // "" for a terminal operation
	Terminal string     // the built-in default when Parent == "": allow, deny or unknown
}

// RulesFor returns op's own rule list in decision order (including
// implicit rules, which have no source position) and where it falls back
// to. Under the expansion model (SpecificBeatsWildcard false) a query also
// interleaves the ancestors' rules, which RulesFor does not show. Lint uses
// it for shadowing analyses.
func (e *Engine) RulesFor(op string) OpRules {
	out := OpRules{Op: op}
	var s *segment
	if pl := e.planFor(op); pl != nil && e.model.SpecificBeatsWildcard {
		s = pl.segs[0]
		if len(pl.segs) > 1 {
			out.Parent = pl.segs[1].op
		} else {
			out.Terminal = pl.terminal.String()
		}
	} else {
		s = e.segment(op, []string{op})
		if o, ok := vocab.LookupOperation(op); ok {
			out.Parent = o.Fallback
		}
	}
	if len(s.filtered) > 0 {
		out.Filtered = make([]*ir.Rule, len(s.filtered))
		for i, cr := range s.filtered {
			out.Filtered[i] = cr.r
		}
	}
	if s.bottom != nil {
		out.Bottom = s.bottom.r
	}
	return out
}

// FilteredRules returns op's own filtered rules, newest first: the
// Filtered list of RulesFor(op), without computing op's fallback chain
// (shadowing analyses ask for every operation a profile names).
func (e *Engine) FilteredRules(op string) []*ir.Rule {
	var s *segment
	if _, known := opIndex()[op]; known && e.model.SpecificBeatsWildcard {
		e.mu.Lock()
		s = e.opSegment(op)
		e.mu.Unlock()
	} else {
		return e.RulesFor(op).Filtered
	}
	if len(s.filtered) == 0 {
		return nil
	}
	out := make([]*ir.Rule, len(s.filtered))
	for i, cr := range s.filtered {
		out[i] = cr.r
	}
	return out
}

// Chain returns the operations a query on op walks, op first.
func (e *Engine) Chain(op string) []string {
	pl := e.planFor(op)
	if pl == nil {
		return nil
	}
	var out []string
	for _, s := range pl.segs {
		out = append(out, s.op)
	}
	if len(out) == 0 || out[len(out)-1] != pl.termOp {
		out = append(out, pl.termOp)
	}
	return out
}
