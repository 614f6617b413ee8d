package eval

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/source"
)

// TestProblemsRenderDiags checks that Result.Diags is the rendering of
// Result.Problems (plus the main file's parse diagnostics), one for one.
func TestProblemsRenderDiags(t *testing.T) {
	text := `(version 1)
(version 2)
(allow file-raed*)
(allow file-read* (subpaht "/x"))
(allow file-read* (with repotr))
(allow file-read* (literal nosuch))
(allow network-outbound (remote tcp "example.com:80"))
(allow network-outbound (remote tcp "*:99999"))
(allow file-read* (literal (param "P")))
(import "nowhere.sb")
(car 1)
)
`
	res := Run(source.NewFile("p.sb", []byte(text)), Options{ReadFile: noFiles})
	want := map[string]int{}
	for _, p := range res.Problems {
		want[p.Diagnostic().String()]++
	}
	got := map[string]int{}
	parse := 0
	for _, d := range res.Diags {
		if d.Code == "syntax-error" {
			parse++
			continue
		}
		got[d.String()]++
	}
	if parse != 1 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("diags %v (%d parse errors)\nproblems %v", got, parse, want)
	}
	var types []string
	for _, p := range res.Problems {
		types = append(types, fmt.Sprintf("%T", p))
	}
	wantTypes := []string{"*eval.DuplicateVersion", "*eval.UnknownOperation", "*eval.UnknownFilter", "*eval.UnknownModifier",
		"*eval.UnboundName", "*eval.RemoteHostNotAllowed", "*eval.MalformedNetworkAddress", "*eval.UnboundParam",
		"*eval.ImportNotFound", "*eval.Generic"}
	if !slices.Equal(types, wantTypes) {
		t.Errorf("problem types\n got %v\nwant %v", types, wantTypes)
	}
}

// TestUnboundRoles checks where the evaluator says an unbound name stood:
// an operation or filter of a rule, a modifier, or anything else.
func TestUnboundRoles(t *testing.T) {
	for _, tc := range []struct {
		src, typ, name string
	}{
		{`(allow file-raed*)`, "*eval.UnknownOperation", "file-raed*"},
		{`(deny (with no-report) nope)`, "*eval.UnknownOperation", "nope"},
		{`(allow file-read* (subpaht "/x"))`, "*eval.UnknownFilter", "subpaht"},
		{`(allow file-read* (require-any (literal "/a") (require-not (subpaht "/x"))))`, "*eval.UnknownFilter", "subpaht"},
		{`(allow file-read* (with repotr))`, "*eval.UnknownModifier", "repotr"},
		{`(define m (with repotr))`, "*eval.UnknownModifier", "repotr"},
		{`(allow file-read* (literal nosuch))`, "*eval.UnboundName", "nosuch"},
		{`(allow file-read* (literal (helper "/x")))`, "*eval.UnboundName", "helper"},
		{`(allow file-read* (require-any nosuch))`, "*eval.UnboundName", "nosuch"},
		// Not a direct argument of the rule: inside a helper, a special
		// form or a procedure the rule's argument calls.
		{`(define (h) (subpaht "/x")) (allow file-read* (h))`, "*eval.UnboundName", "subpaht"},
		{`(allow file-read* (if #t (subpaht "/x") (literal "/y")))`, "*eval.UnboundName", "subpaht"},
		{`(allow file-read* (car (map (lambda (p) (subpaht p)) '("/x"))))`, "*eval.UnboundName", "subpaht"},
		{`(set! nowhere 1)`, "*eval.UnboundName", "nowhere"},
		{`(setenv "X" "1")`, "*eval.UnboundName", "setenv"},
	} {
		res := Run(source.NewFile("r.sb", []byte("(version 1)\n"+tc.src+"\n")), Options{})
		if len(res.Problems) != 1 {
			t.Errorf("%s: problems %v", tc.src, res.Problems)
			continue
		}
		p := res.Problems[0]
		if got := fmt.Sprintf("%T", p); got != tc.typ {
			t.Errorf("%s: %s, want %s", tc.src, got, tc.typ)
		}
		u := unboundPart(p)
		if u == nil || u.Name != tc.name || u.At.Text() != tc.name {
			t.Errorf("%s: %+v, want %s written at its span", tc.src, u, tc.name)
		}
		if d := p.Diagnostic(); d.Code != "unbound-identifier" || !strings.HasPrefix(d.Message, "unbound variable: "+tc.name) {
			t.Errorf("%s: renders as %s", tc.src, d)
		}
	}
}

