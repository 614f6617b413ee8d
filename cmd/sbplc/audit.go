package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/lint"
	"github.com/sbplc/sbplc/policy"
	"github.com/sbplc/sbplc/source"
)

func init() { register(newAuditCmd) }

// jsonProbe is one probe result of `sbplc audit --format json`.
type jsonProbe struct {
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
		all                     bool
		ef                      evalFlags
		pf                      policyFlags
	)
	c := &cobra.Command{
		Use:   "audit [flags] PROFILE",
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

Exit status: 1 when a probe at or above --fail-on is allowed, 0 otherwise,
2 for usage errors.`,
		Example: `  sbplc audit agent.sb
  sbplc audit -D HOME=/Users/me --home /Users/me --project /Users/me/src/app agent.sb
  sbplc audit --format sarif --fail-on error agent.sb > audit.sarif`,
		Args: argsUsage(1, 1, "PROFILE"),
		RunE: func(c *cobra.Command, args []string) error {
			if format != "text" && format != "json" && format != "sarif" {
				return usageErrorf("unknown --format %q: use text, json or sarif", format)
			}
			fail, err := diag.ParseSeverity(failOn)
			if err != nil {
				return usageErrorf("--fail-on: %v", err)
			}
			if project != "" && !strings.HasPrefix(project, "/") {
				return usageErrorf("--project %q: want an absolute path", project)
			}
			po, err := policyOptions(&ef, &pf)
			if err != nil {
				return err
			}
			lp, err := loadEngine(c, args[0], &ef, po, true)
			if err != nil {
				return err
			}
			projects := []string{project}
			if project == "" {
				projects = lint.ProjectDirs(lp.res.Eval.Profile, lp.home)
			}
			rs := lp.engine.Audit(policy.AuditOptions{Home: lp.home, Projects: projects})
			out := c.OutOrStdout()
			switch format {
			case "json":
				writeAuditJSON(out, rs, all)
			case "sarif":
				writeAuditSARIF(out, lp.src, rs)
			default:
				writeAuditText(out, lp.src.Name, rs, all)
			}
			for _, r := range rs {
				if r.Allowed() && r.Severity >= fail {
					return findings()
				}
			}
			return nil
		},
	}
	c.Flags().StringVar(&format, "format", "text", "output format: text, json or sarif")
	c.Flags().StringVar(&failOn, "fail-on", "warning", "exit 1 when an allowed probe is at or above this severity: error, warning or info")
	c.Flags().StringVar(&project, "project", "", "project directory for the project probes ($P: .git/hooks, .vscode/tasks.json, ...)")
	c.Flags().BoolVar(&all, "all", false, "also list denied and skipped probes")
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

func writeAuditJSON(w io.Writer, rs []policy.ProbeResult, all bool) {
	probes := []jsonProbe{}
	for _, r := range rs {
		if r.Allowed() || all || r.Skipped == "" && r.Decision.Result == policy.Unknown {
			probes = append(probes, toJSONProbe(r))
		}
	}
	b, _ := json.MarshalIndent(struct {
		Probes []jsonProbe `json:"probes"`
	}{probes}, "", "  ")
	fmt.Fprintf(w, "%s\n", b)
}

// writeAuditSARIF reports each allowed probe as a result of the lint rule
// that covers it, located at the allowing rule (or the profile's first
// line for built-in defaults); the rules' metadata come from the rule
// table, as in lint's SARIF.
func writeAuditSARIF(w io.Writer, src *source.File, rs []policy.ProbeResult) {
	var ds diag.List
	var rl []diag.SARIFRule
	seen := map[string]bool{}
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
		if !seen[r.Rule] {
			seen[r.Rule] = true
			rl = append(rl, sarifRule(r.Rule))
		}
	}
	diag.WriteSARIF(w, ds, sarifTool(), rl)
}
