// Package fsutil holds the file-system helpers every command shares: the
// one bounded reader for user-named inputs (read.go) and the one safe
// writer (this file).
package fsutil

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// WriteError is the error of WriteFile. Its message names the file the
// user asked for, never the temporary file used to write it:
// "cannot write out/x.sb: directory out does not exist".
type WriteError struct {
	Name   string // the target, as given
	Reason string // what went wrong, in words
	Err    error  // the underlying error, if any
}

func (e *WriteError) Error() string { return "cannot write " + e.Name + ": " + e.Reason }

// Unwrap returns the underlying error.
func (e *WriteError) Unwrap() error { return e.Err }

// ErrChanged is returned (wrapped in a WriteError) when the file changed
// on disk between the read a rewrite is based on and the write.
var ErrChanged = errors.New("file changed on disk")

// Stamp identifies the content of a file as it was read: a rewrite based
// on that read (fmt -w, lint --fix) checks it just before replacing the
// file, so an edit made meanwhile is never silently lost.
type Stamp struct {
	Size    int64
	ModTime time.Time
	Sum     [sha256.Size]byte
}

// StampOf returns the stamp of data read from the file whose information
// is st (st may be nil when it is unknown: only the content counts then).
func StampOf(st os.FileInfo, data []byte) *Stamp {
	s := &Stamp{Size: int64(len(data)), Sum: sha256.Sum256(data)}
	if st != nil {
		s.ModTime = st.ModTime()
	}
	return s
}

// WriteOptions tune WriteFile.
type WriteOptions struct {
	// Perm is the mode of a new file; an existing file keeps its own.
	Perm os.FileMode
	// Expect, when set, is the stamp of the content the new data was made
	// from: the write is refused with ErrChanged if the file no longer
	// has it.
	Expect *Stamp
	// Limit, when positive, refuses data longer than Limit bytes, so that
	// sbplc never writes a file it cannot read back.
	Limit int64
}

// WriteFileAtomic writes data to name with WriteFile's guarantees, a new
// file getting perm, and no expectation about the old content.
func WriteFileAtomic(name string, data []byte, perm os.FileMode) error {
	return WriteFile(name, data, WriteOptions{Perm: perm, Limit: MaxInputSize})
}

// WriteFile writes data to name so that a failure or an interruption never
// loses the old content, the way gofmt -w treats files:
//
//   - a symbolic link is written through: its target is replaced and the
//     link stays a link;
//   - a file with one link is replaced by a temporary file in the same
//     directory and a rename, so readers see the old or the new content;
//   - a file with several hard links is rewritten in place, so every link
//     sees the new content; a backup copy is kept next to it until the
//     write is complete, and restored if it fails;
//   - the file's permission bits are kept, and its owner and group where
//     the caller may set them (as root); a new file gets opts.Perm.
//
// An existing file must be a regular file the caller may write: it is
// refused if access(2) denies writing, and also if its mode has no owner
// write bit (a read-only file), even for root, who bypasses access(2).
// Temporary and backup files are removed on SIGINT and SIGTERM once
// CleanupOnSignal has been called.
func WriteFile(name string, data []byte, opts WriteOptions) (err error) {
	if opts.Limit > 0 && int64(len(data)) > opts.Limit {
		return &WriteError{Name: name, Err: ErrTooLarge,
			Reason: fmt.Sprintf("the result is larger than %s, which sbplc could not read back; nothing written", sizeWords(opts.Limit))}
	}
	target := name
	if resolved, err := filepath.EvalSymlinks(name); err == nil {
		target = resolved
	} else if !errors.Is(err, fs.ErrNotExist) {
		return &WriteError{Name: name, Reason: reason(err), Err: err}
	}
	dir := filepath.Dir(target)
	st, statErr := os.Stat(target)
	perm := opts.Perm
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
		if err := checkWritable(target); err != nil {
			return &WriteError{Name: name, Reason: reason(err), Err: err}
		}
		perm = st.Mode().Perm()
	case errors.Is(statErr, fs.ErrNotExist):
		if opts.Expect != nil {
			return &WriteError{Name: name, Err: ErrChanged, Reason: "it was removed while sbplc was working; nothing written"}
		}
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
	if st != nil && linkCount(st) > 1 {
		return rewriteInPlace(name, target, st, data, opts.Expect)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(target)+".tmp-*")
	if err != nil {
		return &WriteError{Name: name, Reason: reason(err), Err: err}
	}
	tmpName := tmp.Name()
	untrack := track(tmpName)
	defer untrack()
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmpName)
			var we *WriteError
			if !errors.As(err, &we) {
				err = &WriteError{Name: name, Reason: reason(err), Err: err}
			}
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
	if err = checkUnchanged(name, target, opts.Expect); err != nil {
		return err
	}
	return os.Rename(tmpName, target)
}

// checkUnchanged refuses when target no longer holds the content expect
// describes. The window between this check and the rename is as small as
// the file system allows; an editor's save inside it is not detected.
func checkUnchanged(name, target string, expect *Stamp) error {
	if expect == nil {
		return nil
	}
	changed := &WriteError{Name: name, Err: ErrChanged,
		Reason: "it changed on disk while sbplc was working; nothing written (run the command again)"}
	st, err := os.Stat(target)
	if err != nil {
		return changed
	}
	if st.Size() != expect.Size || (!expect.ModTime.IsZero() && !st.ModTime().Equal(expect.ModTime)) {
		return changed
	}
	f, err := os.Open(target)
	if err != nil {
		return &WriteError{Name: name, Reason: reason(err), Err: err}
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(f, expect.Size+1)); err != nil {
		return &WriteError{Name: name, Reason: reason(err), Err: err}
	}
	if !bytes.Equal(h.Sum(nil), expect.Sum[:]) {
		return changed
	}
	return nil
}

// rewriteInPlace writes data into the existing inode of target (a file
// with several hard links), keeping a backup until the write is done.
func rewriteInPlace(name, target string, st os.FileInfo, data []byte, expect *Stamp) (err error) {
	wrap := func(err error) error {
		var we *WriteError
		if errors.As(err, &we) {
			return err
		}
		return &WriteError{Name: name, Reason: reason(err), Err: err}
	}
	old, err := os.ReadFile(target)
	if err != nil {
		return wrap(err)
	}
	bak, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".bak-*")
	if err != nil {
		return wrap(err)
	}
	bakName := bak.Name()
	untrack := track(bakName)
	defer untrack()
	if _, err := bak.Write(old); err != nil {
		bak.Close()
		os.Remove(bakName)
		return wrap(err)
	}
	if err := bak.Sync(); err != nil {
		bak.Close()
		os.Remove(bakName)
		return wrap(err)
	}
	bak.Close()
	if err := checkUnchanged(name, target, expect); err != nil {
		os.Remove(bakName)
		return err
	}
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_TRUNC, 0)
	if err == nil {
		_, err = f.Write(data)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		// Put the old content back; keep the backup if even that fails.
		if rerr := os.WriteFile(target, old, st.Mode().Perm()); rerr != nil {
			return &WriteError{Name: name, Err: err,
				Reason: reason(err) + "; the old content is kept in " + bakName}
		}
		os.Remove(bakName)
		return wrap(err)
	}
	os.Remove(bakName)
	return nil
}

// reason describes err without the path it carries (which may be the
// temporary file's): "permission denied", "read-only file system".
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
	case errors.Is(err, syscall.EROFS):
		return "read-only file system"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	return err.Error()
}
