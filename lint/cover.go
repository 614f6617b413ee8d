package lint

import (
	"hash/maphash"
	"regexp"
	"strings"

	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/policy"
)

// coverIndex holds the filters of the rules seen so far (for the ordering
// rules: the newer rules of one operation list), numbered in the order
// they are added, and answers coverage queries: is there an indexed rule
// matching everything a filter node matches? A query returns the first
// added (newest) such rule. Only sound subsumptions are used (identical
// filters and leaves; literal, subpath and prefix arguments through
// policy.PathIndex; anchored-regex prefixes; regexes tested on literals),
// so coverage may be missed but is never claimed wrongly.
//
// Adding a rule and a query cost about the size of the filter (and of its
// path arguments), whatever the number of rules indexed.
type coverIndex struct {
	keys  *keyTable
	rules []*ir.Rule // by number, in the order added

	paths  policy.PathIndex      // literal, subpath and prefix arguments
	whole  map[uint64]bucket     // whole filters, by filterHash
	leaves map[uint64]leafBucket // leaves other than path leaves, by filterHash

	// Regexes: anchored ones by their literal prefix (a path can only
	// match when it starts with it: a prefix pattern whose value is an
	// index into rxLists), the rest in a bounded list.
	rxByPrefix policy.PathIndex
	rxLists    [][]coverRegex
	rxOther    []coverRegex
	rxSrc      map[string]int32 // by source
	everything int32            // a regex that matches every path, or noRule
}

// noRule is the number of no rule (larger than every rule number).
const noRule = int32(1<<31 - 1)

// bucket holds the numbers of the indexed rules with distinct filters of
// one hash, in the order added; a rule whose filter equals one already
// held is not added (a lookup returns the first).
type bucket struct {
	first int32
	more  []int32 // hash collisions
}

// leafBucket is bucket for leaves.
type leafBucket struct {
	first leafEntry
	more  []leafEntry
}

type leafEntry struct {
	n    int32
	leaf *ir.FilterNode
}

type coverRegex struct {
	sh *regexShape
	n  int32
}

func newCoverIndex(keys *keyTable) *coverIndex {
	return &coverIndex{keys: keys, everything: noRule}
}

// maxRegexScan bounds the regexes a literal is tested against in one
// query, and the regexes without a usable literal prefix that are kept
// (beyond it, coverage is not claimed: sound). The corpus needs at most 7.
const maxRegexScan = 16

func (c *coverIndex) add(r *ir.Rule) {
	if r.Filter == nil {
		return
	}
	n := int32(len(c.rules))
	c.rules = append(c.rules, r)
	rf := c.keys.facts(r)
	if c.whole == nil {
		c.whole = map[uint64]bucket{}
	}
	if b, ok := c.whole[rf.whole]; !ok {
		c.whole[rf.whole] = bucket{first: n}
	} else if c.wholeMatch(r.Filter, rf.whole) == noRule {
		b.more = append(b.more, n)
		c.whole[rf.whole] = b
	}
	for _, lf := range rf.leaves {
		switch lf.kind {
		case factKey:
			if c.leaves == nil {
				c.leaves = map[uint64]leafBucket{}
			}
			if b, ok := c.leaves[lf.key]; !ok {
				c.leaves[lf.key] = leafBucket{first: leafEntry{n: n, leaf: lf.leaf}}
			} else if c.leafMatch(lf.leaf, lf.key) == noRule {
				b.more = append(b.more, leafEntry{n: n, leaf: lf.leaf})
				c.leaves[lf.key] = b
			}
		case factRegex:
			c.addRegex(lf.str, lf.rx, n)
		case factSubpath:
			if lf.str != "" { // (subpath "") matches nothing we can name
				c.paths.Add(ir.MatchSubpath, lf.str, n)
			}
		default:
			c.paths.Add(lf.match, lf.str, n)
		}
	}
}

func (c *coverIndex) addRegex(src string, sh *regexShape, n int32) {
	if c.rxSrc == nil {
		c.rxSrc = map[string]int32{}
	}
	if _, ok := c.rxSrc[src]; !ok {
		c.rxSrc[src] = n
	}
	if !sh.valid {
		return
	}
	if c.everything == noRule && sh.everything {
		c.everything = n
	}
	if sh.anchored {
		id := c.rxByPrefix.Add(ir.MatchPrefix, sh.prefix, int32(len(c.rxLists)))
		if int(id) == len(c.rxLists) {
			c.rxLists = append(c.rxLists, nil)
		}
		c.rxLists[id] = append(c.rxLists[id], coverRegex{sh: sh, n: n})
		return
	}
	if len(c.rxOther) < maxRegexScan {
		c.rxOther = append(c.rxOther, coverRegex{sh: sh, n: n})
	}
}

