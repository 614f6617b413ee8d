package learn

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/format"
	"github.com/sbplc/sbplc/internal/driver"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/policy"
	"github.com/sbplc/sbplc/source"
	"github.com/sbplc/sbplc/vocab"
)

// EmptyProfile is the profile learn starts from when none is given: deny
// by default, with the operations version 1 allows whatever the profile
// says closed (as sbplc lint asks).
const EmptyProfile = `(version 1)
(deny default)
(deny file-link file-clone system-privilege nvram*)
(deny process-info* (target others))
`

// The marked block that holds learned rules. A later run adds its rules
// at the end of an existing block.
const (
	beginMarker = ";; ---- sbplc learn: begin"
	endMarker   = ";; ---- sbplc learn: end ----"
)

// ProfileError is returned when the starting profile has errors: nothing is
// learned from (or written to) a profile libsandbox would refuse.
type ProfileError struct {
	Name  string
	Diags diag.List
}

func (e *ProfileError) Error() string {
	return e.Name + " has errors; fix them first (libsandbox would refuse the profile)"
}

// Learner runs learn against a profile. Everything it evaluates, lints or
// queries goes through Driver and the decision engine.
type Learner struct {
	Driver *driver.Driver
	// Params are the -D params: a path-valued param becomes (param "K")
	// in the rules for paths under it; HOME is the home directory and
	// PROJECT (or PROJECT_DIR) the project for widening and for the
	// sensitive locations.
	Params map[string]string
	Widen  Widen
	// Policy are the engine options (Home substitutes ${HOME}).
	Policy policy.Options
}

// Plan is what learn proposes before anything is written: the groups of
// denials the profile still denies, with the filters chosen for them.
type Plan struct {
	Src    *source.File
	Groups []*Group
	// Already are denials the profile allows now (an earlier run's rules,
	// or an edit): no rule is needed.
	Already  []Counted
	AlreadyN int
	// Deliberate are denials that a deny rule the user wrote decides: learn
	// never overrides them.
	Deliberate  []Counted
	DeliberateN int
	// Notes are remarks about params and the profile.
	Notes []string
	// Warnings are the starting profile's warnings (correctness).
	Warnings diag.List

	l      *Learner
	base   *driver.Result
	params []paramRef
	locs   []location
	scope  widenScope
}

