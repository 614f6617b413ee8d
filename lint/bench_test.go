package lint_test

import (
	"fmt"
	"github.com/sbplc/sbplc/internal/testutil"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/corpus"
	"github.com/sbplc/sbplc/eval"
	"github.com/sbplc/sbplc/lint"
	"github.com/sbplc/sbplc/policy"
	"github.com/sbplc/sbplc/source"
)

// BenchmarkLintLargest lints the largest corpus profile (1,616 lines),
// parse and evaluation included.
func BenchmarkLintLargest(b *testing.B) {
	es := corpus.ForTest(b)
	e := corpus.Largest(es, 1, "profile")[0]
	data, err := e.Read()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	defer testutil.CPUTimer(b)()
	for b.Loop() {
		lint.File(source.NewFile(e.File, data), nil, lint.Options{})
	}
}

// generated returns a profile with n path rules in a deny-list layout:
// subpath allows, literal denies inside them and a few regexes.
func generated(n int) []byte {
	var sb strings.Builder
	sb.WriteString("(version 1)\n(deny default)\n")
	for i := 0; i < n; i++ {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&sb, "(allow file-read* (subpath \"/private/tmp/p%d\"))\n", i)
		case 1:
			fmt.Fprintf(&sb, "(deny file-read* (literal \"/private/tmp/p%d/secret\"))\n", i-1)
		case 2:
			fmt.Fprintf(&sb, "(allow file-read-data (literal \"/private/var/db/f%d\"))\n", i)
		default:
			fmt.Fprintf(&sb, "(allow file-read* (regex #\"^/usr/share/d%d/[^/]+$\"))\n", i)
		}
	}
	return []byte(sb.String())
}

func BenchmarkLintGenerated10k(b *testing.B) { benchGenerated(b, 10000) }

// BenchmarkLintGenerated100k is the 100,000-rule budget (< 2 s for
// `sbplc lint` on such a file, parse and evaluation included).
func BenchmarkLintGenerated100k(b *testing.B) { benchGenerated(b, 100000) }

func benchGenerated(b *testing.B, n int) {
	data := generated(n)
	b.ReportAllocs()
	defer testutil.CPUTimer(b)()
	for b.Loop() {
		lint.File(source.NewFile("gen.sb", data), nil, lint.Options{})
	}
}

// BenchmarkLintLargestStages splits BenchmarkLintLargest: parse+eval,
// the decision engine's construction (policy.New, built once per lint run
// and shared by every rule), and lint.Run (the engine plus all rules).
func BenchmarkLintLargestStages(b *testing.B) {
	es := corpus.ForTest(b)
	e := corpus.Largest(es, 1, "profile")[0]
	data, err := e.Read()
	if err != nil {
		b.Fatal(err)
	}
	src := source.NewFile(e.File, data)
	res := eval.Run(src, eval.Options{})
	b.Run("eval", func(b *testing.B) {
		defer testutil.CPUTimer(b)()
		for b.Loop() {
			eval.Run(source.NewFile(e.File, data), eval.Options{})
		}
	})
	b.Run("policy.New", func(b *testing.B) {
		defer testutil.CPUTimer(b)()
		for b.Loop() {
			policy.New(res.Profile, policy.Options{Home: lint.DefaultHome})
		}
	})
	b.Run("run", func(b *testing.B) {
		defer testutil.CPUTimer(b)()
		for b.Loop() {
			lint.Run(res, nil, lint.Options{})
		}
	})
}

// BenchmarkLintOneLine lints the 10,000-rule generated profile written one
// rule per line and as one line (as `sandbox-exec -p` passes profiles): the
// two must cost about the same.
func BenchmarkLintOneLine(b *testing.B) {
	lines := generated(10000)
	for _, in := range []struct {
		name string
		data []byte
	}{{"lines", lines}, {"one-line", []byte(strings.ReplaceAll(string(lines), "\n", " "))}} {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.data)))
			defer testutil.CPUTimer(b)()
			for b.Loop() {
				lint.File(source.NewFile("gen.sb", in.data), nil, lint.Options{})
			}
		})
	}
}
