package eval

import (
	"bytes"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/source"
	"github.com/sbplc/sbplc/syslib"
	"github.com/sbplc/sbplc/vocab"
)

// frameNode is one element of the dynamic call chain (a persistent list).
type frameNode struct {
	F      ir.Frame
	Parent *frameNode
	N      int
	// Stmt marks macro expansions and imports: frames whose body forms
	// are still statements of the user's file (see atTop).
	Stmt bool
}

// atTop reports whether forms evaluated now are statements of a file
// (top level, or inside macro expansions and imports at top level) rather
// than expressions inside a function call.
func (ev *evaluator) atTop() bool {
	for f := ev.chain; f != nil; f = f.Parent {
		if !f.Stmt {
			return false
		}
	}
	return true
}

// stmt evaluates one statement: an error aborts only this statement, as a
// top-level form would, so one bad rule inside (begin ...), (when ...) or
// a with-filter block does not hide the rules after it.
func (ev *evaluator) stmt(x value, sp source.Span, e *env) {
	saveChain, saveDepth := ev.chain, ev.depth
	saveWF, saveWM := len(ev.withFilters), len(ev.withMods)
	defer func() {
		if r := recover(); r != nil {
			ee, ok := r.(*evalErr)
			if !ok || ee.Fatal {
				panic(r)
			}
			ev.chain, ev.depth, ev.argOf = saveChain, saveDepth, nil
			ev.withFilters, ev.withMods = ev.withFilters[:saveWF], ev.withMods[:saveWM]
			ev.caught(ee, sp)
		}
	}()
	ev.eval(x, sp, e)
}

// evalStmt evaluates x as a statement when at top level, else plainly.
func (ev *evaluator) evalStmt(x value, sp source.Span, e *env) {
	if ev.atTop() {
		ev.stmt(x, sp, e)
		return
	}
	ev.eval(x, sp, e)
}

// evalErr aborts the current statement. A nil P means the problem was
// already reported.
type evalErr struct {
	P     Problem
	Fatal bool // stop evaluating altogether (limits, cancellation)
	// Opaque is set when the statement stopped only because it used a
	// name an unresolved import may define: it becomes an opaque block.
	Opaque *opaqueUse
}

type evaluator struct {
	opts Options
	lim  Limits
	syms map[string]*sym // interned symbols; globals live on them
	prof *ir.Profile

	problems []Problem
	output   strings.Builder // display/write/newline

	steps   int
	checkAt int // the step count of the next checkpoint
	depth   int
	chain   *frameNode // the dynamic call chain
	aborted bool       // a fatal problem stopped evaluation
	// argOf is the builtin whose argument is about to be evaluated, for
	// the one evalLoop that evaluates it (it says where an unbound name
	// stood: see unboundAs).
	argOf *builtin

	// Rule context: with-filter and with-modifier scopes, and the rules
	// of the apply-message-filter being evaluated.
	withFilters []*ir.FilterNode
	withMods    []ir.Modifier
	msg         *msgCtx
	fdepth      map[*ir.FilterNode]int // nesting depth of combinator nodes

	versionSeen bool
	paramSeen   map[string]bool
	paramWarned map[string]bool
	// paramProblem is each param's unbound-param warning, so later
	// consequences become notes on it (once per name).
	paramProblem map[string]*UnboundParam

	importStack []string
	nImports    int
	missing     map[string]*ImportNotFound // by name as written
	gensym      int
	fragment    bool // Options.Fragment or a "; sbplc:fragment" comment

	cur       *source.File // the file whose forms are being evaluated
	mainFile  *source.File
	curCpp    bool // cur has C-preprocessor lines (evaluated as comments)
	target    vocab.Target
	hasTarget bool

	// System-profile models in use: by source, by import name, and where
	// each was imported.
	models      map[*source.File]*syslib.Profile
	modelByName map[string]*syslib.Profile
	modelImport map[*syslib.Profile]modelImport
	entUses     []EntitlementUse
}

// newEvaluator returns an evaluator with room for about syms symbols.
func newEvaluator(opts Options, syms int) *evaluator {
	ev := &evaluator{
		opts:         opts,
		lim:          opts.Limits.withDefaults(),
		syms:         make(map[string]*sym, syms),
		prof:         &ir.Profile{Implicit: true},
		paramWarned:  map[string]bool{},
		paramProblem: map[string]*UnboundParam{},
		paramSeen:    map[string]bool{},
		missing:      map[string]*ImportNotFound{},
		fdepth:       map[*ir.FilterNode]int{},
		models:       map[*source.File]*syslib.Profile{},
		modelByName:  map[string]*syslib.Profile{},
		modelImport:  map[*syslib.Profile]modelImport{},
	}
	ev.checkAt = min(cancelEvery, ev.lim.Steps+1)
	if opts.Target != "" {
		ev.target, ev.hasTarget = vocab.LookupTarget(opts.Target)
	}
	if _, ok := opts.Params["NO_IMPLICIT_RULES"]; ok {
		ev.prof.Implicit = false
	}
	return ev
}

