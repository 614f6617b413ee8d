package lint_test

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/sbplc/sbplc/config"
	"github.com/sbplc/sbplc/corpus"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/eval"
	"github.com/sbplc/sbplc/lint"
	"github.com/sbplc/sbplc/source"
)

// applyFixes applies the first fix of every finding with code (edits must
// not overlap) and returns the new text.
func applyFixes(t *testing.T, text string, ds diag.List, code string) string {
	t.Helper()
	var edits []diag.Edit
	for _, d := range ds {
		if d.Code == code && len(d.Fixes) > 0 {
			edits = append(edits, d.Fixes[0].Edits...)
		}
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].Span.Start > edits[j].Span.Start })
	out := text
	for _, e := range edits {
		out = out[:e.Span.Start] + e.NewText + out[e.Span.End:]
	}
	return out
}

func TestFixes(t *testing.T) {
	for _, tc := range []struct{ code, in, want string }{
		{"unresolved-symlink-path", `(allow file-write* (subpath "/tmp/x") (regex #"^/var/db/"))`, `(allow file-write* (subpath "/private/tmp/x") (regex #"^/private/var/db/"))`},
		{"subpath-trailing-slash", `(allow file-write* (subpath "/private/tmp/a/"))`, `(allow file-write* (subpath "/private/tmp/a"))`},
		{"non-canonical-path", `(deny file-read* (subpath "/private/tmp/a/../b//c"))`, `(deny file-read* (subpath "/private/tmp/b/c"))`},
		{"regex-unanchored", `(allow file-write* (regex #"/private/tmp/x/"))`, `(allow file-write* (regex #"^/private/tmp/x/"))`},
		{"non-sbpl-string-escape", `(allow file-read* (regex "^/a\.b$"))`, `(allow file-read* (regex "^/a\\.b$"))`},
		{"unknown-operation", `(allow file-write-creat (subpath "/private/tmp"))`, `(allow file-write-create (subpath "/private/tmp"))`},
		{"remote-host-not-allowed", `(allow network-outbound (remote tcp "127.0.0.1:80"))`, `(allow network-outbound (remote tcp "localhost:80"))`},
		{"malformed-network-address", `(allow network-outbound (remote tcp "localhost"))`, `(allow network-outbound (remote tcp "localhost:*"))`},
		{"implicit-preamble-allows", "(allow file-read* (subpath \"/usr\"))", "(deny file-link file-clone)\n(allow file-read* (subpath \"/usr\"))"},
		{"unused-ignore", "(allow file-read* (subpath \"/usr\")) ; sbplc:ignore hardcoded-home x\n", "(allow file-read* (subpath \"/usr\"))\n"},
		{"unused-ignore", "; sbplc:ignore hardcoded-home x\n(allow file-read* (subpath \"/usr\"))\n", "(allow file-read* (subpath \"/usr\"))\n"},
	} {
		in := "(version 1)\n(deny default)\n" + tc.in
		ds := lintText(t, "fix.sb", in, lint.Options{})
		got := applyFixes(t, in, ds, tc.code)
		if want := "(version 1)\n(deny default)\n" + tc.want; got != want {
			t.Errorf("%s fix:\n got %s\nwant %s", tc.code, got, want)
		}
		// A "write X" title names the whole replacement, as it reads in
		// the fixed text.
		for _, d := range ds {
			for _, f := range d.Fixes {
				if d.Code != tc.code || !strings.HasPrefix(f.Title, "write ") {
					continue
				}
				if q := strings.TrimPrefix(f.Title, "write "); !strings.HasPrefix(q, "\"") || !strings.Contains(got, q) {
					t.Errorf("%s: fix title %q does not quote the replacement found in %s", tc.code, f.Title, got)
				}
			}
		}
		// The fixed text no longer triggers the rule.
		if left := codes(lintText(t, "fixed.sb", got, lint.Options{}), tc.code); len(left) > 0 {
			t.Errorf("%s still fires after its fix: %v", tc.code, left)
		}
	}
	// missing-version inserts the form at the top.
	in := "(deny default)\n"
	got := applyFixes(t, in, lintText(t, "v.sb", in, lint.Options{}), "missing-version")
	if got != "(version 1)\n(deny default)\n" {
		t.Errorf("missing-version fix = %q", got)
	}
	// No fix when the value is not a plain literal in the file.
	in = "(version 1)\n(deny default)\n(allow file-write* (subpath (string-append \"/tm\" \"p/x\")))\n"
	for _, d := range lintText(t, "nf.sb", in, lint.Options{}) {
		if d.Code == "unresolved-symlink-path" && len(d.Fixes) > 0 {
			t.Errorf("fix offered for a computed value: %v", d.Fixes)
		}
	}
}

