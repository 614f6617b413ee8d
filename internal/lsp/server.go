// Package lsp is sbplc's language server: JSON-RPC 2.0 over stdio with
// Content-Length framing, speaking the subset of LSP 3.17 an SBPL editor
// needs: diagnostics (parse, evaluate, lint), hover, completion, formatting
// and quick fixes.
//
// Positions are byte offsets everywhere inside sbplc; this package converts
// them to and from UTF-16 line/column pairs at the protocol edge only
// (source.File.UTF16Col and OffsetOfUTF16).
//
// The server depends on three small interfaces, Analyzer, Vocabulary and
// Formatter, so that its tests run without the rest of the toolchain;
// Default wires in the production implementations.
package lsp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/sbplc/sbplc/source"
)

// DefaultDebounce is how long the server waits after the last change before
// analysing a document. It is short because analysis is serialised per
// document (see schedule): the debounce only needs to merge the changes a
// client sends in one burst (paste, multi-cursor edits, undo), and the
// budget from the last change to published diagnostics is 50 ms.
const DefaultDebounce = 10 * time.Millisecond

// Options configure a Server.
type Options struct {
	Analyzer  Analyzer   // required
	Vocab     Vocabulary // nil: no hover docs and no completion
	Formatter Formatter  // nil: formatting is not advertised
	// Debounce delays analysis after a change; 0 means DefaultDebounce and
	// a negative value analyses immediately.
	Debounce time.Duration
	Version  string    // reported in serverInfo
	Log      io.Writer // internal errors and recovered panics; nil discards
}

// Server states.
const (
	stateNew = iota
	stateInitialized
	stateShutdown
)

// Server is one language-server session.
type Server struct {
	opts     Options
	debounce time.Duration
	w        *Writer
	log      io.Writer

	mu      sync.Mutex
	state   int
	stopped bool
	roots   []string
	docs    map[string]*document
	ctx     context.Context
	cancel  context.CancelFunc
}

// NewServer returns a server with opts.
func NewServer(opts Options) *Server {
	d := opts.Debounce
	if d == 0 {
		d = DefaultDebounce
	} else if d < 0 {
		d = 0
	}
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	return &Server{opts: opts, debounce: d, log: log, docs: map[string]*document{}}
}

// Serve runs the session until exit, the end of input or the cancellation
// of ctx, and returns the process exit code: 0 when the client sent shutdown
// before exit (or before closing the stream), 1 otherwise, as the protocol
// specifies.
func (s *Server) Serve(ctx context.Context, in io.Reader, out io.Writer) int {
	s.w = NewWriter(out)
	s.ctx, s.cancel = context.WithCancel(ctx)
	defer s.stop()
	type frame struct {
		body []byte
		err  error
	}
	frames := make(chan frame)
	go func() {
		r := NewReader(in)
		for {
			body, err := r.Read()
			select {
			case frames <- frame{body, err}:
			case <-s.ctx.Done():
				return
			}
			var fe *FrameError
			if err != nil && !errors.As(err, &fe) {
				return
			}
		}
	}()
	for {
		var f frame
		select {
		case <-s.ctx.Done():
			return 1
		case f = <-frames:
		}
		if f.err != nil {
			var fe *FrameError
			if errors.As(f.err, &fe) {
				s.replyError(nullID, errorf(CodeParseError, "%s", fe.Msg))
				continue
			}
			if !errors.Is(f.err, io.EOF) {
				fmt.Fprintf(s.log, "sbplc lsp: reading input: %v\n", f.err)
			}
			return s.exitCode()
		}
		if done := s.handle(f.body); done {
			return s.exitCode()
		}
	}
}

func (s *Server) exitCode() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == stateShutdown {
		return 0
	}
	return 1
}

// stop cancels analyses and timers; nothing is published afterwards.
func (s *Server) stop() {
	s.mu.Lock()
	s.stopped = true
	for _, d := range s.docs {
		d.invalidate()
	}
	s.mu.Unlock()
	s.cancel()
}

// handle processes one message body; it reports whether the session ended.
func (s *Server) handle(body []byte) (exit bool) {
	m, id, rerr := decodeMessage(body)
	if rerr != nil {
		s.replyError(id, rerr)
		return false
	}
	if m.Method == nil {
		return false // a response to a server request; the server sends none that need one
	}
	method := *m.Method
	if method == "exit" {
		return true
	}
	result, rerr := s.dispatch(method, m)
	if !m.isRequest() {
		if rerr != nil && rerr.Code != CodeMethodNotFound {
			fmt.Fprintf(s.log, "sbplc lsp: %s: %s\n", method, rerr.Message)
		}
		return false
	}
	if rerr != nil {
		s.replyError(m.ID, rerr)
		return false
	}
	s.reply(m.ID, result)
	return false
}

// dispatch runs the handler for method, turning panics into internal errors.
func (s *Server) dispatch(method string, m *message) (result any, rerr *ResponseError) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(s.log, "sbplc lsp: panic in %s: %v\n%s\n", method, r, debug.Stack())
			result, rerr = nil, errorf(CodeInternalError, "internal error in %s: %v (please report this)", method, r)
		}
	}()
	s.mu.Lock()
	state := s.state
	s.mu.Unlock()
	switch {
	case method == "initialize":
		if state != stateNew {
			return nil, errorf(CodeInvalidRequest, "initialize was already received")
		}
		return s.initialize(m.Params)
	case state == stateNew:
		if m.isRequest() {
			return nil, errorf(CodeServerNotInitialized, "%s before initialize: the server is not initialized", method)
		}
		return nil, nil // notifications before initialize are dropped
	case state == stateShutdown && method != "shutdown":
		return nil, errorf(CodeInvalidRequest, "%s after shutdown: only exit is accepted", method)
	}
	h, ok := handlers[method]
	if !ok {
		if strings.HasPrefix(method, "$/") && !m.isRequest() {
			return nil, nil // optional notifications such as $/cancelRequest
		}
		return nil, errorf(CodeMethodNotFound, "method %q is not supported", method)
	}
	return h(s, m.Params)
}

