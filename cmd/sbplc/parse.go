package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/parser"
)

func init() { register(newParseCmd) }

func newParseCmd() *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "parse [--format none|sexpr|json] FILE...",
		Short: "parse profiles and report syntax errors",
		Long: `parse reads each profile and reports syntax errors as
file:line:col: severity: message [code]. With --format sexpr or json it also
prints the syntax tree with byte-offset spans. Directories and globs expand to
*.sb, *.sbpl and *.sb.in files; "-" reads standard input.`,
		Example: `  sbplc parse profile.sb
  sbplc parse --format sexpr profile.sb
  cat profile.sb | sbplc parse --format json -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			switch format {
			case "none", "sexpr", "json":
			default:
				return usageErrorf("unknown --format %q: use none, sexpr or json", format)
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
				f, ds := parser.Parse(src)
				all = append(all, ds...)
				switch format {
				case "sexpr":
					var b strings.Builder
					for _, n := range f.Forms {
						b.WriteString(ast.Dump(n))
						b.WriteByte('\n')
					}
					fmt.Fprint(c.OutOrStdout(), b.String())
				case "json":
					enc := json.NewEncoder(c.OutOrStdout())
					enc.SetIndent("", "  ")
					if err := enc.Encode(ast.ToJSON(f)); err != nil {
						return usageErrorf("%v", err)
					}
				}
			}
			diag.WriteText(c.ErrOrStderr(), all.Sort(), diag.TextOptions{Snippet: true})
			if all.HasErrors() {
				return findings()
			}
			return nil
		},
	}
	c.Flags().StringVar(&format, "format", "none", "tree output: none, sexpr or json")
	return c
}
