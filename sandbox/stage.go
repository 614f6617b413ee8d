package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/sbplc/sbplc/internal/fsutil"
)

// The child-stage protocol (version 1).
//
// The parent runs PROGRAM -sandbox-stage-v1 COMMAND [ARG...] with three
// extra descriptors: 3 is a regular file holding the JSON request, 4 the
// write end of the status pipe, 5 its read end (closed by the stage
// first). The stage writes to 4:
//
//	'X'              just before execve of COMMAND (4 is close-on-exec,
//	                 so the pipe then closes: COMMAND has started)
//	'E' + JSON       a failure (stageRecord); the stage exits with its code
//	'R' + bytes      the result of a registered function (RunFunc)
//
// The pipe closing with nothing written means the stage died (killed, or
// not a program that runs the stage); the parent reports that, and in no
// case was COMMAND started.
const (
	protocolVersion = 1
	stageArgPrefix  = "-sandbox-stage-v"
	stageArg        = "-sandbox-stage-v1"

	fdRequest    = 3
	fdStatus     = 4
	fdStatusRead = 5

	// maxRequest bounds the request the stage reads: a compiled profile is
	// far smaller than the 16 MiB input limit it is compiled from.
	maxRequest = 64 << 20
	// maxStatus bounds what the parent reads from the status pipe.
	maxStatus = 16 << 20

	tagExec    = 'X'
	tagFailure = 'E'
	tagResult  = 'R'
)

// Exit statuses of the stage when COMMAND did not start (as env(1)).
const (
	ExitCannotRun = 126 // anything failed before exec
	ExitNotFound  = 127 // COMMAND was not found
)

// request is what the parent sends on descriptor 3.
type request struct {
	Version int    `json:"v"`
	Name    string `json:"name"`   // the profile's name, for messages
	Prefix  string `json:"prefix"` // message prefix ("sbplc run")
	Profile []byte `json:"profile"`
	// Func, when set, names the registered function to call after applying
	// instead of exec'ing COMMAND; Arg is its argument.
	Func string `json:"func,omitempty"`
	Arg  []byte `json:"arg,omitempty"`
}

// stageRecord is a failure the stage reports.
type stageRecord struct {
	Step    string `json:"step"`
	Code    int    `json:"code"`
	Errno   int    `json:"errno,omitempty"`
	Message string `json:"message"`
}

// StageError is a failure before COMMAND was exec'd: COMMAND did not run.
type StageError struct {
	// Step is what failed: "start" (the stage program did not start),
	// "request" (the stage could not read what to do), "find" (COMMAND not
	// found or not executable), "apply" (libsandbox refused the profile),
	// "exec" (execve after applying), "func" (a RunFunc function), or
	// "stage" (the stage ended without saying why: killed, crashed, or not
	// a program whose main calls Main).
	Step string
	// Code is the exit status for the failure: 126, or 127 when COMMAND
	// was not found.
	Code int
	// Errno is the system error behind it, 0 when there is none.
	Errno syscall.Errno
	// Message says what failed, as the stage printed it.
	Message string
}

func (e *StageError) Error() string { return e.Message }

// Applier applies a compiled profile to the calling process, for good.
type Applier interface {
	Apply(bytecode []byte) error
}

// Main runs the child stage when this process was started as one (by a
// command of this package) and never returns then; otherwise it returns at
// once. Call it first in main, before anything else runs.
func Main() { MainWith(Native()) }

// MainWith is Main with another Applier: tests use a fake one to exercise
// the stage on any OS.
func MainWith(a Applier) {
	mainCalled.Store(true)
	if !IsChild() {
		return
	}
	os.Exit(runStage(a))
}

// IsChild reports whether this process was started as the child stage.
func IsChild() bool {
	return len(os.Args) > 1 && strings.HasPrefix(os.Args[1], stageArgPrefix)
}

var funcs struct {
	sync.Mutex
	m map[string]func([]byte) ([]byte, error)
}

