package lint

import (
	"fmt"
	"hash/maphash"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/policy"
	"github.com/sbplc/sbplc/vocab"
)

var orderingRules = []*Rule{
	{ID: "shadowed-rule", Category: Ordering, Severity: diag.Warning,
		Summary: "rule that a later opposite rule always overrides", Run: runShadowed},
	{ID: "duplicate-rule", Category: Ordering, Severity: diag.Info,
		Summary: "rule repeated with the same action and filter", Run: runDuplicate},
	{ID: "redundant-rule", Category: Ordering, Severity: diag.Info,
		Summary: "rule covered by a later rule with the same action", Run: runRedundant},
	{ID: "unfiltered-vs-filtered-precedence", Category: Ordering, Severity: diag.Warning,
		Summary: "unfiltered rule that cannot override a filtered one", Run: runUnfilteredVsFiltered},
	{ID: "default-not-first", Category: Ordering, Severity: diag.Warning,
		Summary: "(allow default) or (deny default) after other rules", Run: runDefaultNotFirst},
	{ID: "late-wildcard-deny", Category: Ordering, Severity: diag.Warning,
		Summary: "wildcard deny that does not reach a specific allow", Run: runLateWildcardDeny},
}

// runLateWildcardDeny reports a filtered deny on a wildcard operation
// (file-write*) that covers a filtered allow of one of its specific
// operations (file-write-data): in the fallback model the specific
// operation's own rules are tried first, so the deny never reaches the
// paths the allow names, whatever the order. Under the expansion model
// (policy.Model.SpecificBeatsWildcard false) the engine's rule lists make
// shadowed-rule report the allow instead.
func runLateWildcardDeny(p *Pass) {
	e := p.engine()
	if !e.Model().SpecificBeatsWildcard {
		return
	}
	// Walk the rules newest first, indexing the filtered denies seen so far
	// (the later ones) per wildcard operation; an allow of a specific
	// operation that a later wildcard deny covers is reported at the deny.
	keys := p.coverKeys()
	later := map[string]*coverIndex{}
	reported := map[*ir.Rule]bool{}
	type finding struct {
		deny, allow *ir.Rule
		wild, child string
	}
	var found []finding
	rules := p.Profile.Rules
	for i := len(rules) - 1; i >= 0; i-- {
		r := rules[i]
		if r.Filter == nil || !ruleSpan(r).IsValid() {
			continue
		}
		if r.Action == ir.Deny {
			for _, o := range r.Ops {
				if strings.HasSuffix(o.Name, "*") {
					if later[o.Name] == nil {
						later[o.Name] = newCoverIndex(keys)
					}
					later[o.Name].add(r)
				}
			}
			continue
		}
		for _, o := range r.Ops {
			for _, w := range vocab.Ancestors(o.Name) {
				idx := later[w]
				if w == o.Name || idx == nil {
					continue
				}
				by, _, _, ok := idx.covers(r)
				if !ok {
					continue
				}
				for _, d := range by {
					if d.Action == ir.Deny && !namesOp(d, o.Name) && !reported[d] {
						reported[d] = true
						found = append(found, finding{deny: d, allow: r, wild: w, child: o.Name})
					}
				}
			}
		}
	}
	for k := len(found) - 1; k >= 0; k-- {
		f := found[k]
		p.Report(diag.Diagnostic{Span: ruleSpan(f.deny),
			Message: fmt.Sprintf("this deny on %s does not reach the %s allowed at %s: a rule on a specific operation is tried before its wildcard, whatever the order; add %s to this deny, or remove the allow (model: specific beats wildcard, unverified on macOS 14+)",
				f.wild, f.child, firstLine([]*ir.Rule{f.allow}), f.child),
			Related: relatedRules([]*ir.Rule{f.allow}, "specific allow that still wins")})
	}
}

func namesOp(r *ir.Rule, op string) bool {
	for _, o := range r.Ops {
		if o.Name == op {
			return true
		}
	}
	return false
}

// inChain reports whether wildcard w is on op's fallback chain.
func inChain(op, w string) bool {
	for _, a := range vocab.Ancestors(op) {
		if a == w {
			return true
		}
	}
	return false
}

// engine returns the decision engine for the profile, built once per run.
func (p *Pass) engine() *policy.Engine {
	return p.run.facts.engine.get(func() *policy.Engine {
		e, _ := policy.New(p.Profile, policy.Options{Home: p.Home(), Target: p.Target()})
		return e
	})
}

// deadRule is a rule that never decides for some operations, with the
// later rules that decide instead.
type deadRule struct {
	rule    *ir.Rule
	ops     []string
	by      []*ir.Rule // covering rules (newer), one per covered leaf
	exact   bool       // every covering rule has an identical filter
	opposed bool       // some covering rule has the opposite action
}

