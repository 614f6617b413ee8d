package fsutil

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
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

// TestWriteFileAtomicRefusesReadOnly checks that a read-only file (no owner
// write bit) is refused even for root, and left untouched (QA #4).
func TestWriteFileAtomicRefusesReadOnly(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "ro.sb")
	if err := os.WriteFile(name, []byte("old"), 0o444); err != nil {
		t.Fatal(err)
	}
	err := WriteFileAtomic(name, []byte("new"), 0o644)
	if err == nil || err.Error() != "cannot write "+name+": permission denied (the file is read-only)" {
		t.Fatalf("err = %v", err)
	}
	if !errors.Is(err, fs.ErrPermission) {
		t.Errorf("%v is not a permission error", err)
	}
	if got, _ := os.ReadFile(name); string(got) != "old" {
		t.Errorf("read-only file rewritten: %q", got)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("files left: %v", ents)
	}
}

// TestWriteFileAtomicMessages checks that errors name the target and never
// the temporary file (QA #6).
func TestWriteFileAtomicMessages(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nonexistent", "dir")
	err := WriteFileAtomic(filepath.Join(missing, "out.sb"), []byte("x"), 0o644)
	if want := "cannot write " + filepath.Join(missing, "out.sb") + ": directory " + missing + " does not exist"; err == nil || err.Error() != want {
		t.Errorf("missing directory: %v\nwant %s", err, want)
	}
	if err := WriteFileAtomic(dir, []byte("x"), 0o644); err == nil || err.Error() != "cannot write "+dir+": it is a directory" {
		t.Errorf("directory target: %v", err)
	}
	// The reason of a failure inside the temporary-file steps drops the
	// temporary path (root bypasses a read-only directory, so the errors
	// are built by hand here).
	tmpErr := &fs.PathError{Op: "open", Path: filepath.Join(dir, ".x.sb.tmp-123"), Err: syscall.EACCES}
	if got := reason(tmpErr); got != "permission denied" {
		t.Errorf("reason(EACCES) = %q", got)
	}
	if got := reason(&os.LinkError{Op: "rename", Old: ".x.tmp-1", New: "x", Err: syscall.ENOSPC}); got != "no space left on device" {
		t.Errorf("reason(ENOSPC) = %q", got)
	}
	// A directory the caller may not write (only testable without root).
	if os.Geteuid() != 0 {
		ro := filepath.Join(dir, "rodir")
		os.Mkdir(ro, 0o555)
		err := WriteFileAtomic(filepath.Join(ro, "x.sb"), []byte("x"), 0o644)
		if err == nil || err.Error() != "cannot write "+filepath.Join(ro, "x.sb")+": permission denied" {
			t.Errorf("read-only directory: %v", err)
		}
	}
}
