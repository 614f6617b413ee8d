//go:build unix

package testutil

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// FakeLogStream is a test binary acting as macOS's `log stream` for the
// trace tests: it writes its pid to feed+".pid", prints a line of noise
// and then ready (the line saying the stream is live), then every line
// appended to feed, until it is stopped. mode changes that: "noready"
// never says it is live, "die" exits at once with a message, "stubborn"
// ignores SIGTERM, "stderr-ready" says it is live on standard error (with
// no noise before).
func FakeLogStream(feed, ready, mode string) {
	os.WriteFile(feed+".pid", []byte(strconv.Itoa(os.Getpid())), 0o644)
	if mode == "stubborn" {
		signal.Ignore(syscall.SIGTERM)
	}
	if mode != "stderr-ready" {
		// Before the ready line on the same output: never kept.
		fmt.Println("noise before the stream is live")
	}
	switch mode {
	case "die":
		fmt.Fprintln(os.Stderr, "log: Cannot run while sandboxed")
		os.Exit(64)
	case "noready":
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	off := 0
	if mode == "stderr-ready" {
		// Reports on standard output before the ready line on standard
		// error: the order of two pipes is unknown, and they are kept.
		data, _ := os.ReadFile(feed)
		os.Stdout.Write(data)
		off = len(data)
		time.Sleep(50 * time.Millisecond)
		fmt.Fprintln(os.Stderr, ready)
	} else {
		fmt.Println(ready)
	}
	for {
		data, _ := os.ReadFile(feed)
		if len(data) > off {
			os.Stdout.Write(data[off:])
			off = len(data)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// LogStreamGone reports whether the FakeLogStream fed from feed has exited
// and been reaped.
func LogStreamGone(t testing.TB, feed string) bool {
	t.Helper()
	data, err := os.ReadFile(feed + ".pid")
	if err != nil {
		t.Fatalf("the log stream never started: %v", err)
	}
	pid, _ := strconv.Atoi(string(data))
	return syscall.Kill(pid, 0) == syscall.ESRCH
}
