// Package driver is sbplc's one linting workflow. Every command that reads
// a profile (lint, query, test, audit, compile, expand, the language server)
// asks a Driver for it, so all of them find and honour .sbplc.yaml the same
// way, read preludes through the same bounded reader, choose the same home
// directory and report the same line for the same problem.
//
// A Driver owns configuration discovery (one .sbplc.yaml per directory,
// re-read when the file changes), preludes (cached by content), params, the
// home directory, the target and the evaluation options. Check runs
// parse -> eval -> lint rules for one source; Result.Engine adds the
// decision engine; Fix and CheckRewrite apply and verify rewrites so that a
// command never writes a profile with a new error.
//
// In the spirit of Regal's pkg/linter and go/analysis' drivers: the cobra
// commands stay thin and the editor uses the same code path as the CLI.
package driver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sbplc/sbplc/config"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/entitlements"
	"github.com/sbplc/sbplc/eval"
	"github.com/sbplc/sbplc/internal/fsutil"
	"github.com/sbplc/sbplc/lint"
	"github.com/sbplc/sbplc/policy"
	"github.com/sbplc/sbplc/source"
	"github.com/sbplc/sbplc/vocab"
)

// ConfigCode is the code of configuration problems (a file that does not
// load, an unknown rule in it, a prelude it names that cannot be read).
const ConfigCode = "config"

// Options are what a command supplies. The configuration file fills in
// what they leave unset; explicit values win.
type Options struct {
	// ConfigFile, when set, is used for every input instead of searching
	// for .sbplc.yaml (--config); NoConfig ignores configuration files.
	ConfigFile string
	NoConfig   bool

	// Params are explicit params (-D, --params); they win over the
	// configuration's. ParamsGiven says the user supplied params, so an
	// unbound param is an error rather than a warning.
	Params      map[string]string
	ParamsGiven bool
	// Preludes are files evaluated before each profile, after the
	// configuration's preludes (--prelude).
	Preludes []string
	// ImportDirs are searched for imports before the configuration's.
	ImportDirs []string
	// SystemDirs also searches Apple's system profile directories.
	SystemDirs   bool
	StrictParams bool
	// Target is the OS table ("macos14"); it wins over the configuration's.
	Target string
	// Home is the home directory of the escape and secrets probes; it wins
	// over the configuration's.
	Home string
	// Fragment treats inputs as fragments: no (version) form required.
	Fragment bool
	// Enable and Disable select lint rules by ID, category or "all".
	Enable, Disable []string
	// ReadFile reads imports (nil: the bounded reader). The language
	// server substitutes one that prefers open documents.
	ReadFile func(path string) ([]byte, error)
	Limits   eval.Limits
	// Entitlements are the app's entitlements (--entitlements), bound as
	// *entitlements*; nil: none.
	Entitlements *entitlements.Set
}

// UsageError is an error in the options themselves (an unknown rule or
// target, a configuration file that does not load): commands exit 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Driver runs the workflow. It is safe for concurrent use.
type Driver struct {
	opts  Options
	fixed *config.Config // ConfigFile's, when set

	mu       sync.Mutex
	configs  map[string]*configEntry  // config path -> loaded file
	preludes map[string]*preludeEntry // prelude path -> last read
}

type configEntry struct {
	size  int64
	mod   time.Time
	cfg   *config.Config
	diags diag.List // problems of the file: load error or validation
}

type preludeEntry struct {
	size int64
	mod  time.Time
	src  *source.File
}

// New validates the options and returns a Driver. An unknown rule,
// category or target, or a --config file that does not load, is a
// UsageError.
func New(opts Options) (*Driver, error) {
	if opts.Target != "" {
		if _, ok := vocab.LookupTarget(opts.Target); !ok {
			return nil, &UsageError{fmt.Errorf("unknown --target %q (known: %s)", opts.Target, strings.Join(vocab.TargetNames(), ", "))}
		}
	}
	if errs := lint.Validate(nil, lint.Options{Enable: opts.Enable, Disable: opts.Disable}); len(errs) > 0 {
		return nil, &UsageError{errs[0]}
	}
	if opts.Home != "" && !strings.HasPrefix(opts.Home, "/") {
		return nil, &UsageError{fmt.Errorf("--home %q: want an absolute path", opts.Home)}
	}
	for _, dir := range opts.ImportDirs {
		st, err := os.Stat(dir)
		switch {
		case err != nil:
			return nil, &UsageError{fmt.Errorf("-I %s: %v", dir, unwrapPath(err))}
		case !st.IsDir():
			return nil, &UsageError{fmt.Errorf("-I %s: not a directory", dir)}
		}
	}
	d := &Driver{opts: opts, configs: map[string]*configEntry{}, preludes: map[string]*preludeEntry{}}
	if opts.ConfigFile != "" {
		cfg, err := config.Load(opts.ConfigFile)
		if err != nil {
			return nil, &UsageError{err}
		}
		d.fixed = cfg
	}
	return d, nil
}

