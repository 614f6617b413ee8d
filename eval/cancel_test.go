package eval

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sbplc/sbplc/source"
)

// longLoop counts down from 1,000,000 in a named let: more than a million
// steps (a second or so), far more than a cancellation may take.
const longLoop = "(version 1)\n(let loop ((i 1000000)) (if (> i 0) (loop (- i 1)) (allow file-read*)))\n"

// TestCancelStopsEvaluation cancels a long-running profile and checks that
// evaluation stops within milliseconds with a Cancelled problem.
func TestCancelStopsEvaluation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	at := make(chan time.Time, 1)
	timer := time.AfterFunc(5*time.Millisecond, func() { at <- time.Now(); cancel() })
	defer timer.Stop()
	res := Run(source.NewFile("loop.sb", []byte(longLoop)), Options{Limits: Limits{Steps: 1 << 40}, Context: ctx})
	stopped := time.Now()
	select {
	case cancelled := <-at:
		if d := stopped.Sub(cancelled); d > 50*time.Millisecond {
			t.Errorf("evaluation took %v after the cancellation", d)
		}
	default:
		t.Fatalf("the evaluation finished before the cancellation, in %d steps: %v", res.Steps, res.Problems)
	}
	if res.Steps >= 1_000_000 {
		t.Errorf("cancelled run took %d steps", res.Steps)
	}
	var c *Cancelled
	if len(res.Problems) != 1 || !errors.As(res.Problems[0], &c) || !errors.Is(c.Err, context.Canceled) {
		t.Fatalf("problems %v", res.Problems)
	}
	if d := c.Diagnostic(); d.Code != "eval-limit" || d.Severity.String() != "error" || !d.Span.IsValid() {
		t.Errorf("diagnostic %s", d)
	}
	if len(res.Profile.Rules) != 0 {
		t.Errorf("rules after the cancellation: %v", res.Profile.Rules)
	}
}

// TestCancelledBeforeStart: a context that is already done stops
// evaluation at the first check.
func TestCancelledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	res := Run(source.NewFile("loop.sb", []byte(longLoop)), Options{Context: ctx})
	if res.Steps > 2*cancelEvery {
		t.Errorf("%d steps", res.Steps)
	}
	var c *Cancelled
	if len(res.Problems) != 1 || !errors.As(res.Problems[0], &c) || !errors.Is(c.Err, context.DeadlineExceeded) {
		t.Errorf("problems %v", res.Problems)
	}
}
