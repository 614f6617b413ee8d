package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/sbplc/sbplc/corpus"
	"github.com/sbplc/sbplc/internal/vocabgen/gen"
)

func TestRun(t *testing.T) {
	shared, err := corpus.SharedDir()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	in := filepath.Join(shared, "vocab")
	out := filepath.Join(t.TempDir(), "tables_gen.go")
	if err := run(in, out); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := gen.Generate(in)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("run output differs from gen.Generate")
	}
	// A failed run leaves the existing file untouched.
	if err := run(t.TempDir(), out); err == nil {
		t.Error("run on an empty directory succeeded")
	}
	again, _ := os.ReadFile(out)
	if !bytes.Equal(again, want) {
		t.Error("failed run modified the output file")
	}
}

func TestDefaultDir(t *testing.T) {
	t.Setenv("SBPLC_SHARED", "/x/shared")
	if d, err := defaultDir(); err != nil || d != filepath.Join("/x/shared", "vocab") {
		t.Errorf("defaultDir = %q, %v", d, err)
	}
	t.Setenv("SBPLC_SHARED", "")
	d, err := defaultDir()
	if err != nil || filepath.Base(d) != "vocab" || filepath.Base(filepath.Dir(d)) != "shared" {
		t.Errorf("defaultDir = %q, %v", d, err)
	}
}
