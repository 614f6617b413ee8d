package testutil

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
)

// ProcTable reads Linux's /proc into pid -> parent pid: the tests'
// stand-in for the kernel's process table that `sbplc trace` samples on
// macOS. It fails where there is no /proc.
func ProcTable() (map[int]int, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		return nil, errors.New("no /proc/PID/stat on this system")
	}
	m := map[int]int{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // exited meanwhile
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		i := bytes.LastIndexByte(data, ')')
		if f := strings.Fields(string(data[i+1:])); i >= 0 && len(f) > 1 {
			if ppid, err := strconv.Atoi(f[1]); err == nil {
				m[pid] = ppid
			}
		}
	}
	return m, nil
}