// deadRules runs the coverage analysis once per run: for each operation
// the profile names, walk its filtered rules newest first, keeping an
// index of what the newer rules match; a rule all of whose alternatives are
// matched by newer rules never decides. Only sound subsumptions are used
// (literal, subpath, prefix and anchored-regex prefixes, regexes tested on
// literals, identical filters), so the analysis may miss dead rules but
// never reports a live one. The per-operation rule lists come from the
// decision engine (policy.Engine.RulesFor), which applies the fallback
// model. Cost: about O(rules x path depth) per operation.
func (p *Pass) deadRules() []*deadRule {
	return p.run.facts.dead.get(func() []*deadRule {
		e := p.engine()
		ops := map[string]bool{}
		for _, r := range p.Profile.Rules {
			for _, o := range r.Ops {
				ops[o.Name] = true
			}
		}
		names := make([]string, 0, len(ops))
		for o := range ops {
			names = append(names, o)
		}
		sort.Strings(names)
		type perRule struct {
			d     deadRule
			seen  bool
			alive bool
		}
		// Per-rule state by engine index (profile rules first, then the
		// implicit ones); rules outside that range go in the map.
		state := make([]perRule, len(p.Profile.Rules))
		var other map[*ir.Rule]*perRule
		stateOf := func(r *ir.Rule) *perRule {
			if r.Index >= 0 && r.Index < len(state) && p.Profile.Rules[r.Index] == r {
				return &state[r.Index]
			}
			if other == nil {
				other = map[*ir.Rule]*perRule{}
			}
			st := other[r]
			if st == nil {
				st = &perRule{}
				other[r] = st
			}
			return st
		}
		keys := p.coverKeys()
		// Operations whose filtered rule lists are identical (several
		// file-read-* operations that only inherit file-read* rules) get
		// identical coverage: compute it once per distinct list.
		type verdict struct {
			r                 *ir.Rule
			by                []*ir.Rule
			exact, opp, cover bool
		}
		memo := map[string][]verdict{}
		var sig []byte
		var cov *coverIndex
		for _, op := range names {
			rl := policy.OpRules{Filtered: e.FilteredRules(op)}
			sig = sig[:0]
			for _, r := range rl.Filtered {
				sig = strconv.AppendInt(sig, int64(r.Index), 36)
				sig = append(sig, ',') // Index is unique per rule of the engine
			}
			vs, ok := memo[string(sig)]
			if !ok && len(rl.Filtered) == 1 {
				// A lone rule has no newer rule to cover it.
				if r := rl.Filtered[0]; r.Filter != nil && ruleSpan(r).IsValid() {
					vs = []verdict{{r: r}}
				}
				memo[string(sig)] = vs
				ok = true
			}
			if !ok {
				// One index serves every list in turn: nothing of it is
				// kept in the verdicts.
				if cov == nil {
					cov = newCoverIndex(keys)
				}
				cov.reset(len(rl.Filtered))
				vs = make([]verdict, 0, len(rl.Filtered))
				for _, r := range rl.Filtered { // newest first
					if r.Filter == nil || !ruleSpan(r).IsValid() {
						// implicit rules have no position: index them only
						cov.add(r)
						continue
					}
					by, exact, opposed, covered := cov.covers(r)
					vs = append(vs, verdict{r: r, by: by, exact: exact, opp: opposed, cover: covered})
					cov.add(r)
				}
				memo[string(sig)] = vs
			}
			for _, v := range vs {
				st := stateOf(v.r)
				if !st.seen {
					st.seen, st.d = true, deadRule{rule: v.r, exact: true}
				}
				if !v.cover {
					st.alive = true
				} else {
					st.d.ops = append(st.d.ops, op)
					st.d.by = append(st.d.by, v.by...)
					st.d.exact = st.d.exact && v.exact
					st.d.opposed = st.d.opposed || v.opp
				}
			}
		}
		var out []*deadRule
		for _, r := range p.Profile.Rules {
			st := stateOf(r)
			if !st.seen || st.alive || len(st.d.ops) == 0 {
				continue
			}
			// Dead for every operation it names?
			covered := map[string]bool{}
			for _, o := range st.d.ops {
				covered[o] = true
			}
			all := true
			for _, o := range r.Ops {
				if !covered[o.Name] {
					all = false
				}
			}
			if all {
				out = append(out, &st.d)
			}
		}
		return out
	})
}

func relatedRules(rs []*ir.Rule, msg string) []diag.Related {
	seen := map[*ir.Rule]bool{}
	var out []diag.Related
	for _, r := range rs {
		if seen[r] || len(out) >= 2 {
			continue
		}
		seen[r] = true
		if sp := ruleSpan(r); sp.IsValid() {
			out = append(out, diag.Related{Span: sp, Message: msg})
		}
	}
	return out
}

func firstLine(rs []*ir.Rule) string {
	for _, r := range rs {
		if sp := ruleSpan(r); sp.IsValid() {
			return fmt.Sprintf("line %d", sp.StartPos().Line)
		}
	}
	return "a later rule"
}