// Options returns the options the driver was made with.
func (d *Driver) Options() Options { return d.opts }

// Config returns the configuration that applies to the file name ("" or
// "-": the working directory) and the problems of that configuration as
// diagnostics: a file that does not load is an error (the defaults are used
// instead), an unknown rule or target in it a warning.
func (d *Driver) Config(name string) (*config.Config, diag.List) {
	switch {
	case d.fixed != nil:
		return d.fixed, d.validate(d.fixed)
	case d.opts.NoConfig:
		return config.Default(), nil
	}
	dir := "."
	if name != "" && name != "-" && !strings.HasPrefix(name, "<") {
		dir = filepath.Dir(name)
	}
	// The search is not cached: a file created meanwhile (the language
	// server runs for hours) is found; it costs a stat per directory.
	path, err := config.Find(dir)
	if err != nil {
		return config.Default(), diag.List{configDiag(diag.Error, "", fmt.Errorf("cannot look for %s above %s: %v; using the defaults", config.FileName, dir, unwrapPath(err)))}
	}
	if path == "" {
		return config.Default(), nil
	}
	e := d.loadConfig(path)
	return e.cfg, e.diags
}

// loadConfig returns the configuration file at path, re-reading it when its
// size or modification time changed (the language server runs for hours).
func (d *Driver) loadConfig(path string) *configEntry {
	st, statErr := os.Stat(path)
	d.mu.Lock()
	if e, ok := d.configs[path]; ok && statErr == nil && e.size == st.Size() && e.mod.Equal(st.ModTime()) {
		d.mu.Unlock()
		return e
	}
	d.mu.Unlock()
	e := &configEntry{}
	if statErr == nil {
		e.size, e.mod = st.Size(), st.ModTime()
	}
	cfg, err := config.Load(path)
	if err != nil {
		e.cfg = config.Default()
		e.diags = diag.List{configDiag(diag.Error, path, withDefaults(err))}
	} else {
		e.cfg = cfg
		e.diags = d.validate(cfg)
	}
	d.mu.Lock()
	d.configs[path] = e
	d.mu.Unlock()
	return e
}

// validate reports unknown rules and targets in a loaded configuration as
// warnings: the rest of the file still applies.
func (d *Driver) validate(cfg *config.Config) diag.List {
	var out diag.List
	for _, err := range lint.Validate(cfg, lint.Options{}) {
		out = append(out, configDiag(diag.Warning, cfg.Path, err))
	}
	return out
}

// configDiag is a configuration problem as a diagnostic in the
// configuration file: at the line and column a config.Error gives, else at
// the top of the file. msg says what it is ("prelude x.sb: ...") when err
// has no position of its own.
func configDiag(sev diag.Severity, path string, err error) diag.Diagnostic {
	d := diag.Diagnostic{Severity: sev, Code: ConfigCode, Message: err.Error()}
	var ce *config.Error
	if errors.As(err, &ce) {
		d.Message = ce.Msg
		if ce.File != "" {
			path = ce.File
		}
	}
	if path == "" {
		return d
	}
	data, rerr := fsutil.ReadRegular(path, config.MaxSize)
	if rerr != nil {
		d.Message = path + ": " + d.Message
		return d
	}
	f := source.NewFile(displayPath(path), data)
	off := 0
	if ce != nil && ce.Line > 0 {
		off = f.LineStart(ce.Line)
		end := len(f.Text)
		if ce.Line < f.LineCount() {
			end = f.LineStart(ce.Line+1) - 1
		}
		off = min(off+max(ce.Col-1, 0), end)
	}
	d.Span = source.Span{File: f, Start: off, End: off}
	return d
}

