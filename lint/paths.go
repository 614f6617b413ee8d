package lint

import (
	"fmt"
	"iter"
	"path"
	"slices"
	"strings"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/policy"
	"github.com/sbplc/sbplc/vocab"
)

var pathRules = []*Rule{
	{ID: "unresolved-symlink-path", Run: runUnresolvedSymlink},
	{ID: "subpath-trailing-slash", Run: runTrailingSlash},
	{ID: "non-canonical-path", Run: runNonCanonical},
	{ID: "relative-path", Run: runRelativePath},
	{ID: "tilde-in-path", Run: runTildePath},
	{ID: "glob-in-path-literal", Run: runGlobInLiteral},
	{ID: "data-volume-path", Run: runDataVolume},
	{ID: "regex-unanchored", Run: runRegexUnanchored},
	{ID: "regex-matches-everything", Run: runRegexEverything},
	{ID: "regex-unescaped-metachar", Run: runRegexMetachar},
}

// concretePathArgs yields the path arguments of the run's index whose
// leaves have one of the match kinds, in index order. It filters the index
// on each call instead of keeping a list per set of kinds: on a profile of
// 100,000 rules each list took megabytes, for a loop this cheap.
func concretePathArgs(p *Pass, kinds ...ir.Match) iter.Seq[PathArg] {
	return func(yield func(PathArg) bool) {
		for _, pa := range p.Index().PathArgs {
			if slices.Contains(kinds, matchOf(pa.Leaf)) && !yield(pa) {
				return
			}
		}
	}
}

// coversMetadata reports whether one of r's operations reaches
// file-read-metadata requests (file-read-metadata, file-read*, file*):
// the only check Seatbelt makes on a symlink's own spelling.
func coversMetadata(r *ir.Rule) bool {
	for _, o := range r.Ops {
		if vocab.Covers(o.Name, "file-read-metadata") {
			return true
		}
	}
	return false
}

// symlinkArg is a path argument spelled through a root symlink (/tmp,
// /var, /etc), as policy.ResolvePath sees its literal text.
type symlinkArg struct {
	link  string // the symlink the spelling goes through ("/tmp")
	off   int    // where "/private" goes in the value (after a regex's ^)
	shown string // the argument as written (a regex keeps its ^)
	// matchesLink: the filter matches the link's own spelling, which
	// Seatbelt checks as file-read-metadata (lstat, and every lookup
	// through the link); linkOnly: and nothing under it.
	matchesLink, linkOnly bool
}

// symlinkSpelling classifies a path argument of match kind m; ok is false
// when the argument does not go through a root symlink.
func symlinkSpelling(v *ir.Value, m ir.Match) (symlinkArg, bool) {
	var a symlinkArg
	lit := v.Str
	if m == ir.MatchRegex {
		pre, anchored := regexLiteralPrefix(v.Str)
		if !anchored {
			return a, false
		}
		lit, a.off = pre, 1
	}
	// Only a spelling whose first component is a root symlink goes
	// through one (most paths do not: answer before resolving).
	first := lit
	if i := strings.IndexByte(lit[min(1, len(lit)):], '/'); i >= 0 {
		first = lit[:i+1]
	}
	if !policy.IsSymlink(first) {
		return a, false
	}
	if m == ir.MatchRegex {
		a.shown = regexShown(v)
	} else {
		a.shown = fmt.Sprintf("%q", v.Str)
	}
	lk, err := policy.ResolvePath(lit)
	if err != nil || len(lk.Links) == 0 || !strings.HasPrefix(lit, lk.Links[0]) {
		return a, false // no symlink, or one reached only after ".."
	}
	a.link = lk.Links[0]
	switch m {
	case ir.MatchExact:
		a.matchesLink, a.linkOnly = v.Str == a.link, v.Str == a.link
	case ir.MatchSubpath, ir.MatchPrefix:
		a.matchesLink = v.Str == a.link
	case ir.MatchRegex:
		if re := compileRegex(v.Str); re != nil && re.MatchString(a.link) {
			a.matchesLink = true
			a.linkOnly = !re.MatchString(a.link + "/x")
		}
	}
	return a, true
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
		v, r := pa.Val, pa.Rule
		a, ok := symlinkSpelling(v, matchOf(pa.Leaf))
		if !ok {
			continue
		}
		partial := a.matchesLink && coversMetadata(r)
		if partial && a.linkOnly {
			continue // lstat of the link itself (and lookups through it)
		}
		s := v.Str[a.off:]
		if canon[spelling{r.Action, "/private" + s}] {
			continue
		}
		fixed := v.Str[:a.off] + "/private" + s
		d := diag.Diagnostic{Span: valueSpan(r, pa.Leaf, v)}
		deny := r.Action == ir.Deny && !pa.Neg
		if partial {
			// Keep the link's own spelling, which the filter does match,
			// and add the resolved one beside it (arguments are ORed).
			denied := ""
			if deny {
				denied = ", so they are not denied"
			}
			d.Message = fmt.Sprintf("%s is a symlink to /private%s: %s matches only the link itself (its file-read-metadata), never a path under it: Seatbelt checks those as /private%s/...%s; add %q", a.link, a.link, a.shown, a.link, denied, fixed)
			if e, ok := p.twinEdit(pa.Leaf, v, a.off, "/private"); ok {
				d.Fixes = []diag.Fix{{Title: fmt.Sprintf("add %q", fixed), Edits: []diag.Edit{e}}}
			}
		} else {
			denied := ""
			if deny {
				denied = " and denies nothing"
			}
			d.Message = fmt.Sprintf("%s is a symlink to /private%s: Seatbelt matches resolved paths, so %s never matches%s; write %q", a.link, a.link, a.shown, denied, fixed)
			if e, ok := p.literalEdit(pa.Leaf, v, a.off, a.off, "/private"); ok {
				d.Fixes = []diag.Fix{{Title: fmt.Sprintf("write %q", fixed), Edits: []diag.Edit{e}}}
			}
		}
		if r.Action == ir.Deny {
			p.ReportSev(diag.Warning, d)
		} else {
			p.Report(d)
		}
	}
}

