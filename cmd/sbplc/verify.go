package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sbplc/sbplc/bytecode"
	"github.com/sbplc/sbplc/compile"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/eval"
	"github.com/sbplc/sbplc/vocab"
)

func init() { register(newVerifyCmd) }

func newVerifyCmd() *cobra.Command {
	var profile string
	var ef evalFlags
	c := &cobra.Command{
		Use:   "verify [--profile PROFILE] [-D K=V] [--target OS] BLOB",
		Short: "check a compiled profile's structure and, with --profile, its decisions",
		Long: `verify decodes a compiled sandbox profile and checks its structure: header
values, table placement and alignment, op-table entries, node tags, every
edge in range and forward, no loops (so every path ends in a decision),
known filter ids, decodable arguments, and pool accounting (every pool item
referenced, nothing after the last one).

With --profile it also cross-checks the semantics: the source profile is
evaluated (with -D, --params, --prelude as for expand) and, for every
operation, the decoded graph's decision is compared with sbplc's decision
engine on the resources the graph's filters name plus resources no filter
matches. The rules libsandbox adds on its own (the flow-divert allow on
network-outbound, the target-self rules under (deny default), the
per-operation defaults) are accounted for. Every disagreement is printed
with the operation, the resource and both answers.

Exit status: 0 when the blob is sound (and agrees with the profile), 1 on
structural errors or disagreements, 2 on usage or I/O errors.`,
		Example: `  sbplc verify profile.sb.bin
  sbplc verify --profile profile.sb -D ROOT=/private/tmp profile.sb.bin`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			l, err := blobLayout(ef.target, c.ErrOrStderr())
			if err != nil {
				return err
			}
			ef.target = ""
			if _, ok := vocab.LookupTarget(l.Name); ok {
				ef.target = l.Name
			}
			opts, err := ef.options()
			if err != nil {
				return usageErrorf("%v", err)
			}
			name, data, err := readBlob(args[0], c.InOrStdin())
			if err != nil {
				return usageErrorf("%v", err)
			}
			voc := bytecode.VocabularyFor(l)
			p, fs := bytecode.DecodeAndVerify(data, l, voc)
			writeFindings(c.ErrOrStderr(), name, fs)
			if fs.HasErrors() {
				return findings()
			}
			summary := fmt.Sprintf("%s: structure ok (%s: %d nodes, %d operations, %d pool items)",
				name, l.Name, len(p.Nodes), len(p.OpTable), len(p.Items))
			if profile == "" {
				fmt.Fprintln(c.OutOrStdout(), summary)
				return nil
			}
			src, err := readSource(profile, c.InOrStdin())
			if err != nil {
				return usageErrorf("%v", err)
			}
			res := eval.Run(src, opts)
			diag.WriteText(c.ErrOrStderr(), res.Diags, diag.TextOptions{Snippet: true})
			if res.Diags.HasErrors() {
				fmt.Fprintf(c.ErrOrStderr(), "sbplc: warning: %s has evaluation errors; rules it could not evaluate are missing from the cross-check\n", src.Name)
			}
			rep := compile.CrossCheck(p, voc, res.Profile, compile.CrossCheckOptions{Target: l.Name})
			fmt.Fprintln(c.OutOrStdout(), summary)
			writeCrossCheck(c, name, src.Name, rep)
			if len(rep.Disagreements) > 0 || res.Diags.HasErrors() {
				return findings()
			}
			return nil
		},
	}
	c.Flags().StringVar(&profile, "profile", "", "cross-check the blob's decisions against this source profile")
	ef.add(c)
	return c
}

func writeCrossCheck(c *cobra.Command, blob, profile string, rep *compile.Report) {
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
	c.ErrOrStderr().Write([]byte(b.String()))
	fmt.Fprintf(c.OutOrStdout(), "%s: cross-check against %s: %d operations, %d probes, %d agree, %d disagree, %d undecidable\n",
		blob, profile, rep.Operations, rep.Probes, rep.Agree, len(rep.Disagreements), rep.Undecided)
}
