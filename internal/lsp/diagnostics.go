package lsp

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/internal/fsutil"
	"github.com/sbplc/sbplc/source"
)

// Request is one document to analyse.
type Request struct {
	URI  string
	Path string       // local file path; "" when the URI is not a file: URI
	Root string       // the workspace folder containing Path, or the first folder
	Src  *source.File // the document text
	// ReadFile reads imported files, preferring the text of open documents
	// over the disk; analyzers pass it to eval.Options.ReadFile. Nil means
	// os.ReadFile.
	ReadFile func(path string) ([]byte, error)
}

// Analysis is the outcome of analysing one document.
type Analysis struct {
	Tree  *ast.File // syntax tree of Src (partial when the text has syntax errors)
	Diags diag.List // every finding; spans in other files are reported at the top
	// SyntaxOK reports that Src parsed without errors, so Tree is kept as the
	// last good tree.
	SyntaxOK bool
}

// Analyzer produces diagnostics for a document. Implementations must be safe
// for concurrent use and should return promptly once ctx is cancelled (the
// result is then discarded).
type Analyzer interface {
	Analyze(ctx context.Context, req Request) Analysis
	// Ignorable reports whether findings with code can be suppressed by an
	// ignore comment (lint rules can; syntax errors cannot).
	Ignorable(code string) bool
}

// schedule (re)starts the debounce timer of d; s.mu must be held.
//
// At most one analysis per document runs at a time: a change cancels the
// running one (analyzers stop at their next stage boundary) and, when the
// debounce expires while it is still running, the latest text is analysed
// as soon as it returns. So a burst of changes costs at most one wasted
// analysis, and the latency after the last change is the debounce plus one
// analysis when the server is idle.
func (s *Server) schedule(d *document) {
	d.invalidate()
	if s.stopped || s.state == stateShutdown {
		return
	}
	gen := d.gen
	d.timer = time.AfterFunc(s.debounce, func() { s.analyze(d, gen) })
}

// analyze runs the analyzer for generation gen of d and publishes the result
// unless a newer change arrived meanwhile.
func (s *Server) analyze(d *document, gen uint64) {
	s.mu.Lock()
	if d.gen != gen || d.closed || s.stopped {
		s.mu.Unlock()
		return
	}
	if d.running {
		d.queued = true // run when the current analysis returns
		s.mu.Unlock()
		return
	}
	d.running = true
	ctx, cancel := context.WithCancel(s.ctx)
	d.cancel = cancel
	imports := map[string]bool{}
	var importsMu sync.Mutex
	req := Request{URI: d.uri, Path: d.path, Root: s.rootFor(d.path), Src: d.src,
		ReadFile: func(path string) ([]byte, error) {
			importsMu.Lock()
			imports[filepath.Clean(path)] = true
			importsMu.Unlock()
			return s.readFile(path)
		}}
	version := d.version
	s.mu.Unlock()

	res := s.safeAnalyze(ctx, req)
	cancel()

	s.mu.Lock()
	defer s.mu.Unlock()
	d.running = false
	if d.gen == gen {
		importsMu.Lock()
		d.imports = imports
		importsMu.Unlock()
	}
	if d.queued {
		d.queued = false
		if d.gen != gen && !d.closed && !s.stopped {
			g := d.gen
			go s.analyze(d, g)
		}
	}
	if d.gen != gen || d.closed || s.stopped {
		return // stale: a newer version is on its way
	}
	d.cancel = nil
	if res.Tree != nil && res.Tree.Src == req.Src && req.Src == d.src {
		d.tree = res.Tree // hover and completion reuse the analysed tree
		if res.SyntaxOK {
			d.good = res.Tree
		}
	}
	d.diags, d.diagSrc = res.Diags, req.Src
	for _, w := range d.waiters {
		close(w)
	}
	d.waiters = nil
	v := version
	s.notify("textDocument/publishDiagnostics", PublishDiagnosticsParams{
		URI: d.uri, Version: &v, Diagnostics: s.toLSPDiags(d.uri, req.Src, res.Diags),
	})
}