func noFiles(string) ([]byte, error) { return nil, os.ErrNotExist }

func unboundPart(p Problem) *Unbound {
	switch u := p.(type) {
	case *UnboundName:
		return &u.Unbound
	case *UnknownOperation:
		return &u.Unbound
	case *UnknownFilter:
		return &u.Unbound
	case *UnknownModifier:
		return &u.Unbound
	}
	return nil
}

// TestUnboundInScope checks the names in scope an unbound problem carries:
// locals innermost first, then the profile's own globals.
func TestUnboundInScope(t *testing.T) {
	text := "(version 1)\n(define top 1)\n(define (f outer) (let ((inner 2)) (allow file-read* (literal nosuch))))\n(f 0)\n"
	res := Run(source.NewFile("s.sb", []byte(text)), Options{})
	if len(res.Problems) != 1 {
		t.Fatalf("problems %v", res.Problems)
	}
	u := unboundPart(res.Problems[0])
	if want := []string{"inner", "outer", "f", "top"}; u == nil || !slices.Equal(u.InScope, want) {
		t.Errorf("in scope %+v, want %v", u, want)
	}
}

// TestDidYouMeanIsAGuess: a did-you-mean replacement may change what the
// profile means, so its fix is marked as a guess (--fix never applies it).
func TestDidYouMeanIsAGuess(t *testing.T) {
	res := Run(source.NewFile("g.sb", []byte("(version 1)\n(allow file-read* (literal (lenght \"/x\")))\n")), Options{})
	if len(res.Diags) != 1 || len(res.Diags[0].Fixes) != 1 {
		t.Fatalf("diags %v", res.Diags)
	}
	if f := res.Diags[0].Fixes[0]; !f.Guess || f.Edits[0].NewText != "length" {
		t.Errorf("fix %+v, want a guess replacing with length", f)
	}
}

// TestMissingVersion checks the one place that decides a missing
// (version): every file that is not a fragment, with or without rules,
// and a message that names no command-line flag.
func TestMissingVersion(t *testing.T) {
	for _, tc := range []struct {
		text     string
		opts     Options
		want     bool
		empty    bool
		line, co int
	}{
		{text: "(allow file-read*)\n", want: true, line: 1, co: 1},
		{text: "; a comment\n\n  (define x 1)\n", want: true, line: 3, co: 3},
		{text: "", want: true, empty: true, line: 1, co: 1},
		{text: "; only a comment\n", want: true, empty: true, line: 1, co: 1},
		{text: "(version 1)\n"},
		{text: "(define (f) (f))\n(f)\n(version 1)\n"}, // a limit stops evaluation before the form
		{text: "(version 9)\n"},                        // its own problem
		{text: "; sbplc:fragment\n(allow file-read*)\n"},
		{text: "(allow file-read*)\n", opts: Options{Fragment: true}},
		{text: "", opts: Options{Fragment: true}},
		{text: "(allow file-read*)\n", opts: Options{Preludes: []*source.File{source.NewFile("p", []byte("(version 1)"))}}},
	} {
		res := Run(source.NewFile("v.sb", []byte(tc.text)), tc.opts)
		var mv *MissingVersion
		for _, p := range res.Problems {
			if m, ok := p.(*MissingVersion); ok {
				if mv != nil {
					t.Errorf("%q: two missing-version problems", tc.text)
				}
				mv = m
			}
		}
		if (mv != nil) != tc.want {
			t.Errorf("%q %+v: missing-version %v, want %v", tc.text, tc.opts, mv != nil, tc.want)
			continue
		}
		if mv == nil {
			continue
		}
		d := mv.Diagnostic()
		if p := d.Span.StartPos(); mv.Empty != tc.empty || p.Line != tc.line || p.Col != tc.co || d.Span.End != d.Span.Start {
			t.Errorf("%q: at %v (empty %v), want %d:%d", tc.text, p, mv.Empty, tc.line, tc.co)
		}
		if strings.Contains(d.Message, "--") || !strings.Contains(d.Message, "; sbplc:fragment") {
			t.Errorf("%q: message %q", tc.text, d.Message)
		}
		if len(d.Fixes) != 1 || d.Fixes[0].Guess || d.Fixes[0].Edits[0].NewText != "(version 1)\n" {
			t.Errorf("%q: fixes %+v", tc.text, d.Fixes)
		}
	}
}

