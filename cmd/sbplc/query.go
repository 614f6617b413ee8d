package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/internal/driver"
	"github.com/sbplc/sbplc/internal/spell"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/policy"
	"github.com/sbplc/sbplc/source"
	"github.com/sbplc/sbplc/vocab"
)

func init() { register("query", newQueryCmd) }

// maxSBPLVersion is the newest (version N) libsandbox is known to accept.
const maxSBPLVersion = 3

// policyFlags are the decision-engine flags shared by query, test and audit.
type policyFlags struct {
	assume     []string // --assume FILTER=true|false
	model      []string // --model KEY=VALUE
	noImplicit bool
	version    int
	home       string
}

func (f *policyFlags) add(c *cobra.Command, homeDefault, homeHelp string) {
	fl := c.Flags()
	fl.StringArrayVar(&f.assume, "assume", nil, "decide a filter the engine cannot evaluate: FILTER=true|false (e.g. require-entitlement=true, extension=false; repeatable)")
	var keys []string
	for _, ch := range policy.Choices() {
		keys = append(keys, ch.Key)
	}
	fl.StringArrayVar(&f.model, "model", nil, "switch an unverified model choice: KEY=VALUE ("+strings.Join(keys, ", ")+"; repeatable)")
	fl.BoolVar(&f.noImplicit, "no-implicit", false, "leave out libsandbox's implicit rules: (allow signal / mach-task-name (target self)), and from macos14 on mach-task-inspect / mach-task-read")
	fl.IntVar(&f.version, "sbpl-version", 0, "evaluate as (version N) whatever the profile declares (0: the profile's)")
	fl.StringVar(&f.home, "home", homeDefault, homeHelp)
}

func (f *policyFlags) options(target string) (policy.Options, error) {
	o := policy.Options{NoImplicit: f.noImplicit, Version: f.version, Home: f.home, Target: target}
	if f.version < 0 || f.version > maxSBPLVersion {
		return o, fmt.Errorf("--sbpl-version %d: SBPL versions are 1 to %d (0: the profile's own)", f.version, maxSBPLVersion)
	}
	if len(f.assume) > 0 {
		o.Assume = map[string]bool{}
	}
	for _, a := range f.assume {
		k, v, ok := strings.Cut(a, "=")
		k = strings.TrimSpace(k)
		var b bool
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true", "yes", "1":
			b = true
		case "false", "no", "0":
		default:
			ok = false
		}
		if !ok || k == "" {
			return o, fmt.Errorf("--assume %q: write FILTER=true or FILTER=false", a)
		}
		if _, known := vocab.LookupFilter(k); !known {
			hint := "see 'sbplc query --help'"
			if s := spell.Nearest(k, vocab.FilterNames()); s != "" {
				hint = "did you mean " + s + "?"
			}
			return o, fmt.Errorf("--assume %q: unknown filter %q; %s", a, k, hint)
		}
		o.Assume[k] = b
	}
	if len(f.model) > 0 {
		m := policy.DefaultModel()
		for _, kv := range f.model {
			if err := m.Set(kv); err != nil {
				return o, fmt.Errorf("--model: %v", err)
			}
		}
		o.Model = &m
	}
	if f.home != "" && !strings.HasPrefix(f.home, "/") {
		return o, fmt.Errorf("--home %q: want an absolute path", f.home)
	}
	return o, nil
}

// loadedProfile is an evaluated profile with its engine.
type loadedProfile struct {
	src    *source.File
	res    *driver.Result
	engine *policy.Engine
	// home is the directory ~ and ${HOME} stand for (see loadEngine).
	home string
}

// policyOptions checks the decision-engine flags before anything is read,
// so that a usage error is reported before the profile's problems.
func policyOptions(ef *evalFlags, pf *policyFlags) (policy.Options, error) {
	po, err := pf.options(ef.target)
	if err != nil {
		return po, usageErrorf("%v", err)
	}
	if po.Home != "/" {
		po.Home = strings.TrimSuffix(po.Home, "/")
	}
	return po, nil
}