// Plan checks the profile and classifies the collected denials. A
// ProfileError means the profile has errors.
func (l *Learner) Plan(ctx context.Context, src *source.File, c *Collector) (*Plan, error) {
	base, err := l.Driver.Check(ctx, src)
	if err != nil {
		return nil, err
	}
	probs := base.Problems()
	eng, eds := base.Engine(l.Policy)
	probs = append(probs, eds...).Sort()
	if probs.HasErrors() {
		return nil, &ProfileError{Name: src.Name, Diags: probs}
	}
	p := &Plan{Src: src, l: l, base: base, Warnings: probs}
	names := slices.Sorted(maps.Keys(l.Params))
	for _, k := range names {
		v := strings.TrimSuffix(l.Params[k], "/")
		if !strings.HasPrefix(v, "/") || v == "" {
			continue
		}
		if !policy.IsCanonicalPath(v) {
			cv, _ := policy.CanonicalPath(v)
			p.Notes = append(p.Notes, fmt.Sprintf("param %s=%s is not used in rules: Seatbelt matches resolved paths, so pass -D %s=%s", k, l.Params[k], k, cv))
			continue
		}
		p.params = append(p.params, paramRef{Name: k, Value: v})
	}
	home, project := l.paramPath("HOME"), ""
	for _, k := range projectParams {
		if v := l.paramPath(k); v != "" {
			project = v
			break
		}
	}
	if home == "" {
		home = l.Policy.Home
	}
	if home == "" {
		// Without -D HOME the secrets would be looked for under the probe
		// placeholder home and never found: take the home the log shows.
		if home = logHome(c.obs); home != "" {
			p.Notes = append(p.Notes, fmt.Sprintf("secrets and persistence locations are looked for under %s, the home directory the log shows; pass -D HOME=... (which also writes it as a param) to say so", home))
		}
	}
	p.locs, err = sensitiveLocations(home, project)
	if err != nil {
		return nil, err
	}
	p.scope = newWidenScope(home, project)
	shared := map[string]bool{"/": true}
	for d := range p.scope.blocked {
		shared[d] = true
	}
	if project != "" {
		shared[project] = true
	}
	byOp := map[string]*Group{}
	for _, o := range c.obs {
		switch verdict, why := p.classify(eng, o); verdict {
		case "allow":
			p.AlreadyN += o.count
			p.Already = addCounted(p.Already, o.op+" "+o.raw, o.count, o.example)
			continue
		case "deliberate":
			p.DeliberateN += o.count
			p.Deliberate = addCounted(p.Deliberate, o.op+" "+o.raw+": "+why, o.count, o.example)
			continue
		}
		o.flag = flagFor(o.ruleOp, o.target, p.locs, shared)
		g := byOp[o.ruleOp]
		if g == nil {
			g = &Group{Op: o.ruleOp, Level: l.Widen}
			byOp[o.ruleOp] = g
			p.Groups = append(p.Groups, g)
		}
		g.obs = append(g.obs, o)
	}
	sort.Slice(p.Groups, func(i, j int) bool { return p.Groups[i].Op < p.Groups[j].Op })
	for _, g := range p.Groups {
		g.cands = candidates(g, p.scope)
	}
	if err := p.check(ctx, p.Groups); err != nil {
		return nil, err
	}
	return p, nil
}

// logHome returns the home directory most paths of the log lie in
// (/Users/NAME), "" when none does.
func logHome(obs []*observation) string {
	count := map[string]int{}
	best := ""
	for _, o := range obs {
		rest, ok := strings.CutPrefix(o.target.path, "/Users/")
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(rest, "/")
		if name == "" || name == "Shared" {
			continue
		}
		h := "/Users/" + name
		count[h] += o.count
		if best == "" || count[h] > count[best] || count[h] == count[best] && h < best {
			best = h
		}
	}
	return best
}

func (l *Learner) paramPath(k string) string {
	v := strings.TrimSuffix(l.Params[k], "/")
	if strings.HasPrefix(v, "/") && policy.IsCanonicalPath(v) {
		return v
	}
	return ""
}

// classify asks the engine about one observation: "allow" (nothing to
// learn), "deliberate" (a deny rule the user wrote decides it; why names
// it) or "learn".
func (p *Plan) classify(eng *policy.Engine, o *observation) (string, string) {
	op, err := eng.ResolveOp(o.op)
	if err != nil {
		return "learn", ""
	}
	res, err := policy.ParseResource(op, o.target.query)
	if err != nil {
		return "learn", ""
	}
	d := eng.Query(policy.Request{Op: op, Resource: res})
	switch {
	case d.Result == policy.Allow:
		return "allow", ""
	case d.Result == policy.Unknown && d.Rule != nil && d.Rule.Action == ir.Allow && !d.Implicit &&
		strings.Contains(policy.RuleText(d), renderFilter(o.target.filter, nil)):
		// The engine cannot evaluate the filter (socket-domain, signal-number,
		// ioctl-command ...), but the deciding allow names exactly the logged
		// value: an earlier run's rule.
		return "allow", ""
	case d.Result == policy.Deny && d.Rule != nil && !d.Implicit && deliberate(d.Rule):
		return "deliberate", "denied by " + policy.RuleSpan(d.Rule).String() + ": " + policy.RuleText(d)
	}
	return "learn", ""
}

// deliberate reports whether r is a deny the user wrote for its own sake,
// not the profile's (deny default).
func deliberate(r *ir.Rule) bool {
	if r.Action != ir.Deny {
		return false
	}
	for _, op := range r.Ops {
		if op.Name == "default" {
			return false
		}
	}
	return true
}

