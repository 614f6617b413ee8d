package driver

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/source"
)

// checkBytesPerRule is the budget of heap a checked rule of the form
// (allow file-read* (literal "/usr/share/xN")) keeps in the Result: its
// tree (parser.TestTreeBytesPerRule) and its IR (rule, operation, filter,
// argument), not the source text. It was 1,118 bytes before the tree's
// lists and strings, the tree's copy of the text and ir.Value shrank.
const checkBytesPerRule = 985

// TestCheckBytesPerRule checks many rules and measures what the result
// keeps once the lint facts are garbage.
func TestCheckBytesPerRule(t *testing.T) {
	const n = 20000
	var b strings.Builder
	b.WriteString("(version 1)(deny default)\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "(allow file-read* (literal \"/usr/share/x%d\"))\n", i)
	}
	src := source.NewFile("many.sb", []byte(b.String()))
	b.Reset()
	d, err := New(Options{NoConfig: true})
	if err != nil {
		t.Fatal(err)
	}
	// Warm the process-wide tables (vocabulary, rule table, evaluator
	// globals) so that only the result is measured.
	if _, err := d.Check(context.Background(), source.NewFile("warm.sb", []byte("(version 1)(deny default)\n"))); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, err := d.Check(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if got := len(res.Eval.Profile.Rules); got != n+1 { // and (deny default)
		t.Fatalf("%d rules", got)
	}
	per := float64(after.HeapAlloc-before.HeapAlloc) / n
	t.Logf("%.0f bytes per rule", per)
	if per > checkBytesPerRule {
		t.Errorf("a checked rule keeps %.0f bytes, budget %d: keep the tree and the IR small", per, checkBytesPerRule)
	}
	runtime.KeepAlive(res)
}
