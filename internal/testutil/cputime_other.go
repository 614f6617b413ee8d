//go:build !unix

package testutil

import "time"

// ProcessCPU is not available here; benchmarks then report wall time only.
func ProcessCPU() time.Duration { return 0 }
