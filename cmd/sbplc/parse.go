package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/parser"
)

func init() { register("parse", newParseCmd) }

// parseFormats are the accepted values of parse --format.
var parseFormats = []string{"none", "sexpr", "json"}

// jsonParseResult is one element of `parse --format json` output.
type jsonParseResult struct {
	*ast.JSONFile
	Diagnostics []diag.JSONDiagnostic `json:"diagnostics"`
}

func newParseCmd() *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "parse [--format none|sexpr|json] FILE...",
		Short: "parse profiles and report syntax errors",
		Long: `parse reads each profile and reports syntax errors on standard error as
file:line:col: severity: message [code], with the offending line.

With --format sexpr it prints each file's syntax tree as an indented
S-expression with line:col spans; with --format json it prints one JSON
array with an object per file: {"file", "forms", "diagnostics"}, where
every node has type, start and end byte offsets, line and column.

Directories are searched for *.sb, *.sbpl and *.sb.in files, glob patterns
are expanded, and "-" reads standard input.

Exit status: 0 when no file has a syntax error, 1 when one does, 2 for a
usage or I/O error.`,
		Example: `  sbplc parse profile.sb
  sbplc parse --format sexpr profile.sb
  sbplc parse profiles/ 'extra/*.sb'
  cat profile.sb | sbplc parse --format json -`,
		Args: requireInputs,
		RunE: func(c *cobra.Command, args []string) error {
			if !slices.Contains(parseFormats, format) {
				return usageErrorf("unknown --format %q: use %s", format, strings.Join(parseFormats, ", "))
			}
			files, err := expandInputs(args, verboseOut(c))
			if err != nil {
				return err
			}
			var all diag.List
			results := []jsonParseResult{}
			var sexpr strings.Builder
			var ioErrs []string
			for _, name := range files {
				src, err := readSource(name, c.InOrStdin())
				if err != nil {
					// Keep going: the other files are still reported.
					ioErrs = append(ioErrs, err.Error())
					continue
				}
				f, ds := parser.Parse(src)
				ds = ds.Sort()
				all = append(all, ds...)
				switch format {
				case "sexpr":
					if len(files) > 1 {
						fmt.Fprintf(&sexpr, ";; %s\n", src.Name)
					}
					for _, n := range f.Forms {
						sexpr.WriteString(ast.Dump(n))
						sexpr.WriteByte('\n')
					}
				case "json":
					r := jsonParseResult{JSONFile: ast.ToJSON(f), Diagnostics: []diag.JSONDiagnostic{}}
					for _, d := range ds {
						r.Diagnostics = append(r.Diagnostics, diag.ToJSON(d))
					}
					results = append(results, r)
				}
			}
			out := c.OutOrStdout()
			switch format {
			case "sexpr":
				if _, err := fmt.Fprint(out, sexpr.String()); err != nil {
					return usageErrorf("writing output: %v", err)
				}
			case "json":
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				if err := enc.Encode(results); err != nil {
					return usageErrorf("writing output: %v", err)
				}
			}
			diag.WriteText(c.ErrOrStderr(), all, textOptions(c, c.ErrOrStderr()))
			if len(ioErrs) > 0 {
				return usageErrorf("%s", strings.Join(ioErrs, "\nsbplc: "))
			}
			if all.HasErrors() {
				return findings()
			}
			return nil
		},
	}
	c.Flags().StringVar(&format, "format", "none", "tree output on stdout: "+strings.Join(parseFormats, ", "))
	return c
}