func parseCfg(t *testing.T, text string) *config.Config {
	t.Helper()
	c, err := config.Parse("/p/.sbplc.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestConfigSelection(t *testing.T) {
	src := source.NewFile("/p/a.sb", []byte("(version 1)\n(deny default)\n(allow file-write* (subpath \"/tmp\"))\n(setenv \"X\" \"1\")\n"))
	count := func(ds diag.List, code string) (int, diag.Severity) {
		n, s := 0, diag.Info
		for _, d := range ds {
			if d.Code == code {
				n++
				s = d.Severity
			}
		}
		return n, s
	}
	ds, _ := lint.File(src, nil, lint.Options{})
	if n, s := count(ds, "unresolved-symlink-path"); n != 1 || s != diag.Error {
		t.Fatalf("default: %d %v", n, s)
	}
	ds, _ = lint.File(src, parseCfg(t, "rules:\n  unresolved-symlink-path: info\n  unbound-identifier: warning\n"), lint.Options{})
	if n, s := count(ds, "unresolved-symlink-path"); n != 1 || s != diag.Info {
		t.Errorf("configured level: %d %v", n, s)
	}
	if n, s := count(ds, "unbound-identifier"); n != 1 || s != diag.Warning {
		t.Errorf("configured level of an evaluator finding: %d %v", n, s)
	}
	ds, _ = lint.File(src, parseCfg(t, "rules:\n  paths: {}\n  unbound-identifier: off\n"), lint.Options{Disable: []string{"paths"}})
	if n, _ := count(ds, "unresolved-symlink-path"); n != 0 {
		t.Errorf("--disable paths left %d findings", n)
	}
	if n, _ := count(ds, "unbound-identifier"); n != 0 {
		t.Errorf("disabled evaluator finding still reported")
	}
	ds, _ = lint.File(src, parseCfg(t, "rules:\n  unresolved-symlink-path:\n    ignore: [\"a.sb\"]\n"), lint.Options{})
	if n, _ := count(ds, "unresolved-symlink-path"); n != 0 {
		t.Errorf("per-rule ignore glob not applied")
	}
	// --disable is applied after --enable: "all" wins over a named rule.
	ds, _ = lint.File(src, nil, lint.Options{Enable: []string{"implicit-default"}, Disable: []string{"all"}})
	for _, d := range ds {
		if _, isRule := lint.Lookup(d.Code); isRule {
			t.Errorf("rule finding with every rule disabled: %v", d)
		}
	}
	ds, _ = lint.File(src, nil, lint.Options{Enable: []string{"style"}})
	if n, _ := count(ds, "implicit-default"); n != 0 {
		t.Errorf("implicit-default fired on a profile with (deny default)")
	}
	if errs := lint.Validate(parseCfg(t, "target: macos99\nrules:\n  no-such: off\n"), lint.Options{Enable: []string{"escape,nope"}}); len(errs) != 3 {
		t.Errorf("Validate = %v", errs)
	}
}

func TestTargetTable(t *testing.T) {
	text := "(version 1)\n(deny default)\n(allow file-graft (subpath \"/private/tmp\"))\n"
	if got := codes(lintText(t, "t.sb", text, lint.Options{}), "unknown-operation"); len(got) != 0 {
		t.Errorf("newest-known target: %v", got)
	}
	got := codes(lintText(t, "t.sb", text, lint.Options{Target: "macos14"}), "unknown-operation")
	if len(got) != 1 || !strings.Contains(got[0], "3:8: error: operation file-graft is not in the macos14 operation table") {
		t.Errorf("--target macos14: %v", got)
	}
	// The evaluator's op-not-on-target for the same name is not repeated.
	tg := "(version 1)\n(deny default)\n(allow iokit-open-user-client)\n"
	ds := lintText(t, "tg.sb", tg, lint.Options{Target: "macos10.15", Eval: eval.Options{Target: "macos10.15"}})
	if dup := codes(ds, "op-not-on-target"); len(dup) > 0 || len(codes(ds, "unknown-operation")) != 1 {
		t.Errorf("want one unknown-operation and no op-not-on-target: %v", ds)
	}
}

// TestUnboundParamSeverity: unbound-param is a warning whether or not
// params were given (the evaluator's severity in every command); with
// other params given, a note names them.
func TestUnboundParamSeverity(t *testing.T) {
	text := "(version 1)\n(deny default)\n(allow file-write* (subpath (param \"PROJECT\")))\n"
	find := func(opts lint.Options) diag.Diagnostic {
		for _, d := range lintText(t, "p.sb", text, opts) {
			if d.Code == "unbound-param" {
				return d
			}
		}
		t.Fatal("no unbound-param finding")
		return diag.Diagnostic{}
	}
	if d := find(lint.Options{}); d.Severity != diag.Warning || strings.Contains(strings.Join(d.Notes, "\n"), "params were given") {
		t.Errorf("without -D: %v %q", d.Severity, d.Notes)
	}
	d := find(lint.Options{ParamsGiven: true, Eval: eval.Options{Params: map[string]string{"OTHER": "x"}}})
	if d.Severity != diag.Warning || !strings.Contains(strings.Join(d.Notes, "\n"), "params were given (OTHER) but not PROJECT: add -D PROJECT=VALUE") {
		t.Errorf("with -D: %v %q", d.Severity, d.Notes)
	}
}

func TestBoundParamsReachProbes(t *testing.T) {
	text := "(version 1)\n(deny default)\n(allow file-read* (subpath (param \"DIR\")))\n"
	opts := lint.Options{Eval: eval.Options{Params: map[string]string{"DIR": "/Users/bob"}}, Home: "/Users/bob"}
	if got := codes(lintText(t, "p.sb", text, opts), "readable-ssh-keys"); len(got) != 1 || !strings.Contains(got[0], "/Users/bob/.ssh/id_rsa") {
		t.Errorf("probe through a bound param: %v", got)
	}
	opts.Eval.Params["DIR"] = "/tmp/x"
	if got := codes(lintText(t, "p.sb", text, opts), "unresolved-symlink-path"); len(got) != 1 {
		t.Errorf("/tmp through a bound param: %v", got)
	}
}

func TestRunConcurrentAndDeterministic(t *testing.T) {
	es := corpus.ForTest(t)
	big := corpus.Largest(es, 3, "profile")
	var srcs []*source.File
	for _, e := range big {
		b, err := e.Read()
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, source.NewFile(e.File, b))
	}
	want := make([]string, len(srcs))
	for i, s := range srcs {
		ds, _ := lint.File(s, nil, lint.Options{})
		want[i] = fmt.Sprint(ds)
	}
	var wg sync.WaitGroup
	for k := 0; k < 4; k++ {
		for i, s := range srcs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ds, _ := lint.File(s, nil, lint.Options{})
				if got := fmt.Sprint(ds); got != want[i] {
					t.Errorf("%s: concurrent run differs", s.Name)
				}
			}()
		}
	}
	wg.Wait()
}

