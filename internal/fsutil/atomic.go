// Package fsutil holds file-system helpers shared by commands.
package fsutil

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// WriteError is the error of WriteFileAtomic. Its message names the file
// the user asked for, never the temporary file used to write it:
// "cannot write out/x.sb: directory out does not exist".
type WriteError struct {
	Name   string // the target, as given
	Reason string // what went wrong, in words
	Err    error  // the underlying error, if any
}

func (e *WriteError) Error() string { return "cannot write " + e.Name + ": " + e.Reason }

// Unwrap returns the underlying error.
func (e *WriteError) Unwrap() error { return e.Err }

// WriteFileAtomic writes data to name through a temporary file in the same
// directory and a rename, so readers see either the old or the new content
// and a failure leaves the old file untouched.
//
// When name exists it must be a regular file the caller may write: it is
// refused if access(2) denies writing, and also if its mode has no owner
// write bit (a read-only file, mode 0444), even for root, who bypasses
// access(2): making a file read-only signals that it should not be
// rewritten, and a tool that replaces it by rename would otherwise ignore
// that silently. The replacement keeps the file's permission bits, and its
// owner and group where the caller may set them (as root); a new file gets
// perm.
func WriteFileAtomic(name string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(name)
	st, statErr := os.Stat(name)
	switch {
	case statErr == nil:
		if st.IsDir() {
			return &WriteError{Name: name, Reason: "it is a directory"}
		}
		if !st.Mode().IsRegular() {
			return &WriteError{Name: name, Reason: "not a regular file"}
		}
		if st.Mode().Perm()&0o200 == 0 {
			return &WriteError{Name: name, Reason: "permission denied (the file is read-only)", Err: fs.ErrPermission}
		}
		if err := checkWritable(name); err != nil {
			return &WriteError{Name: name, Reason: "permission denied", Err: err}
		}
		perm = st.Mode().Perm()
	case errors.Is(statErr, fs.ErrNotExist):
		if dst, err := os.Stat(dir); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return &WriteError{Name: name, Reason: "directory " + dir + " does not exist", Err: err}
			}
			return &WriteError{Name: name, Reason: reason(err), Err: err}
		} else if !dst.IsDir() {
			return &WriteError{Name: name, Reason: dir + " is not a directory"}
		}
	default:
		return &WriteError{Name: name, Reason: reason(statErr), Err: statErr}
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(name)+".tmp-*")
	if err != nil {
		return &WriteError{Name: name, Reason: reason(err), Err: err}
	}
	tmpName := tmp.Name()
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmpName)
			err = &WriteError{Name: name, Reason: reason(err), Err: err}
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Chmod(perm); err != nil {
		return err
	}
	if st != nil {
		keepOwner(tmp, st)
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmpName, name)
}

// reason describes err without the path it carries (which may be the
// temporary file's): "permission denied", "no space left on device".
func reason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		err = le.Err
	}
	switch {
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	case errors.Is(err, syscall.EROFS):
		return "read-only file system"
	}
	return err.Error()
}
