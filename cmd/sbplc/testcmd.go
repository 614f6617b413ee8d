package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/policy"
)

func init() { register("test", newTestCmd) }

// jsonCase is one case of `sbplc test --format json`.
type jsonCase struct {
	File      string    `json:"file"`
	Line      int       `json:"line"`
	Expect    string    `json:"expect"`
	Operation string    `json:"operation"`
	Resource  string    `json:"resource"`
	Got       string    `json:"got"`
	Pass      bool      `json:"pass"`
	Problem   string    `json:"problem,omitempty"`
	Rule      *jsonRule `json:"rule"`
	Reason    string    `json:"reason"`
}

func newTestCmd() *cobra.Command {
	var (
		format string
		ef     evalFlags
		pf     policyFlags
	)
	c := &cobra.Command{
		Use:   "test [flags] PROFILE [TESTFILE] | DIR",
		Short: "run policy unit tests: expected allow/deny answers for a profile",
		Long: `test checks expectations against PROFILE's decisions, like 'opa test'. An
expectation is a whole-line comment in the profile:

  ; expect deny file-read-data /Users/me/.ssh/id_rsa
  ; expect allow network-outbound tcp:*:443
  ; depends on an entitlement:
  ; expect unknown file-read-data /Users/me/x

or a line of TESTFILE (the leading ";" is optional there; other lines must
be blank or comments starting with # or ;). With a TESTFILE, the profile's
own expectations run too. The syntax is

  expect allow|deny|unknown [vnode=TYPE] [rule=LINE|default|builtin|implicit] OPERATION RESOURCE

RESOURCE is the rest of the line in 'sbplc query' syntax, so a comment
cannot follow it on the same line (a leading ~ is the home directory:
--home, else the configuration's home, else the profile's HOME param, else
/Users/user, as in lint and audit; quote it as a Go string to keep
surrounding spaces).
rule= also checks the deciding rule: rule=LINE its line in the profile (for
a rule made by a helper, the line of the outermost call); rule=default the
profile's own (allow default) or (deny default) rule; rule=builtin an
operation's built-in default (file-link, process-info* ... are allowed
whatever the default rule says); rule=implicit libsandbox's implicit rules.
When an implicit rule decides and the profile has a rule that gives the same
answer (e.g. its own (allow signal (target self))), rule=LINE of that rule
passes too.

PROFILE may be a directory or a glob: every profile found there is tested
with its own expectations (profiles without any are skipped; -v lists them).

Each case prints PASS or FAIL with the deciding rule. Exit status: 0 when all
cases pass, 1 when one fails or an expectation is malformed (or the profile
has errors), 2 for usage errors or when there is nothing to test.`,
		Example: `  sbplc test profile.sb
  sbplc test -D HOME=/Users/me profile.sb profile.expect
  sbplc test profiles/
  sbplc test --format json profile.sb`,
		Args: argsUsage(1, 2, "PROFILE", "TESTFILE"),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkFormat(format, "text", "json"); err != nil {
				return err
			}
			po, err := policyOptions(&ef, &pf)
			if err != nil {
				return err
			}
			// A directory or glob tests every profile in it with its own
			// expectations; a TESTFILE goes with one profile.
			profiles := []string{args[0]}
			if st, err := os.Stat(args[0]); err == nil && st.IsDir() || strings.ContainsAny(args[0], "*?[") {
				if len(args) == 2 {
					return usageErrorf("%s is a directory or pattern: a TESTFILE goes with one profile", args[0])
				}
				if profiles, err = expandInputs(args[:1], verboseOut(c)); err != nil {
					return err
				}
			}
			var results []policy.CaseResult
			var bad diag.List
			// broken counts the profiles with errors: their cases cannot run.
			broken, err := loadEach(c, profiles, &ef, po, func(name string, lp *loadedProfile) error {
				// The profile's own expectations, then the TESTFILE's.
				xs, pbad := policy.ParseExpectations(lp.src, lp.home, false)
				where := lp.src.Name
				if len(args) == 2 {
					testSrc, err := readSource(args[1], c.InOrStdin())
					if err != nil {
						return usageErrorf("%v", err)
					}
					txs, tbad := policy.ParseExpectations(testSrc, lp.home, true)
					xs, pbad = append(xs, txs...), append(pbad, tbad...)
					where += " and " + testSrc.Name
				}
				if len(xs) == 0 && len(pbad) == 0 {
					if len(profiles) > 1 {
						if v := verboseOut(c); v != nil {
							fmt.Fprintf(v, "sbplc: %s: skipped: no expectations\n", name)
						}
						return nil
					}
					return usageErrorf("%s: no expectations found: write `; expect allow|deny OPERATION RESOURCE` lines (see 'sbplc test --help')", where)
				}
				bad = append(bad, pbad...)
				for _, x := range xs {
					results = append(results, lp.engine.Check(x))
				}
				return nil
			})
			if err != nil {
				return err
			}
			if len(results) == 0 && len(bad) == 0 && broken == 0 {
				return usageErrorf("%s: no profile there has expectations: write `; expect allow|deny OPERATION RESOURCE` lines (see 'sbplc test --help')", args[0])
			}
			failed := len(bad) + broken
			for _, r := range results {
				if !r.Pass {
					failed++
				}
			}
			passed := len(results) + len(bad) + broken - failed
			out := c.OutOrStdout()
			if format == "json" {
				cases := []jsonCase{}
				for _, r := range results {
					p := r.Span.StartPos()
					jc := jsonCase{File: r.Span.Filename(), Line: p.Line, Expect: r.Want.String(), Operation: r.Op,
						Resource: r.Resource, Pass: r.Pass, Problem: r.Problem, Reason: r.Decision.Reason}
					if len(r.Decision.Chain) > 0 {
						jc.Got = r.Decision.Result.String()
						jc.Rule = toJSONDecision(r.Decision).Rule
					}
					cases = append(cases, jc)
				}
				b, _ := json.MarshalIndent(struct {
					Cases       []jsonCase            `json:"cases"`
					Passed      int                   `json:"passed"`
					Failed      int                   `json:"failed"`
					Diagnostics []diag.JSONDiagnostic `json:"diagnostics"`
				}{cases, passed, failed, jsonDiags(bad)}, "", "  ")
				fmt.Fprintf(out, "%s\n", b)
			} else {
				diag.WriteText(c.ErrOrStderr(), bad, textOptions(c, c.ErrOrStderr()))
				for _, r := range results {
					writeCaseText(diag.EscapingWriter(out), r)
				}
				if broken > 0 {
					fmt.Fprintf(out, "%d passed, %d failed (%d profile(s) with errors could not be tested)\n", passed, failed, broken)
				} else {
					fmt.Fprintf(out, "%d passed, %d failed\n", passed, failed)
				}
			}
			if failed > 0 {
				return findings()
			}
			return nil
		},
	}
	c.Flags().StringVar(&format, "format", "text", "output format: text or json")
	ef.add(c)
	pf.add(c, "", "expand a leading ~ in resources, and ${HOME} placeholders, to DIR (default: a bound HOME param, else "+policy.DefaultHome+")")
	return c
}

