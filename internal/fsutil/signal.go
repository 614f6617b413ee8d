package fsutil

import (
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// The temporary and backup files of writes in progress, removed when the
// process is interrupted (CleanupOnSignal).
var inProgress struct {
	sync.Mutex
	names map[string]bool
}

// track records a temporary file; the returned function forgets it.
func track(name string) func() {
	inProgress.Lock()
	if inProgress.names == nil {
		inProgress.names = map[string]bool{}
	}
	inProgress.names[name] = true
	inProgress.Unlock()
	return func() {
		inProgress.Lock()
		delete(inProgress.names, name)
		inProgress.Unlock()
	}
}

// removeInProgress deletes every tracked temporary file. Backups
// (".bak-") are kept: after an interruption in the middle of an in-place
// rewrite they may hold the only full copy.
func removeInProgress() {
	inProgress.Lock()
	defer inProgress.Unlock()
	for name := range inProgress.names {
		if !isBackup(name) {
			os.Remove(name)
		}
	}
}

func isBackup(name string) bool { return strings.Contains(filepath.Base(name), ".bak-") }

// CleanupOnSignal makes SIGINT and SIGTERM remove the temporary files of
// writes in progress before the process exits with the shell's status for
// the signal (130, 143). main calls it once.
func CleanupOnSignal() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	cleanup.Lock()
	cleanup.ch = ch
	cleanup.Unlock()
	go func() {
		sig, ok := <-ch
		if !ok {
			return
		}
		removeInProgress()
		code := 130
		if sig == syscall.SIGTERM {
			code = 143
		}
		os.Exit(code)
	}()
}

// cleanup is the channel CleanupOnSignal listens on, nil when it is not
// installed.
var cleanup struct {
	sync.Mutex
	ch chan os.Signal
}

// SuspendCleanupOnSignal stops CleanupOnSignal's handler while a command
// supervises a child and forwards SIGINT and SIGTERM to it (sbplc run);
// the caller must have its own signal.Notify in place first, so that no
// signal falls through to the default action. resume reinstalls the
// handler. Without CleanupOnSignal it does nothing.
func SuspendCleanupOnSignal() (resume func()) {
	cleanup.Lock()
	ch := cleanup.ch
	cleanup.ch = nil
	cleanup.Unlock()
	if ch == nil {
		return func() {}
	}
	signal.Stop(ch)
	close(ch)
	return CleanupOnSignal
}
