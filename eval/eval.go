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
	"github.com/sbplc/sbplc/parser"
	"github.com/sbplc/sbplc/source"
	"github.com/sbplc/sbplc/vocab"
)

// Run parses src and evaluates it. Parse and evaluation diagnostics are
// merged and sorted.
func Run(src *source.File, opts Options) *Result {
	if src == nil {
		return &Result{Profile: &ir.Profile{Implicit: true}}
	}
	f, pd := parser.Parse(src)
	r := EvalFile(f, opts)
	r.Diags = append(pd, r.Diags...).Sort()
	return r
}

// EvalFile evaluates an already parsed file: the preludes first, then the
// file's forms, in one environment. It never panics.
func EvalFile(f *ast.File, opts Options) *Result {
	// The symbol table grows with the text: about one distinct symbol per
	// 130 bytes of a large profile (323 for the largest corpus profile,
	// 40 on average).
	size := 64
	if f != nil && f.Src != nil {
		size += len(f.Src.Text) / 128
	}
	for _, p := range opts.Preludes {
		size += len(p.Text) / 128
	}
	ev := newEvaluatorSize(opts, min(size, 1024))
	if f != nil {
		ev.mainFile = f.Src
	}
	res := &Result{File: f, Profile: ev.prof}
	for _, p := range opts.Preludes {
		if ev.aborted {
			break
		}
		pf, pd := parser.Parse(p)
		ev.diags = append(ev.diags, pd...)
		ev.evalFileForms(pf)
	}
	if f != nil && !ev.aborted {
		ev.evalFileForms(f)
	}
	ev.finish(f)
	res.Diags = ev.diags.Sort()
	res.Output = ev.output.String()
	res.Steps = ev.steps
	return res
}

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
	saveWF, saveWM, saveArgs, saveCall := len(ev.withFilters), len(ev.withMods), len(ev.argStack), ev.ncall
	defer func() {
		if r := recover(); r != nil {
			ee, ok := r.(*evalErr)
			if !ok || ee.Fatal {
				panic(r)
			}
			ev.chain, ev.depth, ev.ncall = saveChain, saveDepth, saveCall
			ev.withFilters, ev.withMods = ev.withFilters[:saveWF], ev.withMods[:saveWM]
			ev.argStack, ev.spStack = ev.argStack[:saveArgs], ev.spStack[:saveArgs]
			if ee.D.Message != "" {
				ev.diags.Add(ee.D)
			}
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

// evalErr aborts the current top-level form. A zero Diag means the problem
// was already reported.
type evalErr struct {
	D     diag.Diagnostic
	Fatal bool // stop evaluating altogether (limits)
}

type evaluator struct {
	opts  Options
	lim   Limits
	syms  map[string]*sym
	diags diag.List
	prof  *ir.Profile

	steps int
	depth int
	chain *frameNode

	withFilters []*ir.FilterNode
	withMods    []ir.Modifier

	paramWarned map[string]bool
	// paramDiag is the index in diags of each param's unbound-param
	// warning, so later consequences become notes on it (once per name).
	paramDiag   map[string]int
	paramSeen   map[string]bool
	importStack []string
	nImports    int
	output      strings.Builder
	aborted     bool
	versionSeen bool
	gensym      int
	msg         *msgCtx
	argStack    []value
	spStack     []source.Span
	calls       []*call
	ncall       int
	fdepth      map[*ir.FilterNode]int // nesting depth of combinator nodes
	cur         *source.File
	mainFile    *source.File
	curCpp      bool // cur has C-preprocessor lines (evaluated as comments)
	target      vocab.Target
	hasTarget   bool
	// leafSlab and ruleSlab hand out IR nodes in chunks: a profile
	// allocates thousands of them, all living as long as the profile.
	leafSlab []ir.FilterNode
	ruleSlab []ir.Rule
	valSlab  []ir.Value
	strSlab  []strV // string literals of the source (datum)
	cellSlab []pair // cells of lists read from the source (datum)
	impure   bool   // datum read something that is not a plain form
	fvSlab   []filterV
	// plainHeads are the builtins of the lists of the plain form being
	// evaluated, in walk order (plainCall fills, evalPlain consumes).
	plainHeads []*builtin
	plainNext  int
	// strChunk and cellChunk are the whole chunks strSlab and cellSlab
	// are carved from (plain forms reuse them).
	strChunk  []strV
	cellChunk []pair
}

// newValues returns an empty slice of capacity n carved from the
// evaluator's value slab; its capacity is capped, so appending past n
// reallocates instead of touching a neighbour.
func (ev *evaluator) newValues(n int) []ir.Value {
	if n > slabChunk/4 {
		return make([]ir.Value, 0, n)
	}
	if len(ev.valSlab) < n {
		ev.valSlab = make([]ir.Value, slabChunk)
	}
	vs := ev.valSlab[:0:n]
	ev.valSlab = ev.valSlab[n:]
	return vs
}

// slabChunk is the number of IR nodes allocated at once.
const slabChunk = 64

// newLeafNode returns a zeroed filter node from the evaluator's slab.
func (ev *evaluator) newLeafNode() *ir.FilterNode {
	if len(ev.leafSlab) == 0 {
		ev.leafSlab = make([]ir.FilterNode, slabChunk)
	}
	n := &ev.leafSlab[0]
	ev.leafSlab = ev.leafSlab[1:]
	return n
}

// newRule returns a zeroed rule from the evaluator's slab.
func (ev *evaluator) newRule() *ir.Rule {
	if len(ev.ruleSlab) == 0 {
		ev.ruleSlab = make([]ir.Rule, slabChunk)
	}
	r := &ev.ruleSlab[0]
	ev.ruleSlab = ev.ruleSlab[1:]
	return r
}

func newEvaluator(opts Options) *evaluator { return newEvaluatorSize(opts, 512) }

// newEvaluatorSize is newEvaluator with room for about syms symbols.
func newEvaluatorSize(opts Options, syms int) *evaluator {
	ev := &evaluator{
		opts:        opts,
		lim:         opts.Limits.withDefaults(),
		syms:        make(map[string]*sym, syms),
		prof:        &ir.Profile{Implicit: true},
		paramWarned: map[string]bool{},
		paramDiag:   map[string]int{},
		paramSeen:   map[string]bool{},
		fdepth:      map[*ir.FilterNode]int{},
	}
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
		// A plain form (see datum) leaves no reference to its cells and
		// string literals once evaluated: the next form reuses them. Most
		// plain forms are also evaluated straight from the tree.
		cells, cellChunk, strs, strChunk := ev.cellSlab, ev.cellChunk, ev.strSlab, ev.strChunk
		ev.plainHeads, ev.plainNext = ev.plainHeads[:0], 0
		if l, ok := n.(*ast.List); ok && fastPlain && ev.plainCall(l, 0) {
			ev.topLevelPlain(l)
			if reuseCells {
				rewind(&ev.strSlab, ev.strChunk, strs, strChunk)
			}
			continue
		}
		ev.impure = false
		v, sp := ev.datum(n)
		plain := reuseCells && !ev.impure
		ev.topLevel(v, sp, nil)
		if plain {
			rewind(&ev.cellSlab, ev.cellChunk, cells, cellChunk)
			rewind(&ev.strSlab, ev.strChunk, strs, strChunk)
		}
	}
}

// rewind sets *slab back to mark, its value when a form started, or to the
// start of chunk when the form opened a new chunk (the rest of the old
// chunk is left unused); markChunk is the chunk at the start.
func rewind[T any](slab *[]T, chunk, mark, markChunk []T) {
	if sameChunk(chunk, markChunk) {
		*slab = mark
	} else {
		*slab = chunk
	}
}

// sameChunk reports whether a and b are the same slab chunk.
func sameChunk[T any](a, b []T) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// reuseCells enables the storage reuse of plain forms, and fastPlain their
// evaluation straight from the tree; tests turn them off to check that
// they change nothing.
var reuseCells, fastPlain = true, true

// pureSym reports whether s is bound to a Pure builtin or to the original
// with form (a call of it keeps its form plain).
func pureSym(s *sym) bool {
	if !s.gbound {
		return false
	}
	switch v := s.gval.(type) {
	case *builtin:
		return v.Pure
	case *syntaxV:
		return v == withForm
	}
	return false
}

// withForm is the global table's with form (set by buildGlobals).
var withForm *syntaxV

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
	saveArgs, saveCall := len(ev.argStack), ev.ncall
	defer func() {
		ev.chain, ev.depth, ev.ncall = saveChain, saveDepth, saveCall
		ev.argStack, ev.spStack = ev.argStack[:saveArgs], ev.spStack[:saveArgs]
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
		if ee.D.Message != "" {
			ev.diags.Add(ee.D)
		}
		if ee.Fatal {
			ev.aborted = true
		}
		return
	}
	ev.diags.Add(diag.Diagnostic{Severity: diag.Error, Code: "internal-error", Span: sp,
		Message: fmt.Sprintf("internal evaluator error: %v (please report this)", r),
		Notes:   []string{firstLines(string(debug.Stack()), 12)}})
	ev.aborted = true
}

