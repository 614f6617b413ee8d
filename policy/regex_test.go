package policy

import (
	"regexp"
	"strings"
	"testing"
)

func TestRegexMatching(t *testing.T) {
	for _, c := range []struct {
		re, s string
		want  bool
	}{
		// Unanchored search.
		{`AccelDevice$`, "IOAccelDeviceX", false},
		{`AccelDevice$`, "IntelAccelDevice", true},
		{`_OpenStep$`, "com.apple.x_OpenStep", true},
		{`/\.git/`, "/w/.git/config", true},
		{`/\.git/`, "/w/xgit/config", false},
		// Anchors.
		{`^/usr/lib/`, "/usr/lib/x", true},
		{`^/usr/lib/`, "/x/usr/lib/x", false},
		{`^/a$`, "/a", true},
		{`^/a$`, "/ab", false},
		{`^/a/[^/]+$`, "/a/b", true},
		{`^/a/[^/]+$`, "/a/b/c", false},
		// Unescaped dot matches any character.
		{`^/a.b$`, "/aXb", true},
		{`^/a\.b$`, "/aXb", false},
		// Alternation and groups.
		{`^/(usr|opt)/bin/`, "/opt/bin/x", true},
		{`^/(usr|opt)/bin/`, "/var/bin/x", false},
		{`^/x(ab)+$`, "/xabab", true},
		{`^/x(ab)?y$`, "/xy", true},
		// Bracket expressions, ] first, \w inside.
		{`^/[]a]$`, "/]", true},
		{`^/[\w.-]+$`, "/a_b.c-d", true},
		{`^/[\w.-]+$`, "/a b", false},
		{`^/[0-9A-F]+$`, "/1A", true},
		{`^/[0-9A-F]+$`, "/1a", false}, // case-sensitive
		// Literal braces not starting an interval.
		{`^/\{x\}$`, "/{x}", true},
		{`^/{x}$`, "/{x}", true},
		// Dot matches newline (POSIX).
		{`^/a.b$`, "/a\nb", true},
		// $ is the end of the string only, never before a final newline.
		{`^/a$`, "/a\n", false},
		// Anchors inside groups and alternatives.
		{`(^/r1|/r2$)`, "/r1/x", true},
		{`(^/r1|/r2$)`, "/x/r1", false},
		{`(^/r1|/r2$)`, "/x/r2", true},
		{`(^/r1|/r2$)`, "/r2/x", false},
		// Empty alternatives.
		{`^/e(|x)$`, "/e", true},
		{`^/e(|x)$`, "/ex", true},
		{`^/e(x|)$`, "/exx", false},
		// \. inside brackets is a dot, not "any character".
		{`^/a[\.x]b$`, "/a.b", true},
		{`^/a[\.x]b$`, "/aQb", false},
		// ] and [ as literals; ^ not first is literal.
		{`^/[^]a]$`, "/b", true},
		{`^/[^]a]$`, "/]", false},
		{`^/[a^]$`, "/^", true},
		{`^/[[]$`, "/[", true},
		// A greedy and a lazy quantifier accept the same strings.
		{`^/a*?b$`, "/aaab", true},
	} {
		re, err := compileRegex(c.re)
		if err != nil {
			t.Errorf("%q: %v", c.re, err)
			continue
		}
		if got := re.match(c.s); got != c.want {
			t.Errorf("%q on %q = %v, want %v", c.re, c.s, got, c.want)
		}
		// The pre-checks never change the answer.
		if got := re.re.MatchString(c.s); got != c.want {
			t.Errorf("%q on %q: automaton says %v", c.re, c.s, got)
		}
	}
}

func TestRegexRejected(t *testing.T) {
	for _, c := range []struct{ re, msg string }{
		{`^/a{2}$`, "interval"},
		{`^/a{2,3}$`, "interval"},
		{`^/(?:a)$`, "(?...)"},
		{`^/a(?=b)`, "(?...)"},
		{`^/[[:alpha:]]$`, "POSIX classes"},
		{`^/\d+$`, `\d`},
		{`^/(a)\1$`, "back-reference"},
		{`^/[\d]$`, `\d`},
		{`^/[a`, "unterminated"},
		{`^/(a`, "malformed"},
		{`*a`, "nothing to repeat"},
		{`a\`, "lone backslash"},
		// Go-only syntax is never passed through.
		{`\pL`, `\p`},
		{`[\pL]`, `\p`},
		{`\Qa.b\E`, `\Q`},
		{`\x41`, `\x`},
		{`\z`, `\z`},
		{`(?i)a`, "(?...)"},
		{`(?P<n>a)`, "(?...)"},
		{`a{,2}`, "interval"},
	} {
		_, err := TranslateRegex(c.re)
		if err == nil {
			t.Errorf("%q: accepted", c.re)
			continue
		}
		if !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%q: error %q does not mention %q", c.re, err, c.msg)
		}
	}
}

func TestRegexPrecheck(t *testing.T) {
	re, _ := compileRegex(`^/usr/lib/.*\.dylib$`)
	if re.prefix != "/usr/lib/" || re.contains == "" {
		t.Errorf("prefix %q contains %q", re.prefix, re.contains)
	}
	re, _ = compileRegex(`^/exact/path$`)
	if !re.exact || !re.match("/exact/path") || re.match("/exact/path/x") {
		t.Errorf("exact regex mishandled: %+v", re)
	}
}

func TestQuoteRegex(t *testing.T) {
	s := `/Users/a.b+c/(x)[y]^$|*?{}\`
	re, err := compileRegex("^" + QuoteRegex(s) + "$")
	if err != nil {
		t.Fatal(err)
	}
	if !re.match(s) || re.match(strings.Replace(s, ".", "X", 1)) {
		t.Errorf("QuoteRegex(%q) does not match itself only", s)
	}
}

func FuzzTranslateRegex(f *testing.F) {
	for _, s := range []string{`^/usr/lib/.*\.dylib$`, `[]a-z\w]`, `a{2}`, `(a|b)*c+`, `[[:x:]]`, `\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := TranslateRegex(s)
		if err != nil {
			return
		}
		if _, err := regexp.Compile(out); err != nil {
			t.Fatalf("translation of %q = %q does not compile: %v", s, out, err)
		}
	})
}
