package eval

import (
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/sbplc/sbplc/corpus"
	"github.com/sbplc/sbplc/parser"
	"github.com/sbplc/sbplc/source"
)

func benchCorpus(b *testing.B, name string) {
	es := corpus.ForTest(b)
	e, ok := corpus.Find(es, name)
	if !ok {
		b.Skipf("%s not in the corpus", name)
	}
	data, err := e.Read()
	if err != nil {
		b.Fatal(err)
	}
	f, _ := parser.Parse(source.NewFile(e.File, data))
	opts := corpusOptions(b, es, e)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		res := EvalFile(f, opts)
		if len(res.Profile.Rules) == 0 {
			b.Fatal("no rules")
		}
	}
	// CPU time of the process per evaluation: honest on a loaded machine,
	// where wall time includes waiting for a core (GC work included).
	b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
}

func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkEvalWebProcess evaluates the 1,025-line WebKit WebProcess profile
// (already parsed; its preprocessor lines are comments).
func BenchmarkEvalWebProcess(b *testing.B) { benchCorpus(b, "com.apple.WebProcess.sb.in") }

// BenchmarkEvalFlattened evaluates the 1,616-line flattened 10.14.6 profile.
func BenchmarkEvalFlattened(b *testing.B) { benchCorpus(b, "generic_profiles__10.14.6") }

// BenchmarkRunWebProcess parses and evaluates the WebProcess profile.
func BenchmarkRunWebProcess(b *testing.B) {
	es := corpus.ForTest(b)
	e, _ := corpus.Find(es, "com.apple.WebProcess.sb.in")
	data, err := e.Read()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		Run(source.NewFile(e.File, data), Options{})
	}
	b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkTailLoop runs `(define (f) (f)) (f)` to the default step
// budget: the cost of one evaluation step (ns/op / 1e6).
func BenchmarkTailLoop(b *testing.B) {
	f, _ := parser.Parse(source.NewFile("loop.sb", []byte("(define (f) (f)) (f)")))
	b.ReportAllocs()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		res := EvalFile(f, Options{})
		if res.Steps < DefaultSteps {
			b.Fatalf("steps = %d", res.Steps)
		}
	}
	b.ReportMetric(float64(cpuTime()-c0)/float64(b.N)/DefaultSteps, "cpu-ns/step")
}

// BenchmarkCountLoop runs a named-let counting loop of 100,000 iterations
// (arithmetic, comparison, variable lookup, tail call).
func BenchmarkCountLoop(b *testing.B) {
	f, _ := parser.Parse(source.NewFile("count.sb", []byte("(version 1) (let loop ((i 0)) (if (< i 100000) (loop (+ i 1)) i))")))
	b.ReportAllocs()
	steps := 0
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		res := EvalFile(f, Options{})
		if len(res.Diags) != 0 {
			b.Fatal(res.Diags)
		}
		steps = res.Steps
	}
	b.ReportMetric(float64(cpuTime()-c0)/float64(b.N)/float64(steps), "cpu-ns/step")
	b.ReportMetric(float64(steps), "steps")
}

// BenchmarkEvalOneLine evaluates 20,000 rules written one per line and as
// one line (as `sandbox-exec -p` passes profiles): the two must cost about
// the same.
func BenchmarkEvalOneLine(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("(version 1)\n(deny default)\n")
	for i := 0; i < 20000; i++ {
		fmt.Fprintf(&sb, "(allow file-read* (literal \"/private/tmp/f%d\"))\n", i)
	}
	lines := sb.String()
	for _, in := range []struct{ name, text string }{{"lines", lines}, {"one-line", strings.ReplaceAll(lines, "\n", " ")}} {
		b.Run(in.name, func(b *testing.B) {
			f, _ := parser.Parse(source.NewFile("gen.sb", []byte(in.text)))
			b.SetBytes(int64(len(in.text)))
			c0 := cpuTime()
			for b.Loop() {
				if res := EvalFile(f, Options{}); len(res.Profile.Rules) == 0 {
					b.Fatal("no rules")
				}
			}
			b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
		})
	}
}
