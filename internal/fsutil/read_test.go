package fsutil

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sbplc/sbplc/internal/testutil"
)

func TestReadRegular(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.sb")
	os.WriteFile(p, []byte("(version 1)"), 0o644)
	got, err := ReadRegular(p, 100)
	if err != nil || string(got) != "(version 1)" {
		t.Fatalf("got %q, %v", got, err)
	}
	// A link to a regular file is read.
	l := filepath.Join(dir, "link.sb")
	os.Symlink(p, l)
	if _, err := ReadRegular(l, 100); err != nil {
		t.Fatal(err)
	}
	// Too large: refused, with the limit in words.
	_, err = ReadRegular(p, 4)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "larger than 4 bytes") {
		t.Fatalf("err = %v", err)
	}
	// A directory is not regular.
	if _, err := ReadRegular(dir, 100); !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), "a directory") {
		t.Fatalf("err = %v", err)
	}
	if _, err := ReadRegular(filepath.Join(dir, "missing"), 100); err == nil || !strings.HasSuffix(err.Error(), "no such file or directory") {
		t.Fatalf("err = %v", err)
	}
}

// TestReadRegularRefusesSpecialFiles: devices, /dev/stdin and FIFOs are
// refused at once (no read, no wait for a writer).
func TestReadRegularRefusesSpecialFiles(t *testing.T) {
	fifo := testutil.MakeFIFO(t, filepath.Join(t.TempDir(), "fifo.sb"))
	for _, name := range []string{"/dev/zero", "/dev/null", fifo, "/dev/stdin"} {
		if _, err := os.Stat(name); err != nil {
			continue
		}
		done := make(chan error, 1)
		go func() { _, err := ReadRegular(name, MaxInputSize); done <- err }()
		select {
		case err := <-done:
			if !errors.Is(err, ErrNotRegular) && !strings.Contains(name, "stdin") {
				t.Errorf("%s: err = %v, want ErrNotRegular", name, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: ReadRegular blocked", name)
		}
	}
}

func TestReadLimitedStopsEarly(t *testing.T) {
	f, err := os.Open("/dev/zero")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	_, err = ReadLimited("/dev/zero", f, 1<<20)
	if !errors.Is(err, ErrTooLarge) || err.Error() != "/dev/zero: larger than 1 MiB, the limit for an input" {
		t.Fatalf("err = %v", err)
	}
}
