package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

// The documentation's examples are tests. Every ```console block of
// README.md and docs/*.md must be, verbatim, a transcript that a
// testdata/script/doc-*.txtar script runs with its console command (which
// checks each command's output and exit status); every sbplc command line
// of a ```sh block must name commands and flags that exist. So an example
// cannot drift from what sbplc does.

const repoRoot = "../.."

// docBlock is one fenced code block of a documentation page.
type docBlock struct {
	file string
	line int // of the opening fence
	info string
	text string
}

var fence = regexp.MustCompile("^(\\s*)(```+)\\s*([^`\\s]*)")

// docBlocks returns the fenced blocks of a Markdown text, de-indented by
// their fence's indentation (blocks inside list items).
func docBlocks(file, text string) ([]docBlock, error) {
	var out []docBlock
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		m := fence.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		b := docBlock{file: file, line: i + 1, info: m[3]}
		var body []string
		for i++; ; i++ {
			if i == len(lines) {
				return nil, fmt.Errorf("%s:%d: code block is never closed", file, b.line)
			}
			if strings.TrimSpace(lines[i]) == m[2] {
				break
			}
			body = append(body, strings.TrimPrefix(lines[i], m[1]))
		}
		b.text = strings.Join(body, "\n") + "\n"
		out = append(out, b)
	}
	return out, nil
}

