package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/internal/testutil"
)

func TestDisasmFormats(t *testing.T) {
	blob := bcVectorFile(t, strict1, strict1+".sb.bin")
	for _, format := range []string{"text", "json", "dot"} {
		stdout, stderr, code := runSbplc(t, "", "disasm", "--format", format, blob)
		if code != 0 || stderr != "" {
			t.Fatalf("%s: exit %d: %s", format, code, stderr)
		}
		// The file name in the output is the path as given; normalise it.
		got := strings.ReplaceAll(stdout, blob, "BLOB")
		testutil.Golden(t, filepath.Join("testdata", "disasm", "strict_1."+format), got)
		if format == "json" && !json.Valid([]byte(stdout)) {
			t.Errorf("invalid JSON")
		}
	}
	stdout, _, _ := runSbplc(t, "", "disasm", "--all", blob)
	if !strings.Contains(stdout, "storage-class-map") {
		t.Errorf("--all does not list every operation")
	}
	if _, _, code := runSbplc(t, "", "disasm", "--format", "svg", blob); code != 2 {
		t.Errorf("bad --format: exit %d", code)
	}
}
