package policy

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
)

// MaxRegexLen bounds the source length of one SBPL regex the engine
// compiles (libsandbox's own limit is not documented; Apple's longest is a
// few hundred bytes).
const MaxRegexLen = 64 << 10

// RegexError is a regex the engine cannot translate: syntax outside the
// POSIX-ERE-like dialect SBPL supports (semantics §3), or malformed text.
type RegexError struct {
	Pattern string
	Offset  int // byte offset in Pattern of the offending construct, -1 if unknown
	Msg     string
}

// Error returns the message.
func (e *RegexError) Error() string { return e.Msg }

// TranslateRegex rewrites an SBPL regex (the decoded string value) into Go
// regexp syntax with the same meaning.
//
// Supported, as Apple uses them: literal characters, ., ^, $, bracket
// expressions [...] and [^...], *, +, ?, |, ( ) groups, backslash escapes of
// metacharacters (\. \\ \( ...) and \w. Rejected with an error, because
// SBPL has no such syntax: interval quantifiers {m,n}, back-references,
// (?...) groups and look-around, POSIX classes [[:alpha:]], and escapes such
// as \d or \s. Matching is unanchored; "." matches any byte including
// newline.
func TranslateRegex(src string) (string, error) {
	if len(src) > MaxRegexLen {
		return "", &RegexError{Pattern: src, Offset: -1, Msg: fmt.Sprintf("regex is %d bytes long (limit %d)", len(src), MaxRegexLen)}
	}
	var b strings.Builder
	b.Grow(len(src) + 8)
	b.WriteString("(?s)")
	fail := func(off int, format string, args ...any) (string, error) {
		return "", &RegexError{Pattern: src, Offset: off, Msg: fmt.Sprintf(format, args...)}
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case '\\':
			if i+1 >= len(src) {
				return fail(i, "regex ends with a lone backslash")
			}
			i++
			e := src[i]
			switch {
			case e == 'w':
				b.WriteString(`\w`)
			case e >= '1' && e <= '9':
				return fail(i-1, `back-reference \%c is not supported in SBPL regexes`, e)
			case isRegexMeta(e) || e == '/' || e == '-' || e == ' ' || e == '"' || e == '#' || e == ',' || e == ':' || e == '=' || e == '@' || e == '_' || e == '~' || e == '<' || e == '>' || e == '!' || e == '%' || e == '&' || e == '\'' || e == ';':
				b.WriteString(regexp.QuoteMeta(string(e)))
			default:
				return fail(i-1, `escape \%c is not supported in SBPL regexes (no \d, \s or \b: write a bracket expression such as [0-9])`, e)
			}
		case '{':
			if i+1 < len(src) && (src[i+1] >= '0' && src[i+1] <= '9' || src[i+1] == ',') {
				return fail(i, "interval quantifier {m,n} is not supported in SBPL regexes: repeat the atom instead")
			}
			b.WriteString(`\{`)
		case '}':
			b.WriteString(`\}`)
		case '(':
			if i+1 < len(src) && src[i+1] == '?' {
				return fail(i, "(?...) groups and look-around are not supported in SBPL regexes")
			}
			b.WriteByte('(')
		case '[':
			j, err := translateBracket(&b, src, i)
			if err != nil {
				return "", err
			}
			i = j
		default:
			b.WriteByte(c)
		}
	}
	out := b.String()
	if _, err := syntax.Parse(out, syntax.Perl); err != nil {
		return "", &RegexError{Pattern: src, Offset: -1, Msg: "malformed regex: " + describeSyntaxError(err)}
	}
	return out, nil
}

