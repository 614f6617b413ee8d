package main

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestReadBuildVersion(t *testing.T) {
	vcs := []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d"},
		{Key: "vcs.time", Value: "2026-12-07T23:45:00Z"}, {Key: "vcs.modified", Value: "true"}}
	plat := " " + runtime.GOOS + "/" + runtime.GOARCH + " " + runtime.Version()
	for _, tc := range []struct {
		name, stamped string
		bi            *debug.BuildInfo
		str, numeric  string
	}{
		{"no build info", "", nil, "sbplc devel" + plat, "0.0.0-devel"},
		{"go build in a checkout", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs},
			"sbplc devel (1a2b3c4d5e6f 2026-12-07T23:45:00Z, modified)" + plat, "0.0.0-devel+1a2b3c4d5e6f"},
		{"go install pkg@v0.2.0", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.2.0"}},
			"sbplc v0.2.0" + plat, "0.2.0"},
		{"pseudo-version", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261207234500-1a2b3c4d5e6f"}},
			"sbplc v0.0.0-20261207234500-1a2b3c4d5e6f" + plat, "0.0.0-20261207234500-1a2b3c4d5e6f"},
		{"release build", "v1.2.3", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs[:3]},
			"sbplc v1.2.3 (1a2b3c4d5e6f 2026-12-07T23:45:00Z)" + plat, "1.2.3"},
	} {
		v := readBuildVersion(tc.stamped, tc.bi, tc.bi != nil)
		if v.String() != tc.str || v.Numeric() != tc.numeric {
			t.Errorf("%s: %q / %q, want %q / %q", tc.name, v.String(), v.Numeric(), tc.str, tc.numeric)
		}
	}
}

// TestVersionFlag: 'sbplc --version' prints what 'sbplc version' prints,
// and -v still means --verbose.
func TestVersionFlag(t *testing.T) {
	want, _, _ := runSbplc(t, "", "version")
	got, errs, code := runSbplc(t, "", "--version")
	if code != 0 || got != want || errs != "" {
		t.Errorf("--version: exit %d, %q (stderr %q), want %q", code, got, errs, want)
	}
	_, errs, code = runSbplc(t, "", "-v", "rules", "--category", "style")
	if code != 0 || strings.Contains(errs, "version") {
		t.Errorf("-v rules: exit %d, stderr %q", code, errs)
	}
}

// TestGoDirective: go.mod asks for a Go release, not a point release (a
// point release brings fixes, never a language feature or API the code
// could need, and Go 1.N.0 with GOTOOLCHAIN=local must build sbplc), and
// README.md names the same release.
func TestGoDirective(t *testing.T) {
	mod, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (1\.\d+)(\.\d+)?$`).FindSubmatch(mod)
	if m == nil {
		t.Fatalf("go.mod has no go directive")
	}
	if len(m[2]) > 0 && string(m[2]) != ".0" {
		t.Errorf("go.mod asks for go %s%s: write %s.0, what the code and its dependencies need", m[1], m[2], m[1])
	}
	if regexp.MustCompile(`(?m)^toolchain `).Match(mod) {
		t.Error("go.mod has a toolchain line: it makes older 1.N releases download another Go")
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "needs Go "+string(m[1])+" or later") {
		t.Errorf("README.md does not say sbplc needs Go %s or later", m[1])
	}
}