// intern returns the symbol named name, with its initial global binding
// from the builtin table.
func (ev *evaluator) intern(name string) *sym {
	if s, ok := ev.syms[name]; ok {
		return s
	}
	s := &sym{Name: name}
	if v, bound, special := ev.perEvaluation(name); special {
		s.gval, s.gbound = v, bound
		ev.syms[name] = s
		return s
	}
	if on, ok := onTarget[name]; ok && !on(ev.opts.Target) {
		ev.syms[name] = s // not bound on this release
		return s
	}
	if v, ok := globalTable()[name]; ok {
		if p, ok := v.(*pair); ok {
			v = copyList(p) // shared table values must not be mutated
		}
		s.gval, s.gbound = v, true
	}
	ev.syms[name] = s
	return s
}

func copyList(p *pair) value {
	items, _ := listToSlice(p, DefaultListLen)
	return listOf(items...)
}

// evalFileForms evaluates every top-level form of f, reporting errors per form.
func (ev *evaluator) evalFileForms(f *ast.File) {
	if f == nil {
		return
	}
	prev, prevCpp := ev.cur, ev.curCpp
	ev.cur, ev.curCpp = f.Src, false
	for _, c := range f.Comments {
		if c.Kind == ast.CppLine {
			ev.curCpp = true
			break
		}
	}
	defer func() { ev.cur, ev.curCpp = prev, prevCpp }()
	badEnd := -1 // end of the last top-level parse error node
	for _, n := range f.Forms {
		if ev.aborted {
			return
		}
		// A form with a syntax error is not evaluated: the parser reported
		// it, and evaluating the pieces only adds cascading errors (the
		// "character" of "@invalid character" is not an unbound variable).
		if !f.Clean && hasParseError(n) {
			badEnd = n.Span().End
			continue
		}
		if _, isList := n.(*ast.List); !isList && badEnd >= 0 && sameLine(f.Src, badEnd, n.Span().Start) {
			badEnd = n.Span().End
			continue
		}
		badEnd = -1
		v, sp := ev.datum(n)
		ev.topLevel(v, sp, nil)
	}
}

// hasParseError reports whether n holds a node the parser could not read
// completely: a Bad node, an unterminated string or an unclosed list.
func hasParseError(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.Bad:
		return true
	case *ast.String:
		return n.Unterminated
	case *ast.Quote:
		return n.X != nil && hasParseError(n.X)
	case *ast.List:
		if !n.Closed {
			return true
		}
		for _, e := range n.Elems {
			if hasParseError(e) {
				return true
			}
		}
	}
	return false
}

// sameLine reports whether no newline lies between offsets a and b of src.
func sameLine(src *source.File, a, b int) bool {
	if src == nil || a > b || b > len(src.Text) {
		return false
	}
	return bytes.IndexByte(src.Text[a:b], '\n') < 0
}

// topLevel evaluates one form, converting aborts and Go panics into diagnostics.
func (ev *evaluator) topLevel(v value, sp source.Span, e *env) {
	saveChain, saveDepth := ev.chain, ev.depth
	saveWF, saveWM := len(ev.withFilters), len(ev.withMods)
	defer func() {
		ev.chain, ev.depth, ev.argOf = saveChain, saveDepth, nil
		ev.withFilters, ev.withMods = ev.withFilters[:saveWF], ev.withMods[:saveWM]
		if r := recover(); r != nil {
			ev.recovered(r, sp)
		}
	}()
	ev.eval(v, sp, e)
}

// recovered turns a panic that ended the top-level form at sp into a
// diagnostic (an evalErr carries its own; anything else is a bug).
func (ev *evaluator) recovered(r any, sp source.Span) {
	if ee, ok := r.(*evalErr); ok {
		ev.caught(ee, sp)
		if ee.Fatal {
			ev.aborted = true
		}
		return
	}
	ev.add(&Generic{problem{diag.Diagnostic{Severity: diag.Error, Code: "internal-error", Span: sp,
		Message: fmt.Sprintf("internal evaluator error: %v (please report this)", r),
		Notes:   []string{firstLines(string(debug.Stack()), 12)}}}})
	ev.aborted = true
}

