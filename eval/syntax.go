package eval

import (
	"github.com/sbplc/sbplc/source"
)

// syntaxFn is the signature of a special form: it returns either a final
// value (tail=false) or an expression to evaluate in its place (tail=true).
type syntaxFn = func(ev *evaluator, form *pair, sp source.Span, e *env) (value, source.Span, *env, bool)

// elems returns the elements of form after the head, with their spans.
func (ev *evaluator) elems(form *pair, sp source.Span) ([]value, []source.Span) {
	var vs []value
	var sps []source.Span
	rest := form.Cdr
	for {
		p, ok := rest.(*pair)
		if !ok {
			if _, isNil := rest.(*nilT); !isNil {
				ev.fail(sp, "syntax-error", "%s: the form is a dotted list: remove the ' . '", showHead(form))
			}
			return vs, sps
		}
		if len(vs) >= ev.lim.ListLen {
			ev.fatal(sp, "eval-limit", "form has more than %d elements", ev.lim.ListLen)
		}
		vs = append(vs, p.Car)
		s := p.CarSp
		if !s.IsValid() {
			s = sp
		}
		sps = append(sps, s)
		rest = p.Cdr
	}
}

func showHead(form *pair) string {
	if s, ok := form.Car.(*sym); ok {
		return s.Name
	}
	return "special"
}

func done(v value) (value, source.Span, *env, bool) { return v, source.Span{}, nil, false }

// restAfter returns the list after the first n elements of form's arguments.
func restAfter(form *pair, n int) value {
	var v value = form.Cdr
	for i := 0; i < n; i++ {
		p, ok := v.(*pair)
		if !ok {
			return theNil
		}
		v = p.Cdr
	}
	return v
}

func firstSpan(body value, dflt source.Span) source.Span {
	if p, ok := body.(*pair); ok && p.CarSp.IsValid() {
		return p.CarSp
	}
	return dflt
}

func synQuote(ev *evaluator, form *pair, sp source.Span, e *env) (value, source.Span, *env, bool) {
	vs, _ := ev.elems(form, sp)
	if len(vs) != 1 {
		ev.fail(sp, "syntax-error", "quote: expected 1 argument, got %d", len(vs))
	}
	return done(vs[0])
}

func synQuasi(ev *evaluator, form *pair, sp source.Span, e *env) (value, source.Span, *env, bool) {
	vs, sps := ev.elems(form, sp)
	if len(vs) != 1 {
		ev.fail(sp, "syntax-error", "quasiquote: expected 1 argument, got %d", len(vs))
	}
	return done(ev.qq(vs[0], sps[0], 1, e, 0))
}

func isForm(v value, name string) (*pair, bool) {
	p, ok := v.(*pair)
	if !ok {
		return nil, false
	}
	s, ok := p.Car.(*sym)
	if !ok || s.Name != name {
		return nil, false
	}
	arg, ok := p.Cdr.(*pair)
	if !ok {
		return nil, false
	}
	if _, ok := arg.Cdr.(*nilT); !ok {
		return nil, false
	}
	return arg, true
}