func runShadowed(p *Pass) {
	for _, d := range p.deadRules() {
		if !d.opposed {
			continue
		}
		var opp []*ir.Rule
		for _, b := range d.by {
			if b.Action != d.rule.Action {
				opp = append(opp, b)
			}
		}
		p.Report(diag.Diagnostic{Span: ruleSpan(d.rule),
			Message: fmt.Sprintf("this %s never takes effect: the later %s at %s matches everything it matches, and among filtered rules the last match wins; move this rule after it, or narrow the later rule",
				d.rule.Action, oppositeAction(d.rule.Action), firstLine(opp)),
			Related: relatedRules(opp, "overriding rule")})
	}
	// Unfiltered rules: only the last one per operation counts.
	for _, op := range unfilteredOps(p.Profile) {
		rs := op.rules
		last := rs[len(rs)-1]
		for _, r := range rs[:len(rs)-1] {
			if r.Action == last.Action {
				continue // duplicate-rule
			}
			if !allOpsReplaced(p.Profile, r) {
				continue
			}
			p.Report(diag.Diagnostic{Span: ruleSpan(r),
				Message: fmt.Sprintf("this unfiltered %s %s never takes effect: the later unfiltered %s %s replaces it (the last unfiltered rule is the operation's default)", r.Action, op.name, last.Action, op.name),
				Related: relatedRules([]*ir.Rule{last}, "replacing rule")})
		}
	}
}

func oppositeAction(a ir.Action) string {
	if a == ir.Allow {
		return "deny"
	}
	return "allow"
}

func runDuplicate(p *Pass) {
	for _, d := range p.deadRules() {
		if d.opposed || !d.exact {
			continue
		}
		p.Report(diag.Diagnostic{Span: ruleSpan(d.rule),
			Message: fmt.Sprintf("duplicate rule: the %s at %s has the same action and filter; remove this one", d.rule.Action, firstLine(d.by)),
			Related: relatedRules(d.by, "same rule")})
	}
	for _, op := range unfilteredOps(p.Profile) {
		rs := op.rules
		last := rs[len(rs)-1]
		for _, r := range rs[:len(rs)-1] {
			if r.Action == last.Action && allOpsReplaced(p.Profile, r) {
				p.Report(diag.Diagnostic{Span: ruleSpan(r),
					Message: fmt.Sprintf("duplicate unfiltered (%s %s): the one at %s already sets this operation's default; remove this one", r.Action, op.name, firstLine([]*ir.Rule{last})),
					Related: relatedRules([]*ir.Rule{last}, "same rule")})
			}
		}
	}
}

func runRedundant(p *Pass) {
	for _, d := range p.deadRules() {
		if d.opposed || d.exact {
			continue
		}
		p.Report(diag.Diagnostic{Span: ruleSpan(d.rule),
			Message: fmt.Sprintf("this %s is redundant: the later %s at %s already matches everything it matches", d.rule.Action, d.rule.Action, firstLine(d.by)),
			Related: relatedRules(d.by, "broader rule")})
	}
}

type unfilteredOp struct {
	name  string
	rules []*ir.Rule // written order, at least two
}

// unfilteredOps lists the operations named by more than one unfiltered rule.
func unfilteredOps(prof *ir.Profile) []unfilteredOp {
	by := map[string][]*ir.Rule{}
	var order []string
	for _, r := range prof.Rules {
		if r.Filter != nil {
			continue
		}
		for _, o := range r.Ops {
			if len(by[o.Name]) == 0 {
				order = append(order, o.Name)
			}
			if l := by[o.Name]; len(l) == 0 || l[len(l)-1] != r {
				by[o.Name] = append(by[o.Name], r)
			}
		}
	}
	var out []unfilteredOp
	for _, n := range order {
		if len(by[n]) > 1 {
			out = append(out, unfilteredOp{name: n, rules: by[n]})
		}
	}
	return out
}

// allOpsReplaced reports whether every operation of unfiltered rule r has a
// later unfiltered rule.
func allOpsReplaced(prof *ir.Profile, r *ir.Rule) bool {
	for _, o := range r.Ops {
		found := false
		for _, s := range prof.Rules[r.Index+1:] {
			if s.Filter != nil {
				continue
			}
			for _, so := range s.Ops {
				if so.Name == o.Name {
					found = true
				}
			}
		}
		if !found {
			return false
		}
	}
	return r.Index+1 <= len(prof.Rules)
}

func runUnfilteredVsFiltered(p *Pass) {
	e := p.engine()
	reported := map[*ir.Rule]bool{}
	for _, u := range p.Profile.Rules {
		// Only "re-open" rules: a filtered deny and a later unfiltered allow.
		// An unfiltered deny after filtered allows is the allow-list idiom,
		// and it works: the filtered allows still win.
		if u.Filter != nil || reported[u] || u.Action != ir.Allow {
			continue
		}
		for _, o := range u.Ops {
			if o.Name == "default" {
				continue
			}
			rl := e.RulesFor(o.Name)
			if rl.Bottom != u {
				continue
			}
			var earlier []*ir.Rule
			for _, f := range rl.Filtered {
				if f.Action != u.Action && f.Index < u.Index && ruleSpan(f).IsValid() {
					earlier = append(earlier, f)
				}
			}
			if len(earlier) == 0 {
				continue
			}
			sort.Slice(earlier, func(i, j int) bool { return earlier[i].Index < earlier[j].Index })
			reported[u] = true
			p.Report(diag.Diagnostic{Span: ruleSpan(u),
				Message: fmt.Sprintf("this unfiltered (%s %s) does not override the earlier filtered %s at %s: an unfiltered rule is only the operation's default, and filtered rules win wherever they stand; remove the filtered rule, or write this one with a filter such as (subpath \"/\")",
					u.Action, o.Written, oppositeAction(u.Action), firstLine(earlier)),
				Related: relatedRules(earlier, "filtered rule that still wins")})
			break
		}
	}
}

