package lint

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/policy"
)

// Rules that find ways around a deny, decided by the decision engine.

var bypassRules = []*Rule{
	{ID: "case-variant-deny", Category: Paths, Severity: diag.Warning,
		Summary: "deny that a case-variant spelling gets around", Run: runCaseVariant},
	{ID: "read-deny-movable", Category: Paths, Severity: diag.Warning,
		Summary: "read-denied file that may be renamed out of the deny", Run: runReadDenyMovable},
	{ID: "dns-exfil-channel", Category: Overbreadth, Severity: diag.Warning,
		Summary: "DNS reachable while other egress is closed", Run: runDNSExfil},
}

// query asks the engine about op on the resource text; ok is false when the
// question cannot be asked.
func (p *Pass) query(op, res string) (policy.Decision, bool) {
	return p.queryVnode(op, expandHome(res, p.Home()), "")
}

// queryAnswer is the part of a decision the lint rules use: a run asks a
// few hundred probes, and a full Decision (with the request) is large.
type queryAnswer struct {
	result    policy.Result
	rule      *ir.Rule
	implicit  bool
	ok        bool
	op        string
	canonical string
	last      [1]policy.Step // the last step of the chain, when there is one
	steps     int            // 0 or 1
}

func (a *queryAnswer) decision() policy.Decision {
	return policy.Decision{Result: a.result, Rule: a.rule, Implicit: a.implicit, Op: a.op,
		Canonical: a.canonical, Chain: a.last[:a.steps:a.steps]}
}

// queryVnode answers op on res (home already expanded), memoised per run:
// several rules ask about the same protected paths. The decision carries
// Result, Rule, Implicit, Op, Canonical and the last step of Chain only.
func (p *Pass) queryVnode(op, res, vnode string) (policy.Decision, bool) {
	m := p.run.facts.queries.get(func() *queryMemo { return &queryMemo{m: make(map[[3]string]*queryAnswer, 256)} })
	key := [3]string{op, res, vnode}
	if a, ok := m.m[key]; ok {
		return a.decision(), a.ok
	}
	if len(m.slab) == 0 {
		m.slab = make([]queryAnswer, 64)
	}
	a := &m.slab[0]
	m.slab = m.slab[1:]
	e := p.engine()
	if o, err := e.ResolveOp(op); err == nil {
		if r, err := policy.ParseResource(o, res); err == nil {
			r.Vnode = vnode
			d := &m.scratch
			e.QueryInto(policy.Request{Op: o, Resource: r}, d)
			a.result, a.rule, a.implicit, a.op, a.canonical, a.ok = d.Result, d.Rule, d.Implicit, d.Op, d.Canonical, true
			if n := len(d.Chain); n > 0 {
				a.last[0], a.steps = d.Chain[n-1], 1
			}
		}
	}
	m.m[key] = a
	return a.decision(), a.ok
}

// queryMemo holds a run's answers; they are allocated in chunks, and
// scratch is the decision buffer the engine writes into.
type queryMemo struct {
	m       map[[3]string]*queryAnswer
	slab    []queryAnswer
	scratch policy.Decision
}

// userRule reports whether d was decided by a rule written in the file
// (directly or through a helper or import call in it).
func userRule(d policy.Decision) bool {
	return d.Rule != nil && !d.Implicit && ruleSpan(d.Rule).IsValid()
}

// protectedPaths are the files the secrets and escape rules protect, with
// the operation that matters for each.
func protectedPaths() []probe {
	var out []probe
	for _, pr := range secretsProbeRules {
		out = append(out, pr.probes...)
	}
	for _, id := range []string{"writable-shell-startup", "writable-ssh-authorized-keys", "writable-launch-agents"} {
		for _, pr := range escapeProbeRules {
			if pr.id == id {
				for _, pb := range pr.probes {
					if pb.op == "file-write-data" {
						out = append(out, pb)
					}
				}
			}
		}
	}
	return out
}

// caseVariant upper-cases the letters of the first path component after
// the home (or after the root) that has any: ~/.ssh/id_rsa -> ~/.SSH/id_rsa.
func caseVariant(path string) string {
	parts := strings.Split(path, "/")
	start := 1
	if strings.HasPrefix(path, "~/") {
		start = 1
	} else if len(parts) > 3 && parts[1] == "Users" {
		start = 3
	}
	for i := start; i < len(parts); i++ {
		if strings.IndexFunc(parts[i], unicode.IsLower) >= 0 {
			parts[i] = strings.ToUpper(parts[i])
			return strings.Join(parts, "/")
		}
	}
	return ""
}