// readFile returns the text of the open document at path, or reads the file
// (a regular file of up to MaxDocumentSize bytes).
func (s *Server) readFile(path string) ([]byte, error) {
	path = filepath.Clean(path)
	s.mu.Lock()
	for _, d := range s.docs {
		if d.path != "" && filepath.Clean(d.path) == path {
			text := d.src.Text
			s.mu.Unlock()
			return text, nil
		}
	}
	s.mu.Unlock()
	// Regular files only: (import "/dev/stdin") must not read the
	// server's own protocol stream, nor a FIFO block the analysis.
	return fsutil.ReadRegular(path, MaxDocumentSize)
}

// scheduleDependents re-analyses the open documents whose last analysis read
// path (they import it); s.mu must be held.
func (s *Server) scheduleDependents(path string) {
	if path == "" {
		return
	}
	path = filepath.Clean(path)
	for _, o := range s.docs {
		if o.imports[path] && filepath.Clean(o.path) != path {
			s.schedule(o)
		}
	}
}

// safeAnalyze turns an analyzer panic into a diagnostic.
func (s *Server) safeAnalyze(ctx context.Context, req Request) (res Analysis) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(s.log, "sbplc lsp: panic analysing %s: %v\n%s\n", req.URI, r, debug.Stack())
			res = Analysis{Diags: diag.List{{Severity: diag.Error, Code: "internal-error",
				Span:    source.Span{File: req.Src},
				Message: fmt.Sprintf("internal error while analysing: %v (please report this)", r)}}}
		}
	}()
	return s.opts.Analyzer.Analyze(ctx, req)
}

// rootFor returns the workspace root containing path; s.mu must be held.
func (s *Server) rootFor(path string) string {
	best := ""
	for _, r := range s.roots {
		if path != "" && isWithin(path, r) && len(r) > len(best) {
			best = r
		}
	}
	if best == "" && len(s.roots) > 0 {
		best = s.roots[0]
	}
	return best
}

// toLSPDiags converts diagnostics computed on src.
func (s *Server) toLSPDiags(uri string, src *source.File, ds diag.List) []Diagnostic {
	out := make([]Diagnostic, 0, len(ds))
	for _, d := range ds {
		out = append(out, toLSPDiag(uri, src, d))
	}
	return out
}

var lspSeverity = map[diag.Severity]int{diag.Error: SeverityError, diag.Warning: SeverityWarning, diag.Info: SeverityInformation}

// unnecessaryCodes are the findings whose span has no effect on the policy
// (editors show them faded).
var unnecessaryCodes = map[string]bool{
	"unused-ignore": true, "shadowed-rule": true, "duplicate-rule": true, "redundant-rule": true, "no-op-operation": true,
}

func toLSPDiag(uri string, src *source.File, d diag.Diagnostic) Diagnostic {
	out := Diagnostic{Severity: lspSeverity[d.Severity], Code: d.Code, Source: "sbplc", Message: d.Message}
	if unnecessaryCodes[d.Code] {
		out.Tags = []int{TagUnnecessary}
	}
	if out.Severity == 0 {
		out.Severity = SeverityInformation
	}
	if d.Span.File == src || (d.Span.File != nil && d.Span.File.Name == src.Name && string(d.Span.File.Text) == string(src.Text)) {
		out.Range = toRange(src, d.Span.Start, d.Span.End)
	} else if d.Span.IsValid() {
		// A finding in another file (an import): show it at the top, with
		// the real place as related information.
		out.Message = fmt.Sprintf("%s: %s", d.Span, d.Message)
		out.RelatedInformation = append(out.RelatedInformation, DiagnosticRelatedInformation{
			Location: Location{URI: fileURI(d.Span.File.Name), Range: toRange(d.Span.File, d.Span.Start, d.Span.End)},
			Message:  d.Message,
		})
	}
	for _, n := range d.Notes {
		out.Message += "\nnote: " + n
	}
	for _, r := range d.Related {
		if !r.Span.IsValid() {
			continue
		}
		u := uri
		if r.Span.File != src {
			u = fileURI(r.Span.File.Name)
		}
		out.RelatedInformation = append(out.RelatedInformation, DiagnosticRelatedInformation{
			Location: Location{URI: u, Range: toRange(r.Span.File, r.Span.Start, r.Span.End)},
			Message:  r.Message,
		})
	}
	return out
}

func fileURI(name string) string {
	if uriToPath(name) != "" {
		return name
	}
	return pathToURI(name)
}