// maxCheckRounds bounds the rounds of the widening check: each round
// refuses at least one candidate per operation or ends the check.
const maxCheckRounds = 8

// check refuses widened candidates that would open a sensitive location
// the group did not observe: every widened filter is put in a scratch
// profile, one rule a line, and the engine is asked about each sensitive
// location on the filter's operation. A refused candidate is replaced by
// its narrower ones, which are checked in the next round.
func (p *Plan) check(ctx context.Context, groups []*Group) error {
	ok := map[*cand]bool{}
	for round := 0; round < maxCheckRounds; round++ {
		type wide struct {
			g *Group
			c *cand
		}
		var ws []wide
		for _, g := range groups {
			for _, c := range g.cands {
				if c.wide() && !ok[c] {
					ws = append(ws, wide{g, c})
				}
			}
		}
		if len(ws) == 0 {
			return nil
		}
		var b strings.Builder
		b.WriteString("(version 1)\n(deny default)\n")
		byLine := map[int]wide{}
		for i, w := range ws {
			r := &Rule{Ops: []string{w.g.Op}, Filters: []Filter{w.c.filter}}
			b.WriteString(r.forms(p.params)[0])
			b.WriteByte('\n')
			byLine[i+3] = w
		}
		res, err := p.l.Driver.Check(ctx, source.NewFile("<learn widening check>", []byte(b.String())))
		if err != nil {
			return err
		}
		eng, _ := res.Engine(p.l.Policy)
		refused := map[*cand]string{}
		refusedOp := map[string]bool{}
		broken := res.Problems().HasErrors()
		ops := map[string]bool{}
		for _, w := range ws {
			ops[w.g.Op] = true
			if broken {
				refused[w.c] = "not widened to " + renderFilter(w.c.filter, nil) + ": the widened rule does not evaluate"
			}
		}
		for op := range ops {
			if broken {
				break
			}
			qop, err := eng.ResolveOp(op)
			if err != nil {
				continue
			}
			for _, l := range p.locs {
				if !applies(op, l) {
					continue
				}
				res, err := policy.ParseResource(qop, l.Resource)
				if err != nil {
					continue
				}
				d := eng.Query(policy.Request{Op: qop, Resource: res})
				if d.Result != policy.Allow || d.Rule == nil || d.Implicit {
					continue
				}
				w, found := byLine[policy.RuleSpan(d.Rule).StartPos().Line]
				if !found || w.g.Op != op || covers(w.c, l) || refused[w.c] != "" {
					continue
				}
				refused[w.c] = fmt.Sprintf("not widened to %s: it would allow %s %s (%s: %s)", renderFilter(w.c.filter, nil), op, l.Resource, l.ID, l.Why)
				refusedOp[op] = true
			}
		}
		for _, w := range ws {
			if refused[w.c] == "" && !refusedOp[w.g.Op] {
				ok[w.c] = true
			}
		}
		for _, g := range groups {
			var next []*cand
			for _, c := range g.cands {
				why := refused[c]
				if why == "" {
					next = append(next, c)
					continue
				}
				g.notes = append(g.notes, why)
				next = append(next, c.narrower()...)
			}
			g.cands = next
		}
	}
	// Out of rounds: whatever is still unchecked is narrowed to literals.
	for _, g := range groups {
		var next []*cand
		for _, c := range g.cands {
			if c.wide() && !ok[c] {
				next = append(next, narrowest(c.covers, false)...)
				continue
			}
			next = append(next, c)
		}
		g.cands = next
	}
	return nil
}

// covers reports whether a candidate's own observations include the
// location (then opening it is what the log asked for, and it is flagged).
func covers(c *cand, l location) bool {
	for _, o := range c.covers {
		if o.target.query == l.Resource || o.target.path != "" && o.target.path == l.Path {
			return true
		}
	}
	return false
}

