//go:build unix

package sandbox

import (
	"io/fs"
	"syscall"
)

func closeFD(fd int) { syscall.Close(fd) }

func setCloseOnExec(fd int) error {
	syscall.CloseOnExec(fd)
	return nil
}

func execve(path string, argv, env []string) error { return syscall.Exec(path, argv, env) }

// fdMode returns the type bits of the open descriptor fd.
func fdMode(fd int) (fs.FileMode, bool) {
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return 0, false
	}
	switch st.Mode & syscall.S_IFMT {
	case syscall.S_IFREG:
		return 0, true
	case syscall.S_IFIFO:
		return fs.ModeNamedPipe, true
	}
	return fs.ModeIrregular, true
}
