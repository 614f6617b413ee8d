package policy

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/source"
)

// Expectation is one policy unit test:
//
//	; expect RESULT [vnode=TYPE] [rule=LINE|default|builtin|implicit] OPERATION RESOURCE
//
// RESULT is allow, deny or unknown; RESOURCE is the rest of the line in
// ParseResource syntax (a leading ~ is the --home directory; a resource
// containing leading or trailing spaces may be written as a Go-quoted
// string). rule= also checks which rule decides: the line of the deciding
// rule in the profile (the line of the outermost call for rules made by a
// helper), default for the profile's own (allow default) or (deny default)
// rule, builtin for an operation's built-in default, implicit for
// libsandbox's implicit rules. When an implicit rule decides and a rule of
// the profile decides the same way too (Decision.Also), rule=LINE may name
// that rule.
type Expectation struct {
	Want     Result
	Op       string
	Resource string // as written, after ~ expansion
	Vnode    string
	Rule     string // "" (not checked), a line number, "default", "builtin" or "implicit"
	Span     source.Span
}

// expectation keywords that mark a line in a profile.
const expectWord = "expect"

// ParseExpectations finds expectations in f. In a profile (standalone
// false) only whole-line comments `; expect ...` count; in a separate test
// file (standalone true) every line must be blank, a comment (# or ;) or
// an expectation, with or without the leading ";".
func ParseExpectations(f *source.File, home string, standalone bool) ([]Expectation, diag.List) {
	var out []Expectation
	var ds diag.List
	text := string(f.Text)
	off := 0
	for len(text) > 0 {
		line := text
		n := strings.IndexByte(text, '\n')
		if n >= 0 {
			line, text = text[:n], text[n+1:]
		} else {
			text = ""
		}
		start := off
		off += len(line) + 1
		line = strings.TrimSuffix(line, "\r")
		trim := strings.TrimLeft(line, " \t")
		lead := len(line) - len(trim)
		body := strings.TrimLeft(trim, ";")
		commented := len(body) < len(trim)
		body = strings.TrimLeft(body, " \t")
		isExpect := body == expectWord || strings.HasPrefix(body, expectWord+" ") || strings.HasPrefix(body, expectWord+"\t")
		if !isExpect {
			if standalone && trim != "" && !commented && !strings.HasPrefix(trim, "#") {
				sp := source.Span{File: f, Start: start + lead, End: start + len(line)}
				ds.Errorf(sp, "test/bad-line", "not an expectation: write `expect allow|deny|unknown OPERATION RESOURCE` (comments start with # or ;)")
			}
			continue
		}
		if !standalone && !commented {
			continue
		}
		sp := source.Span{File: f, Start: start + lead, End: start + len(line)}
		x, err := parseExpectation(strings.TrimSpace(strings.TrimPrefix(body, expectWord)), home)
		if err != nil {
			ds.Errorf(sp, "test/bad-expect", "%v", err)
			continue
		}
		x.Span = sp
		out = append(out, x)
	}
	return out, ds
}

func parseExpectation(s, home string) (Expectation, error) {
	var x Expectation
	word := func() string {
		s = strings.TrimLeft(s, " \t")
		i := strings.IndexAny(s, " \t")
		if i < 0 {
			w := s
			s = ""
			return w
		}
		w := s[:i]
		s = s[i:]
		return w
	}
	res := word()
	r, err := ParseResult(res)
	if err != nil {
		return x, fmt.Errorf("expect: %v (write `expect allow|deny|unknown OPERATION RESOURCE`)", err)
	}
	x.Want = r
	for {
		w := word()
		if w == "" {
			return x, fmt.Errorf("expect %s: operation missing", res)
		}
		k, v, ok := strings.Cut(w, "=")
		if !ok {
			x.Op = w
			break
		}
		switch k {
		case "vnode":
			t, err := ParseVnodeType(v)
			if err != nil {
				return x, err
			}
			x.Vnode = t
		case "rule":
			if v != "default" && v != "builtin" && v != "implicit" {
				if n, err := strconv.Atoi(v); err != nil || n < 1 {
					return x, fmt.Errorf("rule=%s: want a line number, default (the profile's (allow|deny default) rule), builtin (a built-in default) or implicit", v)
				}
			}
			x.Rule = v
		default:
			return x, fmt.Errorf("unknown expectation option %q (use vnode=TYPE or rule=LINE)", k)
		}
	}
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, `"`) {
		u, err := strconv.Unquote(s)
		if err != nil {
			return x, fmt.Errorf("resource %s: bad quoted string", s)
		}
		s = u
	}
	if home != "" {
		s = ExpandHome(s, home)
	} else if strings.HasPrefix(s, "~") || strings.HasPrefix(s, "unix:~") {
		return x, fmt.Errorf("resource %s starts with ~: pass --home DIR", s)
	}
	x.Resource = s
	return x, nil
}