func runDefaultNotFirst(p *Pass) {
	var defs []*ir.Rule
	for _, r := range p.Profile.Rules {
		for _, o := range r.Ops {
			if o.Name == "default" && r.Filter == nil {
				defs = append(defs, r)
				break
			}
		}
	}
	if len(defs) == 0 {
		return
	}
	first := defs[0]
	before := 0
	for _, r := range p.Profile.Rules[:first.Index] {
		if ruleSpan(r).File == p.Src && p.Src != nil {
			before++
		}
	}
	if before > 0 && ruleSpan(first).File == p.Src {
		p.Reportf(ruleSpan(first), "(%s default) comes after %d other rule(s): it is the default wherever it stands, but readers take a late default as \"override everything above\"; put it right after (version 1)", first.Action, before)
	}
	for _, r := range defs[1:] {
		if r.Action != first.Action && ruleSpan(r).File == p.Src {
			p.Report(diag.Diagnostic{Span: ruleSpan(r),
				Message: fmt.Sprintf("second default rule (%s default) replaces the (%s default) at %s: the profile's posture flips; keep one default rule", r.Action, first.Action, firstLine([]*ir.Rule{first})),
				Related: relatedRules([]*ir.Rule{first}, "first default rule")})
		}
	}
}

// coverIndex indexes the leaves of rules already seen (newer rules) for
// subsumption queries.
type coverIndex struct {
	// paths maps a literal, subpath or prefix key to the first (newest)
	// rule indexed with it: coverage needs only one covering rule. The
	// counts say which kinds are present.
	paths                       map[pathKey]*ir.Rule
	nLiteral, nSubpath, nPrefix int
	whole                       map[uint64]*ruleBucket // by filterHash; identical filters (any shape)
	leafKey                     map[uint64]leafBucket  // by filterHash; identical non-path leaves
	keys                        *keyTable

	// Regexes: anchored ones by their literal prefix (a path can only
	// match when it starts with it), the rest in a bounded list.
	regexByPrefix map[string][]coverRegex
	regexLens     []int // distinct lengths of regexByPrefix keys, descending
	prefixLens    []int // distinct lengths of prefix keys, descending
	regexOther    []coverRegex
	regexSrc      map[string]*ir.Rule
	everything    *ir.Rule // a regex that matches every path
	hint          int      // expected number of rules (map size hint)
	buckets       []ruleBucket
}

// leafEntry is an indexed non-path leaf of a rule.
type leafEntry struct {
	rule *ir.Rule
	leaf *ir.FilterNode
}

// ruleBucket holds the rules with distinct filters of one hash, newest
// first; a rule whose filter equals one already held is not added (the
// newer rule is the one a lookup returns).
type ruleBucket struct {
	first *ir.Rule
	more  []*ir.Rule // hash collisions
}

// leafBucket is ruleBucket for non-path leaves.
type leafBucket struct {
	first leafEntry
	more  []leafEntry
}

type coverRegex struct {
	re   *regexp.Regexp
	rule *ir.Rule
}

// newCoverIndex returns an empty index; its maps are made on first use
// (one index is built per operation, most see few shapes).
func newCoverIndex(keys *keyTable) *coverIndex {
	return &coverIndex{keys: keys}
}

// keyTable memoises, per run, what the coverage indexes need of rules and
// regex sources (one index is built per operation; a rule is indexed in
// the index of each operation it applies to).
type keyTable struct {
	rx    map[string]*regexShape
	rules map[*ir.Rule]*ruleFacts

	factSlab []ruleFacts // chunks the facts are carved from
	leafSlab []leafFact
}

// leafFacts returns an empty slice with room for n leaf facts, from a chunk
// (a chunk's unused tail is kept for later rules with fewer leaves).
func (t *keyTable) leafFacts(n int) []leafFact {
	if n > 16 {
		return make([]leafFact, 0, n)
	}
	if len(t.leafSlab) < n {
		t.leafSlab = make([]leafFact, 128)
	}
	out := t.leafSlab[:0:n]
	t.leafSlab = t.leafSlab[n:]
	return out
}

// regexShape memoises the literal-prefix analysis of a regex source.
type regexShape struct {
	prefix     string
	anchored   bool           // anchored and without top-level alternation
	re         *regexp.Regexp // nil when the source does not compile
	everything bool           // matchesEverything(src, true)
}

func newKeyTable() *keyTable { return newKeyTableSize(0) }

// newKeyTableSize returns a table sized for about rules rules.
func newKeyTableSize(rules int) *keyTable {
	return &keyTable{rx: map[string]*regexShape{}, rules: make(map[*ir.Rule]*ruleFacts, rules)}
}

