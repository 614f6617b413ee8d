package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestReleaseScript runs scripts/release.sh for this platform and checks
// that the archived binary reports the stamped version, that the checksum
// file lists the archive, and that a malformed version is refused.
func TestReleaseScript(t *testing.T) {
	if testing.Short() {
		t.Skip("builds sbplc; skipped with -short")
	}
	for _, tool := range []string{"bash", "tar", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s: %v", tool, err)
		}
	}
	script, err := filepath.Abs(filepath.Join("..", "..", "scripts", "release.sh"))
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	target := runtime.GOOS + "/" + runtime.GOARCH
	cmd := exec.Command("bash", script, "v9.8.7-rc.1", out)
	cmd.Env = append(os.Environ(), "SBPLC_TARGETS="+target)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("release.sh: %v\n%s", err, b)
	}
	name := "sbplc-v9.8.7-rc.1-" + runtime.GOOS + "-" + runtime.GOARCH
	if b, err := exec.Command("tar", "-C", out, "-xzf", filepath.Join(out, name+".tar.gz")).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, b)
	}
	for _, f := range []string{"LICENSE", "README.md"} {
		if _, err := os.Stat(filepath.Join(out, name, f)); err != nil {
			t.Errorf("archive lacks %s", f)
		}
	}
	bin := filepath.Join(out, name, "sbplc")
	for _, args := range [][]string{{"version"}, {"--version"}} {
		b, err := exec.Command(bin, args...).Output()
		if err != nil || !strings.HasPrefix(string(b), "sbplc v9.8.7-rc.1 ") {
			t.Errorf("sbplc %s: %q, %v", args[0], b, err)
		}
	}
	sums, err := os.ReadFile(filepath.Join(out, "sbplc-v9.8.7-rc.1-SHA256SUMS"))
	if err != nil || !strings.Contains(string(sums), "  "+name+".tar.gz\n") {
		t.Errorf("checksums: %q, %v", sums, err)
	}
	b, err := exec.Command("bash", script, "1.0").CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(b), `version "1.0" is not vMAJOR.MINOR.PATCH`) {
		t.Errorf("bad version: %v\n%s", err, b)
	}
}
