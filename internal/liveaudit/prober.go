package liveaudit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/sbplc/sbplc/sandbox"
)

// FuncName is the function the child stage runs for an attempt (see
// ChildProbe); the program registers it with sandbox.RegisterFunc.
const FuncName = "sbplc-live-probe"

// attemptTimeout bounds one attempt.
const attemptTimeout = 10 * time.Second

// ChildProbe runs in the sandboxed child stage: it decodes the attempt,
// performs it and encodes the outcome.
func ChildProbe(arg []byte) ([]byte, error) {
	var a Attempt
	if err := json.Unmarshal(arg, &a); err != nil {
		return nil, fmt.Errorf("bad attempt: %v", err)
	}
	return json.Marshal(Execute(a))
}

// SandboxProber makes each attempt in a child stage of its own, sandboxed
// with Profile, after preparing the fixture in Scratch.
type SandboxProber struct {
	Profile *sandbox.Profile
	Scratch *Scratch
}

// Probe implements Prober.
func (sp SandboxProber) Probe(ctx context.Context, a Attempt) (Outcome, error) {
	undo, err := sp.Scratch.prepare(a)
	defer undo()
	if err != nil {
		return Outcome{Answer: Inconclusive, Detail: "cannot prepare the fixture: " + err.Error()}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, attemptTimeout)
	defer cancel()
	if a.Kind == KindExec {
		return sp.exec(ctx, a)
	}
	arg, err := json.Marshal(a)
	if err != nil {
		return Outcome{}, err
	}
	res, err := sp.Profile.RunFunc(ctx, FuncName, arg)
	if err != nil {
		var se *sandbox.StageError
		switch {
		case ctx.Err() != nil:
			return Outcome{Answer: Inconclusive, Detail: "the attempt did not finish within " + attemptTimeout.String()}, nil
		case errors.As(err, &se) && se.Step == "func":
			return Outcome{Answer: Inconclusive, Detail: se.Message}, nil
		}
		return Outcome{}, err
	}
	var out Outcome
	if err := json.Unmarshal(res, &out); err != nil {
		return Outcome{}, fmt.Errorf("the probe stage answered %q: %v", res, err)
	}
	return out, nil
}

// exec runs the program in the stage itself (no fork, so process-fork is
// not involved): the stage's exec status is the answer, and the program
// is killed as soon as it runs.
func (sp SandboxProber) exec(ctx context.Context, a Attempt) (Outcome, error) {
	cmd, err := sp.Profile.Command(ctx, a.Path)
	if err != nil {
		return Outcome{}, err
	}
	// Standard input and output are the null device, opened here.
	err = sandbox.Start(cmd)
	if err == nil {
		cmd.Process.Kill()
		cmd.Wait()
		return Outcome{Answer: Allowed, Detail: "execve succeeded (the program was killed at once)"}, nil
	}
	var se *sandbox.StageError
	if !errors.As(err, &se) {
		return Outcome{}, err
	}
	switch se.Step {
	case "exec":
		if se.Errno == syscall.EPERM {
			return Outcome{Answer: Denied, Detail: "execve: " + se.Errno.Error()}, nil
		}
		return Outcome{Answer: Inconclusive, Detail: se.Message}, nil
	case "find":
		return Outcome{Answer: Inconclusive, Detail: se.Message}, nil
	}
	if ctx.Err() != nil {
		return Outcome{Answer: Inconclusive, Detail: "the attempt did not finish within " + attemptTimeout.String()}, nil
	}
	return Outcome{}, err
}