func (ev *evaluator) qq(x value, sp source.Span, depth int, e *env, nest int) value {
	if nest > 1000 {
		ev.fail(sp, "eval-limit", "quasiquote template is nested too deeply")
	}
	ev.step(sp)
	switch t := x.(type) {
	case *pair:
		if arg, ok := isForm(t, "unquote"); ok {
			asp := arg.CarSp
			if !asp.IsValid() {
				asp = sp
			}
			if depth == 1 {
				return ev.eval(arg.Car, asp, e)
			}
			return &pair{Car: t.Car, CarSp: t.CarSp, Sp: t.Sp, Cdr: &pair{Car: ev.qq(arg.Car, asp, depth-1, e, nest+1), CarSp: arg.CarSp, Cdr: theNil}}
		}
		if arg, ok := isForm(t, "quasiquote"); ok {
			return &pair{Car: t.Car, CarSp: t.CarSp, Sp: t.Sp, Cdr: &pair{Car: ev.qq(arg.Car, arg.CarSp, depth+1, e, nest+1), CarSp: arg.CarSp, Cdr: theNil}}
		}
		var head, last *pair
		appendCell := func(c *pair) {
			if head == nil {
				head = c
			} else {
				last.Cdr = c
			}
			last = c
		}
		var cur value = t
		for {
			p, ok := cur.(*pair)
			if !ok {
				break
			}
			// A dotted unquote: `(a . ,b) reads as (a unquote b).
			if s, ok := p.Car.(*sym); ok && s.Name == "unquote" && depth == 1 {
				if arg, ok := p.Cdr.(*pair); ok {
					if _, ok := arg.Cdr.(*nilT); ok {
						tail := ev.eval(arg.Car, spOr(arg.CarSp, sp), e)
						if last == nil {
							return tail
						}
						last.Cdr = tail
						return head
					}
				}
			}
			csp := spOr(p.CarSp, sp)
			ev.step(csp)
			if arg, ok := isForm(p.Car, "unquote-splicing"); ok && depth == 1 {
				v := ev.eval(arg.Car, spOr(arg.CarSp, csp), e)
				items, ok := listToSlice(v, ev.lim.ListLen)
				if !ok {
					ev.fail(csp, "eval-error", "unquote-splicing: expected a list, got %s", describe(v))
				}
				for _, it := range items {
					appendCell(&pair{Car: it, CarSp: valueSpan(it, csp)})
				}
			} else {
				var v value
				if arg, ok := isForm(p.Car, "unquote"); ok && depth == 1 {
					v = ev.eval(arg.Car, spOr(arg.CarSp, csp), e)
					appendCell(&pair{Car: v, CarSp: valueSpan(v, csp)})
				} else {
					v = ev.qq(p.Car, csp, depth, e, nest+1)
					appendCell(&pair{Car: v, CarSp: p.CarSp})
				}
			}
			cur = p.Cdr
		}
		if head == nil {
			return theNil
		}
		if _, ok := cur.(*nilT); ok {
			last.Cdr = theNil
		} else {
			last.Cdr = ev.qq(cur, sp, depth, e, nest+1)
		}
		head.Sp = t.Sp
		return head
	case *vectorV:
		lst := ev.qq(listOf(t.Elems...), sp, depth, e, nest+1)
		items, _ := listToSlice(lst, ev.lim.ListLen)
		return &vectorV{Elems: items}
	}
	return x
}

func spOr(a, b source.Span) source.Span {
	if a.IsValid() {
		return a
	}
	return b
}

// valueSpan is the source span of a value inserted into a template: its
// own list span when it came from a file, else dflt.
func valueSpan(v value, dflt source.Span) source.Span {
	if p, ok := v.(*pair); ok && p.Sp.IsValid() {
		return p.Sp
	}
	if s, ok := v.(*strV); ok && s.Origin.Span.IsValid() {
		return s.Origin.Span
	}
	return dflt
}

// parseParams reads a lambda parameter list.
func (ev *evaluator) parseParams(ps value, sp source.Span) ([]*sym, *sym) {
	var out []*sym
	for {
		switch p := ps.(type) {
		case *nilT:
			return out, nil
		case *sym:
			return out, p
		case *pair:
			s, ok := p.Car.(*sym)
			if !ok {
				ev.fail(spOr(p.CarSp, sp), "syntax-error", "lambda: parameter must be a symbol, got %s", describe(p.Car))
			}
			out = append(out, s)
			ps = p.Cdr
		default:
			ev.fail(sp, "syntax-error", "lambda: parameters must be a symbol or a list of symbols, as in (lambda (a b . rest) ...)")
		}
	}
}

func (ev *evaluator) makeLambda(name string, params value, body value, sp source.Span, e *env) *closure {
	ps, rest := ev.parseParams(params, sp)
	if _, ok := body.(*pair); !ok {
		// TinyScheme accepts an empty body and returns '(); Apple writes
		// (define (%finalize)) and (define (trace path)) itself.
		body = listOf(&pair{Car: ev.intern("quote"), Cdr: &pair{Car: theNil, Cdr: theNil}})
	}
	return &closure{Name: name, Params: ps, Rest: rest, Body: body, BodySp: sp, Env: e}
}

