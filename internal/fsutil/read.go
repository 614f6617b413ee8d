package fsutil

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// MaxInputSize is the limit on every user-named input sbplc reads: a
// profile, an import, a prelude, a params file, a configuration file, an
// entitlements file, a compiled blob (16 MiB). Real inputs are kilobytes.
const MaxInputSize = 16 << 20

// ErrTooLarge is returned (wrapped in a ReadError) when an input exceeds
// its limit. The check is made while reading, so /dev/zero or an endless
// pipe costs at most the limit.
var ErrTooLarge = errors.New("input too large")

// ErrNotRegular is returned (wrapped in a ReadError) by ReadRegular for a
// FIFO, socket, device or directory.
var ErrNotRegular = errors.New("not a regular file")

// ReadError is the error of the bounded readers. Its message names the
// file and says what to do: "prelude.sb: a FIFO, not a regular file:
// imports, preludes and configuration must be regular files".
type ReadError struct {
	Name   string // the file as given
	Reason string // what went wrong, in words
	Err    error  // ErrTooLarge, ErrNotRegular or the underlying error
}

func (e *ReadError) Error() string { return e.Name + ": " + e.Reason }

// Unwrap returns the underlying error.
func (e *ReadError) Unwrap() error { return e.Err }

// ReadLimited reads all of r, failing with ErrTooLarge as soon as more
// than limit bytes arrive. name labels errors.
func ReadLimited(name string, r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, &ReadError{Name: name, Reason: reason(err), Err: err}
	}
	if int64(len(data)) > limit {
		return nil, &ReadError{Name: name, Err: ErrTooLarge,
			Reason: fmt.Sprintf("larger than %s, the limit for an input", sizeWords(limit))}
	}
	return data, nil
}

// ReadRegular reads a file that must be a regular file after symbolic
// links are resolved: a FIFO would block forever, /dev/stdin would consume
// the caller's own input (the language server's protocol stream), and a
// device such as /dev/zero never ends. It reads at most limit bytes,
// checked while reading (a file may grow between the check and the read).
// Imports, preludes, params, configuration and entitlements files go
// through it.
func ReadRegular(name string, limit int64) ([]byte, error) {
	st, err := os.Stat(name)
	if err != nil {
		return nil, &ReadError{Name: name, Reason: reason(err), Err: err}
	}
	if !st.Mode().IsRegular() {
		return nil, &ReadError{Name: name, Err: ErrNotRegular,
			Reason: kindWords(st.Mode()) + ", not a regular file: sbplc reads only regular files here"}
	}
	// O_NONBLOCK: if the file was swapped for a FIFO after the Stat, the
	// open does not wait for a writer, and the check below refuses it.
	f, err := openNonBlocking(name)
	if err != nil {
		return nil, &ReadError{Name: name, Reason: reason(err), Err: err}
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		mode := fs.FileMode(0)
		if st != nil {
			mode = st.Mode()
		}
		return nil, &ReadError{Name: name, Err: ErrNotRegular,
			Reason: kindWords(mode) + ", not a regular file: sbplc reads only regular files here"}
	}
	return ReadLimited(name, f, limit)
}

// kindWords names a file type: "a FIFO", "a directory".
func kindWords(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "a special file"
}

// sizeWords renders a byte limit: "16 MiB", "4096 bytes".
func sizeWords(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
