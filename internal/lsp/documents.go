package lsp

import (
	"context"
	"time"

	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/parser"
	"github.com/sbplc/sbplc/source"
)

// MaxDocumentSize is the largest document the server analyses; larger texts
// get one diagnostic instead (the parser's own limit).
const MaxDocumentSize = parser.MaxInputSize

// MaxDocuments bounds the number of open documents.
const MaxDocuments = 10000

// document is one open text document. All fields are guarded by Server.mu.
type document struct {
	uri, path string
	version   int32
	src       *source.File

	tree     *ast.File // parse of src, built on demand
	treeDiag diag.List
	good     *ast.File // last tree without syntax errors; its Src is that text

	diags   diag.List       // last published diagnostics ...
	diagSrc *source.File    // ... and the text they were computed from
	waiters []chan struct{} // closed when diagnostics are published (awaitAnalysis)

	imports map[string]bool // files the last analysis read (imports), cleaned paths

	gen     uint64 // bumped by every change; analyses of an older gen are stale
	running bool   // an analysis is in flight
	queued  bool   // a newer generation waits for it to finish
	timer   *time.Timer
	cancel  context.CancelFunc
	closed  bool
}

// invalidate stops the pending timer and any analysis in flight.
func (d *document) invalidate() {
	d.gen++
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	if d.cancel != nil {
		d.cancel()
		d.cancel = nil
	}
}

// parsed returns the tree of the current text, parsing it on first use.
func (d *document) parsed() *ast.File {
	if d.tree == nil || d.tree.Src != d.src {
		d.tree, d.treeDiag = parser.Parse(d.src)
		if !hasSyntaxErrors(d.treeDiag) {
			d.good = d.tree
		}
	}
	return d.tree
}

func hasSyntaxErrors(ds diag.List) bool {
	for _, d := range ds {
		if d.Severity >= diag.Error {
			return true
		}
	}
	return false
}

func (s *Server) setText(d *document, version int32, text string) {
	d.version = version
	d.src = source.NewFile(d.name(), []byte(text))
	d.tree = nil
	s.schedule(d)
	s.scheduleDependents(d.path)
}

// name is the file name diagnostics are reported under.
func (d *document) name() string {
	if d.path != "" {
		return d.path
	}
	return d.uri
}

func (s *Server) didOpen(p *DidOpenTextDocumentParams) (any, *ResponseError) {
	if p.TextDocument.URI == "" {
		return nil, errorf(CodeInvalidParams, "didOpen: textDocument.uri is empty")
	}
	d := s.docs[p.TextDocument.URI]
	if d == nil {
		if len(s.docs) >= MaxDocuments {
			return nil, errorf(CodeRequestFailed, "more than %d open documents", MaxDocuments)
		}
		d = &document{uri: p.TextDocument.URI, path: uriToPath(p.TextDocument.URI)}
		s.docs[d.uri] = d
	}
	s.setText(d, p.TextDocument.Version, p.TextDocument.Text)
	return nil, nil
}

func (s *Server) didChange(p *DidChangeTextDocumentParams) (any, *ResponseError) {
	d := s.docs[p.TextDocument.URI]
	if d == nil {
		return nil, errorf(CodeInvalidParams, "didChange: document %s is not open", p.TextDocument.URI)
	}
	if len(p.ContentChanges) == 0 {
		return nil, nil
	}
	if p.TextDocument.Version < d.version {
		return nil, nil // an out-of-order change: the newer text is already here
	}
	// Full sync: the last change holds the whole text.
	last := p.ContentChanges[len(p.ContentChanges)-1]
	if last.Range != nil {
		return nil, errorf(CodeInvalidParams, "didChange: incremental changes are not supported (the server asked for full sync)")
	}
	s.setText(d, p.TextDocument.Version, last.Text)
	return nil, nil
}

func (s *Server) didSave(p *DidSaveTextDocumentParams) (any, *ResponseError) {
	if d := s.docs[p.TextDocument.URI]; d != nil {
		// The configuration or imported files may have changed with the save.
		s.schedule(d)
	}
	return nil, nil
}

func (s *Server) didClose(p *DidCloseTextDocumentParams) (any, *ResponseError) {
	d := s.docs[p.TextDocument.URI]
	if d == nil {
		return nil, nil
	}
	d.invalidate()
	d.closed = true
	delete(s.docs, d.uri)
	s.scheduleDependents(d.path) // they now read the file on disk
	s.notify("textDocument/publishDiagnostics", PublishDiagnosticsParams{URI: d.uri, Diagnostics: []Diagnostic{}})
	return nil, nil
}

// reanalyzeAll schedules every open document (configuration changed).
func (s *Server) reanalyzeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.docs {
		s.schedule(d)
	}
}

// lookupDoc returns the open document for uri, with s.mu held by the caller.
func (s *Server) lookupDoc(uri string) (*document, *ResponseError) {
	d := s.docs[uri]
	if d == nil {
		return nil, errorf(CodeInvalidParams, "document %s is not open", uri)
	}
	return d, nil
}

// lookupPosition returns the open document of p and the byte offset of its
// position, with s.mu held by the caller.
func (s *Server) lookupPosition(p *TextDocumentPositionParams) (*document, int, *ResponseError) {
	d, e := s.lookupDoc(p.TextDocument.URI)
	if e != nil {
		return nil, 0, e
	}
	return d, toOffset(d.src, p.Position), nil
}

// mapOffset maps offset off of text cur to the corresponding offset of text
// old, when the byte at off lies outside the region where they differ.
func mapOffset(cur, old []byte, off int) (int, bool) {
	p := 0
	for p < len(cur) && p < len(old) && cur[p] == old[p] {
		p++
	}
	s := 0
	for s < len(cur)-p && s < len(old)-p && cur[len(cur)-1-s] == old[len(old)-1-s] {
		s++
	}
	switch {
	case off < p:
		return off, true
	case off >= len(cur)-s:
		return off - len(cur) + len(old), true
	}
	return 0, false
}