func TestRunWithoutFile(t *testing.T) {
	// Run must tolerate an empty result (no syntax tree, no profile).
	if ds := lint.Run(&eval.Result{}, nil, lint.Options{}); len(ds) != 0 {
		t.Errorf("empty result: %v", ds)
	}
	ds := lint.Run(&eval.Result{}, nil, lint.Options{NoEvalDiags: true})
	if len(ds) != 0 {
		t.Errorf("%v", ds)
	}
}

func TestNoEvalDiags(t *testing.T) {
	text := "(version 1)\n(deny default)\n(allow file-read* (subpath \"/usr\")\n"
	ds, res := lint.File(source.NewFile("s.sb", []byte(text)), nil, lint.Options{NoEvalDiags: true})
	if len(res.Diags) == 0 {
		t.Fatal("expected a syntax error from the parser")
	}
	for _, d := range ds {
		if d.Code == res.Diags[0].Code {
			t.Errorf("evaluation diagnostic included with NoEvalDiags: %v", d)
		}
	}
}

func FuzzLint(f *testing.F) {
	for _, s := range []string{
		"(version 1)\n(deny default)\n(allow file-write* (subpath \"/tmp\"))",
		"(allow file-read* (regex #\"^/(a|b\"))",
		"; sbplc:ignore-file x\n(deny file-read* (literal \"~/x\")) ; sbplc:ignore ,,, \n",
		"(define (f p) (subpath p))(allow file-read* (f \"/var/../x/\"))(allow network-outbound (remote ip \"h:99999\"))",
		"(deny default)(allow default)(allow mach-lookup)(deny mach-lookup (global-name-regex #\".*\"))",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		src := source.NewFile("fuzz.sb", []byte(text))
		ds, _ := lint.File(src, nil, lint.Options{Enable: []string{"all"}})
		for _, d := range ds {
			if d.Code == "lint-internal-error" {
				t.Fatalf("internal error: %v\n%s", d, strings.Join(d.Notes, "\n"))
			}
			if d.Span.IsValid() && (d.Span.Start < 0 || d.Span.End > len(d.Span.File.Text) || d.Span.Start > d.Span.End) {
				t.Fatalf("bad span %v", d)
			}
			for _, fx := range d.Fixes {
				for _, e := range fx.Edits {
					if e.Span.File != src || e.Span.Start < 0 || e.Span.End > len(text) || e.Span.Start > e.Span.End {
						t.Fatalf("bad fix edit %+v in %v", e, d)
					}
				}
			}
		}
	})
}

