//go:build !darwin

package trace

import (
	"context"
	"os/exec"
)

// LogStream is the unified log's stream of sandbox reports; there is none
// on this system.
func LogStream(context.Context) *exec.Cmd { return nil }

// Procs reads the process table; trace does not read it on this system.
func Procs() (map[int]int, error) { return nil, ErrUnsupported }