func synLambda(ev *evaluator, form *pair, sp source.Span, e *env) (value, source.Span, *env, bool) {
	vs, _ := ev.elems(form, sp)
	if len(vs) < 1 {
		ev.fail(sp, "syntax-error", "lambda: expected parameters and a body")
	}
	return done(ev.makeLambda("", vs[0], restAfter(form, 1), sp, e))
}

func synDefine(ev *evaluator, form *pair, sp source.Span, e *env) (value, source.Span, *env, bool) {
	vs, sps := ev.elems(form, sp)
	if len(vs) == 0 {
		ev.fail(sp, "syntax-error", "define: expected a name")
	}
	switch t := vs[0].(type) {
	case *sym:
		var v value = theUnspec
		if len(vs) > 2 {
			ev.fail(sp, "syntax-error", "define: expected 1 value for %s, got %d", t.Name, len(vs)-1)
		}
		if len(vs) == 2 {
			v = ev.eval(vs[1], sps[1], e)
			if c, ok := v.(*closure); ok && c.Name == "" {
				c.Name = t.Name
			}
		}
		e.define(t, v)
		return done(t)
	case *pair:
		name, ok := t.Car.(*sym)
		if !ok {
			ev.fail(sps[0], "syntax-error", "define: expected a name, got %s", describe(t.Car))
		}
		c := ev.makeLambda(name.Name, t.Cdr, restAfter(form, 1), sp, e)
		e.define(name, c)
		return done(name)
	}
	ev.fail(sps[0], "syntax-error", "define: expected a name, got %s", describe(vs[0]))
	return nil, sp, nil, false
}

func synSet(ev *evaluator, form *pair, sp source.Span, e *env) (value, source.Span, *env, bool) {
	vs, sps := ev.elems(form, sp)
	if len(vs) != 2 {
		ev.fail(sp, "syntax-error", "set!: expected a name and a value")
	}
	s, ok := vs[0].(*sym)
	if !ok {
		ev.fail(sps[0], "syntax-error", "set!: expected a name, got %s", describe(vs[0]))
	}
	v := ev.eval(vs[1], sps[1], e)
	if !e.set(s, v) {
		ev.unbound(s, sps[0], e, nil, false)
	}
	return done(theUnspec)
}

func synIf(ev *evaluator, form *pair, sp source.Span, e *env) (value, source.Span, *env, bool) {
	vs, sps := ev.elems(form, sp)
	if len(vs) < 1 || len(vs) > 3 {
		ev.fail(sp, "syntax-error", "if: expected a test, a consequent and an optional alternative")
	}
	// As in TinyScheme, (if c) and a one-armed if whose test fails give
	// '(), which is true.
	if truthy(ev.eval(vs[0], sps[0], e)) {
		if len(vs) > 1 {
			return vs[1], sps[1], e, true
		}
	} else if len(vs) == 3 {
		return vs[2], sps[2], e, true
	}
	return done(theNil)
}

func synBegin(ev *evaluator, form *pair, sp source.Span, e *env) (value, source.Span, *env, bool) {
	if _, ok := form.Cdr.(*pair); !ok {
		return done(theUnspec)
	}
	x, xsp, xe := ev.evalBody(form.Cdr, sp, e)
	return x, xsp, xe, true
}

func synWhen(ev *evaluator, form *pair, sp source.Span, e *env) (value, source.Span, *env, bool) {
	return whenUnless(ev, form, sp, e, true)
}

func synUnless(ev *evaluator, form *pair, sp source.Span, e *env) (value, source.Span, *env, bool) {
	return whenUnless(ev, form, sp, e, false)
}