// caught records the problem that ended the statement at sp.
func (ev *evaluator) caught(ee *evalErr, sp source.Span) {
	if ee.P != nil {
		ev.add(ee.P)
	}
	if ee.Opaque != nil {
		ev.opaqueBlock(ee.Opaque, sp)
	}
}

// add records a problem.
func (ev *evaluator) add(p Problem) { ev.problems = append(ev.problems, p) }

// addDiags records the parse diagnostics of a prelude or import.
func (ev *evaluator) addDiags(ds diag.List) {
	for _, d := range ds {
		ev.add(&Generic{problem{d}})
	}
}

// abort ends the current statement with p.
func (ev *evaluator) abort(p Problem) { panic(&evalErr{P: p}) }

func firstLines(s string, n int) string {
	ls := strings.SplitN(s, "\n", n+1)
	if len(ls) > n {
		ls = ls[:n]
	}
	return strings.Join(ls, "\n")
}

// fail aborts the current statement with an error.
func (ev *evaluator) fail(sp source.Span, code, format string, args ...any) {
	ev.abort(&Generic{problem{ev.errDiag(sp, code, fmt.Sprintf(format, args...))}})
}

// errDiag builds an error diagnostic at sp, with the call chain as related
// locations so that errors inside helpers can be traced to the user's call.
func (ev *evaluator) errDiag(sp source.Span, code, msg string) diag.Diagnostic {
	d := diag.Diagnostic{Severity: diag.Error, Code: code, Span: sp, Message: msg}
	ev.addChain(&d, sp)
	return d
}

func (ev *evaluator) addChain(d *diag.Diagnostic, sp source.Span) {
	o := ev.origin(sp)
	if p := o.Primary(); p != sp && p.IsValid() {
		d.Span = p
		if sp.IsValid() {
			where := "reported here"
			if len(o.Chain) > 0 {
				where = "reported here, inside " + orLambda(o.Chain[0].Name)
			}
			d.Related = append(d.Related, diag.Related{Span: sp, Message: where})
		}
	}
	for _, f := range o.Chain {
		if f.Call == d.Span {
			continue
		}
		name := f.Name
		if name == "" {
			name = "lambda"
		}
		d.Related = append(d.Related, diag.Related{Span: f.Call, Message: "in call of " + name})
	}
}

// warnDiag builds a warning at sp, with the call chain (see errDiag).
func (ev *evaluator) warnDiag(sp source.Span, code, format string, args ...any) diag.Diagnostic {
	d := diag.Diagnostic{Severity: diag.Warning, Code: code, Span: sp, Message: fmt.Sprintf(format, args...)}
	ev.addChain(&d, sp)
	return d
}

// fatal stops evaluation with an error (a limit).
func (ev *evaluator) fatal(sp source.Span, code, format string, args ...any) {
	d := ev.errDiag(sp, code, fmt.Sprintf(format, args...))
	panic(&evalErr{P: &Generic{problem{d}}, Fatal: true})
}

// origin returns the Origin for an element produced by the form at sp in
// the current dynamic context. Outer frames whose call form lexically
// contains an inner location (macros such as with-filter wrapping user
// rules) are dropped so that Primary points at the user's own form.
func (ev *evaluator) origin(sp source.Span) ir.Origin {
	o := ir.Origin{Span: sp}
	if ev.chain == nil {
		return o
	}
	o.Chain = make([]ir.Frame, 0, ev.chain.N)
	for f := ev.chain; f != nil; f = f.Parent {
		o.Chain = append(o.Chain, f.F)
	}
	// Trim frames that contain the next inner location.
	out := o.Chain[:0]
	inner := sp
	for _, f := range o.Chain {
		if contains(f.Call, inner) {
			continue
		}
		out = append(out, f)
		inner = f.Call
	}
	o.Chain = out
	if len(o.Chain) == 0 {
		o.Chain = nil
	}
	return o
}

func contains(outer, inner source.Span) bool {
	return outer.IsValid() && inner.IsValid() && outer.File == inner.File &&
		outer.Start <= inner.Start && inner.End <= outer.End
}

// env is a local environment frame; globals live on the symbols.
type env struct {
	syms   []*sym
	vals   []value
	parent *env
}

// newEnv returns a frame with room for n bindings.
// opt: frames of up to three bindings could keep them inline (one
// allocation per call instead of three).
func newEnv(parent *env, n int) *env {
	if n == 0 {
		return &env{parent: parent}
	}
	return &env{syms: make([]*sym, 0, n), vals: make([]value, 0, n), parent: parent}
}

