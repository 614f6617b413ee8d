// Package trace is the machinery of `sbplc trace`: it runs COMMAND under a
// profile while collecting the sandbox's reports for COMMAND's process
// tree, hands them to the learn stage, and repeats (--iterate) until no
// new denial appears.
//
// It reads no report itself: the learn stage owns log parsing (the
// Learner interface), including telling which process a line is about.
// trace only runs the log stream (a Source), waits for it to be live,
// collects its raw lines within limits, tracks COMMAND's descendants in
// the process table (a ProcTable) and keeps the lines of those processes.
// The system parts (/usr/bin/log, the kernel's process table) are darwin
// files behind the Source and ProcTable types; everything else is tested
// on Linux with fakes.
package trace

import (
	"context"
	"errors"

	"github.com/sbplc/sbplc/source"
)

// Learner is the learn stage as trace uses it; package learn implements
// it.
type Learner interface {
	// PID returns the pid of the process a raw line of the log stream
	// reports a sandbox event for, or ok false for a line that reports
	// none (other messages, the stream's own lines).
	PID(line []byte) (pid int, ok bool)
	// Learn proposes rules for the reports in req.Lines (raw lines of the
	// traced process tree, in arrival order) against the profile.
	Learn(ctx context.Context, req Request) (*Proposal, error)
}

// Request is one call of Learner.Learn.
type Request struct {
	Profile *source.File
	// Params are the params the profile was compiled with.
	Params map[string]string
	Lines  [][]byte
}

// Proposal is what the learn stage proposes.
type Proposal struct {
	// Report is what to show: the proposed rules, or the diff of the
	// profile.
	Report string
	// Profile is the profile text with the proposed rules in it (the text
	// -w writes).
	Profile []byte
	// New counts the denials no rule of the profile covers yet: 0 ends
	// --iterate.
	New int
}

// ErrNoLearner is returned where the learn stage is needed in a build
// without it.
var ErrNoLearner = errors.New("the learn stage (package learn) is not part of this build of sbplc yet")

// ErrUnsupported is returned by the Source and ProcTable of systems
// without the unified log (anything but macOS).
var ErrUnsupported = errors.New("tracing sandbox reports needs macOS (log stream)")
