package vocab

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/corpus"
	"github.com/sbplc/sbplc/internal/vocabgen/gen"
)

// sharedVocab returns ../shared/vocab, skipping the test when it is missing
// (failing under CI=true, where it must exist).
func sharedVocab(t *testing.T) string {
	t.Helper()
	d, err := corpus.SharedDir()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared data missing under CI: %v", err)
		}
		t.Skipf("shared data not available: %v", err)
	}
	return filepath.Join(d, "vocab")
}

// TestGeneratedUpToDate regenerates the tables in memory and fails when
// tables_gen.go differs: run `go generate ./vocab`.
func TestGeneratedUpToDate(t *testing.T) {
	want, err := gen.Generate(sharedVocab(t))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("tables_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("tables_gen.go is stale: run `go generate ./vocab` and commit the result")
	}
	// Generation is deterministic.
	again, err := gen.Generate(sharedVocab(t))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, want) {
		t.Fatal("two generations differ")
	}
	if !strings.HasPrefix(string(got), "// Code generated ") || !strings.Contains(strings.SplitN(string(got), "\n", 2)[0], "DO NOT EDIT.") {
		t.Error("missing generated-code header")
	}
}

func TestGenerateErrors(t *testing.T) {
	if _, err := gen.Generate(t.TempDir()); err == nil {
		t.Error("Generate on an empty dir succeeded")
	}
	// A broken cross reference is reported.
	dir := t.TempDir()
	copyVocab(t, dir, func(name string, b []byte) []byte {
		if name == "operations.json" {
			b = bytes.Replace(b, []byte(`"fallback": "file-read*"`), []byte(`"fallback": "file-reed*"`), 1)
		}
		return b
	})
	_, err := gen.Generate(dir)
	if err == nil || !strings.Contains(err.Error(), "unknown fallback") {
		t.Errorf("Generate with a bad fallback: err = %v", err)
	}
}

// TestGenerateNeedsVectors: without ../bytecode/vectors beside the
// vocabulary, generation fails instead of silently dropping the measured
// 14.4.1 defaults.
func TestGenerateNeedsVectors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "vocab")
	copyVocab(t, dir, nil)
	_, err := gen.Generate(dir)
	if err == nil || !strings.Contains(err.Error(), "bytecode vectors") {
		t.Errorf("Generate without vectors: err = %v", err)
	}
}

// copyVocab copies the generator's inputs from the shared vocabulary into
// dir (without the bytecode vectors beside it), through edit when it is
// not nil.
func copyVocab(t *testing.T, dir string, edit func(name string, b []byte) []byte) {
	t.Helper()
	src := sharedVocab(t)
	if err := os.MkdirAll(filepath.Join(dir, "raw"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"operations.json", "filters.json", "modifiers.json", "builtins.json", "raw/sonoma_operation_names.json", "raw/sonoma_filter_kinds.json"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			b = edit(f, b)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