// prelude returns the prelude at path, read through the bounded reader and
// re-read only when the file changed.
func (d *Driver) prelude(path string) (*source.File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, &fsutil.ReadError{Name: path, Reason: unwrapPath(err).Error(), Err: err}
	}
	d.mu.Lock()
	if e, ok := d.preludes[path]; ok && e.size == st.Size() && e.mod.Equal(st.ModTime()) {
		d.mu.Unlock()
		return e.src, nil
	}
	d.mu.Unlock()
	data, err := fsutil.ReadRegular(path, fsutil.MaxInputSize)
	if err != nil {
		return nil, err
	}
	src := source.NewFile(path, data)
	d.mu.Lock()
	d.preludes[path] = &preludeEntry{size: st.Size(), mod: st.ModTime(), src: src}
	d.mu.Unlock()
	return src, nil
}

// Preludes reads the preludes that apply under cfg: the configuration's,
// then the explicit ones. Problems are configuration diagnostics (for the
// configuration's preludes) or errors (explicit ones).
func (d *Driver) Preludes(cfg *config.Config) ([]*source.File, diag.List, error) {
	var out []*source.File
	var ds diag.List
	for _, p := range cfg.Preludes {
		f, err := d.prelude(p)
		if err != nil {
			ds = append(ds, configDiag(diag.Error, cfg.Path, fmt.Errorf("prelude %v", err)))
			continue
		}
		out = append(out, f)
	}
	for _, p := range d.opts.Preludes {
		f, err := d.prelude(p)
		if err != nil {
			return nil, ds, fmt.Errorf("--prelude: %v", err)
		}
		out = append(out, f)
	}
	return out, ds, nil
}

// EvalOptions returns the evaluation options for a file under cfg:
// configuration params overridden by explicit ones, explicit import
// directories before the configuration's, the configuration's target
// unless one is given.
func (d *Driver) EvalOptions(cfg *config.Config, preludes []*source.File) eval.Options {
	o := d.opts
	params := map[string]string{}
	for k, v := range cfg.Params {
		params[k] = v
	}
	for k, v := range o.Params {
		params[k] = v
	}
	target := o.Target
	if target == "" {
		target = cfg.Target
	}
	return eval.Options{
		Params:       params,
		StrictParams: o.StrictParams,
		ImportDirs:   append(append([]string(nil), o.ImportDirs...), cfg.ImportDirs...),
		SystemDirs:   o.SystemDirs,
		Preludes:     preludes,
		Target:       target,
		Limits:       o.Limits,
		ReadFile:     d.readFile,
		Entitlements: o.Entitlements,
	}
}

// readFile reads an import: through the caller's reader when one is set,
// else through the bounded reader (regular files only).
func (d *Driver) readFile(path string) ([]byte, error) {
	if d.opts.ReadFile != nil {
		return d.opts.ReadFile(path)
	}
	return fsutil.ReadRegular(path, fsutil.MaxInputSize)
}

// LintOptions returns the lint options for a file under cfg.
func (d *Driver) LintOptions(cfg *config.Config, eo eval.Options) lint.Options {
	return lint.Options{Target: d.opts.Target, Home: d.opts.Home, Enable: d.opts.Enable, Disable: d.opts.Disable,
		ParamsGiven: d.opts.ParamsGiven, Fragment: d.opts.Fragment, Eval: eo}
}

// Result is the outcome of checking one source.
type Result struct {
	Src    *source.File
	Config *config.Config
	// Ignored is set when the configuration's ignore globs exclude the
	// file: nothing was evaluated.
	Ignored bool
	Eval    *eval.Result
	// Diags are the findings to show, sorted: configuration problems, then
	// the parse, evaluation and lint findings after the configured levels
	// and suppressions.
	Diags diag.List
	// Cancelled is set when ctx ended before the check finished; Diags is
	// then partial.
	Cancelled bool

	setup *Setup
}

// Setup is what applies to one input: its configuration, the evaluation
// and lint options built from it, and the configuration's problems.
type Setup struct {
	Config *config.Config
	// Ignored is set when the configuration's ignore globs exclude the
	// file.
	Ignored bool
	Eval    eval.Options
	Lint    lint.Options
	// Diags are the configuration's problems (and its preludes').
	Diags diag.List
}

// Setup returns what applies to the file name ("-" or "<stdin>": the
// working directory). An error is a usage or I/O problem with an explicit
// prelude.
func (d *Driver) Setup(name string) (*Setup, error) {
	return d.setup(name, CheckOptions{})
}

