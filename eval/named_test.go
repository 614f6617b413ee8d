package eval

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sbplc/sbplc/corpus"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/source"
	"github.com/sbplc/sbplc/vocab"
)

// vocabConstant is what vocab says about name in filter f's table.
func vocabConstant(t *testing.T, filter, name string) (vocab.NamedValue, bool) {
	t.Helper()
	f, ok := vocab.LookupFilter(filter)
	if !ok {
		t.Fatalf("vocab has no filter %s", filter)
	}
	for _, v := range f.Values {
		if v.Name == name {
			return v, true
		}
	}
	return vocab.NamedValue{}, false
}

// TestNamedValues checks that symbolic filter constants stay symbols in
// the IR, carry their number only when vocab measured it, and are never
// rejected just because the number is unknown.
func TestNamedValues(t *testing.T) {
	cases := []struct {
		filter, name string
	}{
		{"socket-domain", "AF_INET"},
		{"socket-domain", "AF_UNSPEC"}, // number 0 once measured: HasInt, not Int != 0, says so
		{"socket-type", "SOCK_STREAM"},
		{"socket-protocol", "IPPROTO_TCP"},
		{"socket-protocol", "IPPROTO_UDP"},
	}
	for _, tc := range cases {
		t.Run(tc.filter+"/"+tc.name, func(t *testing.T) {
			text := "(version 1)\n(allow network-outbound (" + tc.filter + " " + tc.name + "))\n"
			res := Run(source.NewFile("n.sb", []byte(text)), Options{})
			if len(res.Diags) != 0 {
				t.Fatalf("unexpected diagnostics: %v", res.Diags)
			}
			a := res.Profile.Rules[0].Filter.Args[0]
			if a.Kind != ir.Symbol || a.Str != tc.name {
				t.Fatalf("arg = %+v, want symbol %s", a, tc.name)
			}
			nv, listed := vocabConstant(t, tc.filter, tc.name)
			if !listed {
				nv, listed = globalConstant(tc.name)
			}
			if !listed {
				t.Fatalf("vocab lists %s nowhere; the test needs a listed constant", tc.name)
			}
			if a.HasInt != nv.HasValue || (a.HasInt && a.Int != nv.Value) || (!a.HasInt && a.Int != 0) {
				t.Errorf("arg = {Int:%d HasInt:%v}, vocab = {Value:%d HasValue:%v}", a.Int, a.HasInt, nv.Value, nv.HasValue)
			}
			if got := FormatSBPL(res.Profile); got != "(version 1)\n"+text[len("(version 1)\n"):] {
				t.Errorf("expansion = %q", got)
			}
		})
	}
	// Network protocols have measured numbers.
	res := Run(source.NewFile("n.sb", []byte(`(allow network-outbound (remote tcp "*:80"))`)), Options{})
	if a := res.Profile.Rules[0].Filter.Args[0]; a.Kind != ir.Symbol || a.Str != "tcp" || !a.HasInt || a.Int != 7 {
		t.Errorf("(remote tcp ...) protocol = %+v, want symbol tcp = 7", a)
	}
	// Numbers stay numbers.
	res = Run(source.NewFile("n.sb", []byte(`(allow network-outbound (socket-protocol 6))`)), Options{})
	if a := res.Profile.Rules[0].Filter.Args[0]; a.Kind != ir.Int || a.Int != 6 {
		t.Errorf("(socket-protocol 6) = %+v", a)
	}
}

// globalConstant finds name in any filter's table (preferring a measured
// number), as libsandbox binds constants globally.
func globalConstant(name string) (vocab.NamedValue, bool) {
	var found vocab.NamedValue
	ok := false
	for _, f := range vocab.Filters() {
		for _, v := range f.Values {
			if v.Name == name {
				if v.HasValue {
					return v, true
				}
				found, ok = v, true
			}
		}
	}
	return found, ok
}

// TestBytecodeVectorSources evaluates the SBPL source of every compiled
// vector in ../shared/bytecode/vectors: libsandbox compiled each of them,
// so each must evaluate without diagnostics and with no test prelude.
func TestBytecodeVectorSources(t *testing.T) {
	shared, err := corpus.SharedDir()
	if err != nil {
		t.Skip(err)
	}
	files, _ := filepath.Glob(filepath.Join(shared, "bytecode", "vectors", "*", "*.sb"))
	if len(files) == 0 {
		t.Skip("no bytecode vectors")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		res := Run(source.NewFile(f, data), Options{})
		for _, d := range res.Diags {
			// param_path.sb was compiled with -D ROOT=...; the rest with nothing.
			if d.Severity == diag.Error || d.Code != "unbound-param" {
				t.Errorf("%s", d)
			}
		}
		if len(res.Profile.Rules) == 0 {
			t.Errorf("%s: no rules", f)
		}
	}
}
