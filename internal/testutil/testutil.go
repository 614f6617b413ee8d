// Package testutil holds the data-driven test helpers shared by all stages:
// chunked test files with expectations written on the offending lines, and
// golden files refreshed with SBPLC_UPDATE=1.
//
// Chunked files: chunks are separated by a line consisting of "---" (an
// optional name may follow: "--- name"). Inside a chunk, a comment
//
//	; want "regexp"
//
// (several quoted regexps may follow one want) expects one diagnostic on that
// line whose "message [code]" text matches the regexp. A line holding only
// "; want-next "regexp"" expects it on the next line instead (for places where
// a trailing comment would change the meaning). Every diagnostic must be
// wanted, and every want must be met.
package testutil

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Chunk is one test case of a chunked file.
type Chunk struct {
	File      string // the chunked file
	Name      string // from the "--- name" separator, or "#N"
	Text      string
	StartLine int // 1-based line of the chunk's first line in File
	Wants     []Want
}

// Want is one expected diagnostic.
type Want struct {
	Line int // 1-based line within the chunk
	Re   *regexp.Regexp
}

// Got is one produced diagnostic, for CheckWants.
type Got struct {
	Line int    // 1-based line within the chunk
	Text string // "message [code]"
}

var wantRe = regexp.MustCompile(`;\s*want(-next)?((?:\s+"(?:[^"\\]|\\.)*")+)\s*$`)
var quotedRe = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// ReadChunks reads a chunked test file.
func ReadChunks(path string) ([]Chunk, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return SplitChunks(path, string(data))
}

// SplitChunks splits text into chunks and parses their expectations.
func SplitChunks(path, text string) ([]Chunk, error) {
	var chunks []Chunk
	lines := strings.SplitAfter(text, "\n")
	cur := Chunk{File: path, Name: "#1", StartLine: 1}
	var b strings.Builder
	flush := func() error {
		cur.Text = b.String()
		ws, err := ParseWants(cur.Text)
		if err != nil {
			return fmt.Errorf("%s:%d: %v", path, cur.StartLine, err)
		}
		cur.Wants = ws
		chunks = append(chunks, cur)
		b.Reset()
		return nil
	}
	for i, l := range lines {
		trimmed := strings.TrimRight(l, "\r\n")
		if trimmed == "---" || strings.HasPrefix(trimmed, "--- ") {
			if err := flush(); err != nil {
				return nil, err
			}
			name := strings.TrimSpace(strings.TrimPrefix(trimmed, "---"))
			if name == "" {
				name = fmt.Sprintf("#%d", len(chunks)+1)
			}
			cur = Chunk{File: path, Name: name, StartLine: i + 2}
			continue
		}
		b.WriteString(l)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return chunks, nil
}

// ParseWants finds the want comments in text.
func ParseWants(text string) ([]Want, error) {
	var out []Want
	for i, l := range strings.Split(text, "\n") {
		m := wantRe.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		line := i + 1
		if m[1] != "" {
			line++
		}
		for _, q := range quotedRe.FindAllString(m[2], -1) {
			s, err := strconv.Unquote(q)
			if err != nil {
				return nil, fmt.Errorf("line %d: bad want string %s: %v", line, q, err)
			}
			re, err := regexp.Compile(s)
			if err != nil {
				return nil, fmt.Errorf("line %d: bad want regexp %q: %v", line, s, err)
			}
			out = append(out, Want{Line: line, Re: re})
		}
	}
	return out, nil
}

// CheckWants reports unmet wants and unexpected diagnostics as test errors.
// Each diagnostic satisfies at most one want.
func CheckWants(t testing.TB, c Chunk, got []Got) {
	t.Helper()
	used := make([]bool, len(got))
	for _, w := range c.Wants {
		found := false
		for i, g := range got {
			if !used[i] && g.Line == w.Line && w.Re.MatchString(g.Text) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			t.Errorf("%s:%d: chunk %s: no diagnostic matching %q on this line", c.File, c.StartLine+w.Line-1, c.Name, w.Re)
		}
	}
	for i, g := range got {
		if !used[i] {
			t.Errorf("%s:%d: chunk %s: unexpected diagnostic: %s", c.File, c.StartLine+g.Line-1, c.Name, g.Text)
		}
	}
}

// Update reports whether golden files should be rewritten (SBPLC_UPDATE=1).
func Update() bool { return os.Getenv("SBPLC_UPDATE") != "" }

// Golden compares got with the golden file at path, or rewrites the file
// when SBPLC_UPDATE is set.
func Golden(t testing.TB, path, got string) {
	t.Helper()
	if Update() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with SBPLC_UPDATE=1 to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the output (run with SBPLC_UPDATE=1 to refresh):\n%s", path, LineDiff(string(want), got))
	}
}

// LineDiff is a small line-by-line difference for failure messages: the
// first 20 lines that differ, each with its number.
func LineDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	n := len(wl)
	if len(gl) > n {
		n = len(gl)
	}
	shown := 0
	for i := 0; i < n && shown < 20; i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			fmt.Fprintf(&b, "line %d:\n  want: %s\n  got:  %s\n", i+1, w, g)
			shown++
		}
	}
	return b.String()
}

// CPUTimer reports a benchmark's process CPU time per operation as the
// cpu-ms/op metric (garbage collection included). Start it right before
// the timed loop and call the returned function after it.
func CPUTimer(b *testing.B) func() {
	cpu0 := ProcessCPU()
	return func() {
		if cpu := ProcessCPU() - cpu0; cpu > 0 && b.N > 0 {
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/1e6, "cpu-ms/op")
		}
	}
}
