package policy

import (
	"strings"

	"github.com/sbplc/sbplc/ir"
)

// PathIndex is the one index of literal, subpath and prefix patterns: it
// maps each pattern to an int32 value, keeping the smallest (callers number
// rules newest first, so that is the newest rule), and finds the patterns
// that match a string. The engine finds the newest simple rule matching a
// request with it (segment.idx) and the complex rules a path may reach
// (gindex); lint finds the newer rules that cover a rule's path argument.
//
// Subpath patterns match component-bounded (subpathMatch): callers strip
// trailing slashes. A lookup costs O(len(s)) plus one hash for each
// pattern length present that could match, whatever the number of
// patterns.
type PathIndex struct {
	exact, sub, pre map[string]int32
	subLen, preLen  []bool // subLen[n]: some subpath pattern is n bytes long
}

// PatternKinds selects the pattern kinds of a PathIndex lookup.
type PatternKinds uint8

// Pattern kinds.
const (
	ExactPatterns PatternKinds = 1 << iota
	SubpathPatterns
	PrefixPatterns
	AllPatterns = ExactPatterns | SubpathPatterns | PrefixPatterns
)

// Add records the pattern s of match kind m (MatchExact, MatchSubpath or
// MatchPrefix; others are ignored) with value v, and returns the pattern's
// value: v, or the smaller value it already had.
func (x *PathIndex) Add(m ir.Match, s string, v int32) int32 {
	var mp *map[string]int32
	switch m {
	case ir.MatchExact:
		mp = &x.exact
	case ir.MatchSubpath:
		mp = &x.sub
		markLen(&x.subLen, len(s))
	case ir.MatchPrefix:
		mp = &x.pre
		markLen(&x.preLen, len(s))
	default:
		return v
	}
	if *mp == nil {
		*mp = map[string]int32{}
	}
	if old, ok := (*mp)[s]; ok && old <= v {
		return old
	}
	(*mp)[s] = v
	return v
}

func markLen(lens *[]bool, n int) {
	for len(*lens) <= n {
		*lens = append(*lens, false)
	}
	(*lens)[n] = true
}

// Len is the number of patterns.
func (x *PathIndex) Len() int { return len(x.exact) + len(x.sub) + len(x.pre) }

// Each calls fn with the value of every pattern of the given kinds that
// matches s: an exact pattern equal to s, a subpath pattern s is or lies
// under, a prefix pattern s starts with.
func (x *PathIndex) Each(s string, kinds PatternKinds, fn func(v int32)) {
	if kinds&ExactPatterns != 0 && len(x.exact) > 0 {
		if v, ok := x.exact[s]; ok {
			fn(v)
		}
	}
	if kinds&SubpathPatterns != 0 && len(x.sub) > 0 {
		if v, ok := x.sub[s]; ok {
			fn(v)
		}
		// Proper ancestors: s[:j] for each '/' at j, then "/" and ""
		// (subpathMatch: both contain every absolute path).
		abs := s != "" && s[0] == '/'
		for j := min(len(s), len(x.subLen)) - 1; j > 0; j-- {
			if s[j] == '/' && x.subLen[j] && !(j == 1 && abs) {
				if v, ok := x.sub[s[:j]]; ok {
					fn(v)
				}
			}
		}
		if abs && len(s) > 1 && len(x.subLen) > 1 && x.subLen[1] {
			if v, ok := x.sub["/"]; ok {
				fn(v)
			}
		}
		if abs && x.subLen[0] {
			if v, ok := x.sub[""]; ok {
				fn(v)
			}
		}
	}
	if kinds&PrefixPatterns != 0 && len(x.pre) > 0 {
		for j := min(len(s), len(x.preLen)-1); j >= 0; j-- {
			if x.preLen[j] {
				if v, ok := x.pre[s[:j]]; ok {
					fn(v)
				}
			}
		}
	}
}

// Match returns the smallest value of the patterns of the given kinds
// that match s (see Each).
func (x *PathIndex) Match(s string, kinds PatternKinds) (int32, bool) {
	best, found := none, false
	x.Each(s, kinds, func(v int32) {
		if v <= best {
			best, found = v, true
		}
	})
	return best, found
}

const none = int32(1<<31 - 1)

// sindex holds the simple rules of one resource dimension of a segment:
// values are positions in segment.filtered (smaller = newer).
type sindex struct {
	dim string
	PathIndex
}