func whenUnless(ev *evaluator, form *pair, sp source.Span, e *env, want bool) (value, source.Span, *env, bool) {
	vs, sps := ev.elems(form, sp)
	if len(vs) < 1 {
		ev.fail(sp, "syntax-error", "%s: expected a test", showHead(form))
	}
	if truthy(ev.eval(vs[0], sps[0], e)) != want {
		return done(theUnspec)
	}
	body := restAfter(form, 1)
	if _, ok := body.(*pair); !ok {
		return done(theUnspec)
	}
	x, xsp, xe := ev.evalBody(body, sp, e)
	return x, xsp, xe, true
}

func synAnd(ev *evaluator, form *pair, sp source.Span, e *env) (value, source.Span, *env, bool) {
	vs, sps := ev.elems(form, sp)
	if len(vs) == 0 {
		return done(boolV(true))
	}
	for i := 0; i < len(vs)-1; i++ {
		if v := ev.eval(vs[i], sps[i], e); !truthy(v) {
			return done(v)
		}
	}
	return vs[len(vs)-1], sps[len(vs)-1], e, true
}

func synOr(ev *evaluator, form *pair, sp source.Span, e *env) (value, source.Span, *env, bool) {
	vs, sps := ev.elems(form, sp)
	if len(vs) == 0 {
		return done(boolV(false))
	}
	for i := 0; i < len(vs)-1; i++ {
		if v := ev.eval(vs[i], sps[i], e); truthy(v) {
			return done(v)
		}
	}
	return vs[len(vs)-1], sps[len(vs)-1], e, true
}

func synCond(ev *evaluator, form *pair, sp source.Span, e *env) (value, source.Span, *env, bool) {
	vs, sps := ev.elems(form, sp)
	for i, cl := range vs {
		p, ok := cl.(*pair)
		if !ok {
			ev.fail(sps[i], "syntax-error", "cond: each clause must be a list")
		}
		var test value
		if s, ok := p.Car.(*sym); ok && s.Name == "else" {
			test = boolV(true)
		} else {
			test = ev.eval(p.Car, spOr(p.CarSp, sps[i]), e)
		}
		if !truthy(test) {
			continue
		}
		body := p.Cdr
		bp, ok := body.(*pair)
		if !ok {
			return done(test)
		}
		if s, ok := bp.Car.(*sym); ok && s.Name == "=>" {
			nx, ok := bp.Cdr.(*pair)
			if !ok {
				ev.fail(sps[i], "syntax-error", "cond: => needs a procedure")
			}
			fn := ev.eval(nx.Car, spOr(nx.CarSp, sps[i]), e)
			return done(ev.apply(fn, []value{test}, sps[i], e))
		}
		x, xsp, xe := ev.evalBody(body, sps[i], e)
		return x, xsp, xe, true
	}
	return done(theUnspec)
}

func synCase(ev *evaluator, form *pair, sp source.Span, e *env) (value, source.Span, *env, bool) {
	vs, sps := ev.elems(form, sp)
	if len(vs) < 1 {
		ev.fail(sp, "syntax-error", "case: expected a key")
	}
	key := ev.eval(vs[0], sps[0], e)
	for i := 1; i < len(vs); i++ {
		p, ok := vs[i].(*pair)
		if !ok {
			ev.fail(sps[i], "syntax-error", "case: each clause must be a list")
		}
		match := false
		if s, ok := p.Car.(*sym); ok && s.Name == "else" {
			match = true
		} else {
			data, ok := listToSlice(p.Car, ev.lim.ListLen)
			if !ok {
				ev.fail(sps[i], "syntax-error", "case: clause data must be a list")
			}
			for _, d := range data {
				if eqv(key, d) {
					match = true
					break
				}
			}
		}
		if match {
			x, xsp, xe := ev.evalBody(p.Cdr, sps[i], e)
			return x, xsp, xe, true
		}
	}
	return done(theUnspec)
}

type binding struct {
	s   *sym
	x   value
	sp  source.Span
	stp value // do: step expression
}

