package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUseColor(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	var buf strings.Builder
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, tc := range []struct {
		mode string
		env  func(string) string
		want bool
	}{
		{"always", env(), true},
		{"always", env("NO_COLOR", "1"), true}, // a flag wins over NO_COLOR
		{"never", env(), false},
		{"auto", env(), false}, // a buffer is no terminal
		{"auto", env("TERM", "xterm"), false},
	} {
		if got := useColor(tc.mode, &buf, tc.env); got != tc.want {
			t.Errorf("%s on a buffer: %v, want %v", tc.mode, got, tc.want)
		}
	}
	if useColor("auto", f, env()) {
		t.Error("auto on a regular file: colour")
	}
}

// TestColorFlag: --color=always colours lint's text output, never and the
// default (output is not a terminal) do not, and a bad value is a usage
// error.
func TestColorFlag(t *testing.T) {
	out, _, _ := runSbplc(t, lintBad, "lint", "--no-config", "--color", "always", "-")
	if !strings.Contains(out, "\x1b[31merror:\x1b[0m") || !strings.Contains(out, "\x1b[1m<stdin>:3:29:\x1b[0m") {
		t.Errorf("--color always: no ANSI colours in\n%q", out)
	}
	for _, args := range [][]string{{"--color", "never"}, {"--color=auto"}, nil} {
		out, _, _ := runSbplc(t, lintBad, append(append([]string{"lint", "--no-config"}, args...), "-")...)
		if strings.Contains(out, "\x1b[") || !strings.Contains(out, "error:") {
			t.Errorf("%v: %q", args, out)
		}
	}
	// Global: before the command, and for diagnostics on standard error.
	_, errs, _ := runSbplc(t, "(allow", "--color=always", "parse", "-")
	if !strings.Contains(errs, "\x1b[31merror:") {
		t.Errorf("parse diagnostics not coloured: %q", errs)
	}
	_, errs, code := runSbplc(t, "", "--color", "sometimes", "rules")
	if code != exitUsage || !strings.Contains(errs, `unknown --color "sometimes": use auto, always, never`) {
		t.Errorf("bad --color: exit %d, %q", code, errs)
	}
}
