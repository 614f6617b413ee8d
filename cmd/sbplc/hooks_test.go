package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// hook is one entry of .pre-commit-hooks.yaml.
type hook map[string]string

// readHooks parses the subset of YAML the hooks file uses: a top-level
// sequence of flat mappings with plain or quoted scalar values. Anything
// else is an error, so a malformed file fails the test.
func readHooks(data []byte) ([]hook, error) {
	var hooks []hook
	sc := bufio.NewScanner(bytes.NewReader(data))
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		switch {
		case strings.HasPrefix(line, "- "):
			hooks = append(hooks, hook{})
			line = line[2:]
		case strings.HasPrefix(line, "  ") && len(hooks) > 0 && !strings.HasPrefix(line, "   "):
			line = line[2:]
		default:
			return nil, fmt.Errorf("line %d: unexpected %q", n, line)
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok || key == "" || strings.ContainsAny(key, " \t'\"") {
			return nil, fmt.Errorf("line %d: want key: value, got %q", n, line)
		}
		value = strings.TrimSpace(value)
		switch {
		case strings.HasPrefix(value, "'"):
			if len(value) < 2 || !strings.HasSuffix(value, "'") {
				return nil, fmt.Errorf("line %d: unterminated quote", n)
			}
			value = strings.ReplaceAll(value[1:len(value)-1], "''", "'")
		case strings.HasPrefix(value, `"`):
			return nil, fmt.Errorf("line %d: use single quotes (double-quoted escapes are not supported here)", n)
		case strings.Contains(value, " #"):
			value = strings.TrimSpace(value[:strings.Index(value, " #")])
		}
		h := hooks[len(hooks)-1]
		if _, dup := h[key]; dup {
			return nil, fmt.Errorf("line %d: duplicate key %q", n, key)
		}
		h[key] = value
	}
	return hooks, sc.Err()
}

func TestReadHooks(t *testing.T) {
	for _, bad := range []string{"id: x\n", "- id: x\n    deep: y\n", "- id x\n", "- id: 'x\n", "- id: a\n  id: b\n", "- id: \"x\"\n"} {
		if _, err := readHooks([]byte(bad)); err == nil {
			t.Errorf("readHooks(%q) accepted malformed YAML", bad)
		}
	}
	hs, err := readHooks([]byte("# c\n- id: a # note\n  files: '\\.(x)$'\n- id: b\n"))
	if err != nil || len(hs) != 2 || hs[0]["id"] != "a" || hs[0]["files"] != `\.(x)$` || hs[1]["id"] != "b" {
		t.Fatalf("readHooks: %v %v", hs, err)
	}
}