// RegisterFunc registers fn under name for RunFunc: a child stage asked to
// run name applies the profile and calls fn with the caller's argument
// instead of exec'ing a program. Register in an init function (the stage
// runs from Main); registering a name twice panics.
func RegisterFunc(name string, fn func(arg []byte) ([]byte, error)) {
	funcs.Lock()
	defer funcs.Unlock()
	if funcs.m == nil {
		funcs.m = map[string]func([]byte) ([]byte, error){}
	}
	if _, dup := funcs.m[name]; dup {
		panic("sandbox: RegisterFunc called twice for " + name)
	}
	funcs.m[name] = fn
}

func lookupFunc(name string) func([]byte) ([]byte, error) {
	funcs.Lock()
	defer funcs.Unlock()
	return funcs.m[name]
}

// stage is one run of the child stage.
type stage struct {
	status *os.File
	prefix string
	what   string // COMMAND's name, for "was not started"
}

// fail reports a failure on the status pipe and standard error and returns
// the exit status.
func (s *stage) fail(step string, code int, errno syscall.Errno, format string, args ...any) int {
	msg := s.prefix + ": " + fmt.Sprintf(format, args...)
	if s.what != "" && step != "find" {
		msg += "; " + s.what + " was not started"
	}
	if s.status != nil {
		rec, _ := json.Marshal(stageRecord{Step: step, Code: code, Errno: int(errno), Message: msg})
		s.status.Write(append([]byte{tagFailure}, rec...))
	}
	fmt.Fprintln(os.Stderr, msg)
	return code
}

// runStage is the child stage: read the request, find COMMAND, apply the
// profile, exec. Every path that does not reach a successful exec returns
// 126 or 127.
func runStage(a Applier) (code int) {
	s := &stage{prefix: filepath.Base(os.Args[0]) + ": sandbox"}
	defer func() {
		if r := recover(); r != nil {
			code = s.fail("stage", ExitCannotRun, 0, "internal error in the sandbox stage: %v", r)
		}
	}()
	// The descriptors are used only when they are what the parent passes
	// (a stage started by hand may have other files there, or none).
	if isKind(fdStatus, fs.ModeNamedPipe) {
		s.status = os.NewFile(fdStatus, "sandbox-status")
	}
	if isKind(fdStatusRead, fs.ModeNamedPipe) {
		closeFD(fdStatusRead)
	}
	if s.status == nil {
		return s.fail("request", ExitCannotRun, 0, "no status pipe on descriptor %d: the sandbox stage is started only by the sandbox package", fdStatus)
	}
	if os.Args[1] != stageArg {
		return s.fail("request", ExitCannotRun, 0, "the parent speaks sandbox stage protocol %q, this program %q: use the same version of both", strings.TrimPrefix(os.Args[1], stageArgPrefix), strings.TrimPrefix(stageArg, stageArgPrefix))
	}
	argv := os.Args[2:]
	if len(argv) > 0 {
		s.what = argv[0]
	}
	if !isKind(fdRequest, 0) {
		return s.fail("request", ExitCannotRun, 0, "no request on descriptor %d: the sandbox stage is started only by the sandbox package", fdRequest)
	}
	rf := os.NewFile(fdRequest, "sandbox-request")
	data, err := fsutil.ReadLimited("sandbox request", rf, maxRequest)
	rf.Close()
	if err != nil {
		return s.fail("request", ExitCannotRun, errnoOf(err), "cannot read the request on descriptor %d: %v", fdRequest, err)
	}
	var req request
	if err := json.Unmarshal(data, &req); err != nil {
		return s.fail("request", ExitCannotRun, 0, "the request on descriptor %d is not valid: %v", fdRequest, err)
	}
	if req.Prefix != "" {
		s.prefix = req.Prefix
	}
	if req.Version != protocolVersion {
		return s.fail("request", ExitCannotRun, 0, "request of protocol version %d, this program speaks %d", req.Version, protocolVersion)
	}
	if len(req.Profile) == 0 {
		return s.fail("request", ExitCannotRun, 0, "the request holds no profile")
	}
	var fn func([]byte) ([]byte, error)
	var path string
	if req.Func != "" {
		if fn = lookupFunc(req.Func); fn == nil {
			return s.fail("request", ExitCannotRun, 0, "no function %q is registered in this program", req.Func)
		}
	} else {
		if len(argv) == 0 {
			return s.fail("request", ExitCannotRun, 0, "no command to run")
		}
		// COMMAND is found before applying, in the PATH it will run
		// with, so a profile that denies reading directories cannot turn
		// into "command not found".
		p, code, errno, why := lookPath(argv[0])
		if why != "" {
			return s.fail("find", code, errno, "%s", why)
		}
		path = p
	}
	if err := a.Apply(req.Profile); err != nil {
		return s.fail("apply", ExitCannotRun, errnoOf(err), "cannot apply the profile %s: %v", req.Name, err)
	}
	if fn != nil {
		return s.runFunc(fn, req.Arg)
	}
	// From here on a successful exec closes the status pipe.
	if err := setCloseOnExec(fdStatus); err != nil {
		return s.fail("exec", ExitCannotRun, errnoOf(err), "cannot prepare the status pipe: %v", err)
	}
	if _, err := s.status.Write([]byte{tagExec}); err != nil {
		// Nobody is listening: the parent is gone. Do not start COMMAND
		// unsupervised.
		return ExitCannotRun
	}
	err = execve(path, argv, os.Environ())
	errno := errnoOf(err)
	code = ExitCannotRun
	hint := ""
	switch {
	case errno == syscall.ENOENT:
		code = ExitNotFound
	case errno == syscall.EPERM:
		hint = " (the profile " + req.Name + " may deny process-exec of " + path + ")"
	}
	return s.fail("exec", code, errno, "exec %s: %v%s", path, errnoText(err), hint)
}