// coverKeys returns the run's keyTable, shared by the coverage analyses.
func (p *Pass) coverKeys() *keyTable {
	return p.run.facts.coverKeys.get(func() *keyTable {
		return newKeyTableSize(len(p.Profile.Rules))
	})
}

// maxFilterDepth bounds filter comparison: nodes nested deeper compare
// equal (a bound on work for pathological IR; such filters are not
// written by people).
const maxFilterDepth = 64

// filterClass is how sameFilter classifies a node kind.
func filterClass(k ir.FilterKind) ir.FilterKind {
	switch k {
	case ir.All, ir.Any, ir.Not:
		return k
	}
	return ir.Leaf
}

// hashSeed seeds the string hashes of filterHash (hashes are only compared
// within one process).
var hashSeed = maphash.MakeSeed()

// filterHash hashes a filter tree consistently with sameFilter (equal
// filters hash equal); indexes bucket by it and confirm with sameFilter.
func filterHash(f *ir.FilterNode, depth int) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	mix := func(x uint64) { h = (h ^ x) * prime }
	str := func(s string) { mix(maphash.String(hashSeed, s)) }
	if f == nil || depth > maxFilterDepth {
		return 1
	}
	cls := filterClass(f.Kind)
	mix(uint64(cls) + 2)
	if cls == ir.Leaf {
		str(f.Name)
		mix(uint64(len(f.Args)))
	}
	for _, a := range f.Args {
		if cls != ir.Leaf && a.Kind != ir.Filter {
			continue
		}
		mix(uint64(a.Kind) + 7)
		switch a.Kind {
		case ir.String, ir.Symbol:
			str(a.Str)
		case ir.Int:
			mix(uint64(a.Int))
		case ir.Bool:
			if a.Bool {
				mix(1)
			}
		case ir.Filter:
			mix(filterHash(a.Sub, depth+1))
		}
	}
	for _, c := range f.Children {
		mix(filterHash(c, depth+1))
	}
	return h
}

// sameFilter reports whether a and b are the same filter: same kinds,
// names, arguments and sub-filters (nodes below maxFilterDepth compare
// equal). For require-all/any/not only filter arguments and children
// count, in order.
func sameFilter(a, b *ir.FilterNode, depth int) bool {
	if depth > maxFilterDepth {
		return true
	}
	if a == nil || b == nil {
		return a == b
	}
	if a == b {
		return true
	}
	cls := filterClass(a.Kind)
	if cls != filterClass(b.Kind) {
		return false
	}
	var as, bs []*ir.FilterNode // filter arguments then children
	if cls == ir.Leaf {
		if a.Name != b.Name || len(a.Args) != len(b.Args) {
			return false
		}
		for i := range a.Args {
			x, y := &a.Args[i], &b.Args[i]
			if !sameArg(x, y) {
				return false
			}
			if x.Kind == ir.Filter && !sameFilter(x.Sub, y.Sub, depth+1) {
				return false
			}
		}
	} else {
		as, bs = filterArgs(a), filterArgs(b)
	}
	as, bs = append(as, a.Children...), append(bs, b.Children...)
	if len(as) != len(bs) {
		return false
	}
	for i := range as {
		if !sameFilter(as[i], bs[i], depth+1) {
			return false
		}
	}
	return true
}

// sameArg compares two leaf arguments (filter arguments by kind only).
func sameArg(x, y *ir.Value) bool {
	if x.Kind != y.Kind {
		return false
	}
	switch x.Kind {
	case ir.String, ir.Symbol:
		return x.Str == y.Str
	case ir.Int:
		return x.Int == y.Int
	case ir.Bool:
		return x.Bool == y.Bool
	}
	return true
}

// filterArgs returns the filter-valued arguments of n.
func filterArgs(n *ir.FilterNode) []*ir.FilterNode {
	var out []*ir.FilterNode
	for i := range n.Args {
		if n.Args[i].Kind == ir.Filter {
			out = append(out, n.Args[i].Sub)
		}
	}
	return out
}

func (t *keyTable) shape(src string) *regexShape {
	if sh, ok := t.rx[src]; ok {
		return sh
	}
	sh := regexShapeOf(src)
	t.rx[src] = sh
	return sh
}

// shapeCache holds regexShapeOf results process-wide, like rxCache: a
// shape depends on the source only, and the editor lints the same regexes
// on every keystroke.
var shapeCache processCache[*regexShape]

// regexShapeOf analyses a regex source (read only: shared).
func regexShapeOf(src string) *regexShape {
	return shapeCache.get(src, func(src string) *regexShape {
		pre, anchored := regexLiteralPrefix(src)
		sh := &regexShape{prefix: pre, anchored: anchored && !topLevelAlt(src), re: compileRegex(src)}
		sh.everything = sh.re != nil && matchesEverything(src, true)
		return sh
	})
}

// maxRegexScan bounds the regexes without a usable literal prefix that a
// literal is tested against (beyond it, coverage is not claimed: sound).
const maxRegexScan = 64

