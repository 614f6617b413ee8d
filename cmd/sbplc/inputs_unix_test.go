//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sbplc/sbplc/internal/testutil"
)

// TestInputsSkipNonRegular checks that a directory walk takes regular files
// and symlinks to them, and skips a FIFO named *.sb, which used to block
// `sbplc lint DIR` forever (QA #4b).
func TestInputsSkipNonRegular(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.sb"), []byte("(version 1)\n"), 0o644)
	testutil.MakeFIFO(t, filepath.Join(dir, "fifo.sb"))
	os.Symlink("a.sb", filepath.Join(dir, "link.sb"))
	os.Symlink("fifo.sb", filepath.Join(dir, "linkfifo.sb"))
	got, err := expandInputs([]string{dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "a.sb"), filepath.Join(dir, "link.sb")}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("expandInputs = %v, want %v", got, want)
	}
	only := filepath.Join(dir, "only")
	os.Mkdir(only, 0o755)
	testutil.MakeFIFO(t, filepath.Join(only, "x.sb"))
	done := make(chan int, 1)
	var errs string
	go func() {
		var code int
		_, errs, code = runSbplc(t, "", "parse", only)
		done <- code
	}()
	select {
	case code := <-done:
		if code != 2 || !strings.Contains(errs, "no regular profile files in this directory (skipped 1 FIFO") {
			t.Errorf("dir with only a FIFO: exit %d, stderr %q", code, errs)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("parse DIR blocked on a FIFO")
	}
}

// TestInputTooLarge checks that an input over the size limit (here
// /dev/zero, named explicitly) is an I/O error, exit 2, with a short
// message and no excerpt of its content.
func TestInputTooLarge(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip(err)
	}
	for _, cmd := range []string{"parse", "lint"} {
		_, errs, code := runSbplc(t, "", cmd, "/dev/zero")
		if code != 2 || len(errs) > 200 || !strings.Contains(errs, "/dev/zero: input is larger than 16777216 bytes") {
			t.Errorf("%s /dev/zero: exit %d, %d bytes of stderr: %.200q", cmd, code, len(errs), errs)
		}
	}
}

// TestLearnReadsFIFO: a log may be a FIFO (log stream > fifo); learn
// streams it to its end.
func TestLearnReadsFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := testutil.MakeFIFO(t, filepath.Join(dir, "denials.fifo"))
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		for i := 0; i < 1000; i++ {
			f.WriteString("Sandbox: tool(5) deny(1) file-read-data /private/etc/hosts\n")
		}
		f.Close()
	}()
	done := make(chan struct{})
	var out, errs string
	var code int
	go func() {
		out, errs, code = runSbplc(t, "", "learn", fifo)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("learn on a FIFO did not finish")
	}
	if code != 0 || !strings.Contains(errs, "1000 lines read, 1000 denials") || !strings.Contains(out, `(literal "/private/etc/hosts")`) {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
}