func jsonDiags(ds diag.List) []diag.JSONDiagnostic {
	out := []diag.JSONDiagnostic{}
	for _, d := range ds {
		out = append(out, diag.ToJSON(d))
	}
	return out
}

// writeCaseText prints one case:
//
//	PASS file:line: expect deny OP RESOURCE  <- rule file:line:col (text)
//	FAIL file:line: expect allow OP RESOURCE: got deny  <- rule ...
func writeCaseText(w interface{ Write([]byte) (int, error) }, r policy.CaseResult) {
	p := r.Span.StartPos()
	status := "PASS"
	if !r.Pass {
		status = "FAIL"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s:%d: expect %s %s %s", status, r.Span.Filename(), p.Line, r.Want, r.Op, r.Resource)
	if c := r.Decision.Canonical; c != "" && c != r.Resource {
		fmt.Fprintf(&b, " (canonical %s)", c)
	}
	if !r.Pass {
		fmt.Fprintf(&b, ": %s", r.Problem)
	}
	d := r.Decision
	switch {
	case len(d.Chain) == 0:
	case d.Rule != nil:
		fmt.Fprintf(&b, "\n    decided by %s: %s", ruleLocation(d), policy.RuleText(d))
		if a := alsoText(d); a != "" {
			fmt.Fprintf(&b, "\n    %s", a)
		}
	default:
		fmt.Fprintf(&b, "\n    decided by the built-in default of %s", d.Chain[len(d.Chain)-1].Op)
	}
	if d.Result == policy.Unknown && len(d.Chain) > 0 {
		fmt.Fprintf(&b, "\n    unknown because %s", d.Reason)
	}
	b.WriteByte('\n')
	w.Write([]byte(b.String()))
}
