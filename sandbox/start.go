package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
)

// stageFiles returns the descriptors Command put on cmd, or ok false when
// cmd was not made by this package.
func stageFiles(cmd *exec.Cmd) (req, w, r *os.File, ok bool) {
	if cmd == nil || len(cmd.Args) < 2 || cmd.Args[1] != stageArg || len(cmd.ExtraFiles) != 3 {
		return nil, nil, nil, false
	}
	return cmd.ExtraFiles[0], cmd.ExtraFiles[1], cmd.ExtraFiles[2], true
}

var errNotOurs = errors.New("sandbox: the command was not made by sandbox.Command (or its Args or ExtraFiles were changed)")

// Start starts cmd (made by Command) and waits until the child stage has
// either exec'd COMMAND (nil: COMMAND is running sandboxed; Wait for it)
// or failed before exec: then the stage has exited and been waited for,
// COMMAND never ran, and the error is a *StageError with the reason and
// the exit status (126, 127 when COMMAND was not found).
func Start(cmd *exec.Cmd) error {
	st, err := start(cmd)
	if err != nil || st.execed {
		return err
	}
	werr := cmd.Wait()
	return st.failure(cmd, werr)
}

// start starts the stage and reads its status to the end.
func start(cmd *exec.Cmd) (status, error) {
	req, w, r, ok := stageFiles(cmd)
	if !ok {
		return status{}, errNotOurs
	}
	err := cmd.Start()
	// The stage has its copies; the parent's would keep the pipe open.
	req.Close()
	w.Close()
	defer r.Close()
	if err != nil {
		return status{}, &StageError{Step: "start", Code: ExitCannotRun, Errno: errnoOf(err),
			Message: fmt.Sprintf("cannot start the sandbox stage %s: %v; %s was not started", cmd.Path, errnoText(err), commandName(cmd))}
	}
	return readStatus(r), nil
}

// Failure, after cmd (made by Command) was run and waited for without
// Start (cmd.Run, cmd.Wait), returns the *StageError that kept COMMAND
// from starting, or nil when COMMAND was started (the exit status is then
// COMMAND's). It releases the stage's descriptors.
func Failure(cmd *exec.Cmd) error {
	req, w, r, ok := stageFiles(cmd)
	if !ok {
		return errNotOurs
	}
	if cmd.ProcessState == nil {
		return errors.New("sandbox: Failure is for a command that has been waited for")
	}
	req.Close()
	w.Close()
	defer r.Close()
	st := readStatus(r)
	if st.execed || st.closed {
		return nil
	}
	return st.failure(cmd, nil)
}

// status is what the stage said on the status pipe.
type status struct {
	execed bool // 'X' then end of file: COMMAND was exec'd
	result []byte
	hasRes bool
	rec    *stageRecord
	closed bool // the pipe was already released (Start reported)
	bad    string
}

func readStatus(r *os.File) status {
	data, err := io.ReadAll(io.LimitReader(r, maxStatus))
	if errors.Is(err, os.ErrClosed) {
		return status{closed: true}
	}
	return parseStatus(data)
}

// parseStatus reads what the stage wrote (see the protocol in stage.go).
func parseStatus(data []byte) status {
	var st status
	if len(data) > 0 && data[0] == tagExec {
		data = data[1:]
		if len(data) == 0 {
			st.execed = true
			return st
		}
	}
	switch {
	case len(data) == 0:
	case data[0] == tagFailure:
		var rec stageRecord
		if err := json.Unmarshal(data[1:], &rec); err != nil {
			st.bad = "an unreadable failure record"
		} else {
			st.rec = &rec
		}
	case data[0] == tagResult:
		st.result, st.hasRes = data[1:], true
	default:
		st.bad = fmt.Sprintf("unexpected status byte %q", data[0])
	}
	return st
}

// failure turns a status without exec into the error; werr is the wait
// error of the stage.
func (st status) failure(cmd *exec.Cmd, werr error) error {
	if st.rec != nil {
		code := st.rec.Code
		if code != ExitNotFound {
			code = ExitCannotRun
		}
		return &StageError{Step: st.rec.Step, Code: code, Errno: syscall.Errno(st.rec.Errno), Message: st.rec.Message}
	}
	how := "exited without reporting"
	if st.bad != "" {
		how = "sent " + st.bad
	}
	if ps := cmd.ProcessState; ps != nil {
		if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			how = fmt.Sprintf("was killed by signal %d (%v)", int(ws.Signal()), ws.Signal())
		} else if st.bad == "" {
			how = fmt.Sprintf("exited with status %d without reporting", ps.ExitCode())
		}
	} else if werr != nil {
		how += " (" + werr.Error() + ")"
	}
	return &StageError{Step: "stage", Code: ExitCannotRun,
		Message: fmt.Sprintf("the sandbox stage %s %s (is it a program whose main calls sandbox.Main, of this version?); %s was not started", cmd.Path, how, commandName(cmd))}
}

func commandName(cmd *exec.Cmd) string {
	if len(cmd.Args) > 2 {
		return cmd.Args[2]
	}
	return "the sandboxed function"
}

// maxOutput bounds the output of a RunFunc stage kept for its error.
const maxOutput = 64 << 10

// RunFunc runs the function registered under name (RegisterFunc) in a
// child stage under p and returns its result: the function runs after
// the profile was applied, in a process of its own, so what it may do is
// what p allows. The child's standard input is empty and its output is
// kept only for the error.
func (p *Profile) RunFunc(ctx context.Context, name string, arg []byte) ([]byte, error) {
	cmd, err := p.command(ctx, request{Func: name, Arg: arg}, nil)
	if err != nil {
		return nil, err
	}
	var out limitedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	st, err := start(cmd)
	if err != nil {
		return nil, err
	}
	werr := cmd.Wait()
	if st.hasRes && werr == nil {
		return st.result, nil
	}
	if st.execed {
		return nil, errors.New("sandbox: the function stage exec'd a program instead of answering")
	}
	err = st.failure(cmd, werr)
	var se *StageError
	if errors.As(err, &se) && se.Step == "stage" && out.Len() > 0 {
		se.Message += ": " + out.String()
	}
	return nil, err
}

type limitedBuffer struct{ bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxOutput - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
