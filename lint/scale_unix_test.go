//go:build unix

package lint_test

import (
	"syscall"
	"testing"
	"time"

	"github.com/sbplc/sbplc/lint"
	"github.com/sbplc/sbplc/source"
)

// cpuTime is the process's user+system CPU time (robust against other
// load on the machine, unlike wall-clock time).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func lintCPU(t *testing.T, n int) time.Duration {
	data := generated(n)
	start := cpuTime()
	ds, res := lint.File(source.NewFile("gen.sb", data), nil, lint.Options{})
	el := cpuTime() - start
	if len(res.Profile.Rules) < n {
		t.Fatalf("%d rules evaluated, want %d", len(res.Profile.Rules), n)
	}
	for _, d := range ds {
		if d.Code == "shadowed-rule" || d.Code == "lint-internal-error" {
			t.Fatalf("unexpected %v", d)
		}
	}
	return el
}

// TestGeneratedScales guards against quadratic analyses: 10,000 path rules
// must stay near-linear relative to 2,500 and within a CPU budget.
func TestGeneratedScales(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	lintCPU(t, 500) // warm up
	small := lintCPU(t, 2500)
	big := lintCPU(t, 10000)
	t.Logf("CPU: 2,500 rules %v, 10,000 rules %v", small, big)
	if big > 3*time.Second {
		t.Errorf("10,000 rules took %v of CPU", big)
	}
	if small > 20*time.Millisecond && big > 10*small {
		t.Errorf("not near-linear: 2,500 rules %v, 10,000 rules %v", small, big)
	}
}
