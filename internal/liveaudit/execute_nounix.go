//go:build !unix

package liveaudit

import "runtime"

// Execute performs one attempt; there are none on this system.
func Execute(a Attempt) Outcome {
	return Outcome{Answer: Inconclusive, Detail: "live attempts need a Unix system"}
}

// OSVersion names the running system for model-bug reports.
func OSVersion() string { return runtime.GOOS + "/" + runtime.GOARCH }
