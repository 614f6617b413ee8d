package fsutil

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestWriteThroughSymlink: the link stays a link and its target gets the
// new content (gofmt's behaviour; lint --fix used to replace the link).
func TestWriteThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.sb")
	link := filepath.Join(dir, "link.sb")
	os.WriteFile(real, []byte("old"), 0o640)
	if err := os.Symlink("real.sb", link); err != nil {
		t.Skip(err)
	}
	if err := WriteFileAtomic(link, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the symbolic link was replaced by a regular file")
	}
	if got, _ := os.ReadFile(real); string(got) != "new" {
		t.Fatalf("target content %q", got)
	}
	if fi, _ := os.Stat(real); fi.Mode().Perm() != 0o640 {
		t.Errorf("target mode %v", fi.Mode())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("files left: %v", ents)
	}
}

// TestWriteKeepsHardLinks: every link of a file sees the new content.
func TestWriteKeepsHardLinks(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.sb"), filepath.Join(dir, "b.sb")
	os.WriteFile(a, []byte("old content"), 0o644)
	if err := os.Link(a, b); err != nil {
		t.Skip(err)
	}
	if err := WriteFileAtomic(a, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{a, b} {
		if got, _ := os.ReadFile(n); string(got) != "new" {
			t.Errorf("%s: %q", n, got)
		}
	}
	sa, _ := os.Stat(a)
	sb, _ := os.Stat(b)
	if !os.SameFile(sa, sb) {
		t.Error("the hard link was broken")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("files left: %v", ents)
	}
}

// TestWriteRefusesConcurrentEdit: an edit made after the read is kept and
// the rewrite is refused.
func TestWriteRefusesConcurrentEdit(t *testing.T) {
	for _, hardLink := range []bool{false, true} {
		dir := t.TempDir()
		name := filepath.Join(dir, "p.sb")
		os.WriteFile(name, []byte("(version 1)\n"), 0o644)
		if hardLink {
			os.Link(name, filepath.Join(dir, "other.sb"))
		}
		st, _ := os.Stat(name)
		data, _ := os.ReadFile(name)
		stamp := StampOf(st, data)
		// Unchanged: the write goes through.
		if err := WriteFile(name, []byte("(version 1) ; fixed\n"), WriteOptions{Expect: stamp}); err != nil {
			t.Fatalf("hard link %v: %v", hardLink, err)
		}
		// Based on the old read again: the file has changed since.
		err := WriteFile(name, []byte("stale"), WriteOptions{Expect: stamp})
		if !errors.Is(err, ErrChanged) || !strings.Contains(err.Error(), "changed on disk") {
			t.Fatalf("hard link %v: err = %v", hardLink, err)
		}
		if got, _ := os.ReadFile(name); string(got) != "(version 1) ; fixed\n" {
			t.Errorf("hard link %v: content %q", hardLink, got)
		}
		// Same size and content but a new mtime counts as a change too
		// (an editor rewrote it).
		st, _ = os.Stat(name)
		data, _ = os.ReadFile(name)
		stamp = StampOf(st, data)
		later := st.ModTime().Add(2 * time.Second)
		os.Chtimes(name, later, later)
		if err := WriteFile(name, []byte("x"), WriteOptions{Expect: stamp}); !errors.Is(err, ErrChanged) {
			t.Errorf("hard link %v: touched file: err = %v", hardLink, err)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 1+map[bool]int{false: 0, true: 1}[hardLink] {
			t.Errorf("files left: %v", ents)
		}
	}
}

// TestWriteRefusesUnreadableSize: sbplc never writes a file larger than it
// can read back.
func TestWriteRefusesUnreadableSize(t *testing.T) {
	name := filepath.Join(t.TempDir(), "big.sb")
	os.WriteFile(name, []byte("old"), 0o644)
	err := WriteFileAtomic(name, make([]byte, MaxInputSize+1), 0o644)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "larger than 16 MiB") {
		t.Fatalf("err = %v", err)
	}
	if got, _ := os.ReadFile(name); string(got) != "old" {
		t.Error("file changed")
	}
	if err := WriteFileAtomic(name, make([]byte, MaxInputSize), 0o644); err != nil {
		t.Errorf("exactly at the limit: %v", err)
	}
}

// TestCleanupOnSignal runs a child that holds a temporary file and is
// sent SIGTERM and SIGINT: the file is removed and the exit status is the
// shell's.
func TestCleanupOnSignal(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM")
	}
	if dir := os.Getenv("FSUTIL_SIGNAL_CHILD"); dir != "" {
		CleanupOnSignal()
		tmp, _ := os.CreateTemp(dir, ".x.sb.tmp-*")
		track(tmp.Name())
		bak, _ := os.CreateTemp(dir, ".x.sb.bak-*")
		track(bak.Name())
		os.Stdout.WriteString("ready\n")
		time.Sleep(time.Minute)
		os.Exit(3)
	}
	for sig, want := range map[syscall.Signal]int{syscall.SIGTERM: 143, syscall.SIGINT: 130} {
		dir := t.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run=^TestCleanupOnSignal$")
		cmd.Env = append(os.Environ(), "FSUTIL_SIGNAL_CHILD="+dir)
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 6)
		if _, err := out.Read(buf); err != nil || string(buf) != "ready\n" {
			t.Fatalf("child: %q %v", buf, err)
		}
		cmd.Process.Signal(sig)
		err := cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != want {
			t.Errorf("%v: exit %v, want %d", sig, err, want)
		}
		ents, _ := os.ReadDir(dir)
		if len(ents) != 1 || !strings.Contains(ents[0].Name(), ".bak-") {
			t.Errorf("%v: left %v, want only the backup", sig, ents)
		}
	}
}

// TestReadOnlyFileSystemWording: a read-only mount is named as such, not
// as a permission problem (access(2) answers EROFS there).
func TestReadOnlyFileSystemWording(t *testing.T) {
	if got := reason(&os.PathError{Op: "access", Path: "/ro/x.sb", Err: syscall.EROFS}); got != "read-only file system" {
		t.Errorf("reason(EROFS) = %q", got)
	}
}
