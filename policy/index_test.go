package policy

import (
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/ir"
)

// TestPathIndex checks PathIndex against a scan of every pattern: random
// patterns and strings over a small alphabet (so that they nest), every
// combination of kinds.
func TestPathIndex(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	word := func() string {
		var b strings.Builder
		if rng.Intn(8) != 0 {
			b.WriteByte('/')
		}
		for n := rng.Intn(5); n > 0; n-- {
			b.WriteString([]string{"a", "b", "ab", "/", "/a"}[rng.Intn(5)])
		}
		return b.String()
	}
	type pattern struct {
		m ir.Match
		s string
		v int32
	}
	kindOf := map[ir.Match]PatternKinds{ir.MatchExact: ExactPatterns, ir.MatchSubpath: SubpathPatterns, ir.MatchPrefix: PrefixPatterns}
	matches := func(p pattern, s string) bool {
		switch p.m {
		case ir.MatchExact:
			return s == p.s
		case ir.MatchSubpath:
			return subpathMatch(s, p.s)
		}
		return strings.HasPrefix(s, p.s)
	}
	for round := 0; round < 1000; round++ {
		var x PathIndex
		smallest := map[[2]string]int32{} // (kind, pattern) -> smallest value
		var ps []pattern
		for n := rng.Intn(12); n > 0; n-- {
			p := pattern{m: []ir.Match{ir.MatchExact, ir.MatchSubpath, ir.MatchPrefix}[rng.Intn(3)], s: word(), v: int32(rng.Intn(20))}
			if p.m == ir.MatchSubpath && len(p.s) > 1 {
				p.s = strings.TrimRight(p.s, "/") // callers strip trailing slashes
				if p.s == "" {
					p.s = "/"
				}
			}
			k := [2]string{string(rune('0' + p.m)), p.s}
			want := p.v
			if old, ok := smallest[k]; ok && old < want {
				want = old
			}
			smallest[k] = want
			if got := x.Add(p.m, p.s, p.v); got != want {
				t.Fatalf("Add(%v, %q, %d) = %d, want %d", p.m, p.s, p.v, got, want)
			}
			ps = append(ps, p)
		}
		for q := 0; q < 20; q++ {
			s := word()
			for kinds := PatternKinds(1); kinds <= AllPatterns; kinds++ {
				var want []int32
				seen := map[[2]string]bool{}
				for _, p := range ps {
					k := [2]string{string(rune('0' + p.m)), p.s}
					if kinds&kindOf[p.m] != 0 && matches(p, s) && !seen[k] {
						seen[k] = true
						want = append(want, smallest[k])
					}
				}
				var got []int32
				x.Each(s, kinds, func(v int32) { got = append(got, v) })
				sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
				sort.Slice(want, func(i, j int) bool { return want[i] < want[j] })
				if len(got) != len(want) {
					t.Fatalf("patterns %v, kinds %b, Each(%q) = %v, want %v", ps, kinds, s, got, want)
				}
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("patterns %v, kinds %b, Each(%q) = %v, want %v", ps, kinds, s, got, want)
					}
				}
				v, ok := x.Match(s, kinds)
				if ok != (len(want) > 0) || ok && v != want[0] {
					t.Fatalf("patterns %v, kinds %b, Match(%q) = %d, %v, want %v", ps, kinds, s, v, ok, want)
				}
			}
		}
	}
}
