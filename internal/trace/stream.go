package trace

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Source returns the command that streams the sandbox's reports, one per
// line, after a line starting with ReadyPrefix (on standard output or
// error) that says the stream is live. It returns nil when the system has
// no such stream.
type Source func(ctx context.Context) *exec.Cmd

// ReadyPrefix starts the line log stream prints once it is filtering.
const ReadyPrefix = "Filtering the log data using"

// Predicate selects the sandbox's reports in the unified log: the kernel's
// Sandbox messages, and the com.apple.sandbox.reporting subsystem that
// newer releases log them under as well (package learn reads both).
const Predicate = `((processID == 0) AND (senderImagePath CONTAINS "/Sandbox")) OR (subsystem == "com.apple.sandbox.reporting")`

// Limits of one stream.
const (
	// MaxLine is the longest line kept; longer lines are dropped and
	// counted (a report is a few hundred bytes).
	MaxLine = 1 << 20
	// MaxLines and MaxBytes bound what one run keeps; the rest is dropped
	// and counted.
	MaxLines = 100_000
	MaxBytes = 64 << 20
)

// stopWait is how long a stopped stream gets to exit before SIGKILL (a
// variable for the tests).
var stopWait = 2 * time.Second

// Stream is a running log stream.
type Stream struct {
	cmd     *exec.Cmd
	ready   chan struct{}
	readyMu sync.Once
	readers sync.WaitGroup
	eof     chan struct{} // both outputs ended

	mu      sync.Mutex
	lines   [][]byte
	bytes   int
	dropped int
	stderr  bytes.Buffer // before ready, for the error
	early   [][]byte     // standard output's lines before ready
}

// StartStream starts src and waits (at most readyTimeout) until it says it
// is live. The stream must be stopped with Stop.
func StartStream(ctx context.Context, src Source, readyTimeout time.Duration) (*Stream, error) {
	cmd := src(ctx)
	if cmd == nil {
		return nil, ErrUnsupported
	}
	s := &Stream{cmd: cmd, ready: make(chan struct{}), eof: make(chan struct{})}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	// SIGTERM first, SIGKILL after stopWait (Stop, or ctx ending).
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = stopWait
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %v", cmd.Path, err)
	}
	s.readers.Add(2)
	go s.read(stdout, true)
	go s.read(stderr, false)
	go func() { s.readers.Wait(); close(s.eof) }()
	select {
	case <-s.ready:
		return s, nil
	case <-s.eof:
		s.Stop(0)
		return nil, fmt.Errorf("%s ended before the stream was live%s", cmd.Path, s.stderrText())
	case <-time.After(readyTimeout):
		s.Stop(0)
		return nil, fmt.Errorf("%s was not live after %v (no %q line)%s", cmd.Path, readyTimeout, ReadyPrefix, s.stderrText())
	}
}

func (s *Stream) stderrText() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := strings.TrimSpace(s.stderr.String()); t != "" {
		return ": " + t
	}
	return ""
}

// read collects the lines of one of the stream's outputs: the ready line
// on either, report lines on standard output after it.
func (s *Stream) read(r io.Reader, stdout bool) {
	defer s.readers.Done()
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, tooLong, err := readLine(br)
		if len(line) > 0 || tooLong {
			s.add(line, tooLong, stdout)
		}
		if err != nil {
			return
		}
	}
}

func (s *Stream) add(line []byte, tooLong, stdout bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	live := s.isReady()
	if !live && bytes.HasPrefix(line, []byte(ReadyPrefix)) {
		// Standard output's lines before the ready line on standard
		// output are the stream's own noise; when the ready line comes on
		// standard error, the order of the two pipes is unknown, and
		// standard output's early lines are reports: keep them.
		if !stdout {
			for _, l := range s.early {
				s.keep(l, l == nil) // nil: a line longer than MaxLine
			}
		}
		s.early = nil
		s.readyMu.Do(func() { close(s.ready) })
		return
	}
	switch {
	case !live && stdout:
		if len(s.early) < MaxLines {
			if tooLong {
				line = nil
			}
			s.early = append(s.early, line)
		}
	case !live:
		if s.stderr.Len() < 4096 {
			s.stderr.Write(line)
			s.stderr.WriteByte('\n')
		}
	case stdout:
		s.keep(line, tooLong)
	}
}

// keep adds a report line within the limits; s.mu must be held.
func (s *Stream) keep(line []byte, tooLong bool) {
	if tooLong || len(s.lines) >= MaxLines || s.bytes+len(line) > MaxBytes {
		s.dropped++
		return
	}
	s.lines = append(s.lines, line)
	s.bytes += len(line)
}

func (s *Stream) isReady() bool {
	select {
	case <-s.ready:
		return true
	default:
		return false
	}
}

// readLine reads one line without its newline. A line longer than MaxLine
// is consumed and returned empty with tooLong set; memory stays bounded by
// MaxLine.
func readLine(br *bufio.Reader) (line []byte, tooLong bool, err error) {
	for {
		chunk, isPrefix, err := br.ReadLine()
		if !tooLong {
			if len(line)+len(chunk) > MaxLine {
				tooLong, line = true, nil
			} else {
				line = append(line, chunk...)
			}
		}
		if err != nil || !isPrefix {
			return line, tooLong, err
		}
	}
}

// Stop waits grace for late reports, ends the stream (SIGTERM, then
// SIGKILL), waits for the process and returns the report lines and how
// many were dropped by the limits. The stream's process is gone when Stop
// returns.
func (s *Stream) Stop(grace time.Duration) (lines [][]byte, dropped int) {
	if grace > 0 {
		time.Sleep(grace)
	}
	// The outputs are read to their end before Wait closes them, so the
	// last lines are not lost; a process that does not end its outputs
	// (or a child that holds them) is killed, and Wait closes them.
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.eof:
	case <-time.After(stopWait):
		s.cmd.Process.Kill()
		select {
		case <-s.eof:
		case <-time.After(stopWait):
		}
	}
	s.cmd.Wait()
	s.readers.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lines, s.dropped
}