func (ev *evaluator) bindings(v value, sp source.Span, who string) []binding {
	items, ok := listToSlice(v, ev.lim.ListLen)
	if !ok {
		ev.fail(sp, "syntax-error", "%s: bindings must be a list of (name value) pairs, as in (%s ((x 1)) ...)", who, who)
	}
	out := make([]binding, 0, len(items))
	for _, it := range items {
		p, ok := it.(*pair)
		if !ok {
			if s, ok := it.(*sym); ok {
				out = append(out, binding{s: s, x: theUnspec, sp: sp})
				continue
			}
			ev.fail(sp, "syntax-error", "%s: each binding must be (name value)", who)
		}
		s, ok := p.Car.(*sym)
		if !ok {
			ev.fail(spOr(p.CarSp, sp), "syntax-error", "%s: binding name must be a symbol, got %s", who, describe(p.Car))
		}
		b := binding{s: s, x: theUnspec, sp: spOr(p.Sp, sp)}
		if rest, ok := p.Cdr.(*pair); ok {
			b.x, b.sp = rest.Car, spOr(rest.CarSp, b.sp)
			if st, ok := rest.Cdr.(*pair); ok {
				b.stp = st.Car
			}
		}
		out = append(out, b)
	}
	return out
}

func synLet(ev *evaluator, form *pair, sp source.Span, e *env) (value, source.Span, *env, bool) {
	vs, sps := ev.elems(form, sp)
	if len(vs) < 2 {
		ev.fail(sp, "syntax-error", "let: expected bindings and a body")
	}
	if name, ok := vs[0].(*sym); ok {
		// Named let.
		if len(vs) < 3 {
			ev.fail(sp, "syntax-error", "let: expected bindings and a body")
		}
		bs := ev.bindings(vs[1], sps[1], "let")
		params := make([]value, len(bs))
		args := make([]value, len(bs))
		for i, b := range bs {
			params[i] = b.s
			args[i] = ev.eval(b.x, b.sp, e)
		}
		loopEnv := &env{parent: e}
		c := ev.makeLambda(name.Name, listOf(params...), restAfter(form, 2), sp, loopEnv)
		loopEnv.define(name, c)
		ne := ev.bind(c, args, sp)
		x, xsp, xe := ev.evalBody(c.Body, sp, ne)
		return x, xsp, xe, true
	}
	bs := ev.bindings(vs[0], sps[0], "let")
	ne := newEnv(e, len(bs))
	for _, b := range bs {
		v := ev.eval(b.x, b.sp, e)
		ne.syms = append(ne.syms, b.s)
		ne.vals = append(ne.vals, v)
	}
	x, xsp, xe := ev.evalBody(restAfter(form, 1), sp, ne)
	return x, xsp, xe, true
}

func synLetStar(ev *evaluator, form *pair, sp source.Span, e *env) (value, source.Span, *env, bool) {
	vs, sps := ev.elems(form, sp)
	if len(vs) < 2 {
		ev.fail(sp, "syntax-error", "let*: expected bindings and a body")
	}
	bs := ev.bindings(vs[0], sps[0], "let*")
	cur := e
	for _, b := range bs {
		v := ev.eval(b.x, b.sp, cur)
		cur = newEnv(cur, 1)
		cur.syms, cur.vals = append(cur.syms, b.s), append(cur.vals, v)
	}
	ne := newEnv(cur, 0)
	x, xsp, xe := ev.evalBody(restAfter(form, 1), sp, ne)
	return x, xsp, xe, true
}

func synLetrec(ev *evaluator, form *pair, sp source.Span, e *env) (value, source.Span, *env, bool) {
	vs, sps := ev.elems(form, sp)
	if len(vs) < 2 {
		ev.fail(sp, "syntax-error", "%s: expected bindings and a body", showHead(form))
	}
	bs := ev.bindings(vs[0], sps[0], showHead(form))
	ne := &env{parent: e}
	for _, b := range bs {
		ne.define(b.s, theUnspec)
	}
	for _, b := range bs {
		v := ev.eval(b.x, b.sp, ne)
		if c, ok := v.(*closure); ok && c.Name == "" {
			c.Name = b.s.Name
		}
		ne.set(b.s, v)
	}
	x, xsp, xe := ev.evalBody(restAfter(form, 1), sp, ne)
	return x, xsp, xe, true
}

