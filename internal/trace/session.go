package trace

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/sbplc/sbplc/source"
)

// Session is what one traced run needs.
type Session struct {
	Source  Source
	Procs   ProcTable
	Learner Learner
	// ReadyTimeout bounds the wait for the stream to be live; Grace is how
	// long reports may trail COMMAND's exit; Interval is the process-table
	// sampling period.
	ReadyTimeout, Grace, Interval time.Duration
}

// Defaults of Session's durations (zero values).
const (
	DefaultReadyTimeout = 5 * time.Second
	DefaultGrace        = 500 * time.Millisecond
	DefaultInterval     = 10 * time.Millisecond
)

// Result is one traced run.
type Result struct {
	// Status is COMMAND's exit status as run reports it (126/127 when it
	// never started).
	Status int
	// Lines are the raw report lines of COMMAND's process tree.
	Lines [][]byte
	// Seen counts all report lines of the stream, Dropped those over the
	// stream's limits, Procs the processes of the tree.
	Seen, Dropped, Procs int
	// Params are the params the profile was compiled with (set by the
	// caller of Session.Run), for the learner.
	Params map[string]string
}

// Start runs COMMAND once and returns its exit status; it calls started
// with the pid of the child stage, which execs into COMMAND, once the exec
// happened or failed: the stage's own reports (a denied exec) count.
type Start func(started func(pid int)) int

// Run traces one run: the stream is live before start is called, the
// process tree is sampled while COMMAND runs, and the stream is stopped
// (its process gone) before Run returns.
func (s Session) Run(ctx context.Context, start Start) (*Result, error) {
	rt, grace, iv := s.ReadyTimeout, s.Grace, s.Interval
	if rt <= 0 {
		rt = DefaultReadyTimeout
	}
	if grace <= 0 {
		grace = DefaultGrace
	}
	if iv <= 0 {
		iv = DefaultInterval
	}
	stream, err := StartStream(ctx, s.Source, rt)
	if err != nil {
		return nil, err
	}
	var tracker *Tracker
	pollCtx, stopPoll := context.WithCancel(ctx)
	pollErr := make(chan error, 1)
	status := start(func(pid int) {
		tracker = NewTracker(pid)
		go func() { pollErr <- tracker.Poll(pollCtx, s.Procs, iv) }()
	})
	stopPoll()
	var perr error
	if tracker != nil {
		perr = <-pollErr
	}
	lines, dropped := stream.Stop(grace)
	res := &Result{Status: status, Seen: len(lines), Dropped: dropped}
	if tracker != nil {
		res.Lines = Filter(lines, s.Learner, tracker)
		res.Procs = tracker.Len()
	}
	if perr != nil {
		return res, fmt.Errorf("reading the process table: %v", perr)
	}
	return res, nil
}

// Loop is --iterate: run, learn, rewrite, until nothing new is learned or
// the iterations are used up.
type Loop struct {
	Learner Learner
	// Run traces COMMAND once under the profile.
	Run func(ctx context.Context, profile *source.File) (*Result, error)
	// Write stores a rewritten profile (-w); nil keeps it in memory for
	// the next round only.
	Write func(text []byte) error
	// Iterations is the most rounds (at least 1).
	Iterations int
	// Out gets one line per round and the learner's reports.
	Out io.Writer
}

// Round is what one iteration did.
type Round struct {
	Result   *Result
	Proposal *Proposal
}

// Do runs the loop from profile. It stops after a round in which the
// learner found nothing new, after Iterations rounds, or on an error (the
// rounds done so far are returned with it).
func (l Loop) Do(ctx context.Context, profile *source.File) ([]Round, error) {
	n := max(l.Iterations, 1)
	var rounds []Round
	for i := 1; i <= n; i++ {
		res, err := l.Run(ctx, profile)
		if err != nil {
			return rounds, err
		}
		p, err := l.Learner.Learn(ctx, Request{Profile: profile, Params: res.Params, Lines: res.Lines})
		if err != nil {
			return rounds, fmt.Errorf("learn: %v", err)
		}
		rounds = append(rounds, Round{Result: res, Proposal: p})
		fmt.Fprintf(l.Out, "sbplc trace: round %d of %d: COMMAND exited %d; %d report line(s) of its %d process(es), %d new denial(s)\n",
			i, n, res.Status, len(res.Lines), res.Procs, p.New)
		if res.Dropped > 0 {
			fmt.Fprintf(l.Out, "sbplc trace: warning: %d report line(s) over the stream's limits were dropped\n", res.Dropped)
		}
		if p.Report != "" {
			io.WriteString(l.Out, p.Report)
			if p.Report[len(p.Report)-1] != '\n' {
				io.WriteString(l.Out, "\n")
			}
		}
		if p.New == 0 {
			return rounds, nil
		}
		if l.Write != nil {
			if err := l.Write(p.Profile); err != nil {
				return rounds, err
			}
		}
		if ctx.Err() != nil {
			return rounds, ctx.Err()
		}
		profile = source.NewFile(profile.Name, p.Profile)
	}
	return rounds, nil
}
