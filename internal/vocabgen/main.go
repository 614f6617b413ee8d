// Command vocabgen generates vocab/tables_gen.go from the research data in
// ../shared/vocab. It is run by `go generate ./vocab` (from the vocab
// directory):
//
//	//go:generate go run ../internal/vocabgen
//
// Flags: -in DIR (default: ../shared/vocab beside the module root, or
// $SBPLC_SHARED/vocab) and -o FILE (default tables_gen.go).
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sbplc/sbplc/internal/fsutil"
	"github.com/sbplc/sbplc/internal/vocabgen/gen"
)

func main() {
	in := flag.String("in", "", "vocabulary data directory (default ../shared/vocab beside the module root)")
	out := flag.String("o", "tables_gen.go", "output file")
	flag.Parse()
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "vocabgen:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	if in == "" {
		d, err := defaultDir()
		if err != nil {
			return err
		}
		in = d
	}
	src, err := gen.Generate(in)
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(out, src, 0o644)
}

// defaultDir finds ../shared/vocab next to the directory holding go.mod.
func defaultDir() (string, error) {
	if d := os.Getenv("SBPLC_SHARED"); d != "" {
		return filepath.Join(d, "vocab"), nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, "..", "shared", "vocab"), nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("no go.mod above the working directory; pass -in")
		}
	}
}
