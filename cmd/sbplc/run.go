package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/sbplc/sbplc/compile"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/internal/fsutil"
	"github.com/sbplc/sbplc/sandbox"
	"github.com/sbplc/sbplc/source"
)

func init() { register("run", newRunCmd) }

// Exit statuses of run when COMMAND did not start (as env(1)).
const (
	exitCannotRun = sandbox.ExitCannotRun // anything failed before the exec
	exitNotFound  = sandbox.ExitNotFound  // COMMAND was not found
)

// templateSource resolves --template NAME; tests substitute their own.
var templateSource = sandbox.Template

// runFlags are the flags run, trace and audit --live share: the
// evaluation flags, --template and --no-lint.
type runFlags struct {
	ef       evalFlags
	template string
	noLint   bool
}

func (f *runFlags) add(c *cobra.Command) {
	f.ef.add(c)
	c.Flags().StringVar(&f.template, "template", "", "use the named profile template instead of a PROFILE file")
	c.Flags().BoolVar(&f.noLint, "no-lint", false, "apply the profile even when lint reports errors")
	// Always on: what is applied is what libsandbox compiles.
	if fl := c.Flags().Lookup("strict-params"); fl != nil {
		fl.Usage = "accepted for compatibility: an unset param is always #f here, as in libsandbox"
		fl.Hidden = true
	}
}

// splitCommand splits run's arguments at "--" into the profile arguments
// and COMMAND. needCommand is false for --dry-run, which runs nothing.
func splitCommand(c *cobra.Command, args []string, template string, needCommand bool) (profile string, command []string, err error) {
	pos := args
	if dash := c.ArgsLenAtDash(); dash >= 0 {
		pos, command = args[:dash], args[dash:]
	}
	switch {
	case template != "" && len(pos) > 0:
		return "", nil, commandUsageErrorf(c, "unexpected argument %q: give --template NAME or PROFILE, not both", pos[0])
	case template == "" && len(pos) == 0:
		return "", nil, commandUsageErrorf(c, "missing PROFILE (or --template NAME)")
	case len(pos) > 1 && c.ArgsLenAtDash() < 0:
		return "", nil, commandUsageErrorf(c, "missing -- before COMMAND: write %s %s -- %s", c.CommandPath(), pos[0], strings.Join(pos[1:], " "))
	case len(pos) > 1:
		return "", nil, commandUsageErrorf(c, "unexpected argument %q before --: %s takes one PROFILE", pos[1], c.Name())
	case needCommand && len(command) == 0:
		return "", nil, commandUsageErrorf(c, "missing COMMAND after --")
	}
	if len(pos) == 1 {
		profile = pos[0]
		if profile == "-" {
			return "", nil, commandUsageErrorf(c, "PROFILE cannot be - (standard input passes through to COMMAND); name a file")
		}
	}
	return profile, command, nil
}

// offMac is the error of run, trace and audit --live on a system without
// libsandbox (exit 2).
func offMac(c *cobra.Command) error {
	return &exitError{Code: exitUsage, Prefixed: true, Err: fmt.Errorf("%s: applying a profile needs macOS (libsandbox); here, sbplc run --dry-run prints the profile that would be applied and sbplc audit answers the probes offline", c.CommandPath())}
}

// cannotRun reports a failure before COMMAND started: exit 126.
func cannotRun(c *cobra.Command, what string, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if what != "" {
		msg += "; " + what + " was not started"
	}
	return &exitError{Code: exitCannotRun, Prefixed: true, Err: fmt.Errorf("%s: %s", c.CommandPath(), msg)}
}

// preparedProfile is a profile checked and compiled for applying.
type preparedProfile struct {
	src    *source.File
	params map[string]string
	// data is the compiled profile, or the flat SBPL for --dry-run.
	data []byte
}

// prepareProfile reads, lints and compiles the profile of run and audit
// --live (see loadProfile and buildProfile).
func prepareProfile(c *cobra.Command, rf *runFlags, name string, emit compile.Emit, extra map[string]string, what string) (*preparedProfile, error) {
	if emit == compile.EmitBytecode {
		if err := checkBackend(c, what); err != nil {
			return nil, err
		}
	}
	in, err := loadProfile(c, rf, name, what)
	if err != nil {
		return nil, err
	}
	return buildProfile(c, rf, in.src, emit, extra, what)
}

// checkBackend fails off a Mac (exit 2) and when libsandbox cannot be
// loaded (126), before anything is read.
func checkBackend(c *cobra.Command, what string) error {
	_, err := compileBackend()
	if errors.Is(err, compile.ErrUnsupported) {
		return offMac(c)
	}
	if err != nil {
		return cannotRun(c, what, "%v", err)
	}
	return nil
}

