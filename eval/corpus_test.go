package eval

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/corpus"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/internal/testutil"
	"github.com/sbplc/sbplc/source"
)

// allowedUnbound lists identifiers that corpus profiles use without
// defining them, because they come from files that are not in the corpus.
var allowedUnbound = map[string]string{
	// Chromium fragments calling helpers from a newer common.sb than the stored one.
	"allow-cvms-blobs":                 "defined in a newer chromium common.sb than the one in the corpus",
	"allow-font-access":                "defined in a newer chromium common.sb than the one in the corpus",
	"maybe-disable-metal-shader-cache": "defined in a newer chromium common.sb than the one in the corpus",
	"darwin-user-cache-dir":            "defined in a newer chromium common.sb than the one in the corpus",
	"helper-bundle-id":                 "defined in a newer chromium common.sb than the one in the corpus",
	"user-homedir-path":                "defined in a newer chromium common.sb than the one in the corpus",
}

// corpusOptions returns the evaluation options for one corpus entry:
// Chromium fragments get common.sb as a prelude, and imports resolve to
// corpus files with the same base name.
func corpusOptions(t testing.TB, es []corpus.Entry, e corpus.Entry) Options {
	opts := Options{ReadFile: func(name string) ([]byte, error) {
		base := filepath.Base(name)
		for _, o := range es {
			if strings.HasSuffix(o.File, "__"+base) {
				return o.Read()
			}
		}
		return nil, os.ErrNotExist
	}}
	if strings.Contains(e.File, "chromium") && e.Kind == "fragment" {
		common, ok := corpus.Find(es, "chromium__chromium__sandbox__policy__mac__common.sb")
		if !ok {
			t.Fatal("chromium common.sb missing from the corpus")
		}
		data, err := common.Read()
		if err != nil {
			t.Fatal(err)
		}
		opts.Preludes = []*source.File{source.NewFile(common.File, data)}
	}
	return opts
}

func chromiumFragment(e corpus.Entry) bool {
	return strings.Contains(e.File, "chromium") && e.Kind == "fragment"
}

// TestCorpus evaluates every corpus file: no file may crash or report an
// internal error; profiles (and Chromium fragments with their prelude) may
// report no errors except unbound identifiers from allowedUnbound. It also
// keeps a golden summary, and checks that expand is a fixed point.
func TestCorpus(t *testing.T) {
	es := corpus.ForTest(t)
	var sum strings.Builder
	sum.WriteString("# file\tkind\trules\timports(opaque)\tsteps\tdiagnostics by code\n")
	for _, e := range es {
		data, err := e.Read()
		if err != nil {
			t.Fatal(err)
		}
		src := source.NewFile(e.File, data)
		res := Run(src, corpusOptions(t, es, e))
		counts := map[string]int{}
		for _, d := range res.Diags {
			counts[d.Severity.String()+":"+d.Code]++
			if d.Code == "internal-error" {
				t.Errorf("%s: %s", e.File, d)
			}
			if d.Severity != diag.Error || !(e.Kind == "profile" || chromiumFragment(e)) {
				continue
			}
			if d.Code == "missing-version" && len(res.Profile.Rules) == 0 {
				continue // a library of helpers (WebKit's util.sb) the corpus does not mark as a fragment
			}
			if d.Code == "unbound-identifier" {
				name := strings.TrimPrefix(strings.SplitN(d.Message, ";", 2)[0], "unbound variable: ")
				if _, ok := allowedUnbound[name]; ok {
					continue
				}
			}
			t.Errorf("%s: unexpected error: %s", e.File, d)
		}
		codes := make([]string, 0, len(counts))
		for k := range counts {
			codes = append(codes, k)
		}
		sort.Strings(codes)
		var parts []string
		for _, k := range codes {
			parts = append(parts, fmt.Sprintf("%s=%d", k, counts[k]))
		}
		opaque := 0
		for _, im := range res.Profile.Imports {
			if !im.Resolved {
				opaque++
			}
		}
		fmt.Fprintf(&sum, "%s\t%s\t%d\t%d(%d)\t%d\t%s\n", e.Base(), e.Kind, len(res.Profile.Rules), len(res.Profile.Imports), opaque, res.Steps, strings.Join(parts, " "))
		checkFixedPoint(t, e.Base(), res)
	}
	testutil.Golden(t, "testdata/corpus-summary.txt", sum.String())
}

// TestCorpusDeterministic evaluates the largest profiles twice and
// compares the dumps.
func TestCorpusDeterministic(t *testing.T) {
	es := corpus.ForTest(t)
	for _, e := range corpus.Largest(es, 5, "profile", "cpp") {
		data, err := e.Read()
		if err != nil {
			t.Fatal(err)
		}
		a := Run(source.NewFile(e.File, data), corpusOptions(t, es, e))
		b := Run(source.NewFile(e.File, data), corpusOptions(t, es, e))
		if Dump(a.Profile) != Dump(b.Profile) || len(a.Diags) != len(b.Diags) {
			t.Errorf("%s: two evaluations differ", e.File)
		}
	}
}
