package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sbplc/sbplc/lint"
	"github.com/sbplc/sbplc/ruletable"
)

func init() { register("explain", newExplainCmd) }

func newExplainCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "explain RULE-ID",
		Short: "print a lint rule's documentation",
		Long: `explain prints the documentation of one lint rule: what it detects, an
example to avoid, the preferred form, and the rationale, with the rule's
defaults, options and ` + "`sbplc audit`" + ` probes from the rule table. The rule ID is
the code in brackets at the end of each finding.`,
		Example: `  sbplc explain unresolved-symlink-path
  sbplc explain shadowed-rule`,
		Args: argsUsage(1, 1, "RULE-ID"),
		RunE: func(c *cobra.Command, args []string) error {
			id := strings.Trim(strings.TrimSpace(args[0]), "[]")
			r, ok := lint.Lookup(id)
			row, inTable := ruletable.Lookup(id)
			if !ok || !inTable {
				msg := fmt.Sprintf("unknown rule %q", id)
				if s := lint.Suggest(id); s != "" {
					msg += fmt.Sprintf("; did you mean %s?", s)
				} else {
					msg += "; see 'sbplc rules'"
				}
				return usageErrorf("%s", msg)
			}
			out := c.OutOrStdout()
			def := "on"
			if row.Off {
				def = "off"
			}
			fmt.Fprintf(out, "%s  (category %s, default severity %s, %s by default)\n\n", row.ID, row.Category, row.Severity, def)
			doc := strings.TrimSpace(r.Doc())
			// Drop the title line: the header above replaces it.
			if strings.HasPrefix(doc, "# ") {
				if i := strings.IndexByte(doc, '\n'); i >= 0 {
					doc = strings.TrimSpace(doc[i+1:])
				}
			}
			fmt.Fprintln(out, doc)
			if len(row.Options) > 0 {
				fmt.Fprintln(out, "\n## Options (.sbplc.yaml rules: "+row.ID+":)")
				for _, o := range row.Options {
					fmt.Fprintf(out, "\n  %s: %s   (default; %s)", o.Name, o.Default, kindText(o.Kind))
				}
				fmt.Fprintln(out)
			}
			if ps := ruletable.ProbesOf(row.ID); len(ps) > 0 {
				fmt.Fprintf(out, "\n## Probes (reported at %s, as by `sbplc audit`)\n\n", row.Severity)
				for _, p := range ps {
					res := p.Resource
					if res == "" {
						res = "(any)"
					}
					fmt.Fprintf(out, "  %-6s %s %s: %s\n", p.ID, p.Op, res, p.Why)
					if p.If != nil {
						fmt.Fprintf(out, "         only while %s\n", conditionText(p.If))
					}
				}
			}
			if !row.Suppressible {
				fmt.Fprintln(out, "\nAn sbplc:ignore comment cannot suppress this code.")
			}
			return nil
		},
	}
}

func kindText(kind string) string {
	if kind == "int" {
		return "a non-negative integer"
	}
	return "a string"
}

func conditionText(c *ruletable.Condition) string {
	if c.CarvedOut {
		return "a filtered deny rule denies " + c.Op + " " + c.Resource
	}
	return "the profile denies " + c.Op + " " + c.Resource
}
