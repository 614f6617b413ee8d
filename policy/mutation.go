package policy

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sbplc/sbplc/ir"
)

// mutation is a deliberately wrong decision model for the model-mutation
// suite (TestModelMutations): the tests set activeMutation, run the
// fidelity suite (the compiled vectors, testdata/groundtruth's blobs and
// runtime outcomes) and require each wrong model to be rejected. Only the
// package's own _test.go files set it (export_test.go); the binary always
// runs the real model (mutNone).
type mutation uint8

const (
	mutNone                 mutation = iota
	mutFirstMatchWins                // the oldest matching filtered rule decides
	mutDenyWins                      // a matching filtered deny beats every allow
	mutAllowWins                     // a matching filtered allow beats every deny
	mutUnfilteredAtPosition          // an unfiltered rule sits among the filtered ones at its place
	mutSubpathAsPrefix               // subpath is a raw string prefix
	mutLiteralAsSubpath              // literal also matches everything below it
	mutCaseInsensitive               // string filters ignore case
	mutNoLinkCheck                   // crossing /etc, /tmp, /var checks nothing on the link
	mutNoDataVolume                  // /System/Volumes/Data/private/... stays as written
	mutNoCanonical                   // paths are matched as written
	mutV1DefaultsUnderV2             // (version 2) keeps the (version 1) default allows
	mutNoBuiltinDefaults             // no operation has a built-in default but default
	mutNoImplicit                    // no implicit (target self) rules
	mutImplicit10x                   // only the 10.x implicit rules (signal, mach-task-name)
	mutNoAliases                     // iokit-open is an operation of its own
	mutTargetMatchesAll              // (target self) matches every process
	mutRegexAnchored                 // regexes must match the whole string
	mutExpansion                     // last written wins across an operation and its wildcard parents
	mutCount
)

var mutationNames = [...]string{"", "first-match-wins", "deny-wins", "allow-wins", "unfiltered-at-position",
	"subpath-as-prefix", "literal-as-subpath", "case-insensitive", "no-link-check", "no-data-volume",
	"no-canonicalisation", "version-1-defaults-under-version-2", "no-builtin-defaults", "no-implicit-rules",
	"implicit-rules-of-10.x", "no-aliases", "target-matches-all", "regex-anchored", "wildcard-expansion"}

func (m mutation) String() string {
	if int(m) < len(mutationNames) {
		return mutationNames[m]
	}
	return fmt.Sprintf("mutation(%d)", uint8(m))
}

// activeMutation is the wrong model in effect (mutNone in the binary).
var activeMutation mutation

// mutatedQuery decides q for the wrong models that change how rules are
// chosen, by a linear scan of each segment's rules (the index would hide
// the changed matching). Filters that cannot be evaluated count as not
// matching: the wrong models need no unknown answers.
func (e *Engine) mutatedQuery(pl *plan, q *query, d *Decision) {
	for _, s := range pl.segs {
		list := append([]*crule(nil), s.filtered...) // newest first
		if activeMutation == mutFirstMatchWins {
			for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
				list[i], list[j] = list[j], list[i]
			}
		}
		if activeMutation == mutUnfilteredAtPosition && s.bottom != nil {
			list = append(list, s.bottom)
			sort.SliceStable(list, func(i, j int) bool { return list[i].pos > list[j].pos })
		}
		var first, preferred *crule
		for _, cr := range list {
			if cr.f != nil && cr.f.eval(q) != yes {
				continue
			}
			if first == nil {
				first = cr
			}
			if (activeMutation == mutDenyWins && cr.result == Deny) || (activeMutation == mutAllowWins && cr.result == Allow) {
				preferred = cr
				break
			}
		}
		if preferred != nil {
			first = preferred
		}
		d.Chain = append(d.Chain, Step{Op: s.op, How: HowFiltered})
		if first != nil {
			d.decide(first, "a rule matched (mutated model)")
			return
		}
		if s.bottom != nil {
			d.decide(s.bottom, s.bottomWhy)
			return
		}
	}
	d.Result, d.Reason = pl.terminal, pl.termWhy
}

// mutatesChoice reports whether the active wrong model needs the linear
// rule scan of mutatedQuery.
func mutatesChoice() bool {
	switch activeMutation {
	case mutNone, mutNoLinkCheck, mutNoDataVolume, mutNoCanonical, mutV1DefaultsUnderV2,
		mutNoBuiltinDefaults, mutNoImplicit, mutImplicit10x, mutNoAliases:
		return false
	}
	return true
}

// mutatedMatch applies the wrong string-matching models; changed is false
// when the active one does not concern n's match kind.
func mutatedMatch(m ir.Match, s string, a *carg) (tri, bool) {
	b := func(ok bool) tri {
		if ok {
			return yes
		}
		return no
	}
	switch {
	case activeMutation == mutSubpathAsPrefix && m == ir.MatchSubpath:
		return b(strings.HasPrefix(s, a.s)), true
	case activeMutation == mutLiteralAsSubpath && m == ir.MatchExact:
		return b(subpathMatch(s, a.s)), true
	case activeMutation == mutCaseInsensitive && m != ir.MatchRegex:
		ls, la := strings.ToLower(s), strings.ToLower(a.s)
		switch m {
		case ir.MatchSubpath:
			return b(subpathMatch(ls, la)), true
		case ir.MatchPrefix:
			return b(strings.HasPrefix(ls, la)), true
		}
		return b(ls == la), true
	}
	return no, false
}