func TestSuppressionOfDisabledRuleIsNotUnused(t *testing.T) {
	text := "(version 1)\n(deny default)\n(allow file-read* (subpath \"/usr\")) ; sbplc:ignore hardcoded-home kept for other configs\n"
	ds, _ := lint.File(source.NewFile("s.sb", []byte(text)), nil, lint.Options{Disable: []string{"hardcoded-home"}})
	if got := codes(ds, "unused-ignore"); len(got) != 0 {
		t.Errorf("suppression of a disabled rule reported: %v", got)
	}
	ds, _ = lint.File(source.NewFile("s.sb", []byte(text)), nil, lint.Options{})
	if got := codes(ds, "unused-ignore"); len(got) != 1 {
		t.Errorf("unused suppression of an enabled rule: %v", got)
	}
	// The suppression comment must start the comment: prose mentioning it is not one.
	text = "(version 1)\n(deny default)\n(allow file-write* (subpath \"/tmp\")) ; see sbplc:ignore unresolved-symlink-path docs\n"
	ds, _ = lint.File(source.NewFile("s.sb", []byte(text)), nil, lint.Options{})
	if got := codes(ds, "unresolved-symlink-path"); len(got) != 1 {
		t.Errorf("prose suppressed a finding: %v", got)
	}
}

// TestProbeFindingsIndependentOfAllowDefault: the probe rules report the
// probes an (allow default) opens whether or not allow-default is enabled
// (one rule's findings never depend on another's selection), and
// allow-default's note names them.
func TestProbeFindingsIndependentOfAllowDefault(t *testing.T) {
	text := "(version 1)\n(allow default)\n"
	probeFindings := func(ds diag.List) []string {
		var out []string
		for _, d := range ds {
			if d.Code != "allow-default" {
				out = append(out, d.String())
			}
		}
		return out
	}
	on := lintText(t, "d.sb", text, lint.Options{})
	var notes string
	for _, d := range on {
		if d.Code == "allow-default" {
			notes = strings.Join(d.Notes, "\n")
		}
	}
	if !strings.Contains(notes, "writable-launch-agents") || !strings.Contains(notes, "readable-ssh-keys") {
		t.Errorf("allow-default note does not list the open vectors: %q", notes)
	}
	if len(codes(on, "writable-launch-agents")) != 1 || len(codes(on, "readable-ssh-keys")) != 1 {
		t.Errorf("probe rules do not report the (allow default) line:\n%s", strings.Join(probeFindings(on), "\n"))
	}
	off := lintText(t, "d.sb", text, lint.Options{Disable: []string{"allow-default"}})
	if a, b := strings.Join(probeFindings(on), "\n"), strings.Join(probeFindings(off), "\n"); a != b {
		t.Errorf("probe findings depend on allow-default:\non:\n%s\noff:\n%s", a, b)
	}
}

