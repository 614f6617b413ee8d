package lsp

import (
	"encoding/json"
	"unicode/utf8"

	"github.com/sbplc/sbplc/source"
)

// Formatter formats a whole document.
type Formatter interface {
	// Format returns the formatted text of src, or an error (for example when
	// src has syntax errors) that is shown to the user.
	Format(src *source.File) ([]byte, error)
}

// FormatterFunc adapts a function to Formatter.
type FormatterFunc func(src *source.File) ([]byte, error)

// Format calls f.
func (f FormatterFunc) Format(src *source.File) ([]byte, error) { return f(src) }

func (s *Server) formatting(params json.RawMessage) (any, *ResponseError) {
	var p DocumentFormattingParams
	if e := decode(params, &p); e != nil {
		return nil, e
	}
	if s.opts.Formatter == nil {
		return nil, errorf(CodeMethodNotFound, "formatting is not available in this build")
	}
	s.mu.Lock()
	d, e := s.lookupDoc(p.TextDocument.URI)
	var src *source.File
	if e == nil {
		src = d.src
	}
	s.mu.Unlock()
	if e != nil {
		return nil, e
	}
	out, err := s.opts.Formatter.Format(src)
	if err != nil {
		return nil, errorf(CodeRequestFailed, "cannot format %s: %v", src.Name, err)
	}
	edits := []TextEdit{}
	if ed, ok := minimalEdit(src, out); ok {
		edits = append(edits, ed)
	}
	return edits, nil
}

// minimalEdit returns one edit turning src into out, covering only the
// region between their common prefix and suffix (so the editor keeps the
// cursor and folds elsewhere). ok is false when they are equal.
func minimalEdit(src *source.File, out []byte) (TextEdit, bool) {
	a := src.Text
	p := 0
	for p < len(a) && p < len(out) && a[p] == out[p] {
		p++
	}
	if p == len(a) && p == len(out) {
		return TextEdit{}, false
	}
	for p > 0 && p < len(a) && !utf8.RuneStart(a[p]) {
		p--
	}
	sfx := 0
	for sfx < len(a)-p && sfx < len(out)-p && a[len(a)-1-sfx] == out[len(out)-1-sfx] {
		sfx++
	}
	for sfx > 0 && !utf8.RuneStart(a[len(a)-sfx]) {
		sfx--
	}
	return TextEdit{Range: toRange(src, p, len(a)-sfx), NewText: string(out[p : len(out)-sfx])}, true
}
