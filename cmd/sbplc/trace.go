package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/sbplc/sbplc/compile"
	"github.com/sbplc/sbplc/internal/driver"
	"github.com/sbplc/sbplc/internal/fsutil"
	"github.com/sbplc/sbplc/internal/trace"
	"github.com/sbplc/sbplc/learn"
	"github.com/sbplc/sbplc/sandbox"
	"github.com/sbplc/sbplc/source"
)

func init() { register("trace", newTraceCmd) }

// The system parts of trace; tests substitute fakes.
var (
	traceSource trace.Source    = trace.LogStream
	traceProcs  trace.ProcTable = trace.Procs
	// traceLearner is the learn stage: package learn's, on the workflow
	// that compiles the profile.
	traceLearner = func(d *driver.Driver, params map[string]string, home, target string) (trace.Learner, error) {
		l := &learn.Learner{Driver: d, Params: params}
		l.Policy.Home, l.Policy.Target = home, target
		return &learn.TraceStage{Learner: l}, nil
	}
	// traceGrace is how long reports may trail COMMAND's exit (0: the
	// default).
	traceGrace time.Duration
)

func newTraceCmd() *cobra.Command {
	var (
		rf      runFlags
		iterate int
		write   bool
		timeout time.Duration
	)
	c := &cobra.Command{
		Use:   "trace [-D K=V] [--params F] [--template NAME | PROFILE] [--iterate N] [-w] [--timeout D] -- COMMAND [ARG...]",
		Short: "run a command under a profile and learn rules from its sandbox denials (macOS)",
		Long: `trace runs COMMAND under the profile as 'sbplc run' does, collects the
sandbox's reports for COMMAND's process tree only (log stream --style ndjson;
the stream is live before COMMAND starts; children are tracked in the
process table), and hands them to the learn stage, which prints the rules it
proposes. With -w they are written into PROFILE.

--iterate N repeats run -> learn -> rewrite up to N times, or until a run
shows no new denial: the profile grows until COMMAND has what it needs.
Without -w each round runs the previous round's profile in memory and
PROFILE is left alone.

Each run of COMMAND is bounded by --timeout (then it gets SIGTERM, and
SIGKILL 2 s later); the log stream is always stopped before trace returns.

Exit status: 0 when the last round found nothing new or the rules were
written, 1 when rules were proposed but not written (no -w), 126/127 when
the profile cannot be applied (as for run), 2 for usage errors, off a Mac,
and when the log stream does not start.`,
		Example: `  sbplc trace -D HOME=$HOME agent.sb -- make test
  sbplc trace --iterate 5 -w -D HOME=$HOME agent.sb -- npm test`,
		Args: cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			name, command, err := splitCommand(c, args, rf.template, true)
			if err != nil {
				return err
			}
			switch {
			case iterate < 1:
				return commandUsageErrorf(c, "--iterate %d: want at least 1", iterate)
			case timeout <= 0:
				return commandUsageErrorf(c, "--timeout %v: want a positive duration, e.g. 5m", timeout)
			case write && rf.template != "":
				return commandUsageErrorf(c, "-w writes PROFILE; with --template there is none (give the template's text as a file)")
			}
			// The flags are checked first: a usage error is one anywhere.
			lopts, err := rf.ef.driverOptions()
			if err != nil {
				return usageErrorf("%v", err)
			}
			ld, err := newDriver(lopts)
			if err != nil {
				return err
			}
			if err := checkBackend(c, command[0]); err != nil {
				return err
			}
			if traceSource(c.Context()) == nil {
				return offMac(c)
			}
			learner, err := traceLearner(ld, lopts.Params, lopts.Params["HOME"], rf.ef.target)
			if err != nil {
				return &exitError{Code: exitUsage, Prefixed: true, Err: fmt.Errorf("%s: %v", c.CommandPath(), err)}
			}
			in, err := loadProfile(c, &rf, name, command[0])
			if err != nil {
				return err
			}
			// An interrupt ends the run of COMMAND (it is forwarded to
			// it) and then the trace, with the stream stopped: the
			// default handler would exit at once and leave log running.
			ctx, interrupted := interruptible(c.Context())
			defer interrupted()
			stderr := c.ErrOrStderr()
			session := trace.Session{Source: traceSource, Procs: traceProcs, Learner: learner, Grace: traceGrace}
			loop := trace.Loop{Learner: learner, Iterations: iterate, Out: c.OutOrStdout(),
				Run: func(ctx context.Context, src *source.File) (*trace.Result, error) {
					p, err := buildProfile(c, &rf, src, compile.EmitBytecode, nil, command[0])
					if err != nil {
						return nil, err
					}
					return traceOnce(ctx, c, session, p, command, timeout)
				}}
			if write {
				stamp := in.stamp
				loop.Write = func(text []byte) error {
					if err := fsutil.WriteFile(name, text, fsutil.WriteOptions{Expect: stamp, Limit: fsutil.MaxInputSize}); err != nil {
						return usageErrorf("%v", err)
					}
					stamp = fsutil.StampOf(nil, text)
					fmt.Fprintf(stderr, "sbplc trace: wrote %s\n", name)
					return nil
				}
			}
			rounds, err := loop.Do(ctx, in.src)
			if sig := interrupted(); sig != 0 {
				fmt.Fprintf(stderr, "%s: %v after %d round(s)\n", c.CommandPath(), sig, len(rounds))
				return &exitError{Code: 128 + int(sig)}
			}
			if err != nil {
				var ee *exitError
				if errors.As(err, &ee) {
					return err
				}
				return &exitError{Code: exitUsage, Prefixed: true, Err: fmt.Errorf("%s: %v", c.CommandPath(), err)}
			}
			last := rounds[len(rounds)-1].Proposal
			if last.New > 0 && !write {
				fmt.Fprintf(stderr, "sbplc trace: %d new denial(s) in the last round; rerun with -w to write the rules into %s\n", last.New, profileWord(name))
				return findings()
			}
			return nil
		},
	}
	rf.add(c)
	c.Flags().IntVar(&iterate, "iterate", 1, "repeat run -> learn -> rewrite up to N times, until no new denial appears")
	c.Flags().BoolVarP(&write, "write", "w", false, "write the proposed rules into PROFILE")
	c.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "stop COMMAND (SIGTERM, then SIGKILL) when one run takes longer")
	return c
}