// CaseResult is the outcome of one expectation.
type CaseResult struct {
	Expectation
	Decision Decision
	Pass     bool
	// Problem says why the case failed (wrong result or deciding rule, or
	// a bad operation or resource).
	Problem string
}

// Check runs one expectation.
func (e *Engine) Check(x Expectation) CaseResult {
	cr := CaseResult{Expectation: x}
	op, err := e.ResolveOp(x.Op)
	if err != nil {
		cr.Problem = err.Error()
		return cr
	}
	res, err := ParseResource(op, x.Resource)
	if err != nil {
		cr.Problem = err.Error()
		return cr
	}
	res.Vnode = x.Vnode
	d := e.Query(Request{Op: op, Resource: res})
	cr.Decision = d
	if d.Result != x.Want {
		cr.Problem = fmt.Sprintf("got %s, want %s", d.Result, x.Want)
		return cr
	}
	if x.Rule != "" && !ruleMatches(x.Rule, d) {
		cr.Problem = "decided by " + describeRef(d) + ", want " + describeWant(x.Rule)
		switch {
		case x.Rule == "default" && RuleRef(d) == "builtin":
			cr.Problem += " (write rule=builtin for a built-in default)"
		case x.Rule == "builtin" && isDefaultRule(d):
			cr.Problem += " (write rule=default for the profile's default rule)"
		}
		return cr
	}
	cr.Pass = true
	return cr
}

// RuleRef names the deciding rule of d as rule= does: its line (also for
// the profile's (allow|deny default) rule, which rule=default names too),
// builtin for a built-in default, implicit for an implicit rule ("none"
// when an unknown answer has no rule).
func RuleRef(d Decision) string {
	switch {
	case d.Implicit:
		return "implicit"
	case d.Rule == nil && d.Result == Unknown:
		return "none"
	case d.Rule == nil:
		return "builtin"
	}
	return lineRef(d.Rule)
}

func lineRef(r *ir.Rule) string {
	sp := RuleSpan(r)
	if !sp.IsValid() {
		return "none"
	}
	return strconv.Itoa(sp.StartPos().Line)
}

// isDefaultRule reports whether the profile's own unfiltered (allow|deny
// default) rule decided d.
func isDefaultRule(d Decision) bool {
	if d.Implicit || d.Rule == nil || d.Rule.Filter != nil {
		return false
	}
	for _, o := range d.Rule.Ops {
		if o.Name == "default" {
			return true
		}
	}
	return false
}

// ruleMatches reports whether rule=want holds for d.
func ruleMatches(want string, d Decision) bool {
	switch want {
	case "default":
		return isDefaultRule(d)
	case RuleRef(d):
		return true
	}
	return d.Also != nil && lineRef(d.Also) == want
}

// describeRef says in words which rule decided d.
func describeRef(d Decision) string {
	switch ref := RuleRef(d); {
	case ref == "implicit":
		return "libsandbox's implicit policy rule"
	case ref == "builtin":
		return "the built-in default of " + d.Chain[len(d.Chain)-1].Op
	case ref == "none":
		return "no rule"
	case isDefaultRule(d):
		return fmt.Sprintf("the (%s default) rule at line %s", d.Rule.Action, ref)
	default:
		return "the rule at line " + ref
	}
}

// describeWant says in words what rule=want asks for.
func describeWant(want string) string {
	switch want {
	case "implicit":
		return "an implicit policy rule"
	case "builtin":
		return "a built-in default"
	case "default":
		return "the profile's (allow|deny default) rule"
	}
	return "the rule at line " + want
}

// RuleSpan is the span a report about r points at: the outermost call site
// for rules made by helpers, else the rule form.
func RuleSpan(r *ir.Rule) source.Span {
	if r == nil {
		return source.Span{}
	}
	return r.Origin.Primary()
}

// RuleText is the source text of the deciding rule (the helper call for
// rules made by helpers), on one line; implicit rules are rendered.
func RuleText(d Decision) string {
	if d.Rule == nil {
		return ""
	}
	if d.Implicit {
		var ops []string
		for _, o := range d.Rule.Ops {
			ops = append(ops, o.Name)
		}
		return fmt.Sprintf("(allow %s (target self)) ; implicit policy rule", strings.Join(ops, " "))
	}
	lines := strings.Split(RuleSpan(d.Rule).Text(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.Join(lines, " ")
}
