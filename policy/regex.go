package policy

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"
	"sync/atomic"
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
	out, _, err := translateRegex(src)
	return out, err
}

// translateRegex is TranslateRegex also returning the parsed Go syntax
// tree, so that callers analyse it without parsing again.
func translateRegex(src string) (string, *syntax.Regexp, error) {
	if len(src) > MaxRegexLen {
		return "", nil, &RegexError{Pattern: src, Offset: -1, Msg: fmt.Sprintf("regex is %d bytes long (limit %d)", len(src), MaxRegexLen)}
	}
	var b strings.Builder
	b.Grow(len(src) + 8)
	b.WriteString("(?s)")
	fail := func(off int, format string, args ...any) (string, *syntax.Regexp, error) {
		return "", nil, &RegexError{Pattern: src, Offset: off, Msg: fmt.Sprintf(format, args...)}
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
				return "", nil, err
			}
			i = j
		default:
			b.WriteByte(c)
		}
	}
	out := b.String()
	tree, err := syntax.Parse(out, syntax.Perl)
	if err != nil {
		return "", nil, &RegexError{Pattern: src, Offset: -1, Msg: "malformed regex: " + describeSyntaxError(err)}
	}
	return out, tree, nil
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

// cregex is an SBPL regex, translated and validated when the engine is
// built but compiled to an automaton only when a request first gets past
// its literal pre-checks: most Apple regexes start with ^ and a literal
// directory, so a prefix test rejects almost every non-matching path, and
// many (^lit$, ^lit, ^lit.*, lit, lit$) are decided by the literals alone.
// The automaton is shared process-wide through rxCache.
type cregex struct {
	src      string // the translated Go source
	prefix   string // the match must start the string with this (^lit...)
	contains string // a literal every match contains
	suffix   string // the match must end the string with this (...lit$)
	// exact: the regex is ^prefix$; prefixOnly: ^prefix, ^prefix.* or
	// ^prefix.*$ (the prefix test decides); containsOnly: a bare literal;
	// suffixOnly: lit$.
	exact, prefixOnly, containsOnly, suffixOnly bool
	re                                          atomic.Pointer[regexp.Regexp]
}

// compileRegex translates and analyses src. The result is cached per
// source for the process (a profile re-linted on every keystroke pays for
// each regex once); the automaton is built on first use.
func compileRegex(src string) (*cregex, error) {
	if c, err, ok := rxCache.get(src); ok {
		return c, err
	}
	goSrc, tree, err := translateRegex(src)
	var c *cregex
	if err == nil {
		c = &cregex{src: goSrc}
		c.analyse(tree.Simplify())
	}
	rxCache.put(src, c, err)
	return c, err
}

// analyse extracts literal requirements from the top-level concatenation.
func (c *cregex) analyse(t *syntax.Regexp) {
	lit := func(r *syntax.Regexp) bool { return r.Op == syntax.OpLiteral && r.Flags&syntax.FoldCase == 0 }
	if lit(t) {
		c.contains, c.containsOnly = string(t.Rune), true
		return
	}
	subs := []*syntax.Regexp{t}
	if t.Op == syntax.OpConcat {
		subs = t.Sub
	}
	n := len(subs)
	if n > 0 && subs[0].Op == syntax.OpBeginText {
		var p strings.Builder
		k := 1
		for ; k < n && lit(subs[k]); k++ {
			p.WriteString(string(subs[k].Rune))
		}
		c.prefix = p.String()
		anyRest := func(r *syntax.Regexp) bool { // .* with (?s): any string
			return r.Op == syntax.OpStar && r.Sub[0].Op == syntax.OpAnyChar
		}
		rest := subs[k:]
		switch {
		case k > 1 && len(rest) == 1 && rest[0].Op == syntax.OpEndText:
			c.exact = true
		case len(rest) == 0,
			len(rest) == 1 && anyRest(rest[0]),
			len(rest) == 2 && anyRest(rest[0]) && rest[1].Op == syntax.OpEndText:
			c.prefixOnly = true
		}
	}
	if n >= 2 && subs[n-1].Op == syntax.OpEndText && lit(subs[n-2]) {
		c.suffix = string(subs[n-2].Rune)
		c.suffixOnly = n == 2
	}
	for _, s := range subs {
		if lit(s) && len(s.Rune) > len(c.contains) {
			c.contains = string(s.Rune)
		}
	}
}

func (c *cregex) match(s string) bool {
	switch {
	case c.exact:
		return s == c.prefix
	case c.prefix != "" && !strings.HasPrefix(s, c.prefix):
		return false
	case c.prefixOnly:
		return true
	case c.suffix != "" && !strings.HasSuffix(s, c.suffix):
		return false
	case c.suffixOnly:
		return true
	case c.contains != "" && !strings.Contains(s, c.contains):
		return false
	case c.containsOnly:
		return true
	}
	return c.automaton().MatchString(s)
}

// automaton returns the compiled regexp, compiling it on first use.
func (c *cregex) automaton() *regexp.Regexp {
	if re := c.re.Load(); re != nil {
		return re
	}
	re := rxCache.automaton(c.src)
	c.re.Store(re)
	return re
}

// compiled reports whether the automaton has been built (for tests).
func (c *cregex) compiled() bool { return c.re.Load() != nil }

// rxCacheMax bounds the process-wide regex cache (entries per map);
// rxCacheMaxLen is the longest source it keeps.
const (
	rxCacheMax    = 4096
	rxCacheMaxLen = 4096
)

// regexCache holds translated regexes by SBPL source and automata by
// translated source. It is safe for concurrent use; when a map is full an
// arbitrary entry is dropped.
type regexCache struct {
	mu    sync.Mutex
	trans map[string]rxEntry
	auto  map[string]*regexp.Regexp
}

type rxEntry struct {
	c   *cregex
	err error
}

var rxCache = &regexCache{trans: map[string]rxEntry{}, auto: map[string]*regexp.Regexp{}}

func (rc *regexCache) get(src string) (*cregex, error, bool) {
	rc.mu.Lock()
	e, ok := rc.trans[src]
	rc.mu.Unlock()
	return e.c, e.err, ok
}

func (rc *regexCache) put(src string, c *cregex, err error) {
	if len(src) > rxCacheMaxLen {
		return
	}
	rc.mu.Lock()
	if len(rc.trans) >= rxCacheMax {
		for k := range rc.trans {
			delete(rc.trans, k)
			break
		}
	}
	rc.trans[src] = rxEntry{c, err}
	rc.mu.Unlock()
}

// automaton compiles goSrc, or returns the cached automaton. goSrc comes
// from translateRegex, which parsed it with the same flags, so it
// compiles; a failure anyway yields a regexp that never matches.
func (rc *regexCache) automaton(goSrc string) *regexp.Regexp {
	rc.mu.Lock()
	re, ok := rc.auto[goSrc]
	rc.mu.Unlock()
	if ok {
		return re
	}
	re, err := regexp.Compile(goSrc)
	if err != nil {
		re = regexp.MustCompile(`a^`) // never matches
	}
	if len(goSrc) > rxCacheMaxLen {
		return re
	}
	rc.mu.Lock()
	if len(rc.auto) >= rxCacheMax {
		for k := range rc.auto {
			delete(rc.auto, k)
			break
		}
	}
	rc.auto[goSrc] = re
	rc.mu.Unlock()
	return re
}

// size reports the number of cached translations and automata.
func (rc *regexCache) size() (int, int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.trans), len(rc.auto)
}
