package lsp

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/parser"
	"github.com/sbplc/sbplc/source"
)

// wire is a decoded server message.
type wire struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  *ResponseError  `json:"error"`
}

// client drives a Server in-process over io.Pipe with real framing.
type client struct {
	t         testing.TB
	w         *Writer
	in        *io.PipeWriter
	responses chan wire
	notes     chan wire
	exit      chan int
	next      int
}

func startServer(t testing.TB, opts Options) *client {
	t.Helper()
	if opts.Analyzer == nil {
		opts.Analyzer = &fakeAnalyzer{}
	}
	if opts.Debounce == 0 {
		opts.Debounce = 5 * time.Millisecond
	}
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	c := &client{t: t, w: NewWriter(inW), in: inW, responses: make(chan wire, 100),
		notes: make(chan wire, 1000), exit: make(chan int, 1)}
	s := NewServer(opts)
	go func() {
		code := s.Serve(context.Background(), inR, outW)
		outW.Close()
		c.exit <- code
	}()
	go func() {
		r := NewReader(outR)
		for {
			body, err := r.Read()
			if err != nil {
				close(c.responses)
				return
			}
			var m wire
			if err := json.Unmarshal(body, &m); err != nil {
				panic(fmt.Sprintf("server wrote invalid JSON %q: %v", body, err))
			}
			if m.Method != "" {
				c.notes <- m
			} else {
				c.responses <- m
			}
		}
	}()
	t.Cleanup(func() {
		inW.Close()
		io.Copy(io.Discard, outR)
	})
	return c
}

// initialized returns a client past the initialize handshake.
func initialized(t testing.TB, opts Options) *client {
	c := startServer(t, opts)
	if _, err := c.call("initialize", map[string]any{"processId": nil, "rootUri": "file:///ws", "capabilities": map[string]any{}}); err != nil {
		t.Fatalf("initialize: %v", err)
	}
	c.notify("initialized", map[string]any{})
	return c
}

func (c *client) send(v any) {
	c.t.Helper()
	if err := c.w.WriteJSON(v); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *client) notify(method string, params any) {
	c.send(map[string]any{"jsonrpc": "2.0", "method": method, "params": params})
}

// call sends a request and waits for its response.
func (c *client) call(method string, params any) (json.RawMessage, *ResponseError) {
	c.t.Helper()
	c.next++
	id := c.next
	c.send(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
	m := c.response()
	if string(m.ID) != fmt.Sprint(id) {
		c.t.Fatalf("%s: response id %s, want %d", method, m.ID, id)
	}
	if m.Error != nil {
		return nil, m.Error
	}
	return m.Result, nil
}

func (c *client) response() wire {
	c.t.Helper()
	select {
	case m, ok := <-c.responses:
		if !ok {
			c.t.Fatalf("server closed its output")
		}
		return m
	case <-time.After(5 * time.Second):
		c.t.Fatalf("no response within 5s")
	}
	return wire{}
}

// callInto calls and decodes the result into v.
func (c *client) callInto(method string, params, v any) {
	c.t.Helper()
	res, err := c.call(method, params)
	if err != nil {
		c.t.Fatalf("%s: %v", method, err)
	}
	if err := json.Unmarshal(res, v); err != nil {
		c.t.Fatalf("%s: decoding %s: %v", method, res, err)
	}
}

// diagnostics waits for the next publishDiagnostics notification.
func (c *client) diagnostics() PublishDiagnosticsParams {
	c.t.Helper()
	for {
		select {
		case m := <-c.notes:
			if m.Method != "textDocument/publishDiagnostics" {
				continue
			}
			var p PublishDiagnosticsParams
			if err := json.Unmarshal(m.Params, &p); err != nil {
				c.t.Fatalf("bad publishDiagnostics: %v", err)
			}
			return p
		case <-time.After(5 * time.Second):
			c.t.Fatalf("no diagnostics within 5s")
		}
	}
}

// published waits for the next publishDiagnostics notification and checks
// that it is of version with n findings.
func (c *client) published(version int32, n int) PublishDiagnosticsParams {
	c.t.Helper()
	p := c.diagnostics()
	if p.Version == nil || *p.Version != version || len(p.Diagnostics) != n {
		c.t.Fatalf("published %+v, want version %d with %d findings", p, version, n)
	}
	return p
}

// noDiagnostics asserts that nothing is published within d.
func (c *client) noDiagnostics(d time.Duration) {
	c.t.Helper()
	select {
	case m := <-c.notes:
		c.t.Fatalf("unexpected notification %s %s", m.Method, m.Params)
	case <-time.After(d):
	}
}

func (c *client) open(uri, text string) {
	c.notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{
		"uri": uri, "languageId": "sbpl", "version": 1, "text": text}})
}

func (c *client) change(uri string, version int, text string) {
	c.notify("textDocument/didChange", map[string]any{
		"textDocument":   map[string]any{"uri": uri, "version": version},
		"contentChanges": []map[string]any{{"text": text}}})
}

// hoverAt opens uri with marked, a text whose | is the cursor, and asks
// for the hover there.
func (c *client) hoverAt(uri, marked string) (*Hover, Position) {
	c.t.Helper()
	text, pos := cursor(c.t, marked)
	c.open(uri, text)
	var h *Hover
	c.callInto("textDocument/hover", docParams(uri, pos), &h)
	return h, pos
}

// completeAt opens uri with marked, a text whose | is the cursor, and asks
// for the completions there; it returns them and the text without the |.
func (c *client) completeAt(uri, marked string) (CompletionList, string) {
	c.t.Helper()
	text, pos := cursor(c.t, marked)
	c.open(uri, text)
	var list CompletionList
	c.callInto("textDocument/completion", docParams(uri, pos), &list)
	return list, text
}

