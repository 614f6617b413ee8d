package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/sbplc/sbplc/sandbox"
)

// TestMain lets the test binary run as the sbplc command inside scripts,
// and as the child stage of sbplc run (with a fake applier, run_test.go).
func TestMain(m *testing.M) {
	sandbox.MainWith(testApplier{})
	testHooks()
	testscript.Main(m, map[string]func(){
		"sbplc": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the command-line behaviour tests in testdata/script
// (txtar files; see the README there): the real binary on real inputs,
// checking stdout, stderr and exit codes.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("..", "..", "testdata", "script"),
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "1")
			if shared, err := filepath.Abs(filepath.Join("..", "..", "..", "shared")); err == nil {
				env.Setenv("SHARED", shared)
			}
			if root, err := filepath.Abs(filepath.Join("..", "..")); err == nil {
				env.Setenv("REPO", root)
			}
			return nil
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "shared":
				_, err := os.Stat(filepath.Join("..", "..", "..", "shared", "corpus", "MANIFEST.tsv"))
				return err == nil, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"mkfifo":      cmdMkfifo,
			"lsp-session": cmdLSPSession,
			"console":     cmdConsole,
		},
	})
}

// mkfifo NAME creates a FIFO.
func cmdMkfifo(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: mkfifo NAME")
	}
	if err := syscall.Mkfifo(ts.MkAbs(args[0]), 0o644); err != nil {
		ts.Fatalf("mkfifo: %v", err)
	}
}

// lsp-session IN OUT runs `sbplc lsp` as a language client would: each
// line of IN is a JSON-RPC message sent with its Content-Length header, or
// "wait TEXT", which waits (10 s at most) until the server has written
// TEXT. Everything the server writes goes to OUT; the session fails if the
// server has not exited 10 s after the last message. $WORK in the messages
// is the script's work directory.
func cmdLSPSession(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: lsp-session IN OUT")
	}
	in := strings.ReplaceAll(ts.ReadFile(args[0]), "$WORK", ts.Getenv("WORK"))
	bin := ""
	for _, dir := range filepath.SplitList(ts.Getenv("PATH")) {
		if st, err := os.Stat(filepath.Join(dir, "sbplc")); err == nil && !st.IsDir() {
			bin = filepath.Join(dir, "sbplc")
			break
		}
	}
	if bin == "" {
		ts.Fatalf("lsp-session: sbplc not on the script's PATH")
	}
	cmd := exec.Command(bin, "lsp")
	cmd.Env = append(os.Environ(), "PATH="+ts.Getenv("PATH"))
	cmd.Dir = ts.Getenv("WORK")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		ts.Fatalf("%v", err)
	}
	var mu sync.Mutex
	var out bytes.Buffer
	cmd.Stdout = writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return out.Write(p)
	})
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		ts.Fatalf("%v", err)
	}
	has := func(text string) bool {
		mu.Lock()
		defer mu.Unlock()
		return strings.Contains(out.String(), text)
	}
	for _, line := range strings.Split(in, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case strings.HasPrefix(line, "wait "):
			text := strings.TrimPrefix(line, "wait ")
			deadline := time.Now().Add(10 * time.Second)
			for !has(text) {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					ts.Fatalf("lsp-session: no %q within 10 s; got:\n%s", text, out.String())
				}
				time.Sleep(5 * time.Millisecond)
			}
		default:
			fmt.Fprintf(stdin, "Content-Length: %d\r\n\r\n%s", len(line), line)
		}
	}
	stdin.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			ts.Fatalf("lsp-session: server: %v\n%s", err, out.String())
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		ts.Fatalf("lsp-session: the server did not exit")
	}
	mu.Lock()
	defer mu.Unlock()
	if err := os.WriteFile(ts.MkAbs(args[1]), out.Bytes(), 0o644); err != nil {
		ts.Fatalf("%v", err)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
