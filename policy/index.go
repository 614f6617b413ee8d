package policy

import (
	"strings"

	"github.com/sbplc/sbplc/ir"
)

// sindex finds, for one resource dimension of one segment, the newest
// "simple" filtered rule that matches: rules whose filter is a literal,
// subpath or prefix leaf (or several ORed) with concrete arguments. Values
// are positions in segment.filtered (smaller = newer).
type sindex struct {
	dim    string
	exact  map[string]int32
	sub    map[string]int32
	subLen []bool // subLen[n]: some subpath argument is n bytes long
	pre    []preEntry
}

type preEntry struct {
	s string
	i int32
}

const none = int32(1<<31 - 1)

func (x *sindex) lookupPath(p string) int32 {
	best := none
	if i, ok := x.exact[p]; ok {
		best = i
	}
	if len(x.sub) > 0 {
		if i, ok := x.sub[p]; ok && i < best {
			best = i
		}
		for j := min(len(p), len(x.subLen)) - 1; j > 0; j-- {
			if p[j] == '/' && x.subLen[j] {
				if i, ok := x.sub[p[:j]]; ok && i < best {
					best = i
				}
			}
		}
		if i, ok := x.sub["/"]; ok && i < best && strings.HasPrefix(p, "/") {
			best = i
		}
	}
	for k := range x.pre {
		if e := &x.pre[k]; e.i < best && strings.HasPrefix(p, e.s) {
			best = e.i
		}
	}
	return best
}

func (x *sindex) lookupName(n string) int32 {
	best := none
	if i, ok := x.exact[n]; ok {
		best = i
	}
	for k := range x.pre {
		if e := &x.pre[k]; e.i < best && strings.HasPrefix(n, e.s) {
			best = e.i
		}
	}
	return best
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
				x = &sindex{dim: l.dim, exact: map[string]int32{}, sub: map[string]int32{}}
				s.idx = append(s.idx, x)
			}
			for _, a := range l.args {
				switch l.match {
				case ir.MatchExact:
					if _, ok := x.exact[a.s]; !ok {
						x.exact[a.s] = int32(i)
					}
				case ir.MatchSubpath:
					if _, ok := x.sub[a.s]; !ok {
						x.sub[a.s] = int32(i)
					}
					for len(x.subLen) <= len(a.s) {
						x.subLen = append(x.subLen, false)
					}
					x.subLen[len(a.s)] = true
				case ir.MatchPrefix:
					x.pre = append(x.pre, preEntry{a.s, int32(i)})
				}
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
			return x.lookupPath(q.res.Path)
		}
	case KindName:
		if x := s.index(q.nameDim); x != nil {
			return x.lookupName(q.res.Name)
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

// gindex finds the complex rules whose guard path set can match a path.
type gindex struct {
	exact  map[string][]int32
	sub    map[string][]int32
	subLen []bool
	pre    []preList
}

type preList struct {
	s  string
	ks []int32
}

func (g *gindex) add(ps *pathSet, k int32) {
	for _, s := range ps.exact {
		g.exact[s] = append(g.exact[s], k)
	}
	for _, s := range ps.sub {
		g.sub[s] = append(g.sub[s], k)
		for len(g.subLen) <= len(s) {
			g.subLen = append(g.subLen, false)
		}
		g.subLen[len(s)] = true
	}
	for _, s := range ps.pre {
		g.pre = append(g.pre, preList{s, []int32{k}})
	}
}

// gather appends the slots of guarded rules that may match p.
func (g *gindex) gather(p string, buf []int32) []int32 {
	buf = append(buf, g.exact[p]...)
	if len(g.sub) > 0 {
		buf = append(buf, g.sub[p]...)
		for j := min(len(p), len(g.subLen)) - 1; j > 0; j-- {
			if p[j] == '/' && g.subLen[j] {
				buf = append(buf, g.sub[p[:j]]...)
			}
		}
		if p != "/" && strings.HasPrefix(p, "/") {
			buf = append(buf, g.sub["/"]...)
		}
	}
	for i := range g.pre {
		if strings.HasPrefix(p, g.pre[i].s) {
			buf = append(buf, g.pre[i].ks...)
		}
	}
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
			s.gidx = &gindex{exact: map[string][]int32{}, sub: map[string][]int32{}}
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