func (e *env) lookup(s *sym) (value, bool) {
	for f := e; f != nil; f = f.parent {
		for i := len(f.syms) - 1; i >= 0; i-- {
			if f.syms[i] == s {
				return f.vals[i], true
			}
		}
	}
	if s.gbound {
		return s.gval, true
	}
	return nil, false
}

func (e *env) define(s *sym, v value) {
	if e == nil {
		s.gval, s.gbound = v, true
		return
	}
	for i, x := range e.syms {
		if x == s {
			e.vals[i] = v
			return
		}
	}
	e.syms = append(e.syms, s)
	e.vals = append(e.vals, v)
}

func (e *env) set(s *sym, v value) bool {
	for f := e; f != nil; f = f.parent {
		for i := len(f.syms) - 1; i >= 0; i-- {
			if f.syms[i] == s {
				f.vals[i] = v
				return true
			}
		}
	}
	if s.gbound {
		s.gval = v
		return true
	}
	return false
}

// datum converts a syntax node to a Scheme value.
func (ev *evaluator) datum(n ast.Node) (value, source.Span) {
	sp := n.Span()
	switch n := n.(type) {
	case *ast.List:
		if n.Vector {
			vs := make([]value, len(n.Elems))
			for i, x := range n.Elems {
				vs[i], _ = ev.datum(x)
			}
			return &vectorV{Elems: vs}, sp
		}
		var tail value = theNil
		if n.Tail() != nil {
			tail, _ = ev.datum(n.Tail())
		}
		// opt: the cells of one list could come from one allocation.
		for i := len(n.Elems) - 1; i >= 0; i-- {
			v, vsp := ev.datum(n.Elems[i])
			tail = &pair{Car: v, Cdr: tail, CarSp: vsp}
		}
		if p, ok := tail.(*pair); ok {
			p.Sp = sp
		}
		return tail, sp
	case *ast.Symbol:
		return ev.intern(n.Name), sp
	case *ast.String:
		return &strV{S: n.Value, Raw: n.Raw, Origin: ir.Origin{Span: sp}}, sp
	case *ast.Number:
		if n.IsFloat {
			return realV(n.Float), sp
		}
		return intV(n.Int), sp
	case *ast.Bool:
		return boolV(n.Value), sp
	case *ast.Char:
		return charV(n.Value), sp
	case *ast.Quote:
		var x value = theUnspec
		xsp := sp
		if n.X != nil {
			x, xsp = ev.datum(n.X)
		}
		return &pair{Car: ev.intern(n.Kind.Name()), CarSp: sp, Sp: sp,
			Cdr: &pair{Car: x, CarSp: xsp, Cdr: theNil}}, sp
	case *ast.Bad:
		return badV{}, sp
	}
	return theUnspec, sp
}

// badV stands for text the parser could not read; evaluating it aborts the
// form silently (the parser already reported it).
type badV struct{}

// step counts one evaluation step at sp.
func (ev *evaluator) step(sp source.Span) { ev.charge(sp, 1) }

// charge counts n steps of work at sp (builtins charge list elements and
// string bytes / 16, so that loops of large copies end too). Every
// cancelEvery steps, and at the step limit, it checks the limit and the
// context.
func (ev *evaluator) charge(sp source.Span, n int) {
	ev.steps += n
	if ev.steps >= ev.checkAt {
		ev.checkpoint(sp)
	}
}

// cancelEvery is how many steps may pass between checks of
// Options.Context (a few hundred microseconds of evaluation).
const cancelEvery = 1024

func (ev *evaluator) checkpoint(sp source.Span) {
	if ev.steps > ev.lim.Steps {
		ev.fatal(sp, "eval-limit", "evaluation exceeded the step limit (%d steps); the profile probably loops forever", ev.lim.Steps)
	}
	if ctx := ev.opts.Context; ctx != nil && ctx.Err() != nil {
		d := ev.errDiag(sp, "eval-limit", fmt.Sprintf("evaluation cancelled after %d steps (%v): the profile's rules are incomplete", ev.steps, ctx.Err()))
		panic(&evalErr{P: &Cancelled{problem: problem{d}, Err: ctx.Err()}, Fatal: true})
	}
	ev.checkAt = min(ev.steps+cancelEvery, ev.lim.Steps+1)
}

// call holds a builtin's evaluated arguments.
type call struct {
	Name  string
	Args  []value
	ArgSp []source.Span
	Sp    source.Span // the call form
	Env   *env
}

func (c *call) sp(i int) source.Span {
	if i < len(c.ArgSp) && c.ArgSp[i].IsValid() {
		return c.ArgSp[i]
	}
	return c.Sp
}

