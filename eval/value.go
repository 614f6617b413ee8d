package eval

import (
	"strconv"
	"strings"

	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/source"
)

// value is a Scheme value. The set of implementations is closed.
type value interface{}

// Scheme value types.
type (
	// pair is a cons cell. CarSp is the source span of Car when the cell
	// was read from a file; Sp is the span of the whole list starting here
	// (set on the first cell of lists read from a file).
	pair struct {
		Car, Cdr  value
		CarSp, Sp source.Span
	}
	// nilT is the empty list.
	nilT struct{}
	// unspec is the unspecified value (result of define, for-each, ...).
	unspec struct{}
	// eofT is the end-of-file object returned by read.
	eofT struct{}

	boolV bool
	intV  int64
	realV float64
	charV rune

	// strV is an immutable string. Params lists unbound params whose
	// placeholder text is part of S; From lists every param (bound or
	// not) whose value is part of S; Raw is set for #"..." literals and
	// concatenations of them only.
	strV struct {
		S      string
		Raw    bool
		Params []string
		From   []string
		Origin ir.Origin
	}
	// sym is an interned symbol; the global binding lives on the symbol.
	sym struct {
		Name   string
		gval   value
		gbound bool
	}
	vectorV struct{ Elems []value }

	// closure is a lambda.
	closure struct {
		Name   string
		Params []*sym
		Rest   *sym // nil: fixed arity
		Body   value
		BodySp source.Span
		Env    *env
	}
	// macroV transforms a whole form (TinyScheme's macro) or its
	// arguments (define-macro).
	macroV struct {
		Name  string
		Proc  value // a closure or builtin taking the form
		Whole bool  // true: receives the whole form; false: receives the arguments
	}
	// builtin is a Go procedure.
	builtin struct {
		Name string
		Min  int
		Max  int // -1: variadic
		Fn   func(ev *evaluator, c *call) value
	}
	// syntaxV is a special form bound to a name.
	syntaxV struct {
		Name string
		Fn   syntaxFn
	}
	// portV is an input string port for read.
	portV struct {
		Text  string
		File  *source.File
		Forms []ast.Node
		Pos   int
		Done  bool
	}
	// envV is a first-class environment.
	envV struct{ E *env }

	// opV is an operation value (file-read*, a rebinding such as
	// sysctl-write, or a no-op name).
	opV struct {
		Name    string // canonical
		Written string
		NoOp    bool
		Sp      source.Span // where the name was written, when known
	}
	// filterV is a filter value.
	filterV struct{ N *ir.FilterNode }
	// modV is a (with ...) modifier.
	modV struct{ M ir.Modifier }
	// modNameV is a modifier name bound as a symbol (report, no-report, ...).
	modNameV struct{ Name string }
)

var (
	theNil    = &nilT{}
	theUnspec = &unspec{}
	theEOF    = &eofT{}
)

func truthy(v value) bool {
	switch b := v.(type) {
	case boolV:
		return bool(b)
	case *paramFalse:
		return false
	}
	return true
}

func cons(a, b value) *pair { return &pair{Car: a, Cdr: b} }

// listOf builds a proper list.
func listOf(vs ...value) value {
	var out value = theNil
	for i := len(vs) - 1; i >= 0; i-- {
		out = &pair{Car: vs[i], Cdr: out}
	}
	return out
}

// listToSlice returns the elements of a proper list; ok is false for an
// improper or circular (longer than limit) list.
func listToSlice(v value, limit int) ([]value, bool) {
	var out []value
	slow := v // Floyd's cycle check: slow advances every second element
	for {
		switch p := v.(type) {
		case *nilT:
			return out, true
		case *pair:
			if len(out) >= limit {
				return out, false
			}
			out = append(out, p.Car)
			v = p.Cdr
			if len(out)%2 == 0 {
				slow = slow.(*pair).Cdr
				if slow == v {
					return out, false // circular
				}
			}
		default:
			return out, false
		}
	}
}

