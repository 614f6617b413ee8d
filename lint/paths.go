package lint

import (
	"fmt"
	"path"
	"strings"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/ir"
)

var pathRules = []*Rule{
	{ID: "unresolved-symlink-path", Category: Paths, Severity: diag.Error,
		Summary: "/tmp, /var or /etc path that never matches", Run: runUnresolvedSymlink},
	{ID: "subpath-trailing-slash", Category: Paths, Severity: diag.Warning,
		Summary: "subpath or literal ending in a slash", Run: runTrailingSlash},
	{ID: "non-canonical-path", Category: Paths, Severity: diag.Warning,
		Summary: "path with //, /./ or /../ that never matches", Run: runNonCanonical},
	{ID: "relative-path", Category: Paths, Severity: diag.Error,
		Summary: "path filter argument that does not start with /", Run: runRelativePath},
	{ID: "tilde-in-path", Category: Paths, Severity: diag.Error,
		Summary: "~ or $HOME in a path: SBPL does no shell expansion", Run: runTildePath},
	{ID: "glob-in-path-literal", Category: Paths, Severity: diag.Error,
		Summary: "glob characters in a literal, subpath or prefix", Run: runGlobInLiteral},
	{ID: "data-volume-path", Category: Paths, Severity: diag.Warning,
		Summary: "path spelled through /System/Volumes/Data", Run: runDataVolume},
	{ID: "regex-unanchored", Category: Paths, Severity: diag.Warning,
		Summary: "path regex without ^ matches anywhere in the path", Run: runRegexUnanchored},
	{ID: "regex-matches-everything", Category: Paths, Severity: diag.Warning,
		Summary: "regex that matches every path or name", Run: runRegexEverything},
	{ID: "regex-unescaped-metachar", Category: Paths, Severity: diag.Info,
		Summary: "unescaped . in a regex that names a file or service", Run: runRegexMetachar},
}

// pathValue is a concrete path argument of a leaf with the given match kinds.
//
// The list is computed once per run and set of kinds, and shared by the
// rules that ask for it: callers must not modify it.
func concretePathArgs(p *Pass, kinds ...ir.Match) []PathArg {
	return p.run.facts.pathArgs.get(matchKey(kinds), func() []PathArg {
		has := func(m ir.Match) bool {
			for _, k := range kinds {
				if m == k {
					return true
				}
			}
			return false
		}
		n := 0
		for _, pa := range p.Index().PathArgs {
			if has(matchOf(pa.Leaf)) {
				n++
			}
		}
		out := make([]PathArg, 0, n)
		for _, pa := range p.Index().PathArgs {
			m := matchOf(pa.Leaf)
			for _, k := range kinds {
				if m == k {
					out = append(out, pa)
					break
				}
			}
		}
		return out
	})
}

// symlinkPrefixes are the root symlinks of macOS and their targets.
var symlinkPrefixes = []string{"/tmp", "/var", "/etc"}

// symlinkAlias returns the aliased prefix ("/tmp") a path starts with.
func symlinkAlias(s string) string {
	for _, pre := range symlinkPrefixes {
		if s == pre || strings.HasPrefix(s, pre+"/") {
			return pre
		}
	}
	return ""
}

func isMetadataOnly(r *ir.Rule) bool {
	for _, o := range r.Ops {
		if o.Name != "file-read-metadata" && o.Name != "file-test-existence" {
			return false
		}
	}
	return len(r.Ops) > 0
}

func runUnresolvedSymlink(p *Pass) {
	// Spellings the profile also uses with /private: the dual form is fine.
	type spelling struct {
		action ir.Action
		path   string
	}
	canon := make(map[spelling]bool, len(p.Index().PathArgs))
	for _, pa := range p.Index().PathArgs {
		canon[spelling{pa.Rule.Action, strings.TrimPrefix(pa.Val.Str, "^")}] = true
	}
	for _, pa := range p.Index().PathArgs {
		v := pa.Val
		m := matchOf(pa.Leaf)
		s, off := v.Str, 0
		if m == ir.MatchRegex {
			if !strings.HasPrefix(s, "^") {
				continue
			}
			s, off = s[1:], 1
			s = strings.ReplaceAll(s, `\/`, "/")
		}
		pre := symlinkAlias(s)
		if pre == "" {
			continue
		}
		r := pa.Rule
		if m == ir.MatchExact && s == pre && isMetadataOnly(r) {
			continue // lstat of the link itself
		}
		if canon[spelling{r.Action, "/private" + s}] {
			continue
		}
		d := diag.Diagnostic{Span: valueSpan(r, pa.Leaf, v)}
		fixed := "/private" + s
		effect := "never matches"
		if r.Action == ir.Deny && !pa.Neg {
			effect = "never matches, so nothing is denied"
		}
		if off == 1 {
			fixed = "^" + fixed // the whole replacement, as written
		}
		d.Message = fmt.Sprintf("%s is a symlink to /private%s: Seatbelt matches resolved paths, so %q %s; write %q", pre, pre, s, effect, fixed)
		if e, ok := p.literalEdit(v, off, off, "/private"); ok {
			d.Fixes = []diag.Fix{{Title: fmt.Sprintf("write %q", fixed), Edits: []diag.Edit{e}}}
		}
		if r.Action == ir.Deny {
			p.ReportSev(diag.Warning, d)
		} else {
			p.Report(d)
		}
	}
}