// lookup returns the position of the newest simple rule matching s, or
// none. Name dimensions have no subpath patterns (simpleLeaves).
func (x *sindex) lookup(s string) int32 {
	v, _ := x.Match(s, AllPatterns)
	return v
}

// simpleLeaves returns the leaves of a simple filter, or nil.
func simpleLeaves(n *cnode) []*cnode {
	var leaves []*cnode
	if n.kind == ir.Any {
		for _, k := range n.kids {
			if k.kind != ir.Leaf {
				return nil
			}
			leaves = append(leaves, k)
		}
	} else if n.kind == ir.Leaf {
		leaves = []*cnode{n}
	}
	if len(leaves) == 0 {
		return nil
	}
	for _, l := range leaves {
		if l.lk != lkPath && l.lk != lkName {
			return nil
		}
		switch l.match {
		case ir.MatchExact, ir.MatchPrefix:
		case ir.MatchSubpath:
			if l.lk != lkPath {
				return nil
			}
		default:
			return nil
		}
		for _, a := range l.args {
			if a.unknown != "" {
				return nil
			}
		}
	}
	return leaves
}

// buildIndex splits s.filtered into indexed simple rules and the rest.
func (s *segment) buildIndex() {
	defer s.indexGuards()
	for i, cr := range s.filtered {
		leaves := simpleLeaves(cr.f)
		if leaves == nil {
			s.complex = append(s.complex, int32(i))
			s.guards = append(s.guards, guardOf(cr.f))
			continue
		}
		for _, l := range leaves {
			x := s.index(l.dim)
			if x == nil {
				x = &sindex{dim: l.dim}
				s.idx = append(s.idx, x)
			}
			for _, a := range l.args {
				x.Add(l.match, a.s, int32(i))
			}
		}
	}
}

func (s *segment) index(dim string) *sindex {
	for _, x := range s.idx {
		if x.dim == dim {
			return x
		}
	}
	return nil
}

// newestSimple returns the position of the newest matching simple rule.
func (s *segment) newestSimple(q *query) int32 {
	if s.idx == nil {
		return none
	}
	switch q.res.Kind {
	case KindPath, KindUnix:
		if x := s.index("path"); x != nil {
			return x.lookup(q.res.Path)
		}
	case KindName:
		if x := s.index(q.nameDim); x != nil {
			return x.lookup(q.res.Name)
		}
	}
	return none
}

// guard is a necessary condition for a complex rule's filter to be
// anything but "no": the resource kinds it can match and, for paths, a
// set of literal/subpath/prefix tests one of which must hold. A request
// that fails the guard skips the rule without evaluating it.
type guard struct {
	kinds uint8    // bit k set: the filter may match a Kind k resource
	paths *pathSet // nil: any path
}

const allKinds = 0xff

type pathSet struct {
	exact, sub, pre []string
}

func (ps *pathSet) match(p string) bool {
	for _, s := range ps.exact {
		if p == s {
			return true
		}
	}
	for _, s := range ps.sub {
		if subpathMatch(p, s) {
			return true
		}
	}
	for _, s := range ps.pre {
		if strings.HasPrefix(p, s) {
			return true
		}
	}
	return false
}

func (ps *pathSet) size() int { return len(ps.exact) + len(ps.sub) + len(ps.pre) }

// maxGuardPaths bounds a guard's path set; larger sets are not worth it.
const maxGuardPaths = 16

func kindBit(k Kind) uint8 { return 1 << k }

