package main

import (
	"regexp"
	"strconv"
	"testing"
)

// The runtime outcomes observed on a real macOS 14.4.1 machine
// (testdata/groundtruth/runtime) are `sbplc test` cases that must pass:
// among them the symlink check (/etc/hosts denied although both of its
// spellings are allowed) and the Data-volume spelling.
func TestGroundTruthRuntime(t *testing.T) {
	out, errs, code := runSbplc(t, "", "test", "--target", "macos14", "../../testdata/groundtruth/runtime")
	m := regexp.MustCompile(`(?m)^(\d+) passed, 0 failed$`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("code %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if n, _ := strconv.Atoi(m[1]); n < 18 {
		t.Errorf("%d runtime observations, want at least 18", n)
	}
}
