package main

import (
	"context"
	"os"
	"os/signal"
	"time"

	"github.com/spf13/cobra"

	"github.com/sbplc/sbplc/internal/lsp"
)

func init() { register("lsp", newLSPCmd) }

func newLSPCmd() *cobra.Command {
	var stdio bool
	var debounce time.Duration
	c := &cobra.Command{
		Use:   "lsp",
		Short: "run the language server on standard input and output",
		Long: `lsp runs sbplc's Language Server Protocol server over standard input and
output (JSON-RPC 2.0 with Content-Length framing). Editors start it as a
child process; docs/editors.md shows the set-up for Neovim, VS Code, Helix
and Emacs.

The server publishes parse, evaluation and lint diagnostics as you type
(configured by the nearest .sbplc.yaml above each file), and offers hover
documentation, completion of operation, filter and modifier names,
formatting (the layout of sbplc fmt) and quick fixes, including inserting
"; sbplc:ignore RULE-ID reason" comments. Messages about the server itself
go to standard error.

The exit status is 0 when the client sent shutdown before exit, 1 otherwise.`,
		Example: `  sbplc lsp
  sbplc lsp --stdio   # the flag many clients pass; stdio is the only transport`,
		Args: argsUsage(0, 0),
		RunE: func(c *cobra.Command, _ []string) error {
			if debounce < 0 {
				return usageErrorf("--debounce must not be negative")
			}
			opts := lsp.Production(versionString())
			opts.Log = c.ErrOrStderr()
			opts.Debounce = debounce
			if debounce == 0 {
				opts.Debounce = -1 // analyse immediately
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
			defer stop()
			if code := lsp.NewServer(opts).Serve(ctx, c.InOrStdin(), c.OutOrStdout()); code != 0 {
				return &exitError{Code: code}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&stdio, "stdio", true, "communicate over standard input and output (the only transport)")
	c.Flags().DurationVar(&debounce, "debounce", lsp.DefaultDebounce, "wait this long after the last change before analysing")
	return c
}
