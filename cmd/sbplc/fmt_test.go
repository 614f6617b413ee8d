package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	fmtUgly = "(version 1)\n(allow file-read*\n    (literal \"/dev/null\"))\n(deny   default)\n"
	fmtNice = "(version 1)\n(allow file-read* (literal \"/dev/null\"))\n(deny default)\n"
	fmtBad  = "(version 1)\n(allow file-read* (literal \"/x\")\n"
)

func TestFmtPrints(t *testing.T) {
	dir := writeTree(t, map[string]string{"a.sb": fmtUgly})
	out, errs, code := runSbplc(t, "", "fmt", filepath.Join(dir, "a.sb"))
	if code != 0 || out != fmtNice || errs != "" {
		t.Fatalf("code %d, stdout %q, stderr %q", code, out, errs)
	}
	if readFile(t, filepath.Join(dir, "a.sb")) != fmtUgly {
		t.Fatal("fmt without -w modified the file")
	}
}

func TestFmtStdin(t *testing.T) {
	for _, args := range [][]string{{"fmt", "-"}, {"fmt"}} {
		out, errs, code := runSbplc(t, fmtUgly, args...)
		if code != 0 || out != fmtNice || errs != "" {
			t.Fatalf("%v: code %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
	out, _, code := runSbplc(t, fmtUgly, "fmt", "-l", "-")
	if code != 0 || out != "<stdin>\n" {
		t.Fatalf("-l on stdin: code %d, stdout %q", code, out)
	}
	_, errs, code := runSbplc(t, fmtUgly, "fmt", "-w", "-")
	if code != 2 || !strings.Contains(errs, "cannot use -w with standard input") {
		t.Fatalf("-w on stdin: code %d, stderr %q", code, errs)
	}
}

func TestFmtList(t *testing.T) {
	dir := writeTree(t, map[string]string{"ugly.sb": fmtUgly, "nice.sb": fmtNice, "sub/deep.sbpl": fmtUgly, "notes.txt": fmtUgly})
	out, errs, code := runSbplc(t, "", "fmt", "-l", dir)
	want := filepath.Join(dir, "sub", "deep.sbpl") + "\n" + filepath.Join(dir, "ugly.sb") + "\n"
	if code != 0 || out != want || errs != "" {
		t.Fatalf("code %d, stdout %q (want %q), stderr %q", code, out, want, errs)
	}
	out, _, code = runSbplc(t, "", "fmt", "-l", filepath.Join(dir, "*.sb"))
	if code != 0 || out != filepath.Join(dir, "ugly.sb")+"\n" {
		t.Fatalf("glob: code %d, stdout %q", code, out)
	}
}

func TestFmtDiff(t *testing.T) {
	dir := writeTree(t, map[string]string{"a.sb": fmtUgly, "b.sb": fmtNice})
	a := filepath.Join(dir, "a.sb")
	out, errs, code := runSbplc(t, "", "fmt", "-d", a, filepath.Join(dir, "b.sb"))
	want := "--- a/" + a + "\n+++ b/" + a + "\n" +
		"@@ -1,4 +1,3 @@\n" +
		" (version 1)\n" +
		"-(allow file-read*\n" +
		"-    (literal \"/dev/null\"))\n" +
		"-(deny   default)\n" +
		"+(allow file-read* (literal \"/dev/null\"))\n" +
		"+(deny default)\n"
	if code != 0 || out != want || errs != "" {
		t.Fatalf("code %d, stderr %q, stdout:\n%s\nwant:\n%s", code, errs, out, want)
	}
	if readFile(t, a) != fmtUgly {
		t.Fatal("-d modified the file")
	}
}

func TestFmtCheck(t *testing.T) {
	dir := writeTree(t, map[string]string{"ugly.sb": fmtUgly, "nice.sb": fmtNice})
	out, errs, code := runSbplc(t, "", "fmt", "--check", filepath.Join(dir, "nice.sb"))
	if code != 0 || out != "" || errs != "" {
		t.Fatalf("formatted file: code %d, stdout %q, stderr %q", code, out, errs)
	}
	out, errs, code = runSbplc(t, "", "fmt", "--check", dir)
	if code != 1 || out != "" || errs != "" {
		t.Fatalf("unformatted file: code %d, stdout %q, stderr %q", code, out, errs)
	}
	out, _, code = runSbplc(t, "", "fmt", "--check", "-l", dir)
	if code != 1 || out != filepath.Join(dir, "ugly.sb")+"\n" {
		t.Fatalf("--check -l: code %d, stdout %q", code, out)
	}
	if readFile(t, filepath.Join(dir, "ugly.sb")) != fmtUgly {
		t.Fatal("--check modified the file")
	}
}

func TestFmtWrite(t *testing.T) {
	dir := writeTree(t, map[string]string{"ugly.sb": fmtUgly, "nice.sb": fmtNice})
	ugly, nice := filepath.Join(dir, "ugly.sb"), filepath.Join(dir, "nice.sb")
	// A mode other than the one a new file gets: -w must keep it.
	if err := os.Chmod(ugly, 0o640); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(nice, old, old); err != nil {
		t.Fatal(err)
	}
	out, errs, code := runSbplc(t, "", "fmt", "-w", "-l", dir)
	if code != 0 || errs != "" || out != ugly+"\n" {
		t.Fatalf("code %d, stdout %q, stderr %q", code, out, errs)
	}
	if got := readFile(t, ugly); got != fmtNice {
		t.Fatalf("rewritten file:\n%s", got)
	}
	st, err := os.Stat(ugly)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o640 {
		t.Errorf("permissions changed to %v", st.Mode().Perm())
	}
	// an already formatted file is not rewritten at all
	st, err = os.Stat(nice)
	if err != nil {
		t.Fatal(err)
	}
	if !st.ModTime().Equal(old) {
		t.Errorf("formatted file was rewritten (mtime %v, want %v)", st.ModTime(), old)
	}
	// no temporary files are left behind
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v", names)
	}
	// a second run changes nothing
	out, _, code = runSbplc(t, "", "fmt", "-w", "-l", "--check", dir)
	if code != 0 || out != "" {
		t.Fatalf("second run: code %d, stdout %q", code, out)
	}
}

// TestFmtSyntaxError checks that a file with syntax errors is reported and
// never touched, and that the other files are still processed.
func TestFmtSyntaxError(t *testing.T) {
	dir := writeTree(t, map[string]string{"bad.sb": fmtBad, "ugly.sb": fmtUgly})
	bad, ugly := filepath.Join(dir, "bad.sb"), filepath.Join(dir, "ugly.sb")
	for _, flags := range [][]string{{}, {"-w"}, {"-d"}, {"-l"}, {"--check"}} {
		args := append(append([]string{"fmt"}, flags...), bad)
		out, errs, code := runSbplc(t, "", args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", flags, code)
		}
		if out != "" {
			t.Errorf("%v: stdout %q", flags, out)
		}
		if want := bad + ":2:1: error: list is never closed"; !strings.Contains(errs, want) {
			t.Errorf("%v: stderr %q does not contain %q", flags, errs, want)
		}
		if readFile(t, bad) != fmtBad {
			t.Fatalf("%v: file with syntax errors was modified", flags)
		}
	}
	_, _, code := runSbplc(t, "", "fmt", "-w", bad, ugly)
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	if readFile(t, ugly) != fmtNice {
		t.Error("the good file after a bad one was not formatted")
	}
	if readFile(t, bad) != fmtBad {
		t.Error("bad file modified")
	}
}

func TestFmtWidthAndUsage(t *testing.T) {
	src := "(allow file-read* (literal \"/a\") (literal \"/b\"))\n"
	out, _, code := runSbplc(t, src, "fmt", "--width", "30")
	want := "(allow file-read*\n  (literal \"/a\")\n  (literal \"/b\"))\n"
	if code != 0 || out != want {
		t.Fatalf("--width 30: code %d, stdout %q", code, out)
	}
	_, errs, code := runSbplc(t, "", "fmt", "--width", "-1", "-")
	if code != 2 || !strings.Contains(errs, "--width") {
		t.Fatalf("bad width: code %d, stderr %q", code, errs)
	}
	_, errs, code = runSbplc(t, "", "fmt", filepath.Join(t.TempDir(), "missing.sb"))
	if code != 2 || !strings.Contains(errs, "missing.sb") {
		t.Fatalf("missing file: code %d, stderr %q", code, errs)
	}
	_, _, code = runSbplc(t, "", "fmt", "--bogus")
	if code != 2 {
		t.Fatalf("unknown flag: code %d", code)
	}
}

// TestFmtWriteSymlink checks that -w rewrites a link's target and keeps the link.
func TestFmtWriteSymlink(t *testing.T) {
	dir := writeTree(t, map[string]string{"real.sb": fmtUgly})
	link := filepath.Join(dir, "link.sb")
	if err := os.Symlink("real.sb", link); err != nil {
		t.Skip(err)
	}
	if _, errs, code := runSbplc(t, "", "fmt", "-w", link); code != 0 {
		t.Fatalf("code %d, stderr %q", code, errs)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v", err)
	}
	if got := readFile(t, filepath.Join(dir, "real.sb")); got != fmtNice {
		t.Fatalf("target not rewritten:\n%s", got)
	}
}

// TestExamplesFormatted keeps the bundled examples in the canonical layout:
// they are the first profiles a new user copies.
func TestExamplesFormatted(t *testing.T) {
	if out, errs, code := runSbplc(t, "", "fmt", "--check", "-l", filepath.Join("..", "..", "examples")); code != 0 {
		t.Fatalf("examples are not formatted (run sbplc fmt -w examples/): exit %d\n%s%s", code, out, errs)
	}
}