// loadEngine reads, evaluates and lints the profile (the one workflow,
// with .sbplc.yaml) and builds the engine. The problems that change what
// the profile means go to stderr; an error-level one makes it refuse
// (exit 1), because an answer on a profile libsandbox rejects would
// mislead. With pickHome, an unset --home is chosen by the one rule lint
// uses (policy.PickHome: the configuration's home, a bound HOME param, the
// default), for ~ in probes and expectations and for ${HOME} placeholders.
func loadEngine(c *cobra.Command, name string, ef *evalFlags, po policy.Options, pickHome bool) (*loadedProfile, error) {
	opts, err := ef.driverOptions()
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	opts.Home = po.Home
	d, err := newDriver(opts)
	if err != nil {
		return nil, err
	}
	res, err := checkOne(c, d, name)
	if err != nil {
		return nil, err
	}
	home := po.Home
	if pickHome {
		home = policy.PickHome(po.Home, res.Config.Home, res.Eval.Profile)
		po.Home = home
	}
	e, eds := res.Engine(po)
	ds := append(res.Problems(), eds...).Sort()
	diag.WriteText(c.ErrOrStderr(), ds, textOptions(c, c.ErrOrStderr()))
	if ds.HasErrors() {
		fmt.Fprintf(c.ErrOrStderr(), "sbplc: %s has errors; fix them first (libsandbox would refuse the profile)\n", res.Src.Name)
		return nil, findings()
	}
	return &loadedProfile{src: res.Src, res: res, engine: e, home: home}, nil
}

// loadEach loads each profile of names with loadEngine (choosing its home)
// and calls f with it. When there are several, a profile with errors
// (loadEngine has reported them) is counted in broken and skipped, so that
// the others are still checked.
func loadEach(c *cobra.Command, names []string, ef *evalFlags, po policy.Options, f func(name string, lp *loadedProfile) error) (broken int, err error) {
	for _, name := range names {
		lp, err := loadEngine(c, name, ef, po, true)
		var ee *exitError
		if errors.As(err, &ee) && ee.Code == exitFindings && len(names) > 1 {
			broken++
			continue
		}
		if err != nil {
			return broken, err
		}
		if err := f(name, lp); err != nil {
			return broken, err
		}
	}
	return broken, nil
}

// stepText renders one step of the fallback chain.
func stepText(s policy.Step) string {
	switch s.How {
	case policy.HowFiltered:
		return s.Op + " (filtered rule matched)"
	case policy.HowUnfiltered:
		if s.Tried > 0 {
			return fmt.Sprintf("%s (%s, none matched; unfiltered rule)", s.Op, diag.Count(s.Tried, "filtered rule"))
		}
		return s.Op + " (unfiltered rule)"
	case policy.HowTerminal:
		if s.Tried > 0 {
			return fmt.Sprintf("%s (%s, none matched; built-in default)", s.Op, diag.Count(s.Tried, "filtered rule"))
		}
		return s.Op + " (built-in default)"
	}
	if s.Tried == 0 {
		return s.Op + " (no rules)"
	}
	return fmt.Sprintf("%s (%s, none matched)", s.Op, diag.Count(s.Tried, "filtered rule"))
}

// alsoText says that the user's own rule gives the implicit rule's answer
// too ("" when d.Also is nil): "your rule at q7.sb:7:1 allows it too".
func alsoText(d policy.Decision) string {
	if d.Also == nil {
		return ""
	}
	verb := "allows"
	if d.Result == policy.Deny {
		verb = "denies"
	}
	return fmt.Sprintf("your rule at %s %s it too: %s", policy.RuleSpan(d.Also), verb, policy.RuleText(policy.Decision{Rule: d.Also}))
}

func chainText(d policy.Decision) string {
	var parts []string
	seen := map[string]bool{}
	for _, s := range d.Chain {
		if s.How == policy.HowTerminal && s.Tried == 0 && seen[s.Op] {
			// The default of an operation walked earlier (file-graft's,
			// after its rules and file*'s): do not list it twice.
			parts = append(parts, "built-in default of "+s.Op)
			continue
		}
		seen[s.Op] = true
		parts = append(parts, stepText(s))
	}
	return strings.Join(parts, " -> ")
}

