package lsp

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sbplc/sbplc/config"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/eval"
	"github.com/sbplc/sbplc/lint"
	"github.com/sbplc/sbplc/parser"
	"github.com/sbplc/sbplc/source"
)

// LintAnalyzer is the production Analyzer: parse, evaluate and lint, with the
// configuration from the nearest .sbplc.yaml above the document (or above
// the workspace root for documents that are not files).
type LintAnalyzer struct {
	// Target overrides the configured OS table when set.
	Target string

	mu    sync.Mutex
	cache map[string]cachedConfig // by config path
}

type cachedConfig struct {
	mod  time.Time
	size int64
	cfg  *config.Config
	err  error
}

// NewLintAnalyzer returns the production analyzer.
func NewLintAnalyzer() *LintAnalyzer { return &LintAnalyzer{cache: map[string]cachedConfig{}} }

// Ignorable reports whether an ignore comment can suppress code: lint rules
// and evaluation diagnostics can, syntax and internal errors cannot.
func (a *LintAnalyzer) Ignorable(code string) bool {
	switch code {
	case "", "syntax-error", "input-too-large", "internal-error", "lint-internal-error", "config-error",
		"unused-ignore", "unknown-rule-in-ignore":
		return false
	}
	return true
}

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
	if d := lint.DocSection(r.Doc(), "What it finds"); d != "" {
		doc = strings.TrimSpace(d)
	}
	return Entry{Name: r.ID, Kind: KindRule, Detail: detail, Doc: doc}, true
}

// Analyze implements Analyzer.
func (a *LintAnalyzer) Analyze(ctx context.Context, req Request) Analysis {
	src := req.Src
	tree, pd := parser.Parse(src)
	out := Analysis{Tree: tree, SyntaxOK: !pd.HasErrors()}
	if len(src.Text) > MaxDocumentSize || ctx.Err() != nil {
		out.Diags = pd.Sort()
		return out
	}
	dir := req.Root
	if req.Path != "" {
		dir = filepath.Dir(req.Path)
	}
	var extra diag.List
	cfg := config.Default()
	if dir != "" {
		c, err := a.config(dir)
		if err != nil {
			extra.Add(diag.Diagnostic{Severity: diag.Error, Code: "config-error", Span: source.Span{File: src, Start: 0, End: 0},
				Message: fmt.Sprintf("configuration: %v (using the defaults)", err)})
		} else {
			cfg = c
		}
	}
	if req.Path != "" && cfg.IgnoresFile(req.Path) {
		out.Diags = pd.Sort()
		return out
	}
	opts := lint.Options{Target: a.Target, Context: ctx}
	for _, err := range lint.Validate(cfg, opts) {
		extra.Add(diag.Diagnostic{Severity: diag.Warning, Code: "config-error", Span: source.Span{File: src},
			Message: fmt.Sprintf("configuration: %v", err)})
	}
	opts.Eval = lint.EvalOptions(cfg, opts)
	if req.ReadFile != nil {
		opts.Eval.ReadFile = req.ReadFile
	}
	for _, p := range cfg.Preludes {
		if !filepath.IsAbs(p) && cfg.Dir != "" {
			p = filepath.Join(cfg.Dir, p)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			extra.Add(diag.Diagnostic{Severity: diag.Error, Code: "config-error", Span: source.Span{File: src},
				Message: fmt.Sprintf("configuration: prelude %s: %v", p, err)})
			continue
		}
		opts.Eval.Preludes = append(opts.Eval.Preludes, source.NewFile(p, data))
	}
	res := eval.EvalFile(tree, opts.Eval)
	res.Diags = append(pd, res.Diags...).Sort()
	if ctx.Err() != nil {
		out.Diags = res.Diags
		return out
	}
	out.Diags = append(lint.Run(res, cfg, opts), extra...).Sort()
	return out
}

// config returns the configuration for files in dir, re-reading the file
// only when it changed.
func (a *LintAnalyzer) config(dir string) (*config.Config, error) {
	p, err := config.Find(dir)
	if err != nil {
		return nil, err
	}
	if p == "" {
		return config.Default(), nil
	}
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if c, ok := a.cache[p]; ok && c.mod.Equal(st.ModTime()) && c.size == st.Size() {
		return c.cfg, c.err
	}
	cfg, err := config.Load(p)
	a.cache[p] = cachedConfig{mod: st.ModTime(), size: st.Size(), cfg: cfg, err: err}
	return cfg, err
}
