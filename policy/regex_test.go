package policy

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
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
		if got := re.automaton().MatchString(c.s); got != c.want {
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

var lazyRuns int

// TestRegexLazy: building an engine validates regexes but compiles none;
// a request that fails the literal pre-checks never compiles one, and the
// regexes the literals decide never compile at all.
func TestRegexLazy(t *testing.T) {
	// Translations are cached for the process and the test compiles the
	// automata at the end: fresh sources per run keep -count=N honest.
	lazyRuns++
	tag := fmt.Sprintf("Lazy%d", lazyRuns)
	for _, c := range []struct {
		re, miss, hit  string
		needsAutomaton bool
	}{
		{`^/System/Library/LazyA/[^/]+\.plist$`, "/usr/lib/x.plist", "/System/Library/LazyA/y.plist", true},
		{`^/System/Library/LazyB/`, "/usr/lib/x", "/System/Library/LazyB/z", false},
		{`^/System/Library/LazyC/.*`, "/System/Library/Lazy", "/System/Library/LazyC/", false},
		{`^/System/Library/LazyD/.*$`, "/x", "/System/Library/LazyD/a/b", false},
		{`LazyE\.plist$`, "/LazyE.plistx", "/a/LazyE.plist", false},
		{`LazyF`, "/a/b", "/a/LazyF/b", false},
		{`^/LazyG$`, "/LazyG/", "/LazyG", false},
	} {
		c.re, c.miss, c.hit = strings.ReplaceAll(c.re, "Lazy", tag), strings.ReplaceAll(c.miss, "Lazy", tag), strings.ReplaceAll(c.hit, "Lazy", tag)
		// Through the engine: New must not compile the automaton.
		p := prof(allow("file-read*", rx(c.re)))
		e, ds := New(p, Options{})
		if len(ds) > 0 {
			t.Fatal(ds)
		}
		re, err := compileRegex(c.re) // the cached, shared translation
		if err != nil {
			t.Fatal(err)
		}
		if re.compiled() {
			t.Errorf("%q: compiled by New", c.re)
		}
		if d := e.Query(Request{Op: "file-read-data", Resource: Resource{Kind: KindPath, Text: c.miss, Path: c.miss}}); d.Result != Deny {
			t.Errorf("%q on %q: %v, want deny", c.re, c.miss, d.Result)
		}
		if re.compiled() {
			t.Errorf("%q: compiled for %q, which fails the literal pre-checks", c.re, c.miss)
		}
		if d := e.Query(Request{Op: "file-read-data", Resource: Resource{Kind: KindPath, Text: c.hit, Path: c.hit}}); d.Result != Allow {
			t.Errorf("%q on %q: %v, want allow", c.re, c.hit, d.Result)
		}
		if re.compiled() != c.needsAutomaton {
			t.Errorf("%q: compiled = %v after a hit, want %v", c.re, re.compiled(), c.needsAutomaton)
		}
		// The shortcuts agree with the automaton.
		for _, s := range []string{c.miss, c.hit} {
			if re.match(s) != re.automaton().MatchString(s) {
				t.Errorf("%q on %q: shortcut and automaton disagree", c.re, s)
			}
		}
	}
}

// TestRegexCacheBounded: the process-wide cache stays bounded, and a
// rejected regex gives the same error from the cache.
func TestRegexCacheBounded(t *testing.T) {
	for i := 0; i < rxCacheMax+50; i++ {
		if _, err := compileRegex(fmt.Sprintf(`^/bound/%d/x+$`, i)); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := rxCache.size(); n > rxCacheMax {
		t.Errorf("cache holds %d translations, limit %d", n, rxCacheMax)
	}
	_, err1 := compileRegex(`^/a{2}$`)
	_, err2 := compileRegex(`^/a{2}$`)
	if err1 == nil || err2 == nil || err1.Error() != err2.Error() {
		t.Errorf("cached error differs: %v / %v", err1, err2)
	}
}

// TestRegexConcurrent queries one engine from many goroutines while the
// automata are built lazily (run with -race).
func TestRegexConcurrent(t *testing.T) {
	p := prof(allow("file-read*", rx(`^/conc/[a-z]+[0-9]$`)), allow("file-read*", rx(`^/conc2/(a|b)+$`)))
	e, _ := New(p, Options{})
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if d := e.Query(Request{Op: "file-read-data", Resource: Resource{Kind: KindPath, Text: "/conc/ab1", Path: "/conc/ab1"}}); d.Result != Allow {
					t.Errorf("got %v", d.Result)
					return
				}
				if d := e.Query(Request{Op: "file-read-data", Resource: Resource{Kind: KindPath, Text: "/conc2/abc", Path: "/conc2/abc"}}); d.Result != Deny {
					t.Errorf("got %v", d.Result)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestRegexDiagnosticsStable: a rejected regex gives the same warning on
// every build of the engine (the second comes from the cache).
func TestRegexDiagnosticsStable(t *testing.T) {
	p := prof(allow("file-read*", rx(`^/stable/\d+$`)))
	_, d1 := New(p, Options{})
	_, d2 := New(p, Options{})
	if len(d1) != 1 || len(d2) != 1 || d1[0].Message != d2[0].Message || d1[0].Code != "policy/unsupported-regex" {
		t.Fatalf("diagnostics differ or missing: %v / %v", d1, d2)
	}
}