// topLevelPlain is topLevel for a form plainCall accepted.
func (ev *evaluator) topLevelPlain(l *ast.List) {
	sp := l.Span()
	saveChain, saveDepth := ev.chain, ev.depth
	saveArgs, saveCall := len(ev.argStack), ev.ncall
	defer func() {
		ev.chain, ev.depth, ev.ncall = saveChain, saveDepth, saveCall
		ev.argStack, ev.spStack = ev.argStack[:saveArgs], ev.spStack[:saveArgs]
		if r := recover(); r != nil {
			ev.recovered(r, sp)
		}
	}()
	ev.evalPlain(l, sp)
	if ev.plainNext != len(ev.plainHeads) {
		// plainCall and evalPlain walked the form differently: a bug,
		// reported as an internal error rather than a wrong answer.
		panic(fmt.Sprintf("plain form evaluated %d of its %d calls", ev.plainNext, len(ev.plainHeads)))
	}
}

func firstLines(s string, n int) string {
	ls := strings.SplitN(s, "\n", n+1)
	if len(ls) > n {
		ls = ls[:n]
	}
	return strings.Join(ls, "\n")
}

// fail aborts the current top-level form with an error diagnostic.
func (ev *evaluator) fail(sp source.Span, code, format string, args ...any) {
	panic(&evalErr{D: ev.errDiag(sp, code, fmt.Sprintf(format, args...))})
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

func (ev *evaluator) warn(sp source.Span, code, format string, args ...any) {
	d := diag.Diagnostic{Severity: diag.Warning, Code: code, Span: sp, Message: fmt.Sprintf(format, args...)}
	ev.addChain(&d, sp)
	ev.diags.Add(d)
}

func (ev *evaluator) fatal(sp source.Span, code, format string, args ...any) {
	d := ev.errDiag(sp, code, fmt.Sprintf(format, args...))
	panic(&evalErr{D: d, Fatal: true})
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
	// captured is set when a closure, promise or environment value may
	// refer to this frame (or a frame below it): it must then outlive the
	// call, and a tail call cannot reuse it.
	captured bool
}

// capture marks e and its ancestors as referenced by a value.
func (e *env) capture() {
	for f := e; f != nil && !f.captured; f = f.parent {
		f.captured = true
	}
}

// smallEnv is a frame with inline storage for up to three bindings, so
// that a call allocates once.
type smallEnv struct {
	env
	s0 [3]*sym
	v0 [3]value
}

// newEnv returns a frame with room for n bindings. An empty frame (a call
// of a procedure without parameters, the body of a let with no bindings)
// is a 56-byte allocation; internal defines grow it on demand.
func newEnv(parent *env, n int) *env {
	switch {
	case n == 0:
		return &env{parent: parent}
	case n <= 3:
		e := &smallEnv{env: env{parent: parent}}
		e.syms, e.vals = e.s0[:0], e.v0[:0]
		return &e.env
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
			ev.impure = true
			vs := make([]value, len(n.Elems))
			for i, x := range n.Elems {
				vs[i], _ = ev.datum(x)
			}
			return &vectorV{Elems: vs}, sp
		}
		var tail value = theNil
		if n.Tail != nil {
			tail, _ = ev.datum(n.Tail)
		}
		// The list's cells come from a chunk, not one allocation each.
		cells := ev.newCells(len(n.Elems))
		for i := len(n.Elems) - 1; i >= 0; i-- {
			v, vsp := ev.datum(n.Elems[i])
			cells[i] = pair{Car: v, Cdr: tail, CarSp: vsp}
			tail = &cells[i]
		}
		// A form is plain when every list in it calls a Pure builtin (or
		// with) through its global binding and it holds no quoted data,
		// vectors or dotted lists: evaluating it keeps no reference to
		// its cells. Most forms of a large profile are plain.
		if n.Tail != nil || len(cells) == 0 {
			ev.impure = true
		} else if s, ok := cells[0].Car.(*sym); !ok || !pureSym(s) {
			ev.impure = true
		}
		if p, ok := tail.(*pair); ok {
			p.Sp = sp
		}
		return tail, sp
	case *ast.Symbol:
		return ev.intern(n.Name), sp
	case *ast.String:
		if len(ev.strSlab) == 0 {
			ev.strChunk = make([]strV, slabChunk)
			ev.strSlab = ev.strChunk
		}
		v := &ev.strSlab[0]
		ev.strSlab = ev.strSlab[1:]
		*v = strV{S: n.Value, Raw: n.Raw, Origin: ir.Origin{Span: sp}}
		return v, sp
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
		ev.impure = true
		var x value = theUnspec
		xsp := sp
		if n.X != nil {
			x, xsp = ev.datum(n.X)
		}
		return &pair{Car: ev.intern(n.Kind.Name()), CarSp: sp, Sp: sp,
			Cdr: &pair{Car: x, CarSp: xsp, Cdr: theNil}}, sp
	case *ast.Bad:
		ev.impure = true
		return badV{}, sp
	}
	return theUnspec, sp
}

