package policy

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/ir"
)

//go:embed probes.tsv
var probesTSV string

// Probe is one built-in escape-vector probe (policy/probes.tsv).
type Probe struct {
	ID       string
	Group    string // secrets, persistence, ipc-escape, exec, network, process, kernel
	Severity diag.Severity
	Op       string
	Resource string // query syntax; ~ = home, $P = project
	Vnode    string
	LintRule string // the lint rule that reports the same hole
	Why      string
}

// Groups lists the probe groups in report order.
var Groups = []string{"secrets", "persistence", "ipc-escape", "exec", "network", "process", "kernel"}

var (
	probesOnce sync.Once
	probes     []Probe
	probesErr  error
)

// Probes returns the embedded probe table.
func Probes() ([]Probe, error) {
	probesOnce.Do(func() { probes, probesErr = parseProbes(probesTSV) })
	return probes, probesErr
}

func parseProbes(text string) ([]Probe, error) {
	var out []Probe
	seen := map[string]bool{}
	for n, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 8 {
			return nil, fmt.Errorf("probes.tsv:%d: %d columns, want 8", n+1, len(f))
		}
		sev, err := diag.ParseSeverity(f[2])
		if err != nil {
			return nil, fmt.Errorf("probes.tsv:%d: %v", n+1, err)
		}
		p := Probe{ID: f[0], Group: f[1], Severity: sev, Op: f[3], Resource: f[4], Vnode: f[5], LintRule: f[6], Why: f[7]}
		if seen[p.ID] {
			return nil, fmt.Errorf("probes.tsv:%d: duplicate id %s", n+1, p.ID)
		}
		seen[p.ID] = true
		known := false
		for _, g := range Groups {
			known = known || g == p.Group
		}
		if !known {
			return nil, fmt.Errorf("probes.tsv:%d: unknown group %q", n+1, p.Group)
		}
		out = append(out, p)
	}
	return out, nil
}

// AuditOptions configure Audit.
type AuditOptions struct {
	Home    string // the user's home directory for ~ (default DefaultHome)
	Project string // the project directory for $P; "" skips those probes
}

// DefaultHome is the placeholder home directory probes use by default.
const DefaultHome = "/Users/user"

// ProbeResult is one probe's outcome.
type ProbeResult struct {
	Probe
	Resource string // the resource queried (after ~ and $P expansion), canonical
	Decision Decision
	Skipped  string // non-empty: why the probe did not run
}

// Allowed reports whether the profile allows the probe.
func (r ProbeResult) Allowed() bool { return r.Skipped == "" && r.Decision.Result == Allow }

// Audit runs every probe against the engine. Results are in table order.
func (e *Engine) Audit(opts AuditOptions) ([]ProbeResult, error) {
	ps, err := Probes()
	if err != nil {
		return nil, err
	}
	home := opts.Home
	if home == "" {
		home = DefaultHome
	}
	out := make([]ProbeResult, 0, len(ps))
	for _, p := range ps {
		r := ProbeResult{Probe: p}
		text := ExpandHome(p.Resource, home)
		if strings.Contains(text, "$P") {
			if opts.Project == "" {
				r.Skipped = "needs --project DIR"
				out = append(out, r)
				continue
			}
			text = strings.ReplaceAll(text, "$P", strings.TrimSuffix(opts.Project, "/"))
		}
		op, err := e.ResolveOp(p.Op)
		if err != nil {
			r.Skipped = err.Error()
			out = append(out, r)
			continue
		}
		res, err := ParseResource(op, text)
		if err != nil {
			r.Skipped = err.Error()
			out = append(out, r)
			continue
		}
		res.Vnode = p.Vnode
		r.Resource = res.Canonical()
		r.Decision = e.Query(Request{Op: op, Resource: res})
		out = append(out, r)
	}
	return out, nil
}

// Audit compiles p and runs the probes: the convenience entry point for
// lint's escape and secrets rules. The engine's diagnostics are returned
// too.
func Audit(p *ir.Profile, opts Options, aopts AuditOptions) ([]ProbeResult, diag.List, error) {
	if opts.Home == "" {
		opts.Home = aopts.Home
		if opts.Home == "" {
			opts.Home = DefaultHome
		}
	}
	e, ds := New(p, opts)
	rs, err := e.Audit(aopts)
	return rs, ds, err
}
