// Command sbplc is the toolchain for Apple's Sandbox Profile Language.
//
// Each subcommand lives in its own file and registers itself with
// register(); main only runs the root command and maps errors to exit codes
// (0 clean, 1 findings at or above the fail level, 2 usage or I/O error).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sbplc/sbplc/internal/fsutil"
	"github.com/sbplc/sbplc/sandbox"
)

// Exit codes.
const (
	exitOK       = 0
	exitFindings = 1
	exitUsage    = 2
)

// exitError carries an exit code out of a command. A nil Err means the
// command already printed what the user needs to see.
type exitError struct {
	Code int
	Err  error
	// Prefixed is set when Err's message already starts with the command
	// path ("sbplc query: ..."), so run does not add "sbplc: ".
	Prefixed bool
}

func (e *exitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}

// findings is returned by commands whose findings reached the fail level.
func findings() error { return &exitError{Code: exitFindings} }

// usageErrorf reports a usage or I/O problem (exit 2).
func usageErrorf(format string, args ...any) error {
	return &exitError{Code: exitUsage, Err: fmt.Errorf(format, args...)}
}

// checkFormat is the usage error for a --format value that is not one of
// choices ("unknown --format "x": use text, json or sarif"), or nil.
func checkFormat(format string, choices ...string) error {
	if slices.Contains(choices, format) {
		return nil
	}
	last := len(choices) - 1
	return usageErrorf("unknown --format %q: use %s or %s", format, strings.Join(choices[:last], ", "), choices[last])
}

// argsUsage is the cobra argument check of a command taking between least
// and most positional arguments (most < 0: any number), named by names in
// order (the last name repeats). It reports a missing or unexpected
// argument in sbplc's words, with the usage line, as a usage error (exit 2):
//
//	sbplc query: missing OPERATION (usage: sbplc query [flags] PROFILE OPERATION [RESOURCE])
func argsUsage(least, most int, names ...string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		switch {
		case len(args) < least:
			name := "argument"
			if len(names) > 0 {
				name = names[min(len(args), len(names)-1)]
			}
			return commandUsageErrorf(c, "missing %s", name)
		case most >= 0 && len(args) > most:
			if most == 0 {
				return commandUsageErrorf(c, "unexpected argument %q: %s takes no arguments", args[0], c.Name())
			}
			if most == 1 {
				return commandUsageErrorf(c, "unexpected argument %q: %s takes one argument", args[most], c.Name())
			}
			return commandUsageErrorf(c, "unexpected argument %q: %s takes at most %d arguments", args[most], c.Name(), most)
		}
		return nil
	}
}

// commandUsageErrorf is a usage error worded "sbplc CMD: MESSAGE (usage: ...)".
func commandUsageErrorf(c *cobra.Command, format string, args ...any) error {
	return &exitError{Code: exitUsage, Prefixed: true,
		Err: fmt.Errorf("%s: %s (usage: %s)", c.CommandPath(), fmt.Sprintf(format, args...), c.UseLine())}
}

// completionShells are the shells cobra's completion command supports.
var completionShells = []string{"bash", "zsh", "fish", "powershell"}

// setupCompletion creates cobra's completion command now, so that an
// unknown shell ("sbplc completion tcsh") is a usage error rather than the
// help text and exit 0.
func setupCompletion(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Use = "completion bash|zsh|fish|powershell"
		c.DisableFlagsInUseLine = true
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(c *cobra.Command, args []string) error {
			want := "use bash, zsh, fish or powershell"
			if len(args) == 0 {
				return commandUsageErrorf(c, "missing SHELL: %s", want)
			}
			return &exitError{Code: exitUsage, Err: fmt.Errorf("unknown shell %q: %s", args[0], want)}
		}
	}
}

// verboseOut is where -v messages go: standard error with -v, else nil.
func verboseOut(c *cobra.Command) io.Writer {
	if v, err := c.Flags().GetBool("verbose"); err == nil && v {
		return c.ErrOrStderr()
	}
	return nil
}

// command is a registered subcommand: its name (the first word of its Use
// line) and its constructor.
type command struct {
	name string
	make func() *cobra.Command
}

var commands []command

// register adds a subcommand constructor; called from init in each command
// file.
func register(name string, f func() *cobra.Command) {
	commands = append(commands, command{name, f})
}

// newRoot returns the root command with every subcommand.
func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	return newRootFor("", stdin, stdout, stderr)
}

// onlyCommand is the subcommand that args run when their first word names
// one, else "". Building only that one (its flags, defaults and help text)
// keeps the start of a process cheap: a pre-commit hook starts sbplc once
// per invocation. Help, completion and an unknown or misspelt command
// (whose suggestions need the others) get every subcommand.
func onlyCommand(args []string) string {
	if len(args) == 0 {
		return ""
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.name
		}
	}
	return ""
}

// newRootFor returns the root command with the subcommand named only, or
// with every subcommand when only is "".
func newRootFor(only string, stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "sbplc",
		Short: "sbplc is a toolchain for macOS Seatbelt profiles (SBPL)",
		Long: `sbplc parses, evaluates, lints, queries and compiles Apple Sandbox Profile
Language (SBPL) profiles, the Scheme dialect read by sandbox-exec -f and
sandbox_init. It runs on Linux and macOS alike.`,
		Example: `  sbplc lint profile.sb
  sbplc lint --format github profiles/
  sbplc parse --format sexpr profile.sb`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().BoolP("verbose", "v", false, "say what was skipped and why (directory walks, ignored files, configuration used)")
	root.PersistentFlags().String("color", "auto", "colour diagnostics: auto (when the output is a terminal and NO_COLOR is unset), always or never")
	root.PersistentPreRunE = func(c *cobra.Command, _ []string) error { return checkColorFlag(c) }
	if only == "" {
		// --version prints what 'sbplc version' prints (a flag of the root
		// alone, so a subcommand run does not need it).
		root.Version = versionString()
		root.SetVersionTemplate("{{.Version}}\n")
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{Code: exitUsage, Err: fmt.Errorf("%v (see '%s --help')", err, c.CommandPath())}
	})
	for _, c := range commands {
		if only != "" && c.name != only {
			continue
		}
		sub := c.make()
		// A Use line that spells out its flags gets no extra "[flags]".
		if strings.Contains(sub.Use, "[-") {
			sub.DisableFlagsInUseLine = true
		}
		root.AddCommand(sub)
	}
	if only != "" {
		// Completion scripts and shell completion (__complete) build
		// every command (onlyCommand).
		root.CompletionOptions.DisableDefaultCmd = true
		return root
	}
	setupCompletion(root)
	registerCompletions(root)
	return root
}

// run executes sbplc with args and returns the process exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootFor(onlyCommand(args), stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		switch {
		case ee.Err != nil && ee.Prefixed:
			fmt.Fprintf(stderr, "%v\n", ee.Err)
		case ee.Err != nil:
			fmt.Fprintf(stderr, "sbplc: %v\n", ee.Err)
		}
		return ee.Code
	}
	// cobra's own errors (unknown command, bad args) are usage errors.
	msg := strings.TrimRight(err.Error(), "\n")
	if !strings.Contains(msg, "--help") {
		msg += "\nrun 'sbplc --help' for usage"
	}
	fmt.Fprintf(stderr, "sbplc: %s\n", msg)
	return exitUsage
}

func main() {
	// First: this process may be the child stage of sbplc run, trace or
	// audit --live, which applies a profile and execs COMMAND.
	sandbox.Main()
	fsutil.CleanupOnSignal()
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