// eval evaluates x (read from sp) in e.
func (ev *evaluator) eval(x value, sp source.Span, e *env) value {
	saveChain := ev.chain
	ev.enter(sp)
	v := ev.evalLoop(x, sp, e)
	ev.depth--
	ev.chain = saveChain
	return v
}

// enter counts one level of evaluation depth at sp, failing past the limit.
func (ev *evaluator) enter(sp source.Span) {
	ev.depth++
	if ev.depth > ev.lim.Depth {
		ev.fatal(sp, "eval-limit", "evaluation exceeded the recursion depth limit (%d); the profile probably recurses without end", ev.lim.Depth)
	}
}

func (ev *evaluator) pushFrame(name string, call source.Span, pushed *bool) {
	ev.pushFrameKind(name, call, pushed, false)
}

func (ev *evaluator) pushFrameKind(name string, call source.Span, pushed *bool, stmt bool) {
	if *pushed && ev.chain != nil && ev.chain.N >= 2 {
		if ev.chain.F.Name == name && ev.chain.F.Call == call && ev.chain.Stmt == stmt {
			return
		}
		ev.chain = &frameNode{F: ir.Frame{Name: name, Call: call}, Parent: ev.chain.Parent, N: ev.chain.N, Stmt: stmt}
		return
	}
	n := 1
	if ev.chain != nil {
		n = ev.chain.N + 1
	}
	ev.chain = &frameNode{F: ir.Frame{Name: name, Call: call}, Parent: ev.chain, N: n, Stmt: stmt}
	*pushed = true
}

func (ev *evaluator) evalLoop(x value, sp source.Span, e *env) value {
	pushed := false
	// role is the builtin x is an argument of, for the first round only:
	// what the loop evaluates after a tail step is no longer that argument.
	role := ev.argOf
	ev.argOf = nil
	for ; ; role = nil {
		ev.step(sp)
		switch t := x.(type) {
		case *sym:
			return ev.symValue(t, sp, e, role)
		case *pair:
			headSp := t.CarSp
			if !headSp.IsValid() {
				headSp = sp
			}
			var fn value
			if hs, ok := t.Car.(*sym); ok {
				v, found := e.lookup(hs)
				if !found {
					ev.unbound(hs, headSp, e, role, true)
				}
				switch f := v.(type) {
				case *syntaxV:
					r, nsp, ne, tail := f.Fn(ev, t, sp, e)
					if !tail {
						return r
					}
					x, sp, e = r, nsp, ne
					continue
				case *macroV:
					exp := ev.expand(f, t, sp, e)
					ev.pushFrameKind(f.Name, sp, &pushed, ev.atTop())
					x = exp // evaluated at sp: the expansion belongs to the macro call
					continue
				}
				fn = v
			} else {
				fn = ev.eval(t.Car, headSp, e)
				if m, ok := fn.(*macroV); ok {
					x = ev.expand(m, t, sp, e)
					continue
				}
			}
			args, argSp := ev.evalArgs(t, sp, e, fn)
			switch f := fn.(type) {
			case *builtin:
				return ev.callBuiltin(f, args, argSp, sp, e)
			case *closure:
				// opt: a tail call could reuse the frame of the call it
				// replaces when nothing captured it.
				ne := ev.bind(f, args, sp)
				ev.pushFrame(f.Name, sp, &pushed)
				x, sp, e = ev.evalBody(f.Body, f.BodySp, ne)
				continue
			default:
				ev.fail(headSp, "eval-error", "%s is not a procedure (it is %s)", showValue(t.Car), describe(fn))
			}
		case badV:
			panic(&evalErr{})
		default:
			return x
		}
	}
}

// evalArgs evaluates the arguments of the call form t (read from sp) in e;
// opt: the arguments of consecutive calls could share one stack.
// fn is the procedure they are for.
func (ev *evaluator) evalArgs(t *pair, sp source.Span, e *env, fn value) ([]value, []source.Span) {
	n := 0
	rest := t.Cdr
	for p, ok := rest.(*pair); ok; p, ok = rest.(*pair) {
		n++
		rest = p.Cdr
	}
	if _, isNil := rest.(*nilT); !isNil {
		ev.fail(sp, "eval-error", "a call cannot be a dotted list such as (f a . b): remove the ' . '")
	}
	args, argSp := make([]value, n), make([]source.Span, n)
	p, _ := t.Cdr.(*pair)
	for i := range n {
		asp := p.CarSp
		if !asp.IsValid() {
			asp = sp
		}
		ev.argOf, _ = fn.(*builtin)
		args[i], argSp[i] = ev.eval(p.Car, asp, e), asp
		p, _ = p.Cdr.(*pair)
	}
	return args, argSp
}

