package lsp

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/internal/driver"
	"github.com/sbplc/sbplc/lint"
	"github.com/sbplc/sbplc/parser"
	"github.com/sbplc/sbplc/ruletable"
)

// LintAnalyzer is the production Analyzer: the CLI's workflow (package
// driver) with the configuration from the nearest .sbplc.yaml above the
// document, or above the workspace root for documents that are not files.
type LintAnalyzer struct {
	d *driver.Driver
}

// NewLintAnalyzer returns the production analyzer.
func NewLintAnalyzer() *LintAnalyzer {
	d, err := driver.New(driver.Options{})
	if err != nil {
		panic(err) // empty options always validate
	}
	return &LintAnalyzer{d: d}
}

// Ignorable reports whether an ignore comment can suppress code: the one
// policy of the CLI and the editor (ruletable.Suppressible): lint rules and
// evaluation diagnostics can, syntax errors, evaluation limits and
// internal errors cannot.
func (a *LintAnalyzer) Ignorable(code string) bool { return ruletable.Suppressible(code) }

// RuleDoc documents lint rule id for hover on ignore directives.
func (a *LintAnalyzer) RuleDoc(id string) (Entry, bool) {
	r, ok := lint.Lookup(id)
	if !ok {
		return Entry{}, false
	}
	detail := fmt.Sprintf("lint rule · %s · %s by default", r.Category, r.Severity)
	if r.Off {
		detail = fmt.Sprintf("lint rule · %s · off by default", r.Category)
	}
	doc := r.Summary
	if d := lint.DocSection(r.Doc(), "Rationale"); d != "" {
		doc = r.Summary + "\n\n" + strings.TrimSpace(d)
	}
	return Entry{Name: r.ID, Kind: KindRule, Detail: detail, Doc: doc}, true
}

// Analyze implements Analyzer.
func (a *LintAnalyzer) Analyze(ctx context.Context, req Request) Analysis {
	src := req.Src
	if len(src.Text) > MaxDocumentSize || ctx.Err() != nil {
		tree, pd := parser.Parse(src)
		return Analysis{Tree: tree, SyntaxOK: !pd.HasErrors(), Diags: pd.Sort()}
	}
	dir := req.Root
	if req.Path != "" {
		dir = filepath.Dir(req.Path)
	}
	res, err := a.d.CheckWith(ctx, src, driver.CheckOptions{ConfigDir: dir, ReadFile: req.ReadFile})
	if err != nil {
		tree, pd := parser.Parse(src)
		return Analysis{Tree: tree, SyntaxOK: !pd.HasErrors(), Diags: append(pd, diag.Diagnostic{Severity: diag.Error, Code: driver.ConfigCode,
			Message: fmt.Sprintf("configuration: %v", err)}).Sort()}
	}
	if res.Ignored {
		// Files the configuration ignores get syntax errors only.
		tree, pd := parser.Parse(src)
		return Analysis{Tree: tree, SyntaxOK: !pd.HasErrors(), Diags: pd.Sort()}
	}
	tree := res.Eval.File
	return Analysis{Tree: tree, SyntaxOK: tree != nil && tree.Clean, Diags: res.Diags}
}
