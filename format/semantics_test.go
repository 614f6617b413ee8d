package format

import (
	"fmt"
	"io/fs"
	"reflect"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/corpus"
	"github.com/sbplc/sbplc/eval"
	"github.com/sbplc/sbplc/source"
)

var spanType = reflect.TypeOf(source.Span{})

// canonical renders v (an IR value) with every source position left out, so
// that the IR of a file and of its formatted text can be compared.
func canonical(b *strings.Builder, v reflect.Value, depth int) {
	if depth > 200 {
		b.WriteString("…")
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		canonical(b, v.Elem(), depth+1)
	case reflect.Struct:
		if v.Type() == spanType {
			return
		}
		b.WriteString(v.Type().Name() + "{")
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).Type == spanType || !v.Type().Field(i).IsExported() {
				continue
			}
			b.WriteString(v.Type().Field(i).Name + ":")
			canonical(b, v.Field(i), depth+1)
			b.WriteByte(' ')
		}
		b.WriteString("}")
	case reflect.Slice, reflect.Array:
		b.WriteByte('[')
		for i := 0; i < v.Len(); i++ {
			canonical(b, v.Index(i), depth+1)
			b.WriteByte(',')
		}
		b.WriteByte(']')
	case reflect.Map:
		fmt.Fprintf(b, "%v", v.Interface()) // fmt sorts map keys
	default:
		fmt.Fprintf(b, "%#v", v.Interface())
	}
}

// expand evaluates text and returns its IR and diagnostic codes without
// positions. Imports are not read (they stay unresolved, identically on
// both sides).
func expand(name string, text []byte) (string, string) {
	res := eval.Run(source.NewFile(name, text), eval.Options{
		ReadFile: func(string) ([]byte, error) { return nil, fs.ErrNotExist },
	})
	var b strings.Builder
	canonical(&b, reflect.ValueOf(res.Profile), 0)
	var codes []string
	for _, d := range res.Diags {
		codes = append(codes, d.Severity.String()+":"+d.Code)
	}
	return b.String(), strings.Join(codes, " ")
}

// TestCorpusSemantics checks that formatting preserves meaning: evaluating
// a corpus file and its formatted text gives the same rule IR and the same
// diagnostics (ignoring positions).
func TestCorpusSemantics(t *testing.T) {
	nrules := 0
	for _, e := range corpus.ForTest(t) {
		src, err := e.Read()
		if err != nil {
			t.Fatal(err)
		}
		out, ds := Source(src, e.File, Options{})
		if ds.HasErrors() {
			continue
		}
		t.Run(e.Base(), func(t *testing.T) {
			irIn, diagIn := expand(e.File, src)
			irOut, diagOut := expand(e.File, out)
			if irIn != irOut {
				t.Errorf("IR differs after formatting:\n%s", firstDifference(irIn, irOut))
			}
			if diagIn != diagOut {
				t.Errorf("diagnostics differ after formatting:\n in: %s\nout: %s", diagIn, diagOut)
			}
			nrules += strings.Count(irIn, "Rule{")
		})
	}
	if nrules == 0 {
		t.Error("no rules evaluated from the corpus: the comparison proves nothing")
	}
	t.Logf("%d rules compared", nrules)
}

func firstDifference(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(0, i-200)
	return fmt.Sprintf(" in: …%s\nout: …%s", a[lo:min(len(a), i+200)], b[lo:min(len(b), i+200)])
}