// wholeMatch returns the first indexed rule whose filter equals f (of
// hash h), or noRule.
func (c *coverIndex) wholeMatch(f *ir.FilterNode, h uint64) int32 {
	b, ok := c.whole[h]
	if !ok {
		return noRule
	}
	if sameFilter(c.rules[b.first].Filter, f, 0) {
		return b.first
	}
	for _, n := range b.more {
		if sameFilter(c.rules[n].Filter, f, 0) {
			return n
		}
	}
	return noRule
}

// leafMatch returns the first indexed rule with a leaf equal to l (of
// hash h), or noRule.
func (c *coverIndex) leafMatch(l *ir.FilterNode, h uint64) int32 {
	b, ok := c.leaves[h]
	if !ok {
		return noRule
	}
	if sameFilter(b.first.leaf, l, 0) {
		return b.first.n
	}
	for _, e := range b.more {
		if sameFilter(e.leaf, l, 0) {
			return e.n
		}
	}
	return noRule
}

// covers reports whether every alternative of r's filter is matched by
// some indexed rule: by lists one covering rule per alternative (the
// newest), exact says r's whole filter is identical to by[0]'s, opposed
// that some covering rule has the other action.
func (c *coverIndex) covers(r *ir.Rule) (by []*ir.Rule, exact, opposed, ok bool) {
	rf := c.keys.facts(r)
	if n := c.wholeMatch(r.Filter, rf.whole); n != noRule {
		w := c.rules[n]
		return []*ir.Rule{w}, true, w.Action != r.Action, true
	}
	for _, d := range rf.disj {
		n := c.coverNode(d)
		if n == noRule {
			return nil, false, false, false
		}
		by = append(by, c.rules[n])
		if c.rules[n].Action != r.Action {
			opposed = true
		}
	}
	return by, false, opposed, len(by) > 0
}

// coverNode returns the newest indexed rule matching everything node n
// matches, or noRule.
func (c *coverIndex) coverNode(n *ir.FilterNode) int32 {
	switch n.Kind {
	case ir.All:
		// A conjunction matches less than any of its parts.
		best := noRule
		for _, ch := range n.Children {
			best = min(best, c.coverNode(ch))
		}
		return best
	case ir.Any:
		best := noRule
		for _, ch := range n.Children {
			v := c.coverNode(ch)
			if v == noRule {
				return noRule
			}
			best = min(best, v)
		}
		return best
	case ir.Not:
		if len(c.whole) == 0 {
			return noRule
		}
		return c.wholeMatch(n, filterHash(n, 0))
	}
	if !isFilePath(n) {
		if len(c.leaves) == 0 {
			return noRule
		}
		return c.leafMatch(n, filterHash(n, 0))
	}
	best := noRule
	for _, a := range n.Args {
		if a.Kind != ir.String || a.Symbolic() {
			return noRule
		}
		v := c.coverPath(matchOf(n), a.Str)
		if v == noRule {
			return noRule
		}
		best = min(best, v)
	}
	return best
}

// coverPath returns the newest indexed rule matching every path that the
// argument s of match kind m matches, or noRule.
func (c *coverIndex) coverPath(m ir.Match, s string) int32 {
	best := noRule
	take := func(v int32) { best = min(best, v) }
	var lit string // the fixed leading text every match starts with
	switch m {
	case ir.MatchExact:
		c.paths.Each(s, policy.AllPatterns, take)
		take(c.regexMatching(s, best))
		return best
	case ir.MatchSubpath:
		c.paths.Each(subKey(s), policy.SubpathPatterns|policy.PrefixPatterns, take)
		return min(best, c.everything)
	case ir.MatchPrefix:
		lit = s
	case ir.MatchRegex:
		if v, ok := c.rxSrc[s]; ok {
			take(v)
		}
		sh := c.keys.shape(s)
		if !sh.anchored {
			return min(best, c.everything)
		}
		lit = sh.prefix
	default:
		return noRule
	}
	// Every match starts with lit: covered by a subpath D when lit starts
	// with D + "/", or by a prefix that lit starts with.
	if i := strings.LastIndexByte(lit, '/'); i > 0 {
		c.paths.Each(lit[:i], policy.SubpathPatterns, take)
	}
	c.paths.Each(lit, policy.PrefixPatterns, take)
	return min(best, c.everything)
}

