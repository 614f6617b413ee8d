package eval

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/parser"
	"github.com/sbplc/sbplc/source"
)

// Argument helpers. Each reports a positioned error naming the builtin.

func (c *call) bad(ev *evaluator, i int, want string) {
	msg := fmt.Sprintf("%s: argument %d must be %s, got %s %s", c.Name, i+1, want, typeName(c.Args[i]), showValue(c.Args[i]))
	if pf, ok := c.Args[i].(*paramFalse); ok {
		d := ev.errDiag(c.sp(i), "type-error", msg)
		d.Notes = append(d.Notes, paramFalseNote(pf))
		ev.abort(&Generic{problem{d}})
	}
	ev.fail(c.sp(i), "type-error", "%s", msg)
}

func (c *call) str(ev *evaluator, i int) *strV {
	s, ok := c.Args[i].(*strV)
	if !ok {
		c.bad(ev, i, "a string")
	}
	return s
}

func (c *call) sym(ev *evaluator, i int) *sym {
	s, ok := c.Args[i].(*sym)
	if !ok {
		c.bad(ev, i, "a symbol")
	}
	return s
}

func (c *call) integer(ev *evaluator, i int) int64 {
	switch n := c.Args[i].(type) {
	case intV:
		return int64(n)
	case realV:
		if float64(n) == math.Trunc(float64(n)) && math.Abs(float64(n)) < 1<<62 {
			return int64(n)
		}
	}
	c.bad(ev, i, "an integer")
	return 0
}

func (c *call) list(ev *evaluator, i int) []value {
	vs, ok := listToSlice(c.Args[i], ev.lim.ListLen)
	if !ok {
		switch shape := listShape(c.Args[i]); {
		case shape == "a circular list":
			ev.fail(c.sp(i), "type-error", "%s: argument %d must be a proper list, got a circular list", c.Name, i+1)
		case shape != "":
			ev.fail(c.sp(i), "type-error", "%s: argument %d must be a proper list, got %s %s", c.Name, i+1, shape, showValue(c.Args[i]))
		case len(vs) >= ev.lim.ListLen:
			ev.fatal(c.sp(i), "eval-limit", "%s: argument %d exceeds the list length limit (%d elements)", c.Name, i+1, ev.lim.ListLen)
		}
		c.bad(ev, i, "a list")
	}
	ev.charge(c.Sp, len(vs))
	return vs
}

func (c *call) proc(ev *evaluator, i int) value {
	if !isProc(c.Args[i]) {
		c.bad(ev, i, "a procedure")
	}
	return c.Args[i]
}

func (ev *evaluator) checkLen(n int, sp source.Span) {
	if n > ev.lim.ListLen {
		ev.fatal(sp, "eval-limit", "list exceeds the length limit (%d elements)", ev.lim.ListLen)
	}
}

func (ev *evaluator) newStr(s string, sp source.Span) *strV {
	ev.charge(sp, len(s)/16)
	if len(s) > ev.lim.StringLen {
		ev.fatal(sp, "eval-limit", "string exceeds the size limit (%d bytes)", ev.lim.StringLen)
	}
	return &strV{S: s, Origin: ev.origin(sp)}
}

// Equality.

func eqv(a, b value) bool {
	if _, ok := a.(*paramFalse); ok {
		a = boolV(false)
	}
	if _, ok := b.(*paramFalse); ok {
		b = boolV(false)
	}
	switch x := a.(type) {
	case intV:
		y, ok := b.(intV)
		return ok && x == y
	case realV:
		y, ok := b.(realV)
		return ok && x == y
	case boolV:
		y, ok := b.(boolV)
		return ok && x == y
	case charV:
		y, ok := b.(charV)
		return ok && x == y
	case *nilT:
		_, ok := b.(*nilT)
		return ok
	case *opV:
		y, ok := b.(*opV)
		return ok && x.Name == y.Name
	case *strV:
		// TinyScheme compares string atoms by identity; literals that read
		// the same are distinct. Treat identical text as eqv for symbolic
		// analysis of (eq? x "") checks.
		y, ok := b.(*strV)
		return ok && (x == y || (x.S == "" && y.S == ""))
	case *modNameV:
		y, ok := b.(*modNameV)
		return ok && x.Name == y.Name
	}
	return a == b
}

// Limits of one equal? comparison: nodes visited and car-nesting depth.
const (
	maxEqualNodes = 1 << 22
	maxEqualDepth = 10_000
)

// equalState counts the work of one equal? comparison.
type equalState struct {
	n    int
	over bool // a limit was hit: the result is unknown
}

// equalCharged is equal? with its work charged to the step budget; a
// comparison too large or too deep to finish is a positioned error, never
// a silent #f.
func equalCharged(ev *evaluator, sp source.Span, a, b value) bool {
	var st equalState
	r := equalN(a, b, 0, &st)
	if st.over {
		ev.fail(sp, "eval-limit", "equal?: the values are too large or too deeply nested to compare (limits: %d nodes, %d levels)", maxEqualNodes, maxEqualDepth)
	}
	ev.charge(sp, st.n)
	return r
}