// ruleLocation is "file:line:col" of the deciding rule, or a description
// of the built-in decision.
func ruleLocation(d policy.Decision) string {
	switch {
	case d.Implicit:
		return "<implicit policy>"
	case d.Rule == nil:
		return ""
	}
	return policy.RuleSpan(d.Rule).String()
}

// writeDecisionText prints a query answer.
func writeDecisionText(w io.Writer, d policy.Decision) {
	fmt.Fprintln(w, d.Result)
	if d.Rule != nil {
		fmt.Fprintf(w, "  rule:     %s: %s\n", ruleLocation(d), policy.RuleText(d))
		if a := alsoText(d); a != "" {
			fmt.Fprintf(w, "  also:     %s\n", a)
		}
		if sp := d.Rule.Origin.Span; strings.HasPrefix(sp.Filename(), "<sbplc model of ") {
			// A rule of the stand-in for a system profile: say so.
			fmt.Fprintf(w, "  from:     %s (no such file here: this rule is sbplc's model of it)\n", sp)
		}
		if !d.Implicit {
			for _, fr := range d.Rule.Origin.Chain {
				if fr.Name != "" && fr.Call.IsValid() {
					fmt.Fprintf(w, "            in expansion of (%s ...) at %s\n", fr.Name, fr.Call)
				}
			}
		}
	} else if d.Result != policy.Unknown {
		fmt.Fprintf(w, "  rule:     none: the built-in default of %s\n", d.Chain[len(d.Chain)-1].Op)
	}
	if len(d.Chain) > 0 {
		fmt.Fprintf(w, "  chain:    %s\n", chainText(d))
	}
	if d.Canonical != "" && d.Canonical != d.Resource.Text {
		fmt.Fprintf(w, "  resource: %s (canonical form of %s)\n", d.Canonical, d.Resource.Text)
	}
	if d.Link != "" {
		fmt.Fprintf(w, "  link:     the lookup crosses the symlink %s, which is checked as file-read-metadata on %s itself: that check decided\n", d.Link, d.Link)
	}
	if d.Result == policy.Unknown {
		fmt.Fprintf(w, "  reason:   %s\n", d.Reason)
	}
	if len(d.Modifiers) > 0 {
		var ms []string
		for _, m := range d.Modifiers {
			ms = append(ms, m.Name)
		}
		fmt.Fprintf(w, "  modifiers: %s\n", strings.Join(ms, ", "))
	}
}

// jsonRule is the deciding rule in JSON output.
type jsonRule struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Text     string `json:"text"`
	Implicit bool   `json:"implicit,omitempty"`
}

// jsonDecision is the JSON answer of sbplc query.
type jsonDecision struct {
	Decision          string    `json:"decision"`
	Operation         string    `json:"operation"`
	Resource          string    `json:"resource"`
	CanonicalResource string    `json:"canonical_resource"`
	Rule              *jsonRule `json:"rule"`
	Also              *jsonRule `json:"also,omitempty"` // the user's rule that gives an implicit rule's answer too
	Chain             []string  `json:"chain"`
	Reason            string    `json:"reason"`
}

func toJSONDecision(d policy.Decision) jsonDecision {
	j := jsonDecision{Decision: d.Result.String(), Operation: d.Op, Resource: d.Resource.Text,
		CanonicalResource: d.Canonical, Chain: []string{}, Reason: d.Reason}
	for _, s := range d.Chain {
		j.Chain = append(j.Chain, s.Op)
	}
	if d.Rule != nil {
		r := &jsonRule{Text: policy.RuleText(d), Implicit: d.Implicit}
		if sp := policy.RuleSpan(d.Rule); sp.IsValid() && !d.Implicit {
			p := sp.StartPos()
			r.File, r.Line, r.Column = sp.Filename(), p.Line, p.Col
		}
		j.Rule = r
	}
	if d.Also != nil {
		r := &jsonRule{Text: policy.RuleText(policy.Decision{Rule: d.Also})}
		if sp := policy.RuleSpan(d.Also); sp.IsValid() {
			p := sp.StartPos()
			r.File, r.Line, r.Column = sp.Filename(), p.Line, p.Col
		}
		j.Also = r
	}
	return j
}

