package main

import (
	"os"
	"strconv"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestIsTerminal opens a pseudo-terminal: its slave side is a terminal, a
// pipe and a regular file are not; and --color=auto colours on it.
func TestIsTerminal(t *testing.T) {
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	defer master.Close()
	var unlock int32
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, master.Fd(), unix.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Skipf("unlockpt: %v", e)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Skipf("ptsname: %v", err)
	}
	slave, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("opening the slave: %v", err)
	}
	defer slave.Close()
	if !isTerminal(slave.Fd()) {
		t.Error("a pty is not a terminal")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if isTerminal(w.Fd()) {
		t.Error("a pipe is a terminal")
	}
	noEnv := func(string) string { return "" }
	if !useColor("auto", slave, noEnv) {
		t.Error("auto on a terminal: no colour")
	}
	if useColor("auto", slave, func(k string) string { return map[string]string{"NO_COLOR": "1"}[k] }) {
		t.Error("auto with NO_COLOR: colour")
	}
	if useColor("auto", slave, func(k string) string { return map[string]string{"TERM": "dumb"}[k] }) {
		t.Error("auto with TERM=dumb: colour")
	}
}
