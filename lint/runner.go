package lint

import (
	"context"
	"fmt"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/sbplc/sbplc/config"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/eval"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/policy"
	"github.com/sbplc/sbplc/ruletable"
	"github.com/sbplc/sbplc/source"
	"github.com/sbplc/sbplc/vocab"
)

// DefaultHome is the placeholder home directory the probes use when
// neither --home, the config's home nor a bound HOME param gives one (see
// policy.PickHome). It is also substituted for unbound home params (see
// HomeParams).
const DefaultHome = policy.DefaultHome

// HomeParams are the param names (and ${NAME} pattern variables) that stand
// for the user's home directory in probes when they are unbound.
var HomeParams = []string{"HOME", "HOME_DIR", "USER_HOME", "_HOME", "HOMEDIR", "FRONT_USER_HOME", "HOME_PATH"}

// Options configure one lint run.
type Options struct {
	Target string // OS table ("macos14"); overrides the config's target
	Home   string // home directory for probes; overrides the config's home
	// Enable and Disable select rules by ID or category, or "all"; applied
	// after the configuration, Disable last.
	Enable, Disable []string
	// NoEvalDiags drops the parse and evaluation diagnostics from Run's
	// result (by default they are included, filtered by suppressions).
	NoEvalDiags bool
	// ParamsGiven says the caller supplied params (-D/--params), so an
	// unbound param is an error rather than a warning.
	ParamsGiven bool
	// Fragment lints the input as a fragment that full profiles include:
	// no (version) form is required (like a "; sbplc:fragment" comment).
	Fragment bool
	// Eval is used by File to evaluate the source.
	Eval eval.Options
	// Context cancels the run (nil = never): see Run. It bounds the rules
	// only; the evaluation File runs is configured by Eval.
	Context context.Context
}

// Run lints an evaluated file. The result holds the rules' findings and,
// unless opts.NoEvalDiags, res.Diags; suppressions and configured levels are
// applied, and the list is sorted. cfg may be nil (defaults). Run is safe
// for concurrent use and never panics: a rule that fails is reported as a
// lint-internal-error diagnostic. When opts.Context is cancelled Run stops
// (between rules, and inside the long analyses) and returns nil: the caller
// knows it cancelled, and a partial list would be wrong (an ignore comment
// whose rule did not run would look unused).
func Run(res *eval.Result, cfg *config.Config, opts Options) diag.List {
	if cfg == nil {
		cfg = config.Default()
	}
	prof := res.Profile
	if prof == nil {
		prof = &ir.Profile{}
	}
	var src *source.File
	if res.File != nil {
		src = res.File.Src
	}
	st := &runState{
		cfg:      cfg,
		ctx:      opts.Context,
		prof:     prof,
		problems: res.Problems,
		taken:    map[eval.Problem]bool{},
		target:   firstNonEmpty(opts.Target, cfg.Target, opts.Eval.Target),
	}
	if st.ctx == nil {
		st.ctx = context.Background()
	}
	st.home = policy.PickHome(opts.Home, cfg.Home, prof)
	fileName := ""
	if src != nil {
		fileName = src.Name
	}
	// The rules that run on this file, computed once: the runner, the
	// evaluator pass-through and the suppressions all use this set.
	var rules []*Rule
	st.enabled = map[string]bool{}
	for _, r := range Enabled(cfg, opts) {
		if !cfg.RuleIgnoresFile(r.ID, fileName) {
			rules = append(rules, r)
			st.enabled[r.ID] = true
		}
	}
	pass := Pass{File: res.File, Src: src, Profile: prof, Config: cfg, Opts: opts, run: st}
	for _, r := range rules {
		if st.cancelled() {
			return nil
		}
		// One Pass serves every rule (rules keep no reference to it).
		pass.Rule = r
		p := &pass
		if r.Run != nil {
			runRule(p, r.Run)
		}
		if hasProbes()[r.ID] {
			runRule(p, reportProbes)
		}
	}
	if st.cancelled() {
		return nil
	}
	all := st.findings
	if !opts.NoEvalDiags {
		for _, d := range st.untaken(res.Diags) {
			// A stage diagnostic whose code is a rule ID follows that
			// rule's selection and configured level (the evaluator reports
			// problems a rule owns under the rule's ID).
			// Syntax errors, evaluation limits and internal errors are
			// always reported at their own level: they cannot be
			// suppressed, disabled or downgraded.
			if r, ok := Lookup(d.Code); ok && ruletable.Suppressible(d.Code) {
				if !st.enabled[r.ID] {
					continue
				}
				if sev, set := configuredSeverity(r, cfg); set {
					d.Severity = sev
				}
			}
			all = append(all, d)
		}
	}
	all = withoutModelFindings(all, prof)
	all = applySuppressions(res.File, all, st.enabled, cfg)
	return groupProbes(all).Sort()
}

