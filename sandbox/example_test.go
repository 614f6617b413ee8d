package sandbox_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/sbplc/sbplc/sandbox"
)

// A program that runs a tool without network access. Its main calls
// sandbox.Main first, because the command re-executes the program as the
// child stage. On macOS it prints the tool's output; elsewhere, and
// whenever anything fails before the exec, the tool does not run.
func Example() {
	sandbox.Main() // first thing in main

	profile := []byte(`(version 1)
(allow default)
(deny network*)`)
	cmd, err := sandbox.Command(context.Background(), profile, nil, "curl", "-sS", "https://example.com")
	if err != nil {
		fmt.Println("not started:", err) // e.g. the profile does not compile
		return
	}
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := sandbox.Start(cmd); err != nil {
		var se *sandbox.StageError
		if errors.As(err, &se) {
			fmt.Println("not started:", se.Step, se.Message) // e.g. applying failed
		}
		return
	}
	if err := cmd.Wait(); err != nil {
		fmt.Println("curl failed, as it should:", err)
	}
}

// Running a Go function under a profile instead of a program: register
// it in init, then call it through RunFunc.
func ExampleProfile_RunFunc() {
	// func init() { sandbox.RegisterFunc("parse", parseUntrusted) }
	p, err := sandbox.Compile("deny-all.sb", []byte("(version 1)(deny default)"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := p.RunFunc(context.Background(), "parse", []byte("untrusted input"))
	fmt.Println(string(out), err)
}
