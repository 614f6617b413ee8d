package lint_test

import (
	"fmt"
	"sort"
	"testing"

	"github.com/sbplc/sbplc/corpus"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/lint"
	"github.com/sbplc/sbplc/source"
)

// TestEveryFixOnCorpus applies, one at a time, the first fix of every
// finding lint reports on every corpus profile (every rule enabled) and
// lints the result again. Each fixed text must parse and evaluate with no
// new error-level diagnostic, the fix must remove a finding of its own
// rule, and the text the fix wrote must draw no finding that the text it
// replaced did not already draw. Guess fixes (did-you-mean), which
// `lint --fix` never applies, are left out.
func TestEveryFixOnCorpus(t *testing.T) {
	applied := 0
	for _, e := range corpus.ForTest(t) {
		data, err := e.Read()
		if err != nil {
			t.Fatal(err)
		}
		applied += checkEveryFix(t, e.File, data)
	}
	if applied < 50 {
		t.Errorf("only %d fixes applied", applied)
	}
	t.Logf("%d fixes applied", applied)
}

// TestEveryFixOnTrickyProfiles runs the same checks on the places a fix
// goes wrong: a (deny default) inside an (if ...), a trailing comment, one
// line holding several forms, CRLF line ends, a path defined once and used
// by several filters, an unanchored regex under /tmp, escapes outside a
// regex.
func TestEveryFixOnTrickyProfiles(t *testing.T) {
	for i, text := range []string{
		"(version 1)\n(if (param \"LOG\") (deny default (with no-log)) (deny default))\n(allow file-read* (subpath \"/usr\"))\n",
		"(version 1)\n(deny default) ; the base\n(allow file-read* (subpath \"/usr\"))\n",
		"(version 1) (deny default) (allow file-read* (subpath \"/usr\"))",
		"(version 1)\r\n(deny default)\r\n(allow file-write* (subpath \"/tmp/x\"))\r\n",
		"(version 1)\n(deny default)\n(define d \"/private/tmp/a/\")\n(allow file-read* (subpath d) (prefix d))\n",
		"(version 1)\n(deny default)\n(define t \"/tmp\")\n(allow file-read-metadata (literal t))\n(allow file-write* (subpath t))\n",
		"(version 1)\n(deny default)\n(allow file-write* (regex #\"/tmp/build/\"))\n",
		"(version 1)\n(deny default)\n(allow file-read* (literal \"/usr/lib/a\\.b\") (regex \"^/usr/lib/x\\.y$\"))\n",
		"(version 1)\n(deny default)\n(allow file-read* (subpath \"/tmp//x\") (subpath \"/usr/./lib/\"))\n",
		"(version 1)\n(deny default)\n(allow file-read* (literal \"/System/Volumes/Data/private/etc/hosts\"))\n",
		"  (allow file-read* (subpath \"/usr\"))\n",
		"(version 1)\n(allow file-read-metadata)\n(allow network*)\n(deny file-read* file-write* (literal \"/var/run/docker.sock\"))\n",
	} {
		if checkEveryFix(t, fmt.Sprintf("tricky%d.sb", i), []byte(text)) == 0 {
			t.Errorf("tricky%d.sb: no fix to check:\n%s", i, text)
		}
	}
}

// checkEveryFix applies each fix of the findings on data alone and checks
// the result; it returns the number of fixes checked.
func checkEveryFix(t *testing.T, name string, data []byte) int {
	t.Helper()
	opts := lint.Options{Enable: []string{"all"}}
	applied := 0
	src := source.NewFile(name, data)
	before, _ := lint.File(src, nil, opts)
	for _, d := range before {
		if len(d.Fixes) == 0 || d.Fixes[0].Guess {
			continue
		}
		fix := d.Fixes[0]
		text, spans, ok := applyEdits(src, fix.Edits)
		if !ok {
			t.Errorf("%s: %s: fix %q has edits outside the file or overlapping", name, d, fix.Title)
			continue
		}
		applied++
		fixed := source.NewFile(name, text)
		after, res := lint.File(fixed, nil, opts)
		where := fmt.Sprintf("%s: fix %q of [%s] at %s", name, fix.Title, d.Code, d.Span)
		if n, m := countCode(after, d.Code), countCode(before, d.Code); n >= m {
			t.Errorf("%s: %d %s findings after the fix, %d before: the fix does not fix\n%s", where, n, d.Code, m, text)
		}
		errBefore := map[string]int{}
		for _, x := range before {
			if x.Severity == diag.Error {
				errBefore[x.Code]++
			}
		}
		for _, x := range after {
			if x.Severity == diag.Error {
				if errBefore[x.Code]--; errBefore[x.Code] < 0 {
					t.Errorf("%s: new error %v\n%s", where, x, text)
				}
			}
		}
		// Warnings and errors on the text the fix wrote must have been on
		// the text it replaced. (Advice may follow a fix: the escaped
		// regex ^/a/x\.y$ is a literal, prefer-subpath says; the file the
		// missing-version fix makes a profile of its own has no default,
		// implicit-default says.)
		for _, x := range after {
			if x.Severity == diag.Info || x.Span == res.Profile.VersionSpan {
				// Findings about the profile as a whole (its built-in
				// defaults) are reported at its (version) form: inserting
				// that form makes the file a profile, it does not cause them.
				continue
			}
			for i, ns := range spans {
				if !overlaps(x.Span, ns) {
					continue
				}
				old := fix.Edits[i].Span
				had := false
				for _, y := range before {
					if y.Code == x.Code && (overlaps(y.Span, old) || y.Span.Start == old.Start) {
						had = true
					}
				}
				if !had {
					t.Errorf("%s: the fixed text %q draws a new finding %v\n%s", where, fixed.Text[ns.Start:ns.End], x, text)
				}
			}
		}
	}
	return applied
}

