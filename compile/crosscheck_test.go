package compile

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/bytecode"
	"github.com/sbplc/sbplc/corpus"
	"github.com/sbplc/sbplc/eval"
	"github.com/sbplc/sbplc/source"
)

type vec struct {
	name   string
	blob   []byte
	src    *source.File
	params map[string]string
}

func vectors(t testing.TB) []vec {
	t.Helper()
	shared, err := corpus.SharedDir()
	if err != nil {
		t.Skipf("shared research data not available: %v", err)
	}
	dir := filepath.Join(shared, "bytecode", "vectors")
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []vec
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), "sonoma14.4.1_") {
			continue
		}
		d := filepath.Join(dir, e.Name())
		v := vec{name: e.Name(), params: map[string]string{}}
		if v.blob, err = os.ReadFile(filepath.Join(d, e.Name()+".sb.bin")); err != nil {
			t.Fatal(err)
		}
		files, _ := os.ReadDir(d)
		for _, f := range files {
			n := f.Name()
			if strings.HasSuffix(n, ".sb") || strings.HasSuffix(n, ".sb.INFERRED") {
				b, err := os.ReadFile(filepath.Join(d, n))
				if err != nil {
					t.Fatal(err)
				}
				v.src = source.NewFile(n, b)
			}
			if n == "params.json" {
				b, _ := os.ReadFile(filepath.Join(d, n))
				if err := json.Unmarshal(b, &v.params); err != nil {
					t.Fatal(err)
				}
			}
		}
		if v.src == nil {
			t.Fatalf("%s has no source", e.Name())
		}
		out = append(out, v)
	}
	if len(out) < 45 {
		t.Fatalf("%d vectors", len(out))
	}
	return out
}

func TestCrossCheckVectors(t *testing.T) {
	l := bytecode.DefaultLayout()
	voc := bytecode.VocabularyFor(l)
	for _, v := range vectors(t) {
		t.Run(v.name, func(t *testing.T) {
			p, fs := bytecode.DecodeAndVerify(v.blob, l, voc)
			if fs.HasErrors() {
				t.Fatal(fs)
			}
			res := eval.Run(v.src, eval.Options{Params: v.params, Target: "macos14"})
			if res.Diags.HasErrors() {
				t.Fatalf("eval: %v", res.Diags)
			}
			rep := CrossCheck(p, voc, res.Profile, CrossCheckOptions{})
			for _, d := range rep.Disagreements {
				t.Errorf("%s %s: blob %s, source %s (%s)", d.Op, d.Resource, d.Blob, d.Source, d.Reason)
			}
			if rep.Operations != 190 || rep.Agree == 0 {
				t.Errorf("report %+v", rep)
			}
			t.Logf("%+v", *rep)
		})
	}
}

func findVec(t *testing.T, name string) vec {
	t.Helper()
	for _, v := range vectors(t) {
		if v.name == name {
			return v
		}
	}
	t.Fatalf("no vector %s", name)
	return vec{}
}

func crossCheckSource(t *testing.T, blob []byte, src string, params map[string]string) *Report {
	t.Helper()
	l := bytecode.DefaultLayout()
	voc := bytecode.VocabularyFor(l)
	p, fs := bytecode.DecodeAndVerify(blob, l, voc)
	if fs.HasErrors() {
		t.Fatal(fs)
	}
	res := eval.Run(source.NewFile("test.sb", []byte(src)), eval.Options{Params: params, Target: "macos14"})
	if res.Diags.HasErrors() {
		t.Fatalf("eval: %v", res.Diags)
	}
	return CrossCheck(p, voc, res.Profile, CrossCheckOptions{})
}

