package eval

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/internal/testutil"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/source"
)

// TestGolden evaluates testdata/golden/*.sb and compares the expansion,
// the canonical dump and the JSON IR (with origins) with golden files.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/golden/*.sb")
	if len(files) == 0 {
		t.Fatal("no golden inputs")
	}
	for _, fn := range files {
		data, err := os.ReadFile(fn)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(fn)
		res := Run(source.NewFile(name, data), Options{})
		var diags strings.Builder
		for _, d := range res.Diags {
			diags.WriteString(d.String() + "\n")
		}
		js, err := json.MarshalIndent(ir.ToJSON(res.Profile), "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		base := strings.TrimSuffix(fn, ".sb")
		testutil.Golden(t, base+".expand", FormatSBPL(res.Profile))
		testutil.Golden(t, base+".dump", diags.String()+Dump(res.Profile))
		testutil.Golden(t, base+".json", string(js)+"\n")
	}
}