func profileWord(name string) string {
	if name == "" {
		return "the profile"
	}
	return name
}

// traceOnce runs COMMAND once under p with the stream live, within
// timeout.
func traceOnce(ctx context.Context, c *cobra.Command, s trace.Session, p *preparedProfile, command []string, timeout time.Duration) (*trace.Result, error) {
	prof := sandbox.FromBytecode(p.src.Name, p.data)
	prof.Prefix = c.CommandPath()
	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd, err := prof.Command(runCtx, command[0], command[1:]...)
	if err != nil {
		return nil, cannotRun(c, command[0], "%v", err)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdinOf(c), c.OutOrStdout(), c.ErrOrStderr()
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 2 * time.Second
	res, err := s.Run(ctx, func(started func(int)) int {
		return supervise(cmd, c.ErrOrStderr(), c.CommandPath(), command[0], started)
	})
	if err != nil {
		return res, err
	}
	res.Params = p.params
	if runCtx.Err() == context.DeadlineExceeded {
		fmt.Fprintf(c.ErrOrStderr(), "%s: %s ran longer than --timeout %v and was stopped\n", c.CommandPath(), command[0], timeout)
	}
	return res, nil
}

// interruptible returns a context that SIGINT and SIGTERM cancel, in place
// of the handler that exits at once (fsutil.CleanupOnSignal). done stops
// listening, puts that handler back and returns the signal that came (0
// for none); calling it again returns the same.
func interruptible(parent context.Context) (ctx context.Context, done func() syscall.Signal) {
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	resume := fsutil.SuspendCleanupOnSignal()
	var got atomic.Int32
	quit := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			got.Store(int32(s.(syscall.Signal)))
			cancel()
		case <-quit:
		}
	}()
	var once sync.Once
	return ctx, func() syscall.Signal {
		once.Do(func() {
			close(quit)
			resume()
			signal.Stop(sigs)
			cancel()
		})
		return syscall.Signal(got.Load())
	}
}