// loadProfile reads PROFILE, or the --template's text. A failure is exit
// 126: COMMAND does not start.
func loadProfile(c *cobra.Command, rf *runFlags, name, what string) (*input, error) {
	if rf.template != "" {
		text, err := templateSource(rf.template)
		if err != nil {
			return nil, cannotRun(c, what, "%v", err)
		}
		return &input{src: source.NewFile("<template "+rf.template+">", text)}, nil
	}
	in, err := readInput(name, nil)
	if err != nil {
		return nil, cannotRun(c, what, "%v", err)
	}
	return in, nil
}

// buildProfile lints and compiles src for run, trace and audit --live: the
// lint gate (error-level findings stop it unless --no-lint), then
// libsandbox. extra params override the flags' (audit --live's scratch
// HOME). what names COMMAND in messages ("" for none). Every failure is
// an exit error: 2 for usage and off a Mac, 126 for the rest, after the
// diagnostics were printed at their positions.
func buildProfile(c *cobra.Command, rf *runFlags, src *source.File, emit compile.Emit, extra map[string]string, what string) (*preparedProfile, error) {
	opts, err := rf.ef.driverOptions()
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	for k, v := range extra {
		opts.Params[k] = v
		opts.ParamsGiven = true
	}
	opts.StrictParams = true
	d, err := newDriver(opts)
	if err != nil {
		return nil, err
	}
	co := compile.Options{Emit: emit, NoLint: rf.noLint, NoVerify: true}
	if emit == compile.EmitBytecode {
		b, err := compileBackend()
		if errors.Is(err, compile.ErrUnsupported) {
			return nil, offMac(c)
		}
		if err != nil {
			return nil, cannotRun(c, what, "%v", err)
		}
		co.Backend = b
	}
	setup, err := d.Setup(src.Name)
	if err != nil {
		return nil, cannotRun(c, what, "%v", err)
	}
	co.Eval, co.Lint = setup.Eval, setup.LintResult
	out, err := compile.Build(src, co)
	if err != nil {
		return nil, cannotRun(c, what, "%v", err)
	}
	// Only what stops the run is shown (COMMAND's standard error is the
	// user's); -v shows every finding, as lint would.
	shown := out.Diags
	if verboseOut(c) == nil {
		shown = nil
		for _, dg := range out.Diags {
			if dg.Severity >= diag.Error {
				shown = append(shown, dg)
			}
		}
	}
	diag.WriteText(c.ErrOrStderr(), shown, diag.TextOptions{Snippet: true})
	if out.Failed != "" {
		if emit != compile.EmitBytecode {
			fmt.Fprintf(c.ErrOrStderr(), "%s: %s\n", c.CommandPath(), out.Failed)
			return nil, findings()
		}
		return nil, cannotRun(c, what, "%s: %s", src.Name, out.Failed)
	}
	return &preparedProfile{src: src, params: setup.Eval.Params, data: out.Data}, nil
}

func newRunCmd() *cobra.Command {
	var rf runFlags
	var dryRun bool
	c := &cobra.Command{
		Use:   "run [-D K=V] [--params F] [--template NAME | PROFILE] -- COMMAND [ARG...]",
		Short: "run a command under a profile (macOS), fail-closed",
		Long: `run applies a profile to COMMAND, like sandbox-exec -f but without its
deprecation banner, and fail-closed: COMMAND runs sandboxed or not at all.

The profile is linted first (error-level findings stop run unless
--no-lint, and are the only ones shown; -v shows all; the nearest
.sbplc.yaml applies, as for lint), then compiled by
libsandbox with the params (-D, --params; an unset param is #f). sbplc then
re-executes itself as a small child stage that applies the compiled profile
to its own process (sandbox_apply) and execs COMMAND, which inherits the
sandbox. COMMAND is looked up in PATH before the profile is applied.
Environment, working directory and standard input, output and error pass
through unchanged; SIGINT and SIGTERM sent to sbplc are forwarded to
COMMAND.

--dry-run prints the flat profile sbplc's evaluation gives and the params,
and runs nothing; it works on every OS.

Exit status: COMMAND's own; 128+N when COMMAND died of signal N (as shells
report it); 126 when anything failed before COMMAND started (the profile
cannot be read, has lint errors, libsandbox rejects it or cannot be
loaded, applying fails, exec fails), 127 when COMMAND is not found; 2 for
usage errors and on a system without libsandbox. In every one of these
cases COMMAND did not run. --dry-run: 0, or 1 when the profile has errors.`,
		Example: `  sbplc run agent.sb -- make test
  sbplc run -D HOME=$HOME -D PROJECT=$PWD agent.sb -- npm install
  sbplc run --dry-run -D HOME=/Users/me agent.sb`,
		Args: cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			name, command, err := splitCommand(c, args, rf.template, !dryRun)
			if err != nil {
				return err
			}
			if dryRun {
				p, err := prepareProfile(c, &rf, name, compile.EmitSBPL, nil, "")
				var ee *exitError
				if errors.As(err, &ee) && ee.Code == exitCannotRun {
					// Nothing was to run: a missing file or template is a
					// usage or I/O error here.
					ee.Code = exitUsage
				}
				if err != nil {
					return err
				}
				writeDryRun(c.OutOrStdout(), p, command)
				return nil
			}
			p, err := prepareProfile(c, &rf, name, compile.EmitBytecode, nil, command[0])
			if err != nil {
				return err
			}
			prof := sandbox.FromBytecode(p.src.Name, p.data)
			prof.Prefix = c.CommandPath()
			cmd, err := prof.Command(c.Context(), command[0], command[1:]...)
			if err != nil {
				return cannotRun(c, command[0], "%v", err)
			}
			cmd.Stdin, cmd.Stdout, cmd.Stderr = stdinOf(c), c.OutOrStdout(), c.ErrOrStderr()
			if code := supervise(cmd, c.ErrOrStderr(), c.CommandPath(), command[0], nil); code != 0 {
				return &exitError{Code: code}
			}
			return nil
		},
	}
	rf.add(c)
	c.Flags().BoolVar(&dryRun, "dry-run", false, "print the flat profile and the params; run nothing (every OS)")
	return c
}

