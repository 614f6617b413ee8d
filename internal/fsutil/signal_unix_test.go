//go:build unix

package fsutil

import (
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"
)

// TestSuspendCleanupOnSignal: while suspended, SIGTERM reaches the
// supervisor's own channel and the process lives on (the handler would
// exit 143 and end the test binary).
func TestSuspendCleanupOnSignal(t *testing.T) {
	CleanupOnSignal()
	own := make(chan os.Signal, 1)
	signal.Notify(own, syscall.SIGTERM)
	resume := SuspendCleanupOnSignal()
	syscall.Kill(os.Getpid(), syscall.SIGTERM)
	select {
	case <-own:
	case <-time.After(5 * time.Second):
		t.Fatal("SIGTERM not delivered to the supervisor")
	}
	time.Sleep(50 * time.Millisecond) // the old handler, were it live, exits now
	resume()
	signal.Stop(own)
	cleanup.Lock()
	live := cleanup.ch != nil
	cleanup.Unlock()
	if !live {
		t.Error("resume did not reinstall the handler")
	}
	// Leave the handler off for the rest of the tests.
	SuspendCleanupOnSignal()
	if r := SuspendCleanupOnSignal(); r == nil {
		t.Error("a second suspend returned no resume function")
	}
}