func runTrailingSlash(p *Pass) {
	for pa := range concretePathArgs(p, ir.MatchSubpath, ir.MatchExact) {
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
		if e, ok := p.literalEdit(pa.Leaf, pa.Val, len(trimmed), len(s), ""); ok {
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
	for pa := range concretePathArgs(p, ir.MatchSubpath, ir.MatchExact, ir.MatchPrefix) {
		s := pa.Val.Str
		if !nonCanonical(s) {
			continue
		}
		// What the kernel reports (policy.ResolvePath): //, . and ..
		// collapsed and the root symlinks resolved, except for the
		// spelling of a link itself, which lstat checks as written.
		clean := path.Clean(s)
		if lk, err := policy.ResolvePath(s); err == nil && !lk.OnLink {
			clean = lk.Path
		}
		if matchOf(pa.Leaf) == ir.MatchPrefix && strings.HasSuffix(s, "/") && clean != "/" {
			clean += "/"
		}
		d := diag.Diagnostic{Span: valueSpan(pa.Rule, pa.Leaf, pa.Val),
			Message: fmt.Sprintf("path %q is not canonical: the kernel reports %q, so this spelling never matches; write %q", s, clean, clean)}
		if e, ok := p.literalEdit(pa.Leaf, pa.Val, 0, len(s), clean); ok {
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
	for pa := range concretePathArgs(p, ir.MatchSubpath, ir.MatchExact, ir.MatchPrefix) {
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
	for pa := range concretePathArgs(p, ir.MatchSubpath, ir.MatchExact, ir.MatchPrefix) {
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
	const data = "/System/Volumes/Data"
	for _, pa := range p.Index().PathArgs {
		v := pa.Val
		off := 0
		if matchOf(pa.Leaf) == ir.MatchRegex && strings.HasPrefix(v.Str, "^") {
			off = 1
		}
		s := v.Str[off:]
		if rest, ok := strings.CutPrefix(s, data); ok && (rest == "/private" || strings.HasPrefix(rest, "/private/")) {
			// Seatbelt checks the Data volume's /private as /private
			// (policy.ResolvePath): this spelling is never seen.
			d := diag.Diagnostic{Span: valueSpan(pa.Rule, pa.Leaf, v),
				Message: fmt.Sprintf("%q goes through the data volume: Seatbelt checks it as %q, so this spelling never matches; write %q", s, rest, v.Str[:off]+rest)}
			if e, ok := p.literalEdit(pa.Leaf, v, off, off+len(data), ""); ok {
				d.Fixes = []diag.Fix{{Title: fmt.Sprintf("write %q", v.Str[:off]+rest), Edits: []diag.Edit{e}}}
			}
			p.Report(d)
			continue
		}
		for _, pre := range []string{data + "/", "/Volumes/Macintosh HD/"} {
			if strings.HasPrefix(s, pre) {
				short := "/" + strings.TrimPrefix(s, pre)
				p.Reportf(valueSpan(pa.Rule, pa.Leaf, v), "%q goes through the data volume: the same file is usually seen as %q (firmlink), so this spelling may never match; write %q, or both spellings", s, short, short)
				break
			}
		}
	}
}

func runRegexUnanchored(p *Pass) {
	for pa := range concretePathArgs(p, ir.MatchRegex) {
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
		// An unanchored /tmp/... also matches its resolved spelling
		// /private/tmp/...: the anchor goes before the resolved spelling,
		// or the anchored regex would never match.
		anchor, how := "^", "anchor it with ^"
		if pre, _ := regexLiteralPrefix("^" + s); pre != "" {
			if lk, err := policy.ResolvePath(pre); err == nil && len(lk.Links) > 0 && strings.HasPrefix(pre, lk.Links[0]) {
				anchor = "^/private"
				how = fmt.Sprintf("anchor it as #%q (%s is a symlink to /private%s, which Seatbelt matches)", anchor+s, lk.Links[0], lk.Links[0])
			}
		}
		d := diag.Diagnostic{Span: valueSpan(pa.Rule, pa.Leaf, pa.Val),
			Message: fmt.Sprintf("regex %s has no ^: regexes search the whole path, so it also matches paths that merely contain a match,%s; %s", regexShown(pa.Val), also, how)}
		if e, ok := p.literalEdit(pa.Leaf, pa.Val, 0, 0, anchor); ok {
			d.Fixes = []diag.Fix{{Title: "anchor the regex with " + anchor, Edits: []diag.Edit{e}}}
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
