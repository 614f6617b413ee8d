package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sbplc/sbplc/lint"
)

func init() { register(newExplainCmd) }

func newExplainCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "explain RULE-ID",
		Short: "print a lint rule's documentation",
		Long: `explain prints the documentation of one lint rule: what it detects, an
example to avoid, the preferred form, and the rationale. The rule ID is the
code in brackets at the end of each finding.`,
		Example: `  sbplc explain unresolved-symlink-path
  sbplc explain shadowed-rule`,
		Args: argsUsage(1, 1, "RULE-ID"),
		RunE: func(c *cobra.Command, args []string) error {
			id := strings.Trim(strings.TrimSpace(args[0]), "[]")
			r, ok := lint.Lookup(id)
			if !ok {
				msg := fmt.Sprintf("unknown rule %q", id)
				if s := lint.Suggest(id); s != "" {
					msg += fmt.Sprintf("; did you mean %s?", s)
				} else {
					msg += "; see 'sbplc rules'"
				}
				return usageErrorf("%s", msg)
			}
			def := "on"
			if r.Off {
				def = "off"
			}
			fmt.Fprintf(c.OutOrStdout(), "%s  (category %s, default severity %s, %s by default)\n\n", r.ID, r.Category, r.Severity, def)
			doc := strings.TrimSpace(r.Doc())
			// Drop the title line: the header above replaces it.
			if strings.HasPrefix(doc, "# ") {
				if i := strings.IndexByte(doc, '\n'); i >= 0 {
					doc = strings.TrimSpace(doc[i+1:])
				}
			}
			fmt.Fprintln(c.OutOrStdout(), doc)
			if len(r.Params) > 0 {
				fmt.Fprintln(c.OutOrStdout(), "\n## Options (.sbplc.yaml rules: "+r.ID+":)")
				for _, k := range slices.Sorted(maps.Keys(r.Params)) {
					fmt.Fprintf(c.OutOrStdout(), "\n  %s: %s   (default)", k, r.Params[k])
				}
				fmt.Fprintln(c.OutOrStdout())
			}
			return nil
		},
	}
}
