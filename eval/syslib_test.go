package eval

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/corpus"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/entitlements"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/source"
	"github.com/sbplc/sbplc/syslib"
	"github.com/sbplc/sbplc/vocab"
)

func errorsOf(res *Result) []string {
	var out []string
	for _, d := range res.Diags {
		if d.Severity == diag.Error {
			out = append(out, d.String())
		}
	}
	return out
}

// TestModelsEvaluate imports every system-profile model on every release
// it exists for: no problem but the incomplete models' one warning, rules
// whose origins point into the model and lead back to the import, and an
// import that says which model stood in.
func TestModelsEvaluate(t *testing.T) {
	for _, name := range syslib.Names() {
		for _, target := range syslib.Targets(name) {
			text := fmt.Sprintf("(version 1)\n(import %q)\n", name)
			if name == "com.apple.corefoundation.sb" {
				text += "(corefoundation)\n"
			}
			res := Run(source.NewFile("m.sb", []byte(text)), Options{Target: target, ReadFile: noFiles})
			for _, d := range res.Diags {
				if d.Severity >= diag.Warning && d.Code != "import-not-found" {
					t.Errorf("%s for %s: %s", name, target, d)
				}
			}
			m, _ := syslib.Lookup(name, target)
			im := res.Profile.Imports[0]
			if !im.Resolved || im.Model != m.Description() || im.Path != m.Src.Name {
				t.Errorf("%s for %s: import %+v", name, target, im)
			}
			if len(res.Profile.Rules) == 0 && len(res.Profile.OpaqueBlocks) == 0 && name != "appsandbox-common.sb" {
				t.Errorf("%s for %s: no rules", name, target)
			}
			for _, r := range res.Profile.Rules {
				if !strings.HasPrefix(r.Origin.Span.Filename(), "<sbplc model of ") || r.Origin.Primary().StartPos().Line < 2 {
					t.Errorf("%s for %s: rule origin %s, primary %s", name, target, r.Origin.Span, r.Origin.Primary())
					break
				}
			}
		}
	}
}

// TestBSDModelMatchesApple compares the model of bsd.sb with Apple's own
// file in the corpus (files-972, whose build placeholder the model fills
// in as the built file has it): the same rules, in the same order.
func TestBSDModelMatchesApple(t *testing.T) {
	e, ok := corpus.Find(corpus.ForTest(t), "apple-oss-distributions__files__usr__share__sandbox__bsd@files-972.sb")
	if !ok {
		t.Skip("bsd.sb is not in the corpus")
	}
	data, err := e.Read()
	if err != nil {
		t.Fatal(err)
	}
	data = []byte(strings.Replace(string(data), "^TO-BE-REPLACED-WITH-TZDIR/", "^/usr/share/zoneinfo /var/db/timezone/zoneinfo/", 1))
	apple := Run(source.NewFile("bsd.sb", data), Options{ReadFile: noFiles, Target: "macos14"})
	model := Run(source.NewFile("m.sb", []byte("(version 1)\n(import \"bsd.sb\")\n")), Options{ReadFile: noFiles, Target: "macos14"})
	if errs := append(errorsOf(apple), errorsOf(model)...); len(errs) > 0 {
		t.Fatal(errs)
	}
	if a, m := Dump(apple.Profile), Dump(model.Profile); a != m {
		t.Errorf("the model of bsd.sb differs from Apple's file:\n--- apple\n%s\n--- model\n%s", a, m)
	}
	if !slices.Equal(apple.Profile.Debug, model.Profile.Debug) {
		t.Errorf("debug %v, model %v", apple.Profile.Debug, model.Profile.Debug)
	}
}

