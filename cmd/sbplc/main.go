// Command sbplc is the toolchain for Apple's Sandbox Profile Language.
//
// Each subcommand lives in its own file and registers itself with
// register(); main only runs the root command and maps errors to exit codes
// (0 clean, 1 findings at or above the fail level, 2 usage or I/O error).
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
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

var commands []func() *cobra.Command

// register adds a subcommand constructor; called from init in each command file.
func register(f func() *cobra.Command) { commands = append(commands, f) }

func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
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
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{Code: exitUsage, Err: fmt.Errorf("%v (see '%s --help')", err, c.CommandPath())}
	})
	for _, f := range commands {
		root.AddCommand(f())
	}
	return root
}

// run executes sbplc with args and returns the process exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
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
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
