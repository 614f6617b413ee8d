package lsp

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sbplc/sbplc/eval"
	"github.com/sbplc/sbplc/parser"
	"github.com/sbplc/sbplc/source"
)

// profile1000 generates a realistic profile of n lines: multi-line rules with
// path, regex, mach and network filters, a helper function and modifiers.
func profile1000(n int) string {
	var b strings.Builder
	b.WriteString("(version 1)\n(deny default)\n(define (under dir) (subpath dir))\n")
	lines := 3
	for i := 0; lines < n; i++ {
		switch i % 5 {
		case 0:
			fmt.Fprintf(&b, "(allow file-read*\n  (literal \"/usr/share/d%d/file\")\n  (under \"/usr/lib/l%d\"))\n", i, i)
			lines += 3
		case 1:
			fmt.Fprintf(&b, "(allow file-write* (regex #\"^/private/tmp/t%d/[^/]+$\"))\n", i)
			lines++
		case 2:
			fmt.Fprintf(&b, "(allow mach-lookup (global-name \"com.example.service%d\"))\n", i)
			lines++
		case 3:
			fmt.Fprintf(&b, "; rule %d\n(allow network-outbound (remote tcp \"localhost:%d\"))\n", i, 1000+i)
			lines += 2
		case 4:
			fmt.Fprintf(&b, "(deny file-write* (subpath \"/System/s%d\") (with no-report))\n", i)
			lines++
		}
	}
	return b.String()
}

func TestProfile1000IsValid(t *testing.T) {
	text := profile1000(1000)
	src := source.NewFile("/tmp/bench.sb", []byte(text))
	if n := src.LineCount(); n < 1000 || n > 1010 {
		t.Fatalf("%d lines", n)
	}
	a := Production("test").Analyzer.Analyze(context.Background(), Request{Path: "/nonexistent/bench.sb", Src: src})
	if !a.SyntaxOK {
		t.Fatalf("generated profile does not parse: %v", a.Diags)
	}
	for _, d := range a.Diags {
		if strings.Contains(d.Code, "internal") || d.Code == "unbound-identifier" {
			t.Fatalf("generated profile: %v", d)
		}
	}
}

// BenchmarkAnalyze1000 measures the production analysis of a 1,000-line
// profile, the part of the latency after the debounce, by stage: parse,
// parse+eval, and the full analysis (parse, eval, lint, configuration).
// cpu-ms/op is process CPU time, meaningful on a busy machine.
func BenchmarkAnalyze1000(b *testing.B) {
	text := []byte(profile1000(1000))
	newSrc := func() *source.File { return source.NewFile("/nonexistent/bench.sb", text) }
	stages := []struct {
		name string
		run  func()
	}{
		{"parse", func() { parser.Parse(newSrc()) }},
		{"parse+eval", func() { eval.Run(newSrc(), eval.Options{}) }},
		{"full", func() {
			NewLintAnalyzer().Analyze(context.Background(), Request{Path: "/nonexistent/bench.sb", Src: newSrc()})
		}},
	}
	for _, st := range stages {
		b.Run(st.name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			cpu0 := cpuTime()
			for b.Loop() {
				st.run()
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N)/1000, "cpu-ms/op")
		})
	}
}

// BenchmarkDiagnosticsLatency measures, over the real framing, the time from
// writing a didChange of a 1,000-line profile to reading its
// publishDiagnostics: debounce (DefaultDebounce) plus analysis plus
// encoding. Reported as ms/change (mean), p95-ms and min-ms; on a busy
// machine min-ms is the closest to the uncontended latency.
func BenchmarkDiagnosticsLatency(b *testing.B) {
	for _, tc := range []struct {
		name     string
		debounce time.Duration
		analyzer Analyzer
	}{
		{"debounce=10ms", DefaultDebounce, nil},
		{"debounce=0", -1, nil},
		// The protocol overhead alone: framing, JSON, document store.
		{"no-analysis", -1, nopAnalyzer{}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			opts := Production("bench")
			opts.Debounce = tc.debounce
			if tc.analyzer != nil {
				opts.Analyzer = tc.analyzer
			}
			c := initialized(b, opts)
			const uri = "file:///nonexistent/bench.sb"
			base := profile1000(1000)
			c.open(uri, base)
			c.diagnostics()
			var lat []time.Duration
			v := 1
			for b.Loop() {
				v++
				text := fmt.Sprintf("%s; edit %d\n", base, v)
				start := time.Now()
				c.change(uri, v, text)
				for {
					p := c.diagnostics()
					if p.Version != nil && int(*p.Version) == v {
						break
					}
				}
				lat = append(lat, time.Since(start))
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			var sum time.Duration
			for _, d := range lat {
				sum += d
			}
			b.ReportMetric(float64(sum.Microseconds())/float64(len(lat))/1000, "ms/change")
			b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
			b.ReportMetric(float64(lat[0].Microseconds())/1000, "min-ms")
		})
	}
}

type nopAnalyzer struct{}

func (nopAnalyzer) Analyze(context.Context, Request) Analysis { return Analysis{} }
func (nopAnalyzer) Ignorable(string) bool                     { return false }
