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

// verify and disasm refuse a FIFO or a device named as the blob instead of
// blocking on it or reading it forever (issue 19 item 3); "-" still reads
// standard input.
func TestBlobNotRegularRefused(t *testing.T) {
	fifo := testutil.MakeFIFO(t, filepath.Join(t.TempDir(), "blob.fifo"))
	for _, c := range []struct{ file, want string }{
		{fifo, fifo + ": a FIFO, not a regular file: sbplc reads only regular files here (to read a pipe or device, redirect it to standard input and name the blob -)"},
		{"/dev/zero", "/dev/zero: a character device, not a regular file"},
	} {
		if _, err := os.Stat(c.file); err != nil {
			continue
		}
		for _, cmd := range []string{"verify", "disasm"} {
			type result struct {
				stderr string
				code   int
			}
			done := make(chan result, 1)
			go func() {
				_, stderr, code := runSbplc(t, "", cmd, c.file)
				done <- result{stderr, code}
			}()
			select {
			case r := <-done:
				if r.code != 2 || !strings.Contains(r.stderr, c.want) || strings.Count(r.stderr, "\n") != 1 {
					t.Errorf("%s %s: exit %d, stderr %q, want %q", cmd, c.file, r.code, r.stderr, c.want)
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("%s %s blocked", cmd, c.file)
			}
		}
	}
	blob := bcReadVector(t, strict1, strict1+".sb.bin")
	for _, cmd := range []string{"verify", "disasm"} {
		out, errs, code := runSbplc(t, string(blob), cmd, "-")
		if code != 0 || errs != "" || !strings.Contains(out, "<stdin>") {
			t.Errorf("%s -: exit %d, stdout %.100q, stderr %q", cmd, code, out, errs)
		}
	}
}