// symValue is the value of symbol t evaluated at sp in e.
// role is the builtin t is an argument of, if any.
func (ev *evaluator) symValue(t *sym, sp source.Span, e *env, role *builtin) value {
	v, ok := e.lookup(t)
	if !ok {
		ev.unbound(t, sp, e, role, false)
	}
	switch c := v.(type) {
	case *opV:
		if sp.IsValid() {
			cp := *c
			cp.Sp = sp
			return &cp
		}
	case *constV:
		return ev.intern(c.Name)
	}
	return v
}

func describe(v value) string {
	tn := typeName(v)
	switch tn[0] {
	case 'a', 'e', 'i', 'o', 'u':
		if tn == "empty list" || tn == "unspecified value" {
			return "the " + tn
		}
		return "an " + tn
	}
	return "a " + tn
}

// evalBody evaluates all but the last form of a body and returns the last
// for tail evaluation.
func (ev *evaluator) evalBody(body value, sp source.Span, e *env) (value, source.Span, *env) {
	p, ok := body.(*pair)
	if !ok {
		return theUnspec, sp, e
	}
	for {
		next, ok := p.Cdr.(*pair)
		csp := p.CarSp
		if !csp.IsValid() {
			csp = sp
		}
		if !ok {
			return p.Car, csp, e
		}
		ev.evalStmt(p.Car, csp, e)
		p = next
	}
}

// checkArity reports a call of f with the wrong number of arguments.
func (ev *evaluator) checkArity(f *closure, args []value, sp source.Span) {
	n := len(f.Params)
	if len(args) < n || (f.Rest == nil && len(args) > n) {
		name := f.Name
		if name == "" {
			name = "lambda"
		}
		want := fmt.Sprintf("%d", n)
		if f.Rest != nil {
			want = fmt.Sprintf("at least %d", n)
		}
		ev.fail(sp, "arity", "%s: expected %s argument%s, got %d", name, want, plural(n), len(args))
	}
}

