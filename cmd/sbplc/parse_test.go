package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

const parseGood = "(version 1)\n(deny default)\n(allow file-read* (subpath \"/usr\"))\n"

func TestParseExitCodes(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"good.sb": parseGood,
		"bad.sb":  "(version 1)\n(allow file-read* @x)\n(deny default\n",
	})
	good, bad := filepath.Join(dir, "good.sb"), filepath.Join(dir, "bad.sb")

	out, errs, code := runSbplc(t, "", "parse", good)
	if code != 0 || out != "" || errs != "" {
		t.Errorf("clean file: code %d, stdout %q, stderr %q", code, out, errs)
	}

	_, errs, code = runSbplc(t, "", "parse", good, bad)
	if code != 1 {
		t.Errorf("syntax errors: exit %d, want 1", code)
	}
	for _, want := range []string{
		bad + ":2:19: error: unexpected character '@' [syntax-error]",
		" 2 | (allow file-read* @x)",
		bad + ":3:1: error: list is never closed: add ')' to match this '(' [syntax-error]",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}

	_, errs, code = runSbplc(t, "", "parse", filepath.Join(dir, "missing.sb"))
	if code != 2 || !strings.Contains(errs, "missing.sb: no such file or directory") {
		t.Errorf("missing file: code %d, stderr %q", code, errs)
	}
	// A file that cannot be read does not hide the others' errors.
	_, errs, code = runSbplc(t, "", "parse", bad, filepath.Join(dir, "missing.sb"), filepath.Join(dir, "gone.sb"))
	if code != 2 || !strings.Contains(errs, bad+":2:19: error") ||
		!strings.Contains(errs, "sbplc: "+filepath.Join(dir, "missing.sb")+": no such file or directory\nsbplc: "+filepath.Join(dir, "gone.sb")) {
		t.Errorf("missing file among others: code %d, stderr %q", code, errs)
	}

	_, errs, code = runSbplc(t, "", "parse", "--format", "xml", good)
	if code != 2 || !strings.Contains(errs, `unknown --format "xml": use none, sexpr, json`) {
		t.Errorf("bad format: code %d, stderr %q", code, errs)
	}

	_, errs, code = runSbplc(t, "", "parse", "--bogus", good)
	if code != 2 || !strings.Contains(errs, "unknown flag: --bogus") || !strings.Contains(errs, "sbplc parse --help") {
		t.Errorf("bad flag: code %d, stderr %q", code, errs)
	}

	_, errs, code = runSbplc(t, "", "parse")
	if code != 2 || !strings.Contains(errs, "no input files") {
		t.Errorf("no arguments: code %d, stderr %q", code, errs)
	}
}

func TestParseFormatSexpr(t *testing.T) {
	out, errs, code := runSbplc(t, "(allow file-read* (literal \"/a\")) ; c\n'x\n", "parse", "--format", "sexpr", "-")
	if code != 0 || errs != "" {
		t.Fatalf("code %d, stderr %q", code, errs)
	}
	want := `(list @1:1-1:34
  (symbol @1:2-1:7 allow)
  (symbol @1:8-1:18 file-read*)
  (list @1:19-1:33
    (symbol @1:20-1:27 literal)
    (string @1:28-1:32 "/a")))
(quote @2:1-2:3
  (symbol @2:2-2:3 x))
`
	if out != want {
		t.Errorf("sexpr output:\n%s\nwant:\n%s", out, want)
	}

	dir := writeTree(t, map[string]string{"a.sb": "a\n", "b.sb": "b\n"})
	out, _, code = runSbplc(t, "", "parse", "--format", "sexpr", dir)
	wantMulti := ";; " + filepath.Join(dir, "a.sb") + "\n(symbol @1:1-1:2 a)\n;; " + filepath.Join(dir, "b.sb") + "\n(symbol @1:1-1:2 b)\n"
	if code != 0 || out != wantMulti {
		t.Errorf("several files: code %d, output:\n%s\nwant:\n%s", code, out, wantMulti)
	}
}