// TestFragmentUnbound: in a fragment an unbound name is expected to come
// from the profile that includes it; the evaluator says so as a warning,
// with no did-you-mean.
func TestFragmentUnbound(t *testing.T) {
	for _, opts := range []Options{{Fragment: true}, {}} {
		text := "(allow file-read* (literal (lenght \"/x\")))\n"
		if !opts.Fragment {
			text = "; sbplc:fragment\n" + text
		}
		res := Run(source.NewFile("f.sb", []byte(text)), opts)
		if len(res.Problems) != 1 {
			t.Fatalf("problems %v", res.Problems)
		}
		u, ok := res.Problems[0].(*UnboundName)
		d := res.Problems[0].Diagnostic()
		if !ok || !u.Fragment || d.Severity.String() != "warning" || d.Message != "unbound variable: lenght" || len(d.Fixes) != 0 ||
			!strings.Contains(strings.Join(d.Notes, "\n"), "lenght is expected to come from the profile that includes it") {
			t.Errorf("fragment %+v: %+v", opts, d)
		}
	}
}

// TestOpaqueBlocks checks the blocks a missing import leaves: one per
// statement that needs a name it may define, at the rule count where the
// statement stopped, attributed to the likeliest import, and listed on
// that import's one warning; a plausible typo stays an error.
func TestOpaqueBlocks(t *testing.T) {
	text := `(version 1)
(import "site.sb")
(import "com.example.corefoundation.sb")
(allow file-read* (subpath "/usr"))
(corefoundation)
(define (helper) (allow file-write* (subpath "/private/tmp")) (more-helpers))
(helper)
(allow file-raed*)
`
	res := Run(source.NewFile("o.sb", []byte(text)), Options{ReadFile: noFiles})
	type blk struct {
		index        int
		name, imp    string
		line, column int
	}
	var got []blk
	for _, b := range res.Profile.OpaqueBlocks {
		p := b.Origin.Primary().StartPos()
		got = append(got, blk{b.Index, b.Name, b.Import, p.Line, p.Col})
		if !strings.Contains(b.Reason, b.Name+" is not defined") || !strings.Contains(b.Reason, strconv.Quote(b.Import)) {
			t.Errorf("reason %q", b.Reason)
		}
	}
	want := []blk{{1, "corefoundation", "com.example.corefoundation.sb", 5, 1}, {2, "more-helpers", "com.example.corefoundation.sb", 7, 1}}
	if !slices.Equal(got, want) {
		t.Errorf("blocks %+v, want %+v", got, want)
	}
	if !res.Profile.Opaque() {
		t.Error("profile not opaque")
	}
	var errs, warnings []string
	for _, p := range res.Problems {
		d := p.Diagnostic()
		if d.Severity.String() == "error" {
			errs = append(errs, d.String())
		}
		if nf, ok := p.(*ImportNotFound); ok {
			var lines []int
			for _, u := range nf.Uses {
				lines = append(lines, u.StartPos().Line)
			}
			warnings = append(warnings, fmt.Sprint(nf.Name, lines, len(d.Related)))
			if len(nf.Uses) > 0 && !strings.Contains(strings.Join(d.Notes, "\n"), "pass -I DIR with the directory that holds "+nf.Name) {
				t.Errorf("notes %q", d.Notes)
			}
		}
	}
	if len(errs) != 1 || !strings.Contains(errs[0], "unbound variable: file-raed*; did you mean file-read*?") {
		t.Errorf("errors %q", errs)
	}
	if w := fmt.Sprint(warnings); w != "[site.sb[] 0 com.example.corefoundation.sb[5 7] 2]" {
		t.Errorf("import warnings %s", w)
	}
}
