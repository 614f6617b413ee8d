package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/sbplc/sbplc/internal/fsutil"
	"github.com/sbplc/sbplc/templates"
)

func init() { register("init", newInitCmd) }

// defaultTemplate is what sbplc init writes without --template.
const defaultTemplate = "minimal"

func newInitCmd() *cobra.Command {
	var (
		name, out   string
		list, force bool
	)
	c := &cobra.Command{
		Use:   "init [--template NAME] [-o FILE] [--list]",
		Short: "write a commented, lint-clean starting profile from a template",
		Long: `init writes a starting profile: commented, lint-clean and audit-clean, deny by
default, with policy tests (; expect lines that 'sbplc test' runs). Grow it with
'sbplc learn' from the denials the program logs.

Templates (sbplc init --list): the five profiles sandbox_init has offered by
name since 10.5 (no-internet, no-network, no-write, no-write-except-temporary,
pure-computation), rewritten to start from deny default, and task profiles:
minimal (the smallest base a dynamically linked program needs to start; the
default), cli-tool, build, agent (a coding agent: project read-write, home
read except secrets, no persistence, network only through a local proxy) and
dev-server (listens on localhost ports).

Paths that differ per user or project come from guarded params, as
'sbplc lint' prefers: (if (param "HOME") ...), PROJECT, PROGRAM, PROXY_PORT.

The profile goes to standard output, or to -o FILE (written atomically; an
existing file is kept unless --force).

Exit status: 0 written, 2 usage or I/O errors (an unknown template, an
existing -o file).`,
		Example: `  sbplc init --list
  sbplc init --template cli-tool -o tool.sb
  sbplc init --template agent > agent.sb`,
		Args: argsUsage(0, 0),
		RunE: func(c *cobra.Command, args []string) error {
			stdout := c.OutOrStdout()
			if list {
				w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
				for _, t := range templates.List() {
					fmt.Fprintf(w, "%s\t%s\n", t.Name, t.Summary)
				}
				return w.Flush()
			}
			t, ok := templates.Get(name)
			if !ok {
				return usageErrorf("unknown template %q: use %s (sbplc init --list describes them)", name, strings.Join(templates.Names(), ", "))
			}
			if out == "" || out == "-" {
				_, err := stdout.Write(t.Text)
				return err
			}
			if !force {
				if _, err := os.Lstat(out); err == nil {
					return usageErrorf("%s exists: not overwriting it (use --force, or sbplc learn --profile %s to grow it)", out, out)
				} else if !errors.Is(err, fs.ErrNotExist) {
					return usageErrorf("%s: %v", out, unwrapPathErr(err))
				}
			}
			if err := fsutil.WriteFileAtomic(out, t.Text, 0o644); err != nil {
				return usageErrorf("%v", err)
			}
			fmt.Fprintf(c.ErrOrStderr(), "%s: wrote the %s template; next: run the program under it, then sbplc learn --profile %s LOG\n", out, t.Name, out)
			return nil
		},
	}
	fl := c.Flags()
	fl.StringVarP(&name, "template", "t", defaultTemplate, "template to write (see --list)")
	fl.StringVarP(&out, "output", "o", "", "write to FILE instead of standard output")
	fl.BoolVar(&list, "list", false, "list the templates, one line each")
	fl.BoolVar(&force, "force", false, "overwrite an existing -o file")
	return c
}