func TestParseFormatJSON(t *testing.T) {
	out, errs, code := runSbplc(t, "(a \"<b>\" #t 7)\n) ; c\n", "parse", "--format=json", "-")
	if code != 1 {
		t.Fatalf("code %d, want 1 (stray paren); stderr %q", code, errs)
	}
	if !strings.Contains(errs, "<stdin>:2:1: error: unexpected ')'") {
		t.Errorf("stderr: %q", errs)
	}
	if strings.Contains(out, `\u003c`) {
		t.Errorf("JSON escapes HTML characters: %s", out)
	}
	var got []struct {
		File  string `json:"file"`
		Forms []struct {
			Type   string `json:"type"`
			Start  int    `json:"start"`
			End    int    `json:"end"`
			Line   int    `json:"line"`
			Column int    `json:"column"`
			Elems  []struct {
				Type  string `json:"type"`
				Value any    `json:"value"`
			} `json:"elems"`
			Comments []string `json:"comments"`
		} `json:"forms"`
		Diagnostics []struct {
			Code     string `json:"code"`
			Severity string `json:"severity"`
			Message  string `json:"message"`
			Line     int    `json:"line"`
			Column   int    `json:"column"`
		} `json:"diagnostics"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if len(got) != 1 || got[0].File != "<stdin>" || len(got[0].Forms) != 2 {
		t.Fatalf("shape: %+v", got)
	}
	l := got[0].Forms[0]
	if l.Type != "list" || l.Start != 0 || l.End != 14 || l.Line != 1 || l.Column != 1 || len(l.Elems) != 4 {
		t.Errorf("list node: %+v", l)
	}
	types := []string{}
	for _, e := range l.Elems {
		types = append(types, e.Type)
	}
	if strings.Join(types, " ") != "symbol string bool number" || l.Elems[1].Value != "<b>" || l.Elems[3].Value != float64(7) {
		t.Errorf("elements: %+v", l.Elems)
	}
	if e := got[0].Forms[1]; e.Type != "error" || len(e.Comments) != 1 || e.Comments[0] != "; c" {
		t.Errorf("stray paren node: %+v", e)
	}
	if ds := got[0].Diagnostics; len(ds) != 1 || ds[0].Code != "syntax-error" || ds[0].Severity != "error" || ds[0].Line != 2 || ds[0].Column != 1 {
		t.Errorf("diagnostics: %+v", ds)
	}

	// A clean file still has an empty diagnostics array, never null.
	out, _, _ = runSbplc(t, "x", "parse", "--format", "json", "-")
	if !strings.Contains(out, `"diagnostics": []`) {
		t.Errorf("clean file JSON: %s", out)
	}
}

func TestParseStdin(t *testing.T) {
	_, errs, code := runSbplc(t, "(version 1\n", "parse", "-")
	if code != 1 || !strings.HasPrefix(errs, "<stdin>:1:1: error: list is never closed") {
		t.Errorf("code %d, stderr %q", code, errs)
	}
}

func TestParseExpandsDirectoriesAndGlobs(t *testing.T) {
	root := writeTree(t, map[string]string{
		"tree/a.sb":         parseGood,
		"tree/b.sbpl":       parseGood,
		"tree/c.sb.in":      "#include \"a.sb\"\n" + parseGood,
		"tree/notes.txt":    "(not a profile",
		"tree/sub/d.sb":     parseGood,
		"tree/.hidden/e.sb": "(broken",
		"glob/x.sb":         "(x",
		"glob/y.sb":         "y",
		"glob/z.txt":        "(z",
		"empty/readme.txt":  "",
	})
	dir := filepath.Join(root, "tree")
	out, errs, code := runSbplc(t, "", "parse", "--format", "sexpr", dir)
	if code != 0 || errs != "" {
		t.Errorf("directory: code %d, stderr %q", code, errs)
	}
	for _, want := range []string{"a.sb", "b.sbpl", "c.sb.in", filepath.Join("sub", "d.sb")} {
		if !strings.Contains(out, ";; "+filepath.Join(dir, want)+"\n") {
			t.Errorf("directory expansion misses %s:\n%s", want, out)
		}
	}
	for _, skip := range []string{"notes.txt", ".hidden"} {
		if strings.Contains(out, skip) {
			t.Errorf("directory expansion includes %s", skip)
		}
	}

	_, errs, code = runSbplc(t, "", "parse", filepath.Join(root, "glob", "*.sb"))
	if code != 1 || !strings.Contains(errs, filepath.Join(root, "glob", "x.sb")+":1:1: error: list is never closed") {
		t.Errorf("glob: code %d, stderr %q", code, errs)
	}
	if strings.Contains(errs, "z.txt") {
		t.Errorf("glob matched a .txt file: %s", errs)
	}

	_, errs, code = runSbplc(t, "", "parse", filepath.Join(root, "nothing*.sb"))
	if code != 2 || !strings.Contains(errs, "no files match") {
		t.Errorf("empty glob: code %d, stderr %q", code, errs)
	}
	_, errs, code = runSbplc(t, "", "parse", filepath.Join(root, "empty"))
	if code != 2 || !strings.Contains(errs, "no profile files (*.sb, *.sbpl, *.sb.in)") {
		t.Errorf("directory without profiles: code %d, stderr %q", code, errs)
	}
	// A file named explicitly is read whatever its extension.
	_, errs, code = runSbplc(t, "", "parse", filepath.Join(dir, "notes.txt"))
	if code != 1 || !strings.Contains(errs, "notes.txt:1:1") {
		t.Errorf("explicit file: code %d, stderr %q", code, errs)
	}
}