// key is the interned filterKey of a node.
// wholeMatch returns the first indexed rule whose filter equals n.
func (c *coverIndex) wholeMatch(n *ir.FilterNode, h uint64) *ir.Rule {
	b := c.whole[h]
	if b == nil {
		return nil
	}
	if sameFilter(b.first.Filter, n, 0) {
		return b.first
	}
	for _, w := range b.more {
		if sameFilter(w.Filter, n, 0) {
			return w
		}
	}
	return nil
}

// leafMatch returns the first indexed rule with a leaf equal to n.
func (c *coverIndex) leafMatch(n *ir.FilterNode, h uint64) *ir.Rule {
	b, ok := c.leafKey[h]
	if !ok {
		return nil
	}
	if sameFilter(b.first.leaf, n, 0) {
		return b.first.rule
	}
	for _, e := range b.more {
		if sameFilter(e.leaf, n, 0) {
			return e.rule
		}
	}
	return nil
}

func (c *coverIndex) add(r *ir.Rule) {
	if r.Filter == nil {
		return
	}
	if c.whole == nil {
		c.whole = make(map[uint64]*ruleBucket, c.hint)
	}
	rf := c.keys.facts(r)
	if b := c.whole[rf.whole]; b == nil {
		c.whole[rf.whole] = c.newBucket(r)
	} else if c.wholeMatch(r.Filter, rf.whole) == nil {
		b.more = append(b.more, r)
	}
	for _, lf := range rf.leaves {
		c.makeMaps(lf.kind)
		switch lf.kind {
		case factKey:
			if b, ok := c.leafKey[lf.key]; !ok {
				c.leafKey[lf.key] = leafBucket{first: leafEntry{rule: r, leaf: lf.leaf}}
			} else if c.leafMatch(lf.leaf, lf.key) == nil {
				b.more = append(b.more, leafEntry{rule: r, leaf: lf.leaf})
				c.leafKey[lf.key] = b
			}
		case factLiteral:
			c.setFirst(factLiteral, lf.str, r, &c.nLiteral)
		case factSubpath:
			c.setFirst(factSubpath, lf.str, r, &c.nSubpath)
		case factPrefix:
			if c.setFirst(factPrefix, lf.str, r, &c.nPrefix) {
				c.prefixLens = insertLen(c.prefixLens, len(lf.str))
			}
		case factRegex:
			c.addRegex(lf.str, lf.rx, r)
		}
	}
}

// pathKey is a path index key: a fact kind and its string.
type pathKey struct {
	kind int
	s    string
}

// setFirst maps (kind, s) to r unless it is mapped already, counting the
// new keys in *n; it reports whether the key was new.
func (c *coverIndex) setFirst(kind int, s string, r *ir.Rule, n *int) bool {
	k := pathKey{kind, s}
	if _, ok := c.paths[k]; ok {
		return false
	}
	c.paths[k] = r
	*n++
	return true
}

// path returns the rule indexed under (kind, s), or nil.
func (c *coverIndex) path(kind int, s string) *ir.Rule { return c.paths[pathKey{kind, s}] }

// reset empties the index for reuse (keeping its maps' storage) and sets
// its size hint.
func (c *coverIndex) reset(hint int) {
	clear(c.whole)
	clear(c.paths)
	clear(c.leafKey)
	clear(c.regexByPrefix)
	clear(c.regexSrc)
	c.nLiteral, c.nSubpath, c.nPrefix = 0, 0, 0
	c.regexLens, c.prefixLens, c.regexOther = c.regexLens[:0], c.prefixLens[:0], c.regexOther[:0]
	c.everything = nil
	c.hint = hint
}

// newBucket returns a bucket holding r, from a chunk.
func (c *coverIndex) newBucket(r *ir.Rule) *ruleBucket {
	if len(c.buckets) == 0 {
		c.buckets = make([]ruleBucket, max(8, min(c.hint, 256)))
	}
	b := &c.buckets[0]
	c.buckets = c.buckets[1:]
	b.first = r
	return b
}

// makeMaps makes the maps a leaf of kind k is indexed in (reads of nil
// maps are fine, so indexes make only the maps they use).
func (c *coverIndex) makeMaps(k int) {
	switch k {
	case factKey:
		if c.leafKey == nil {
			c.leafKey = map[uint64]leafBucket{}
		}
	case factLiteral:
		if c.paths == nil {
			c.paths = make(map[pathKey]*ir.Rule, c.hint)
		}
	case factSubpath:
		if c.paths == nil {
			c.paths = make(map[pathKey]*ir.Rule, c.hint)
		}
	case factPrefix:
		if c.paths == nil {
			c.paths = make(map[pathKey]*ir.Rule, c.hint)
		}
	case factRegex:
		if c.regexSrc == nil {
			c.regexByPrefix, c.regexSrc = map[string][]coverRegex{}, map[string]*ir.Rule{}
		}
	}
}

// Kinds of ruleFacts leaves: how coverIndex.add indexes a leaf.
const (
	factKey     = iota // non-path leaf, by filterHash
	factLiteral        // exact path
	factSubpath        // subpath, by subKey
	factPrefix         // path prefix
	factRegex          // path regex source
)