// regexMatching returns the newest indexed regex rule that matches the
// literal path s and is newer than best, or noRule. At most maxRegexScan
// regexes are tested.
func (c *coverIndex) regexMatching(s string, best int32) int32 {
	found, tests := noRule, 0
	try := func(list []coverRegex) {
		for _, rx := range list { // in the order added
			if rx.n >= min(best, found) || tests >= maxRegexScan {
				return
			}
			tests++
			if re := c.keys.compiled(rx.sh); re != nil && re.MatchString(s) {
				found = rx.n
				return
			}
		}
	}
	c.rxByPrefix.Each(s, policy.PrefixPatterns, func(id int32) { try(c.rxLists[id]) })
	try(c.rxOther)
	return found
}

// keyTable memoises, per run, what the coverage indexes need of rules and
// regex sources (a rule is indexed once per operation list it is on).
type keyTable struct {
	prof  *ir.Profile
	byPos []ruleFacts // facts of prof.Rules[i]
	other map[*ir.Rule]*ruleFacts
	rx    map[string]*regexShape
}

func newKeyTable(prof *ir.Profile) *keyTable {
	return &keyTable{prof: prof, byPos: make([]ruleFacts, len(prof.Rules)), rx: map[string]*regexShape{}}
}

// coverKeys returns the run's keyTable, shared by the coverage analyses.
func (p *Pass) coverKeys() *keyTable {
	return p.run.facts.coverKeys.get(func() *keyTable { return newKeyTable(p.Profile) })
}

// Kinds of ruleFacts leaves: how coverIndex.add indexes a leaf.
const (
	factKey     = iota // non-path leaf, by filterHash
	factLiteral        // exact path
	factSubpath        // subpath, by subKey
	factPrefix         // path prefix
	factRegex          // path regex source
)

// ruleFacts is what coverIndex needs of a rule with a filter.
type ruleFacts struct {
	done   bool
	whole  uint64            // filterHash of the whole filter
	disj   []*ir.FilterNode  // disjuncts(Filter)
	one    [1]*ir.FilterNode // backs disj when Filter is not a require-any
	leaves []leafFact
}

type leafFact struct {
	kind  uint8          // factKey, ...: small, so that a leafFact is 48 bytes
	match ir.Match       // factLiteral, factPrefix: the PathIndex kind
	key   uint64         // factKey: filterHash(leaf)
	leaf  *ir.FilterNode // factKey: the leaf
	str   string
	rx    *regexShape // factRegex: shape of str
}

// facts returns r's memoised ruleFacts (r.Filter non-nil).
func (t *keyTable) facts(r *ir.Rule) *ruleFacts {
	var rf *ruleFacts
	if i := r.Index; i >= 0 && i < len(t.byPos) && t.prof.Rules[i] == r {
		rf = &t.byPos[i]
	} else {
		if rf = t.other[r]; rf == nil {
			if t.other == nil {
				t.other = map[*ir.Rule]*ruleFacts{}
			}
			rf = &ruleFacts{}
			t.other[r] = rf
		}
	}
	if rf.done {
		return rf
	}
	rf.done = true
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
	rf.leaves = make([]leafFact, 0, n)
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
				rf.leaves = append(rf.leaves, leafFact{kind: factLiteral, match: m, str: a.Str})
			case ir.MatchSubpath:
				rf.leaves = append(rf.leaves, leafFact{kind: factSubpath, match: m, str: subKey(a.Str)})
			case ir.MatchPrefix:
				rf.leaves = append(rf.leaves, leafFact{kind: factPrefix, match: m, str: a.Str})
			case ir.MatchRegex:
				rf.leaves = append(rf.leaves, leafFact{kind: factRegex, str: a.Str, rx: t.shape(a.Str)})
			}
		}
	}
	return rf
}

// regexShape is the literal-prefix analysis of a regex source, made once
// per run; the regex itself is compiled when a literal is first tested
// against it.
type regexShape struct {
	src        string
	prefix     string
	anchored   bool // anchored and without top-level alternation: every match starts with prefix
	valid      bool // in the SBPL dialect (checkRegex)
	everything bool // matchesEverything(src, true)

	re       *regexp.Regexp
	compiled bool
}

func (t *keyTable) shape(src string) *regexShape {
	if sh, ok := t.rx[src]; ok {
		return sh
	}
	pre, anchored := regexLiteralPrefix(src)
	sh := &regexShape{src: src, prefix: pre, anchored: anchored && !topLevelAlt(src), valid: checkRegex(src) == nil}
	sh.everything = sh.valid && matchesEverything(src, true)
	t.rx[src] = sh
	return sh
}

// compiled returns the shape's regex (nil when it does not compile).
func (t *keyTable) compiled(sh *regexShape) *regexp.Regexp {
	if !sh.compiled {
		sh.re, sh.compiled = compileRegex(sh.src), true
	}
	return sh.re
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
