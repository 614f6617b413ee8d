package policy

import (
	"strings"
	"testing"

	"github.com/sbplc/sbplc/ir"
)

// TestRulesForDuplicateOps checks that a rule naming an operation twice is
// listed once for it, for rules naming few operations (linear scan) and
// many (set).
func TestRulesForDuplicateOps(t *testing.T) {
	for _, n := range []int{2, 3, 8, 9, 20} {
		ops := []string{"file-read-data"}
		for i := 1; i < n-1; i++ {
			ops = append(ops, "mach-lookup", "file-write-data")
		}
		ops = append(ops, "file-read-data")
		src := "(version 1)\n(deny default)\n(allow " + strings.Join(ops, " ") + " (literal \"/a\"))\n"
		res := evalSrc(t, "dup.sb", src)
		e, _ := New(res.Profile, Options{})
		for _, op := range []string{"file-read-data", "file-write-data", "mach-lookup"} {
			if op != "file-read-data" && n == 2 {
				continue
			}
			got := 0
			for _, r := range e.RulesFor(op).Filtered {
				if r.Action == ir.Allow && r.Filter != nil {
					got++
				}
			}
			if got != 1 {
				t.Errorf("%d ops: RulesFor(%s) lists the rule %d times, want 1", n, op, got)
			}
		}
	}
}
