package lint

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/sbplc/sbplc/internal/lazyre"
)

// The SBPL regex dialect (semantics.md §3): literal characters, ".", "^",
// "$", bracket expressions, "*", "+", "?", "|" and groups; backslash escapes
// of punctuation. Not supported: intervals {m,n}, back-references, (?...)
// groups, lazy quantifiers, PCRE class escapes outside brackets.

type regexErr struct{ msg string }

func (e *regexErr) Error() string { return e.msg }

func rxErr(format string, args ...any) *regexErr { return &regexErr{msg: fmt.Sprintf(format, args...)} }

// checkRegex validates s against the SBPL regex dialect.
func checkRegex(s string) *regexErr {
	depth := 0
	canQuantify := false // the previous item is an atom
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			if i+1 >= len(s) {
				return rxErr("trailing backslash")
			}
			n := s[i+1]
			switch {
			case n >= '1' && n <= '9':
				return rxErr("back-reference \\%c is not supported by the SBPL regex engine", n)
			case strings.IndexByte("dDsSwWbB", n) >= 0:
				return rxErr("\\%c is a PCRE escape, not SBPL: write a bracket expression such as %s", n, pcreHint(n))
			}
			i++
			canQuantify = true
		case '[':
			j, err := scanBracket(s, i)
			if err != nil {
				return err
			}
			i = j
			canQuantify = true
		case '(':
			if i+1 < len(s) && s[i+1] == '?' {
				return rxErr("(?...) groups are PCRE syntax, not SBPL: use a plain group (...)")
			}
			depth++
			canQuantify = false
		case ')':
			if depth == 0 {
				return rxErr("unbalanced ')' at offset %d", i)
			}
			depth--
			canQuantify = true
		case '|':
			canQuantify = false
		case '*', '+', '?':
			if !canQuantify {
				return rxErr("quantifier %q at offset %d has nothing to repeat", c, i)
			}
			if i+1 < len(s) && s[i+1] == '?' {
				return rxErr("lazy quantifier %s? is not supported by the SBPL regex engine", string(c))
			}
			canQuantify = false
		case '{':
			if j := strings.IndexByte(s[i:], '}'); j > 0 && intervalRe().MatchString(s[i:i+j+1]) {
				return rxErr("interval %s is not supported by the SBPL regex engine: repeat the atom instead", s[i:i+j+1])
			}
			canQuantify = true
		case '^', '$':
			canQuantify = false
		default:
			canQuantify = true
		}
	}
	if depth > 0 {
		return rxErr("unbalanced '(': %d group(s) not closed", depth)
	}
	return nil
}

var intervalRe = lazyre.New(`^\{[0-9]*(,[0-9]*)?\}$`)

func pcreHint(c byte) string {
	switch c {
	case 'd':
		return "[0-9]"
	case 'D':
		return "[^0-9]"
	case 's':
		return "[ \t]"
	case 'w':
		return "[A-Za-z0-9_]"
	case 'W':
		return "[^A-Za-z0-9_]"
	}
	return "an explicit character class"
}

// scanBracket returns the index of the ']' closing the bracket at i.
func scanBracket(s string, i int) (int, *regexErr) {
	j := i + 1
	if j < len(s) && s[j] == '^' {
		j++
	}
	if j < len(s) && s[j] == ']' {
		j++
	}
	for ; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '[':
			if j+1 < len(s) && (s[j+1] == ':' || s[j+1] == '=' || s[j+1] == '.') {
				return 0, rxErr("POSIX class %s is not supported by the SBPL regex engine: list the characters", s[j:min(len(s), j+9)])
			}
		case ']':
			return j, nil
		}
	}
	return 0, rxErr("unterminated bracket expression starting at offset %d", i)
}

// processCache is a concurrency-safe, process-wide memo keyed by regex
// source, bounded by maxRegexCache entries (the editor lints forever;
// past the bound values are computed and not kept).
type processCache[V any] struct {
	m sync.Map // string -> V
	n atomic.Int64
}

func (c *processCache[V]) get(k string, compute func(string) V) V {
	if v, ok := c.m.Load(k); ok {
		return v.(V)
	}
	v := compute(k)
	if c.n.Load() < maxRegexCache {
		if _, loaded := c.m.LoadOrStore(k, v); !loaded {
			c.n.Add(1)
		}
	}
	return v
}

// maxRegexCache bounds each process-wide cache.
const maxRegexCache = 4096

// rxCache holds compiled regexes (nil when a source does not compile).
var rxCache processCache[*regexp.Regexp]

// compileRegex compiles an SBPL regex for probing. It returns nil when the
// pattern is outside the dialect or Go cannot read it.
func compileRegex(s string) *regexp.Regexp {
	return rxCache.get(s, func(s string) *regexp.Regexp {
		if checkRegex(s) != nil {
			return nil
		}
		re, _ := regexp.Compile(s)
		return re
	})
}

// everythingProbes are strings an "any path/name" regex matches.
var everythingProbes = []string{"/", "/a", "/private/var/x", "/Users/u/.ssh/id_rsa", "/System/Library/x.dylib", "com.example.service", "x"}

// matchesEverything reports whether the regex matches every probe (".*",
// "^/", "" and friends), i.e. it is as good as no filter.
func matchesEverything(s string, pathOnly bool) bool {
	// Every match of an anchored regex without top-level alternation
	// starts with its literal prefix: unless that is "" or "/", the regex
	// misses "/" (no need to compile it).
	if pre, anchored := regexLiteralPrefix(s); anchored && len(pre) > 1 && !topLevelAlt(s) {
		return false
	}
	re := compileRegex(s)
	if re == nil {
		return false
	}
	for _, p := range everythingProbes {
		if pathOnly && !strings.HasPrefix(p, "/") {
			continue
		}
		if !re.MatchString(p) {
			return false
		}
	}
	return true
}

// regexLiteralPrefix returns the literal text a "^..." regex starts with
// (up to the first metacharacter), and whether the regex is anchored.
func regexLiteralPrefix(s string) (string, bool) {
	if !strings.HasPrefix(s, "^") {
		return "", false
	}
	// lit is the literal so far: s[1:i] until an escape forces a copy.
	var b []byte
	lit := func(i int) string {
		if b != nil {
			return string(b)
		}
		return s[1:i]
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) && regexEscapable[s[i+1]] {
			if b == nil {
				b = append(make([]byte, 0, len(s)), s[1:i]...)
			}
			b = append(b, s[i+1])
			i++
			continue
		}
		if regexMeta[c] {
			// A quantifier applies to the previous character: drop it.
			if str := lit(i); (c == '*' || c == '?' || c == '{') && len(str) > 0 {
				return str[:len(str)-1], true
			}
			return lit(i), true
		}
		if b != nil {
			b = append(b, c)
		}
	}
	return lit(len(s)), true
}

// regexMeta and regexEscapable are byte sets for regexLiteralPrefix.
var regexMeta, regexEscapable = byteSet(".+*?()[]{}|^$\\"), byteSet(".+*?()[]{}|^$\\/-")

func byteSet(chars string) (set [256]bool) {
	for i := 0; i < len(chars); i++ {
		set[chars[i]] = true
	}
	return set
}