func countCode(ds diag.List, code string) int {
	n := 0
	for _, d := range ds {
		if d.Code == code {
			n++
		}
	}
	return n
}

// overlaps reports whether a and b share a byte (an empty span counts at
// its offset).
func overlaps(a, b source.Span) bool {
	if !a.IsValid() {
		return false
	}
	if a.Start == a.End || b.Start == b.End {
		return a.Start <= b.End && b.Start <= a.End
	}
	return a.Start < b.End && b.Start < a.End
}

// applyEdits applies edits to src and returns the text and, per edit in
// the order given, the span its new text occupies in the result.
func applyEdits(src *source.File, edits []diag.Edit) ([]byte, []source.Span, bool) {
	idx := make([]int, len(edits))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return edits[idx[a]].Span.Start < edits[idx[b]].Span.Start })
	var out []byte
	spans := make([]source.Span, len(edits))
	pos := 0
	for _, i := range idx {
		e := edits[i]
		if e.Span.File != src || e.Span.Start < pos || e.Span.End < e.Span.Start || e.Span.End > len(src.Text) {
			return nil, nil, false
		}
		out = append(out, src.Text[pos:e.Span.Start]...)
		start := len(out)
		out = append(out, e.NewText...)
		spans[i] = source.Span{Start: start, End: len(out)}
		pos = e.Span.End
	}
	out = append(out, src.Text[pos:]...)
	return out, spans, true
}

// TestFixPlacement pins what the fixes write and where.
func TestFixPlacement(t *testing.T) {
	const v = "(version 1)\n(deny default)\n"
	for _, tc := range []struct{ code, in, want string }{
		// A form goes after the top-level form holding (deny default),
		// on its own line, after a trailing comment, in the file's
		// newline style; beside it when the line holds more forms.
		{"implicit-preamble-allows",
			"(version 1)\n(if (param \"LOG\")\n  (deny default (with no-log))\n  (deny default))\n",
			"(version 1)\n(if (param \"LOG\")\n  (deny default (with no-log))\n  (deny default))\n(deny file-link file-clone)\n"},
		{"implicit-preamble-allows", "(version 1)\n(deny default) ; base\n(allow file-read* (subpath \"/usr\"))\n",
			"(version 1)\n(deny default) ; base\n(deny file-link file-clone)\n(allow file-read* (subpath \"/usr\"))\n"},
		{"implicit-preamble-allows", "(version 1)\r\n(deny default)\r\n", "(version 1)\r\n(deny default)\r\n(deny file-link file-clone)\r\n"},
		{"implicit-preamble-allows", "(version 1) (deny default) (allow file-read* (subpath \"/usr\"))",
			"(version 1) (deny default) (deny file-link file-clone) (allow file-read* (subpath \"/usr\"))"},
		// (version 1) goes on a line of its own before the first form,
		// which keeps its indentation.
		{"missing-version", "; x\n  (allow file-read* (subpath \"/usr\"))\n", "; x\n  (version 1)\n  (allow file-read* (subpath \"/usr\"))\n"},
		// Path fixes write the spelling Seatbelt checks, and keep a
		// link's own spelling where the filter matches it.
		{"unresolved-symlink-path", v + "(allow file-read* (subpath \"/tmp\"))", v + "(allow file-read* (subpath \"/tmp\" \"/private/tmp\"))"},
		{"unresolved-symlink-path", v + "(allow file-read-metadata (regex #\"^/var\"))", v + "(allow file-read-metadata (regex #\"^/var\" #\"^/private/var\"))"},
		{"regex-unanchored", v + "(allow file-write* (regex #\"/tmp/build/\"))", v + "(allow file-write* (regex #\"^/private/tmp/build/\"))"},
		{"non-canonical-path", v + "(allow file-read* (subpath \"/tmp//x\"))", v + "(allow file-read* (subpath \"/private/tmp/x\"))"},
		{"data-volume-path", v + "(allow file-read* (literal \"/System/Volumes/Data/private/etc/hosts\"))", v + "(allow file-read* (literal \"/private/etc/hosts\"))"},
		// An escape in a path means nothing: the fix drops it.
		{"non-sbpl-string-escape", v + "(allow file-read* (literal \"/usr/lib/a\\.b\"))", v + "(allow file-read* (literal \"/usr/lib/a.b\"))"},
		// A literal defined once and used by several filters is left to
		// the author: (prefix d) needs its slash.
		{"subpath-trailing-slash", v + "(define d \"/private/tmp/a/\")\n(allow file-read* (subpath d) (prefix d))", v + "(define d \"/private/tmp/a/\")\n(allow file-read* (subpath d) (prefix d))"},
		{"unresolved-symlink-path", v + "(define t \"/tmp\")\n(allow file-read-metadata (literal t))\n(allow file-write* (subpath t))", v + "(define t \"/tmp\")\n(allow file-read-metadata (literal t))\n(allow file-write* (subpath t))"},
	} {
		ds := lintText(t, "fix.sb", tc.in, lint.Options{})
		if got := applyFixes(t, tc.in, ds, tc.code); got != tc.want {
			t.Errorf("%s fix:\n got %q\nwant %q", tc.code, got, tc.want)
		}
	}
}