// Regroup re-plans one group at another level (interactive review).
func (p *Plan) Regroup(ctx context.Context, g *Group, level Widen) error {
	g.Level = level
	g.notes = nil
	g.cands = candidates(g, p.scope)
	return p.check(ctx, []*Group{g})
}

// Outcome is the result of Apply.
type Outcome struct {
	// Text is the new profile; equal to the original when nothing was
	// learned.
	Text  []byte
	Rules []*Rule
	// NewErrors are error-level diagnostics the new profile has and the
	// original had not: the result must not be written.
	NewErrors diag.List
	// BlockLine is the line of the block's begin marker (0: no block).
	BlockLine int
}

// Changed reports whether the profile changed.
func (o *Outcome) Changed() bool { return len(o.Rules) > 0 }

// Ineffective counts the rules that do not allow all they were learned
// from.
func (o *Outcome) Ineffective() int {
	n := 0
	for _, r := range o.Rules {
		if len(r.Ineffective) > 0 {
			n++
		}
	}
	return n
}

// Apply writes the planned rules into the profile and proves the result:
// it re-checks the new profile (no new error), asks the engine about
// every learned denial (each must be allowed; a rule that leaves one
// denied is reported with the deciding rule) and attaches the lint
// findings on each rule's text. sources names the logs, for the block's
// header.
func (p *Plan) Apply(ctx context.Context, sources []string) (*Outcome, error) {
	rules := buildRules(p.Groups)
	out := &Outcome{Text: p.Src.Text, Rules: rules}
	if len(rules) == 0 {
		return out, nil
	}
	var ops []string
	for _, r := range rules {
		ops = append(ops, r.Ops...)
	}
	at, inBlock := p.insertAt(ops)
	block, lines := p.renderBlock(rules, sources, inBlock)
	if !inBlock {
		// One blank line before and after the block.
		before := p.Src.Text[:at]
		if len(bytes.TrimSpace(before)) == 0 || bytes.HasSuffix(before, []byte("\n\n")) {
			block = strings.TrimPrefix(block, "\n")
		}
		if rest := p.Src.Text[at:]; len(rest) > 0 && rest[0] != '\n' {
			block += "\n"
		}
	}
	var text bytes.Buffer
	text.Write(p.Src.Text[:at])
	if at > 0 && p.Src.Text[at-1] != '\n' {
		text.WriteByte('\n')
	}
	startLine := bytes.Count(p.Src.Text[:at], []byte{'\n'}) + 1
	if at > 0 && p.Src.Text[at-1] != '\n' {
		startLine++
	}
	text.WriteString(block)
	text.Write(p.Src.Text[at:])
	out.Text = text.Bytes()
	lead := 0
	if !inBlock && strings.HasPrefix(block, "\n") {
		lead = 1
	}
	if !inBlock {
		out.BlockLine = startLine + lead
	}
	shift := 0
	if !inBlock && lead == 0 {
		shift = -1 // renderBlock counted the blank line that was dropped
	}
	for i, r := range rules {
		r.Line = startLine + lines[i] + shift
	}
	after := source.NewFile(p.Src.Name, out.Text)
	res, news, err := p.l.Driver.CheckRewrite(ctx, p.base, after)
	if err != nil {
		return nil, err
	}
	out.NewErrors = news
	eng, _ := res.Engine(p.l.Policy)
	blockEnd := startLine + strings.Count(block, "\n")
	// ruleAt is the learned rule written at line (nil outside the block).
	ruleAt := func(line int) *Rule {
		if line < startLine || line >= blockEnd {
			return nil
		}
		var best *Rule
		for _, r := range rules {
			if r.Line <= line {
				best = r
			}
		}
		return best
	}
	for _, r := range rules {
		p.verify(eng, r, ruleAt)
	}
	baseKeys := map[string]bool{}
	for _, dg := range p.base.Diags {
		baseKeys[dg.Code+"\x00"+dg.Message] = true
	}
	for _, dg := range res.Diags {
		if dg.Span.File != res.Src || dg.Severity < diag.Warning || baseKeys[dg.Code+"\x00"+dg.Message] {
			continue
		}
		if r := ruleAt(dg.Span.StartPos().Line); r != nil {
			r.Findings = append(r.Findings, fmt.Sprintf("%s: %s [%s]", dg.Severity, dg.Message, dg.Code))
		}
	}
	return out, nil
}

