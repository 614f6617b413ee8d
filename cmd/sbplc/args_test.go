package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestArgsUsage checks sbplc-style argument errors (QA #8/#9/#24): the
// command path, what is missing or extra, the usage line, exit 2.
func TestArgsUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string // the whole of stderr
	}{
		{[]string{"explain"}, "sbplc explain: missing RULE-ID (usage: sbplc explain RULE-ID [flags])\n"},
		{[]string{"compile"}, "sbplc compile: missing PROFILE (usage: sbplc compile [-D K=V] [--prelude F] [--emit bytecode|sbpl|json] [--backend native|libsandbox] -o OUT PROFILE)\n"},
		{[]string{"disasm", "a", "b"}, `sbplc disasm: unexpected argument "b": disasm takes one argument (usage: sbplc disasm [--format text|json|dot] [--target OS] BLOB)` + "\n"},
		{[]string{"rules", "x"}, `sbplc rules: unexpected argument "x": rules takes no arguments (usage: sbplc rules [--format text|json] [--category NAME])` + "\n"},
		{[]string{"lint"}, "sbplc: no input files: name profiles, directories or globs, or - for standard input (see 'sbplc lint --help')\n"},
		{[]string{"lint", "--jobs", "-1", "x.sb"}, "sbplc: --jobs must be 0 (one per CPU) or more, not -1\n"},
		{[]string{"fmt", "--width", "0", "x.sb"}, "sbplc: --width must be positive, not 0\n"},
		{[]string{"completion", "tcsh"}, `sbplc: unknown shell "tcsh": use bash, zsh, fish or powershell` + "\n"},
		{[]string{"completion"}, "sbplc completion: missing SHELL: use bash, zsh, fish or powershell (usage: sbplc completion bash|zsh|fish|powershell)\n"},
	}
	for _, tt := range tests {
		out, errs, code := runSbplc(t, "", tt.args...)
		if code != 2 || errs != tt.want || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr\n%q\nwant exit 2 and\n%q", tt.args, code, out, errs, tt.want)
		}
	}
	if out, _, code := runSbplc(t, "", "completion", "bash"); code != 0 || !strings.Contains(out, "bash completion") {
		t.Errorf("completion bash: exit %d, %.60q", code, out)
	}
}

// TestArgsUsageHelper checks argsUsage's wording for a three-argument
// command like query, including the repeated last name.
func TestArgsUsageHelper(t *testing.T) {
	c := &cobra.Command{Use: "query [flags] PROFILE OPERATION [RESOURCE]"}
	root := &cobra.Command{Use: "sbplc"}
	root.AddCommand(c)
	check := argsUsage(2, 3, "PROFILE", "OPERATION", "RESOURCE")
	if err := check(c, []string{"p.sb"}); err == nil || err.Error() != "sbplc query: missing OPERATION (usage: sbplc query [flags] PROFILE OPERATION [RESOURCE])" {
		t.Errorf("one argument: %v", err)
	}
	if err := check(c, nil); err == nil || !strings.HasPrefix(err.Error(), "sbplc query: missing PROFILE ") {
		t.Errorf("no argument: %v", err)
	}
	if err := check(c, []string{"a", "b", "c", "d"}); err == nil || !strings.HasPrefix(err.Error(), `sbplc query: unexpected argument "d": query takes at most 3 arguments`) {
		t.Errorf("four arguments: %v", err)
	}
	if err := check(c, []string{"a", "b"}); err != nil {
		t.Errorf("two arguments: %v", err)
	}
	files := argsUsage(1, -1, "FILE")
	if err := files(c, []string{"a", "b", "c", "d", "e"}); err != nil {
		t.Errorf("unbounded: %v", err)
	}
}

// TestUsageLineNoDuplicateFlags checks that a Use line listing its flags
// gets no "[flags]" appended (QA #24).
func TestUsageLineNoDuplicateFlags(t *testing.T) {
	out, _, code := runSbplc(t, "", "fmt", "--help")
	if code != 0 || !strings.Contains(out, "sbplc fmt [-d] [-w] [-l] [--check] [--width N] [FILE...]\n") {
		t.Errorf("fmt --help usage line (exit %d):\n%s", code, out)
	}
	root := newRoot(nil, nil, nil)
	for _, c := range root.Commands() {
		if strings.Count(c.UseLine(), "[flags]") > 1 || strings.Contains(c.Use, "[-") && strings.Contains(c.UseLine(), "[flags]") {
			t.Errorf("%s: usage line %q", c.Name(), c.UseLine())
		}
	}
}

// TestWriteErrors checks the messages of fmt -w on a read-only file and of
// -o into a missing directory (QA #4/#6): no temporary file name, exit 2,
// file untouched.
func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	ro := filepath.Join(dir, "ro.sb")
	os.WriteFile(ro, []byte("(version 1)\n(allow   default)\n"), 0o444)
	_, errs, code := runSbplc(t, "", "fmt", "-w", ro)
	if code != 2 || errs != "sbplc: cannot write "+ro+": permission denied (the file is read-only)\n" {
		t.Errorf("fmt -w read-only: exit %d, stderr %q", code, errs)
	}
	if got, _ := os.ReadFile(ro); string(got) != "(version 1)\n(allow   default)\n" {
		t.Errorf("read-only file changed: %q", got)
	}
	src := filepath.Join(dir, "ok.sb")
	os.WriteFile(src, []byte("(version 1)\n(allow default)\n"), 0o644)
	out := filepath.Join(dir, "nonexistent", "dir", "out.sb")
	_, errs, code = runSbplc(t, "", "compile", "--emit", "sbpl", "-o", out, src)
	want := "cannot write " + out + ": directory " + filepath.Dir(out) + " does not exist"
	if code != 2 || !strings.Contains(errs, want) || strings.Contains(errs, ".tmp-") {
		t.Errorf("compile -o missing dir: exit %d, stderr %q, want %q", code, errs, want)
	}
}
