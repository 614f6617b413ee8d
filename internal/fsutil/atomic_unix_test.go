//go:build unix

package fsutil

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestWriteFileAtomicKeepsOwner checks that replacing a file keeps its
// owner and group when the caller may set them (root; QA #4: fmt -w as
// another user changed the owner to that user).
func TestWriteFileAtomicKeepsOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a file another owner")
	}
	name := filepath.Join(t.TempDir(), "owned.sb")
	if err := os.WriteFile(name, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(name, 65534, 65534); err != nil {
		t.Skip(err)
	}
	if err := WriteFileAtomic(name, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	sys := st.Sys().(*syscall.Stat_t)
	if sys.Uid != 65534 || sys.Gid != 65534 || st.Mode().Perm() != 0o644 {
		t.Errorf("after replace: uid %d gid %d mode %v, want 65534 65534 -rw-r--r--", sys.Uid, sys.Gid, st.Mode())
	}
}

// TestCheckWritable checks the access(2) refusal as a non-root user (root
// bypasses it; the mode-bit check covers that case).
func TestCheckWritable(t *testing.T) {
	name := filepath.Join(t.TempDir(), "f")
	os.WriteFile(name, []byte("x"), 0o644)
	if err := checkWritable(name); err != nil {
		t.Errorf("own writable file: %v", err)
	}
	if os.Geteuid() == 0 {
		t.Skip("root bypasses access(2)")
	}
	os.Chmod(name, 0o444)
	if checkWritable(name) == nil {
		t.Error("read-only file reported writable")
	}
}
