//go:build !unix

package sandbox

import (
	"errors"
	"io/fs"
)

var errNoStage = errors.New("the sandbox stage needs a Unix system")

func closeFD(int) {}

func setCloseOnExec(int) error { return errNoStage }

func execve(string, []string, []string) error { return errNoStage }

func fdMode(int) (fs.FileMode, bool) { return 0, false }
