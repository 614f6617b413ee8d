package parser_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sbplc/sbplc/parser"
	"github.com/sbplc/sbplc/source"
)

func corpusFile(b *testing.B, name string) []byte {
	data, err := os.ReadFile(filepath.Join("..", "..", "shared", "corpus", "real", name))
	if err != nil {
		b.Skipf("corpus not available: %v", err)
	}
	return data
}

func BenchmarkParse(b *testing.B) {
	for _, name := range []string{
		"0xbf00__macos-sandbox-coverage__data__generic_profiles__10.14.6-18G4032.sb",
		"WebKit__WebKit__Source__WebKit__WebProcess__com.apple.WebProcess.sb.in",
	} {
		data := corpusFile(b, name)
		b.Run(name[:20], func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				f := source.NewFile(name, data)
				_, ds := parser.Parse(f)
				if len(ds) > 0 {
					b.Fatal(ds)
				}
			}
		})
	}
}