func (c *client) shutdownExit() int {
	c.t.Helper()
	if _, err := c.call("shutdown", nil); err != nil {
		c.t.Fatalf("shutdown: %v", err)
	}
	c.notify("exit", nil)
	return c.exitCode()
}

// exitCode waits for the server to end its session and returns its exit
// code.
func (c *client) exitCode() int {
	c.t.Helper()
	select {
	case code := <-c.exit:
		return code
	case <-time.After(5 * time.Second):
		c.t.Fatalf("server did not exit")
	}
	return -1
}

// fakeAnalyzer parses the text and reports every symbol named bad-op as a
// fake-rule finding with a fix that renames it to good-op.
type fakeAnalyzer struct {
	mu    sync.Mutex
	calls []string // texts analysed, in order
	// hook, when set, runs before the analysis of each text.
	hook func(ctx context.Context, text string)
}

func (a *fakeAnalyzer) Ignorable(code string) bool { return code == "fake-rule" }

func (a *fakeAnalyzer) Analyze(ctx context.Context, req Request) Analysis {
	text := string(req.Src.Text)
	a.mu.Lock()
	a.calls = append(a.calls, text)
	hook := a.hook
	a.mu.Unlock()
	if hook != nil {
		hook(ctx, text)
	}
	if strings.Contains(text, "PANIC") {
		panic("analyzer exploded")
	}
	tree, ds := parser.Parse(req.Src)
	for _, f := range tree.Forms {
		ast.Walk(f, func(n ast.Node) bool {
			if s, ok := n.(*ast.Symbol); ok && s.Name == "bad-op" {
				ds.Add(diag.Diagnostic{Severity: diag.Warning, Code: "fake-rule", Span: s.Sp,
					Message: "bad-op is bad: write good-op",
					Fixes:   []diag.Fix{{Title: "replace with good-op", Edits: []diag.Edit{{Span: s.Sp, NewText: "good-op"}}}}})
			}
			return true
		})
	}
	return Analysis{Tree: tree, Diags: ds.Sort(), SyntaxOK: !ds.HasErrors()}
}

func (a *fakeAnalyzer) texts() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.calls...)
}

// fakeVocab is a small vocabulary for tests.
type fakeVocab struct {
	panicOn string
}

var fakeEntries = []Entry{
	{Name: "file-read*", Kind: KindOperation, Detail: "operation · falls back to `default`", Doc: "read files"},
	{Name: "file-read-data", Kind: KindOperation, Detail: "operation · falls back to `file-read*`", Doc: "read file contents"},
	{Name: "file-write*", Kind: KindOperation, Doc: "write files"},
	{Name: "network-outbound", Kind: KindOperation, Doc: "connect and send"},
	{Name: "literal", Kind: KindFilter, Doc: "matches one exact path"},
	{Name: "subpath", Kind: KindFilter, Doc: "matches a directory and everything below it"},
	{Name: "regex", Kind: KindFilter, Doc: "matches a POSIX regular expression"},
	{Name: "require-all", Kind: KindFilter, Doc: "all filters match"},
	{Name: "require-not", Kind: KindFilter, Doc: "the filter does not match"},
	{Name: "report", Kind: KindModifier, Doc: "log the decision"},
	{Name: "send-signal", Kind: KindModifier, Doc: "signal the process"},
	{Name: "version", Kind: KindKeyword, Doc: "selects the language version"},
	{Name: "allow", Kind: KindKeyword, Doc: "adds an allow rule"},
	{Name: "deny", Kind: KindKeyword, Doc: "adds a deny rule"},
	{Name: "with", Kind: KindKeyword, Doc: "attaches a modifier"},
	{Name: "define", Kind: KindKeyword, Doc: "binds a name"},
}

func (v fakeVocab) Lookup(k Kind, name string) (Entry, bool) {
	if name == v.panicOn {
		panic("vocabulary exploded")
	}
	for _, e := range fakeEntries {
		if e.Kind == k && e.Name == name {
			return e, true
		}
	}
	return Entry{}, false
}

func (v fakeVocab) Names(k Kind) []Entry {
	var out []Entry
	for _, e := range fakeEntries {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (v fakeVocab) Values(filter string) []Entry {
	if filter == "vnode-type" {
		return []Entry{{Name: "DIRECTORY", Kind: kindValue}, {Name: "REGULAR-FILE", Kind: kindValue}}
	}
	return nil
}

// cursor splits text at the marker "|" and returns the text without it and
// the LSP position of the marker.
func cursor(t testing.TB, marked string) (string, Position) {
	t.Helper()
	i := strings.Index(marked, "|")
	if i < 0 {
		t.Fatalf("no | cursor in %q", marked)
	}
	text := marked[:i] + marked[i+1:]
	f := source.NewFile("t", []byte(text))
	l, c := f.UTF16Col(i)
	return text, Position{Line: l, Character: c}
}

// applyEdits applies LSP edits (UTF-16 ranges) to text.
func applyEdits(t testing.TB, text string, edits []TextEdit) string {
	t.Helper()
	f := source.NewFile("t", []byte(text))
	type span struct {
		a, b int
		s    string
	}
	var spans []span
	for _, e := range edits {
		spans = append(spans, span{toOffset(f, e.Range.Start), toOffset(f, e.Range.End), e.NewText})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].a > spans[j].a })
	out := text
	for _, s := range spans {
		if s.a > s.b {
			t.Fatalf("inverted edit range %+v", s)
		}
		out = out[:s.a] + s.s + out[s.b:]
	}
	return out
}

func docParams(uri string, p Position) map[string]any {
	return map[string]any{"textDocument": map[string]any{"uri": uri}, "position": p}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func contextBackground() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}