// TestPreCommitHooks checks the hooks file at the repository root and runs
// each hook's entry command in-process on sample files, the way pre-commit
// runs it (entry, then args, then the staged file names).
func TestPreCommitHooks(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", ".pre-commit-hooks.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	hooks, err := readHooks(data)
	if err != nil {
		t.Fatalf(".pre-commit-hooks.yaml: %v", err)
	}
	byID := map[string]hook{}
	for _, h := range hooks {
		for _, k := range []string{"id", "name", "entry", "language", "files"} {
			if h[k] == "" {
				t.Errorf("hook %q: no %s", h["id"], k)
			}
		}
		if h["language"] != "golang" {
			t.Errorf("hook %s: language %q, want golang", h["id"], h["language"])
		}
		re, err := regexp.Compile(h["files"])
		if err != nil {
			t.Fatalf("hook %s: files: %v", h["id"], err)
		}
		for name, want := range map[string]bool{"a.sb": true, "dir/b.sbpl": true, "c.sb.in": true, "dir/WebProcess.sb.in": true, "d.sbx": false, "e.in": false, "README.md": false} {
			if re.MatchString(name) != want {
				t.Errorf("hook %s: files %q matches %s = %v, want %v", h["id"], h["files"], name, !want, want)
			}
		}
		byID[h["id"]] = h
	}
	for _, id := range []string{"sbplc-lint", "sbplc-fmt", "sbplc-fmt-check"} {
		if byID[id] == nil {
			t.Fatalf("no %s hook", id)
		}
	}

	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const clean = "(version 1)\n(deny default)\n(allow file-read* (subpath \"/usr/lib\"))\n"
	const messy = "(version 1)\n(deny default)\n(allow   file-read*\n        (subpath \"/usr/lib\"))\n"
	const broken = "(version 1)\n(allow file-read* (subpath \"/usr/lib\")\n"
	runHook := func(id string, files ...string) (int, string) {
		h := byID[id]
		fields := strings.Fields(h["entry"])
		if len(fields) == 0 || fields[0] != "sbplc" {
			t.Fatalf("hook %s: entry %q does not run sbplc", id, h["entry"])
		}
		args := append(fields[1:], strings.Fields(h["args"])...)
		args = append(args, files...)
		out, errs, code := runSbplc(t, "", args...)
		return code, out + errs
	}

	t.Run("sbplc-lint", func(t *testing.T) {
		good := write("good.sb", clean)
		if code, out := runHook("sbplc-lint", good); code != 0 {
			t.Fatalf("clean profile: exit %d\n%s", code, out)
		}
		// WebKit-style templates: C preprocessor lines are trivia.
		tmpl := write("tmpl.sb.in", "(version 1)\n(deny default)\n#if ENABLE_X\n(allow file-read* (subpath \"/usr/lib\"))\n#endif\n")
		if code, out := runHook("sbplc-lint", tmpl); code != 0 || strings.Contains(out, ": error:") {
			t.Fatalf("template: exit %d\n%s", code, out)
		}
		bad := write("bad.sbpl", broken)
		code, out := runHook("sbplc-lint", good, bad)
		if code != 1 || !strings.Contains(out, "bad.sbpl:2:") || !strings.Contains(out, "error:") {
			t.Fatalf("broken profile: exit %d, want 1 with a file:line diagnostic\n%s", code, out)
		}
	})
	t.Run("sbplc-fmt", func(t *testing.T) {
		good := write("good-fmt.sb", clean)
		m := write("messy.sb", messy)
		code, out := runHook("sbplc-fmt", good, m)
		if code != 0 || strings.TrimSpace(out) != m {
			t.Fatalf("fmt hook: exit %d, output %q, want the rewritten file listed", code, out)
		}
		if got, _ := os.ReadFile(m); string(got) != clean {
			t.Fatalf("messy.sb rewritten as %q, want %q", got, clean)
		}
		if got, _ := os.ReadFile(good); string(got) != clean {
			t.Fatalf("good file changed: %q", got)
		}
		// Second run: nothing to do, so pre-commit passes.
		if code, out := runHook("sbplc-fmt", good, m); code != 0 || out != "" {
			t.Fatalf("second fmt run: exit %d, output %q", code, out)
		}
		b := write("broken.sb", broken)
		if code, out := runHook("sbplc-fmt", b); code != 2 || !strings.Contains(out, "broken.sb:") {
			t.Fatalf("fmt on broken file: exit %d\n%s", code, out)
		}
		if got, _ := os.ReadFile(b); string(got) != broken {
			t.Fatal("fmt modified a file with syntax errors")
		}
	})
	t.Run("sbplc-fmt-check", func(t *testing.T) {
		m := write("messy-check.sb", messy)
		code, out := runHook("sbplc-fmt-check", m)
		if code != 1 || strings.TrimSpace(out) != m {
			t.Fatalf("check hook: exit %d, output %q, want 1 and the file listed", code, out)
		}
		if got, _ := os.ReadFile(m); string(got) != messy {
			t.Fatal("check hook rewrote the file")
		}
		if code, out := runHook("sbplc-fmt-check", write("ok.sb", clean)); code != 0 {
			t.Fatalf("check hook on a clean file: exit %d\n%s", code, out)
		}
	})
}

// TestShellCompletions checks cobra's completion scripts, documented in
// docs/editors.md, for each shell.
func TestShellCompletions(t *testing.T) {
	for shell, marker := range map[string]string{"bash": "__start_sbplc", "zsh": "#compdef sbplc", "fish": "complete -c sbplc", "powershell": "Register-ArgumentCompleter"} {
		out, errs, code := runSbplc(t, "", "completion", shell)
		if code != 0 {
			t.Fatalf("completion %s: exit %d: %s", shell, code, errs)
		}
		if !strings.Contains(out, marker) {
			t.Errorf("completion %s: output lacks %q", shell, marker)
		}
	}
	// Dynamic completion of subcommands and flags goes through __complete.
	if out, _, _ := runSbplc(t, "", "__complete", "ls"); !strings.Contains(out, "lsp") {
		t.Errorf("__complete ls: %q lacks lsp", out)
	}
}
