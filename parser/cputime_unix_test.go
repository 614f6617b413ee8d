//go:build unix

package parser_test

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user + system) used by this process so
// far. Benchmarks report it next to wall time: on a loaded machine wall time
// measures the scheduler, CPU time the parser.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
