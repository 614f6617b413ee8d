//go:build darwin

package trace

import (
	"context"
	"os/exec"

	"golang.org/x/sys/unix"
)

// LogStream is the unified log's stream of sandbox reports, as ndjson.
func LogStream(ctx context.Context) *exec.Cmd {
	// /usr/bin/log by path: zsh has a builtin named log.
	return exec.CommandContext(ctx, "/usr/bin/log", "stream", "--style", "ndjson", "--predicate", Predicate)
}

// Procs reads the kernel's process table (sysctl kern.proc.all).
func Procs() (map[int]int, error) {
	ps, err := unix.SysctlKinfoProcSlice("kern.proc.all")
	if err != nil {
		return nil, err
	}
	m := make(map[int]int, len(ps))
	for i := range ps {
		m[int(ps[i].Proc.P_pid)] = int(ps[i].Eproc.Ppid)
	}
	return m, nil
}