// withoutModelFindings drops the rule findings about the rules of a
// system-profile model (package syslib): they point at the import form and
// describe sbplc's stand-in for Apple's file, which the user cannot
// change. The stage problems at the import (import-not-found, errors) stay.
func withoutModelFindings(ds diag.List, prof *ir.Profile) diag.List {
	at := map[source.Span]bool{}
	for _, im := range prof.Imports {
		if im.Model != "" {
			at[im.Origin.Primary()] = true
		}
	}
	if len(at) == 0 {
		return ds
	}
	out := ds[:0:0]
	for _, d := range ds {
		if at[d.Span] && d.Code != "import-not-found" {
			if r, ok := Lookup(d.Code); ok && r.Stage == "" {
				continue
			}
		}
		out = append(out, d)
	}
	return out
}

// File parses, evaluates and lints src. Evaluation options come from
// opts.Eval merged with the configuration (params, import dirs, target);
// preludes named by the configuration are read by the caller.
func File(src *source.File, cfg *config.Config, opts Options) (diag.List, *eval.Result) {
	if cfg == nil {
		cfg = config.Default()
	}
	eo := EvalOptions(cfg, opts)
	res := eval.Run(src, eo)
	return Run(res, cfg, opts), res
}

// EvalOptions merges the configuration into opts.Eval: config params are
// overridden by explicit ones, config import dirs come after explicit ones.
func EvalOptions(cfg *config.Config, opts Options) eval.Options {
	eo := opts.Eval
	eo.Fragment = eo.Fragment || opts.Fragment
	if cfg == nil {
		return eo
	}
	if len(cfg.Params) > 0 {
		m := map[string]string{}
		for k, v := range cfg.Params {
			m[k] = v
		}
		for k, v := range eo.Params {
			m[k] = v
		}
		eo.Params = m
	}
	eo.ImportDirs = append(append([]string(nil), eo.ImportDirs...), cfg.ImportDirs...)
	if eo.Target == "" {
		eo.Target = firstNonEmpty(opts.Target, cfg.Target)
	}
	return eo
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func runRule(p *Pass, run func(*Pass)) {
	defer func() {
		if r := recover(); r != nil {
			stack := string(debug.Stack())
			if len(stack) > 2000 {
				stack = stack[:2000]
			}
			p.run.findings = append(p.run.findings, diag.Diagnostic{
				Severity: diag.Error,
				Code:     "lint-internal-error",
				Message:  fmt.Sprintf("rule %s failed on this file: %v (please report this bug)", p.Rule.ID, r),
				Span:     source.Span{File: p.Src},
				Notes:    []string{stack},
			})
		}
	}()
	run(p)
}

// runState is shared by the passes of one run.
type runState struct {
	cfg      *config.Config
	ctx      context.Context
	prof     *ir.Profile
	problems []eval.Problem
	taken    map[eval.Problem]bool // problems a rule claimed or dropped
	findings diag.List
	home     string
	target   string
	enabled  map[string]bool // IDs of the rules that run on this file
	facts    facts
}

// cancelled reports whether the run's context is done.
func (st *runState) cancelled() bool { return st.ctx.Err() != nil }

// untaken returns the diagnostics of ds (an eval.Result's) except those
// of the problems a rule claimed or dropped.
func (st *runState) untaken(ds diag.List) diag.List {
	type key struct {
		file       *source.File
		start, end int
		code, msg  string
	}
	keyOf := func(d diag.Diagnostic) key { return key{d.Span.File, d.Span.Start, d.Span.End, d.Code, d.Message} }
	skip := map[key]int{}
	for pr := range st.taken {
		skip[keyOf(pr.Diagnostic())]++
	}
	var out diag.List
	for _, d := range ds {
		if k := keyOf(d); skip[k] > 0 {
			skip[k]--
			continue
		}
		out = append(out, d)
	}
	return out
}

// checkEvery is how often (in loop steps) the long analyses check for
// cancellation.
const checkEvery = 1 << 12

// add records a finding of rule r at severity sev; a level configured for
// the rule wins.
func (st *runState) add(r *Rule, d diag.Diagnostic, sev diag.Severity) {
	d.Severity = sev
	if s, set := configuredSeverity(r, st.cfg); set {
		d.Severity = s
	}
	d.Code = r.ID
	st.findings = append(st.findings, d)
}

// configuredSeverity returns the level the configuration sets for r.
func configuredSeverity(r *Rule, cfg *config.Config) (diag.Severity, bool) {
	rc := cfg.Rule(r.ID)
	if rc == nil || rc.Level == "" || rc.Level == "off" {
		return 0, false
	}
	s, err := diag.ParseSeverity(rc.Level)
	if err != nil {
		return 0, false
	}
	return s, true
}

// Enabled returns the rules that run under cfg and opts, in registry order.
func Enabled(cfg *config.Config, opts Options) []*Rule {
	if cfg == nil {
		cfg = config.Default()
	}
	on := map[string]bool{}
	for _, r := range All() {
		on[r.ID] = !r.Off
		if rc := cfg.Rule(r.ID); rc != nil && rc.Enabled != nil {
			on[r.ID] = *rc.Enabled
		}
	}
	apply := func(sel []string, v bool) {
		for _, s := range sel {
			for _, tok := range strings.Split(s, ",") {
				tok = strings.TrimSpace(tok)
				for _, r := range All() {
					if tok == "all" || tok == r.ID || tok == string(r.Category) {
						on[r.ID] = v
					}
				}
			}
		}
	}
	apply(opts.Enable, true)
	apply(opts.Disable, false)
	var out []*Rule
	for _, r := range All() {
		if on[r.ID] {
			out = append(out, r)
		}
	}
	return out
}

// Validate checks rule selections and the configuration's rule IDs against
// the registry and returns one error per unknown name, with suggestions.
func Validate(cfg *config.Config, opts Options) []error {
	var errs []error
	known := func(tok string) bool {
		if tok == "all" || tok == "" {
			return true
		}
		if _, ok := Lookup(tok); ok {
			return true
		}
		for _, c := range Categories() {
			if string(c) == tok {
				return true
			}
		}
		return false
	}
	for _, sel := range [][]string{opts.Enable, opts.Disable} {
		for _, s := range sel {
			for _, tok := range strings.Split(s, ",") {
				tok = strings.TrimSpace(tok)
				if !known(tok) {
					hint := "; see 'sbplc rules'"
					if s := ruletable.Suggest(tok, true); s != "" {
						hint = "; did you mean " + s + "?"
					}
					errs = append(errs, fmt.Errorf("unknown rule or category %q%s", tok, hint))
				}
			}
		}
	}
	if cfg != nil && cfg.Target != "" {
		if _, ok := vocab.LookupTarget(cfg.Target); !ok {
			errs = append(errs, &config.Error{File: cfg.Path, Line: cfg.TargetLine, Col: cfg.TargetCol,
				Msg: fmt.Sprintf("unknown target %q (known: %s)", cfg.Target, strings.Join(vocab.TargetNames(), ", "))})
		}
	}
	if cfg != nil {
		errs = append(errs, cfg.Validate()...) // rule IDs and options, from the rule table
	}
	return errs
}

func didYouMean(id string) string {
	if s := Suggest(id); s != "" {
		return "; did you mean " + s + "?"
	}
	return "; see 'sbplc rules'"
}

// suggestID returns the closest rule ID by edit distance, or "".
func suggestID(id string) string { return ruletable.Suggest(id, false) }

// Suggest returns the rule ID closest to id, or "".
func Suggest(id string) string { return suggestID(id) }

// groupProbes merges the findings that point at the same rule into one
// finding per kind: the secrets a broad allow makes readable (SSH keys,
// cloud credentials, the keychain ...), and the other escape vectors the
// audit probes find open there (persistence locations, IPC services, raw
// devices ...): one problem, one line, instead of a line per rule on an
// (allow default). It runs after suppressions, so each rule's ignore
// comments and levels still apply; the merged finding carries the most
// severe rule's ID (registry order breaks ties) and keeps every rule's
// message and notes as notes. Findings with a fix are not merged.
func groupProbes(ds diag.List) diag.List {
	type key struct {
		f          *source.File
		start, end int
		secrets    bool
	}
	groups := map[key][]int{}
	var order []key
	for i, d := range ds {
		r, ok := Lookup(d.Code)
		if !ok || !d.Span.IsValid() {
			continue
		}
		secrets := r.Category == Secrets
		if !secrets && !hasProbeNote(d) || len(d.Fixes) > 0 {
			continue // a finding with a fix keeps it, and its own line
		}
		k := key{d.Span.File, d.Span.Start, d.Span.End, secrets}
		if len(groups[k]) == 0 {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	drop := map[int]bool{}
	pos := map[string]int{}
	for i, r := range All() {
		pos[r.ID] = i
	}
	for _, k := range order {
		idx := groups[k]
		if len(idx) < 2 {
			continue
		}
		sort.SliceStable(idx, func(a, b int) bool {
			da, db := ds[idx[a]], ds[idx[b]]
			if da.Severity != db.Severity {
				return da.Severity > db.Severity // most severe first
			}
			return pos[da.Code] < pos[db.Code]
		})
		head := &ds[idx[0]]
		var labels, notes []string
		for _, i := range idx {
			d := ds[i]
			r, _ := Lookup(d.Code)
			labels = append(labels, strings.TrimSuffix(r.Summary, " readable"))
			// Each rule's notes (its probe IDs) follow its message.
			notes = append(notes, fmt.Sprintf("[%s] %s", d.Code, d.Message))
			notes = append(notes, d.Notes...)
			if i != idx[0] {
				drop[i] = true
			}
		}
		if k.secrets {
			head.Message = fmt.Sprintf("this rule makes %d kinds of secrets readable: %s; deny file-read* on them after this rule, or narrow it (details below)", len(idx), strings.Join(labels, ", "))
		} else {
			head.Message = fmt.Sprintf("this rule opens %d escape vectors: %s; close them with denies after this rule, or narrow it (details below)", len(idx), strings.Join(labels, "; "))
		}
		head.Notes = notes
	}
	if len(drop) == 0 {
		return ds
	}
	out := ds[:0:0]
	for i, d := range ds {
		if !drop[i] {
			out = append(out, d)
		}
	}
	return out
}

// hasProbeNote reports whether d reports allowed audit probes.
func hasProbeNote(d diag.Diagnostic) bool {
	for _, n := range d.Notes {
		if strings.HasPrefix(n, probeNotePrefix) {
			return true
		}
	}
	return false
}