func isRegexMeta(c byte) bool {
	return strings.IndexByte(`.^$*+?()[]{}|\`, c) >= 0
}

// translateBracket copies the bracket expression starting at src[start]
// ('[') and returns the index of its closing ']'.
func translateBracket(b *strings.Builder, src string, start int) (int, error) {
	i := start + 1
	b.WriteByte('[')
	if i < len(src) && src[i] == '^' {
		b.WriteByte('^')
		i++
	}
	first := true
	for ; i < len(src); i++ {
		c := src[i]
		switch {
		case c == ']' && !first:
			b.WriteByte(']')
			return i, nil
		case c == ']':
			b.WriteString(`\]`)
		case c == '[' && i+1 < len(src) && (src[i+1] == ':' || src[i+1] == '=' || src[i+1] == '.'):
			return 0, &RegexError{Pattern: src, Offset: i, Msg: "POSIX classes such as [[:alpha:]] are not supported in SBPL regexes: list the characters, e.g. [A-Za-z]"}
		case c == '[':
			b.WriteString(`\[`)
		case c == '\\':
			if i+1 >= len(src) {
				return 0, &RegexError{Pattern: src, Offset: i, Msg: "regex ends inside a bracket expression"}
			}
			i++
			e := src[i]
			switch {
			case e == 'w':
				b.WriteString(`\w`)
			case e >= 'a' && e <= 'z' || e >= 'A' && e <= 'Z' || e >= '0' && e <= '9':
				return 0, &RegexError{Pattern: src, Offset: i - 1, Msg: fmt.Sprintf(`escape \%c is not supported in SBPL regexes: list the characters, e.g. [0-9]`, e)}
			default:
				b.WriteByte('\\')
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
		}
		first = false
	}
	return 0, &RegexError{Pattern: src, Offset: start, Msg: "unterminated bracket expression: missing ]"}
}

func describeSyntaxError(err error) string {
	if se, ok := err.(*syntax.Error); ok {
		msg := string(se.Code)
		if se.Code == syntax.ErrMissingRepeatArgument {
			msg = "repetition operator " + se.Expr + " has nothing to repeat"
		}
		return msg
	}
	return err.Error()
}

// cregex is a compiled SBPL regex with cheap pre-checks: most Apple
// regexes start with ^ and a literal directory, so a prefix test rejects
// almost every non-matching path without running the automaton.
type cregex struct {
	re       *regexp.Regexp
	prefix   string // the match must start the string with this (^lit...)
	contains string // a literal every match contains
	exact    bool   // the regex is ^prefix$ exactly
}

func compileRegex(src string) (*cregex, error) {
	goSrc, err := TranslateRegex(src)
	if err != nil {
		return nil, err
	}
	re, err := regexp.Compile(goSrc)
	if err != nil {
		return nil, &RegexError{Pattern: src, Offset: -1, Msg: "malformed regex: " + describeSyntaxError(err)}
	}
	c := &cregex{re: re}
	if tree, err := syntax.Parse(goSrc, syntax.Perl); err == nil {
		c.analyse(tree.Simplify())
	}
	return c, nil
}

// analyse extracts literal requirements from the top-level concatenation.
func (c *cregex) analyse(t *syntax.Regexp) {
	subs := []*syntax.Regexp{t}
	if t.Op == syntax.OpConcat {
		subs = t.Sub
	}
	if len(subs) > 0 && subs[0].Op == syntax.OpBeginText {
		var p strings.Builder
		k := 1
		for ; k < len(subs) && subs[k].Op == syntax.OpLiteral && subs[k].Flags&syntax.FoldCase == 0; k++ {
			p.WriteString(string(subs[k].Rune))
		}
		c.prefix = p.String()
		if k == len(subs)-1 && subs[k].Op == syntax.OpEndText && k > 1 {
			c.exact = true
		}
		if k == len(subs) && k == 1 {
			c.prefix = ""
		}
	}
	for _, s := range subs {
		if s.Op == syntax.OpLiteral && s.Flags&syntax.FoldCase == 0 && len(s.Rune) > len(c.contains) {
			c.contains = string(s.Rune)
		}
	}
}

func (c *cregex) match(s string) bool {
	if c.exact {
		return s == c.prefix
	}
	if c.prefix != "" && !strings.HasPrefix(s, c.prefix) {
		return false
	}
	if c.contains != "" && !strings.Contains(s, c.contains) {
		return false
	}
	return c.re.MatchString(s)
}
