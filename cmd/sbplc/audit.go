package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sbplc/sbplc/compile"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/internal/liveaudit"
	"github.com/sbplc/sbplc/lint"
	"github.com/sbplc/sbplc/policy"
	"github.com/sbplc/sbplc/sandbox"
	"github.com/sbplc/sbplc/source"
)

func init() {
	register("audit", newAuditCmd)
	// audit --live makes its attempts in the child stage, under the profile.
	sandbox.RegisterFunc(liveaudit.FuncName, liveaudit.ChildProbe)
}

// The system parts of audit --live; tests substitute fakes.
var (
	liveProber = func(p *sandbox.Profile, sc *liveaudit.Scratch) liveaudit.Prober {
		return liveaudit.SandboxProber{Profile: p, Scratch: sc}
	}
	liveOS = liveaudit.OSVersion
	// liveScratchBase is where the scratch directory goes: /private/tmp
	// keeps unix socket paths short (TMPDIR is long on macOS).
	liveScratchBase = func() string {
		if runtime.GOOS == "darwin" {
			return "/private/tmp"
		}
		return os.TempDir()
	}
)

// jsonProbe is one probe result of `sbplc audit --format json`.
type jsonProbe struct {
	Profile   string    `json:"profile"`
	ID        string    `json:"id"`
	Group     string    `json:"group"`
	Severity  string    `json:"severity"`
	Operation string    `json:"operation"`
	Resource  string    `json:"resource"`
	Decision  string    `json:"decision"`
	LintRule  string    `json:"lint_rule"`
	Why       string    `json:"why"`
	Rule      *jsonRule `json:"rule"`
	Chain     []string  `json:"chain"`
	Reason    string    `json:"reason,omitempty"`
	Skipped   string    `json:"skipped,omitempty"`
}

