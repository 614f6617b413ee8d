package format

import (
	"testing"

	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/corpus"
	"github.com/sbplc/sbplc/parser"
	"github.com/sbplc/sbplc/source"
)

// largestProfiles reads the largest corpus profiles and sets the
// benchmark's bytes per operation to their total size (go test then
// reports MB/s).
func largestProfiles(b *testing.B) ([]corpus.Entry, [][]byte) {
	es := corpus.Largest(corpus.ForTest(b), 3, "profile", "cpp")
	var srcs [][]byte
	total := 0
	for _, e := range es {
		src, err := e.Read()
		if err != nil {
			b.Fatal(err)
		}
		srcs = append(srcs, src)
		total += len(src)
	}
	b.SetBytes(int64(total))
	return es, srcs
}

// BenchmarkFormatLargest formats the largest corpus profiles (parse
// included).
func BenchmarkFormatLargest(b *testing.B) {
	es, srcs := largestProfiles(b)
	b.ReportAllocs()
	for b.Loop() {
		for i, src := range srcs {
			if _, ds := Source(src, es[i].File, Options{}); ds.HasErrors() {
				b.Fatal(ds)
			}
		}
	}
}

// BenchmarkPrintLargest measures the printer alone on pre-parsed trees.
func BenchmarkPrintLargest(b *testing.B) {
	es, srcs := largestProfiles(b)
	var files []*ast.File
	for i, src := range srcs {
		f, _ := parser.Parse(source.NewFile(es[i].File, src))
		files = append(files, f)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range files {
			File(f)
		}
	}
}