// guardOf computes n's guard.
func guardOf(n *cnode) guard {
	switch n.kind {
	case ir.All:
		g := guard{kinds: allKinds}
		for _, k := range n.kids {
			kg := guardOf(k)
			g.kinds &= kg.kinds
			if g.paths == nil || kg.paths != nil && kg.paths.size() < g.paths.size() {
				if kg.paths != nil {
					g.paths = kg.paths
				}
			}
		}
		return g
	case ir.Any:
		g := guard{}
		union := &pathSet{}
		unbounded := false
		for _, k := range n.kids {
			kg := guardOf(k)
			g.kinds |= kg.kinds
			if kg.kinds&(kindBit(KindPath)|kindBit(KindUnix)) == 0 {
				continue
			}
			if kg.paths == nil {
				unbounded = true
				continue
			}
			union.exact = append(union.exact, kg.paths.exact...)
			union.sub = append(union.sub, kg.paths.sub...)
			union.pre = append(union.pre, kg.paths.pre...)
		}
		if !unbounded && union.size() <= maxGuardPaths {
			g.paths = union
		}
		return g
	case ir.Not:
		return guard{kinds: allKinds}
	}
	switch n.lk {
	case lkPath:
		g := guard{kinds: kindBit(KindPath) | kindBit(KindUnix)}
		ps := &pathSet{}
		for _, a := range n.args {
			if a.unknown != "" {
				return g
			}
			switch n.match {
			case ir.MatchExact:
				ps.exact = append(ps.exact, a.s)
			case ir.MatchSubpath:
				ps.sub = append(ps.sub, a.s)
			case ir.MatchPrefix:
				ps.pre = append(ps.pre, a.s)
			case ir.MatchRegex:
				if a.re.prefix == "" {
					return g
				}
				ps.pre = append(ps.pre, a.re.prefix)
			default:
				return g
			}
		}
		if ps.size() <= maxGuardPaths {
			g.paths = ps
		}
		return g
	case lkName:
		return guard{kinds: kindBit(KindName)}
	case lkTarget:
		return guard{kinds: kindBit(KindTarget)}
	case lkVnode:
		return guard{kinds: kindBit(KindPath)}
	case lkNet:
		return guard{kinds: kindBit(KindNetwork)}
	case lkUnix:
		return guard{kinds: kindBit(KindUnix)}
	}
	return guard{kinds: allKinds}
}

// pass reports whether the request may satisfy the guard.
func (g *guard) pass(r *Resource) bool {
	if g.kinds&kindBit(r.Kind) == 0 {
		return false
	}
	if g.paths != nil && (r.Kind == KindPath || r.Kind == KindUnix) {
		return g.paths.match(r.Path)
	}
	return true
}

// gindex finds the complex rules whose guard path set can match a path:
// a PathIndex from each guard pattern to its list of slots.
type gindex struct {
	paths PathIndex
	slots [][]int32 // by PathIndex value
}

func (g *gindex) add(ps *pathSet, k int32) {
	add := func(m ir.Match, patterns []string) {
		for _, s := range patterns {
			id := g.paths.Add(m, s, int32(len(g.slots)))
			if int(id) == len(g.slots) {
				g.slots = append(g.slots, nil)
			}
			g.slots[id] = append(g.slots[id], k)
		}
	}
	add(ir.MatchExact, ps.exact)
	add(ir.MatchSubpath, ps.sub)
	add(ir.MatchPrefix, ps.pre)
}

// gather appends the slots of guarded rules that may match p.
func (g *gindex) gather(p string, buf []int32) []int32 {
	g.paths.Each(p, AllPatterns, func(id int32) { buf = append(buf, g.slots[id]...) })
	return buf
}

// indexGuards splits the complex rules into path-guarded ones (indexed)
// and free ones (always tried).
func (s *segment) indexGuards() {
	pathKinds := kindBit(KindPath) | kindBit(KindUnix)
	for k := range s.complex {
		g := &s.guards[k]
		s.allK = append(s.allK, int32(k))
		if g.paths == nil || g.kinds&^pathKinds != 0 {
			s.free = append(s.free, int32(k))
			continue
		}
		if s.gidx == nil {
			s.gidx = &gindex{}
		}
		s.gidx.add(g.paths, int32(k))
	}
}

// candidates returns, in ascending order, the complex-rule slots worth
// trying for the request; buf and tmp are scratch space.
func (s *segment) candidates(r *Resource, buf, tmp []int32) []int32 {
	if r.Kind != KindPath && r.Kind != KindUnix {
		return s.free
	}
	if s.gidx == nil {
		return s.allK
	}
	g := s.gidx.gather(r.Path, tmp[:0])
	if len(g) == 0 {
		return s.free
	}
	// Insertion sort: the gathered slice is short.
	for i := 1; i < len(g); i++ {
		for j := i; j > 0 && g[j] < g[j-1]; j-- {
			g[j], g[j-1] = g[j-1], g[j]
		}
	}
	out := buf[:0]
	f := s.free
	last := int32(-1)
	for len(g) > 0 || len(f) > 0 {
		var k int32
		if len(f) == 0 || len(g) > 0 && g[0] < f[0] {
			k, g = g[0], g[1:]
		} else {
			k, f = f[0], f[1:]
		}
		if k != last {
			out = append(out, k)
			last = k
		}
	}
	return out
}