// TestSecretsGroupedPerRule: one broad allow that opens several secrets
// categories gives one finding listing them (the most severe rule's ID),
// and suppressing one category keeps the others.
func TestSecretsGroupedPerRule(t *testing.T) {
	text := "(version 1)\n(deny default)\n(allow file-read* (subpath \"/Users\"))\n"
	var secrets []diag.Diagnostic
	for _, d := range lintText(t, "s.sb", text, lint.Options{}) {
		if r, ok := lint.Lookup(d.Code); ok && r.Category == lint.Secrets {
			secrets = append(secrets, d)
		}
	}
	if len(secrets) != 1 || secrets[0].Severity != diag.Warning || secrets[0].Code != "readable-ssh-keys" ||
		!strings.Contains(secrets[0].Message, "kinds of secrets readable: SSH private keys, cloud and cluster credentials") ||
		len(secrets[0].Notes) < 3 || !strings.HasPrefix(secrets[0].Notes[0], "[readable-ssh-keys] this rule allows file-read-data of /Users/user/.ssh/id_rsa") {
		t.Fatalf("grouped: %v", secrets)
	}
	text = "(version 1)\n(deny default)\n(allow file-read* (subpath \"/Users\")) ; sbplc:ignore readable-ssh-keys -- test\n"
	for _, d := range lintText(t, "s.sb", text, lint.Options{}) {
		if d.Code == "readable-ssh-keys" || strings.Contains(d.Message, "SSH private keys") {
			t.Errorf("suppressed category still reported: %v", d)
		}
	}
}

// TestUnboundAfterMissingImportHasOneNote: the evaluator already says the
// unresolved import may define a misspelt name; lint adds no second note.
// A name that is no plausible typo is no finding at all: its statement is
// an opaque block, listed on the import's one warning.
func TestUnboundAfterMissingImportHasOneNote(t *testing.T) {
	text := "(version 1)\n(import \"nowhere.sb\")\n(deny default)\n(allow file-read* (literal (lenght \"/x\")))\n(allow file-read* (literal helper-path))\n(helper-rules)\n"
	var unbound, imports []diag.Diagnostic
	for _, d := range lintText(t, "u.sb", text, lint.Options{}) {
		switch d.Code {
		case "unbound-identifier":
			unbound = append(unbound, d)
		case "import-not-found":
			imports = append(imports, d)
		}
	}
	if len(unbound) != 1 || unbound[0].Span.StartPos().Line != 4 || unbound[0].Severity != diag.Warning {
		t.Fatalf("unbound-identifier findings: %v", unbound)
	}
	n := 0
	for _, note := range unbound[0].Notes {
		if strings.Contains(note, "-I DIR") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d import notes: %q", n, unbound[0].Notes)
	}
	if len(imports) != 1 || imports[0].Severity != diag.Warning || len(imports[0].Related) != 2 ||
		imports[0].Related[0].Span.StartPos().Line != 5 || imports[0].Related[1].Span.StartPos().Line != 6 {
		t.Errorf("import-not-found: %v %+v", imports, imports)
	}
}