// A source that differs from what was compiled is caught, with the
// operation, the resource and both answers.
func TestCrossCheckCatchesWrongSource(t *testing.T) {
	v := findVec(t, "sonoma14.4.1_golden_strict_1")
	cases := []struct {
		name, src, wantOp, wantRes, wantBlob string
	}{
		{"allow dropped", "(version 1)(deny default)(deny file-read* file-write* (literal \"/etc/hosts\"))",
			"file-read*", "path=/private/tmp/strict_ok", "allow"},
		{"wrong subpath", "(version 1)(deny default)(allow file-read* file-write* (subpath \"/private/tmp/other\"))(deny file-read* file-write* (literal \"/etc/hosts\"))",
			"file-read-data", "path=/private/tmp/strict_ok/sbplc-probe", "allow"},
		{"extra deny", "(version 1)(deny default)(allow file-read* file-write* (subpath \"/private/tmp/strict_ok\"))(deny file-write* (subpath \"/private/tmp/strict_ok/sbplc-probe\"))",
			"file-write-data", "path=/private/tmp/strict_ok/sbplc-probe", "allow"},
		{"allow default", "(version 1)(allow default)(allow file-read* file-write* (subpath \"/private/tmp/strict_ok\"))(deny file-read* file-write* (literal \"/etc/hosts\"))",
			"file-read*", "path=/sbplc-unmatched/probe", "deny"},
	}
	for _, c := range cases {
		rep := crossCheckSource(t, v.blob, c.src, nil)
		found := false
		for _, d := range rep.Disagreements {
			if d.Op == c.wantOp && strings.Contains(d.Resource, c.wantRes) && strings.HasPrefix(d.Blob, c.wantBlob) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no disagreement on %s %s; got %+v", c.name, c.wantOp, c.wantRes, rep.Disagreements)
		}
	}
}

// Params are substituted before the comparison: the param_path vector
// agrees with ROOT=/private/tmp and disagrees with another ROOT.
func TestCrossCheckParams(t *testing.T) {
	v := findVec(t, "sonoma14.4.1_param_path_root_private_tmp")
	if rep := crossCheckSource(t, v.blob, string(v.src.Text), map[string]string{"ROOT": "/private/tmp"}); len(rep.Disagreements) > 0 {
		t.Errorf("ROOT=/private/tmp: %+v", rep.Disagreements)
	}
	rep := crossCheckSource(t, v.blob, string(v.src.Text), map[string]string{"ROOT": "/private/var"})
	if len(rep.Disagreements) == 0 {
		t.Errorf("ROOT=/private/var: no disagreement")
	}
}

// A blob whose decision node is flipped disagrees with its own source.
func TestCrossCheckCatchesFlippedDecision(t *testing.T) {
	v := findVec(t, "sonoma14.4.1_triple_all_tcp")
	b := append([]byte(nil), v.blob...)
	p, err := bytecode.Decode(b, bytecode.DefaultLayout())
	if err != nil {
		t.Fatal(err)
	}
	// Find the allow terminal and make it deny|report.
	for _, n := range p.Nodes {
		if n.IsTerminal() && !n.Deny() {
			b[n.Offset+1] = 0x05
		}
	}
	rep := crossCheckSource(t, b, string(v.src.Text), nil)
	if len(rep.Disagreements) == 0 {
		t.Fatal("flipped allow node: no disagreement")
	}
}

// An unresolved import makes the engine's answers unknown where the
// imported rules could decide: those probes are undecided, not
// disagreements.
func TestCrossCheckOpaqueProfile(t *testing.T) {
	v := findVec(t, "sonoma14.4.1_golden_strict_1")
	l := bytecode.DefaultLayout()
	voc := bytecode.VocabularyFor(l)
	p, _ := bytecode.DecodeAndVerify(v.blob, l, voc)
	src := "(version 1)\n(deny default)\n(import \"sbplc-missing-import.sb\")\n" +
		"(allow file-read* file-write* (subpath \"/private/tmp/strict_ok\"))\n(deny file-read* file-write* (literal \"/etc/hosts\"))\n"
	res := eval.Run(source.NewFile("opaque.sb", []byte(src)), eval.Options{Target: "macos14", ReadFile: func(string) ([]byte, error) { return nil, os.ErrNotExist }})
	if !res.Profile.Opaque() {
		t.Fatalf("profile not opaque: %v", res.Diags)
	}
	rep := CrossCheck(p, voc, res.Profile, CrossCheckOptions{})
	if len(rep.Disagreements) > 0 {
		t.Errorf("disagreements on an opaque profile: %+v", rep.Disagreements[0])
	}
	if rep.Undecided == 0 || rep.Agree == 0 {
		t.Errorf("report %+v", rep)
	}
}