// runFunc calls a registered function under the applied profile and sends
// its result.
func (s *stage) runFunc(fn func([]byte) ([]byte, error), arg []byte) (code int) {
	defer func() {
		if r := recover(); r != nil {
			code = s.fail("func", ExitCannotRun, 0, "the sandboxed function panicked: %v", r)
		}
	}()
	res, err := fn(arg)
	if err != nil {
		return s.fail("func", ExitCannotRun, errnoOf(err), "%v", err)
	}
	if _, err := s.status.Write(append([]byte{tagResult}, res...)); err != nil {
		return ExitCannotRun
	}
	return 0
}

// isKind reports whether fd is open and of the type (0: a regular file).
// The probe does not keep the descriptor: a finalizer must not close it.
func isKind(fd int, typ fs.FileMode) bool {
	mode, ok := fdMode(fd)
	return ok && mode.Type() == typ
}

// lookPath resolves COMMAND as execvp would: a name with a slash as is,
// else the first executable in PATH (an entry "" or "." is the working
// directory, as for the shell). why is "" on success.
func lookPath(name string) (path string, code int, errno syscall.Errno, why string) {
	p, err := exec.LookPath(name)
	if errors.Is(err, exec.ErrDot) {
		err = nil // PATH names ".": execvp runs it, so do we
	}
	if err == nil {
		if st, serr := os.Stat(p); serr == nil && st.IsDir() {
			return "", ExitCannotRun, syscall.EISDIR, name + ": is a directory"
		}
		return p, 0, 0, ""
	}
	switch {
	case errors.Is(err, exec.ErrNotFound):
		return "", ExitNotFound, syscall.ENOENT, name + ": command not found"
	case errors.Is(err, fs.ErrNotExist):
		return "", ExitNotFound, syscall.ENOENT, name + ": no such file or directory"
	case errors.Is(err, fs.ErrPermission):
		return "", ExitCannotRun, syscall.EACCES, name + ": permission denied (not executable)"
	}
	return "", ExitCannotRun, errnoOf(err), fmt.Sprintf("%s: %v", name, errnoText(err))
}

// errnoOf returns the system error inside err, 0 when there is none.
func errnoOf(err error) syscall.Errno {
	var e syscall.Errno
	if errors.As(err, &e) {
		return e
	}
	return 0
}

// errnoText words err without Go's wrapping ("operation not permitted").
func errnoText(err error) string {
	if e := errnoOf(err); e != 0 {
		return e.Error()
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
