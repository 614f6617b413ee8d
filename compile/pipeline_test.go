package compile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/bytecode"
	"github.com/sbplc/sbplc/corpus"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/eval"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/source"
)

func build(t *testing.T, text string, opts Options) *Output {
	t.Helper()
	out, err := Build(source.NewFile("p.sb", []byte(text)), opts)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func findDiag(ds diag.List, code string) *diag.Diagnostic {
	for i := range ds {
		if ds[i].Code == code {
			return &ds[i]
		}
	}
	return nil
}

// An unset param is #f, as in libsandbox: a guarded rule is left out, and
// a pattern variable the user wrote in a string is kept.
func TestBuildUnsetParamIsFalse(t *testing.T) {
	src := "(version 1)\n(deny default)\n" +
		"(if (param \"SRC\")\n  (allow file-read* (subpath (param \"SRC\"))))\n" +
		"(allow file-read* (subpath (if (param \"ALT\") (param \"ALT\") \"/usr\")))\n" +
		"(allow file-read* (literal \"${HOME}/x\"))\n"
	for _, em := range []Emit{EmitSBPL, EmitJSON} {
		out := build(t, src, Options{Emit: em})
		if out.Failed != "" {
			t.Fatalf("%s: %s\n%v", em, out.Failed, out.Diags)
		}
		got := string(out.Data)
		for _, bad := range []string{"${SRC}", "${ALT}"} {
			if strings.Contains(got, bad) {
				t.Errorf("%s output contains the placeholder %s:\n%s", em, bad, got)
			}
		}
		if !strings.Contains(got, "${HOME}/x") || !strings.Contains(got, "/usr") {
			t.Errorf("%s output lost the user's rules:\n%s", em, got)
		}
	}
	out := build(t, src, Options{Emit: EmitSBPL})
	want := "(version 1)\n(deny default)\n(allow file-read* (subpath \"/usr\"))\n(allow file-read* (literal \"${HOME}/x\"))\n"
	if string(out.Data) != want {
		t.Errorf("flattened:\n%s\nwant:\n%s", out.Data, want)
	}
	// The guarded param is named, so the user knows which -D brings the
	// rule back.
	if d := findDiag(out.Diags, "unbound-param"); d == nil || !strings.Contains(d.Message, "-D SRC=VALUE") && !strings.Contains(d.Message, "-D ALT=VALUE") {
		t.Errorf("no unbound-param note: %v", out.Diags)
	}
	// With the param set, the rule is there.
	out = build(t, src, Options{Emit: EmitSBPL, Eval: eval.Options{Params: map[string]string{"SRC": "/src"}}})
	if !strings.Contains(string(out.Data), "(subpath \"/src\")") {
		t.Errorf("with -D SRC: %s", out.Data)
	}
}

// A path filter given an unset param fails as in libsandbox, at the param
// call, for every output form; libsandbox is not called.
func TestBuildUnsetParamInFilterFails(t *testing.T) {
	src := "(version 1)\n(deny default)\n(allow file-read* (subpath (param \"ROOT\")))\n"
	for _, em := range []Emit{EmitSBPL, EmitJSON, EmitBytecode} {
		fake := &Fake{Blob: []byte("blob")}
		out := build(t, src, Options{Emit: em, Backend: fake, NoVerify: true})
		if out.Failed == "" || out.Data != nil {
			t.Fatalf("%s: built %q", em, out.Data)
		}
		if len(fake.Requests()) != 0 {
			t.Errorf("%s: libsandbox called", em)
		}
		var found bool
		for _, d := range out.Diags {
			if d.Severity == diag.Error && strings.Contains(d.Message, "invalid data type of path filter; expected pattern, got boolean") {
				found = true
				if p := d.Span.StartPos(); p.Line != 3 || p.Col != 28 {
					t.Errorf("%s: error at %d:%d, want 3:28 (the param call)", em, p.Line, p.Col)
				}
			}
		}
		if !found {
			t.Errorf("%s: no libsandbox-style error: %v", em, out.Diags)
		}
		if !strings.Contains(out.Failed, "first at p.sb:3:28: invalid data type of path filter") {
			t.Errorf("%s: refusal does not name the cause: %s", em, out.Failed)
		}
	}
}

// An unresolved import stops --emit sbpl/json, printed as an error, and the
// refusal says what to do; -I makes it work.
func TestBuildUnresolvedImport(t *testing.T) {
	src := "(version 1)\n(deny default)\n(import \"extra.sb\")\n(allow file-read* (literal \"/a\"))\n"
	// A linter that reports the import as info, like sbplc's.
	soft := func(res *eval.Result) diag.List {
		var ds diag.List
		for _, d := range res.Diags {
			d.Severity = diag.Info
			ds = append(ds, d)
		}
		return ds
	}
	for _, em := range []Emit{EmitSBPL, EmitJSON} {
		out := build(t, src, Options{Emit: em, Lint: soft})
		if out.Data != nil {
			t.Fatalf("%s: wrote %s", em, out.Data)
		}
		want := `import "extra.sb" was not found, so the flattened profile would be incomplete: add -I DIR`
		if !strings.Contains(out.Failed, want) {
			t.Errorf("%s: refusal %q lacks %q", em, out.Failed, want)
		}
		d := findDiag(out.Diags, "import-not-found")
		if d == nil || d.Severity != diag.Error {
			t.Errorf("%s: the import is not reported as an error: %v", em, out.Diags)
		}
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "extra.sb"), []byte("(allow file-read* (literal \"/b\"))\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := build(t, src, Options{Emit: EmitSBPL, Eval: eval.Options{ImportDirs: []string{dir}}})
	if out.Failed != "" || !strings.Contains(string(out.Data), "(literal \"/b\")") {
		t.Errorf("with -I: %q %s", out.Failed, out.Data)
	}
}

// Evaluation errors that the linter reports as warnings are still shown
// as errors, and the refusal names the first.
func TestBuildEvalErrorsPrintedAsErrors(t *testing.T) {
	src := "(version 1)\n(deny default)\n(allow file-read* (subpath 42))\n"
	soft := func(res *eval.Result) diag.List {
		var ds diag.List
		for _, d := range res.Diags {
			d.Severity = diag.Warning
			ds = append(ds, d)
		}
		return ds
	}
	out := build(t, src, Options{Emit: EmitSBPL, Lint: soft})
	if out.Data != nil || !strings.Contains(out.Failed, "the profile has 1 evaluation error (first at p.sb:3:") {
		t.Fatalf("refusal %q", out.Failed)
	}
	if !out.Diags.HasErrors() {
		t.Errorf("the blocking diagnostic is not an error: %v", out.Diags)
	}
}

func TestPlaceholders(t *testing.T) {
	p := &ir.Profile{Rules: []*ir.Rule{
		{Filter: &ir.FilterNode{Kind: ir.Not, Children: []*ir.FilterNode{{Kind: ir.Leaf,
			Args: []ir.Value{{Kind: ir.String, Str: "${HOME}/x"}, {Kind: ir.Filter, Sub: &ir.FilterNode{Kind: ir.Leaf,
				Args: []ir.Value{{Kind: ir.String, Str: "${B}", Params: []string{"B"}}}}}}}}}},
		{Modifiers: []ir.Modifier{{Args: []ir.Value{{Kind: ir.String, Str: "${C}", Params: []string{"C"}}},
			Rules: []*ir.Rule{{Filter: &ir.FilterNode{Args: []ir.Value{{Str: "${A}", Params: []string{"A"}}}}}}}}},
	}}
	if got := strings.Join(Placeholders(p), ","); got != "A,B,C" {
		t.Errorf("Placeholders = %s, want A,B,C (not HOME, which the user wrote)", got)
	}
	if Placeholders(&ir.Profile{}) != nil && len(Placeholders(&ir.Profile{})) != 0 {
		t.Error("empty profile has placeholders")
	}
}

// Guard: over the corpus and the bundled examples, with no params, the
// flattened output never contains ${NAME} for a param the profile asks for,
// unless the user wrote that text in a string (a libsandbox pattern
// variable).
func TestFlattenedOutputHasNoPlaceholders(t *testing.T) {
	type input struct{ name, text string }
	var inputs []input
	ex, _ := filepath.Glob("../examples/*.sb")
	for _, f := range ex {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, input{f, string(b)})
	}
	if es, err := corpus.Load(); err == nil {
		for _, e := range es {
			b, err := e.Read()
			if err != nil {
				t.Fatal(err)
			}
			inputs = append(inputs, input{e.File, string(b)})
		}
	}
	if len(inputs) == 0 {
		t.Skip("no inputs")
	}
	written, withParams := 0, 0
	for _, in := range inputs {
		src := source.NewFile(in.name, []byte(in.text))
		// Which params does it use? (Non-strict evaluation lists them.)
		names := map[string]bool{}
		for _, pu := range eval.Run(src, eval.Options{}).Profile.Params {
			if !pu.Bound {
				names[pu.Name] = true
			}
		}
		for _, em := range []Emit{EmitSBPL, EmitJSON} {
			out, err := Build(src, Options{Emit: em, NoLint: true})
			if err != nil {
				t.Fatalf("%s: %v", in.name, err)
			}
			if out.Data == nil {
				continue
			}
			written++
			if len(names) > 0 {
				withParams++
			}
			for n := range names {
				ph := "${" + n + "}"
				if strings.Contains(string(out.Data), ph) && !strings.Contains(in.text, ph) {
					t.Errorf("%s --emit %s: output contains the placeholder %s", in.name, em, ph)
				}
			}
		}
	}
	if written == 0 || withParams == 0 {
		t.Errorf("guard checked nothing: %d outputs, %d with params", written, withParams)
	}
	t.Logf("%d outputs checked, %d from profiles with unset params", written, withParams)
}

func TestUndecidedGroups(t *testing.T) {
	var r Report
	for i := 0; i < 3; i++ {
		r.undecided("a", "op /a")
	}
	for i := 0; i < maxUndecidedGroups+4; i++ {
		r.undecided(strings.Repeat("r", i+1), "op /r")
	}
	if r.Undecided != 3+maxUndecidedGroups+4 || len(r.UndecidedWhy) != maxUndecidedGroups {
		t.Fatalf("%d undecided in %d groups", r.Undecided, len(r.UndecidedWhy))
	}
	if g := r.UndecidedWhy[0]; g.Reason != "a" || g.Count != 3 || g.Example != "op /a" {
		t.Errorf("first group %+v", g)
	}
	sum := 0
	for _, g := range r.UndecidedWhy {
		sum += g.Count
	}
	if last := r.UndecidedWhy[len(r.UndecidedWhy)-1]; last.Reason != "other reasons" || sum != r.Undecided {
		t.Errorf("last group %+v, sum %d", last, sum)
	}
}

// TestBuildUnverifiedLayout: a blob libsandbox writes on a release whose
// layout sbplc has not confirmed is written with a warning when sbplc
// cannot read it; on a verified layout the same failure stops the build.
func TestBuildUnverifiedLayout(t *testing.T) {
	src := "(version 1)\n(deny default)\n(allow process-fork)\n"
	unverified, ok := bytecode.LookupLayout("macos15")
	if !ok || unverified.Verified {
		t.Skip("no unverified macos15 layout")
	}
	out := build(t, src, Options{Emit: EmitBytecode, Backend: &Fake{Blob: []byte("not a blob")}, Layout: &unverified})
	if out.Failed != "" || string(out.Data) != "not a blob" {
		t.Fatalf("unverified layout: failed %q, data %q", out.Failed, out.Data)
	}
	warned := false
	for _, d := range out.Diags {
		if d.Severity == diag.Warning && strings.Contains(d.Message, "macos15 layout is unverified") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no warning: %v", out.Diags)
	}
	verified := bytecode.DefaultLayout()
	out = build(t, src, Options{Emit: EmitBytecode, Backend: &Fake{Blob: []byte("not a blob")}, Layout: &verified})
	if out.Failed == "" || out.Data != nil {
		t.Errorf("verified layout: failed %q, data %q", out.Failed, out.Data)
	}
}
