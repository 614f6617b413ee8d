package format

import (
	"testing"

	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/corpus"
	"github.com/sbplc/sbplc/parser"
	"github.com/sbplc/sbplc/source"
)

// BenchmarkFormatLargest formats the largest corpus profiles (parse
// included); b.SetBytes makes go test report MB/s.
func BenchmarkFormatLargest(b *testing.B) {
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
	es := corpus.Largest(corpus.ForTest(b), 3, "profile", "cpp")
	var files []*ast.File
	total := 0
	for _, e := range es {
		src, err := e.Read()
		if err != nil {
			b.Fatal(err)
		}
		f, _ := parser.Parse(source.NewFile(e.File, src))
		files = append(files, f)
		total += len(src)
	}
	b.SetBytes(int64(total))
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range files {
			File(f)
		}
	}
}