func equalN(a, b value, depth int, st *equalState) bool {
	st.n++
	if st.n > maxEqualNodes || depth > maxEqualDepth {
		st.over = true
		return false
	}
	if a == b {
		return true
	}
	switch x := a.(type) {
	case *pair:
		y, ok := b.(*pair)
		if !ok {
			return false
		}
		// The spine is walked iteratively: only nesting through cars
		// deepens the recursion.
		for {
			if !equalN(x.Car, y.Car, depth+1, st) {
				return false
			}
			xn, ok1 := x.Cdr.(*pair)
			yn, ok2 := y.Cdr.(*pair)
			if !ok1 || !ok2 {
				return equalN(x.Cdr, y.Cdr, depth+1, st)
			}
			if xn == yn {
				return true
			}
			x, y = xn, yn
			st.n++
			if st.n > maxEqualNodes {
				st.over = true
				return false
			}
		}
	case *strV:
		y, ok := b.(*strV)
		return ok && x.S == y.S
	case *vectorV:
		y, ok := b.(*vectorV)
		if !ok || len(x.Elems) != len(y.Elems) {
			return false
		}
		for i := range x.Elems {
			if !equalN(x.Elems[i], y.Elems[i], depth+1, st) {
				return false
			}
		}
		return true
	case *filterV:
		y, ok := b.(*filterV)
		return ok && (x.N == y.N || filterKey(x.N) == filterKey(y.N))
	}
	return eqv(a, b)
}

// Numbers.

func num(ev *evaluator, c *call, i int) (int64, float64, bool) {
	switch n := c.Args[i].(type) {
	case intV:
		return int64(n), float64(n), false
	case realV:
		return 0, float64(n), true
	}
	c.bad(ev, i, "a number")
	return 0, 0, false
}

func arith(op byte) func(ev *evaluator, c *call) value {
	return func(ev *evaluator, c *call) value {
		var acc int64
		var facc float64
		isReal := false
		if len(c.Args) == 0 {
			if op == '*' {
				return intV(1)
			}
			return intV(0)
		}
		for i := range c.Args {
			n, f, r := num(ev, c, i)
			if r && !isReal {
				isReal, facc = true, float64(acc)
			}
			if i == 0 {
				acc, facc = n, f
				if len(c.Args) == 1 {
					switch op {
					case '-':
						acc, facc = -n, -f
					case '/':
						if f == 0 {
							ev.fail(c.sp(0), "eval-error", "/: division by zero")
						}
						if !r && n != 0 && 1%n == 0 {
							acc = 1 / n
						} else {
							isReal, facc = true, 1/f
						}
					}
				}
				continue
			}
			switch op {
			case '+':
				acc += n
				facc += f
			case '-':
				acc -= n
				facc -= f
			case '*':
				acc *= n
				facc *= f
			case '/':
				if f == 0 {
					ev.fail(c.sp(i), "eval-error", "/: division by zero")
				}
				if !isReal && acc%n == 0 {
					acc /= n
				} else {
					if !isReal {
						isReal, facc = true, float64(acc)
					}
					facc /= f
				}
			}
		}
		if isReal {
			return realV(facc)
		}
		return intV(acc)
	}
}

func compare(ok func(a, b float64) bool) func(ev *evaluator, c *call) value {
	return func(ev *evaluator, c *call) value {
		res := true
		for i := 0; i+1 < len(c.Args); i++ {
			_, a, _ := num(ev, c, i)
			_, b, _ := num(ev, c, i+1)
			if !ok(a, b) {
				res = false
			}
		}
		if len(c.Args) == 1 {
			num(ev, c, 0)
		}
		return boolV(res)
	}
}

func intOp(f func(a, b int64) int64) func(ev *evaluator, c *call) value {
	return func(ev *evaluator, c *call) value {
		a, b := c.integer(ev, 0), c.integer(ev, 1)
		if b == 0 {
			ev.fail(c.sp(1), "eval-error", "%s: division by zero", c.Name)
		}
		return intV(f(a, b))
	}
}

// Strings.

func strCmp(ci bool, ok func(int) bool) func(ev *evaluator, c *call) value {
	return func(ev *evaluator, c *call) value {
		for i := 0; i+1 < len(c.Args); i++ {
			a, b := c.str(ev, i).S, c.str(ev, i+1).S
			if ci {
				a, b = strings.ToLower(a), strings.ToLower(b)
			}
			if !ok(strings.Compare(a, b)) {
				return boolV(false)
			}
		}
		return boolV(true)
	}
}

func biStringAppend(ev *evaluator, c *call) value {
	var b strings.Builder
	raw := len(c.Args) > 0
	var params, from []string
	var porig *ir.Origin
	for i := range c.Args {
		s := c.str(ev, i)
		b.WriteString(s.S)
		if len(s.From) > 0 {
			from = mergeParams(from, s.From)
		}
		if b.Len() > ev.lim.StringLen {
			ev.fatal(c.Sp, "eval-limit", "string exceeds the size limit (%d bytes)", ev.lim.StringLen)
		}
		raw = raw && s.Raw
		if len(s.Params) > 0 {
			params = mergeParams(params, s.Params)
			if porig == nil {
				o := s.Origin
				porig = &o
			}
		}
	}
	ev.charge(c.Sp, b.Len()/16)
	out := &strV{S: b.String(), Raw: raw, Params: params, From: from}
	if porig != nil {
		out.Origin = *porig
	} else {
		out.Origin = ev.origin(c.Sp)
	}
	return out
}

func mergeParams(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, p := range b {
		found := false
		for _, q := range out {
			if q == p {
				found = true
			}
		}
		if !found {
			out = append(out, p)
		}
	}
	return out
}

// derived keeps the params and origin of s for a string computed from it.
func derived(ev *evaluator, s *strV, text string, sp source.Span) *strV {
	out := ev.newStr(text, sp)
	out.From = s.From
	if len(s.Params) > 0 {
		out.Params = s.Params
		out.Origin = s.Origin
	}
	return out
}

func biSubstring(ev *evaluator, c *call) value {
	s := c.str(ev, 0)
	start := int(c.integer(ev, 1))
	end := len(s.S)
	if len(c.Args) > 2 {
		end = int(c.integer(ev, 2))
	}
	if start < 0 || start > len(s.S) {
		ev.fail(c.sp(1), "eval-error", "substring: start %d is out of range for a string of length %d", start, len(s.S))
	}
	if end < start || end > len(s.S) {
		ev.fail(c.sp(len(c.Args)-1), "eval-error", "substring: end %d is out of range (start %d, length %d)", end, start, len(s.S))
	}
	return derived(ev, s, s.S[start:end], c.Sp)
}

