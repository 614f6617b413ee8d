package main

import (
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
	want, _, _ := parseRun(t, "", "version")
	got, errs, code := parseRun(t, "", "--version")
	if code != 0 || got != want || errs != "" {
		t.Errorf("--version: exit %d, %q (stderr %q), want %q", code, got, errs, want)
	}
	_, errs, code = parseRun(t, "", "-v", "rules", "--category", "style")
	if code != 0 || strings.Contains(errs, "version") {
		t.Errorf("-v rules: exit %d, stderr %q", code, errs)
	}
}
