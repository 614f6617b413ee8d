package lint

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/policy"
	"github.com/sbplc/sbplc/vocab"
)

var orderingRules = []*Rule{
	{ID: "shadowed-rule", Run: runShadowed},
	{ID: "duplicate-rule", Run: runDuplicate},
	{ID: "redundant-rule", Run: runRedundant},
	{ID: "unfiltered-vs-filtered-precedence", Run: runUnfilteredVsFiltered},
	{ID: "default-not-first", Run: runDefaultNotFirst},
	{ID: "late-wildcard-deny", Run: runLateWildcardDeny},
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
	ancestors := map[string][]string{}
	type finding struct {
		deny, allow *ir.Rule
		wild, child string
	}
	var found []finding
	rules := p.Profile.Rules
	for i := len(rules) - 1; i >= 0; i-- {
		if i%checkEvery == 0 && p.Cancelled() {
			return
		}
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
			anc, ok := ancestors[o.Name]
			if !ok {
				anc = vocab.Ancestors(o.Name)
				ancestors[o.Name] = anc
			}
			for _, w := range anc {
				idx := later[w]
				if w == o.Name || idx == nil {
					continue
				}
				by, _, _, ok := idx.covers(r)
				if !ok {
					continue
				}
				for _, d := range by {
					if d.Action == ir.Deny && !reported[d] && !p.namesOp(d, o.Name) {
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

// namesOp reports whether r names operation op (a set per rule naming
// many operations, so that asking is not linear in them).
func (p *Pass) namesOp(r *ir.Rule, op string) bool {
	if len(r.Ops) <= 8 {
		for _, o := range r.Ops {
			if o.Name == op {
				return true
			}
		}
		return false
	}
	sets := p.run.facts.opSets.get(func() map[*ir.Rule]map[string]bool { return map[*ir.Rule]map[string]bool{} })
	set, ok := sets[r]
	if !ok {
		set = make(map[string]bool, len(r.Ops))
		for _, o := range r.Ops {
			set[o.Name] = true
		}
		sets[r] = set
	}
	return set[op]
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
// index of what the newer rules match (coverIndex); a rule all of whose
// alternatives are matched by newer rules never decides. The analysis may
// miss dead rules but never reports a live one. The per-operation rule
// lists come from the decision engine (policy.Engine.FilteredRules), which
// applies the fallback model. Cost: about the size of each list's filters,
// once per distinct list. A cancelled run gets nil.
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
		steps := 0
		for _, op := range names {
			filtered := e.FilteredRules(op)
			sig = sig[:0]
			for _, r := range filtered {
				sig = strconv.AppendInt(sig, int64(r.Index), 36)
				sig = append(sig, ',') // Index is unique per rule of the engine
			}
			vs, ok := memo[string(sig)]
			if !ok && len(filtered) == 1 {
				// A lone rule has no newer rule to cover it.
				if r := filtered[0]; r.Filter != nil && ruleSpan(r).IsValid() {
					vs = []verdict{{r: r}}
				}
				memo[string(sig)] = vs
				ok = true
			}
			if !ok {
				cov := newCoverIndex(keys)
				vs = make([]verdict, 0, len(filtered))
				for _, r := range filtered { // newest first
					if steps++; steps%checkEvery == 0 && p.Cancelled() {
						return nil
					}
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
			covered := make(map[string]bool, len(st.d.ops))
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

// relatedRules points at the first two distinct rules of rs that have a
// position.
func relatedRules(rs []*ir.Rule, msg string) []diag.Related {
	var out []diag.Related
	var first *ir.Rule
	for _, r := range rs {
		if len(out) == 2 {
			break
		}
		if sp := ruleSpan(r); sp.IsValid() && r != first {
			first = r
			out = append(out, diag.Related{Span: sp, Message: msg})
		}
	}
	return out
}

// laterRule names the first of rs, the rules that override or cover a
// rule: "the later allow at line 7", or, when none of them is in the
// source, libsandbox's implicit rule that it appends after every profile.
func laterRule(what string, rs []*ir.Rule) string {
	if len(relatedRules(rs, "")) > 0 || len(rs) == 0 {
		return what + " at " + firstLine(rs)
	}
	return fmt.Sprintf("libsandbox's implicit rule %s, which it appends after every profile,", strings.TrimSuffix(policy.RuleText(policy.Decision{Rule: rs[0], Implicit: true}), " ; implicit policy rule"))
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
	for i, d := range p.deadRules() {
		if i%checkEvery == 0 && p.Cancelled() {
			return
		}
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
			Message: fmt.Sprintf("this %s never takes effect: %s matches everything it matches, and among filtered rules the last match wins; move this rule after it, or narrow the later rule",
				d.rule.Action, laterRule("the later "+oppositeAction(d.rule.Action), opp)),
			Related: relatedRules(opp, "overriding rule")})
	}
	// Unfiltered rules: only the last one per operation counts.
	for _, op := range p.unfilteredOps() {
		last := op.rules[len(op.rules)-1].rule
		for i, u := range op.rules[:len(op.rules)-1] {
			if i%checkEvery == 0 && p.Cancelled() {
				return
			}
			if u.rule.Action == last.Action || !u.replaced {
				continue // same action: duplicate-rule
			}
			r := u.rule
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
	for i, d := range p.deadRules() {
		if i%checkEvery == 0 && p.Cancelled() {
			return
		}
		if d.opposed || !d.exact {
			continue
		}
		where := laterRule("the "+d.rule.Action.String(), d.by)
		p.Report(diag.Diagnostic{Span: ruleSpan(d.rule),
			Message: fmt.Sprintf("duplicate rule: %s has the same action and filter; remove this one", where),
			Related: relatedRules(d.by, "same rule")})
	}
	for _, op := range p.unfilteredOps() {
		last := op.rules[len(op.rules)-1].rule
		for i, u := range op.rules[:len(op.rules)-1] {
			if i%checkEvery == 0 && p.Cancelled() {
				return
			}
			if r := u.rule; r.Action == last.Action && u.replaced {
				p.Report(diag.Diagnostic{Span: ruleSpan(r),
					Message: fmt.Sprintf("duplicate unfiltered (%s %s): the one at %s already sets this operation's default; remove this one", r.Action, op.name, firstLine([]*ir.Rule{last})),
					Related: relatedRules([]*ir.Rule{last}, "same rule")})
			}
		}
	}
}

func runRedundant(p *Pass) {
	for i, d := range p.deadRules() {
		if i%checkEvery == 0 && p.Cancelled() {
			return
		}
		if d.opposed || d.exact {
			continue
		}
		p.Report(diag.Diagnostic{Span: ruleSpan(d.rule),
			Message: fmt.Sprintf("this %s is redundant: %s already matches everything it matches", d.rule.Action, laterRule("the later "+d.rule.Action.String(), d.by)),
			Related: relatedRules(d.by, "broader rule")})
	}
}

// unfilteredOp is an operation named by more than one unfiltered rule.
type unfilteredOp struct {
	name  string
	rules []unfilteredUse // written order, at least two
}

type unfilteredUse struct {
	rule *ir.Rule
	// replaced: every operation the rule names has a later unfiltered
	// rule, so the rule never sets a default.
	replaced bool
}

// unfilteredOps lists the operations named by more than one unfiltered
// rule, in the order first named (computed once per run, in two passes
// over the rules).
func (p *Pass) unfilteredOps() []unfilteredOp {
	return p.run.facts.unfiltered.get(func() []unfilteredOp {
		rules := p.Profile.Rules
		lastAt := map[string]int{} // operation -> position of its last unfiltered rule
		for i, r := range rules {
			if r.Filter == nil {
				for _, o := range r.Ops {
					lastAt[o.Name] = i
				}
			}
		}
		by := map[string][]unfilteredUse{}
		var order []string
		for i, r := range rules {
			if r.Filter != nil {
				continue
			}
			replaced := true
			for _, o := range r.Ops {
				if lastAt[o.Name] <= i {
					replaced = false
					break
				}
			}
			for _, o := range r.Ops {
				l := by[o.Name]
				if len(l) == 0 {
					order = append(order, o.Name)
				}
				if len(l) == 0 || l[len(l)-1].rule != r {
					by[o.Name] = append(l, unfilteredUse{rule: r, replaced: replaced})
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
	})
}

func runUnfilteredVsFiltered(p *Pass) {
	e := p.engine()
	reported := map[*ir.Rule]bool{}
	// Each operation's list is asked for and looked at once: only its
	// bottom rule (the last unfiltered one) can be reported for it.
	lists := map[string]policy.OpRules{}
	checked := map[string]bool{}
	for i, u := range p.Profile.Rules {
		if i%checkEvery == 0 && p.Cancelled() {
			return
		}
		// Only "re-open" rules: a filtered deny and a later unfiltered allow.
		// An unfiltered deny after filtered allows is the allow-list idiom,
		// and it works: the filtered allows still win.
		if u.Filter != nil || reported[u] || u.Action != ir.Allow {
			continue
		}
		for _, o := range u.Ops {
			if o.Name == "default" || checked[o.Name] {
				continue
			}
			rl, ok := lists[o.Name]
			if !ok {
				rl = e.RulesFor(o.Name)
				lists[o.Name] = rl
			}
			if rl.Bottom != u {
				continue
			}
			checked[o.Name] = true
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