func synDo(ev *evaluator, form *pair, sp source.Span, e *env) (value, source.Span, *env, bool) {
	vs, sps := ev.elems(form, sp)
	if len(vs) < 2 {
		ev.fail(sp, "syntax-error", "do: expected bindings and a test clause")
	}
	bs := ev.bindings(vs[0], sps[0], "do")
	ne := &env{parent: e}
	for _, b := range bs {
		ne.define(b.s, ev.eval(b.x, b.sp, e))
	}
	test, ok := vs[1].(*pair)
	if !ok {
		ev.fail(sps[1], "syntax-error", "do: the test clause must be a list (test result...)")
	}
	body := restAfter(form, 2)
	for {
		if truthy(ev.eval(test.Car, spOr(test.CarSp, sps[1]), ne)) {
			if _, ok := test.Cdr.(*pair); !ok {
				return done(theUnspec)
			}
			x, xsp, xe := ev.evalBody(test.Cdr, sps[1], ne)
			return x, xsp, xe, true
		}
		if _, ok := body.(*pair); ok {
			x, xsp, xe := ev.evalBody(body, sp, ne)
			ev.eval(x, xsp, xe)
		}
		next := &env{parent: e}
		for _, b := range bs {
			v, _ := ne.lookup(b.s)
			if b.stp != nil {
				v = ev.eval(b.stp, b.sp, ne)
			}
			next.define(b.s, v)
		}
		ne = next
	}
}

// synMacro is TinyScheme's (macro (name form) body...) and (macro name
// proc): the transformer receives the whole form.
func synMacro(ev *evaluator, form *pair, sp source.Span, e *env) (value, source.Span, *env, bool) {
	return ev.macroForm(form, sp, e, "macro", "(macro (name form) body...)", true)
}

// synDefineMacro is (define-macro (name . args) body...): the transformer
// receives the arguments.
func synDefineMacro(ev *evaluator, form *pair, sp source.Span, e *env) (value, source.Span, *env, bool) {
	return ev.macroForm(form, sp, e, "define-macro", "(define-macro (name args...) body...)", false)
}

// macroForm defines a macro from (WHO (name . params) body...) or (WHO
// name proc); whole says whether the transformer gets the whole form.
func (ev *evaluator) macroForm(form *pair, sp source.Span, e *env, who, shape string, whole bool) (value, source.Span, *env, bool) {
	vs, sps := ev.elems(form, sp)
	if len(vs) < 2 {
		ev.fail(sp, "syntax-error", "%s: expected %s", who, shape)
	}
	switch t := vs[0].(type) {
	case *pair:
		name, ok := t.Car.(*sym)
		if !ok {
			ev.fail(sps[0], "syntax-error", "%s: expected a name", who)
		}
		c := ev.makeLambda(name.Name, t.Cdr, restAfter(form, 1), sp, e)
		e.define(name, &macroV{Name: name.Name, Proc: c, Whole: whole})
		return done(name)
	case *sym:
		p := ev.eval(vs[1], sps[1], e)
		if !isProc(p) {
			ev.fail(sps[1], "syntax-error", "%s: expected a procedure, got %s", who, describe(p))
		}
		e.define(t, &macroV{Name: t.Name, Proc: p, Whole: whole})
		return done(t)
	}
	ev.fail(sps[0], "syntax-error", "%s: expected a name", who)
	return nil, sp, nil, false
}

func isProc(v value) bool {
	switch v.(type) {
	case *closure, *builtin:
		return true
	}
	return false
}

// synDelay makes a promise (a closure of no arguments forced once).
func synDelay(ev *evaluator, form *pair, sp source.Span, e *env) (value, source.Span, *env, bool) {
	vs, _ := ev.elems(form, sp)
	if len(vs) != 1 {
		ev.fail(sp, "syntax-error", "delay: expected 1 expression")
	}
	return done(&closure{Name: "promise", Body: form.Cdr, BodySp: sp, Env: e})
}