func biNumberToString(ev *evaluator, c *call) value {
	base := 10
	if len(c.Args) > 1 {
		base = int(c.integer(ev, 1))
		if base != 2 && base != 8 && base != 10 && base != 16 {
			ev.fail(c.sp(1), "eval-error", "number->string: radix must be 2, 8, 10 or 16")
		}
	}
	switch n := c.Args[0].(type) {
	case intV:
		return ev.newStr(strconv.FormatInt(int64(n), base), c.Sp)
	case realV:
		return ev.newStr(strconv.FormatFloat(float64(n), 'g', -1, 64), c.Sp)
	}
	c.bad(ev, 0, "a number")
	return nil
}

func biStringToNumber(ev *evaluator, c *call) value {
	sv := c.str(ev, 0)
	s := sv.S
	if len(sv.Params) > 0 {
		for _, p := range sv.Params {
			key := "number:" + p
			if ev.paramWarned[key] {
				continue
			}
			ev.paramWarned[key] = true
			// One warning per param: the number is a note on the first.
			note := fmt.Sprintf("string->number of its placeholder is analysed as 0; pass -D %s=NUMBER for the real value", p)
			if up, ok := ev.paramProblem[p]; ok {
				up.d.Notes = append(up.d.Notes, note)
				up.d.Related = append(up.d.Related, rel(ev.origin(c.Sp).Primary(), "converted to a number here"))
			} else {
				d := ev.warnDiag(c.Sp, "unbound-param", "param %q is not set, so this number is unknown; analysing it as 0 (pass -D %s=NUMBER)", p, p)
				ev.add(&UnboundParam{problem: problem{d}, Name: p, At: c.Sp, Strict: ev.opts.StrictParams})
			}
		}
		return intV(0)
	}
	base := 10
	if len(c.Args) > 1 {
		base = int(c.integer(ev, 1))
	}
	if n, err := strconv.ParseInt(s, base, 64); err == nil {
		return intV(n)
	}
	if base == 10 {
		if f, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "xXpP_") {
			return realV(f)
		}
	}
	return boolV(false)
}

// Lists.

func biAppend(ev *evaluator, c *call) value {
	if len(c.Args) == 0 {
		return theNil
	}
	var out []value
	for i := 0; i < len(c.Args)-1; i++ {
		out = append(out, c.list(ev, i)...)
		ev.checkLen(len(out), c.Sp)
	}
	res := c.Args[len(c.Args)-1]
	for i := len(out) - 1; i >= 0; i-- {
		res = cons(out[i], res)
	}
	return res
}

func cxr(path string) func(ev *evaluator, c *call) value {
	return func(ev *evaluator, c *call) value {
		v := c.Args[0]
		for i := len(path) - 1; i >= 0; i-- {
			p, ok := v.(*pair)
			if !ok {
				part := map[byte]string{'a': "car", 'd': "cdr"}[path[i]]
				if i == len(path)-1 {
					ev.fail(c.sp(0), "type-error", "%s: %s has no %s", c.Name, showValue(c.Args[0]), part)
				}
				// (cadr '(1)): say which step failed, not that (1) has no car.
				ev.fail(c.sp(0), "type-error", "%s: %s is too short or not nested enough: its c%sr is %s, which has no %s", c.Name, showValue(c.Args[0]), path[i+1:], showValue(v), part)
			}
			if path[i] == 'a' {
				v = p.Car
			} else {
				v = p.Cdr
			}
		}
		return v
	}
}

// eqvIn is eqv with the signature of equalCharged.
func eqvIn(_ *evaluator, _ source.Span, a, b value) bool { return eqv(a, b) }

func member(cmp func(ev *evaluator, sp source.Span, a, b value) bool) func(ev *evaluator, c *call) value {
	return func(ev *evaluator, c *call) value {
		v := c.Args[1]
		for n := 0; ; n++ {
			p, ok := v.(*pair)
			if !ok {
				if _, isNil := v.(*nilT); !isNil {
					c.list(ev, 1) // reports what is wrong with the list
				}
				return boolV(false)
			}
			if n > ev.lim.ListLen {
				c.list(ev, 1)
			}
			if n&63 == 63 {
				ev.charge(c.Sp, 64)
			}
			if cmp(ev, c.Sp, c.Args[0], p.Car) {
				return p
			}
			v = p.Cdr
		}
	}
}

func assoc(cmp func(ev *evaluator, sp source.Span, a, b value) bool) func(ev *evaluator, c *call) value {
	return func(ev *evaluator, c *call) value {
		ev.noteEntitlementLookup(c)
		for _, it := range c.list(ev, 1) {
			if p, ok := it.(*pair); ok && cmp(ev, c.Sp, c.Args[0], p.Car) {
				return p
			}
		}
		return boolV(false)
	}
}

func biMap(ev *evaluator, c *call) value {
	fn := c.proc(ev, 0)
	lists := make([][]value, len(c.Args)-1)
	n := -1
	for i := range lists {
		lists[i] = c.list(ev, i+1)
		if n < 0 || len(lists[i]) < n {
			n = len(lists[i])
		}
	}
	out := make([]value, n)
	for k := 0; k < n; k++ {
		args := make([]value, len(lists))
		for i := range lists {
			args[i] = lists[i][k]
		}
		out[k] = ev.apply(fn, args, c.Sp, c.Env)
	}
	return listOf(out...)
}