func newQueryCmd() *cobra.Command {
	var (
		format, vnode string
		ef            evalFlags
		pf            policyFlags
	)
	c := &cobra.Command{
		Use:   "query [flags] PROFILE OPERATION [RESOURCE]",
		Short: "answer whether a profile allows an operation on a resource, and which rule decides",
		Long: `query evaluates PROFILE and answers allow, deny or unknown for OPERATION on
RESOURCE, following the Seatbelt decision model: an operation's filtered rules
newest first, then its unfiltered rule, else the fallback to its parent
(file-read-data -> file-read* -> file* -> default), else its built-in
default. It prints the deciding rule with its position and source text and the
chain of operations walked.

RESOURCE by operation family:
  file-*, process-exec*      an absolute path (canonicalised: /tmp, /var, /etc
                             -> /private/..., //, . and .. collapsed)
  mach-*, sysctl-*, iokit-*, a name (mach names may be local:NAME or xpc:NAME)
  *preference*, appleevent-send, ...
  network-*                  PROTO:HOST:PORT (tcp:*:443, udp:localhost:53,
                             tcp6:[::1]:22) or unix:PATH
  signal, process-info*,     self, pgrp, others, children, same-sandbox or
  mach-task-*                initproc
  process-fork, lsopen, ...  nothing

The answer is unknown, with the reason, when it depends on something the
engine cannot see (entitlements, sandbox extensions, process attributes, an
unresolved import, an unbound param); --assume decides such filters.
Exit status: 0 for an answer (including unknown), 1 when the profile has
errors, 2 for usage errors.`,
		Example: `  sbplc query profile.sb file-read-data /Users/me/.ssh/id_rsa
  sbplc query -D HOME=/Users/me profile.sb file-write-data /tmp/out.txt
  sbplc query --format json profile.sb network-outbound tcp:*:443
  sbplc query profile.sb mach-lookup com.apple.windowserver.active
  sbplc query --assume require-entitlement=true app.sb file-read-data /x`,
		Args: argsUsage(2, 3, "PROFILE", "OPERATION", "RESOURCE"),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkFormat(format, "text", "json"); err != nil {
				return err
			}
			po, err := policyOptions(&ef, &pf)
			if err != nil {
				return err
			}
			// The question is checked before the profile is read: a usage
			// error comes first, alone.
			resource := ""
			if len(args) == 3 {
				resource = args[2]
			}
			blank, _ := policy.New(&ir.Profile{}, po)
			op, err := blank.ResolveOp(args[1])
			if err != nil {
				return usageErrorf("%v", err)
			}
			res, err := policy.ParseResource(op, resource)
			if err != nil {
				return usageErrorf("%v", err)
			}
			if vnode != "" {
				if res.Kind != policy.KindPath {
					return usageErrorf("--vnode-type applies to file paths only")
				}
				if res.Vnode, err = policy.ParseVnodeType(vnode); err != nil {
					return usageErrorf("--vnode-type: %v", err)
				}
			}
			lp, err := loadEngine(c, args[0], &ef, po, false)
			if err != nil {
				return err
			}
			d := lp.engine.Query(policy.Request{Op: op, Resource: res})
			if format == "json" {
				b, _ := json.MarshalIndent(toJSONDecision(d), "", "  ")
				fmt.Fprintf(c.OutOrStdout(), "%s\n", b)
				return nil
			}
			writeDecisionText(diag.EscapingWriter(c.OutOrStdout()), d)
			return nil
		},
	}
	c.Flags().StringVar(&format, "format", "text", "output format: text or json")
	c.Flags().StringVar(&vnode, "vnode-type", "", "file type for (vnode-type ...) filters: REGULAR-FILE, DIRECTORY, SYMLINK, ...")
	ef.add(c)
	pf.add(c, "", "substitute ${HOME} placeholders (an unset HOME param, pattern variables) with DIR")
	return c
}