// ruleFacts is what coverIndex needs of a rule, computed once per run
// (a rule is indexed in the coverage of each operation it applies to).
type ruleFacts struct {
	whole  uint64            // filterHash of the whole filter
	disj   []*ir.FilterNode  // disjuncts(Filter)
	one    [1]*ir.FilterNode // backs disj when Filter is not a require-any
	leaves []leafFact
}

type leafFact struct {
	kind int
	key  uint64         // factKey: filterHash(leaf)
	leaf *ir.FilterNode // factKey: the leaf
	str  string
	rx   *regexShape // factRegex: shape of str
}

// facts returns r's memoised ruleFacts (r.Filter non-nil).
func (t *keyTable) facts(r *ir.Rule) *ruleFacts {
	if rf, ok := t.rules[r]; ok {
		return rf
	}
	if len(t.factSlab) == 0 {
		t.factSlab = make([]ruleFacts, 64)
	}
	rf := &t.factSlab[0]
	t.factSlab = t.factSlab[1:]
	rf.whole = filterHash(r.Filter, 0)
	if r.Filter.Kind == ir.Any {
		rf.disj = disjuncts(r.Filter)
	} else {
		rf.one[0] = r.Filter
		rf.disj = rf.one[:]
	}
	n := 0
	for _, l := range rf.disj {
		if l.Kind == ir.Leaf {
			n += max(1, len(l.Args))
		}
	}
	rf.leaves = t.leafFacts(n)
	for _, l := range rf.disj {
		if l.Kind != ir.Leaf {
			continue
		}
		if !isFilePath(l) {
			key := rf.whole // the filter is this leaf
			if l != r.Filter {
				key = filterHash(l, 0)
			}
			rf.leaves = append(rf.leaves, leafFact{kind: factKey, key: key, leaf: l})
			continue
		}
		m := matchOf(l)
		for _, a := range l.Args {
			if a.Kind != ir.String || a.Symbolic() {
				continue
			}
			switch m {
			case ir.MatchExact:
				rf.leaves = append(rf.leaves, leafFact{kind: factLiteral, str: a.Str})
			case ir.MatchSubpath:
				rf.leaves = append(rf.leaves, leafFact{kind: factSubpath, str: subKey(a.Str)})
			case ir.MatchPrefix:
				rf.leaves = append(rf.leaves, leafFact{kind: factPrefix, str: a.Str})
			case ir.MatchRegex:
				rf.leaves = append(rf.leaves, leafFact{kind: factRegex, str: a.Str, rx: t.shape(a.Str)})
			}
		}
	}
	if t.rules == nil {
		t.rules = map[*ir.Rule]*ruleFacts{}
	}
	t.rules[r] = rf
	return rf
}

func (c *coverIndex) addRegex(src string, sh *regexShape, r *ir.Rule) {
	if _, ok := c.regexSrc[src]; !ok {
		c.regexSrc[src] = r
	}
	if sh.re == nil {
		return
	}
	if c.everything == nil && sh.everything {
		c.everything = r
	}
	if sh.anchored {
		if len(c.regexByPrefix[sh.prefix]) == 0 {
			c.regexLens = insertLen(c.regexLens, len(sh.prefix))
		}
		c.regexByPrefix[sh.prefix] = append(c.regexByPrefix[sh.prefix], coverRegex{re: sh.re, rule: r})
		return
	}
	if len(c.regexOther) < maxRegexScan {
		c.regexOther = append(c.regexOther, coverRegex{re: sh.re, rule: r})
	}
}

// regexMatching finds an indexed regex that matches the literal path s.
func (c *coverIndex) regexMatching(s string) *ir.Rule {
	// Only the key lengths present are probed (longest first), so a
	// lookup hashes a few prefixes, not every prefix of s.
	for _, i := range c.regexLens {
		if i <= len(s) {
			for _, rx := range c.regexByPrefix[s[:i]] {
				if rx.re.MatchString(s) {
					return rx.rule
				}
			}
		}
	}
	for _, rx := range c.regexOther {
		if rx.re.MatchString(s) {
			return rx.rule
		}
	}
	return nil
}

// disjuncts flattens top-level require-any nodes.
func disjuncts(f *ir.FilterNode) []*ir.FilterNode {
	if f == nil {
		return nil
	}
	return appendDisjuncts(make([]*ir.FilterNode, 0, countDisjuncts(f, 0)), f, 0)
}

func countDisjuncts(f *ir.FilterNode, depth int) int {
	if f.Kind != ir.Any || depth > maxFilterDepth {
		return 1
	}
	n := 0
	for _, c := range f.Children {
		n += countDisjuncts(c, depth+1)
	}
	return n
}

func appendDisjuncts(out []*ir.FilterNode, f *ir.FilterNode, depth int) []*ir.FilterNode {
	if f.Kind != ir.Any || depth > maxFilterDepth {
		return append(out, f)
	}
	for _, c := range f.Children {
		out = appendDisjuncts(out, c, depth+1)
	}
	return out
}