func (d *Driver) setup(name string, co CheckOptions) (*Setup, error) {
	where := name
	if co.ConfigDir != "" {
		where = filepath.Join(co.ConfigDir, filepath.Base(name))
	}
	cfg, cds := d.Config(where)
	s := &Setup{Config: cfg, Diags: cds}
	if name != "" && name != "-" && !strings.HasPrefix(name, "<") && cfg.IgnoresFile(name) {
		s.Ignored = true
		return s, nil
	}
	preludes, pds, err := d.Preludes(cfg)
	if err != nil {
		return nil, err
	}
	s.Diags = append(s.Diags, pds...)
	s.Eval = d.EvalOptions(cfg, preludes)
	if co.ReadFile != nil {
		s.Eval.ReadFile = co.ReadFile
	}
	if co.Entitlements != nil {
		s.Eval.Entitlements = co.Entitlements
	}
	s.Lint = d.LintOptions(cfg, s.Eval)
	return s, nil
}

// LintResult lints an evaluation made with s.Eval and adds the
// configuration's problems: the findings a command shows.
func (s *Setup) LintResult(res *eval.Result) diag.List {
	return append(append(diag.List(nil), s.Diags...), lint.Run(res, s.Config, s.Lint)...).Sort()
}

// Check parses, evaluates and lints src with the configuration that
// applies to its file. It never panics. An error return is a usage or I/O
// problem with an explicit prelude (exit 2); everything about the profile
// is in the Result.
func (d *Driver) Check(ctx context.Context, src *source.File) (*Result, error) {
	return d.CheckWith(ctx, src, CheckOptions{})
}

// CheckOptions adjust one check (the language server's documents).
type CheckOptions struct {
	// ConfigDir, when set, is where the configuration search starts
	// instead of the source's directory (the language server's documents,
	// whose names may not be file paths).
	ConfigDir string
	// ReadFile reads imports for this check only.
	ReadFile func(path string) ([]byte, error)
	// Entitlements, when set, replace the driver's for this check
	// (sbplc entitlements compares sets).
	Entitlements *entitlements.Set
}

// CheckWith is Check with per-check options.
func (d *Driver) CheckWith(ctx context.Context, src *source.File, co CheckOptions) (*Result, error) {
	s, err := d.setup(src.Name, co)
	if err != nil {
		return nil, err
	}
	r := &Result{Src: src, Config: s.Config, Ignored: s.Ignored, setup: s}
	if s.Ignored {
		r.Diags = s.Diags
		return r, nil
	}
	eo := s.Eval
	lo := s.Lint
	eo.Context = ctx
	lo.Context = ctx
	lo.Eval = eo
	r.Eval = eval.Run(src, eo)
	if ctx.Err() != nil {
		r.Cancelled = true
		r.Diags = append(append(diag.List(nil), s.Diags...), r.Eval.Diags...).Sort()
		return r, nil
	}
	r.Diags = append(append(diag.List(nil), s.Diags...), lint.Run(r.Eval, s.Config, lo)...).Sort()
	r.Cancelled = ctx.Err() != nil
	return r, nil
}

// HasErrors reports whether the result has an error-level diagnostic.
func (r *Result) HasErrors() bool { return r.Diags.HasErrors() }

// Problems are the diagnostics a command that answers questions about
// the profile (query, test, audit, expand) shows before its answer: the
// errors and warnings of the correctness category (the profile fails to
// compile or load, or part of it means nothing: an unknown name, a missing
// version, an import not found, an unbound param), of the parser and the
// evaluator, and of the configuration. An error among them means the
// answer would describe a profile libsandbox refuses. Path, breadth,
// ordering and style findings are lint's business.
func (r *Result) Problems() diag.List {
	var out diag.List
	for _, dg := range r.Diags {
		if dg.Severity >= diag.Warning && correctness(dg.Code) {
			out = append(out, dg)
		}
	}
	return out
}

func correctness(code string) bool {
	rule, ok := lint.Lookup(code)
	return !ok || rule.Category == lint.Correctness || rule.Stage != ""
}

// Engine builds the decision engine for the evaluated profile. The
// engine's own diagnostics (an unsupported construct) are returned.
func (r *Result) Engine(po policy.Options) (*policy.Engine, diag.List) {
	if po.Target == "" {
		po.Target = r.setup.Eval.Target
	}
	return policy.New(r.Eval.Profile, po)
}

// withDefaults adds "; using the defaults" to a configuration load error.
func withDefaults(err error) error {
	var ce *config.Error
	if errors.As(err, &ce) {
		c := *ce
		c.Msg += "; using the defaults"
		return &c
	}
	return fmt.Errorf("%v; using the defaults", err)
}

// displayPath shows an absolute path below the working directory relative
// to it, as the user would type it.
func displayPath(p string) string {
	if !filepath.IsAbs(p) {
		return p
	}
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if r, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
