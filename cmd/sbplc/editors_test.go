package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The editor recipes of docs/editors.md, run in the real editors headless. Each
// test skips when its editor is not installed (SBPLC_TEST_NVIM and
// SBPLC_TEST_EMACS name the binaries), so CI without them passes.

// readmeBlock returns the fenced code block of docs/editors.md whose first line
// is first (the comment naming the file the recipe goes into).
func readmeBlock(t *testing.T, first string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "editors.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, block := range strings.Split(string(data), "```")[1:] {
		_, body, ok := strings.Cut(block, "\n")
		if ok && strings.HasPrefix(body, first+"\n") {
			return body
		}
	}
	t.Fatalf("docs/editors.md has no code block starting %q", first)
	return ""
}

// editorBinary finds the editor named by env or by name on the PATH.
func editorBinary(t *testing.T, env, name string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs an editor; skipped with -short")
	}
	if p := os.Getenv(env); p != "" {
		return p
	}
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed (set %s to test the recipe)", name, env)
	}
	return p
}

// buildSbplc builds the sbplc binary into a directory for the editors'
// PATH, and writes a profile with one fixable finding on line 3.
func buildSbplc(t *testing.T) (bin, profile string) {
	t.Helper()
	dir := t.TempDir()
	bin = filepath.Join(dir, "bin")
	if out, err := exec.Command("go", "build", "-o", filepath.Join(bin, "sbplc"), ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	profile = filepath.Join(dir, "proj", "p.sb")
	if err := os.MkdirAll(filepath.Dir(profile), 0o755); err != nil {
		t.Fatal(err)
	}
	text := "(version 1)\n(deny default)\n(allow file-write* (subpath \"/tmp/x\")) ; a comment\n"
	if err := os.WriteFile(profile, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return bin, profile
}

// nvimCheck reports, one fact per line, what the recipe gives a buffer:
// filetype, the highlight group of a string, the diagnostics, and the
// titles vim.lsp.buf.code_action() offers with the cursor on line 3 in the
// comment (outside the finding's span), then right after inserting a line
// above it (the finding moves to line 4).
const nvimCheck = `
local function out(s) io.stdout:write(s .. '\n') end
out('FT ' .. vim.bo.filetype)
out('GROUP ' .. vim.fn.synIDattr(vim.fn.synID(3, 30, 1), 'name'))
vim.wait(15000, function() return #vim.diagnostic.get(0) > 0 end, 50)
for _, d in ipairs(vim.diagnostic.get(0)) do out('DIAG ' .. (d.lnum + 1) .. ' ' .. tostring(d.code)) end
local function actions(label)
  local got
  vim.ui.select = function(items, opts)
    got = {}
    for _, it in ipairs(items) do table.insert(got, (opts.format_item(it))) end
  end
  vim.notify = function() got = got or {} end
  vim.lsp.buf.code_action()
  vim.wait(8000, function() return got ~= nil end, 20)
  out(label .. ' ' .. table.concat(got or {}, '|'))
end
vim.api.nvim_win_set_cursor(0, { 3, 44 })
actions('OUTSIDE')
vim.api.nvim_buf_set_lines(0, 0, 0, false, { ';; a new first line' })
vim.api.nvim_win_set_cursor(0, { 4, 32 })
actions('AFTER-EDIT')
`

func TestEditorRecipesNeovim(t *testing.T) {
	nvim := editorBinary(t, "SBPLC_TEST_NVIM", "nvim")
	vout, err := exec.Command(nvim, "--version").Output()
	m := regexp.MustCompile(`NVIM v0\.(\d+)\.`).FindSubmatch(vout)
	if err != nil || m == nil {
		t.Skipf("nvim --version: %v %q", err, vout)
	}
	minor, _ := strconv.Atoi(string(m[1]))
	if minor < 10 {
		t.Skipf("the recipes are for Neovim 0.10 and later, not %s", strings.SplitN(string(vout), "\n", 2)[0])
	}
	initLua := readmeBlock(t, "-- ~/.config/nvim/init.lua (Neovim 0.11 and later)")
	if minor == 10 {
		i := strings.Index(initLua, "vim.lsp.config('sbplc'")
		j := strings.Index(initLua, "vim.lsp.enable('sbplc')\n")
		if i < 0 || j < i {
			t.Fatal("the 0.11 recipe has no vim.lsp.config/vim.lsp.enable pair")
		}
		initLua = initLua[:i] + readmeBlock(t, "-- ~/.config/nvim/init.lua (Neovim 0.10)") + initLua[j+len("vim.lsp.enable('sbplc')\n"):]
	}
	bin, profile := buildSbplc(t)
	home := t.TempDir()
	cfg := filepath.Join(home, "config", "nvim")
	for name, text := range map[string]string{
		"init.lua":        initLua,
		"syntax/sbpl.vim": readmeBlock(t, `" ~/.config/nvim/syntax/sbpl.vim`),
		"../../check.lua": nvimCheck,
	} {
		p := filepath.Join(cfg, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(nvim, "--headless", profile, "-c", "luafile "+filepath.Join(home, "check.lua"), "-c", "qa!")
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"XDG_CONFIG_HOME="+filepath.Join(home, "config"), "XDG_DATA_HOME="+filepath.Join(home, "data"),
		"XDG_STATE_HOME="+filepath.Join(home, "state"), "XDG_CACHE_HOME="+filepath.Join(home, "cache"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("nvim: %v\n%s", err, out)
	}
	checkEditorOutput(t, string(out), "FT sbpl", "GROUP schemeString")
}

// checkEditorOutput checks the facts both editors' scripts report.
func checkEditorOutput(t *testing.T, out string, want ...string) {
	t.Helper()
	fix := `write "/private/tmp/x"`
	want = append(want, "DIAG 3 unresolved-symlink-path",
		"OUTSIDE "+fix+"|ignore unresolved-symlink-path on this line|ignore unresolved-symlink-path in this file",
		"AFTER-EDIT "+fix+"|ignore unresolved-symlink-path on this line|ignore unresolved-symlink-path in this file")
	lines := strings.Split(out, "\n")
	for _, w := range want {
		found := false
		for _, l := range lines {
			found = found || strings.TrimSpace(l) == w
		}
		if !found {
			t.Errorf("editor output lacks %q:\n%s", w, out)
		}
	}
}

// emacsCheck does in Emacs what nvimCheck does in Neovim. The project
// function makes the profile's directory a project, as a repository would.
const emacsCheck = `
(setq project-find-functions (list (lambda (dir) (cons 'transient dir))))
(defun out (fmt &rest args) (princ (concat (apply #'format fmt args) "\n")))
(find-file (car command-line-args-left))
(font-lock-ensure)
(out "FT %s" major-mode)
(goto-char (point-min)) (search-forward "\"/tmp")
(out "FACE %s" (get-text-property (point) 'face))
(unless (eglot-current-server) (apply #'eglot (eglot--guess-contact)))
(let ((deadline (+ (float-time) 15)))
  (while (and (< (float-time) deadline) (null (flymake-diagnostics)))
    (accept-process-output nil 0.1)))
(dolist (d (flymake-diagnostics))
  (when (string-match "\\[\\([a-z-]+\\)\\]" (flymake-diagnostic-text d))
    (out "DIAG %d %s" (line-number-at-pos (flymake-diagnostic-beg d)) (match-string 1 (flymake-diagnostic-text d)))))
(defun titles (label)
  (search-forward "; a comment")
  (let ((p (point)))
    (out "%s %s" label
         (mapconcat (lambda (a) (plist-get a :title)) (eglot-code-actions p p nil) "|"))))
(goto-char (point-min))
(titles "OUTSIDE")
(goto-char (point-min)) (insert ";; a new first line\n")
(titles "AFTER-EDIT")
(setq command-line-args-left nil)
`

func TestEditorRecipesEmacs(t *testing.T) {
	emacs := editorBinary(t, "SBPLC_TEST_EMACS", "emacs")
	bin, profile := buildSbplc(t)
	home := t.TempDir()
	initEl := filepath.Join(home, "init.el")
	check := filepath.Join(home, "check.el")
	if err := os.WriteFile(initEl, []byte(readmeBlock(t, ";; ~/.emacs.d/init.el")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(check, []byte(emacsCheck), 0o644); err != nil {
		t.Fatal(err)
	}
	// Not -Q: site-start makes packages such as Debian's elpa-eglot loadable.
	cmd := exec.Command(emacs, "--batch", "--eval", "(package-initialize)", "-l", initEl, "-l", check, profile)
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "HOME="+home)
	out, err := cmd.CombinedOutput()
	if strings.Contains(string(out), `Cannot open load file`) && strings.Contains(string(out), "eglot") {
		t.Skipf("eglot is not installed for this Emacs:\n%s", out)
	}
	if err != nil {
		t.Fatalf("emacs: %v\n%s", err, out)
	}
	checkEditorOutput(t, string(out), "FT sbpl-mode", "FACE font-lock-string-face")
}
