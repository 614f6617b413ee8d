package lint_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sbplc/sbplc/internal/testutil"
	"github.com/sbplc/sbplc/lint"
)

// countdown is a context whose Err turns to Canceled at call number at
// (0: never), counting the calls (Run is sequential: no locking).
type countdown struct {
	context.Context
	calls, at int
}

func (c *countdown) Err() error {
	c.calls++
	if c.at > 0 && c.calls >= c.at {
		return context.Canceled
	}
	return nil
}

func withContext(opts lint.Options, ctx context.Context) lint.Options {
	opts.Context = ctx
	return opts
}

// TestRunCancelled checks Options.Context: a cancelled run returns nil
// (not a partial list), the coverage analysis checks the context while it
// runs (not only between rules), and a run cancelled at its first check
// inside a rule stops promptly.
func TestRunCancelled(t *testing.T) {
	const n = 60000
	res := orderingProfile(t, func(i int) string {
		return fmt.Sprintf(`(%s file-read* (subpath "/private/tmp/d%d"))`, [2]string{"allow", "deny"}[i%2], i/2)
	}, "", n)

	// Cancelled before it starts.
	if ds := lint.Run(res, nil, withContext(lint.Options{}, &countdown{Context: context.Background(), at: 1})); ds != nil {
		t.Errorf("a run cancelled before it starts returned %d diagnostics, want nil", len(ds))
	}
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if ds := lint.Run(res, nil, withContext(orderingOnly, done)); ds != nil {
		t.Errorf("a run with a cancelled context returned %d diagnostics, want nil", len(ds))
	}

	// Not cancelled: the loops over the rules poll the context.
	counter := &countdown{Context: context.Background()}
	start := testutil.ProcessCPU()
	full := lint.Run(res, nil, withContext(orderingOnly, counter))
	fullCPU := testutil.ProcessCPU() - start
	if len(full) < n/4 {
		t.Fatalf("%d findings, want at least %d shadowed rules", len(full), n/4)
	}
	rules := len(lint.Enabled(nil, orderingOnly))
	if counter.calls < rules+n/8192 {
		t.Errorf("Err called %d times in a run of %d rules over %d profile rules: the long loops do not poll the context", counter.calls, rules, n)
	}

	// Cancelled at the first check after the runner's first one, i.e.
	// inside the coverage analysis of the first rule (shadowed-rule).
	cd := &countdown{Context: context.Background(), at: 2}
	start = testutil.ProcessCPU()
	if ds := lint.Run(res, nil, withContext(orderingOnly, cd)); ds != nil {
		t.Errorf("a run cancelled inside a rule returned %d diagnostics, want nil", len(ds))
	}
	cancelledCPU := testutil.ProcessCPU() - start
	if cd.calls > 4 {
		t.Errorf("Err called %d times after the run was cancelled at call 2: it did not stop", cd.calls)
	}
	t.Logf("CPU: full run %v, cancelled at the first check inside a rule %v", fullCPU, cancelledCPU)
	// Process CPU includes the GC and any parallel test: the bound is loose;
	// the count of Err calls above is the exact check.
	if fullCPU > 0 && cancelledCPU > fullCPU/2 && cancelledCPU > 100*time.Millisecond {
		t.Errorf("a run cancelled at its first check inside a rule took %v of CPU, the full run %v: not prompt", cancelledCPU, fullCPU)
	}
}
