package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/corpus"
	"github.com/sbplc/sbplc/internal/testutil"
)

const appSandbox = "testdata/entitlements/app-sandbox.sb"

// TestAppSandboxExpand prints the concrete app profile of the test App
// Sandbox profile for three entitlement sets (none, a property list, a
// JSON file) on macOS 14: golden files, refreshed with SBPLC_UPDATE=1.
func TestAppSandboxExpand(t *testing.T) {
	for name, ents := range map[string]string{
		"none":  "",
		"plist": "testdata/entitlements/app.plist",
		"files": "testdata/entitlements/files.json",
	} {
		args := []string{"expand", "--app-sandbox", "--target", "macos14"}
		if ents != "" {
			args = append(args, "--entitlements", ents)
		}
		stdout, stderr, code := runSbplc(t, "", append(args, appSandbox)...)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s", name, code, stderr)
		}
		testutil.Golden(t, "testdata/entitlements/expand-"+name+".golden", stdout)
	}
	// -D overrides a parameter of the App Sandbox's set, and the container
	// follows the bundle id given.
	stdout, _, code := runSbplc(t, "", "expand", "--app-sandbox", "--target", "macos14", "-D", "_HOME=/Users/alice",
		"-D", "application_bundle_id=org.example.editor", appSandbox)
	if code != 0 || !strings.Contains(stdout, `(subpath "/Users/alice/Library/Containers/org.example.editor/Data")`) ||
		!strings.Contains(stdout, `"org.example.editor.ServiceProvider"`) {
		t.Errorf("-D overrides: exit %d\n%s", code, stdout)
	}
}

// TestEntitlementsListDiff keeps goldens of list and of three diffs.
func TestEntitlementsListDiff(t *testing.T) {
	for name, args := range map[string][]string{
		"list":             {"list", "--app-sandbox", "--target", "macos14", appSandbox},
		"list-plist":       {"list", "--app-sandbox", "--target", "macos14", "--entitlements", "testdata/entitlements/app.plist", appSandbox},
		"diff-network":     {"diff", "--app-sandbox", "--target", "macos14", "--add", "com.apple.security.network.server", appSandbox},
		"diff-groups":      {"diff", "--app-sandbox", "--target", "macos14", "--add", `com.apple.security.application-groups=["T.group.a","T.group.b"]`, appSandbox},
		"diff-plist-print": {"diff", "--app-sandbox", "--target", "macos14", "--entitlements", "testdata/entitlements/app.plist", "--remove", "com.apple.security.network.client", "--add", "com.apple.security.print", appSandbox},
	} {
		stdout, stderr, code := runSbplc(t, "", append([]string{"entitlements"}, args...)...)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s", name, code, stderr)
		}
		testutil.Golden(t, "testdata/entitlements/"+name+".golden", stdout)
	}
}

func TestEntitlementsErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"expand", "--entitlements", "testdata/entitlements/broken.plist", appSandbox}, 2,
			"--entitlements: testdata/entitlements/broken.plist:5: malformed XML property list: missing value in dictionary"},
		{[]string{"expand", "--entitlements", "testdata/entitlements/none.plist", appSandbox}, 2, "--entitlements: testdata/entitlements/none.plist"},
		{[]string{"query", "--entitlements", "testdata/entitlements", appSandbox, "file-read-data", "/x"}, 2, "not a regular file"},
		{[]string{"entitlements", "diff", appSandbox}, 2, "nothing to compare"},
		{[]string{"entitlements", "diff", "--add", "=x", appSandbox}, 2, "expected KEY or KEY=VALUE"},
		{[]string{"entitlements", "diff", "--add", "k=[1,", appSandbox}, 2, "--add k:"},
	} {
		_, stderr, code := runSbplc(t, "", c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, want %d with %q:\n%s", c.args, code, c.code, c.want, stderr)
		}
	}
	// A value of the wrong type reaching entitlement-value: libsandbox's words.
	dir := t.TempDir()
	p := writeFile(t, filepath.Join(dir, "v.sb"), "(version 1)\n(define (entitlement k) (cdr (assoc k *entitlements*)))\n(allow mach-lookup (require-entitlement \"k\" (entitlement-value (entitlement \"k\"))))\n")
	j := writeFile(t, filepath.Join(dir, "e.json"), `{"k": ["a"]}`)
	_, stderr, code := runSbplc(t, "", "expand", "--entitlements", j, p)
	if code != 1 || !strings.Contains(stderr, "entitlement-value argument must be string or boolean") {
		t.Errorf("wrong type: exit %d\n%s", code, stderr)
	}
}

// TestAppleProfilesAnswer evaluates every Apple profile in the corpus on
// Linux without -I: no error, and query and audit answer on each (the
// system profiles come from sbplc's model; -v says so).
func TestAppleProfilesAnswer(t *testing.T) {
	n := 0
	for _, e := range corpus.ForTest(t) {
		apple := strings.HasPrefix(e.Repo, "apple-oss-distributions/") || strings.Contains(e.Notes, "APPLE SYSTEM PROFILE") || strings.Contains(e.Notes, "COPY of Apple")
		if !apple || e.Kind != "profile" {
			continue
		}
		n++
		path := e.Abs()
		targets := []string{"macos14", "macos26"}
		if strings.HasPrefix(e.Repo, "apple-oss-distributions/") {
			targets = append(targets, "macos10.15") // the others are copies of 14.4.1 files
		}
		for _, target := range targets {
			_, stderr, code := runSbplc(t, "", "expand", "-v", "--target", target, path)
			if code != 0 || strings.Contains(stderr, "error:") {
				t.Errorf("%s (%s): expand exit %d\n%s", e.File, target, code, stderr)
			}
			if strings.Contains(e.Notes, "imports system.sb") && !strings.Contains(stderr, "using sbplc's model of system.sb for macOS "+strings.TrimPrefix(target, "macos")) {
				t.Errorf("%s (%s): -v does not name the model:\n%s", e.File, target, stderr)
			}
			out, stderr, code := runSbplc(t, "", "query", "--target", target, path, "file-read-data", "/private/etc/passwd")
			if code == 2 || !(strings.HasPrefix(out, "allow") || strings.HasPrefix(out, "deny") || strings.HasPrefix(out, "unknown")) {
				t.Errorf("%s (%s): query exit %d: %s\n%s", e.File, target, code, out, stderr)
			}
			out, stderr, code = runSbplc(t, "", "audit", "--target", target, path)
			if code == 2 || out == "" {
				t.Errorf("%s (%s): audit exit %d\n%s%s", e.File, target, code, out, stderr)
			}
		}
	}
	if n < 10 {
		t.Errorf("only %d Apple profiles in the corpus", n)
	}

}
