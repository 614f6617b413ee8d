package lsp

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"
)

func TestInitializeCapabilities(t *testing.T) {
	for _, tc := range []struct {
		name       string
		opts       Options
		hover, fmt bool
	}{
		{"bare", Options{}, false, false},
		{"vocab and formatter", Options{Vocab: fakeVocab{}, Formatter: FormatterFunc(nil)}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := startServer(t, tc.opts)
			var res struct {
				Capabilities map[string]json.RawMessage `json:"capabilities"`
				ServerInfo   ServerInfo                 `json:"serverInfo"`
			}
			c.callInto("initialize", map[string]any{"processId": 1, "capabilities": map[string]any{}}, &res)
			caps := res.Capabilities
			if string(caps["positionEncoding"]) != `"utf-16"` {
				t.Errorf("positionEncoding = %s", caps["positionEncoding"])
			}
			if !strings.Contains(string(caps["textDocumentSync"]), `"change":1`) {
				t.Errorf("textDocumentSync = %s, want full sync", caps["textDocumentSync"])
			}
			if got := string(caps["hoverProvider"]) == "true"; got != tc.hover {
				t.Errorf("hoverProvider = %s, want %v", caps["hoverProvider"], tc.hover)
			}
			if _, got := caps["completionProvider"]; got != tc.hover {
				t.Errorf("completionProvider present = %v, want %v", got, tc.hover)
			}
			if got := string(caps["documentFormattingProvider"]) == "true"; got != tc.fmt {
				t.Errorf("documentFormattingProvider = %s, want %v", caps["documentFormattingProvider"], tc.fmt)
			}
			if res.ServerInfo.Name != "sbplc" {
				t.Errorf("serverInfo = %+v", res.ServerInfo)
			}
			if code := c.shutdownExit(); code != 0 {
				t.Errorf("exit code %d after shutdown, want 0", code)
			}
		})
	}
}

