//go:build unix

package testutil

import (
	"syscall"
	"testing"
)

// MakeFIFO creates a FIFO (named pipe) at path and returns path, or skips
// the test where the file system cannot hold one. Tests use FIFOs as the
// input that blocks a reader that opens whatever it is given.
func MakeFIFO(t testing.TB, path string) string {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skip(err)
	}
	return path
}
