package learn

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/sbplc/sbplc/format"
	"github.com/sbplc/sbplc/internal/trace"
)

// TraceStage is the learn stage of sbplc trace: the raw lines of the log
// stream go through the same reader (Scanner) and rule synthesis
// (Learner) as sbplc learn's logs.
type TraceStage struct {
	Learner *Learner
	Noise   *Noise // nil: DefaultNoise
}

var _ trace.Learner = (*TraceStage)(nil)

// traceSource names the log stream in examples and comments.
const traceSource = "log stream"

// PID returns the pid of the process a line of the log stream reports a
// sandbox event for.
func (t *TraceStage) PID(line []byte) (int, bool) {
	s := NewScanner(bytes.NewReader(line))
	for s.Scan() {
		if r := s.Report(); r.PID >= 0 {
			return r.PID, true
		}
	}
	return 0, false
}

// Learn proposes rules for the traced process tree's reports against the
// profile: the new profile text and a unified diff of it.
func (t *TraceStage) Learn(ctx context.Context, req trace.Request) (*trace.Proposal, error) {
	col := NewCollector(Select{}, t.Noise, false)
	s := NewScanner(bytes.NewReader(bytes.Join(req.Lines, []byte{'\n'})))
	for s.Scan() {
		col.Add(s.Report(), traceSource)
	}
	if err := s.Err(); err != nil {
		return nil, err
	}
	l := *t.Learner
	if req.Params != nil {
		l.Params = req.Params
	}
	plan, err := l.Plan(ctx, req.Profile, col)
	if err != nil {
		return nil, err
	}
	out, err := plan.Apply(ctx, []string{traceSource})
	if err != nil {
		return nil, err
	}
	if len(out.NewErrors) > 0 {
		return nil, fmt.Errorf("the learned rules would add %d error(s) to %s, first: %v; nothing proposed (please report this)", len(out.NewErrors), req.Profile.Name, out.NewErrors[0])
	}
	p := &trace.Proposal{Profile: out.Text, New: len(out.Rules)}
	var b strings.Builder
	fmt.Fprintf(&b, "sbplc trace: %d denial(s) read, %d new rule(s)\n", col.Denials, len(out.Rules))
	if out.Changed() {
		b.Write(format.Diff("a/"+req.Profile.Name, "b/"+req.Profile.Name, req.Profile.Text, out.Text))
	}
	p.Report = b.String()
	return p, nil
}
