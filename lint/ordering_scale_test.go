package lint_test

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/sbplc/sbplc/eval"
	"github.com/sbplc/sbplc/internal/testutil"
	"github.com/sbplc/sbplc/lint"
	"github.com/sbplc/sbplc/source"
)

// orderingShapes are the layouts the ordering rules (and the coverage
// analysis behind them) must lint in near-linear time: every rule repeated,
// every rule distinct, many operations per rule, alternating actions,
// one rule whose analysis looks at every other.
var orderingShapes = []struct {
	name string
	rule func(i int) string // the i-th rule
	last string             // written after the n rules
}{
	{name: "identical-unfiltered", rule: func(int) string { return "(deny file*)" }},
	{name: "alternating-unfiltered", rule: func(i int) string { return [2]string{"(allow file-write*)", "(deny file-write*)"}[i%2] }},
	{name: "identical-filtered", rule: func(int) string { return `(allow file-read* (literal "/private/tmp/a"))` }},
	{name: "distinct-literals", rule: func(i int) string { return fmt.Sprintf(`(allow file-read* (literal "/private/tmp/a/f%d"))`, i) }},
	{name: "alternating-filtered", rule: func(i int) string {
		return fmt.Sprintf(`(%s file-read* (subpath "/private/tmp/d%d"))`, [2]string{"allow", "deny"}[i%2], i/2)
	}},
	{name: "many-ops", rule: func(i int) string {
		return fmt.Sprintf(`(allow file-read-data file-read-metadata file-read-xattr file-write-data file-write-create file-write-unlink file-ioctl file-link file-clone network-outbound mach-lookup ipc-posix-shm-read-data (literal "/private/tmp/m%d"))`, i)
	}},
	{name: "many-ops-unfiltered", rule: func(i int) string {
		return [2]string{"(allow file-read-data file-write-data network-outbound)", "(deny file-read-data file-write-data network-outbound)"}[i%2]
	}},
	{name: "unfiltered-after-filtered", rule: func(i int) string { return fmt.Sprintf(`(deny file-write* (subpath "/private/tmp/w%d"))`, i) }, last: "(allow file-write*)"},
	{name: "shared-regex-prefix", rule: func(i int) string {
		if i%2 == 0 {
			return fmt.Sprintf(`(deny file-read* (literal "/private/var/r/x%d"))`, i)
		}
		return fmt.Sprintf(`(allow file-read* (regex #"^/private/var/r/[a-z]+%d$"))`, i)
	}},
	{name: "wildcard-deny", rule: func(i int) string {
		if i%2 == 0 {
			return fmt.Sprintf(`(allow file-read-data (literal "/private/tmp/s/f%d"))`, i)
		}
		return `(deny file-read* (subpath "/private/tmp/s"))`
	}},
}

// orderingProfile evaluates n rules of a shape. Inputs beyond the
// parser's size limit are evaluated in parts whose rules are joined (each
// part is a file of its own; the first holds the (version 1) header).
func orderingProfile(tb testing.TB, rule func(int) string, last string, n int) *eval.Result {
	tb.Helper()
	const part = 4 << 20
	var res *eval.Result
	var sb strings.Builder
	sb.WriteString("(version 1)\n(deny default)\n")
	flush := func(name string) {
		r := eval.Run(source.NewFile(name, []byte(sb.String())), eval.Options{Limits: eval.Limits{Steps: 64*n + 1000, Rules: n + 8}})
		if res == nil {
			res = r
		} else {
			for _, rl := range r.Profile.Rules {
				rl.Index = len(res.Profile.Rules)
				res.Profile.Rules = append(res.Profile.Rules, rl)
			}
			res.Diags = append(res.Diags, r.Diags...)
		}
		sb.Reset()
	}
	for i := 0; i < n; i++ {
		sb.WriteString(rule(i))
		sb.WriteByte('\n')
		if sb.Len() > part {
			flush(fmt.Sprintf("order%d.sb", i))
		}
	}
	sb.WriteString(last)
	flush("order-last.sb")
	if len(res.Profile.Rules) < n {
		tb.Fatalf("%d rules evaluated, want %d: %v", len(res.Profile.Rules), n, res.Diags)
	}
	return res
}

// orderingOnly runs the ordering rules and nothing else.
var orderingOnly = lint.Options{Enable: []string{"ordering"},
	Disable: []string{"correctness", "paths", "overbreadth", "escape", "secrets", "style"}}

// TestOrderingScales fails when the ordering rules grow faster than
// n log n: 80,000 rules of each shape may take at most 10 times the CPU
// time of 20,000 (4 is linear, 16 quadratic), garbage collection aside.
func TestOrderingScales(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	if testutil.ProcessCPU() == 0 {
		t.Skip("no process CPU clock on this platform")
	}
	const small, big, factor = 20000, 80000, 10
	for _, sh := range orderingShapes {
		t.Run(sh.name, func(t *testing.T) {
			cpu := func(n int) time.Duration {
				res := orderingProfile(t, sh.rule, sh.last, n)
				best := time.Duration(1 << 62)
				for range 2 { // the faster of two runs: less noise
					// The collector off: its cost depends on the heap the
					// test process holds, not on the algorithm.
					runtime.GC()
					gc := debug.SetGCPercent(-1)
					start := testutil.ProcessCPU()
					lint.Run(res, nil, orderingOnly)
					best = min(best, testutil.ProcessCPU()-start)
					debug.SetGCPercent(gc)
				}
				return best
			}
			s, b := cpu(small), cpu(big)
			t.Logf("CPU: %d rules %v, %d rules %v", small, s, big, b)
			if b > time.Duration(factor)*max(s, 10*time.Millisecond) {
				t.Errorf("not near-linear: %d rules %v, %d rules %v", small, s, big, b)
			}
		})
	}
}

// BenchmarkOrderingRules runs the ordering rules alone on each shape at
// 10k, 100k and 1M rules (evaluation outside the timer; 1M skipped under
// -short).
func BenchmarkOrderingRules(b *testing.B) {
	for _, sh := range orderingShapes {
		for _, n := range []int{10000, 100000, 1000000} {
			b.Run(fmt.Sprintf("%s/%dk", sh.name, n/1000), func(b *testing.B) {
				if n > 100000 && testing.Short() {
					b.Skip("short")
				}
				res := orderingProfile(b, sh.rule, sh.last, n)
				b.ReportAllocs()
				defer testutil.CPUTimer(b)()
				for b.Loop() {
					lint.Run(res, nil, orderingOnly)
				}
			})
		}
	}
}
