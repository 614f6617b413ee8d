package policy

import (
	"strings"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/ruletable"
)

// Probe is one built-in escape-vector probe (ruletable/probes.tsv). Its
// Rule is the lint rule that reports it and its Severity that rule's.
type Probe = ruletable.Probe

// Probes returns the embedded probe table, in table order.
func Probes() []Probe { return ruletable.Probes() }

// Groups lists the probe groups in report order.
func Groups() []string { return ruletable.Groups() }

// AuditOptions configure Audit.
type AuditOptions struct {
	Home string // the user's home directory for ~ (default DefaultHome)
	// Projects are the directories that stand for $P: each $P probe runs
	// once per directory. None: those probes are skipped.
	Projects []string
}

// DefaultHome is the placeholder home directory probes use when nothing
// names one (see PickHome).
const DefaultHome = "/Users/user"

// PickHome is the one rule for the home directory that ~ in probes and
// expectations, and unbound ${HOME} placeholders, stand for: the --home
// flag, else the configuration's home, else the profile's bound HOME param
// when it is an absolute path, else DefaultHome. Trailing slashes are
// dropped (except from "/"). lint, audit and test all use it.
func PickHome(flag, configHome string, prof *ir.Profile) string {
	trim := func(s string) string {
		if t := strings.TrimRight(s, "/"); t != "" {
			return t
		}
		return "/"
	}
	if flag != "" {
		return trim(flag)
	}
	if configHome != "" {
		return trim(configHome)
	}
	if prof != nil {
		for _, pu := range prof.Params {
			if pu.Bound && pu.Name == "HOME" && strings.HasPrefix(pu.Value, "/") {
				return trim(pu.Value)
			}
		}
	}
	return DefaultHome
}

// ProbeResult is one probe's outcome. A $P probe has one result per
// project directory.
type ProbeResult struct {
	Probe
	Resource string // the resource queried (after ~ and $P expansion), canonical
	Decision Decision
	// Base is the decision on the probe's precondition (Probe.If), nil
	// when it has none. The probe runs only when the condition holds.
	Base    *Decision
	Skipped string // non-empty: why the probe did not run
}

// Allowed reports whether the profile allows the probe.
func (r ProbeResult) Allowed() bool { return r.Skipped == "" && r.Decision.Result == Allow }

// Audit runs every probe against the engine: the one evaluation of the
// probe table, used by `sbplc audit` and by lint's probe rules. Results
// are in table order (a $P probe's results in Projects order).
func (e *Engine) Audit(opts AuditOptions) []ProbeResult {
	home := opts.Home
	if home == "" {
		home = DefaultHome
	}
	ps := Probes()
	out := make([]ProbeResult, 0, len(ps))
	for _, p := range ps {
		if !strings.Contains(p.Resource, "$P") && (p.If == nil || !strings.Contains(p.If.Resource, "$P")) {
			out = append(out, e.runProbe(p, home, ""))
			continue
		}
		if len(opts.Projects) == 0 {
			out = append(out, ProbeResult{Probe: p, Skipped: "needs a project directory (--project DIR)"})
			continue
		}
		for _, dir := range opts.Projects {
			out = append(out, e.runProbe(p, home, dir))
		}
	}
	return out
}

// expandProbe substitutes home for ~ and project for $P.
func expandProbe(text, home, project string) string {
	text = ExpandHome(text, home)
	if project != "" {
		text = strings.ReplaceAll(text, "$P", strings.TrimSuffix(project, "/"))
	}
	return text
}

func (e *Engine) runProbe(p Probe, home, project string) ProbeResult {
	r := ProbeResult{Probe: p}
	ask := func(op, text, vnode string) (Decision, string, error) {
		o, err := e.ResolveOp(op)
		if err != nil {
			return Decision{}, "", err
		}
		res, err := ParseResource(o, expandProbe(text, home, project))
		if err != nil {
			return Decision{}, "", err
		}
		res.Vnode = vnode
		// opt: QueryInto with one reused Decision would save the chain
		// allocations (lint runs the table once per file).
		return e.Query(Request{Op: o, Resource: res}), res.Canonical(), nil
	}
	if pre := p.If; pre != nil {
		d, canon, err := ask(pre.Op, pre.Resource, "")
		if err != nil {
			r.Skipped = err.Error()
			return r
		}
		r.Base = &d
		switch {
		case d.Result != Deny:
			r.Skipped = "applies only while the profile denies " + pre.Op + " " + canon
			return r
		case pre.CarvedOut && (d.Rule == nil || d.Implicit || d.Rule.Action != ir.Deny || d.Rule.Filter == nil):
			r.Skipped = "applies only while a filtered deny rule denies " + pre.Op + " " + canon
			return r
		}
	}
	d, canon, err := ask(p.Op, p.Resource, p.Vnode)
	if err != nil {
		r.Skipped = err.Error()
		return r
	}
	r.Resource, r.Decision = canon, d
	return r
}

// Audit compiles p and runs the probes (home from aopts, else opts,
// else DefaultHome). The engine's diagnostics are returned too.
func Audit(p *ir.Profile, opts Options, aopts AuditOptions) ([]ProbeResult, diag.List) {
	if aopts.Home == "" {
		aopts.Home = opts.Home
	}
	if aopts.Home == "" {
		aopts.Home = DefaultHome
	}
	if opts.Home == "" {
		opts.Home = aopts.Home
	}
	e, ds := New(p, opts)
	return e.Audit(aopts), ds
}
