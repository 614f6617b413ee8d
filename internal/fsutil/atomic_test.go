package fsutil

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "out.bin")
	if err := WriteFileAtomic(name, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(name, []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(name)
	if string(got) != "two" {
		t.Fatalf("content %q", got)
	}
	st, _ := os.Stat(name)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v: existing permissions not kept", st.Mode())
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("temporary files left: %v", ents)
	}
	// A failing write (directory missing) leaves nothing behind.
	if err := WriteFileAtomic(filepath.Join(dir, "no", "x"), []byte("x"), 0o644); err == nil {
		t.Fatal("want error for missing directory")
	}
	// Refuses to replace a directory.
	if err := WriteFileAtomic(dir, []byte("x"), 0o644); err == nil {
		t.Fatal("want error for a directory target")
	}
}
