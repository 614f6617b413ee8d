package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sbplc/sbplc/bytecode"
	"github.com/sbplc/sbplc/compile"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/source"
	"github.com/sbplc/sbplc/vocab"
)

func init() { register("verify", newVerifyCmd) }

func newVerifyCmd() *cobra.Command {
	var profile, format, member string
	var failOnUnknown, strict bool
	var ef evalFlags
	c := &cobra.Command{
		Use:   "verify [--profile PROFILE [--strict]] [-D K=V] [--target OS] [--format text|json] BLOB",
		Short: "check a compiled profile's structure and, with --profile, its decisions",
		Long: `verify decodes a compiled sandbox profile and checks its structure: header
values, table placement and alignment, op-table entries, node tags, every
edge in range and forward, no loops (so every path ends in a decision),
known filter ids, decodable arguments, and pool accounting (every pool item
referenced, nothing after the last one).

Profiles with message filters (type 0x4000: a policy table, inline
message-filter decisions) and integer-set arguments (the syscall lists of
(version 2)) are decoded too. A profile collection (type 0x8000, many named
profiles sharing one graph) is checked as a whole: every profile's op
table, the names, the graph they reach; --member NAME picks the profile
that --profile is cross-checked against.

--target picks the layout (default: the running macOS, or macos14). Only
the macos14 layout's single profiles are verified against real blobs;
with any other layout or form verify warns that the layout is unverified,
and the structure it checks is what public decompilers document.

With --profile it also cross-checks the semantics: the source profile is
evaluated (with -D, --params, --prelude as for expand) and, for every
operation, the decoded graph's decision is compared with sbplc's decision
engine on probes built from every filter of the graph and of the source:
the strings each literal, subpath, prefix and name filter names and their
near misses (a child, a sibling, the other case), strings each regex
matches and nearly matches, local and remote endpoints with ports, vnode
types, entitlement values, integer sets, and the verbatim spelling of a
non-canonical path (both sides then see it as written); plus values no
filter matches. Beyond allow or deny it compares the report bit (set on
every deny, cleared by (with no-report), set on an allow by (with report))
and the modifiers (an inline modifier or message filter on the decision).
The rules libsandbox adds on its own (the flow-divert allow on a filtered
network-outbound, the target-self rules, the (version 2) syscall lists)
and the per-operation defaults of the profile's (version N) are accounted
for; iokit-open is iokit-open-user-client, as in libsandbox 14.4.1. Every
disagreement is printed with the operation, the resource and both answers.

A probe is undecidable when sbplc cannot decide it on the source (an unset
param, an unresolved import, a filter sbplc does not model, an operation
name whose meaning on 14.4.1 is not measured) or the graph gives no
decision. Undecidable probes are not compared: the summary counts them and
lists their reasons, and they do not change the exit status unless
--strict is given. Pass -D for every param the profile uses so that
nothing is left undecided.

Exit status: 0 when the blob is sound and no probe disagrees (undecidable
probes allowed), 1 on structural errors, disagreements, or - with
--strict - undecidable probes, 2 on usage or I/O errors.`,
		Example: `  sbplc verify profile.sb.bin
  sbplc verify --profile profile.sb -D ROOT=/private/tmp profile.sb.bin
  sbplc verify --strict --profile profile.sb -D ROOT=/private/tmp profile.sb.bin`,
		Args: argsUsage(1, 1, "BLOB"),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkFormat(format, "text", "json"); err != nil {
				return err
			}
			failOnUnknown = failOnUnknown || strict
			if failOnUnknown && profile == "" {
				return usageErrorf("--strict needs --profile: only the cross-check has undecidable probes")
			}
			l, err := blobLayout(ef.target, c.ErrOrStderr())
			if err != nil {
				return err
			}
			ef.target = ""
			if _, ok := vocab.LookupTarget(l.Name); ok {
				ef.target = l.Name
			}
			do, err := ef.driverOptions()
			if err != nil {
				return usageErrorf("%v", err)
			}
			d, err := newDriver(do)
			if err != nil {
				return err
			}
			name, data, err := readBlob(args[0], c.InOrStdin())
			if err != nil {
				return usageErrorf("%v", err)
			}
			var src *source.File
			if profile != "" {
				if src, err = readSource(profile, c.InOrStdin()); err != nil {
					return usageErrorf("%v", err)
				}
			}
			voc := bytecode.VocabularyFor(l)
			p, fs := bytecode.DecodeAndVerify(data, l, voc)
			target := p
			if p != nil {
				if target, err = selectMember(p, member, name); err != nil {
					return err
				}
				if src != nil && p.IsCollection() && member == "" {
					return usageErrorf("%s is a profile collection of %d profiles: --profile is cross-checked against one, choose it with --member NAME", name, len(p.Records))
				}
			}
			var rep *compile.Report
			var evalDiags diag.List
			if p != nil && !fs.HasErrors() && src != nil {
				// The profile is evaluated by the one workflow (its
				// configuration applies); what matters here is whether
				// evaluation was complete: the blob shows libsandbox
				// compiled it, whatever lint thinks of it.
				res, err := d.Check(c.Context(), src)
				if err != nil {
					return usageErrorf("%v", err)
				}
				evalDiags = res.Eval.Diags
				rep = compile.CrossCheck(target, voc, res.Eval.Profile, compile.CrossCheckOptions{Target: l.Name})
			}
			failed := fs.HasErrors() || evalDiags.HasErrors() || (rep != nil && len(rep.Disagreements) > 0) ||
				(failOnUnknown && rep != nil && rep.Undecided > 0)
			if format == "json" {
				if err := writeVerifyJSON(c.OutOrStdout(), name, l, target, fs, src, evalDiags, rep, failOnUnknown); err != nil {
					return usageErrorf("%v", err)
				}
				if failed {
					return findings()
				}
				return nil
			}
			writeFindings(c.ErrOrStderr(), name, fs)
			if p == nil || fs.HasErrors() {
				return findings()
			}
			fmt.Fprintf(c.OutOrStdout(), "%s: structure ok (%s)\n", name, structureSummary(target))
			if rep == nil {
				return nil
			}
			diag.WriteText(c.ErrOrStderr(), evalDiags, textOptions(c, c.ErrOrStderr()))
			if evalDiags.HasErrors() {
				fmt.Fprintf(c.ErrOrStderr(), "sbplc: warning: %s has evaluation errors; rules it could not evaluate are missing from the cross-check\n", src.Name)
			}
			writeCrossCheck(c, name, src.Name, rep, failOnUnknown)
			if failed {
				return findings()
			}
			return nil
		},
	}
	c.Flags().StringVar(&profile, "profile", "", "cross-check the blob's decisions against this source profile")
	c.Flags().StringVar(&format, "format", "text", "output: text, or json (findings, cross-check report and disagreements)")
	c.Flags().StringVar(&member, "member", "", "in a profile collection, the profile NAME that --profile is cross-checked against")
	c.Flags().BoolVar(&strict, "strict", false, "with --profile, exit 1 when a probe is undecidable (by default they are reported and not compared)")
	c.Flags().BoolVar(&failOnUnknown, "fail-on-unknown", false, "the same as --strict")
	c.Flags().Lookup("fail-on-unknown").Hidden = true
	ef.add(c)
	return c
}

