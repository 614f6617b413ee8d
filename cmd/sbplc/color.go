package main

import (
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sbplc/sbplc/diag"
)

// colorModes are the values of the global --color flag.
var colorModes = []string{"auto", "always", "never"}

// useColor decides whether diagnostics written to w get ANSI colours:
// always or never as --color says; for auto, only when w is a terminal,
// NO_COLOR is unset or empty (https://no-color.org) and TERM is not
// "dumb". An explicit --color=always wins over NO_COLOR, as no-color.org
// asks of command-line flags.
func useColor(mode string, w io.Writer, getenv func(string) string) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	if getenv("NO_COLOR") != "" || getenv("TERM") == "dumb" {
		return false
	}
	return isTerminalFile(w)
}

// isTerminalFile reports whether v is a file (os.Stdin, os.Stdout, ...)
// open on a terminal.
func isTerminalFile(v any) bool {
	f, ok := v.(interface{ Fd() uintptr })
	return ok && isTerminal(f.Fd())
}

// checkColorFlag rejects a --color value other than auto, always or never.
func checkColorFlag(c *cobra.Command) error {
	mode, err := c.Flags().GetString("color")
	if err != nil || slices.Contains(colorModes, mode) {
		return nil
	}
	return usageErrorf("unknown --color %q: use %s", mode, strings.Join(colorModes, ", "))
}

// textOptions are the text-renderer options for diagnostics that command c
// writes to w: source excerpts, and colour as useColor decides.
func textOptions(c *cobra.Command, w io.Writer) diag.TextOptions {
	mode, _ := c.Flags().GetString("color")
	return diag.TextOptions{Snippet: true, Color: useColor(mode, w, os.Getenv)}
}
