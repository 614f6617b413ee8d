//go:build unix

package fsutil

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// checkWritable reports access(2)'s refusal to let the caller write name.
// Errors other than a refusal (the call is unsupported) are ignored.
func checkWritable(name string) error {
	err := unix.Access(name, unix.W_OK)
	if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EROFS) {
		return err
	}
	return nil
}

// keepOwner gives the temporary file the owner and group of the file it
// replaces. Only root (or a member of the group, for the group) may; a
// refusal is ignored, as the caller could write the file anyway.
func keepOwner(tmp *os.File, orig os.FileInfo) {
	sys, ok := orig.Sys().(*syscall.Stat_t)
	if !ok {
		return
	}
	uid, gid := int(sys.Uid), int(sys.Gid)
	if uid == os.Geteuid() && gid == os.Getegid() {
		return
	}
	if tmp.Chown(uid, gid) != nil {
		tmp.Chown(-1, gid) // at least the group, if the caller is in it
	}
}

// openNonBlocking opens name for reading without waiting for a FIFO's
// writer.
func openNonBlocking(name string) (*os.File, error) {
	return os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}

// linkCount is the number of hard links of the file st describes.
func linkCount(st os.FileInfo) uint64 {
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		return uint64(sys.Nlink)
	}
	return 1
}