// stdinOf is the command's standard input: nil (the null device) when the
// command has none, so that exec never waits on a reader.
func stdinOf(c *cobra.Command) io.Reader {
	if r := c.InOrStdin(); r != nil {
		return r
	}
	return nil
}

// writeDryRun prints the flat profile with the params and COMMAND as
// comments before it.
func writeDryRun(w io.Writer, p *preparedProfile, command []string) {
	fmt.Fprintf(w, "; sbplc run --dry-run: the profile %s as sbplc evaluates it\n", p.src.Name)
	keys := slices.Sorted(maps.Keys(p.params))
	if len(keys) == 0 {
		fmt.Fprintln(w, "; params: none")
	}
	for _, k := range keys {
		fmt.Fprintf(w, "; param %s=%s\n", k, commentSafe(p.params[k]))
	}
	if len(command) > 0 {
		quoted := make([]string, len(command))
		for i, a := range command {
			quoted[i] = shellQuote(a)
		}
		fmt.Fprintf(w, "; command: %s\n", commentSafe(strings.Join(quoted, " ")))
	}
	w.Write(p.data)
}

// commentSafe keeps a value on its comment line.
func commentSafe(s string) string {
	if strings.ContainsAny(s, "\n\r") {
		return strconv.Quote(s)
	}
	return s
}

// shellQuote quotes an argument for display when a shell would split it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r == '=' || r == ':' || r == ',' || r == '+' ||
			r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// supervise starts cmd (made by sandbox) and waits for it, forwarding
// SIGINT and SIGTERM, and returns the exit status: COMMAND's, 128+N for
// death by signal N, or 126/127 when it never started. started, when not
// nil, is called with the pid of the stage (which becomes COMMAND) once
// the stage has exec'd or failed (trace's PID tracking).
func supervise(cmd *exec.Cmd, stderr io.Writer, prefix, name string, started func(pid int)) int {
	// Signals arriving from here on are kept for COMMAND: the stage gets
	// them if they arrive before the exec (and then COMMAND never starts).
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	resume := fsutil.SuspendCleanupOnSignal()
	defer func() {
		resume()
		signal.Stop(sigs)
	}()
	err := sandbox.Start(cmd)
	if started != nil && cmd.Process != nil {
		// Also when the stage failed: its own reports (a denied exec)
		// carry this pid.
		started(cmd.Process.Pid)
	}
	if err != nil {
		var se *sandbox.StageError
		if errors.As(err, &se) {
			if se.Step == "start" || se.Step == "stage" {
				// The stage itself prints every other failure.
				fmt.Fprintf(stderr, "%s: %s\n", prefix, se.Message)
			}
			return se.Code
		}
		fmt.Fprintf(stderr, "%s: %v; %s was not started\n", prefix, err, name)
		return exitCannotRun
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	cmd.Wait()
	close(done)
	return exitStatus(cmd.ProcessState, stderr, prefix, name)
}

// exitStatus is the shell's status for a finished COMMAND: its exit
// status, or 128+N after death by signal N, which is reported on stderr
// as shells do (except SIGINT and SIGPIPE, which shells leave silent).
func exitStatus(ps *os.ProcessState, stderr io.Writer, prefix, name string) int {
	ws, ok := ps.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() {
		return ps.ExitCode()
	}
	sig := ws.Signal()
	if sig != syscall.SIGINT && sig != syscall.SIGPIPE {
		core := ""
		if ws.CoreDump() {
			core = " (core dumped)"
		}
		fmt.Fprintf(stderr, "%s: %s: %s (signal %d)%s\n", prefix, name, sig, int(sig), core)
	}
	return 128 + int(sig)
}
