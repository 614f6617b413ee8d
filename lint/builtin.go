package lint

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/policy"
)

// Built-in allows: under (version 1) libsandbox allows some operations
// (file-link, file-clone, system-privilege, nvram*, process-info* ...) by a
// terminal default or an implicit rule, whatever the profile says, so
// (deny default) does not close them (semantics.md §1.5). `sbplc audit`
// reports such probes as "allowed by the built-in default"; lint reports
// the same probes (the audit table, policy.Probes) under the probe's lint
// rule, at the profile's (deny default) rule, so the two commands agree.

// probeRuleAlias maps audit table rule names that are not lint rules onto
// the lint rule that reports the same hole.
var probeRuleAlias = map[string]string{
	"hardlink-bypass": "implicit-preamble-allows",
}

// ProbeRule returns the lint rule ID that reports an audit probe whose
// table names rule name.
func ProbeRule(name string) string {
	if a, ok := probeRuleAlias[name]; ok {
		return a
	}
	return name
}

// builtinHit is one audit probe the built-in defaults allow.
type builtinHit struct {
	id, op, res string
	term        string // operation whose built-in default (or implicit rule) decides
}

// denyDefaultRule returns the user's unfiltered (deny default) rule, or nil.
func denyDefaultRule(p *Pass) *ir.Rule {
	var out *ir.Rule
	for _, r := range p.Profile.Rules {
		if r.Action != ir.Deny || r.Filter != nil || ruleSpan(r).File != p.Src || p.Src == nil {
			continue
		}
		for _, o := range r.Ops {
			if o.Name == "default" {
				out = r // the last one is the profile's default
			}
		}
	}
	return out
}

// builtinAllows returns the audit probes for rule id that are allowed by a
// built-in default or an implicit rule (not by any rule in the profile).
func builtinAllows(p *Pass, id string) []builtinHit {
	var out []builtinHit
	for _, tp := range probesByRule()[id] {
		if strings.Contains(tp.Resource, "$P") {
			continue
		}
		d, ok := p.queryVnode(tp.Op, expandHome(tp.Resource, p.Home()), tp.Vnode)
		if !ok || d.Result != policy.Allow || (d.Rule != nil && !d.Implicit) {
			continue
		}
		h := builtinHit{id: tp.ID, op: d.Op, res: tp.Resource}
		if h.op == "" {
			h.op = tp.Op
		}
		h.term = h.op
		if n := len(d.Chain); n > 0 {
			h.term = d.Chain[n-1].Op
		}
		out = append(out, h)
	}
	return out
}

// reportBuiltinAllows reports, as rule p.Rule, the audit probes of that rule
// that the built-in defaults allow in a (deny default) profile: one finding
// at the (deny default) rule, listing the operations and the deny that
// closes them.
func reportBuiltinAllows(p *Pass) {
	dd := denyDefaultRule(p)
	if dd == nil {
		return
	}
	hits := builtinAllows(p, p.Rule.ID)
	if len(hits) == 0 {
		return
	}
	var ops, ids, plain, targeted []string
	seen := map[string]bool{}
	for _, h := range hits {
		ids = append(ids, h.id)
		if !seen[h.op] {
			seen[h.op] = true
			ops = append(ops, h.op)
		}
		if seen["deny "+h.term] {
			continue
		}
		seen["deny "+h.term] = true
		if h.res == "others" {
			targeted = append(targeted, h.term)
		} else {
			plain = append(plain, h.term)
		}
	}
	sort.Strings(ids)
	var denies []string
	if len(plain) > 0 {
		denies = append(denies, "(deny "+strings.Join(plain, " ")+")")
	}
	if len(targeted) > 0 {
		denies = append(denies, "(deny "+strings.Join(targeted, " ")+" (target others))")
	}
	fix := strings.Join(denies, " ")
	verb := "allow them"
	if len(ops) == 1 {
		verb = "allow it"
	}
	d := diag.Diagnostic{Span: ruleSpan(dd),
		Message: fmt.Sprintf("(deny default) does not close %s: the built-in defaults of (version %d) %s whatever the profile says; add %s after (deny default)",
			joinAnd(ops), max(p.Profile.Version, 1), verb, fix),
		Notes: []string{fmt.Sprintf("`sbplc audit` reports the same probes: %s", strings.Join(ids, ", "))},
	}
	// The fix adds the denies as top-level forms after the one holding
	// (deny default): never inside it (an (if ...) choosing between two
	// (deny default) forms takes no third argument).
	if e, ok := p.insertAfterTopLevel(ruleSpan(dd).Start, denies...); ok {
		d.Fixes = []diag.Fix{{Title: "add " + fix, Edits: []diag.Edit{e}}}
	}
	p.Report(d)
}

// joinAnd joins words as "a", "a and b", "a, b and c".
func joinAnd(ws []string) string {
	switch len(ws) {
	case 0:
		return ""
	case 1:
		return ws[0]
	}
	return strings.Join(ws[:len(ws)-1], ", ") + " and " + ws[len(ws)-1]
}

// probesByRule groups the audit probes by the lint rule that reports them
// (ProbeRule of their rule name), in table order.
var probesByRule = sync.OnceValue(func() map[string][]policy.Probe {
	return groupProbes(func(tp *policy.Probe) string { return ProbeRule(tp.LintRule) })
})

// probesByLintRule groups the audit probes by their own rule name.
var probesByLintRule = sync.OnceValue(func() map[string][]policy.Probe {
	return groupProbes(func(tp *policy.Probe) string { return tp.LintRule })
})

func groupProbes(key func(*policy.Probe) string) map[string][]policy.Probe {
	out := map[string][]policy.Probe{}
	ps, err := policy.Probes()
	if err != nil {
		return out
	}
	for i := range ps {
		k := key(&ps[i])
		out[k] = append(out[k], ps[i])
	}
	return out
}

// tableRules is the set of lint rules that audit probes name.
var tableRules = sync.OnceValue(func() map[string]bool {
	out := map[string]bool{}
	ps, _ := policy.Probes()
	for _, tp := range ps {
		out[ProbeRule(tp.LintRule)] = true
	}
	return out
})