func newAuditCmd() *cobra.Command {
	var (
		format, failOn, project string
		all, live               bool
		ef                      evalFlags
		pf                      policyFlags
	)
	c := &cobra.Command{
		Use:   "audit [flags] PROFILE...",
		Short: "run the built-in escape-vector probes and report what the profile allows",
		Long: `audit asks the decision engine about a built-in table of escape vectors
(credential files, persistence locations, IPC services that act outside the
sandbox, interpreters, network egress, other processes, kernel interfaces)
and reports every probe the profile allows, grouped, with the rule that
allows it. Probes whose answer is unknown (entitlements, extensions,
unresolved imports ...) are listed separately with the reason.

The probes are the rule table's (` + "`sbplc rules`" + ` lists the rules that report
them): lint's rule named in brackets reports the same probe at the same
severity. ~ in a probe is the home directory: --home, else the profile's
HOME param (-D HOME=...), else /Users/user, as in lint and test. Probes on
a project directory (.git/hooks, .vscode/tasks.json, ...) run on --project
DIR, or without it on the directories lint probes: the profile's writable
directories under the home, and HOME/src/project.

--live (macOS) also attempts each probe for real, inside a child process
sandboxed with the profile, and reports per probe the offline answer, the
live answer and whether they agree. Attempts are harmless: file attempts
happen only in a scratch directory that stands for ~ (and the HOME param)
and for the project directory, and never write data; connects are closed at
once without sending anything (any host is the unreachable 192.0.2.1);
exec'd programs are killed as soon as they run; the only signal is SIGCONT
to sbplc itself. What cannot be attempted harmlessly (writes outside the
scratch directory, mounts, privileged operations, Apple events, IOKit) is
reported as not attempted, and an attempt that cannot tell (a missing
service, a socket nobody listens on) as inconclusive. A disagreement is a
bug in sbplc's model of libsandbox: it is printed with both answers and the
OS version, and --format json gives it in a form to file.

Exit status: 1 when a probe at or above --fail-on is allowed (offline or,
with --live, live) or when --live finds a disagreement, 0 otherwise, 2 for
usage errors (and off a Mac with --live).`,
		Example: `  sbplc audit agent.sb
  sbplc audit -D HOME=/Users/me --home /Users/me --project /Users/me/src/app agent.sb
  sbplc audit --format sarif --fail-on error agent.sb > audit.sarif
  sbplc audit --live --format json agent.sb > live.json`,
		Args: argsUsage(1, -1, "PROFILE"),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkFormat(format, "text", "json", "sarif"); err != nil {
				return err
			}
			fail, err := diag.ParseSeverity(failOn)
			if err != nil {
				return usageErrorf("--fail-on: %v", err)
			}
			if live {
				switch {
				case format == "sarif":
					return usageErrorf("--live reports in text or json")
				case project != "" || pf.home != "":
					return usageErrorf("--live puts ~ and the project directory in its scratch directory: leave out --home and --project")
				case len(args) > 1:
					return usageErrorf("--live audits one profile at a time")
				}
				return liveAudit(c, args[0], &ef, &pf, format == "json", fail, all)
			}
			if project != "" && !strings.HasPrefix(project, "/") {
				return usageErrorf("--project %q: want an absolute path", project)
			}
			po, err := policyOptions(&ef, &pf)
			if err != nil {
				return err
			}
			// Several profiles, directories and globs are audited one after
			// another; a profile with errors is reported and skipped.
			files, err := expandInputs(args, verboseOut(c))
			if err != nil {
				return err
			}
			type audited struct {
				src *source.File
				rs  []policy.ProbeResult
			}
			var done []audited
			broken, err := loadEach(c, files, &ef, po, func(_ string, lp *loadedProfile) error {
				projects := []string{project}
				if project == "" {
					projects = lint.ProjectDirs(lp.res.Eval.Profile, lp.home)
				}
				done = append(done, audited{lp.src, lp.engine.Audit(policy.AuditOptions{Home: lp.home, Projects: projects})})
				return nil
			})
			if err != nil {
				return err
			}
			out := c.OutOrStdout()
			switch format {
			case "json":
				var rs []jsonProbe
				for _, a := range done {
					rs = append(rs, auditJSONProbes(a.src.Name, a.rs, all)...)
				}
				writeAuditJSON(out, rs)
			case "sarif":
				var ds diag.List
				for _, a := range done {
					ds = append(ds, auditDiags(a.src, a.rs)...)
				}
				writeAuditSARIF(out, ds)
			default:
				for i, a := range done {
					if i > 0 {
						fmt.Fprintln(out)
					}
					writeAuditText(diag.EscapingWriter(out), a.src.Name, a.rs, all)
				}
			}
			if broken > 0 {
				return findings()
			}
			for _, a := range done {
				for _, r := range a.rs {
					if r.Allowed() && r.Severity >= fail {
						return findings()
					}
				}
			}
			return nil
		},
	}
	c.Flags().StringVar(&format, "format", "text", "output format: text, json or sarif")
	c.Flags().StringVar(&failOn, "fail-on", "warning", "exit 1 when an allowed probe is at or above this severity: error, warning or info")
	c.Flags().StringVar(&project, "project", "", "project directory for the project probes ($P: .git/hooks, .vscode/tasks.json, ...)")
	c.Flags().BoolVar(&all, "all", false, "also list denied and skipped probes")
	c.Flags().BoolVar(&live, "live", false, "also attempt each probe inside a child sandboxed with the profile and compare (macOS)")
	ef.add(c)
	pf.add(c, "", "home directory that ~ in probes stands for, and ${HOME} placeholders (default: a bound HOME param, else "+policy.DefaultHome+")")
	return c
}

func decisionRule(d policy.Decision) string {
	switch {
	case d.Rule != nil:
		if a := alsoText(d); a != "" {
			return ruleLocation(d) + ": " + policy.RuleText(d) + "; " + a
		}
		return ruleLocation(d) + ": " + policy.RuleText(d)
	case len(d.Chain) > 0 && d.Result != policy.Unknown:
		return "the built-in default of " + d.Chain[len(d.Chain)-1].Op
	}
	return ""
}

