package lint

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/corpus"
	"github.com/sbplc/sbplc/eval"
	"github.com/sbplc/sbplc/internal/testutil"
	"github.com/sbplc/sbplc/source"
)

// TestClaimsIgnoreRegistryOrder lints inputs with every kind of evaluator
// problem (the chunked testdata and the corpus) in registry order and in
// reverse order: each problem type has one owner, so the correctness
// findings must be the same.
func TestClaimsIgnoreRegistryOrder(t *testing.T) {
	type input struct{ name, text string }
	var ins []input
	files, _ := filepath.Glob("testdata/*.sb")
	for _, fn := range files {
		chunks, err := testutil.ReadChunks(fn)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range chunks {
			ins = append(ins, input{fn + "/" + c.Name, c.Text})
		}
	}
	for _, e := range corpus.ForTest(t) {
		data, err := e.Read()
		if err != nil {
			t.Fatal(err)
		}
		ins = append(ins, input{e.File, string(data)})
	}
	lintAll := func() []string {
		var out []string
		for _, in := range ins {
			ds, _ := File(source.NewFile("in.sb", []byte(in.text)), nil, Options{Enable: []string{"all"},
				Eval: evalOptionsNoFiles()})
			var b strings.Builder
			for _, d := range ds {
				// The correctness rules take the evaluator's problems (the
				// stage codes pass through); secrets grouping orders its
				// notes by finding order, which is another matter.
				if r, ok := Lookup(d.Code); ok && r.Category == Correctness {
					b.WriteString(d.String() + "\n")
				}
			}
			out = append(out, b.String())
		}
		return out
	}
	inOrder := lintAll()
	initRegistry()
	saved := slices.Clone(reg)
	slices.Reverse(reg)
	defer copy(reg, saved)
	reversed := lintAll()
	for i := range ins {
		if inOrder[i] != reversed[i] {
			t.Errorf("%s: findings depend on the rule order\nregistry order:\n%sreversed:\n%s", ins[i].name, inOrder[i], reversed[i])
		}
	}
}

func evalOptionsNoFiles() eval.Options {
	return eval.Options{ReadFile: func(string) ([]byte, error) { return nil, os.ErrNotExist }}
}
