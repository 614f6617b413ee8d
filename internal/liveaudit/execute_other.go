//go:build unix && !darwin

package liveaudit

import "runtime"

func cloneFile(src, dst string) Outcome {
	return Outcome{Answer: Inconclusive, Detail: "clonefile(2) exists only on macOS"}
}

func machLookup(name string) Outcome {
	return Outcome{Answer: Inconclusive, Detail: "mach services exist only on macOS"}
}

func pidinfo(pid int) Outcome {
	return Outcome{Answer: Inconclusive, Detail: "proc_pidinfo(2) exists only on macOS"}
}

// OSVersion names the running system for model-bug reports.
func OSVersion() string { return runtime.GOOS + "/" + runtime.GOARCH }
