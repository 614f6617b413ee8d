//go:build !unix

package fsutil

import "os"

// checkWritable has no access(2) here; the mode-bit check in
// WriteFileAtomic still refuses read-only files.
func checkWritable(name string) error { return nil }

// keepOwner is a no-op where files have no unix owner.
func keepOwner(tmp *os.File, orig os.FileInfo) {}

// openNonBlocking opens name for reading.
func openNonBlocking(name string) (*os.File, error) { return os.Open(name) }

// linkCount is 1 where hard links are not visible.
func linkCount(st os.FileInfo) uint64 { return 1 }
