//go:build unix

package testutil

import (
	"fmt"
	"os"
	"syscall"
	"time"
)

// FakeApplier stands in for libsandbox in the sandbox stage of a test
// binary (sandbox.MainWith): it applies no sandbox. The environment
// variable Env+"_APPLY" in the stage's environment chooses what it does:
//
//	""       succeed (so does any other value)
//	"fail"   fail as libsandbox refusing (EPERM)
//	"panic"  panic
//	"kill"   die by SIGKILL before the exec
//	"slow"   sleep 300 ms, then succeed
//
// When it succeeds and Env+"_MARK" names a file, it records the profile
// there.
type FakeApplier struct{ Env string }

// Apply does what Env+"_APPLY" says.
func (a FakeApplier) Apply(bytecode []byte) error {
	switch os.Getenv(a.Env + "_APPLY") {
	case "fail":
		return fmt.Errorf("sandbox_apply: %w", syscall.EPERM)
	case "panic":
		panic("applier exploded")
	case "kill":
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		time.Sleep(time.Second)
	case "slow":
		time.Sleep(300 * time.Millisecond)
	}
	if mark := os.Getenv(a.Env + "_MARK"); mark != "" {
		return os.WriteFile(mark, bytecode, 0o644)
	}
	return nil
}