// verify asks the new engine about each observation of r.
func (p *Plan) verify(eng *policy.Engine, r *Rule, ruleAt func(int) *Rule) {
	for _, o := range r.obs {
		what := o.op + " " + o.raw
		if o.target.node {
			r.Unverified = append(r.Unverified, what+": the engine resolves "+o.raw+" before matching, so it cannot check a rule on the link itself")
			continue
		}
		op, err := eng.ResolveOp(o.op)
		if err != nil {
			r.Unverified = append(r.Unverified, what+": "+err.Error())
			continue
		}
		res, err := policy.ParseResource(op, o.target.query)
		if err != nil {
			r.Unverified = append(r.Unverified, what+": "+err.Error())
			continue
		}
		d := eng.Query(policy.Request{Op: op, Resource: res})
		mine := d.Rule != nil && !d.Implicit && policy.RuleSpan(d.Rule).Filename() == p.Src.Name && ruleAt(policy.RuleSpan(d.Rule).StartPos().Line) == r
		switch {
		case r.Quiet && d.Result == policy.Deny:
		case !r.Quiet && d.Result == policy.Allow:
		case d.Result == policy.Unknown && mine:
			why, _, _ := strings.Cut(d.Reason, ": decide it with")
			r.Unverified = append(r.Unverified, what+": "+why+"; the rule names the logged value")
		default:
			by := "the built-in default"
			if d.Rule != nil {
				by = policy.RuleSpan(d.Rule).String() + ": " + policy.RuleText(d)
				if d.Implicit {
					by = "<implicit policy>: " + policy.RuleText(d)
				}
			} else if n := len(d.Chain); n > 0 {
				by = "the built-in default of " + d.Chain[n-1].Op
			}
			r.Ineffective = append(r.Ineffective, fmt.Sprintf("%s is still %s, decided by %s", what, d.Result, by))
		}
	}
}