// listShape describes why v is not a proper list: "a circular list", "an
// improper list", or "" when it is one (or is not a pair at all).
func listShape(v value) string {
	p, ok := v.(*pair)
	if !ok {
		return ""
	}
	slow := value(p)
	for n := 0; ; n++ {
		switch q := v.(type) {
		case *nilT:
			return ""
		case *pair:
			v = q.Cdr
			if n%2 == 1 {
				slow = slow.(*pair).Cdr
				if slow == v {
					return "a circular list"
				}
			}
		default:
			return "an improper list"
		}
	}
}

// typeName is the libsandbox-style name of a value's type.
func typeName(v value) string {
	switch v := v.(type) {
	case *pair:
		return "list"
	case *nilT:
		return "empty list"
	case boolV, *paramFalse:
		return "boolean"
	case intV, realV:
		return "number"
	case charV:
		return "character"
	case *strV:
		return "string"
	case *sym:
		return "symbol"
	case *vectorV:
		return "vector"
	case *closure, *builtin:
		return "procedure"
	case *macroV:
		return "macro"
	case *syntaxV:
		return "syntax"
	case *portV:
		return "port"
	case *envV:
		return "environment"
	case *opV:
		return "operation"
	case *filterV:
		return "filter"
	case *modV, *modNameV:
		return "modifier"
	case *unspec:
		return "unspecified value"
	case *eofT:
		return "eof"
	default:
		_ = v
		return "value"
	}
}

// writeValue prints v as Scheme would (write: strings quoted; display: not).
func writeValue(b *strings.Builder, v value, display bool, depth int) {
	if depth > 200 || b.Len() > 1<<16 {
		b.WriteString("...")
		return
	}
	switch v := v.(type) {
	case *pair:
		b.WriteByte('(')
		n := 0
		var x value = v
		for {
			p, ok := x.(*pair)
			if !ok {
				break
			}
			if n > 0 {
				b.WriteByte(' ')
			}
			if n > 10000 || b.Len() > 1<<16 {
				b.WriteString("...")
				x = theNil
				break
			}
			writeValue(b, p.Car, display, depth+1)
			n++
			x = p.Cdr
		}
		if _, ok := x.(*nilT); !ok {
			b.WriteString(" . ")
			writeValue(b, x, display, depth+1)
		}
		b.WriteByte(')')
	case *nilT:
		b.WriteString("()")
	case boolV:
		if v {
			b.WriteString("#t")
		} else {
			b.WriteString("#f")
		}
	case intV:
		b.WriteString(strconv.FormatInt(int64(v), 10))
	case realV:
		b.WriteString(strconv.FormatFloat(float64(v), 'g', -1, 64))
	case charV:
		if display {
			b.WriteRune(rune(v))
		} else {
			b.WriteString(ast.CharLiteral(rune(v)))
		}
	case *strV:
		if display {
			b.WriteString(v.S)
		} else {
			b.WriteString(ast.QuoteString(v.S, v.Raw))
		}
	case *sym:
		b.WriteString(v.Name)
	case *vectorV:
		b.WriteString("#(")
		for i, e := range v.Elems {
			if i > 0 {
				b.WriteByte(' ')
			}
			writeValue(b, e, display, depth+1)
		}
		b.WriteByte(')')
	case *closure:
		b.WriteString("#<closure " + v.Name + ">")
	case *builtin:
		b.WriteString("#<procedure " + v.Name + ">")
	case *macroV:
		b.WriteString("#<macro " + v.Name + ">")
	case *syntaxV:
		b.WriteString("#<syntax " + v.Name + ">")
	case *portV:
		b.WriteString("#<port>")
	case *envV:
		b.WriteString("#<environment>")
	case *opV:
		b.WriteString(v.Written)
	case *filterV:
		writeFilter(b, v.N)
	case *modV:
		b.WriteString("(with " + v.M.Name)
		for _, a := range v.M.Args {
			b.WriteByte(' ')
			writeIRValue(b, a)
		}
		b.WriteByte(')')
	case *modNameV:
		b.WriteString(v.Name)
	case *paramFalse:
		b.WriteString("#f")
	case *constV:
		b.WriteString(v.Name)
	case *unspec:
		b.WriteString("#<unspecified>")
	case *eofT:
		b.WriteString("#<eof>")
	}
}

func showValue(v value) string {
	var b strings.Builder
	writeValue(&b, v, false, 0)
	s := b.String()
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}
