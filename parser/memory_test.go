package parser

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/source"
)

// treeBytesPerRule is the budget of heap one parsed rule of the form
// (allow file-read* (literal "/usr/share/xN")) keeps: two lists, three
// symbols, a string and their element slices, without the source text
// (the file keeps that) or a second copy of it. Before lists shrank and
// the tree stopped sharing a copy of the text it was 594 bytes.
const treeBytesPerRule = 465

// TestTreeBytesPerRule parses many rules and measures what the tree keeps.
func TestTreeBytesPerRule(t *testing.T) {
	const n = 20000
	var b strings.Builder
	b.WriteString("(version 1)(deny default)\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "(allow file-read* (literal \"/usr/share/x%d\"))\n", i)
	}
	src := source.NewFile("many.sb", []byte(b.String()))
	b.Reset()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f, diags := Parse(src)
	runtime.GC()
	runtime.ReadMemStats(&after)
	if len(diags) > 0 || len(f.Forms) != n+2 {
		t.Fatalf("%d forms, %v", len(f.Forms), diags)
	}
	per := float64(after.HeapAlloc-before.HeapAlloc) / n
	t.Logf("%.0f bytes per rule", per)
	if per > treeBytesPerRule {
		t.Errorf("a parsed rule keeps %.0f bytes, budget %d: keep nodes small and the tree off the parser's copy of the text", per, treeBytesPerRule)
	}
	runtime.KeepAlive(f)
	runtime.KeepAlive(src)
}