func biForEach(ev *evaluator, c *call) value {
	fn := c.proc(ev, 0)
	lists := make([][]value, len(c.Args)-1)
	n := -1
	for i := range lists {
		lists[i] = c.list(ev, i+1)
		if n < 0 || len(lists[i]) < n {
			n = len(lists[i])
		}
	}
	for k := 0; k < n; k++ {
		args := make([]value, len(lists))
		for i := range lists {
			args[i] = lists[i][k]
		}
		ev.apply(fn, args, c.Sp, c.Env)
	}
	return theUnspec
}

func biApply(ev *evaluator, c *call) value {
	fn := c.Args[0]
	var args []value
	if len(c.Args) > 1 {
		args = append(args, c.Args[1:len(c.Args)-1]...)
		args = append(args, c.list(ev, len(c.Args)-1)...)
	}
	return ev.apply(fn, args, c.Sp, c.Env)
}

func biFilter(ev *evaluator, c *call) value {
	fn := c.proc(ev, 0)
	var out []value
	for _, x := range c.list(ev, 1) {
		if truthy(ev.apply(fn, []value{x}, c.Sp, c.Env)) {
			out = append(out, x)
		}
	}
	return listOf(out...)
}

func biFoldr(ev *evaluator, c *call) value {
	fn := c.proc(ev, 0)
	acc := c.Args[1]
	xs := c.list(ev, 2)
	for i := len(xs) - 1; i >= 0; i-- {
		acc = ev.apply(fn, []value{xs[i], acc}, c.Sp, c.Env)
	}
	return acc
}

func biFlatten(ev *evaluator, c *call) value {
	var out []value
	var walk func(v value, d int)
	walk = func(v value, d int) {
		if d > 1000 {
			ev.fail(c.Sp, "eval-limit", "flatten: list is nested too deeply")
		}
		for {
			switch p := v.(type) {
			case *pair:
				if _, ok := p.Car.(*pair); ok {
					walk(p.Car, d+1)
				} else if _, ok := p.Car.(*nilT); !ok {
					out = append(out, p.Car)
				}
				ev.checkLen(len(out), c.Sp)
				v = p.Cdr
				continue
			case *nilT:
			default:
				out = append(out, v)
			}
			return
		}
	}
	walk(c.Args[0], 0)
	return listOf(out...)
}

func biListTail(ev *evaluator, c *call) value {
	v := c.Args[0]
	k := c.integer(ev, 1)
	if k < 0 {
		ev.fail(c.sp(1), "eval-error", "%s: index %d is out of range: indexes start at 0", c.Name, k)
	}
	if k > int64(ev.lim.ListLen) {
		ev.fail(c.sp(1), "eval-error", "%s: index %d is out of range (lists hold at most %d elements)", c.Name, k, ev.lim.ListLen)
	}
	ev.charge(c.Sp, int(k)/16)
	for i := int64(0); i < k; i++ {
		p, ok := v.(*pair)
		if !ok {
			ev.fail(c.sp(1), "eval-error", "%s: index %d is out of range (the list has %d element%s)", c.Name, k, i, plural(int(i)))
		}
		v = p.Cdr
	}
	return v
}

func biListRef(ev *evaluator, c *call) value {
	v := biListTail(ev, c)
	p, ok := v.(*pair)
	if !ok {
		k := c.integer(ev, 1)
		ev.fail(c.sp(1), "eval-error", "list-ref: index %d is out of range (the list has %d element%s)", k, k, plural(int(k)))
	}
	return p.Car
}

// read / eval / ports.

func biOpenInputString(ev *evaluator, c *call) value {
	s := c.str(ev, 0)
	name := "<string>"
	if s.Origin.Span.IsValid() {
		name = s.Origin.Span.String() + " (string)"
	}
	return &portV{Text: s.S, File: source.NewFile(name, []byte(s.S))}
}

func biRead(ev *evaluator, c *call) value {
	var p *portV
	if len(c.Args) == 0 {
		return theEOF
	}
	p, ok := c.Args[0].(*portV)
	if !ok {
		c.bad(ev, 0, "an input port")
	}
	if !p.Done {
		f, ds := parser.Parse(p.File)
		if ds.HasErrors() {
			ev.fail(c.Sp, "eval-error", "read: cannot read %q: %s", truncate(p.Text, 40), ds[0].Message)
		}
		p.Forms, p.Done = f.Forms, true
	}
	if p.Pos >= len(p.Forms) {
		return theEOF
	}
	n := p.Forms[p.Pos]
	p.Pos++
	v, _ := ev.datum(n)
	return stripSpans(v, c.Sp, 0)
}

