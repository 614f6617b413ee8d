package lint_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/corpus"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/internal/testutil"
	"github.com/sbplc/sbplc/lint"
	"github.com/sbplc/sbplc/source"
)

// TestCorpus lints every corpus profile with the default rules: no crash,
// no internal errors, every span inside its file, and a committed summary
// of findings per file and rule (lint/testdata/corpus-summary.txt; refresh
// with SBPLC_UPDATE=1 and review the diff).
func TestCorpus(t *testing.T) {
	es := corpus.ForTest(t)
	var b strings.Builder
	totals := map[string]int{}
	sev := map[string]diag.Severity{}
	for _, e := range es {
		data, err := e.Read()
		if err != nil {
			t.Fatal(err)
		}
		src := source.NewFile(e.File, data)
		ds, _ := lint.File(src, nil, lint.Options{})
		per := map[string]int{}
		var bySev [3]int
		for _, d := range ds {
			bySev[d.Severity]++
			if d.Code == "lint-internal-error" || d.Code == "internal-error" {
				t.Errorf("%s: %v\n%s", e.File, d, strings.Join(d.Notes, "\n"))
			}
			if d.Span.IsValid() && (d.Span.Start < 0 || d.Span.End > len(d.Span.File.Text) || d.Span.End < d.Span.Start) {
				t.Errorf("%s: span out of range: %v", e.File, d)
			}
			per[d.Code]++
			totals[d.Code]++
			sev[d.Code] = max(sev[d.Code], d.Severity)
		}
		var ids []string
		for id := range per {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		fmt.Fprintf(&b, "%s (%s, %d lines; %d error, %d warning, %d info):", e.File, e.Kind, e.Lines, bySev[diag.Error], bySev[diag.Warning], bySev[diag.Info])
		if len(ids) == 0 {
			b.WriteString(" clean")
		}
		for _, id := range ids {
			fmt.Fprintf(&b, " %s=%d", id, per[id])
		}
		b.WriteByte('\n')
	}
	var ids []string
	for id := range totals {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	b.WriteString("\ntotals:\n")
	for _, id := range ids {
		fmt.Fprintf(&b, "  %-34s %-7s %d\n", id, sev[id], totals[id])
	}
	testutil.Golden(t, "testdata/corpus-summary.txt", b.String())
}