// filterValue returns a filter value for n, from a chunk.
func (ev *evaluator) filterValue(n *ir.FilterNode) *filterV {
	if len(ev.fvSlab) == 0 {
		ev.fvSlab = make([]filterV, slabChunk)
	}
	v := &ev.fvSlab[0]
	ev.fvSlab = ev.fvSlab[1:]
	v.N = n
	return v
}

// newCells returns n cells for a list read from a file, carved from the
// evaluator's cell slab (long lists get their own allocation). Every cell
// is assigned in full by datum.
func (ev *evaluator) newCells(n int) []pair {
	if n > slabChunk {
		return make([]pair, n)
	}
	if len(ev.cellSlab) < n {
		ev.cellChunk = make([]pair, 4*slabChunk)
		ev.cellSlab = ev.cellChunk
	}
	cells := ev.cellSlab[:n:n]
	ev.cellSlab = ev.cellSlab[n:]
	return cells
}

// badV stands for text the parser could not read; evaluating it aborts the
// form silently (the parser already reported it).
type badV struct{}

func (ev *evaluator) step(sp source.Span) {
	ev.steps++
	if ev.steps > ev.lim.Steps {
		ev.fatal(sp, "eval-limit", "evaluation exceeded the step limit (%d steps); the profile probably loops forever", ev.lim.Steps)
	}
}

