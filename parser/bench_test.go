package parser_test

import (
	"github.com/sbplc/sbplc/internal/testutil"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/corpus"
	"github.com/sbplc/sbplc/parser"
	"github.com/sbplc/sbplc/source"
)

// benchInputs returns the three largest corpus profiles (the 1,616-line
// generic container profile first) and the whole valid corpus as one input.
func benchInputs(b *testing.B) []struct {
	name string
	data [][]byte
} {
	es := corpus.ForTest(b)
	var out []struct {
		name string
		data [][]byte
	}
	for _, e := range corpus.Largest(es, 3, "profile", "cpp", "fragment") {
		data, err := e.Read()
		if err != nil {
			b.Fatal(err)
		}
		name := e.Base()
		if i := strings.IndexAny(name, "_."); i > 0 {
			name = name[:i]
		}
		out = append(out, struct {
			name string
			data [][]byte
		}{name + "-" + itoa(e.Lines) + "lines", [][]byte{data}})
	}
	var all [][]byte
	for _, e := range es {
		if e.Kind == "invalid" {
			continue
		}
		data, err := e.Read()
		if err != nil {
			b.Fatal(err)
		}
		all = append(all, data)
	}
	out = append(out, struct {
		name string
		data [][]byte
	}{"corpus", all})
	return out
}

func itoa(n int) string {
	var b []byte
	for n > 0 || len(b) == 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

func benchParse(b *testing.B, parse func(*source.File) bool) {
	for _, in := range benchInputs(b) {
		b.Run(in.name, func(b *testing.B) {
			n := 0
			for _, d := range in.data {
				n += len(d)
			}
			b.SetBytes(int64(n))
			b.ReportAllocs()
			cpu0 := testutil.ProcessCPU()
			for b.Loop() {
				for _, d := range in.data {
					if !parse(source.NewFile("bench.sb", d)) {
						b.Fatal("unexpected diagnostics")
					}
				}
			}
			if cpu := testutil.ProcessCPU() - cpu0; cpu > 0 {
				perOp := float64(cpu.Nanoseconds()) / float64(b.N)
				b.ReportMetric(perOp/1e6, "cpu-ms/op")
				b.ReportMetric(float64(n)/perOp*1e3, "cpu-MB/s")
			}
		})
	}
}

// BenchmarkParse measures the parser (hand-written lexer, participle
// grammar, tree conversion). Besides wall time
// it reports cpu-ms/op and cpu-MB/s: the process's CPU time (all threads,
// garbage collection included) per parse, which stays meaningful on a
// machine that other jobs keep busy. Run it on one core with -cpu 1.
func BenchmarkParse(b *testing.B) {
	benchParse(b, func(f *source.File) bool {
		_, ds := parser.Parse(f)
		return len(ds) == 0
	})
}

// longLineInputs returns the same generated profile written one form per
// line and as one line (as `sandbox-exec -p` and some ports pass
// profiles): n forms, with a comment after every tenth.
func longLineInputs(n int) []struct {
	name string
	text []byte
} {
	var lines, one strings.Builder
	lines.WriteString("(version 1)\n")
	one.WriteString("(version 1) ")
	for i := 0; i < n; i++ {
		form := `(allow file-read* (literal "/a/é"))`
		if i%10 == 0 {
			form += ` #| ☕ |#`
		}
		lines.WriteString(form + "\n")
		one.WriteString(form + " ")
	}
	return []struct {
		name string
		text []byte
	}{{"lines", []byte(lines.String())}, {"one-line", []byte(one.String())}}
}

// BenchmarkParseLongLine parses 20,000 forms written one per line and the
// same forms as one line: the two must cost about the same.
func BenchmarkParseLongLine(b *testing.B) {
	for _, in := range longLineInputs(20000) {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.text)))
			b.ReportAllocs()
			stop := testutil.CPUTimer(b)
			for b.Loop() {
				if _, ds := parser.Parse(source.NewFile("bench.sb", in.text)); len(ds) > 0 {
					b.Fatal(ds[0])
				}
			}
			stop()
		})
	}
}