func writeAuditText(w io.Writer, name string, rs []policy.ProbeResult, all bool) {
	var allowed, unknown, skipped int
	for _, r := range rs {
		switch {
		case r.Skipped != "":
			skipped++
		case r.Decision.Result == policy.Allow:
			allowed++
		case r.Decision.Result == policy.Unknown:
			unknown++
		}
	}
	fmt.Fprintf(w, "%s: %d of %d probes allowed, %d unknown", name, allowed, len(rs)-skipped, unknown)
	if skipped > 0 {
		fmt.Fprintf(w, ", %d skipped (--all lists them with the reason)", skipped)
	}
	fmt.Fprintln(w)
	for _, g := range policy.Groups() {
		var lines []string
		for _, r := range rs {
			if r.Group != g {
				continue
			}
			show := r.Allowed() || all
			if !show {
				continue
			}
			status := r.Decision.Result.String()
			if r.Skipped != "" {
				status = "skipped"
			}
			res := r.Resource
			if r.Skipped != "" {
				res = r.Probe.Resource
			}
			if res == "" {
				res = "(any)"
			}
			l := fmt.Sprintf("  %-7s %-7s %-6s %s %s: %s [%s]", status, r.Severity, r.ID, r.Op, res, r.Why, r.Rule)
			if r.Skipped != "" {
				l += "\n          " + r.Skipped
			} else if by := decisionRule(r.Decision); by != "" {
				verb := map[policy.Result]string{policy.Allow: "allowed by ", policy.Deny: "denied by ", policy.Unknown: "depends on "}[r.Decision.Result]
				l += "\n          " + verb + by
			}
			lines = append(lines, l)
		}
		if len(lines) > 0 {
			fmt.Fprintf(w, "\n%s:\n%s\n", g, strings.Join(lines, "\n"))
		}
	}
	if unknown > 0 {
		fmt.Fprintf(w, "\nunknown (the answer depends on something the engine cannot see):\n")
		for _, r := range rs {
			if r.Skipped == "" && r.Decision.Result == policy.Unknown {
				fmt.Fprintf(w, "  %-6s %s %s: %s\n", r.ID, r.Op, r.Resource, r.Decision.Reason)
			}
		}
	}
}

func toJSONProbe(r policy.ProbeResult) jsonProbe {
	j := jsonProbe{ID: r.ID, Group: r.Group, Severity: r.Severity.String(), Operation: r.Op, Resource: r.Resource,
		LintRule: r.Rule, Why: r.Why, Chain: []string{}, Skipped: r.Skipped}
	if r.Skipped != "" {
		j.Decision = "skipped"
		j.Resource = r.Probe.Resource
		return j
	}
	jd := toJSONDecision(r.Decision)
	j.Decision, j.Rule, j.Chain = jd.Decision, jd.Rule, jd.Chain
	if r.Decision.Result == policy.Unknown {
		j.Reason = r.Decision.Reason
	}
	return j
}

// auditJSONProbes are the probes of one profile that --format json lists.
func auditJSONProbes(name string, rs []policy.ProbeResult, all bool) []jsonProbe {
	var probes []jsonProbe
	for _, r := range rs {
		if r.Allowed() || all || r.Skipped == "" && r.Decision.Result == policy.Unknown {
			j := toJSONProbe(r)
			j.Profile = name
			probes = append(probes, j)
		}
	}
	return probes
}

func writeAuditJSON(w io.Writer, probes []jsonProbe) {
	if probes == nil {
		probes = []jsonProbe{}
	}
	b, _ := json.MarshalIndent(struct {
		Probes []jsonProbe `json:"probes"`
	}{probes}, "", "  ")
	fmt.Fprintf(w, "%s\n", b)
}

