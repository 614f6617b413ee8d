package spell

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

var ops = []string{
	"file-read*", "file-read-data", "file-read-metadata", "file-write*", "file-write-create",
	"file-write-data", "mach-lookup", "network-outbound", "network-inbound", "process-exec",
	"sysctl-read", "default",
}

func TestNearest(t *testing.T) {
	for _, tc := range []struct {
		x    string
		cand []string
		want string
	}{
		{"file-reed*", ops, "file-read*"},
		{"file-raed-data", ops, "file-read-data"}, // a swap is one edit
		{"mach-lookpu", ops, "mach-lookup"},
		{"netwrk-outbound", ops, "network-outbound"},
		{"file-write-creat", ops, "file-write-create"},
		{"File-Read*", ops, "file-read*"}, // case is free
		{"xyzzy", ops, ""},
		{"file-read*", ops, ""}, // the name itself is never suggested
		{"anything", nil, ""},
		{"", ops, ""},
		// limits by length: 1 edit up to 4 bytes, 2 up to 8, then 3
		{"f", []string{"*"}, ""},
		{"ab", []string{"ac"}, ""},
		{"AB", []string{"ab"}, "ab"},
		{"lenght", []string{"length", "list"}, "length"},
		{"abc", []string{"abd"}, "abd"},
		{"abc", []string{"xyc"}, ""},
		{"subpth", []string{"subpath", "literal"}, "subpath"},
		{"abcdefgh", []string{"abcdefxy"}, "abcdefxy"},
		{"abcdefgh", []string{"abcdexyz"}, ""},
		{"abcdefghi", []string{"abcdefxyz"}, "abcdefxyz"},
		{"abcdefghij", []string{"abcdefwxyz"}, ""},
		{"shadowed-rul", []string{"shadowed-rule", "redundant-rule"}, "shadowed-rule"},
		// ties go to the candidate that sorts first, whatever the order
		{"abcd", []string{"abcf", "abce"}, "abce"},
		{"abcd", []string{"abce", "abcf"}, "abce"},
		// a closer candidate wins over an earlier one
		{"report", []string{"repo", "reprt", "reports"}, "reports"},
		{"allow_default", []string{"allow-default"}, "allow-default"},
	} {
		if got := Nearest(tc.x, tc.cand); got != tc.want {
			t.Errorf("Nearest(%q, %q) = %q, want %q", tc.x, tc.cand, got, tc.want)
		}
	}
}

// TestNearestLongName: names longer than MaxLen get no suggestion, so two
// huge similar names cost nothing (the distance would be quadratic).
func TestNearestLongName(t *testing.T) {
	x := strings.Repeat("x", MaxLen-1)
	if got := Nearest(x+"y", []string{x + "z"}); got != x+"z" {
		t.Errorf("Nearest at MaxLen = %q", got)
	}
	huge := strings.Repeat("x", 1<<20)
	if got := Nearest(huge+"y", []string{huge + "z"}); got != "" {
		t.Errorf("Nearest of two huge names = %.10q", got)
	}
}

// reference is the textbook optimal-string-alignment distance, a full
// matrix without early exit, ignoring ASCII case.
func reference(a, b string) int {
	a, b = foldASCII(a), foldASCII(b)
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// foldASCII lower-cases ASCII letters and leaves every other byte alone.
func foldASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"ab", "ba", 1}, {"abc", "ca", 3},
		{"kitten", "sitting", 3}, {"FILE", "file", 0}, {"file-raed", "file-read", 1},
	} {
		got := distance(tc.a, tc.b, 100, make([]int, 3*(len(tc.b)+1)))
		if got != tc.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

// FuzzNearest checks Nearest against a brute-force search with the
// reference distance: the answer is a candidate other than x within the
// limit, no candidate is closer, and none as close sorts before it.
func FuzzNearest(f *testing.F) {
	f.Add("file-reed*", "file-read*,file-write*,mach-lookup")
	f.Add("abcd", "abce,abcf,abdc")
	f.Add("", ",a")
	f.Add("\xff\xfe", "\xfe\xff,ab")
	f.Add("ABC", "abc,abd")
	f.Fuzz(func(t *testing.T, x, list string) {
		if len(list) > 4000 {
			return
		}
		cands := strings.Split(list, ",")
		got := Nearest(x, cands)
		want, wantD := "", maxEdits(len(x))+1
		for _, c := range cands {
			if len(x) > MaxLen {
				break
			}
			if c == x {
				continue
			}
			if d := reference(x, c); d < wantD || (d == wantD && c < want) {
				want, wantD = c, d
			}
		}
		if wantD > maxEdits(len(x)) {
			want = ""
		}
		if got != want {
			t.Fatalf("Nearest(%q, %q) = %q, want %q", x, cands, got, want)
		}
		if got != "" && (got == x || !slices.Contains(cands, got)) {
			t.Fatalf("Nearest(%q) = %q", x, got)
		}
	})
}

func BenchmarkNearest(b *testing.B) {
	var names []string
	for i := range 300 {
		names = append(names, fmt.Sprintf("%s-%s-%d", ops[i%len(ops)], ops[(i*7)%len(ops)], i))
	}
	names = append(names, ops...)
	for b.Loop() {
		if Nearest("file-reed*", names) != "file-read*" {
			b.Fatal("wrong answer")
		}
	}
}
