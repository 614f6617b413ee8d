package main

import (
	"github.com/spf13/cobra"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/parser"
)

func init() { register(newLintCmd) }

// newLintCmd is the syntax-only lint; the lint issue replaces its body with
// the rule engine.
func newLintCmd() *cobra.Command {
	var format, failOn string
	c := &cobra.Command{
		Use:   "lint [flags] FILE...",
		Short: "report problems in profiles",
		Example: `  sbplc lint profile.sb
  sbplc lint --format json profiles/
  cat profile.sb | sbplc lint -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			fail, err := diag.ParseSeverity(failOn)
			if err != nil {
				return usageErrorf("--fail-on: %v", err)
			}
			files, err := expandInputs(args)
			if err != nil {
				return usageErrorf("%v", err)
			}
			var all diag.List
			for _, name := range files {
				src, err := readSource(name, c.InOrStdin())
				if err != nil {
					return usageErrorf("%v", err)
				}
				_, ds := parser.Parse(src)
				all = append(all, ds...)
			}
			all = all.Sort()
			switch format {
			case "text":
				diag.WriteText(c.OutOrStdout(), all, diag.TextOptions{Snippet: true})
			case "json":
				diag.WriteJSON(c.OutOrStdout(), all)
			default:
				return usageErrorf("unknown --format %q: use text or json", format)
			}
			if all.CountAtLeast(fail) > 0 {
				return findings()
			}
			return nil
		},
	}
	c.Flags().StringVar(&format, "format", "text", "output format: text or json")
	c.Flags().StringVar(&failOn, "fail-on", "error", "exit 1 when a finding is at or above this severity: error, warning or info")
	return c
}