// auditDiags reports each allowed probe as a result of the lint rule that
// covers it, located at the allowing rule (or the profile's first line for
// built-in defaults).
func auditDiags(src *source.File, rs []policy.ProbeResult) diag.List {
	var ds diag.List
	for _, r := range rs {
		if !r.Allowed() {
			continue
		}
		sp := source.Span{File: src}
		if r.Decision.Rule != nil && !r.Decision.Implicit {
			if s := policy.RuleSpan(r.Decision.Rule); s.IsValid() {
				sp = s
			}
		} else if r.Decision.Also != nil {
			if s := policy.RuleSpan(r.Decision.Also); s.IsValid() {
				sp = s // the user's rule that allows it too
			}
		}
		msg := fmt.Sprintf("%s allows %s %s (%s): %s", src.Name, r.Op, r.Resource, r.ID, r.Why)
		if r.Decision.Rule == nil {
			msg += "; allowed by the built-in default of " + r.Decision.Chain[len(r.Decision.Chain)-1].Op
		}
		ds = append(ds, diag.Diagnostic{Severity: r.Severity, Code: r.Rule, Message: msg, Span: sp})
	}
	return ds
}

// writeAuditSARIF writes the allowed probes as SARIF results; the rules'
// metadata come from the rule table, as in lint's SARIF.
func writeAuditSARIF(w io.Writer, ds diag.List) {
	var rl []diag.SARIFRule
	seen := map[string]bool{}
	for _, d := range ds {
		if !seen[d.Code] {
			seen[d.Code] = true
			rl = append(rl, sarifRule(d.Code))
		}
	}
	diag.WriteSARIF(w, ds, sarifTool(), rl)
}

// liveAudit is audit --live: the offline audit with ~ and $P in a scratch
// directory, every probe attempted under the profile, and the two answers
// compared.
func liveAudit(c *cobra.Command, name string, ef *evalFlags, pf *policyFlags, asJSON bool, fail diag.Severity, all bool) error {
	if err := auditCode(checkBackend(c, "")); err != nil {
		return err
	}
	sc, err := liveaudit.NewScratch(liveScratchBase())
	if err != nil {
		return usageErrorf("--live: cannot make the scratch directory: %v", err)
	}
	defer sc.Remove()
	// The HOME param is the scratch home too, so that the profile's rules
	// about the home apply to the files the attempts use.
	efLive := *ef
	efLive.defines = append(append([]string(nil), ef.defines...), "HOME="+sc.Home)
	po, err := policyOptions(&efLive, pf)
	if err != nil {
		return err
	}
	po.Home = sc.Home
	lp, err := loadEngine(c, name, &efLive, po, false)
	if err != nil {
		return err
	}
	rs := lp.engine.Audit(policy.AuditOptions{Home: sc.Home, Projects: []string{sc.Project}})
	// loadEngine has shown the problems that matter; lint is not a gate
	// here.
	rf := runFlags{ef: efLive, noLint: true}
	p, err := buildProfile(c, &rf, lp.src, compile.EmitBytecode, nil, "")
	if err != nil {
		return auditCode(err)
	}
	prof := sandbox.FromBytecode(lp.src.Name, p.data)
	prof.Prefix = "sbplc audit --live"
	rows, err := liveaudit.Run(c.Context(), rs, lp.engine, sc, liveProber(prof, sc))
	if err != nil {
		return usageErrorf("--live: cannot attempt the probes: %v", err)
	}
	rep := newLiveReport(lp.src.Name, liveOS(), sc, rows)
	if asJSON {
		b, _ := json.MarshalIndent(rep, "", "  ")
		fmt.Fprintf(c.OutOrStdout(), "%s\n", b)
	} else {
		rep.writeText(c.OutOrStdout(), all)
	}
	if rep.Summary.Disagree > 0 {
		return findings()
	}
	for _, r := range rows {
		if r.Result.Severity >= fail && (r.Offline == "allow" || r.Live.Answer == liveaudit.Allowed) {
			return findings()
		}
	}
	return nil
}

// auditCode turns run's "not started" status (126) into audit's 2: audit
// exits 0, 1 or 2.
func auditCode(err error) error {
	var ee *exitError
	if errors.As(err, &ee) && ee.Code == exitCannotRun {
		ee.Code = exitUsage
	}
	return err
}

// liveReport is the result of audit --live (its JSON form, too).
type liveReport struct {
	Profile string `json:"profile"`
	OS      string `json:"os"`
	// Scratch is the directory that stood for ~ and the project.
	Scratch   string      `json:"scratch"`
	Summary   liveSummary `json:"summary"`
	Probes    []liveProbe `json:"probes"`
	ModelBugs []liveProbe `json:"model_bugs"`
	rows      []liveaudit.Row
}