// structureSummary describes what verify checked: "macos14: 9 nodes, 190
// operations, 3 pool items", with the form and "unverified layout" when
// they apply.
func structureSummary(p *bytecode.Profile) string {
	what := p.Layout.Name
	if p.IsCollection() {
		what += " collection"
	}
	if !p.LayoutVerified() {
		what += ", unverified layout"
	}
	if p.IsCollection() {
		s := fmt.Sprintf("%s: %d profiles of %d operations, %d nodes, %d pool items", what, len(p.Records), p.Header.OpCount, len(p.Nodes), len(p.Items))
		if r, ok := p.MemberRecord(); ok {
			s += fmt.Sprintf("; member %q is profile %d", r.Name, r.Index+1)
		}
		return s
	}
	return fmt.Sprintf("%s: %d nodes, %d operations, %d pool items", what, len(p.Nodes), len(p.OpTable), len(p.Items))
}

func writeCrossCheck(c *cobra.Command, blob, profile string, rep *compile.Report, failOnUnknown bool) {
	var b strings.Builder
	for _, d := range rep.Disagreements {
		fmt.Fprintf(&b, "%s: error: %s %s: blob says %s, %s says %s [cross-check]\n", blob, d.Op, d.Resource, d.Blob, profile, d.Source)
		if d.Reason != "" {
			fmt.Fprintf(&b, "  note: %s\n", d.Reason)
		}
	}
	if rep.Operations == 0 {
		fmt.Fprintf(&b, "%s: warning: no operation of the blob has a name in the vocabulary for this release, so nothing was cross-checked [cross-check]\n", blob)
	}
	if rep.Truncated {
		fmt.Fprintf(&b, "%s: warning: the probe budget ran out; the last operations were not cross-checked [cross-check]\n", blob)
	}
	if rep.Undecided > 0 {
		sev, tail := "warning", "they were not compared (--strict makes this an error)"
		if failOnUnknown {
			sev, tail = "error", "they were not compared, and --strict is set"
		}
		fmt.Fprintf(&b, "%s: %s: %s undecidable: %s [cross-check]\n", blob, sev, diag.Plural(rep.Undecided, "probe is", "probes are"), tail)
		for _, g := range rep.UndecidedWhy {
			fmt.Fprintf(&b, "  note: %s: %s (first: %s)\n", diag.Plural(g.Count, "probe", "probes"), g.Reason, g.Example)
		}
	}
	c.ErrOrStderr().Write([]byte(b.String()))
	verdict := "agrees"
	switch {
	case len(rep.Disagreements) > 0:
		verdict = "disagrees"
	case rep.Undecided > 0:
		verdict = "agrees on every decidable probe"
	}
	fmt.Fprintf(c.OutOrStdout(), "%s: cross-check against %s: %d operations, %d probes, %d agree, %d disagree, %d undecidable (not compared): %s\n",
		blob, profile, rep.Operations, rep.Probes, rep.Agree, len(rep.Disagreements), rep.Undecided, verdict)
}