func hasRegexLeaf(r *ir.Rule) bool {
	found := false
	eachLeaf(r.Filter, false, func(l *ir.FilterNode, neg bool) {
		if matchOf(l) == ir.MatchRegex {
			found = true
		}
	})
	return found
}

func runCaseVariant(p *Pass) {
	reported := map[*ir.Rule]bool{}
	for _, pb := range protectedPaths() {
		d, ok := p.query(pb.op, pb.res)
		if !ok || d.Result != policy.Deny || !userRule(d) || d.Rule.Action != ir.Deny || d.Rule.Filter == nil || reported[d.Rule] {
			continue
		}
		v := caseVariant(pb.res)
		if v == "" {
			continue
		}
		dv, ok := p.query(pb.op, v)
		if !ok || dv.Result != policy.Allow {
			continue
		}
		reported[d.Rule] = true
		shown := expandHome(v, p.Home())
		msg := fmt.Sprintf("this deny does not cover the spelling %s, which the default case-insensitive APFS volume opens as the same file; match both cases, e.g. [Ss][Ss][Hh] in a regex, or deny by allow-list", shown)
		sev := diag.Warning
		if !hasRegexLeaf(d.Rule) {
			sev = diag.Info
			msg += " (literal and subpath matching may already fold case on macOS: unverified)"
		}
		dd := diag.Diagnostic{Span: ruleSpan(d.Rule), Message: msg}
		if userRule(dv) {
			dd.Related = relatedRules([]*ir.Rule{dv.Rule}, "rule that allows the variant")
		}
		p.ReportSev(sev, dd)
	}
}

func parentDir(path string) string {
	if i := strings.LastIndexByte(path, '/'); i > 0 {
		return path[:i]
	}
	return ""
}

func runReadDenyMovable(p *Pass) {
	reported := map[*ir.Rule]bool{}
	for _, pr := range secretsProbeRules {
		for _, pb := range pr.probes {
			d, ok := p.query(pb.op, pb.res)
			if !ok || d.Result != policy.Deny || !userRule(d) || d.Rule.Action != ir.Deny || d.Rule.Filter == nil || reported[d.Rule] {
				continue
			}
			for _, target := range []string{pb.res, parentDir(pb.res)} {
				if target == "" || target == "~" {
					continue
				}
				mv, ok := p.query("file-write-unlink", target)
				if !ok || mv.Result != policy.Allow {
					continue
				}
				reported[d.Rule] = true
				dd := diag.Diagnostic{Span: ruleSpan(d.Rule),
					Message: fmt.Sprintf("this read deny can be walked around: renaming %s is allowed, and a renamed file is read under its new, allowed path; deny file-write* on the protected paths too", expandHome(target, p.Home()))}
				if userRule(mv) {
					dd.Related = relatedRules([]*ir.Rule{mv.Rule}, "rule that allows the rename")
				}
				p.Report(dd)
				break
			}
		}
	}
}

var dnsProbes = []probe{
	{op: "network-outbound", res: "unix:/private/var/run/mDNSResponder"},
	{op: "network-outbound", res: "udp:*:53"},
	{op: "mach-lookup", res: "com.apple.dnssd.service"},
}

func runDNSExfil(p *Pass) {
	// Only profiles that close general egress: otherwise DNS is the least
	// of it (unfiltered-network reports that).
	if d, ok := p.query("network-outbound", "tcp:*:443"); !ok || d.Result != policy.Deny {
		return
	}
	reported := map[*ir.Rule]bool{}
	for _, pb := range dnsProbes {
		d, ok := p.query(pb.op, pb.res)
		if !ok || d.Result != policy.Allow || !userRule(d) || reported[d.Rule] {
			continue
		}
		reported[d.Rule] = true
		p.Reportf(ruleSpan(d.Rule), "this rule lets name lookups reach the resolver (%s) although other egress is closed: data encoded in host names (secret.attacker.example) leaves the sandbox; let the proxy resolve names instead", strings.TrimPrefix(pb.res, "unix:"))
	}
}
