package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/sbplc/sbplc/lint"
)

func init() { register(newRulesCmd) }

// ruleJSON is the JSON shape of one rule in 'sbplc rules --format json'.
type ruleJSON struct {
	ID       string            `json:"id"`
	Category string            `json:"category"`
	Severity string            `json:"severity"`
	Enabled  bool              `json:"enabled"`
	Summary  string            `json:"summary"`
	Params   map[string]string `json:"params,omitempty"`
}

func newRulesCmd() *cobra.Command {
	var format, category string
	c := &cobra.Command{
		Use:   "rules [--format text|json] [--category NAME]",
		Short: "list the lint rules",
		Long: `rules lists every lint rule with its category, default severity, whether it
is on by default, and a one-line summary. 'sbplc explain RULE-ID' prints a
rule's full documentation.`,
		Example: `  sbplc rules
  sbplc rules --category escape
  sbplc rules --format json`,
		Args: argsUsage(0, 0),
		RunE: func(c *cobra.Command, _ []string) error {
			var sel []*lint.Rule
			for _, r := range lint.All() {
				if category == "" || string(r.Category) == category {
					sel = append(sel, r)
				}
			}
			if category != "" && len(sel) == 0 {
				var cats []string
				for _, k := range lint.Categories {
					cats = append(cats, string(k))
				}
				return usageErrorf("unknown --category %q (known: %s)", category, strings.Join(cats, ", "))
			}
			switch format {
			case "text":
				tw := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tCATEGORY\tSEVERITY\tDEFAULT\tSUMMARY")
				for _, r := range sel {
					def := "on"
					if r.Off {
						def = "off"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Category, r.Severity, def, r.Summary)
				}
				return tw.Flush()
			case "json":
				out := []ruleJSON{}
				for _, r := range sel {
					out = append(out, ruleJSON{ID: r.ID, Category: string(r.Category), Severity: r.Severity.String(), Enabled: !r.Off, Summary: r.Summary, Params: r.Params})
				}
				enc := json.NewEncoder(c.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			return usageErrorf("unknown --format %q: use text or json", format)
		},
	}
	c.Flags().StringVar(&format, "format", "text", "output format: text or json")
	c.Flags().StringVar(&category, "category", "", "list only this category")
	return c
}