// docPages lists README.md and the pages under docs/.
func docPages(t *testing.T) []string {
	t.Helper()
	pages := []string{filepath.Join(repoRoot, "README.md")}
	err := filepath.WalkDir(filepath.Join(repoRoot, "docs"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".md") {
			pages = append(pages, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return pages
}

// docTranscripts maps the text of every transcript that a doc-*.txtar
// script runs to "script:file".
func docTranscripts(t *testing.T) map[string]string {
	t.Helper()
	scripts, err := filepath.Glob(filepath.Join(repoRoot, "testdata", "script", "doc-*.txtar"))
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no doc-*.txtar scripts: %v", err)
	}
	out := map[string]string{}
	consoleLine := regexp.MustCompile(`(?m)^\s*(?:\[[^]]*\]\s*)*console\s+(\S+)\s*$`)
	for _, s := range scripts {
		a, err := txtar.ParseFile(s)
		if err != nil {
			t.Fatal(err)
		}
		run := map[string]bool{}
		for _, m := range consoleLine.FindAllStringSubmatch(string(a.Comment), -1) {
			run[m[1]] = true
		}
		for _, f := range a.Files {
			if !strings.HasSuffix(f.Name, ".console") {
				continue
			}
			if !run[f.Name] {
				t.Errorf("%s: transcript %s is never run: add 'console %s' to the script", s, f.Name, f.Name)
				continue
			}
			out[string(f.Data)] = filepath.Base(s) + ":" + f.Name
		}
	}
	return out
}

func TestDocTranscripts(t *testing.T) {
	transcripts := docTranscripts(t)
	shown := 0
	for _, page := range docPages(t) {
		data, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		blocks, err := docBlocks(page, string(data))
		if err != nil {
			t.Error(err)
			continue
		}
		rel, _ := filepath.Rel(repoRoot, page)
		for _, b := range blocks {
			switch b.info {
			case "console":
				shown++
				if _, ok := transcripts[b.text]; !ok {
					t.Errorf("%s:%d: this console block is not a transcript that a testdata/script/doc-*.txtar script runs; "+
						"copy it there as a .console file run by 'console NAME' (and keep the two identical)", rel, b.line)
				}
			case "sh", "":
				for i, l := range strings.Split(b.text, "\n") {
					if strings.HasPrefix(l, "$ ") {
						t.Errorf("%s:%d: a shell transcript (\"$ ...\") in a %q block: make it a console block with a doc-*.txtar transcript", rel, b.line+1+i, b.info)
					}
					if err := checkCommandLine(l); err != nil {
						t.Errorf("%s:%d: %s: %v", rel, b.line+1+i, strings.TrimSpace(l), err)
					}
				}
			}
		}
	}
	if shown == 0 {
		t.Error("the documentation shows no console examples")
	}
}

// checkCommandLine checks an sbplc command line of a shell example (not
// run: it may need a Mac or files the reader has): the command exists and
// takes the flags it is given. Other lines are not checked.
func checkCommandLine(line string) error {
	words := shellWords(line)
	for len(words) > 0 && strings.Contains(words[0], "=") && !strings.HasPrefix(words[0], "-") {
		words = words[1:] // VAR=value prefixes
	}
	switch {
	case len(words) >= 3 && words[0] == "go" && words[1] == "run" && words[2] == "./cmd/sbplc":
		words = words[3:]
	case len(words) > 0 && (words[0] == "sbplc" || strings.HasSuffix(words[0], "/sbplc")):
		words = words[1:]
	default:
		return nil
	}
	root := newRoot(strings.NewReader(""), io.Discard, io.Discard)
	c, rest, err := root.Find(words)
	if err != nil {
		return err
	}
	if c == root && len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		return fmt.Errorf("unknown command %q", rest[0])
	}
	if err := c.ParseFlags(rest); err != nil {
		return err
	}
	return nil
}

// shellWords splits a shell command line into words up to the first
// operator or comment. Quotes are removed; $(...) and variables are kept
// as written.
func shellWords(line string) []string {
	var words []string
	var cur strings.Builder
	in := false
	flush := func() {
		if in {
			words = append(words, cur.String())
		}
		cur.Reset()
		in = false
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t':
			flush()
		case c == '\'' || c == '"':
			j := strings.IndexByte(line[i+1:], c)
			if j < 0 {
				j = len(line) - i - 1
			}
			cur.WriteString(line[i+1 : i+1+j])
			in = true
			i += j + 1
		case c == '$' && i+1 < len(line) && line[i+1] == '(':
			j := strings.IndexByte(line[i:], ')')
			if j < 0 {
				j = len(line) - i - 1
			}
			cur.WriteString(line[i : i+j+1])
			in = true
			i += j
		case strings.IndexByte("|;&<>", c) >= 0, c == '#' && !in:
			flush()
			return words
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	flush()
	return words
}

func TestCheckCommandLine(t *testing.T) {
	for line, bad := range map[string]bool{
		"sbplc lint --fail-on warning p.sb":                     false,
		"go run ./cmd/sbplc lint examples/cli-tool.sb":          false,
		"sbplc lint --fail-on=warning p.sb > out # a comment":   false,
		"CI=true sbplc compile --emit sbpl -o flat.sb app.sb":   false,
		"sbplc run -D HOME=$HOME t.sb -- /bin/cat $HOME/.zshrc": false,
		"./sbplc run --no-lint bad.sb -- /usr/bin/touch x":      false,
		"echo sbplc --nope":                           false,
		"sbplc lint --fial-on warning p.sb":           true,
		"sbplc frobnicate p.sb":                       true,
		"go run ./cmd/sbplc lnt examples/cli-tool.sb": true,
		"sbplc query --format yaml p.sb":              false, // values are the command's to check
	} {
		if err := checkCommandLine(line); (err != nil) != bad {
			t.Errorf("%q: %v, want error %v", line, err, bad)
		}
	}
}

func TestTranscriptParsing(t *testing.T) {
	steps, err := parseTranscript("$ cat p.sb\n(version 1)\n\n$ sbplc lint p.sb   # exit 1: one finding\nx\n...\ny...\n$ sbplc parse - <<'EOF'\n(a\nEOF\nout\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 3 || steps[0].exit != 0 || steps[1].exit != 1 || strings.Join(steps[0].want, "|") != "(version 1)" ||
		steps[2].cmd != "sbplc parse - <<'EOF'\n(a\nEOF" || strings.Join(steps[2].want, "|") != "out" {
		t.Fatalf("%+v", steps)
	}
	for _, c := range []struct {
		want, got string
		ok        bool
	}{
		{"a|b", "a|b", true},
		{"a|...|d", "a|b|c|d", true},
		{"a|...|d", "a|d", true},
		{"a|...", "a|b", true},
		{"ab...|c", "abc|c", true},
		{"a|b", "a|c", false},
		{"a|...|d", "a|b|c", false},
		{"a", "a|b", false},
		{"x...", "y", false},
	} {
		if got := matchLines(strings.Split(c.want, "|"), strings.Split(c.got, "|")); got != c.ok {
			t.Errorf("matchLines(%q, %q) = %v", c.want, c.got, got)
		}
	}
	for _, bad := range []string{"output first\n$ x\n", "$ cat <<EOF\nnever closed\n"} {
		if _, err := parseTranscript(bad); err == nil {
			t.Errorf("parseTranscript(%q): no error", bad)
		}
	}
}

// pendingPages are pages the index links to that another branch brings
// (docs/system-library.md: the README section on Apple's system library,
// moved there at the merge). Remove an entry when its page exists.
var pendingPages = map[string]bool{}

var (
	mdLink    = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	mdHeading = regexp.MustCompile("(?m)^#{1,6} +(.+?) *$")
)

// headingAnchors returns the anchors GitHub gives the headings of a page.
func headingAnchors(text string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	// Headings inside code blocks are not headings.
	var prose strings.Builder
	in := false
	for _, l := range strings.Split(text, "\n") {
		if fence.MatchString(l) {
			in = !in
			continue
		}
		if !in {
			prose.WriteString(l + "\n")
		}
	}
	for _, m := range mdHeading.FindAllStringSubmatch(prose.String(), -1) {
		a := anchor(m[1])
		if n := seen[a]; n > 0 {
			out[fmt.Sprintf("%s-%d", a, n)] = true
		} else {
			out[a] = true
		}
		seen[a]++
	}
	return out
}

// TestDocLinks: every relative link of README.md and docs/*.md names a file
// of the repository, and every #anchor a heading of its page.
func TestDocLinks(t *testing.T) {
	anchors := map[string]map[string]bool{}
	anchorsOf := func(path string) map[string]bool {
		if a, ok := anchors[path]; ok {
			return a
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		anchors[path] = headingAnchors(string(data))
		return anchors[path]
	}
	for _, page := range docPages(t) {
		data, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(repoRoot, page)
		// Links inside code blocks are code, not links.
		var prose strings.Builder
		in := false
		for _, l := range strings.Split(string(data), "\n") {
			if fence.MatchString(l) {
				in = !in
			}
			if !in {
				prose.WriteString(l + "\n")
			}
		}
		for _, m := range mdLink.FindAllStringSubmatch(prose.String(), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			file, frag, _ := strings.Cut(target, "#")
			path := page
			if file != "" {
				path = filepath.Join(filepath.Dir(page), file)
			}
			relTarget, _ := filepath.Rel(repoRoot, path)
			if pendingPages[filepath.ToSlash(relTarget)] {
				continue
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("%s: link %s: %v", rel, target, err)
				continue
			}
			if frag != "" && strings.HasSuffix(path, ".md") && !anchorsOf(path)[frag] {
				t.Errorf("%s: link %s: %s has no heading with the anchor #%s", rel, target, relTarget, frag)
			}
		}
	}
	for p := range pendingPages {
		if _, err := os.Stat(filepath.Join(repoRoot, p)); err == nil {
			t.Errorf("%s exists now: remove it from pendingPages", p)
		}
	}
}

// TestReadmeShort keeps README.md a newcomer's page (issue 13): what sbplc
// is, install, set-up, a tour and the index; everything else in docs/.
func TestReadmeShort(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "\n"); n > 300 {
		t.Errorf("README.md has %d lines; keep it under 300 and move the details to a page under docs/", n)
	}
}