// stripSpans replaces the spans of a datum read from a string (they point
// into a synthetic file) with sp.
func stripSpans(v value, sp source.Span, d int) value {
	p, ok := v.(*pair)
	if !ok || d > 1000 {
		if s, ok := v.(*strV); ok {
			s.Origin = ir.Origin{Span: sp}
		}
		return v
	}
	for c := p; c != nil; {
		c.CarSp, c.Sp = sp, source.Span{}
		c.Car = stripSpans(c.Car, sp, d+1)
		n, ok := c.Cdr.(*pair)
		if !ok {
			break
		}
		c = n
	}
	return p
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

func biEval(ev *evaluator, c *call) value {
	var e *env
	if len(c.Args) > 1 {
		if ee, ok := c.Args[1].(*envV); ok {
			e = ee.E
		}
	}
	return ev.eval(c.Args[0], c.Sp, e)
}

func biError(ev *evaluator, c *call) value {
	var b strings.Builder
	for i, a := range c.Args {
		if i > 0 {
			b.WriteByte(' ')
		}
		writeValue(&b, a, i == 0, 0)
	}
	msg := truncate(b.String(), 300)
	if strings.TrimSpace(msg) == "" {
		msg = "error called without a message"
	}
	ev.fail(c.Sp, "scheme-error", "%s", msg)
	return nil
}

func biDisplay(ev *evaluator, c *call) value {
	ev.charge(c.Sp, 16)
	if ev.output.Len() < 1<<16 {
		writeValue(&ev.output, c.Args[0], c.Name == "display", 0)
	}
	return theUnspec
}

func biDefined(ev *evaluator, c *call) value {
	s := c.sym(ev, 0)
	_, ok := c.Env.lookup(s)
	if len(c.Args) > 1 {
		if ee, ok2 := c.Args[1].(*envV); ok2 {
			_, ok = ee.E.lookup(s)
		}
	}
	return boolV(ok)
}

func biGensym(ev *evaluator, c *call) value {
	ev.gensym++
	return ev.intern("gensym-" + strconv.Itoa(ev.gensym))
}

// globalTable is the initial global environment: special forms, the
// Scheme library and the SBPL vocabulary. It is built once, on first use,
// and shared; its values are immutable.
var (
	globalOnce sync.Once
	globalMap  map[string]value
	namesOnce  sync.Once
	namesList  []string
)

func globalTable() map[string]value {
	globalOnce.Do(func() { globalMap = newGlobals() })
	return globalMap
}

// newGlobals builds the global environment from the tables: special forms,
// then the Scheme library, then the SBPL vocabulary (whose operations and
// filters win over a library name).
func newGlobals() map[string]value {
	t := make(map[string]value, 2048)
	for _, f := range specialForms() {
		t[f.Name] = f
	}
	for _, b := range schemeLibrary() {
		t[b.Name] = b
	}
	for alias, name := range libraryAliases {
		t[alias] = t[name]
	}
	addSBPL(t)
	return t
}

// specialForms are the forms whose arguments are not evaluated first.
func specialForms() []*syntaxV {
	return []*syntaxV{
		{"quote", synQuote},
		{"quasiquote", synQuasi},
		{"lambda", synLambda},
		{"define", synDefine},
		{"set!", synSet},
		{"if", synIf},
		{"begin", synBegin},
		{"when", synWhen},
		{"unless", synUnless},
		{"and", synAnd},
		{"or", synOr},
		{"cond", synCond},
		{"case", synCase},
		{"let", synLet},
		{"let*", synLetStar},
		{"letrec", synLetrec},
		{"letrec*", synLetrec},
		{"do", synDo},
		{"macro", synMacro},
		{"define-macro", synDefineMacro},
		{"delay", synDelay},
	}
}

// libraryAliases bind a second name to a library procedure (which keeps
// its own name in messages).
var libraryAliases = map[string]string{
	"real?":       "number?",
	"rational?":   "number?",
	"complex?":    "number?",
	"input-port?": "port?",
}

// schemeLibrary is the part of TinyScheme's library that profiles use:
// name, arity (Max -1: variadic) and implementation.
func schemeLibrary() []*builtin {
	return []*builtin{
		// Lists.
		{"cons", 2, 2, biCons},
		{"list", 0, -1, biList},
		{"list*", 1, -1, biListStar},
		{"car", 1, 1, cxr("a")},
		{"cdr", 1, 1, cxr("d")},
		{"caar", 1, 1, cxr("aa")},
		{"cadr", 1, 1, cxr("ad")},
		{"cdar", 1, 1, cxr("da")},
		{"cddr", 1, 1, cxr("dd")},
		{"caaar", 1, 1, cxr("aaa")},
		{"caadr", 1, 1, cxr("aad")},
		{"cadar", 1, 1, cxr("ada")},
		{"caddr", 1, 1, cxr("add")},
		{"cdaar", 1, 1, cxr("daa")},
		{"cdadr", 1, 1, cxr("dad")},
		{"cddar", 1, 1, cxr("dda")},
		{"cdddr", 1, 1, cxr("ddd")},
		{"cadddr", 1, 1, cxr("addd")},
		{"cddddr", 1, 1, cxr("dddd")},
		{"set-car!", 2, 2, biSetCar},
		{"set-cdr!", 2, 2, biSetCdr},
		{"append", 0, -1, biAppend},
		{"reverse", 1, 1, biReverse},
		{"length", 1, 1, biLength},
		{"list-tail", 2, 2, biListTail},
		{"list-ref", 2, 2, biListRef},
		{"last-pair", 1, 1, biLastPair},
		{"memq", 2, 2, member(eqvIn)},
		{"memv", 2, 2, member(eqvIn)},
		{"member", 2, 2, member(equalCharged)},
		{"assq", 2, 2, assoc(eqvIn)},
		{"assv", 2, 2, assoc(eqvIn)},
		{"assoc", 2, 2, assoc(equalCharged)},
		{"map", 2, -1, biMap},
		{"for-each", 2, -1, biForEach},
		{"apply", 1, -1, biApply},
		{"filter", 2, 2, biFilter},
		{"foldr", 3, 3, biFoldr},
		{"flatten", 1, 1, biFlatten},
		{"null?", 1, 1, pred(isNull)},
		{"pair?", 1, 1, pred(isPair)},
		{"list?", 1, 1, pred(isList)},
		{"vector", 0, -1, biVector},
		{"vector?", 1, 1, pred(isVector)},
		{"vector->list", 1, 1, biVectorToList},
		{"list->vector", 1, 1, biListToVector},
		{"vector-length", 1, 1, biVectorLength},
		{"vector-ref", 2, 2, biVectorRef},

		// Predicates and equality.
		{"not", 1, 1, biNot},
		{"eq?", 2, 2, biEqv},
		{"eqv?", 2, 2, biEqv},
		{"equal?", 2, 2, biEqual},
		{"boolean?", 1, 1, pred(isBoolean)},
		{"symbol?", 1, 1, pred(isSymbol)},
		{"string?", 1, 1, pred(isString)},
		{"char?", 1, 1, pred(isChar)},
		{"number?", 1, 1, pred(isNumber)},
		{"integer?", 1, 1, pred(isInteger)},
		{"exact?", 1, 1, pred(isExact)},
		{"inexact?", 1, 1, pred(isInexact)},
		{"procedure?", 1, 1, pred(isProc)},
		{"closure?", 1, 1, pred(isClosure)},
		{"macro?", 1, 1, pred(isMacro)},
		{"atom?", 1, 1, pred(isAtom)},
		{"environment?", 1, 1, pred(isEnvironment)},
		{"port?", 1, 1, pred(isPort)},
		{"eof-object?", 1, 1, pred(isEOF)},
		{"defined?", 1, 2, biDefined},

		// Numbers.
		{"+", 0, -1, arith('+')},
		{"-", 1, -1, arith('-')},
		{"*", 0, -1, arith('*')},
		{"/", 1, -1, arith('/')},
		{"=", 1, -1, compare(func(a, b float64) bool { return a == b })},
		{"<", 1, -1, compare(func(a, b float64) bool { return a < b })},
		{">", 1, -1, compare(func(a, b float64) bool { return a > b })},
		{"<=", 1, -1, compare(func(a, b float64) bool { return a <= b })},
		{">=", 1, -1, compare(func(a, b float64) bool { return a >= b })},
		{"quotient", 2, 2, intOp(func(a, b int64) int64 { return a / b })},
		{"remainder", 2, 2, intOp(func(a, b int64) int64 { return a % b })},
		{"modulo", 2, 2, intOp(modulo)},
		{"zero?", 1, 1, numPred(func(f float64) bool { return f == 0 })},
		{"positive?", 1, 1, numPred(func(f float64) bool { return f > 0 })},
		{"negative?", 1, 1, numPred(func(f float64) bool { return f < 0 })},
		{"even?", 1, 1, biEven},
		{"odd?", 1, 1, biOdd},
		{"abs", 1, 1, biAbs},
		{"max", 1, -1, minmax(true)},
		{"min", 1, -1, minmax(false)},
		{"number->string", 1, 2, biNumberToString},
		{"string->number", 1, 2, biStringToNumber},
		{"exact->inexact", 1, 1, biExactToInexact},
		{"inexact->exact", 1, 1, biInexactToExact},
		{"floor", 1, 1, rounding(math.Floor)},
		{"ceiling", 1, 1, rounding(math.Ceil)},
		{"truncate", 1, 1, rounding(math.Trunc)},
		{"round", 1, 1, rounding(math.RoundToEven)},
		{"expt", 2, 2, biExpt},

		// Strings, symbols, characters.
		{"string-append", 0, -1, biStringAppend},
		{"string-length", 1, 1, biStringLength},
		{"substring", 2, 3, biSubstring},
		{"string=?", 1, -1, strCmp(false, func(n int) bool { return n == 0 })},
		{"string<?", 1, -1, strCmp(false, func(n int) bool { return n < 0 })},
		{"string>?", 1, -1, strCmp(false, func(n int) bool { return n > 0 })},
		{"string<=?", 1, -1, strCmp(false, func(n int) bool { return n <= 0 })},
		{"string>=?", 1, -1, strCmp(false, func(n int) bool { return n >= 0 })},
		{"string-ci=?", 1, -1, strCmp(true, func(n int) bool { return n == 0 })},
		{"string-ci<?", 1, -1, strCmp(true, func(n int) bool { return n < 0 })},
		{"string-ci>?", 1, -1, strCmp(true, func(n int) bool { return n > 0 })},
		{"string-prefix?", 2, 2, biStringPrefix},
		{"string-suffix?", 2, 2, biStringSuffix},
		{"string-upcase", 1, 1, stringCase(strings.ToUpper)},
		{"string-downcase", 1, 1, stringCase(strings.ToLower)},
		{"string-copy", 1, 1, biStringCopy},
		{"string-ref", 2, 2, biStringRef},
		{"string", 0, -1, biString},
		{"string->list", 1, 1, biStringToList},
		{"list->string", 1, 1, biListToString},
		{"make-string", 1, 2, biMakeString},
		{"symbol->string", 1, 1, biSymbolToString},
		{"string->symbol", 1, 1, biStringToSymbol},
		{"char->integer", 1, 1, biCharToInteger},
		{"integer->char", 1, 1, biIntegerToChar},
		{"char-upcase", 1, 1, charCase(strings.ToUpper)},
		{"char-downcase", 1, 1, charCase(strings.ToLower)},
		{"char=?", 2, 2, biEqv},
		{"gensym", 0, 0, biGensym},

		// Evaluation and I/O.
		{"eval", 1, 2, biEval},
		{"error", 0, -1, biError},
		{"display", 1, 2, biDisplay},
		{"write", 1, 2, biDisplay},
		{"newline", 0, 1, biNewline},
		{"open-input-string", 1, 1, biOpenInputString},
		{"read", 0, 1, biRead},
		{"current-environment", 0, 0, biCurrentEnvironment},
		{"interaction-environment", 0, 0, biInteractionEnvironment},
		{"force", 1, 1, biForce},
	}
}

// Lists.

func biCons(ev *evaluator, c *call) value { return cons(c.Args[0], c.Args[1]) }

func biList(ev *evaluator, c *call) value { return listOf(c.Args...) }

func biListStar(ev *evaluator, c *call) value {
	res := c.Args[len(c.Args)-1]
	for i := len(c.Args) - 2; i >= 0; i-- {
		res = cons(c.Args[i], res)
	}
	return res
}

func biSetCar(ev *evaluator, c *call) value {
	p, ok := c.Args[0].(*pair)
	if !ok {
		c.bad(ev, 0, "a pair")
	}
	p.Car = c.Args[1]
	return theUnspec
}

func biSetCdr(ev *evaluator, c *call) value {
	p, ok := c.Args[0].(*pair)
	if !ok {
		c.bad(ev, 0, "a pair")
	}
	p.Cdr = c.Args[1]
	return theUnspec
}

func biReverse(ev *evaluator, c *call) value {
	var out value = theNil
	for _, x := range c.list(ev, 0) {
		out = cons(x, out)
	}
	return out
}

func biLength(ev *evaluator, c *call) value { return intV(len(c.list(ev, 0))) }

func biLastPair(ev *evaluator, c *call) value {
	p, ok := c.Args[0].(*pair)
	if !ok {
		c.bad(ev, 0, "a pair")
	}
	for n := 0; n < ev.lim.ListLen; n++ {
		q, ok := p.Cdr.(*pair)
		if !ok {
			break
		}
		p = q
	}
	return p
}

func biVector(ev *evaluator, c *call) value {
	return &vectorV{Elems: append([]value(nil), c.Args...)}
}

// vectorArg returns argument i, which must be a vector.
func (c *call) vector(ev *evaluator, i int) *vectorV {
	v, ok := c.Args[i].(*vectorV)
	if !ok {
		c.bad(ev, i, "a vector")
	}
	return v
}

func biVectorToList(ev *evaluator, c *call) value { return listOf(c.vector(ev, 0).Elems...) }

func biListToVector(ev *evaluator, c *call) value { return &vectorV{Elems: c.list(ev, 0)} }

func biVectorLength(ev *evaluator, c *call) value { return intV(len(c.vector(ev, 0).Elems)) }

func biVectorRef(ev *evaluator, c *call) value {
	v := c.vector(ev, 0)
	k := c.integer(ev, 1)
	if k < 0 || k >= int64(len(v.Elems)) {
		ev.fail(c.sp(1), "eval-error", "vector-ref: index %d is out of range", k)
	}
	return v.Elems[k]
}

// Predicates and equality.

func biNot(ev *evaluator, c *call) value { return boolV(!truthy(c.Args[0])) }

func biEqv(ev *evaluator, c *call) value { return boolV(eqv(c.Args[0], c.Args[1])) }

func biEqual(ev *evaluator, c *call) value {
	return boolV(equalCharged(ev, c.Sp, c.Args[0], c.Args[1]))
}

func pred(f func(v value) bool) func(ev *evaluator, c *call) value {
	return func(ev *evaluator, c *call) value { return boolV(f(c.Args[0])) }
}

func isNull(v value) bool    { _, ok := v.(*nilT); return ok }
func isPair(v value) bool    { _, ok := v.(*pair); return ok }
func isList(v value) bool    { _, ok := listToSlice(v, DefaultListLen); return ok }
func isVector(v value) bool  { _, ok := v.(*vectorV); return ok }
func isBoolean(v value) bool { return typeName(v) == "boolean" }
func isSymbol(v value) bool  { _, ok := v.(*sym); return ok }
func isString(v value) bool  { _, ok := v.(*strV); return ok }
func isChar(v value) bool    { _, ok := v.(charV); return ok }
func isExact(v value) bool   { _, ok := v.(intV); return ok }
func isInexact(v value) bool { _, ok := v.(realV); return ok }
func isClosure(v value) bool { _, ok := v.(*closure); return ok }
func isMacro(v value) bool   { _, ok := v.(*macroV); return ok }
func isAtom(v value) bool    { _, ok := v.(*pair); return !ok }
func isPort(v value) bool    { _, ok := v.(*portV); return ok }
func isEOF(v value) bool     { _, ok := v.(*eofT); return ok }

func isEnvironment(v value) bool { _, ok := v.(*envV); return ok }

func isNumber(v value) bool {
	switch v.(type) {
	case intV, realV:
		return true
	}
	return false
}

func isInteger(v value) bool {
	switch n := v.(type) {
	case intV:
		return true
	case realV:
		return float64(n) == math.Trunc(float64(n))
	}
	return false
}

// Numbers.

func modulo(a, b int64) int64 {
	m := a % b
	if m != 0 && (m < 0) != (b < 0) {
		m += b
	}
	return m
}

// numPred is a predicate on one number.
func numPred(f func(float64) bool) func(ev *evaluator, c *call) value {
	return func(ev *evaluator, c *call) value {
		_, x, _ := num(ev, c, 0)
		return boolV(f(x))
	}
}

func biEven(ev *evaluator, c *call) value { return boolV(c.integer(ev, 0)%2 == 0) }

func biOdd(ev *evaluator, c *call) value { return boolV(c.integer(ev, 0)%2 != 0) }

func biAbs(ev *evaluator, c *call) value {
	n, f, r := num(ev, c, 0)
	if r {
		return realV(math.Abs(f))
	}
	if n < 0 {
		n = -n
	}
	return intV(n)
}

func minmax(max bool) func(ev *evaluator, c *call) value {
	return func(ev *evaluator, c *call) value {
		best := 0
		for i := range c.Args {
			_, f, _ := num(ev, c, i)
			_, bf, _ := num(ev, c, best)
			if (max && f > bf) || (!max && f < bf) {
				best = i
			}
		}
		return c.Args[best]
	}
}

func biExactToInexact(ev *evaluator, c *call) value {
	_, f, _ := num(ev, c, 0)
	return realV(f)
}

func biInexactToExact(ev *evaluator, c *call) value {
	n, f, r := num(ev, c, 0)
	if r {
		return intV(int64(math.Round(f)))
	}
	return intV(n)
}

// rounding is floor, ceiling, truncate or round: integers stay as they are.
func rounding(fn func(float64) float64) func(ev *evaluator, c *call) value {
	return func(ev *evaluator, c *call) value {
		n, f, r := num(ev, c, 0)
		if !r {
			return intV(n)
		}
		return realV(fn(f))
	}
}

func biExpt(ev *evaluator, c *call) value {
	a, af, ar := num(ev, c, 0)
	b, bf, br := num(ev, c, 1)
	if !ar && !br && b >= 0 && b < 64 {
		r := int64(1)
		for i := int64(0); i < b; i++ {
			r *= a
		}
		return intV(r)
	}
	return realV(math.Pow(af, bf))
}

// Strings, symbols, characters.

func biStringLength(ev *evaluator, c *call) value { return intV(len(c.str(ev, 0).S)) }

func biStringPrefix(ev *evaluator, c *call) value {
	return boolV(strings.HasPrefix(c.str(ev, 1).S, c.str(ev, 0).S))
}

func biStringSuffix(ev *evaluator, c *call) value {
	return boolV(strings.HasSuffix(c.str(ev, 1).S, c.str(ev, 0).S))
}

// stringCase is string-upcase or string-downcase.
func stringCase(conv func(string) string) func(ev *evaluator, c *call) value {
	return func(ev *evaluator, c *call) value {
		s := c.str(ev, 0)
		return derived(ev, s, conv(s.S), c.Sp)
	}
}

func biStringCopy(ev *evaluator, c *call) value {
	cp := *c.str(ev, 0)
	return &cp
}

func biStringRef(ev *evaluator, c *call) value {
	s := c.str(ev, 0).S
	k := c.integer(ev, 1)
	if k < 0 || k >= int64(len(s)) {
		ev.fail(c.sp(1), "eval-error", "string-ref: index %d is out of range for a string of length %d", k, len(s))
	}
	return charV(s[k])
}

// char returns argument i, which must be a character.
func (c *call) char(ev *evaluator, i int) charV {
	ch, ok := c.Args[i].(charV)
	if !ok {
		c.bad(ev, i, "a character")
	}
	return ch
}

func biString(ev *evaluator, c *call) value {
	var b strings.Builder
	for i := range c.Args {
		b.WriteRune(rune(c.char(ev, i)))
	}
	return ev.newStr(b.String(), c.Sp)
}

func biStringToList(ev *evaluator, c *call) value {
	var out []value
	for _, r := range c.str(ev, 0).S {
		out = append(out, charV(r))
	}
	return listOf(out...)
}

func biListToString(ev *evaluator, c *call) value {
	var b strings.Builder
	for _, a := range c.list(ev, 0) {
		ch, ok := a.(charV)
		if !ok {
			ev.fail(c.sp(0), "type-error", "list->string: element must be a character, got %s", describe(a))
		}
		b.WriteRune(rune(ch))
	}
	return ev.newStr(b.String(), c.Sp)
}

func biMakeString(ev *evaluator, c *call) value {
	n := c.integer(ev, 0)
	if n < 0 || n > int64(ev.lim.StringLen) {
		ev.fail(c.sp(0), "eval-limit", "make-string: length %d is out of range", n)
	}
	ch := ' '
	if len(c.Args) > 1 {
		ch = rune(c.char(ev, 1))
	}
	return ev.newStr(strings.Repeat(string(ch), int(n)), c.Sp)
}

func biSymbolToString(ev *evaluator, c *call) value {
	switch s := c.Args[0].(type) {
	case *sym:
		return ev.newStr(s.Name, c.Sp)
	case *opV:
		return ev.newStr(s.Written, c.Sp)
	}
	c.bad(ev, 0, "a symbol")
	return nil
}

func biStringToSymbol(ev *evaluator, c *call) value { return ev.intern(c.str(ev, 0).S) }

func biCharToInteger(ev *evaluator, c *call) value { return intV(c.char(ev, 0)) }

func biIntegerToChar(ev *evaluator, c *call) value { return charV(rune(c.integer(ev, 0))) }

// charCase is char-upcase or char-downcase.
func charCase(conv func(string) string) func(ev *evaluator, c *call) value {
	return func(ev *evaluator, c *call) value {
		return charV([]rune(conv(string(rune(c.char(ev, 0)))))[0])
	}
}

// Evaluation and I/O.

func biNewline(ev *evaluator, c *call) value {
	ev.output.WriteByte('\n')
	return theUnspec
}

func biCurrentEnvironment(ev *evaluator, c *call) value { return &envV{E: c.Env} }

func biInteractionEnvironment(ev *evaluator, c *call) value { return &envV{} }

func biForce(ev *evaluator, c *call) value {
	if cl, ok := c.Args[0].(*closure); ok && cl.Name == "promise" {
		return ev.apply(cl, nil, c.Sp, c.Env)
	}
	return c.Args[0]
}

// globalNames is the sorted list of initially bound names (did-you-mean candidates).
func globalNames() []string {
	namesOnce.Do(func() {
		t := globalTable()
		namesList = make([]string, 0, len(t))
		for k, v := range t {
			if _, ok := v.(*constV); ok {
				continue
			}
			namesList = append(namesList, k)
		}
		sort.Strings(namesList)
	})
	return namesList
}

var (
	constOnce  sync.Once
	constNames []string
)

// constantNames returns the named filter constants (AF_INET, SIGKILL,
// DIRECTORY, ...), sorted. They are left out of globalNames so that a
// misspelt lowercase helper is not "corrected" to an ioctl name.
func constantNames() []string {
	constOnce.Do(func() {
		for k, v := range globalTable() {
			if _, ok := v.(*constV); ok {
				constNames = append(constNames, k)
			}
		}
		sort.Strings(constNames)
	})
	return constNames
}

func sortStrings(s []string) { sort.Strings(s) }