// bind creates the environment for a closure call. The frame keeps args
// (the caller passes a slice of its own) and shares f's parameter list; a
// define in the body appends to copies (the slices are full).
func (ev *evaluator) bind(f *closure, args []value, sp source.Span) *env {
	ev.checkArity(f, args, sp)
	n := len(f.Params)
	ne := &env{syms: f.Params[:n:n], vals: args[:n:n], parent: f.Env}
	if f.Rest != nil {
		ne.syms = append(ne.syms, f.Rest)
		ne.vals = append(ne.vals, listOf(args[n:]...))
	}
	return ne
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func (ev *evaluator) callBuiltin(f *builtin, args []value, argSp []source.Span, sp source.Span, e *env) value {
	if len(args) < f.Min || (f.Max >= 0 && len(args) > f.Max) {
		var want string
		switch {
		case f.Max < 0:
			want = fmt.Sprintf("at least %d", f.Min)
		case f.Min == f.Max:
			want = fmt.Sprintf("%d", f.Min)
		default:
			want = fmt.Sprintf("%d to %d", f.Min, f.Max)
		}
		n := f.Min
		if f.Max >= 0 {
			n = f.Max
		}
		ev.fail(sp, "arity", "%s: expected %s argument%s, got %d", f.Name, want, plural(n), len(args))
	}
	// opt: builtins never keep their *call, so one per depth could be reused.
	return f.Fn(ev, &call{Name: f.Name, Args: args, ArgSp: argSp, Sp: sp, Env: e})
}

// apply calls fn with already evaluated arguments (apply, map, for-each, ...).
func (ev *evaluator) apply(fn value, args []value, sp source.Span, e *env) value {
	switch f := fn.(type) {
	case *builtin:
		asp := make([]source.Span, len(args))
		for i := range asp {
			asp[i] = sp
		}
		return ev.callBuiltin(f, args, asp, sp, e)
	case *closure:
		ev.enter(sp)
		save := ev.chain
		ne := ev.bind(f, args, sp)
		pushed := false
		ev.pushFrame(f.Name, sp, &pushed)
		body, bsp, be := ev.evalBody(f.Body, f.BodySp, ne)
		v := ev.eval(body, bsp, be)
		ev.chain = save
		ev.depth--
		return v
	default:
		ev.fail(sp, "eval-error", "cannot call %s: it is not a procedure", describe(fn))
	}
	return nil
}

// expand runs a macro transformer on form.
func (ev *evaluator) expand(m *macroV, form *pair, sp source.Span, e *env) value {
	var arg value = form
	if !m.Whole {
		arg = form.Cdr
	}
	if m.Whole {
		return ev.apply(m.Proc, []value{arg}, sp, e)
	}
	args, ok := listToSlice(arg, ev.lim.ListLen)
	if !ok {
		ev.fail(sp, "eval-error", "%s: a macro call cannot be a dotted list: remove the ' . '", m.Name)
	}
	return ev.apply(m.Proc, args, sp, e)
}

// unbound ends the statement: the name s, used at sp in e, has no
// binding. role is the builtin whose argument was being evaluated and head
// whether s is the head of that argument (see unboundAs).
func (ev *evaluator) unbound(s *sym, sp source.Span, e *env, role *builtin, head bool) {
	d := ev.errDiag(sp, "unbound-identifier", "unbound variable: "+s.Name)
	if sp.IsValid() && sp.File == ev.mainFile && d.Span != sp {
		// A misspelt name in the user's own helper: the name itself is the
		// culprit; the calls that reached it are related information.
		d.Span = sp
		var rel []diag.Related
		for _, r := range d.Related {
			if !strings.HasPrefix(r.Message, "reported here") {
				rel = append(rel, r)
			}
		}
		for _, f := range ev.origin(sp).Chain {
			if !containsRel(rel, f.Call) {
				rel = append(rel, diag.Related{Span: f.Call, Message: "in call of " + orLambda(f.Name)})
			}
		}
		d.Related = rel
	}
	u := ev.unboundOf(s.Name, sp, e, d)
	sug := ""
	if !u.Fragment {
		sug = ev.suggest(s.Name, u.InScope)
	}
	if sug == "" && len(u.Imports) > 0 {
		// Not a plausible typo, and an import that may define it is
		// missing: the statement's rules are unknown, not wrong.
		panic(&evalErr{Opaque: &opaqueUse{name: s.Name, at: sp, imports: u.Imports}})
	}
	if sug != "" {
		u.d.Message += fmt.Sprintf("; did you mean %s?", sug)
		u.d.Fixes = append(u.d.Fixes, diag.Fix{Title: "replace with " + sug, Edits: []diag.Edit{{Span: sp, NewText: sug}}, Guess: true})
	}
	if note := unboundNote(s.Name); note != "" {
		u.d.Notes = append(u.d.Notes, note)
	}
	if len(u.Imports) > 0 {
		q := make([]string, len(u.Imports))
		for i, im := range u.Imports {
			q[i] = strconv.Quote(im)
		}
		u.d.Notes = append(u.d.Notes, fmt.Sprintf("it may be defined by an import that was not found (%s); pass -I DIR with the directory that holds it", strings.Join(q, ", ")))
	}
	switch unboundAs(role, head) {
	case asOperation:
		ev.abort(&UnknownOperation{u})
	case asFilter:
		ev.abort(&UnknownFilter{u})
	}
	ev.abort(&UnboundName{u})
}

// unboundOf fills the Unbound fields for the name used at sp in e, whose
// diagnostic is d. In a fragment the name is expected to come from the
// profile that includes it: the problem is a warning that says so.
func (ev *evaluator) unboundOf(name string, sp source.Span, e *env, d diag.Diagnostic) Unbound {
	u := Unbound{Name: name, At: sp, Fragment: ev.fragment}
	for f := e; f != nil; f = f.parent {
		for i := len(f.syms) - 1; i >= 0; i-- {
			u.InScope = append(u.InScope, f.syms[i].Name)
		}
	}
	var globals []string
	for n, s := range ev.syms {
		if s.gbound {
			if _, lib := globalTable()[n]; !lib {
				globals = append(globals, n)
			}
		}
	}
	sortStrings(globals)
	u.InScope = append(u.InScope, globals...)
	for _, im := range ev.prof.Imports {
		if !im.Resolved || (im.Model != "" && ev.modelByName[im.Name] != nil && ev.modelByName[im.Name].Incomplete) {
			u.Imports = append(u.Imports, im.Name)
		}
	}
	if u.Fragment {
		d.Severity = diag.Warning
		d.Notes = append(d.Notes, fmt.Sprintf("this file is a fragment: %s is expected to come from the profile that includes it; lint the assembled profile to check", name))
	}
	u.d = d
	return u
}

// Where an unbound name stood, as lint's rules tell them apart.
const (
	asName      = iota // anywhere else
	asOperation        // an argument of allow or deny
	asFilter           // the head of an argument of allow, deny or require-*
)

// unboundAs classifies an unbound name: role is the builtin whose argument
// it was (nil if none) and head whether it was that argument's head.
func unboundAs(role *builtin, head bool) int {
	if role == nil {
		return asName
	}
	switch role.Name {
	case "allow", "deny":
		if head {
			return asFilter
		}
		return asOperation
	case "require-all", "require-any", "require-not":
		if head {
			return asFilter
		}
	}
	return asName
}

func containsRel(rs []diag.Related, sp source.Span) bool {
	for _, r := range rs {
		if r.Span == sp {
			return true
		}
	}
	return false
}

func orLambda(name string) string {
	if name == "" {
		return "lambda"
	}
	return name
}

// suggest returns a did-you-mean replacement for the unbound name among the
// library's names, the constants (for a name in capitals) and inScope, or
// "" when no candidate is a plausible typo of it (see PlausibleTypo).
func (ev *evaluator) suggest(name string, inScope []string) string {
	var cands []string
	add := func(names []string) {
		for _, c := range names {
			if PlausibleTypo(name, c) {
				cands = append(cands, c)
			}
		}
	}
	add(globalNames())
	var extra []string
	if strings.ToLower(name) != name {
		// Constants are spelt in capitals: AF_INETT -> AF_INET6.
		extra = append(extra, constantNames()...)
	}
	extra = append(extra, inScope...)
	sortStrings(extra)
	add(extra)
	return suggestName(name, cands)
}

// PlausibleTypo reports whether cand is a plausible misspelling target for
// name, before any edit distance is considered: a name of several
// hyphenated words (os-version, home-subpath) is a typo only of a name of
// as many words, or of the same letters with hyphens added or dropped; it
// is not a typo of a shorter keyword it contains (version, subpath), which
// is what a variable named after one looks like. Lint applies the same
// test to its vocabulary suggestions.
func PlausibleTypo(name, cand string) bool {
	if !strings.Contains(name, "-") {
		return true
	}
	return strings.Count(name, "-") == strings.Count(cand, "-") ||
		strings.ReplaceAll(name, "-", "") == strings.ReplaceAll(cand, "-", "")
}

// finish runs end-of-profile processing: rule indexes, and a missing
// (version) form, reported for every file that is not a fragment, with or
// without rules (libsandbox rejects them all with "no version specified").
// A top-level (version ...) form that failed or was never reached (a
// limit) counts as present: its own problem, if any, says what is wrong.
func (ev *evaluator) finish(f *ast.File) {
	for i, r := range ev.prof.Rules {
		r.Index = i
	}
	if f == nil || f.Src == nil || ev.versionSeen || ev.fragment || len(topForms(f, "version")) > 0 {
		return
	}
	mv := &MissingVersion{At: source.Span{File: f.Src}, Empty: len(f.Forms) == 0}
	msg := "profile has no (version 1) form: libsandbox rejects it with \"no version specified\"; add (version 1) as the first form, or mark a fragment that other profiles include with a \"; sbplc:fragment\" comment"
	if mv.Empty {
		msg = "empty profile: libsandbox rejects it with \"no version specified\"; start it with (version 1) and the rules, or mark an included fragment with a \"; sbplc:fragment\" comment"
	} else {
		first := f.Forms[0].Span().Start
		mv.At.Start, mv.At.End = first, first
	}
	mv.d = diag.Diagnostic{Severity: diag.Error, Code: "missing-version", Span: mv.At, Message: msg,
		Fixes: []diag.Fix{{Title: "insert (version 1)", Edits: []diag.Edit{{Span: mv.At, NewText: "(version 1)\n"}}}}}
	ev.add(mv)
}

// topForms returns the top-level forms of f whose head is the symbol name.
func topForms(f *ast.File, name string) []*ast.List {
	var out []*ast.List
	for _, n := range f.Forms {
		if l, ok := n.(*ast.List); ok && l.HeadSymbol() == name {
			out = append(out, l)
		}
	}
	return out
}

// fragmentDirective marks a file as a fragment: a piece that full
// profiles include or concatenate (Chromium's per-process .sb files, Nix's
// sandbox-defaults.sb), which has no (version) form of its own.
const fragmentDirective = "sbplc:fragment"

// IsFragment reports whether f carries a "; sbplc:fragment" comment line.
func IsFragment(f *ast.File) bool {
	if f == nil {
		return false
	}
	for _, c := range f.Comments {
		if c.Kind != ast.LineComment {
			continue
		}
		t := strings.TrimLeft(c.Text(), "; \t")
		if t == fragmentDirective || strings.HasPrefix(t, fragmentDirective+" ") {
			return true
		}
	}
	return false
}