// insertAt returns the byte offset where the block goes, and whether an
// existing block's end marker is there (the new rules join that block).
//
// Otherwise the block goes right before the first filtered deny the user
// wrote on an operation related to a learned one (the same operation, or
// one on the other's fallback chain): filtered rules are searched newest
// first, so a learned allow written after such a deny would override it.
// Without one it goes at the end of the profile: (deny default) and other
// unfiltered rules decide only where no filtered rule matches, wherever
// they stand.
func (p *Plan) insertAt(learned []string) (int, bool) {
	text := p.Src.Text
	if i := bytes.Index(text, []byte("\n"+endMarker)); i >= 0 {
		return i + 1, true
	}
	if bytes.HasPrefix(text, []byte(endMarker)) {
		return 0, true
	}
	f := p.base.Eval.File
	prof := p.base.Eval.Profile
	if f == nil || len(f.Forms) == 0 {
		return len(text), false
	}
	formOf := func(sp source.Span) int {
		if sp.File == nil || sp.File.Name != p.Src.Name {
			return -1
		}
		for i, n := range f.Forms {
			if n.Span().Start <= sp.Start && sp.Start < max(n.Span().End, n.Span().Start+1) {
				return i
			}
		}
		return -1
	}
	ruleForm := func(r *ir.Rule) int {
		if i := formOf(r.Origin.Primary()); i >= 0 {
			return i
		}
		// A rule from an import: the main file's import form evaluated
		// last before it.
		best := -1
		for _, im := range prof.Imports {
			if im.Index <= r.Index {
				if i := formOf(im.Origin.Primary()); i >= 0 {
					best = i
				}
			}
		}
		return best
	}
	related := func(r *ir.Rule) bool {
		for _, op := range r.Ops {
			for _, l := range learned {
				if vocab.Covers(op.Name, l) || vocab.Covers(l, op.Name) {
					return true
				}
			}
		}
		return false
	}
	firstDeny, defaultForm := -1, -1
	for _, r := range prof.Rules {
		if r.Action == ir.Deny && !deliberate(r) {
			defaultForm = ruleForm(r)
		}
		if !deliberate(r) || r.Filter == nil || !related(r) {
			continue
		}
		if i := ruleForm(r); i >= 0 && (firstDeny < 0 || i < firstDeny) {
			firstDeny = i
		}
	}
	versionForm := formOf(prof.VersionSpan)
	if firstDeny < 0 || firstDeny <= versionForm {
		return len(text), false
	}
	// Back to the start of the deny's paragraph (the lines before it up
	// to a blank line), so the block does not split a commented group;
	// earlier is always safe, but not before (version N) or the (deny
	// default) that comes before the deny.
	at := lineBefore(text, f.Forms[firstDeny])
	floor := 0
	for _, i := range []int{versionForm, defaultForm} {
		if i >= 0 && i < firstDeny {
			floor = max(floor, f.Forms[i].Span().End)
		}
	}
	for at > floor {
		prev := bytes.LastIndexByte(text[:at-1], '\n') + 1
		if prev < floor || len(bytes.TrimSpace(text[prev:at])) == 0 {
			break
		}
		at = prev
	}
	return at, false
}

// lineBefore is the offset of the start of the line where n's leading
// comments (or n) begin.
func lineBefore(text []byte, n ast.Node) int {
	start := n.Span().Start
	if n.HasComments() {
		if l := n.Trivia().Leading; len(l) > 0 && l[0].Sp.Start < start {
			start = l[0].Sp.Start
		}
	}
	return bytes.LastIndexByte(text[:start], '\n') + 1
}

// renderBlock writes the rules with their comments. It returns the text
// and, per rule, the 0-based line of its form within the text.
func (p *Plan) renderBlock(rules []*Rule, sources []string, inBlock bool) (string, []int) {
	var b strings.Builder
	lines := make([]int, len(rules))
	line := 0
	w := func(s string) {
		b.WriteString(s)
		b.WriteByte('\n')
		line += strings.Count(s, "\n") + 1
	}
	denials := 0
	for _, r := range rules {
		denials += r.Denials
	}
	from := strings.Join(sources, ", ")
	if !inBlock {
		w("")
		w(fmt.Sprintf("%s (%s from %s) ----", beginMarker, diag.Count(len(rules), "rule"), from))
		w(";; Rules written by sbplc learn for the denials the logs show. The comment")
		w(";; above each rule says how many denials it covers and what it allows;")
		w(";; review them before relying on the profile.")
	} else {
		w(fmt.Sprintf(";; added by sbplc learn: %s from %s", diag.Count(len(rules), "rule"), from))
	}
	for i, r := range rules {
		w(";; " + diag.Count(r.Denials, "denial") + " of " + strings.Join(r.Ops, ", ") + ", e.g. " + commentText(r.Example.String()))
		w(";; allows " + strings.Join(r.Breadth, "; "))
		for _, n := range r.Notes {
			w(";; note: " + commentText(n))
		}
		for _, f := range r.Flags {
			w(";; flagged: " + commentText(f))
		}
		lines[i] = line
		for _, text := range r.forms(p.params) {
			if formatted, ds := format.Source([]byte(text), "<learned rule>", format.Options{}); !ds.HasErrors() {
				text = strings.TrimRight(string(formatted), "\n")
			}
			w(text)
		}
	}
	if !inBlock {
		w(endMarker)
	}
	return b.String(), lines
}

// commentText keeps a comment on one line.
func commentText(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}