func runTrailingSlash(p *Pass) {
	for _, pa := range concretePathArgs(p, ir.MatchSubpath, ir.MatchExact) {
		s := pa.Val.Str
		if len(s) < 2 || !strings.HasSuffix(s, "/") || pa.Val.Symbolic() {
			continue
		}
		d := diag.Diagnostic{Span: valueSpan(pa.Rule, pa.Leaf, pa.Val),
			Message: fmt.Sprintf("%s %q ends in a slash: resolved paths never do, so it may match neither the directory nor its contents; write %q", writtenName(pa.Leaf), s, strings.TrimRight(s, "/"))}
		trimmed := strings.TrimRight(s, "/")
		if trimmed == "" {
			continue
		}
		if e, ok := p.literalEdit(pa.Val, len(trimmed), len(s), ""); ok {
			d.Fixes = []diag.Fix{{Title: "remove the trailing slash", Edits: []diag.Edit{e}}}
		}
		p.Report(d)
	}
}

// nonCanonical reports whether s has empty, "." or ".." components.
func nonCanonical(s string) bool {
	if !strings.HasPrefix(s, "/") {
		return false
	}
	body := strings.TrimSuffix(s[1:], "/")
	for _, c := range strings.Split(body, "/") {
		if c == "" && body != "" || c == "." || c == ".." {
			return true
		}
	}
	return false
}

func runNonCanonical(p *Pass) {
	for _, pa := range concretePathArgs(p, ir.MatchSubpath, ir.MatchExact, ir.MatchPrefix) {
		s := pa.Val.Str
		if !nonCanonical(s) {
			continue
		}
		clean := path.Clean(s)
		if matchOf(pa.Leaf) == ir.MatchPrefix && strings.HasSuffix(s, "/") && clean != "/" {
			clean += "/"
		}
		d := diag.Diagnostic{Span: valueSpan(pa.Rule, pa.Leaf, pa.Val),
			Message: fmt.Sprintf("path %q is not canonical: the kernel reports %q, so this spelling never matches; write %q", s, clean, clean)}
		if e, ok := p.literalEdit(pa.Val, 0, len(s), clean); ok {
			d.Fixes = []diag.Fix{{Title: fmt.Sprintf("write %q", clean), Edits: []diag.Edit{e}}}
		}
		p.Report(d)
	}
}

func hasTilde(s string) bool {
	return strings.HasPrefix(s, "~") || strings.Contains(s, "/~") || strings.Contains(s, "$HOME") ||
		strings.Contains(s, "%h") || strings.HasPrefix(s, "^~")
}

func runRelativePath(p *Pass) {
	for _, pa := range concretePathArgs(p, ir.MatchSubpath, ir.MatchExact, ir.MatchPrefix) {
		s := pa.Val.Str
		if strings.HasPrefix(s, "/") || strings.HasPrefix(s, "$") || pa.Val.Symbolic() || hasTilde(s) {
			continue
		}
		if s == "" {
			continue // only meaningful with a pattern variable; see tilde-in-path
		}
		p.Reportf(valueSpan(pa.Rule, pa.Leaf, pa.Val), "path %q is relative: the sandbox has no working directory, so the rule never matches; build an absolute path, e.g. (string-append (param \"PROJECT\") \"/%s\")", s, strings.TrimPrefix(s, "./"))
	}
}

func runTildePath(p *Pass) {
	for _, pa := range p.Index().PathArgs {
		s := pa.Val.Str
		if !hasTilde(s) {
			continue
		}
		rest := s
		if i := strings.IndexByte(s, '/'); strings.HasPrefix(s, "~") && i >= 0 {
			rest = s[i:]
		}
		p.Reportf(valueSpan(pa.Rule, pa.Leaf, pa.Val), "%q: SBPL performs no shell expansion, so ~ and $HOME are literal characters and the rule never matches; use (string-append (param \"HOME\") %q) and pass -D HOME=\"$HOME\"", s, rest)
	}
}

func runGlobInLiteral(p *Pass) {
	for _, pa := range concretePathArgs(p, ir.MatchSubpath, ir.MatchExact, ir.MatchPrefix) {
		s := pa.Val.Str
		if !(strings.Contains(s, "*") || (strings.Contains(s, "{") && strings.Contains(s, ",") && strings.Contains(s, "}"))) {
			continue
		}
		p.Reportf(valueSpan(pa.Rule, pa.Leaf, pa.Val), "%s %q contains glob characters, which %s matches literally, so the rule never matches; use a regex such as (regex #\"^%s\")", writtenName(pa.Leaf), s, writtenName(pa.Leaf), globToRegex(s))
	}
}