type liveSummary struct {
	Probes       int `json:"probes"`
	Attempted    int `json:"attempted"`
	Agree        int `json:"agree"`
	Disagree     int `json:"disagree"`
	Inconclusive int `json:"inconclusive"`
	NotAttempted int `json:"not_attempted"`
}

type liveProbe struct {
	ID          string `json:"id"`
	Group       string `json:"group"`
	Severity    string `json:"severity"`
	Operation   string `json:"operation"`
	Resource    string `json:"resource"`
	Offline     string `json:"offline"`
	OfflineRule string `json:"offline_rule,omitempty"`
	Live        string `json:"live"`
	LiveDetail  string `json:"live_detail,omitempty"`
	Agree       string `json:"agree"`
}

func newLiveReport(name, osName string, sc *liveaudit.Scratch, rows []liveaudit.Row) *liveReport {
	rep := &liveReport{Profile: name, OS: osName, Scratch: sc.Root, Probes: []liveProbe{}, ModelBugs: []liveProbe{}, rows: rows}
	for _, r := range rows {
		res := r.Result.Resource
		if res == "" {
			res = r.Result.Probe.Resource
		}
		lp := liveProbe{ID: r.Result.ID, Group: r.Result.Group, Severity: r.Result.Severity.String(), Operation: r.Result.Op,
			Resource: res, Offline: r.Offline, OfflineRule: decisionRule(r.Result.Decision),
			Live: string(r.Live.Answer), LiveDetail: r.Live.Detail, Agree: r.Agree}
		rep.Probes = append(rep.Probes, lp)
		rep.Summary.Probes++
		switch r.Live.Answer {
		case liveaudit.NotAttempted:
			rep.Summary.NotAttempted++
		case liveaudit.Inconclusive:
			rep.Summary.Attempted++
			rep.Summary.Inconclusive++
		default:
			rep.Summary.Attempted++
		}
		switch r.Agree {
		case "yes":
			rep.Summary.Agree++
		case "no":
			rep.Summary.Disagree++
			rep.ModelBugs = append(rep.ModelBugs, lp)
		}
	}
	return rep
}

func (rep *liveReport) writeText(w io.Writer, all bool) {
	s := rep.Summary
	fmt.Fprintf(w, "%s: live audit on %s: %d of %d probes attempted; %d agree, %d disagree, %d inconclusive\n",
		rep.Profile, rep.OS, s.Attempted, s.Probes, s.Agree, s.Disagree, s.Inconclusive)
	fmt.Fprintf(w, "  ~ and the HOME param were %s/h, the project %s/p (a scratch directory, removed afterwards)\n", rep.Scratch, rep.Scratch)
	if len(rep.ModelBugs) > 0 {
		fmt.Fprintf(w, "\nmodel bugs: sbplc's answer differs from %s's (please report them; --format json gives them in full):\n", rep.OS)
		for _, p := range rep.ModelBugs {
			fmt.Fprintf(w, "  %-7s %s %s\n", p.ID, p.Operation, p.Resource)
			by := ""
			if p.OfflineRule != "" {
				by = " (" + p.OfflineRule + ")"
			}
			fmt.Fprintf(w, "          sbplc says %s%s; %s says %s (%s)\n", p.Offline, by, rep.OS, p.Live, p.LiveDetail)
		}
	}
	var lines []string
	for _, p := range rep.Probes {
		if !all && p.Live != string(liveaudit.Allowed) {
			continue
		}
		if all || p.Agree != "no" {
			lines = append(lines, fmt.Sprintf("  %-7s %-4s %s %s: offline %s, live %s: %s", p.ID, p.Agree, p.Operation, p.Resource, p.Offline, p.Live, p.LiveDetail))
		}
	}
	if len(lines) > 0 {
		head := "allowed live"
		if all {
			head = "all probes (id, agreement, request: answers)"
		}
		fmt.Fprintf(w, "\n%s:\n%s\n", head, strings.Join(lines, "\n"))
	}
}