// writeVerifyJSON prints verify's result as one JSON object.
func writeVerifyJSON(w io.Writer, name string, l bytecode.Layout, p *bytecode.Profile, fs bytecode.Findings,
	src *source.File, evalDiags diag.List, rep *compile.Report, failOnUnknown bool) error {
	type jsonDis struct {
		Op       string `json:"op"`
		Resource string `json:"resource"`
		Blob     string `json:"blob"`
		Source   string `json:"source"`
		Reason   string `json:"reason,omitempty"`
	}
	type jsonUndecided struct {
		Reason  string `json:"reason"`
		Count   int    `json:"count"`
		Example string `json:"example"`
	}
	type jsonCross struct {
		Profile       string          `json:"profile"`
		Operations    int             `json:"operations"`
		Probes        int             `json:"probes"`
		Agree         int             `json:"agree"`
		Undecided     int             `json:"undecided"`
		UndecidedWhy  []jsonUndecided `json:"undecided_reasons"`
		Truncated     bool            `json:"truncated"`
		EvalErrors    []string        `json:"eval_errors"`
		Disagreements []jsonDis       `json:"disagreements"`
	}
	out := struct {
		File       string            `json:"file"`
		Layout     string            `json:"layout"`
		Verified   bool              `json:"layout_verified"`
		OK         bool              `json:"ok"`
		Nodes      int               `json:"nodes"`
		Operations int               `json:"operations"`
		Profiles   int               `json:"profiles,omitempty"`
		Member     string            `json:"member,omitempty"`
		Findings   bytecode.Findings `json:"findings"`
		CrossCheck *jsonCross        `json:"cross_check,omitempty"`
	}{File: name, Layout: l.Name, Verified: l.Verified, Findings: fs}
	if out.Findings == nil {
		out.Findings = bytecode.Findings{}
	}
	out.OK = !fs.HasErrors()
	if p != nil {
		out.Verified = p.LayoutVerified()
		out.Nodes, out.Operations = len(p.Nodes), len(p.OpTable)
		if p.IsCollection() {
			out.Operations, out.Profiles = int(p.Header.OpCount), len(p.Records)
		}
		if r, ok := p.MemberRecord(); ok {
			out.Member = r.Name
		}
	}
	if rep != nil {
		jc := &jsonCross{Profile: src.Name, Operations: rep.Operations, Probes: rep.Probes, Agree: rep.Agree,
			Undecided: rep.Undecided, UndecidedWhy: []jsonUndecided{}, Truncated: rep.Truncated, EvalErrors: []string{}, Disagreements: []jsonDis{}}
		for _, g := range rep.UndecidedWhy {
			jc.UndecidedWhy = append(jc.UndecidedWhy, jsonUndecided{g.Reason, g.Count, g.Example})
		}
		for _, d := range evalDiags {
			if d.Severity == diag.Error {
				jc.EvalErrors = append(jc.EvalErrors, d.String())
			}
		}
		for _, d := range rep.Disagreements {
			jc.Disagreements = append(jc.Disagreements, jsonDis{d.Op, d.Resource, d.Blob, d.Source, d.Reason})
		}
		out.CrossCheck = jc
		out.OK = out.OK && len(jc.Disagreements) == 0 && len(jc.EvalErrors) == 0 && !(failOnUnknown && rep.Undecided > 0)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
