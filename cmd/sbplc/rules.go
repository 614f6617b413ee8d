package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/lint"
	"github.com/sbplc/sbplc/ruletable"
)

func init() { register("rules", newRulesCmd) }

// ruleJSON is the JSON shape of one rule in 'sbplc rules --format json'.
type ruleJSON struct {
	ID           string            `json:"id"`
	Category     string            `json:"category"`
	Severity     string            `json:"severity"`
	Enabled      bool              `json:"enabled"`
	Suppressible bool              `json:"suppressible"`
	Summary      string            `json:"summary"`
	Params       map[string]string `json:"params,omitempty"`
	Options      []optionJSON      `json:"options,omitempty"`
	Probes       []string          `json:"probes,omitempty"`
}

// optionJSON is one rule option.
type optionJSON struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	Default string `json:"default"`
}

func newRulesCmd() *cobra.Command {
	var format, category string
	c := &cobra.Command{
		Use:   "rules [--format text|json] [--category NAME]",
		Short: "list the lint rules",
		Long: `rules lists every lint rule with its category, default severity, whether it
is on by default, how many ` + "`sbplc audit`" + ` probes it reports, and a one-line
summary, from the rule table that lint, audit and .sbplc.yaml validation
share. 'sbplc explain RULE-ID' prints a rule's full documentation.`,
		Example: `  sbplc rules
  sbplc rules --category escape
  sbplc rules --format json`,
		Args: argsUsage(0, 0),
		RunE: func(c *cobra.Command, _ []string) error {
			if category != "" && !ruletable.IsCategory(category) {
				return usageErrorf("unknown --category %q (known: %s)", category, strings.Join(ruletable.CategoryNames(), ", "))
			}
			var sel []*ruletable.Rule
			for _, r := range ruletable.Rules() {
				if category == "" || r.Category == category {
					sel = append(sel, r)
				}
			}
			switch format {
			case "text":
				tw := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tCATEGORY\tSEVERITY\tDEFAULT\tPROBES\tSUMMARY")
				for _, r := range sel {
					def, probes := ruleColumns(r.ID, r.Off)
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Category, r.Severity, def, probes, r.Summary)
				}
				return tw.Flush()
			case "json":
				out := []ruleJSON{}
				for _, r := range sel {
					j := ruleJSON{ID: r.ID, Category: r.Category, Severity: r.Severity.String(), Enabled: !r.Off,
						Suppressible: r.Suppressible, Summary: r.Summary}
					for _, o := range r.Options {
						if j.Params == nil {
							j.Params = map[string]string{}
						}
						j.Params[o.Name] = o.Default
						j.Options = append(j.Options, optionJSON{Name: o.Name, Kind: o.Kind, Default: o.Default})
					}
					for _, p := range ruletable.ProbesOf(r.ID) {
						j.Probes = append(j.Probes, p.ID)
					}
					out = append(out, j)
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

// ruleColumns are a rule's DEFAULT column ("on" or "off") and its PROBES
// column (how many audit probes report it, "-" for none), as `sbplc rules`
// and docs/rules.md print them.
func ruleColumns(id string, off bool) (def, probes string) {
	def = "on"
	if off {
		def = "off"
	}
	probes = "-"
	if n := len(ruletable.ProbesOf(id)); n > 0 {
		probes = fmt.Sprint(n)
	}
	return def, probes
}

// securityCategories are the rule categories whose findings weaken the
// sandbox itself (what it lets the process reach): SARIF marks their rules
// as security rules, which GitHub code scanning lists as security alerts.
var securityCategories = map[string]bool{"escape": true, "secrets": true, "overbreadth": true}

// securitySeverity scores a security rule by its default severity on
// GitHub's scale (9.0 and up critical, 7.0 high, 4.0 medium, 0.1 low).
var securitySeverity = map[diag.Severity]string{diag.Error: "8.0", diag.Warning: "5.0", diag.Info: "2.0"}

// ruleDocURI is the address of a rule's document (lint/docs/ID.md, the
// text 'sbplc explain' prints) in sbplc's repository.
func ruleDocURI(id string) string { return informationURI + "/blob/main/lint/docs/" + id + ".md" }

// sarifRule is the SARIF metadata of rule id, from the rule table (with
// the rule's document as help), for lint's and audit's SARIF output. A
// security rule's precision is "high" when the decision engine answers its
// probes (the finding is a decision, not a pattern) and "medium" otherwise.
func sarifRule(id string) diag.SARIFRule {
	sr := diag.SARIFRule{ID: id}
	if row, ok := ruletable.Lookup(id); ok {
		sr.Summary, sr.Level, sr.Category = row.Summary, row.Severity, row.Category
		if securityCategories[row.Category] {
			sr.SecuritySeverity, sr.Precision = securitySeverity[row.Severity], "medium"
			if len(ruletable.ProbesOf(id)) > 0 {
				sr.Precision = "high"
			}
		}
	}
	if r, ok := lint.Lookup(id); ok {
		if sr.Help = r.Doc(); sr.Help != "" {
			sr.HelpURI = ruleDocURI(id)
		}
	}
	return sr
}

// sarifRules describes every rule of the table for SARIF output.
func sarifRules() []diag.SARIFRule {
	var out []diag.SARIFRule
	for _, r := range ruletable.Rules() {
		out = append(out, sarifRule(r.ID))
	}
	return out
}