// charge counts n units of builtin work (list elements, string bytes / 16)
// against the step budget, so that loops of large copies end too.
func (ev *evaluator) charge(sp source.Span, n int) {
	ev.steps += n
	if ev.steps > ev.lim.Steps {
		ev.fatal(sp, "eval-limit", "evaluation exceeded the step limit (%d steps); the profile probably loops forever", ev.lim.Steps)
	}
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
	var own *env // the frame this loop's latest closure call created
	for {
		ev.step(sp)
		switch t := x.(type) {
		case *sym:
			return ev.symValue(t, sp, e)
		case *pair:
			headSp := t.CarSp
			if !headSp.IsValid() {
				headSp = sp
			}
			var fn value
			if hs, ok := t.Car.(*sym); ok {
				v, found := e.lookup(hs)
				if !found {
					ev.unbound(hs, headSp, e)
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
			// Evaluate the arguments onto the evaluator's argument stack.
			base := len(ev.argStack)
			rest := t.Cdr
			for {
				p, ok := rest.(*pair)
				if !ok {
					if _, isNil := rest.(*nilT); !isNil {
						ev.fail(sp, "eval-error", "a call cannot be a dotted list such as (f a . b): remove the ' . '")
					}
					break
				}
				asp := p.CarSp
				if !asp.IsValid() {
					asp = sp
				}
				v := ev.eval(p.Car, asp, e)
				ev.argStack = append(ev.argStack, v)
				ev.spStack = append(ev.spStack, asp)
				rest = p.Cdr
			}
			args, argSp := ev.argStack[base:], ev.spStack[base:]
			switch f := fn.(type) {
			case *builtin:
				r := ev.callBuiltin(f, args, argSp, sp, e)
				clear(args)
				ev.argStack, ev.spStack = ev.argStack[:base], ev.spStack[:base]
				return r
			case *closure:
				var ne *env
				if own != nil && e == own && !own.captured {
					// A tail call from the body of a call whose frame nothing
					// refers to: reuse the frame instead of allocating one.
					ne = ev.rebind(own, f, args, sp)
				} else {
					ne = ev.bind(f, args, sp)
				}
				own = ne
				clear(args)
				ev.argStack, ev.spStack = ev.argStack[:base], ev.spStack[:base]
				ev.pushFrame(f.Name, sp, &pushed)
				body, bsp := f.Body, f.BodySp
				x, sp, e = ev.evalBody(body, bsp, ne)
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

// symValue is the value of symbol t evaluated at sp in e.
func (ev *evaluator) symValue(t *sym, sp source.Span, e *env) value {
	v, ok := e.lookup(t)
	if !ok {
		ev.unbound(t, sp, e)
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

// plainCall reports whether the top-level form l can be evaluated straight
// from the syntax tree (evalPlain): every list in it is a call of a Pure
// builtin through its global binding, and its other elements are symbols,
// strings, numbers, booleans and characters. The calls then see exactly
// the arguments eval would give them.
func (ev *evaluator) plainCall(l *ast.List, depth int) bool {
	if l.Vector || l.Tail != nil || len(l.Elems) == 0 || depth > maxPlainDepth {
		return false
	}
	h, ok := l.Elems[0].(*ast.Symbol)
	if !ok {
		return false
	}
	hs := ev.intern(h.Name)
	b, ok := hs.gval.(*builtin)
	if !hs.gbound || !ok || !b.Pure {
		return false
	}
	ev.plainHeads = append(ev.plainHeads, b) // in the order evalPlain meets them
	for _, e := range l.Elems[1:] {
		switch e := e.(type) {
		case *ast.Symbol, *ast.String, *ast.Number, *ast.Bool, *ast.Char:
		case *ast.List:
			if !ev.plainCall(e, depth+1) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// maxPlainDepth bounds the nesting of forms evaluated by evalPlain.
const maxPlainDepth = 64

// evalPlain evaluates n, a node of a form plainCall accepted, at sp as
// eval evaluates the datum of n: the same steps, depth, argument values,
// spans and calls, without building the datum.
func (ev *evaluator) evalPlain(n ast.Node, sp source.Span) value {
	ev.enter(sp)
	ev.step(sp)
	var v value
	switch n := n.(type) {
	case *ast.List:
		f := ev.plainHeads[ev.plainNext] // plainCall walked the lists in this order
		ev.plainNext++
		base := len(ev.argStack)
		for _, x := range n.Elems[1:] {
			asp := x.Span()
			if !asp.IsValid() {
				asp = sp
			}
			a := ev.evalPlain(x, asp)
			ev.argStack = append(ev.argStack, a)
			ev.spStack = append(ev.spStack, asp)
		}
		args, argSp := ev.argStack[base:], ev.spStack[base:]
		v = ev.callBuiltin(f, args, argSp, sp, nil)
		clear(args)
		ev.argStack, ev.spStack = ev.argStack[:base], ev.spStack[:base]
	case *ast.Symbol:
		v = ev.symValue(ev.intern(n.Name), sp, nil)
	default:
		v, _ = ev.datum(n) // an atom: its datum is its value
	}
	ev.depth--
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

// rebind reuses the uncaptured frame e for a tail call of f.
func (ev *evaluator) rebind(e *env, f *closure, args []value, sp source.Span) *env {
	ev.checkArity(f, args, sp)
	n := len(f.Params)
	clear(e.vals)
	e.syms, e.vals, e.parent = e.syms[:0], e.vals[:0], f.Env
	e.syms = append(e.syms, f.Params...)
	e.vals = append(e.vals, args[:n]...)
	if f.Rest != nil {
		e.syms = append(e.syms, f.Rest)
		e.vals = append(e.vals, listOf(args[n:]...))
	}
	return e
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

// bind creates the environment for a closure call.
func (ev *evaluator) bind(f *closure, args []value, sp source.Span) *env {
	ev.checkArity(f, args, sp)
	n := len(f.Params)
	size := n
	if f.Rest != nil {
		size++
	}
	ne := newEnv(f.Env, size)
	ne.syms = append(ne.syms, f.Params...)
	ne.vals = append(ne.vals, args[:n]...)
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
	// Builtins never retain their *call, so the structs are reused.
	var c *call
	if ev.ncall < len(ev.calls) {
		c = ev.calls[ev.ncall]
	} else {
		c = &call{}
		ev.calls = append(ev.calls, c)
	}
	ev.ncall++
	*c = call{Name: f.Name, Args: args, ArgSp: argSp, Sp: sp, Env: e}
	r := f.Fn(ev, c)
	*c = call{}
	ev.ncall--
	return r
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

// unbound reports an unbound identifier with a did-you-mean suggestion.
func (ev *evaluator) unbound(s *sym, sp source.Span, e *env) {
	msg := fmt.Sprintf("unbound variable: %s", s.Name)
	d := ev.errDiag(sp, "unbound-identifier", msg)
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
	if sug := ev.suggest(s.Name, e); sug != "" {
		d.Message += fmt.Sprintf("; did you mean %s?", sug)
		d.Fixes = append(d.Fixes, diag.Fix{Title: "replace with " + sug, Edits: []diag.Edit{{Span: sp, NewText: sug}}, Guess: true})
	}
	if note := unboundNote(s.Name); note != "" {
		d.Notes = append(d.Notes, note)
	}
	var missing []string
	for _, im := range ev.prof.Imports {
		if !im.Resolved {
			missing = append(missing, strconv.Quote(im.Name))
		}
	}
	if len(missing) > 0 {
		d.Notes = append(d.Notes, fmt.Sprintf("it may be defined by an import that was not found (%s); pass -I DIR with the directory that holds it", strings.Join(missing, ", ")))
	}
	panic(&evalErr{D: d})
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

func (ev *evaluator) suggest(name string, e *env) string {
	cands := globalNames()
	var extra []string
	if strings.ToLower(name) != name {
		// Constants are spelt in capitals: AF_INETT -> AF_INET6.
		extra = append(extra, constantNames()...)
	}
	for n, s := range ev.syms {
		if s.gbound {
			if _, builtin := globalTable()[n]; !builtin {
				extra = append(extra, n)
			}
		}
	}
	for f := e; f != nil; f = f.parent {
		for _, s := range f.syms {
			extra = append(extra, s.Name)
		}
	}
	if len(extra) > 0 {
		sortStrings(extra)
		cands = append(append([]string(nil), cands...), extra...)
	}
	return suggestName(name, cands)
}

// finish runs end-of-profile processing. A missing (version) form is
// reported with the missing-version rule's code, position and wording.
func (ev *evaluator) finish(f *ast.File) {
	for i, r := range ev.prof.Rules {
		r.Index = i
	}
	if !ev.versionSeen && len(ev.prof.Rules) > 0 && !ev.aborted && !isFragment(f) {
		at := source.Span{File: ev.prof.Rules[0].Origin.Primary().File}
		if f != nil && len(f.Forms) > 0 {
			first := f.Forms[0].Span()
			at = source.Span{File: f.Src, Start: first.Start, End: first.Start}
		}
		ev.diags.Add(diag.Diagnostic{Severity: diag.Error, Code: "missing-version", Span: at,
			Message: "profile has no (version 1) form: libsandbox rejects it with \"no version specified\"; add (version 1) as the first form, or mark a fragment that other profiles include with a \"; sbplc:fragment\" comment (or lint it with --fragment)",
			Fixes:   []diag.Fix{{Title: "insert (version 1)", Edits: []diag.Edit{{Span: at, NewText: "(version 1)\n"}}}}})
	}
}

// isFragment reports whether f carries a "; sbplc:fragment" comment line
// (a piece that full profiles include, with no (version) form of its own;
// lint.IsFragment is the same test).
func isFragment(f *ast.File) bool {
	if f == nil {
		return false
	}
	for _, c := range f.Comments {
		if c.Kind != ast.LineComment {
			continue
		}
		t := strings.TrimLeft(c.Text(), "; \t")
		if t == "sbplc:fragment" || strings.HasPrefix(t, "sbplc:fragment ") {
			return true
		}
	}
	return false
}