// TestSuggestRuleID: unknown rule IDs get the spell package's suggestion;
// a name far from every rule gets none rather than an unrelated one
// ("security" used to be answered with "arity").
func TestSuggestRuleID(t *testing.T) {
	for in, want := range map[string]string{
		"hardcoded-hmoe":   "hardcoded-home",
		"Allow-Default":    "allow-default",
		"readable-ssh-key": "readable-ssh-keys",
		"security":         "",
		"unfiltered-write": "",
	} {
		if got := lint.Suggest(in); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", in, got, want)
		}
	}
	errs := lint.Validate(parseCfg(t, "rules:\n  security-rule: off\n  shadowed-rul: off\n"), lint.Options{})
	if len(errs) != 2 || !strings.HasSuffix(errs[0].Error(), `unknown rule "security-rule"; see 'sbplc rules' [config]`) ||
		!strings.HasSuffix(errs[1].Error(), `unknown rule "shadowed-rul"; did you mean shadowed-rule? [config]`) {
		t.Errorf("Validate = %v", errs)
	}
}

// TestEscapeVectorsGroupedPerRule: an (allow default) opens some twenty
// escape vectors; they are one finding on its line (each rule's message a
// note), not twenty, and an ignore comment still takes one of them out.
func TestEscapeVectorsGroupedPerRule(t *testing.T) {
	text := "(version 1)\n(allow default)\n"
	var onLine []diag.Diagnostic
	for _, d := range lintText(t, "g.sb", text, lint.Options{}) {
		if d.Span.StartPos().Line == 2 {
			onLine = append(onLine, d)
		}
	}
	var grouped *diag.Diagnostic
	for i, d := range onLine {
		if strings.Contains(d.Message, "escape vectors:") {
			grouped = &onLine[i]
		}
	}
	if len(onLine) > 4 || grouped == nil {
		t.Fatalf("%d findings on the (allow default) line, want the grouped ones:\n%v", len(onLine), onLine)
	}
	has := func(d *diag.Diagnostic, id string) bool {
		for _, n := range d.Notes {
			if strings.HasPrefix(n, "["+id+"] ") {
				return true
			}
		}
		return false
	}
	if !has(grouped, "writable-shell-startup") || !has(grouped, "launchservices-open") {
		t.Errorf("grouped finding lacks rules: %v", grouped.Notes)
	}
	for _, d := range lintText(t, "g.sb", "(version 1)\n; sbplc:ignore writable-shell-startup tested elsewhere\n(allow default)\n", lint.Options{}) {
		if d.Code == "unused-ignore" || strings.Contains(d.Message, "escape vectors") && has(&d, "writable-shell-startup") {
			t.Errorf("suppressed rule still grouped, or the ignore looks unused: %v", d)
		}
	}
}

// TestImportNotFoundNote: the note for a system profile names options
// that exist (issue 12, item 12: it named a --system-dirs flag).
func TestImportNotFoundNote(t *testing.T) {
	for _, d := range lintText(t, "i.sb", "(version 1)\n(import \"com.apple.WebKit.sb\")\n", lint.Options{}) {
		if d.Code != "import-not-found" {
			continue
		}
		for _, n := range d.Notes {
			if strings.Contains(n, "--system-dirs") || strings.Contains(n, "ships with macOS") && !strings.Contains(n, "-I DIR") {
				t.Errorf("note: %s", n)
			}
		}
		return
	}
	t.Fatal("no import-not-found finding")
}

// TestImplicitRuleNamed: findings whose covering or overriding rule is
// libsandbox's implicit policy say so instead of pointing at "a later
// rule" (issue 12, item 8).
func TestImplicitRuleNamed(t *testing.T) {
	text := "(version 1)\n(deny default)\n(allow signal (target self))\n(deny signal (target self))\n"
	n := 0
	for _, d := range lintText(t, "sig.sb", text, lint.Options{Enable: []string{"all"}}) {
		if d.Code != "duplicate-rule" && d.Code != "shadowed-rule" && d.Code != "redundant-rule" {
			continue
		}
		n++
		if strings.Contains(d.Message, "a later rule") || !strings.Contains(d.Message, "libsandbox's implicit rule (allow signal (target self))") {
			t.Errorf("%s", d)
		}
	}
	if n < 2 {
		t.Errorf("%d ordering findings, want the duplicate and the shadowed deny", n)
	}
}
