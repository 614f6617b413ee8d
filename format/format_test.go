package format

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/internal/testutil"
)

var widthRe = regexp.MustCompile(`(?m)\A; fmt-width: (\d+)`)

// optionsFor reads "; fmt-width: N" from the first line of a test input.
func optionsFor(src []byte) Options {
	if m := widthRe.FindSubmatch(src); m != nil {
		w, _ := strconv.Atoi(string(m[1]))
		return Options{Width: w}
	}
	return Options{}
}

// TestGolden formats testdata/X (X = *.sb, *.sb.in) and compares with
// testdata/X.golden; the golden file must itself be a fixed point, and the
// input/output pair must keep data and comments (checkProperties).
func TestGolden(t *testing.T) {
	var inputs []string
	for _, pat := range []string{"testdata/*.sb", "testdata/*.sb.in"} {
		m, _ := filepath.Glob(pat)
		inputs = append(inputs, m...)
	}
	if len(inputs) == 0 {
		t.Fatal("no test inputs")
	}
	for _, in := range inputs {
		t.Run(filepath.Base(in), func(t *testing.T) {
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			opts := optionsFor(src)
			out, ok := checkProperties(t, in, src, opts)
			if !ok {
				_, ds := Source(src, in, opts)
				t.Fatalf("syntax errors: %v", ds)
			}
			testutil.Golden(t, in+".golden", string(out))
			golden, err := os.ReadFile(in + ".golden")
			if err != nil {
				t.Fatal(err)
			}
			again, _ := Source(golden, in+".golden", opts)
			if !bytes.Equal(again, golden) {
				t.Errorf("golden file is not a fixed point:\n%s", testutil.LineDiff(string(golden), string(again)))
			}
			checkWidth(t, out, opts)
		})
	}
}

// checkWidth asserts that no line exceeds the width unless it is a single
// unbreakable piece (one atom or a comment, after indentation and closers).
func checkWidth(t *testing.T, out []byte, opts Options) {
	t.Helper()
	for i, line := range strings.Split(string(out), "\n") {
		if len([]rune(line)) <= opts.width() {
			continue
		}
		body := strings.TrimLeft(line, " (")
		body = strings.TrimRight(body, ")")
		if strings.Contains(line, ";") || !strings.ContainsAny(body, " ") {
			continue
		}
		// "(head atom" lines may overflow when the atom alone is too long
		if f := strings.Fields(body); len(f) == 2 {
			continue
		}
		t.Errorf("line %d is %d columns wide (limit %d): %s", i+1, len([]rune(line)), opts.width(), line)
	}
}

// TestOutputLimit checks that deep nesting, which multiplies indentation,
// is refused with a diagnostic instead of producing unbounded output.
func TestOutputLimit(t *testing.T) {
	const depth = 999
	src := strings.Repeat("(s s s ", depth) + strings.Repeat(")", depth) + "\n"
	out, ds := Source([]byte(src), "deep.sb", Options{})
	if out != nil || !ds.HasErrors() || ds[len(ds)-1].Code != "format-limit" {
		t.Fatalf("got %d bytes, diagnostics %v", len(out), ds)
	}
	// moderate nesting is formatted
	src = strings.Repeat("(s s s ", 50) + strings.Repeat(")", 50) + "\n"
	if out, ds := Source([]byte(src), "deep.sb", Options{}); out == nil || ds.HasErrors() {
		t.Fatalf("moderate nesting refused: %v", ds)
	}
}

// TestNode checks the single-datum entry point used by editors.
func TestNode(t *testing.T) {
	src := "(allow file-read* (literal \"/a\") (literal \"/b\") ; c\n)"
	f, _ := parserParse(src)
	got := Node(f.Forms[0], 4, Options{Width: 30})
	want := "(allow file-read*\n      (literal \"/a\")\n      (literal \"/b\") ; c\n    )"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}
