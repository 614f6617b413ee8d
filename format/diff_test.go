package format

import (
	"fmt"
	"math/rand"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var hunkRe = regexp.MustCompile(`^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@$`)

// applyDiff applies a unified diff produced by Diff to a, checking every
// context and deleted line, the hunk counts and the header.
func applyDiff(t *testing.T, a, diff string) string {
	t.Helper()
	lines := strings.SplitAfter(diff, "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "--- ") || !strings.HasPrefix(lines[1], "+++ ") {
		t.Fatalf("bad header:\n%s", diff)
	}
	src := strings.SplitAfter(a, "\n")
	if len(src) > 0 && src[len(src)-1] == "" {
		src = src[:len(src)-1]
	}
	var out []string
	pos := 0 // next unread line of src (0-based)
	i := 2
	for i < len(lines) && lines[i] != "" {
		m := hunkRe.FindStringSubmatch(strings.TrimSuffix(lines[i], "\n"))
		if m == nil {
			t.Fatalf("bad hunk header %q", lines[i])
		}
		num := func(s string, dflt int) int {
			if s == "" {
				return dflt
			}
			n, _ := strconv.Atoi(s)
			return n
		}
		oldStart, oldN, newN := num(m[1], 0), num(m[2], 1), num(m[4], 1)
		start := oldStart - 1
		if oldN == 0 {
			start = oldStart
		}
		if start < pos {
			t.Fatalf("hunks overlap or go backwards at %q", lines[i])
		}
		out = append(out, src[pos:start]...)
		pos = start
		i++
		gotOld, gotNew := 0, 0
		for i < len(lines) && lines[i] != "" && !strings.HasPrefix(lines[i], "@@") {
			l := lines[i]
			i++
			text := l[1:]
			if i < len(lines) && strings.HasPrefix(lines[i], `\ No newline`) {
				text = strings.TrimSuffix(text, "\n")
				i++
			}
			switch l[0] {
			case ' ', '-':
				if pos >= len(src) || src[pos] != text {
					t.Fatalf("line %d: diff expects %q, text has %q", pos+1, text, src[min(pos, len(src)-1)])
				}
				pos++
				gotOld++
				if l[0] == ' ' {
					out = append(out, text)
					gotNew++
				}
			case '+':
				out = append(out, text)
				gotNew++
			default:
				t.Fatalf("bad diff line %q", l)
			}
		}
		if gotOld != oldN || gotNew != newN {
			t.Fatalf("hunk %s counts %d,%d but has %d,%d lines", m[0], oldN, newN, gotOld, gotNew)
		}
	}
	out = append(out, src[pos:]...)
	return strings.Join(out, "")
}

func TestDiffExact(t *testing.T) {
	a := "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n"
	b := strings.Replace(strings.Replace(a, "2\n", "two\n", 1), "15\n", "", 1)
	want := "--- a/x.sb\n+++ b/x.sb\n" +
		"@@ -1,5 +1,5 @@\n 1\n-2\n+two\n 3\n 4\n 5\n" +
		"@@ -12,6 +12,5 @@\n 12\n 13\n 14\n-15\n 16\n 17\n"
	if got := string(Diff("a/x.sb", "b/x.sb", []byte(a), []byte(b))); got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
	// changes 6 lines apart share one hunk
	c := strings.Replace(strings.Replace(a, "2\n", "two\n", 1), "9\n", "nine\n", 1)
	got := string(Diff("a", "b", []byte(a), []byte(c)))
	if strings.Count(got, "@@ -") != 1 || !strings.Contains(got, "@@ -1,12 +1,12 @@") {
		t.Fatalf("expected one merged hunk:\n%s", got)
	}
	if Diff("a", "b", []byte(a), []byte(a)) != nil {
		t.Fatal("diff of equal texts is not empty")
	}
	// insertion into an empty file and a missing final newline
	got = string(Diff("a", "b", nil, []byte("x\n")))
	if got != "--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n" {
		t.Fatalf("insert into empty: %q", got)
	}
	got = string(Diff("a", "b", []byte("x"), []byte("x\n")))
	if got != "--- a\n+++ b\n@@ -1 +1 @@\n-x\n\\ No newline at end of file\n+x\n" {
		t.Fatalf("final newline: %q", got)
	}
}

// TestDiffApplies applies diffs of random edits and checks they
// reproduce the new text.
func TestDiffApplies(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for n := 0; n < 300; n++ {
		var a []string
		for i := r.Intn(40); i > 0; i-- {
			a = append(a, fmt.Sprintf("l%d\n", r.Intn(8)))
		}
		b := append([]string(nil), a...)
		for e := r.Intn(6); e > 0; e-- {
			switch k := r.Intn(3); {
			case k == 0 && len(b) > 0:
				i := r.Intn(len(b))
				b = append(b[:i], b[i+1:]...)
			case k == 1:
				i := r.Intn(len(b) + 1)
				b = append(b[:i], append([]string{fmt.Sprintf("new%d\n", e)}, b[i:]...)...)
			case len(b) > 0:
				b[r.Intn(len(b))] = "changed\n"
			}
		}
		as, bs := strings.Join(a, ""), strings.Join(b, "")
		if r.Intn(4) == 0 {
			bs = strings.TrimSuffix(bs, "\n")
		}
		d := Diff("a", "b", []byte(as), []byte(bs))
		if as == bs {
			if d != nil {
				t.Fatalf("non-empty diff for equal texts")
			}
			continue
		}
		if got := applyDiff(t, as, string(d)); got != bs {
			t.Fatalf("applying the diff gives\n%q\nwant\n%q\ndiff:\n%s", got, bs, d)
		}
	}
}
