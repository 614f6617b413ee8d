package lsp

import (
	"fmt"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/format"
	"github.com/sbplc/sbplc/source"
)

// Production returns the options sbplc lsp runs with: the lint analyzer, the
// embedded vocabulary and the canonical formatter.
func Production(version string) Options {
	return Options{
		Analyzer:  NewLintAnalyzer(),
		Vocab:     EmbeddedVocabulary(),
		Formatter: CanonicalFormatter(),
		Version:   version,
	}
}

// CanonicalFormatter formats with package format (the layout of sbplc fmt).
// Text with syntax errors is not formatted; the first error is returned.
func CanonicalFormatter() Formatter {
	return FormatterFunc(func(src *source.File) ([]byte, error) {
		out, ds := format.Source(src.Text, src.Name, format.Options{})
		if out == nil {
			for _, d := range ds.Sort() {
				if d.Severity >= diag.Error {
					p := d.Span.StartPos()
					return nil, fmt.Errorf("%d:%d: %s (fix the syntax error first)", p.Line, p.Col, d.Message)
				}
			}
			return nil, fmt.Errorf("the formatter produced no output")
		}
		return out, nil
	})
}