func globToRegex(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '*' && i+1 < len(s) && s[i+1] == '*':
			b.WriteString(".*")
			i++
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		case strings.IndexByte(".+()|^$[]\\", c) >= 0:
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String() + "(/|$)"
}

func runDataVolume(p *Pass) {
	for _, pa := range p.Index().PathArgs {
		s := strings.TrimPrefix(pa.Val.Str, "^")
		for _, pre := range []string{"/System/Volumes/Data/", "/Volumes/Macintosh HD/"} {
			if strings.HasPrefix(s, pre) {
				short := "/" + strings.TrimPrefix(s, pre)
				p.Reportf(valueSpan(pa.Rule, pa.Leaf, pa.Val), "%q goes through the data volume: the same file is usually seen as %q (firmlink), so this spelling may never match; write %q, or both spellings", s, short, short)
				break
			}
		}
	}
}

func runRegexUnanchored(p *Pass) {
	for _, pa := range concretePathArgs(p, ir.MatchRegex) {
		if !isFilePath(pa.Leaf) || pa.Val.Symbolic() {
			continue
		}
		s := pa.Val.Str
		if strings.HasPrefix(s, "^") || s == "" || pa.Rule.Action != ir.Allow || pa.Neg {
			continue
		}
		if !looksAbsolute(s) {
			continue // a file-name pattern such as "/\.CFUserTextEncoding$" is deliberate
		}
		also := ""
		if ex := regexExample(s); ex != "" {
			also = fmt.Sprintf(" such as %q", "/x"+ex)
		}
		d := diag.Diagnostic{Span: valueSpan(pa.Rule, pa.Leaf, pa.Val),
			Message: fmt.Sprintf("regex %s has no ^: regexes search the whole path, so it also matches paths that merely contain a match,%s; anchor it with ^", regexShown(pa.Val), also)}
		if e, ok := p.literalEdit(pa.Val, 0, 0, "^"); ok {
			d.Fixes = []diag.Fix{{Title: "anchor the regex with ^", Edits: []diag.Edit{e}}}
		}
		p.Report(d)
	}
}

// rootDirs are the top-level directories of a macOS file system.
var rootDirs = map[string]bool{"Users": true, "private": true, "tmp": true, "var": true, "etc": true, "usr": true,
	"System": true, "Library": true, "Applications": true, "opt": true, "Volumes": true, "dev": true, "bin": true,
	"sbin": true, "cores": true, "Network": true, "home": true}

// looksAbsolute reports whether an unanchored regex reads like an absolute
// path (it starts with a top-level directory) or a directory pattern
// ("/node_modules/"), rather than a deliberate file-name match.
func looksAbsolute(s string) bool {
	if !strings.HasPrefix(s, "/") {
		return false
	}
	first := s[1:]
	if i := strings.IndexAny(first, "/[(\\.*+?|$"); i >= 0 {
		first = first[:i]
	}
	if rootDirs[first] {
		return true
	}
	return strings.HasSuffix(s, "/") && !strings.HasSuffix(s, "$")
}

func runRegexEverything(p *Pass) {
	for _, lr := range p.Index().Leaves {
		r, l := lr.Rule, lr.Leaf
		if r.Action != ir.Allow || lr.Neg || matchOf(l) != ir.MatchRegex {
			continue
		}
		for i := range l.Args {
			v := &l.Args[i]
			if v.Kind == ir.String && !v.Symbolic() && matchesEverything(v.Str, isPathFilter(l)) {
				p.Reportf(valueSpan(r, l, v), "regex %s matches everything: this is an unfiltered allow in disguise; list the directories or names the program needs", regexShown(v))
			}
		}
	}
}

func runRegexMetachar(p *Pass) {
	for _, lr := range p.Index().Leaves {
		r, l := lr.Rule, lr.Leaf
		if matchOf(l) != ir.MatchRegex {
			continue
		}
		for i := range l.Args {
			v := &l.Args[i]
			if v.Kind != ir.String || v.Symbolic() {
				continue
			}
			if strings.Contains(v.Origin.Span.Text(), `\.`) && !strings.HasPrefix(v.Origin.Span.Text(), "#") {
				continue // non-sbpl-string-escape reports the dropped backslash
			}
			if at := unescapedDot(v.Str); at >= 0 {
				p.Reportf(valueSpan(r, l, v), "regex %s: the unescaped . in %q matches any character; write \\. for a literal dot", regexShown(v), dotContext(v.Str, at))
			}
		}
	}
}

// unescapedDot finds a "." between two letters or digits outside brackets
// (a file-name or reverse-DNS dot), or returns -1.
func unescapedDot(s string) int {
	inBr := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			i++
		case c == '[':
			inBr = true
		case c == ']':
			inBr = false
		case c == '.' && !inBr && i > 0 && i+1 < len(s) && isAlnum(s[i-1]) && isAlnum(s[i+1]):
			return i
		}
	}
	return -1
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func dotContext(s string, at int) string {
	a, b := at, at+1
	for a > 0 && isAlnum(s[a-1]) {
		a--
	}
	for b < len(s) && isAlnum(s[b]) {
		b++
	}
	return s[a:b]
}