// TestRealFileWins checks that a file on the search path is used instead
// of the model, and that NoSystemModels leaves the import unresolved.
func TestRealFileWins(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/system.sb", []byte("(allow file-read* (literal \"/mine\"))\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	text := []byte("(version 1)\n(import \"system.sb\")\n")
	res := Run(source.NewFile("p.sb", text), Options{ImportDirs: []string{dir}})
	if im := res.Profile.Imports[0]; im.Model != "" || im.Path != dir+"/system.sb" || len(res.Profile.Rules) != 1 {
		t.Errorf("import %+v, %d rules", im, len(res.Profile.Rules))
	}
	res = Run(source.NewFile("p.sb", text), Options{ReadFile: noFiles, NoSystemModels: true})
	if im := res.Profile.Imports[0]; im.Resolved || im.Model != "" {
		t.Errorf("NoSystemModels: import %+v", im)
	}
}

// TestModelOnlyProcedures checks that the models' own procedures are
// unbound in a user's profile.
func TestModelOnlyProcedures(t *testing.T) {
	for _, call := range []string{`(%sbplc-os>= "14")`, `(%sbplc-unknown-rules "x")`} {
		res := Run(source.NewFile("p.sb", []byte("(version 1)\n"+call+"\n")), Options{})
		errs := errorsOf(res)
		if len(errs) != 1 || !strings.Contains(errs[0], "unbound variable: %sbplc-") || len(res.Profile.OpaqueBlocks) != 0 {
			t.Errorf("%s: %q", call, errs)
		}
	}
}

// TestIncompleteModel checks the App Sandbox model on macOS 14: a bundle
// whose rules are unknown is an opaque block where it is called (the rest
// of the statement is known), a name the model lacks makes its statement
// an opaque block instead of an error, and both are listed on one warning
// that names the model and how to supply the real file. expand writes
// the blocks as comments.
func TestIncompleteModel(t *testing.T) {
	text := `(version 1)
(deny default)
(import "system.sb")
(import "appsandbox-common.sb")
(when #t (webkit-support) (allow file-read* (literal "/after")))
(allow file-read* (select-filter "/x/"))
(allow file-write* (home-subpath "/Documents"))
`
	res := Run(source.NewFile("a.sb", []byte(text)), Options{Target: "macos14", ReadFile: noFiles, Params: map[string]string{"_HOME": "/Users/u"}})
	if errs := errorsOf(res); len(errs) > 0 {
		t.Fatal(errs)
	}
	var blocks []string
	for _, b := range res.Profile.OpaqueBlocks {
		blocks = append(blocks, fmt.Sprintf("%s@%d line %d", b.Name, b.Index, b.Origin.Primary().StartPos().Line))
		if b.Model != "sbplc's model of appsandbox-common.sb for macOS 14" {
			t.Errorf("block model %q", b.Model)
		}
	}
	n := len(res.Profile.Rules)
	if want := fmt.Sprintf("[webkit-support@%d line 5 select-filter@%d line 6]", n-2, n-1); fmt.Sprint(blocks) != want {
		t.Errorf("blocks %v, want %s", blocks, want)
	}
	var warns []string
	for _, p := range res.Problems {
		if nf, ok := p.(*ImportNotFound); ok {
			warns = append(warns, fmt.Sprint(nf.Name, " ", nf.Model, " ", len(nf.Uses)))
			d := nf.Diagnostic()
			if !strings.Contains(strings.Join(d.Notes, "\n"), "pass -I DIR with a directory holding a copy of appsandbox-common.sb") || d.Span.StartPos().Line != 4 {
				t.Errorf("warning %s %q", d, d.Notes)
			}
		}
	}
	if fmt.Sprint(warns) != "[appsandbox-common.sb sbplc's model of appsandbox-common.sb for macOS 14 2]" {
		t.Errorf("warnings %v", warns)
	}
	out := FormatSBPL(res.Profile)
	for _, want := range []string{
		";; unknown rules: sbplc's model of appsandbox-common.sb for macOS 14 does not know what (webkit-support) allows\n(allow file-read* (literal \"/after\"))",
		";; unknown rules: select-filter is not defined; sbplc's model of appsandbox-common.sb for macOS 14, which stands in for \"appsandbox-common.sb\", may lack it",
		`(allow file-write* (subpath "/Users/u/Documents"))`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("expand lacks %q:\n%s", want, out)
		}
	}
}

// TestTinySchemeLeniency checks the forms TinyScheme accepts that real
// profiles use: a procedure without a body, (if c) and a one-armed if
// whose test fails, all giving '(), which is true.
func TestTinySchemeLeniency(t *testing.T) {
	text := `(version 1)
(define (f))
(define (trace-path path))
(define g (lambda ()))
(if (null? (f)) (allow file-read* (literal "/a")))
(if (null? (g)) (allow file-read* (literal "/b")))
(if (null? (if #f 1)) (allow file-read* (literal "/c")))
(if (null? (if #t)) (allow file-read* (literal "/d")))
(if (if #f #f) (allow file-read* (literal "/e")))
(trace-path "/x")
`
	res := Run(source.NewFile("l.sb", []byte(text)), Options{})
	if errs := errorsOf(res); len(errs) > 0 {
		t.Fatal(errs)
	}
	if n := len(res.Profile.Rules); n != 5 {
		t.Errorf("%d rules, want 5:\n%s", n, FormatSBPL(res.Profile))
	}
}

// TestReleaseLibrary checks names bound on some releases only.
func TestReleaseLibrary(t *testing.T) {
	split := `(version 1)(allow file-read* (apply subpath (split-string "/a:/b::/c" ":")))`
	res := Run(source.NewFile("s.sb", []byte(split)), Options{Target: "macos10.15"})
	if errs := errorsOf(res); len(errs) > 0 || !strings.Contains(FormatSBPL(res.Profile), `(subpath "/a" "/b" "" "/c")`) {
		t.Errorf("10.15 split-string: %v\n%s", errs, FormatSBPL(res.Profile))
	}
	res = Run(source.NewFile("s.sb", []byte(split)), Options{Target: "macos14"})
	if errs := errorsOf(res); len(errs) != 1 || !strings.Contains(errs[0], "unbound variable: split-string") {
		t.Errorf("14 split-string: %v", errs)
	}
	// On 14 appsandbox-common.sb defines it, with the same results.
	res = Run(source.NewFile("s.sb", []byte(`(import "appsandbox-common.sb")`+split)), Options{Target: "macos14", ReadFile: noFiles})
	if errs := errorsOf(res); len(errs) > 0 || !strings.Contains(FormatSBPL(res.Profile), `(subpath "/a" "/b" "" "/c")`) {
		t.Errorf("14 model split-string: %v\n%s", errs, FormatSBPL(res.Profile))
	}
	ver := `(version 1)(if (sbpl-version-compatible? 1) (allow file-read*))(if (sbpl-version-compatible? 2) (allow file-write*))`
	res = Run(source.NewFile("v.sb", []byte(ver)), Options{Target: "macos14"})
	if errs := errorsOf(res); len(errs) > 0 || len(res.Profile.Rules) != 1 {
		t.Errorf("sbpl-version-compatible?: %v, %d rules", errs, len(res.Profile.Rules))
	}
	res = Run(source.NewFile("v.sb", []byte(ver)), Options{Target: "macos10.15"})
	if errs := errorsOf(res); len(errs) != 2 || !strings.Contains(errs[0], "unbound variable: sbpl-version-compatible?") {
		t.Errorf("sbpl-version-compatible? on 10.15: %v", errs)
	}
	params := `(version 1)(allow file-read* (literal (cdr (assoc "A" *params*))))`
	res = Run(source.NewFile("p.sb", []byte(params)), Options{Params: map[string]string{"A": "/a", "B": "/b"}})
	if errs := errorsOf(res); len(errs) > 0 || !strings.Contains(FormatSBPL(res.Profile), `(literal "/a")`) {
		t.Errorf("*params*: %v", errs)
	}
}

// TestImportPath checks that *import-path* is #f in the main profile and
// the imported file's path while an import runs (macOS 14 on).
func TestImportPath(t *testing.T) {
	read := func(string) ([]byte, error) {
		return []byte(`(if *import-path* (allow file-read* (literal *import-path*)))`), nil
	}
	text := "(version 1)\n(if *import-path* (allow file-write*))\n(import \"/lib/x.sb\")\n"
	res := Run(source.NewFile("/p/p.sb", []byte(text)), Options{Target: "macos14", ReadFile: read})
	if errs := errorsOf(res); len(errs) > 0 || strings.TrimSpace(FormatSBPL(res.Profile)) != "(version 1)\n(allow file-read* (literal \"/lib/x.sb\"))" {
		t.Errorf("%v\n%s", errs, FormatSBPL(res.Profile))
	}
	res = Run(source.NewFile("/p/p.sb", []byte(text)), Options{Target: "macos10.15", ReadFile: read})
	if errs := errorsOf(res); len(errs) != 2 || !strings.Contains(errs[0], "unbound variable: *import-path*") {
		t.Errorf("10.15: %v", errs)
	}
}

// TestEntitlementsBound checks *entitlements* as libsandbox binds it
// (values keep their types: booleans, strings, lists, alists), unbound
// without entitlements, and the keys the profile tests.
func TestEntitlementsBound(t *testing.T) {
	set := &entitlements.Set{Entries: []entitlements.Entry{
		{Key: "a.bool", Value: entitlements.True},
		{Key: "b.list", Value: entitlements.Value{Kind: entitlements.Array, List: []entitlements.Value{{Kind: entitlements.String, Str: "/x"}, {Kind: entitlements.String, Str: "/y"}}}},
		{Key: "c.dict", Value: entitlements.Value{Kind: entitlements.Dict, Dict: []entitlements.Entry{{Key: "*", Value: entitlements.True}}}},
	}}
	text := `(version 1)
(define (entitlement k) (let ((e (assoc k *entitlements*))) (if e (cdr e) #f)))
(when (entitlement "a.bool") (allow file-read* (literal "/a")))
(when (entitlement "missing") (allow file-read* (literal "/missing")))
(for-each (lambda (p) (allow file-write* (literal p))) (entitlement "b.list"))
(when (assoc "*" (entitlement "c.dict")) (allow appleevent-send))
(allow mach-lookup (require-entitlement "d.runtime"))
`
	res := Run(source.NewFile("e.sb", []byte(text)), Options{Entitlements: set})
	if errs := errorsOf(res); len(errs) > 0 {
		t.Fatal(errs)
	}
	if n := len(res.Profile.Rules); n != 5 {
		t.Errorf("%d rules:\n%s", n, FormatSBPL(res.Profile))
	}
	var keys []string
	for _, u := range res.Entitlements {
		keys = append(keys, fmt.Sprintf("%s:%d:%v", u.Key, u.At.StartPos().Line, u.Runtime))
	}
	if fmt.Sprint(keys) != "[a.bool:3:false missing:4:false b.list:5:false c.dict:6:false d.runtime:7:true]" {
		t.Errorf("keys %v", keys)
	}
	res = Run(source.NewFile("e.sb", []byte(text)), Options{})
	if errs := errorsOf(res); len(errs) == 0 || !strings.Contains(errs[0], "unbound variable: *entitlements*") {
		t.Errorf("without entitlements: %v", errs)
	}
}

// TestModelsOnEveryTarget makes sure every known release has a system.sb
// model, so Apple's daemon profiles evaluate for each.
func TestModelsOnEveryTarget(t *testing.T) {
	for _, tg := range vocab.Targets() {
		if _, ok := syslib.Lookup("system.sb", tg.Name); !ok {
			t.Errorf("no system.sb model for %s", tg.Name)
		}
	}
}

// appSandboxSized is the test App Sandbox profile grown to the size of
// Apple's application.sb (about 1,500 lines): the profile, then 120
// entitlement-gated blocks in its style. ents holds every other key.
func appSandboxSized(tb testing.TB) (*source.File, *entitlements.Set) {
	data, err := os.ReadFile("../cmd/sbplc/testdata/entitlements/app-sandbox.sb")
	if err != nil {
		tb.Fatal(err)
	}
	var b strings.Builder
	b.Write(data)
	set := &entitlements.Set{}
	for i := range 120 {
		key := fmt.Sprintf("com.example.capability-%d", i)
		fmt.Fprintf(&b, `
(when (entitlement %q)
  (allow mach-lookup (global-name "com.example.service-%d" "com.example.agent-%d"))
  (read-write-and-issue-extensions (home-subpath "/Library/Example/%d"))
  (allow user-preference-read (preference-domain "com.example.prefs-%d"))
  (allow iokit-open-user-client (iokit-user-client-class "ExampleClient%d")))
(sandbox-array-entitlement %q
  (lambda (p) (read-only-and-issue-extensions (literal p))))
`, key, i, i, i, i, i, key+".paths")
		if i%2 == 0 {
			set = set.With(key, entitlements.True)
			set = set.With(key+".paths", entitlements.Value{Kind: entitlements.Array, List: []entitlements.Value{{Kind: entitlements.String, Str: "/opt/x"}}})
		}
	}
	return source.NewFile("application-sized.sb", []byte(b.String())), set
}

// BenchmarkAppSandboxExpansion evaluates an application.sb-sized App
// Sandbox profile with the App Sandbox parameters and entitlements, on
// macOS 14 (system.sb and appsandbox-common.sb from sbplc's model).
func BenchmarkAppSandboxExpansion(b *testing.B) {
	src, set := appSandboxSized(b)
	opts := Options{Target: "macos14", ReadFile: noFiles, Entitlements: set, Params: syslib.AppSandboxParams("/Users/user", "com.example.app")}
	res := Run(src, opts)
	if errs := errorsOf(res); len(errs) > 0 || len(res.Profile.Rules) < 500 {
		b.Fatalf("%v, %d rules", errs, len(res.Profile.Rules))
	}
	b.ResetTimer()
	for range b.N {
		Run(src, opts)
	}
	b.ReportMetric(float64(strings.Count(string(src.Text), "\n")), "lines")
}

// TestSystemModelInFlattenedAppSandbox checks the system.sb model against
// an independent source: simbple's flattening of the 10.14.6 App Sandbox
// profile (in the corpus), which holds the system.sb rules application.sb
// imports. Every string the 10.15 model's unconditional rules name is in
// it, except the additions the facts date to 10.15.
func TestSystemModelInFlattenedAppSandbox(t *testing.T) {
	e, ok := corpus.Find(corpus.ForTest(t), "0xbf00__macos-sandbox-coverage__data__generic_profiles__10.14.6-18G4032.sb")
	if !ok {
		t.Skip("the flattened App Sandbox profile is not in the corpus")
	}
	flat, err := e.Read()
	if err != nil {
		t.Fatal(err)
	}
	added1015 := map[string]bool{
		"com.apple.analyticsd": true, "com.apple.analyticsd.messagetracer": true,
		"/Library/Apple/System": true, "/Library/Apple/System/Library/Frameworks": true,
		"/Library/Apple/System/Library/PrivateFrameworks": true, "/usr/local/lib/sanitizers": true,
		"/private/etc/protocols": true, "/private/etc/services": true,
		// (path-ancestors "/System/Volumes/Data/private")
		"/System/Volumes": true, "/System/Volumes/Data": true,
	}
	res := Run(source.NewFile("m.sb", []byte("(version 1)\n(import \"system.sb\")\n")), Options{Target: "macos10.15", ReadFile: noFiles})
	var missing []string
	checked := 0
	var walk func(n *ir.FilterNode)
	walk = func(n *ir.FilterNode) {
		if n == nil {
			return
		}
		for _, a := range n.Args {
			if a.Kind == ir.String && a.Str != "" && a.Str != "/" && !added1015[a.Str] {
				checked++
				if !strings.Contains(string(flat), strconv.Quote(a.Str)) {
					missing = append(missing, a.Str)
				}
			}
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	for _, r := range res.Profile.Rules {
		walk(r.Filter)
	}
	if checked < 40 || len(missing) > 0 {
		t.Errorf("%d strings checked; not in the 10.14.6 flattening: %q", checked, missing)
	}
}
