package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sbplc/sbplc/compile"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/internal/fsutil"
	"github.com/sbplc/sbplc/ir"
)

func init() { register("expand", newExpandCmd) }

func newExpandCmd() *cobra.Command {
	var format, output string
	var ef evalFlags
	c := &cobra.Command{
		Use:   "expand [flags] FILE",
		Short: "evaluate a profile and print its flat rules",
		Long: `expand runs a profile's Scheme the way libsandbox does (helpers, macros,
params, imports, with-filter, ...) and prints the rules it produces as plain
SBPL: (version N) followed by allow/deny rules with literal filters only.
The output evaluates to the same rules, so expanding it again prints the same
text. Unresolved imports stay as (import ...) at their position.

With --format json it prints the rule IR with source positions: every rule,
filter and value carries the span of the form that produced it and the chain
of helper/macro calls that led there.

A param that is not supplied is reported once and analysed as the placeholder
${NAME}; --strict-params makes it #f as libsandbox does. Exit status is 1 when
an error was reported.`,
		Example: `  sbplc expand profile.sb
  sbplc expand -D HOME_DIR=/Users/me --params params.txt profile.sb.in
  sbplc expand --prelude common.sb renderer.sb
  sbplc expand --format json profile.sb | jq '.rules[0]'`,
		Args: argsUsage(1, 1, "FILE"),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkFormat(format, "sbpl", "json"); err != nil {
				return err
			}
			opts, err := ef.driverOptions()
			if err != nil {
				return usageErrorf("%v", err)
			}
			d, err := newDriver(opts)
			if err != nil {
				return err
			}
			res, err := checkOne(c, d, args[0])
			if err != nil {
				return err
			}
			var out []byte
			switch format {
			case "sbpl":
				out = compile.FlatSBPL(res.Eval.Profile)
			case "json":
				out, err = json.MarshalIndent(ir.ToJSON(res.Eval.Profile), "", "  ")
				if err != nil {
					return usageErrorf("%v", err)
				}
				out = append(out, '\n')
			}
			problems := res.Problems()
			diag.WriteText(c.ErrOrStderr(), problems, textOptions(c, c.ErrOrStderr()))
			if output != "" && output != "-" {
				if problems.HasErrors() {
					fmt.Fprintf(c.ErrOrStderr(), "sbplc: not writing %s: the profile has errors\n", output)
					return findings()
				}
				if err := fsutil.WriteFileAtomic(output, out, 0o644); err != nil {
					return usageErrorf("%v", err)
				}
			} else {
				c.OutOrStdout().Write(out)
			}
			if problems.HasErrors() {
				return findings()
			}
			return nil
		},
	}
	c.Flags().StringVar(&format, "format", "sbpl", "output: sbpl (flat profile) or json (rule IR with positions)")
	c.Flags().StringVarP(&output, "output", "o", "", "write the output to FILE atomically (not written when there are errors)")
	ef.add(c)
	return c
}
