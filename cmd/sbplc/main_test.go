package main

import (
	"errors"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	out, errs, code := runSbplc(t, "", "version")
	re := regexp.MustCompile(`^sbplc \S+ ` + runtime.GOOS + "/" + runtime.GOARCH + ` go\S+\n$`)
	if code != 0 || errs != "" || !re.MatchString(out) {
		t.Errorf("version: code %d, stdout %q, stderr %q", code, out, errs)
	}
	old := version
	version = "v1.2.3"
	defer func() { version = old }()
	if out, _, _ := runSbplc(t, "", "version"); !strings.HasPrefix(out, "sbplc v1.2.3 ") {
		t.Errorf("release version: %q", out)
	}
	if _, errs, code := runSbplc(t, "", "version", "extra"); code != 2 || errs == "" {
		t.Errorf("version with an argument: code %d, stderr %q", code, errs)
	}
}

func TestMainUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate" for "sbplc"`},
		{[]string{"--no-such-flag"}, "unknown flag: --no-such-flag"},
		{[]string{"parse", "-x", "a.sb"}, "unknown shorthand flag: 'x'"},
	}
	for _, tt := range tests {
		_, errs, code := runSbplc(t, "", tt.args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", tt.args, code)
		}
		if !strings.HasPrefix(errs, "sbplc: ") || !strings.Contains(errs, tt.want) || !strings.Contains(errs, "--help") {
			t.Errorf("%v: stderr %q, want %q and a pointer to --help", tt.args, errs, tt.want)
		}
		if strings.Contains(errs, "goroutine") || strings.Count(errs, tt.want) != 1 {
			t.Errorf("%v: message printed badly: %q", tt.args, errs)
		}
	}
}

func TestMainHelp(t *testing.T) {
	out, errs, code := runSbplc(t, "", "--help")
	if code != 0 || errs != "" {
		t.Fatalf("help: code %d, stderr %q", code, errs)
	}
	for _, want := range []string{"parse", "version", "Examples:"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q:\n%s", want, out)
		}
	}
	out, _, code = runSbplc(t, "", "parse", "--help")
	if code != 0 || !strings.Contains(out, "sbplc parse --format sexpr profile.sb") || !strings.Contains(out, "Exit status") {
		t.Errorf("parse help: code %d\n%s", code, out)
	}
}

// TestCheckFormat: the --format check names the choices in one sentence,
// as a usage error.
func TestCheckFormat(t *testing.T) {
	if err := checkFormat("json", "text", "json"); err != nil {
		t.Errorf("a known format: %v", err)
	}
	for _, c := range []struct {
		choices []string
		want    string
	}{
		{[]string{"text", "json"}, `unknown --format "xml": use text or json`},
		{[]string{"text", "json", "sarif"}, `unknown --format "xml": use text, json or sarif`},
	} {
		err := checkFormat("xml", c.choices...)
		var ee *exitError
		if !errors.As(err, &ee) || ee.Code != exitUsage || err.Error() != c.want {
			t.Errorf("checkFormat(xml, %v) = %v, want the usage error %q", c.choices, err, c.want)
		}
	}
}

func TestExitErrorText(t *testing.T) {
	if got := findings().Error(); got != "exit 1" {
		t.Errorf("findings(): %q", got)
	}
	if got := usageErrorf("bad %s", "thing").Error(); got != "bad thing" {
		t.Errorf("usageErrorf: %q", got)
	}
}

// TestExamplesAreClean keeps the bundled examples (the README's first
// command lints one) free of syntax errors and lint findings.
func TestExamplesAreClean(t *testing.T) {
	dir := filepath.Join("..", "..", "examples")
	files, err := filepath.Glob(filepath.Join(dir, "*.sb"))
	if err != nil || len(files) < 2 {
		t.Fatalf("examples: %v %v", files, err)
	}
	if out, errs, code := runSbplc(t, "", "parse", dir); code != 0 || out != "" || errs != "" {
		t.Errorf("parse examples/: code %d\n%s%s", code, out, errs)
	}
	out, errs, code := runSbplc(t, "", "lint", dir)
	if code != 0 || strings.Contains(out, ": warning:") || strings.Contains(out, ": error:") || strings.Contains(out, ": info:") {
		t.Errorf("lint examples/: code %d\n%s%s", code, out, errs)
	}
}

// TestRegisteredNames checks that each subcommand is registered under the
// name its Use line gives, once: run builds only the subcommand whose
// registered name the first argument is.
func TestRegisteredNames(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range commands {
		if got := c.make().Name(); got != c.name {
			t.Errorf("registered as %q, but its Use line names %q", c.name, got)
		}
		if seen[c.name] {
			t.Errorf("%q registered twice", c.name)
		}
		seen[c.name] = true
	}
	if len(seen) < 15 {
		t.Errorf("only %d subcommands registered", len(seen))
	}
}

func TestOnlyCommand(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"lint", "p.sb"}, "lint"},
		{[]string{"version"}, "version"},
		{nil, ""},
		{[]string{"help", "lint"}, ""},       // help lists the others
		{[]string{"completion", "bash"}, ""}, // the script names every command
		{[]string{"__complete", "li"}, ""},
		{[]string{"lnit"}, ""}, // suggestions need the others
		{[]string{"-v", "lint"}, ""},
	} {
		if got := onlyCommand(tt.args); got != tt.want {
			t.Errorf("onlyCommand(%q) = %q, want %q", tt.args, got, tt.want)
		}
	}
	root := newRootFor("version", nil, nil, nil)
	for _, c := range root.Commands() {
		if c.Name() == "lint" {
			t.Error("newRootFor(version) built lint")
		}
	}
	if c, _, err := root.Find([]string{"version"}); err != nil || c.Name() != "version" {
		t.Errorf("newRootFor(version) lacks version: %v", err)
	}
}
