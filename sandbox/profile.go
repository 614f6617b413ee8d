package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/sbplc/sbplc/templates"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/sbplc/sbplc/compile"
)

// ErrUnsupported is returned where libsandbox is needed on a system that
// has none (anything but macOS).
var ErrUnsupported = errors.New("applying a Seatbelt profile needs macOS (libsandbox)")

// ErrNoTemplate is returned (wrapped) by Template for a name that is not
// one of sbplc's templates (`sbplc init --list`).
var ErrNoTemplate = errors.New("no such template")

// Template returns the SBPL text of the named profile template (the ones
// `sbplc init` writes).
func Template(name string) ([]byte, error) {
	t, ok := templates.Get(name)
	if !ok {
		return nil, fmt.Errorf("template %q: %w (known: %s)", name, ErrNoTemplate, strings.Join(templates.Names(), ", "))
	}
	return t.Text, nil
}

// backend is the compiler of Compile; tests substitute compile.Fake.
var backend = compile.Native

// Profile is a compiled profile, ready to apply to commands. It is safe
// for concurrent use; one Profile may start any number of commands.
type Profile struct {
	// Name labels messages ("agent.sb").
	Name string
	// Stage is the program that runs the child stage: "" for the calling
	// program (its main must call Main first), or the path of another
	// program whose main calls Main, such as sbplc. See the package
	// documentation for the trade-offs.
	Stage string
	// Prefix starts the child stage's messages ("sbplc run"); "" means
	// the stage program's name.
	Prefix string

	bytecode []byte
}

// CompileError is a profile libsandbox rejected, at the line and column
// of the text it was given (0 when libsandbox named none).
type CompileError struct {
	Name         string
	Line, Column int
	Message      string
}

func (e *CompileError) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: libsandbox: %s", e.Name, e.Line, e.Column, e.Message)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: libsandbox: %s", e.Name, e.Line, e.Message)
	}
	return fmt.Sprintf("%s: libsandbox: %s", e.Name, e.Message)
}

// Compile compiles the SBPL text sbpl with params (the values of
// (param "KEY")) through libsandbox, in this process; nothing is applied.
// A profile libsandbox rejects is a *CompileError; on a system without
// libsandbox the error wraps ErrUnsupported. name labels messages.
func Compile(name string, sbpl []byte, params map[string]string) (*Profile, error) {
	b, err := backend()
	if err != nil {
		if errors.Is(err, compile.ErrUnsupported) {
			return nil, fmt.Errorf("%s: %w", name, ErrUnsupported)
		}
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	ps := compile.ParamsFromMap(params)
	if err := ps.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	r, err := b.Compile(compile.Request{Source: sbpl, Params: ps})
	if err != nil {
		var ce *compile.Error
		if errors.As(err, &ce) {
			return nil, &CompileError{Name: name, Line: ce.Line, Column: ce.Column, Message: ce.Message}
		}
		return nil, fmt.Errorf("%s: %s: %v", name, b.Name(), err)
	}
	if len(r.Bytecode) == 0 {
		return nil, fmt.Errorf("%s: libsandbox resolved the profile to the builtin profile %q, which this package does not apply; give the profile's text", name, r.Builtin)
	}
	return &Profile{Name: name, bytecode: r.Bytecode}, nil
}

// FromBytecode returns the profile compiled elsewhere (`sbplc compile`,
// compile.Build). The bytes are not checked here: libsandbox's apply in
// the child stage refuses what it cannot load, and COMMAND does not run.
func FromBytecode(name string, bytecode []byte) *Profile {
	return &Profile{Name: name, bytecode: append([]byte(nil), bytecode...)}
}

// Command compiles profile (SBPL text) with params and returns the
// command that runs name with args under it: see Profile.Command.
func Command(ctx context.Context, profile []byte, params map[string]string, name string, args ...string) (*exec.Cmd, error) {
	p, err := Compile("profile", profile, params)
	if err != nil {
		return nil, err
	}
	return p.Command(ctx, name, args...)
}

// CommandTemplate is Command with the named profile template.
func CommandTemplate(ctx context.Context, template string, params map[string]string, name string, args ...string) (*exec.Cmd, error) {
	text, err := Template(template)
	if err != nil {
		return nil, err
	}
	p, err := Compile("template "+template, text, params)
	if err != nil {
		return nil, err
	}
	return p.Command(ctx, name, args...)
}

// mainCalled is set by Main and MainWith: a program that re-executes
// itself as the stage must run the stage before anything else.
var mainCalled atomic.Bool

// Command returns the command that runs name with args under p: the child
// stage, which applies p and execs name (looked up in the PATH of the
// command's environment, like execvp). ctx kills the process when done,
// as with exec.CommandContext. Set Stdin, Stdout, Stderr, Env and Dir on
// the result as usual; Path, Args and ExtraFiles belong to the stage.
// Start it with Start (or Run it, and ask Failure afterwards, which
// releases the stage's descriptors; a command never started keeps them
// until it is garbage-collected).
func (p *Profile) Command(ctx context.Context, name string, args ...string) (*exec.Cmd, error) {
	if name == "" {
		return nil, errors.New("sandbox: no command to run")
	}
	return p.command(ctx, request{}, append([]string{name}, args...))
}

// command builds the stage command for req (Profile and the rest filled
// in here) with COMMAND's argv.
func (p *Profile) command(ctx context.Context, req request, argv []string) (*exec.Cmd, error) {
	if p == nil || len(p.bytecode) == 0 {
		return nil, errors.New("sandbox: empty profile")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	stage, argv0 := p.Stage, p.Stage
	if stage == "" {
		if !mainCalled.Load() {
			return nil, errors.New("sandbox: the child stage is this program, but its main has not called sandbox.Main; call it first in main, or set Profile.Stage to a program that does (such as sbplc)")
		}
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("sandbox: cannot find this program to run the child stage: %v", err)
		}
		stage, argv0 = exe, os.Args[0]
	}
	req.Version = protocolVersion
	req.Name = p.Name
	req.Prefix = p.Prefix
	if req.Prefix == "" {
		req.Prefix = filepath.Base(argv0) + ": sandbox"
	}
	req.Profile = p.bytecode
	data, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %v", err)
	}
	// The request travels in an unlinked temporary file: unlike a pipe it
	// never blocks the parent, whatever the profile's size, and it needs
	// no writer running when the caller starts the command.
	f, err := os.CreateTemp("", "sandbox-request-*")
	if err != nil {
		return nil, fmt.Errorf("sandbox: cannot create the child stage's request: %v", err)
	}
	os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, fmt.Errorf("sandbox: cannot write the child stage's request: %v", err)
	}
	if _, err := f.Seek(0, 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("sandbox: %v", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("sandbox: %v", err)
	}
	cmd := exec.CommandContext(ctx, stage)
	cmd.Args = append([]string{argv0, stageArg}, argv...)
	// fd 3: the request; fd 4: the status pipe's write end; fd 5: its read
	// end, which the stage closes first (it rides along so that Start and
	// Failure find it on the command).
	cmd.ExtraFiles = []*os.File{f, w, r}
	return cmd, nil
}