func TestLifecycleErrors(t *testing.T) {
	c := startServer(t, Options{Vocab: fakeVocab{}})
	// Before initialize: requests fail with -32002, notifications are dropped.
	c.open("file:///a.sb", "(version 1)")
	if _, err := c.call("textDocument/hover", docParams("file:///a.sb", Position{})); err == nil || err.Code != CodeServerNotInitialized {
		t.Fatalf("hover before initialize: %v, want code %d", err, CodeServerNotInitialized)
	}
	if _, err := c.call("initialize", map[string]any{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.call("initialize", map[string]any{}); err == nil || err.Code != CodeInvalidRequest {
		t.Fatalf("second initialize: %v", err)
	}
	// The didOpen sent before initialize was dropped.
	if _, err := c.call("textDocument/hover", docParams("file:///a.sb", Position{})); err == nil || err.Code != CodeInvalidParams {
		t.Fatalf("hover on a document opened before initialize: %v", err)
	}
	if _, err := c.call("textDocument/definition", docParams("file:///a.sb", Position{})); err == nil || err.Code != CodeMethodNotFound {
		t.Fatalf("unknown method: %v", err)
	}
	if _, err := c.call("textDocument/didOpen", "not an object"); err == nil || err.Code != CodeInvalidParams {
		t.Fatalf("bad params: %v", err)
	}
	// Unknown notifications get no answer; the next request still works.
	c.notify("$/cancelRequest", map[string]any{"id": 1})
	c.notify("custom/thing", nil)
	if _, err := c.call("shutdown", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.call("textDocument/hover", docParams("file:///a.sb", Position{})); err == nil || err.Code != CodeInvalidRequest {
		t.Fatalf("request after shutdown: %v", err)
	}
	c.notify("exit", nil)
	if code := c.exitCode(); code != 0 {
		t.Fatalf("exit code %d", code)
	}
}

func TestExitWithoutShutdown(t *testing.T) {
	c := initialized(t, Options{})
	c.notify("exit", nil)
	if code := c.exitCode(); code != 1 {
		t.Fatalf("exit without shutdown: code %d, want 1", code)
	}
}

func TestEOFEndsSession(t *testing.T) {
	c := initialized(t, Options{})
	c.in.Close()
	if code := c.exitCode(); code != 1 {
		t.Fatalf("EOF without shutdown: code %d, want 1", code)
	}
}

// TestMalformedMessages sends broken bodies and frames; each gets an error
// response and the session continues.
func TestMalformedMessages(t *testing.T) {
	c := initialized(t, Options{})
	for _, tc := range []struct {
		raw  string
		code int
	}{
		{frame(`{"jsonrpc":"2.0","id":1,"method":`), CodeParseError},
		{frame(`[]`), CodeInvalidRequest},
		{frame(`{"jsonrpc":"2.0","id":[1],"method":"shutdown"}`), CodeInvalidRequest},
		{frame(`{"jsonrpc":"3.0","id":9,"method":"shutdown"}`), CodeInvalidRequest},
		{frame(`{"jsonrpc":"2.0","id":9,"method":{}}`), CodeInvalidRequest},
		{"Content-Length: nope\r\n\r\n", CodeParseError},
		{"X-Only: 1\r\n\r\n", CodeParseError},
	} {
		if _, err := c.in.Write([]byte(tc.raw)); err != nil {
			t.Fatal(err)
		}
		m := c.response()
		if m.Error == nil || m.Error.Code != tc.code {
			t.Errorf("%q: got %+v, want error code %d", tc.raw, m, tc.code)
		}
	}
	// A response from the client (no method) is ignored.
	c.send(map[string]any{"jsonrpc": "2.0", "id": 77, "result": nil})
	if code := c.shutdownExit(); code != 0 {
		t.Fatalf("exit code %d", code)
	}
}

func TestHandlerPanicIsRecovered(t *testing.T) {
	c := initialized(t, Options{Vocab: fakeVocab{panicOn: "boom"}})
	c.open("file:///p.sb", "(allow boom)")
	c.diagnostics()
	_, err := c.call("textDocument/hover", docParams("file:///p.sb", Position{Line: 0, Character: 8}))
	if err == nil || err.Code != CodeInternalError || !strings.Contains(err.Message, "vocabulary exploded") {
		t.Fatalf("panicking hover: %v, want internal error", err)
	}
	// The server still answers.
	var h *Hover
	c.callInto("textDocument/hover", docParams("file:///p.sb", Position{Line: 0, Character: 2}), &h)
	if h == nil || !strings.Contains(h.Contents.Value, "allow") {
		t.Fatalf("hover after panic: %+v", h)
	}
}

func TestURIs(t *testing.T) {
	for _, tc := range []struct{ uri, path string }{
		{"file:///tmp/a.sb", "/tmp/a.sb"},
		{"file:///tmp/with%20space/%C3%A9.sb", "/tmp/with space/é.sb"},
		{"untitled:Untitled-1", ""},
		{"http://x/y.sb", ""},
		{"%zz", ""},
	} {
		if got := uriToPath(tc.uri); got != tc.path {
			t.Errorf("uriToPath(%q) = %q, want %q", tc.uri, got, tc.path)
		}
		if tc.path != "" {
			if got := uriToPath(pathToURI(tc.path)); got != tc.path {
				t.Errorf("round trip of %q gave %q", tc.path, got)
			}
		}
	}
}

// FuzzServer feeds arbitrary message bodies to a session: it must answer or
// ignore each, and never panic.
func FuzzServer(f *testing.F) {
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"method":"textDocument/hover","params":{"textDocument":{"uri":"file:///a.sb"},"position":{"line":-1,"character":99999}}}`))
	f.Add([]byte(`{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///a.sb","version":9},"contentChanges":[{"text":"(allow (with"}]}}`))
	f.Add([]byte(`{"jsonrpc":"2.0","id":2,"method":"textDocument/completion","params":{"textDocument":{"uri":"file:///a.sb"},"position":{"line":0,"character":7}}}`))
	f.Add([]byte(`{"jsonrpc":"2.0","id":3,"method":"textDocument/codeAction","params":{"textDocument":{"uri":"file:///a.sb"},"range":{"start":{"line":5,"character":0},"end":{"line":0,"character":0}},"context":{"diagnostics":[]}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		s := NewServer(Options{Analyzer: &fakeAnalyzer{}, Vocab: fakeVocab{}, Debounce: -1})
		s.w = NewWriter(discard{})
		s.ctx, s.cancel = contextBackground()
		defer s.stop()
		s.handle([]byte(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{}}`))
		s.handle([]byte(`{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///a.sb","version":1,"text":"(version 1)\n(allow file-read* (literal \"/x\"))\n(allow bad-op)"}}}`))
		s.handle(body)
	})
}

func TestServeStopsOnCancel(t *testing.T) {
	inR, inW := io.Pipe()
	defer inW.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- NewServer(Options{Analyzer: &fakeAnalyzer{}}).Serve(ctx, inR, io.Discard) }()
	cancel()
	select {
	case code := <-done:
		if code != 1 {
			t.Fatalf("code %d", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after cancel while blocked reading")
	}
}

// FuzzDocument opens arbitrary text and asks for hover, completion, code
// actions and formatting at an arbitrary position: every request must be
// answered without a panic (a recovered panic would be an internal error).
func FuzzDocument(f *testing.F) {
	f.Add("(version 1)\n(allow file-read* (with report) (literal \"/é😀\"))", 1, 20)
	f.Add("(allow (require-all (", 0, 21)
	f.Add("'(allow x) ; c\n#| b |# (deny", 1, 3)
	f.Add("(allow bad-op)\n\"", 0, 9)
	f.Fuzz(func(t *testing.T, text string, line, char int) {
		var out bytes.Buffer
		s := NewServer(Options{Analyzer: &fakeAnalyzer{}, Vocab: fakeVocab{}, Formatter: squeeze, Debounce: time.Hour})
		s.w = NewWriter(&out)
		s.ctx, s.cancel = contextBackground()
		defer s.stop()
		s.handle([]byte(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{}}`))
		open, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": map[string]any{
			"textDocument": map[string]any{"uri": "file:///f.sb", "version": 1, "text": text}}})
		s.handle(open)
		pos := Position{Line: line, Character: char}
		doc := map[string]any{"uri": "file:///f.sb"}
		for i, req := range []map[string]any{
			{"method": "textDocument/hover", "params": map[string]any{"textDocument": doc, "position": pos}},
			{"method": "textDocument/completion", "params": map[string]any{"textDocument": doc, "position": pos}},
			{"method": "textDocument/codeAction", "params": map[string]any{"textDocument": doc, "range": Range{Start: pos, End: Position{line + 1, 0}}, "context": map[string]any{}}},
			{"method": "textDocument/formatting", "params": map[string]any{"textDocument": doc}},
		} {
			req["jsonrpc"], req["id"] = "2.0", i+1
			body, _ := json.Marshal(req)
			s.handle(body)
		}
		if bytes.Contains(out.Bytes(), []byte("internal error")) {
			t.Fatalf("a handler panicked: %s", out.String())
		}
	})
}
