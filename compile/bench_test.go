package compile

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/bytecode"
	"github.com/sbplc/sbplc/eval"
	"github.com/sbplc/sbplc/source"
)

// BenchmarkCrossCheckVector cross-checks the largest vector against its
// source.
func BenchmarkCrossCheckVector(b *testing.B) {
	var v vec
	for _, x := range vectors(b) {
		if len(x.blob) > len(v.blob) {
			v = x
		}
	}
	l := bytecode.DefaultLayout()
	voc := bytecode.VocabularyFor(l)
	p, _ := bytecode.DecodeAndVerify(v.blob, l, voc)
	res := eval.Run(v.src, eval.Options{Params: v.params, Target: "macos14"})
	b.ReportAllocs()
	for b.Loop() {
		if rep := CrossCheck(p, voc, res.Profile, CrossCheckOptions{}); len(rep.Disagreements) > 0 {
			b.Fatal(rep.Disagreements[0])
		}
	}
}

// BenchmarkCrossCheckManyRules cross-checks a profile of 300 rules mixing
// paths and socket filters (against a small blob: the cost is in the
// probes and the engines, not in agreement).
func BenchmarkCrossCheckManyRules(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("(version 1)\n(deny default)\n")
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&sb, "(allow file-read* (subpath \"/synthetic/dir%03d\"))\n", i)
	}
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&sb, "(allow network-outbound (require-all (socket-domain %d) (socket-type %d)))\n", i%40, i%5)
	}
	res := eval.Run(source.NewFile("many.sb", []byte(sb.String())), eval.Options{Target: "macos14"})
	if res.Diags.HasErrors() {
		b.Fatal(res.Diags)
	}
	v := vectors(b)[0]
	l := bytecode.DefaultLayout()
	voc := bytecode.VocabularyFor(l)
	p, _ := bytecode.DecodeAndVerify(v.blob, l, voc)
	b.ReportAllocs()
	for b.Loop() {
		rep := CrossCheck(p, voc, res.Profile, CrossCheckOptions{})
		if rep.Probes == 0 {
			b.Fatal("no probes")
		}
	}
}
