package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sbplc/sbplc/internal/lsp"
)

// TestLSPCommand runs "sbplc lsp" in-process: a session with a real profile
// on disk, diagnostics from the production analyzer, hover, formatting and
// a clean shutdown.
func TestLSPCommand(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p.sb")
	text := "(version 1)\n(deny default)\n(allow file-read*   (subpath \"/usr\"))\n(allow \"oops)\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	uri := "file://" + filepath.ToSlash(path)
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"lsp", "--stdio"}, inR, outW, &stderr)
		outW.Close()
	}()
	w := lsp.NewWriter(inW)
	r := lsp.NewReader(outR)
	msgs := make(chan map[string]json.RawMessage, 100)
	go func() {
		for {
			b, err := r.Read()
			if err != nil {
				close(msgs)
				return
			}
			var m map[string]json.RawMessage
			json.Unmarshal(b, &m)
			msgs <- m
		}
	}()
	next := func(what string, pred func(map[string]json.RawMessage) bool) map[string]json.RawMessage {
		t.Helper()
		for {
			select {
			case m, ok := <-msgs:
				if !ok {
					t.Fatalf("%s: server closed its output; stderr: %s", what, stderr.String())
				}
				if pred(m) {
					return m
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%s: timed out", what)
			}
		}
	}
	id := 0
	call := func(method string, params any) json.RawMessage {
		t.Helper()
		id++
		w.WriteJSON(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
		want := fmt.Sprint(id)
		m := next(method, func(m map[string]json.RawMessage) bool { return string(m["id"]) == want })
		if e := m["error"]; e != nil {
			t.Fatalf("%s: %s", method, e)
		}
		return m["result"]
	}
	notify := func(method string, params any) {
		w.WriteJSON(map[string]any{"jsonrpc": "2.0", "method": method, "params": params})
	}

	res := call("initialize", map[string]any{"rootUri": "file://" + filepath.ToSlash(dir), "capabilities": map[string]any{}})
	if !strings.Contains(string(res), `"hoverProvider":true`) || !strings.Contains(string(res), `"documentFormattingProvider":true`) {
		t.Fatalf("capabilities: %s", res)
	}
	notify("initialized", map[string]any{})
	notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": uri, "languageId": "sbpl", "version": 1, "text": text}})
	m := next("diagnostics", func(m map[string]json.RawMessage) bool {
		return string(m["method"]) == `"textDocument/publishDiagnostics"`
	})
	if p := string(m["params"]); !strings.Contains(p, `"syntax-error"`) || !strings.Contains(p, `"line":3`) {
		t.Fatalf("diagnostics: %s", p)
	}
	hover := call("textDocument/hover", map[string]any{"textDocument": map[string]any{"uri": uri}, "position": map[string]any{"line": 2, "character": 22}})
	if !strings.Contains(string(hover), "subpath") {
		t.Fatalf("hover: %s", hover)
	}
	// Fix the syntax error, then format.
	fixed := strings.Replace(text, "(allow \"oops)", "(allow file-write* (literal \"/tmp/x\"))", 1)
	notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": 2}, "contentChanges": []any{map[string]any{"text": fixed}}})
	edits := call("textDocument/formatting", map[string]any{"textDocument": map[string]any{"uri": uri}, "options": map[string]any{}})
	if !strings.Contains(string(edits), "newText") {
		t.Fatalf("formatting gave no edit for %q: %s", fixed, edits)
	}
	call("shutdown", nil)
	notify("exit", nil)
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit code %d; stderr: %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sbplc lsp did not exit")
	}
}

func TestLSPCommandExitWithoutShutdown(t *testing.T) {
	var out, stderr bytes.Buffer
	in := strings.NewReader("Content-Length: 33\r\n\r\n{\"jsonrpc\":\"2.0\",\"method\":\"exit\"}")
	if code := run([]string{"lsp"}, in, &out, &stderr); code != 1 {
		t.Fatalf("exit code %d, want 1 (stderr %q)", code, stderr.String())
	}
	if code := run([]string{"lsp", "extra"}, strings.NewReader(""), &out, &stderr); code != 2 {
		t.Fatalf("lsp with an argument: exit code %d, want 2", code)
	}
}
