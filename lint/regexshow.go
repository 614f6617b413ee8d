package lint

import (
	"regexp"
	"regexp/syntax"
	"strings"

	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/policy"
)

// regexShown is a regex argument as the user wrote it: the literal's
// source text (#"^/usr/\d+" stays as written, without Go's double
// escaping) when the value is one literal, else the value in #"..." form.
func regexShown(v *ir.Value) string {
	if t := v.Origin.Span.Text(); v.Origin.Span.IsValid() && (strings.HasPrefix(t, `#"`) || strings.HasPrefix(t, `"`)) && strings.HasSuffix(t, `"`) && len(t) <= 200 {
		return t
	}
	return `#"` + v.Str + `"`
}

// regexExample returns a short string the SBPL regex src matches, or ""
// when it cannot build one (the result is checked against the regex).
func regexExample(src string) string {
	goSrc, err := policy.TranslateRegex(src)
	if err != nil {
		return ""
	}
	re, err := syntax.Parse(goSrc, syntax.Perl)
	if err != nil {
		return ""
	}
	var b strings.Builder
	if !sample(&b, re.Simplify(), 0) || b.Len() > 400 {
		return ""
	}
	s := b.String()
	if m, err := regexp.MatchString(goSrc, s); err != nil || !m {
		return ""
	}
	return s
}

// sample writes a short string matching re (picking readable characters:
// a lowercase letter for a class that allows one).
func sample(b *strings.Builder, re *syntax.Regexp, depth int) bool {
	if depth > 100 {
		return false
	}
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return true
	case syntax.OpLiteral:
		b.WriteString(string(re.Rune))
		return true
	case syntax.OpCharClass:
		r, ok := pickRune(re.Rune)
		if ok {
			b.WriteRune(r)
		}
		return ok
	case syntax.OpAnyCharNotNL, syntax.OpAnyChar:
		b.WriteByte('x')
		return true
	case syntax.OpCapture:
		return sample(b, re.Sub[0], depth+1)
	case syntax.OpStar, syntax.OpQuest:
		return true
	case syntax.OpPlus:
		return sample(b, re.Sub[0], depth+1)
	case syntax.OpRepeat:
		for i := 0; i < re.Min; i++ {
			if !sample(b, re.Sub[0], depth+1) {
				return false
			}
		}
		return true
	case syntax.OpConcat:
		for _, s := range re.Sub {
			if !sample(b, s, depth+1) {
				return false
			}
		}
		return true
	case syntax.OpAlternate:
		return len(re.Sub) > 0 && sample(b, re.Sub[0], depth+1)
	}
	return false
}

// pickRune picks a character from a class given as [lo, hi] pairs,
// preferring a, then A, then 0, then the first allowed.
func pickRune(ranges []rune) (rune, bool) {
	in := func(c rune) bool {
		for i := 0; i+1 < len(ranges); i += 2 {
			if ranges[i] <= c && c <= ranges[i+1] {
				return true
			}
		}
		return false
	}
	for _, c := range []rune{'a', 'A', '0', 'x', '_'} {
		if in(c) {
			return c, true
		}
	}
	for i := 0; i+1 < len(ranges); i += 2 {
		if c := ranges[i]; c != '\n' && c >= ' ' {
			return c, true
		}
	}
	return 0, false
}