// covers reports whether every alternative of r's filter is matched by
// some indexed rule.
func (c *coverIndex) covers(r *ir.Rule) (by []*ir.Rule, exact, opposed, ok bool) {
	rf := c.keys.facts(r)
	if w := c.wholeMatch(r.Filter, rf.whole); w != nil {
		return []*ir.Rule{w}, true, w.Action != r.Action, true
	}
	for _, d := range rf.disj {
		cr := c.coverNode(d)
		if cr == nil {
			return nil, false, false, false
		}
		by = append(by, cr)
		if cr.Action != r.Action {
			opposed = true
		}
	}
	return by, false, opposed, len(by) > 0
}

// coverNode returns a rule matching everything node n matches, or nil.
func (c *coverIndex) coverNode(n *ir.FilterNode) *ir.Rule {
	switch n.Kind {
	case ir.All:
		// A conjunction matches less than any of its parts.
		for _, ch := range n.Children {
			if r := c.coverNode(ch); r != nil {
				return r
			}
		}
		return nil
	case ir.Any:
		var first *ir.Rule
		for _, ch := range n.Children {
			r := c.coverNode(ch)
			if r == nil {
				return nil
			}
			if first == nil {
				first = r
			}
		}
		return first
	case ir.Not:
		if len(c.whole) == 0 {
			return nil
		}
		return c.wholeMatch(n, filterHash(n, 0))
	}
	if !isFilePath(n) {
		if len(c.leafKey) == 0 {
			return nil
		}
		return c.leafMatch(n, filterHash(n, 0))
	}
	var first *ir.Rule
	for _, a := range n.Args {
		if a.Kind != ir.String || a.Symbolic() {
			return nil
		}
		r := c.coverPath(matchOf(n), a.Str)
		if r == nil {
			return nil
		}
		if first == nil {
			first = r
		}
	}
	return first
}

// coverPath finds an indexed rule matching every path that (m, s) matches.
func (c *coverIndex) coverPath(m ir.Match, s string) *ir.Rule {
	var lit string // the fixed leading text every match starts with
	switch m {
	case ir.MatchExact:
		if r := c.path(factLiteral, s); r != nil {
			return r
		}
		if r := c.subpathOf(s, true); r != nil {
			return r
		}
		if r := c.prefixOf(s); r != nil {
			return r
		}
		return c.regexMatching(s)
	case ir.MatchSubpath:
		s = subKey(s)
		if r := c.subpathOf(s, true); r != nil {
			return r
		}
		if r := c.prefixOf(s); r != nil {
			return r
		}
		return c.everythingRegex()
	case ir.MatchPrefix:
		lit = s
	case ir.MatchRegex:
		sh := c.keys.shape(s)
		if rs := c.regexSame(s); rs != nil {
			return rs
		}
		if !sh.anchored {
			return c.everythingRegex()
		}
		lit = sh.prefix
	default:
		return nil
	}
	// Every match starts with lit: covered by a subpath D when lit starts
	// with D + "/", or by a prefix that lit starts with.
	if i := strings.LastIndexByte(lit, '/'); i > 0 {
		if r := c.subpathOf(lit[:i], true); r != nil && len(lit) > i {
			return r
		}
	}
	if r := c.prefixOf(lit); r != nil {
		return r
	}
	return c.everythingRegex()
}

func topLevelAlt(s string) bool {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '(':
			depth++
		case ')':
			depth--
		case '|':
			if depth == 0 {
				return true
			}
		case '[':
			if j, err := scanBracket(s, i); err == nil {
				i = j
			}
		}
	}
	return false
}

// subKey is a subpath argument without trailing slashes ("/" stays).
func subKey(s string) string {
	if t := strings.TrimRight(s, "/"); t != "" {
		return t
	}
	if strings.HasPrefix(s, "/") {
		return "/"
	}
	return s
}

// subpathOf finds a subpath rule D with s == D or s under D.
func (c *coverIndex) subpathOf(s string, self bool) *ir.Rule {
	if c.nSubpath == 0 {
		return nil
	}
	if r := c.path(factSubpath, "/"); r != nil && strings.HasPrefix(s, "/") {
		return r
	}
	cur := s
	for cur != "" {
		if r := c.path(factSubpath, cur); r != nil && (self || cur != s) {
			return r
		}
		i := strings.LastIndexByte(cur, '/')
		if i <= 0 {
			break
		}
		cur = cur[:i]
	}
	return nil
}

// prefixOf finds a prefix rule P with s starting with P.
func (c *coverIndex) prefixOf(s string) *ir.Rule {
	if c.nPrefix == 0 {
		return nil
	}
	for _, i := range c.prefixLens { // longest first
		if i <= len(s) {
			if r := c.path(factPrefix, s[:i]); r != nil {
				return r
			}
		}
	}
	return nil
}

// insertLen adds n to the descending list of distinct lengths lens.
func insertLen(lens []int, n int) []int {
	i := sort.Search(len(lens), func(i int) bool { return lens[i] <= n })
	if i < len(lens) && lens[i] == n {
		return lens
	}
	lens = append(lens, 0)
	copy(lens[i+1:], lens[i:])
	lens[i] = n
	return lens
}

func (c *coverIndex) regexSame(s string) *ir.Rule { return c.regexSrc[s] }

func (c *coverIndex) everythingRegex() *ir.Rule { return c.everything }