type handler func(s *Server, params json.RawMessage) (any, *ResponseError)

var handlers map[string]handler

func init() {
	handlers = map[string]handler{
		"initialized":             func(*Server, json.RawMessage) (any, *ResponseError) { return nil, nil },
		"shutdown":                (*Server).shutdown,
		"textDocument/didOpen":    locked((*Server).didOpen),
		"textDocument/didChange":  locked((*Server).didChange),
		"textDocument/didSave":    locked((*Server).didSave),
		"textDocument/didClose":   locked((*Server).didClose),
		"textDocument/hover":      locked((*Server).hover),
		"textDocument/completion": locked((*Server).completion),
		"textDocument/formatting": (*Server).formatting,
		"textDocument/codeAction": locked((*Server).codeAction),
		"workspace/didChangeConfiguration": func(s *Server, _ json.RawMessage) (any, *ResponseError) {
			s.reanalyzeAll()
			return nil, nil
		},
		"workspace/didChangeWatchedFiles": func(s *Server, _ json.RawMessage) (any, *ResponseError) {
			s.reanalyzeAll()
			return nil, nil
		},
	}
}

// locked is the handler that decodes its params into a P and runs f with
// s.mu held (the document handlers).
func locked[P any](f func(s *Server, p *P) (any, *ResponseError)) handler {
	return func(s *Server, params json.RawMessage) (any, *ResponseError) {
		var p P
		if e := decode(params, &p); e != nil {
			return nil, e
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		return f(s, &p)
	}
}

// decode unmarshals params into v, reporting -32602 on failure.
func decode(params json.RawMessage, v any) *ResponseError {
	if len(params) == 0 || string(params) == "null" {
		return errorf(CodeInvalidParams, "missing params")
	}
	if err := json.Unmarshal(params, v); err != nil {
		return errorf(CodeInvalidParams, "invalid params: %v", err)
	}
	return nil
}

func (s *Server) initialize(params json.RawMessage) (any, *ResponseError) {
	var p InitializeParams
	if len(params) > 0 && string(params) != "null" {
		if err := json.Unmarshal(params, &p); err != nil {
			return nil, errorf(CodeInvalidParams, "invalid initialize params: %v", err)
		}
	}
	var roots []string
	for _, f := range p.WorkspaceFolders {
		if path := uriToPath(f.URI); path != "" {
			roots = append(roots, path)
		}
	}
	if len(roots) == 0 && p.RootURI != nil {
		if path := uriToPath(*p.RootURI); path != "" {
			roots = append(roots, path)
		}
	}
	s.mu.Lock()
	s.state = stateInitialized
	s.roots = roots
	s.mu.Unlock()
	caps := ServerCapabilities{
		PositionEncoding: "utf-16",
		TextDocumentSync: TextDocumentSync{OpenClose: true, Change: 1, Save: SaveOptions{IncludeText: false}},
		CodeActionProvider: &CodeActionOption{
			CodeActionKinds: []string{"quickfix"},
		},
	}
	if s.opts.Vocab != nil {
		caps.HoverProvider = true
		caps.CompletionProvider = &CompletionOption{TriggerCharacters: []string{"(", " "}}
	}
	caps.DocumentFormattingProvider = s.opts.Formatter != nil
	return InitializeResult{Capabilities: caps, ServerInfo: ServerInfo{Name: "sbplc", Version: s.opts.Version}}, nil
}

func (s *Server) shutdown(json.RawMessage) (any, *ResponseError) {
	s.mu.Lock()
	s.state = stateShutdown
	for _, d := range s.docs {
		d.invalidate()
	}
	s.mu.Unlock()
	return nil, nil
}

func (s *Server) reply(id json.RawMessage, result any) {
	raw, err := json.Marshal(result)
	if err != nil {
		s.replyError(id, errorf(CodeInternalError, "encoding result: %v", err))
		return
	}
	s.write(response{JSONRPC: "2.0", ID: id, Result: raw})
}

func (s *Server) replyError(id json.RawMessage, e *ResponseError) {
	s.write(errorResponse{JSONRPC: "2.0", ID: id, Error: e})
}

func (s *Server) notify(method string, params any) {
	s.write(outgoing{JSONRPC: "2.0", Method: method, Params: params})
}

func (s *Server) write(v any) {
	if err := s.w.WriteJSON(v); err != nil {
		fmt.Fprintf(s.log, "sbplc lsp: writing output: %v\n", err)
	}
}

// uriToPath converts a file:// URI to a local path; other schemes give "".
func uriToPath(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "file" {
		return ""
	}
	p := u.Path
	if runtime.GOOS == "windows" && len(p) >= 3 && p[0] == '/' && p[2] == ':' {
		p = p[1:]
	}
	return filepath.FromSlash(p)
}

// pathToURI converts a local path to a file:// URI.
func pathToURI(path string) string {
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return (&url.URL{Scheme: "file", Path: p}).String()
}

// toRange converts a byte span of f to an LSP range.
func toRange(f *source.File, start, end int) Range {
	l1, c1 := f.UTF16Col(start)
	l2, c2 := f.UTF16Col(end)
	return Range{Start: Position{Line: l1, Character: c1}, End: Position{Line: l2, Character: c2}}
}

// toOffset converts an LSP position to a byte offset of f.
func toOffset(f *source.File, p Position) int { return f.OffsetOfUTF16(p.Line, p.Character) }

// isWithin reports whether path lies inside dir.
func isWithin(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