// A rule on a spelling the kernel never presents (the link /tmp) is
// still part of the profile: the cross-check probes it as written on both
// sides, so a source with a rule the blob lacks disagrees even there.
func TestCrossCheckLinkSpelling(t *testing.T) {
	v := findVec(t, "sonoma14.4.1_golden_strict_1")
	src := string(v.src.Text) + "\n(allow file-read-metadata (literal \"/tmp\"))\n"
	rep := crossCheckSource(t, v.blob, src, nil)
	found := false
	for _, d := range rep.Disagreements {
		if d.Op == "file-read-metadata" && d.Resource == "path=/tmp (as written)" && strings.HasPrefix(d.Blob, "deny") && d.Source == "allow" {
			found = true
		}
	}
	if !found {
		t.Errorf("no disagreement on the link spelling: %+v", rep.Disagreements)
	}
}

// Every source change issue 17 lists is caught: the changed source
// disagrees with the blob compiled from the original (a decided probe,
// not an undecidable one).
func TestCrossCheckCatchesSourceMutations(t *testing.T) {
	strict := findVec(t, "sonoma14.4.1_golden_strict_1")
	base := string(strict.src.Text)
	denyAll := findVec(t, "sonoma14.4.1_baseline_deny_all")
	cases := []struct {
		name, src string
		blob      []byte
	}{
		{"added regex rule", base + `(allow file-read* (regex #"^/private/tmp/x[0-9]+$"))`, strict.blob},
		{"added vnode-type rule", base + `(allow file-read* (vnode-type DIRECTORY))`, strict.blob},
		{"added entitlement rule", base + `(allow file-read* (require-entitlement "com.apple.x"))`, strict.blob},
		{"added iokit-open rule", base + `(allow iokit-open (iokit-user-client-class "X"))`, strict.blob},
		{"(with no-report) on a deny", strings.Replace(base, `(deny file-read* file-write* (literal "/etc/hosts"))`, `(deny file-read* file-write* (literal "/etc/hosts") (with no-report))`, 1), strict.blob},
		{"(with report) on an allow", strings.Replace(base, `(subpath "/private/tmp/strict_ok"))`, `(subpath "/private/tmp/strict_ok") (with report))`, 1), strict.blob},
		{"(with message) on a deny", strings.Replace(base, `(literal "/etc/hosts"))`, `(literal "/etc/hosts") (with message "no"))`, 1), strict.blob},
		{"(version 2)", strings.Replace(base, "(version 1)", "(version 2)", 1), strict.blob},
		{"remote address rule", base + `(allow network-outbound (remote tcp "localhost:443"))`, strict.blob},
		{"local address rule", base + `(allow network-inbound (local udp "*:53"))`, strict.blob},
		{"deny-all without its deny rules", "(version 1)\n(allow default)\n", denyAll.blob},
		{"deny-all with one deny dropped", "(version 1)\n(allow default)\n(deny file-read* (literal \"/tmp/sbpl_rt/read.txt\"))\n", denyAll.blob},
	}
	for _, c := range cases {
		rep := crossCheckSource(t, c.blob, c.src, nil)
		if len(rep.Disagreements) == 0 {
			t.Errorf("%s: no disagreement (%d probes, %d undecidable: %+v)", c.name, rep.Probes, rep.Undecided, rep.UndecidedWhy)
			continue
		}
		d := rep.Disagreements[0]
		t.Logf("%s: %s %s: blob %s, source %s", c.name, d.Op, d.Resource, d.Blob, d.Source)
	}
}
