package lint

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/eval"
	"github.com/sbplc/sbplc/internal/lazyre"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/source"
)

var styleRules = []*Rule{
	{ID: "hardcoded-home", Run: runHardcodedHome},
	{ID: "prefer-subpath", Run: runPreferSubpath},
	{ID: "complex-regex", Run: runComplexRegex},
	{ID: "unused-define", Run: runUnusedDefine},
	{ID: "implicit-default", Run: runImplicitDefault},
	{ID: "unused-ignore"},
	{ID: "unknown-rule-in-ignore"},
}

var homeRe = lazyre.New(`^\^?/Users/([^/\\\[\](){}*+?.^$|]+)`)

func runHardcodedHome(p *Pass) {
	for _, pa := range p.Index().PathArgs {
		v := pa.Val
		// A value built from a param (bound by -D or not) is the caller's
		// path, not one written in the profile.
		if len(v.FromParams) > 0 || v.Symbolic() || !p.UserSpan(v.Origin.Span) {
			continue
		}
		m := homeRe().FindStringSubmatch(v.Str)
		if m == nil || m[1] == "Shared" {
			continue
		}
		rest := strings.TrimPrefix(strings.TrimPrefix(v.Str, "^"), "/Users/"+m[1])
		expr := "(param \"HOME\")"
		if rest != "" {
			expr = fmt.Sprintf("(string-append (param \"HOME\") %q)", rest)
		}
		p.Reportf(valueSpan(pa.Rule, pa.Leaf, v), "%q is one user's home: the profile stops matching on other machines; write %s and pass -D HOME=\"$HOME\"", v.Str, expr)
	}
}

var subpathRegexRe = lazyre.New(`^\^((?:/(?:[A-Za-z0-9_ -]|\\\.)+)+)(\(/\.\*\)\?\$|\(/\|\$\)|\$)$`)

func runPreferSubpath(p *Pass) {
	for pa := range concretePathArgs(p, ir.MatchRegex) {
		if !isFilePath(pa.Leaf) {
			continue
		}
		m := subpathRegexRe().FindStringSubmatch(pa.Val.Str)
		if m == nil {
			continue
		}
		dir := strings.ReplaceAll(m[1], `\.`, ".")
		if m[2] == "$" {
			p.Reportf(valueSpan(pa.Rule, pa.Leaf, pa.Val), "regex %q matches one path: write (literal %q)", pa.Val.Str, dir)
			continue
		}
		p.Reportf(valueSpan(pa.Rule, pa.Leaf, pa.Val), "regex %q is (subpath %q): subpath is clearer and has no metacharacter pitfalls", pa.Val.Str, dir)
	}
}

func countAlternatives(s string) int {
	n := 1
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '|':
			n++
		}
	}
	return n
}

func runComplexRegex(p *Pass) {
	maxLen, _ := strconv.Atoi(p.Param("max-length"))
	maxAlt, _ := strconv.Atoi(p.Param("max-alternatives"))
	if maxLen <= 0 {
		maxLen = 200
	}
	if maxAlt <= 0 {
		maxAlt = 16
	}
	for _, lr := range p.Index().Leaves {
		r, l := lr.Rule, lr.Leaf
		if matchOf(l) != ir.MatchRegex {
			continue
		}
		for i := range l.Args {
			v := &l.Args[i]
			if v.Kind != ir.String {
				continue
			}
			if n := countAlternatives(v.Str); len(v.Str) > maxLen || n > maxAlt {
				p.Reportf(valueSpan(r, l, v), "regex of %d characters with %d alternatives is hard to review: split it into several literal, subpath or regex filters in one rule", len(v.Str), n)
			}
		}
	}
}

// sharedFile reports whether the file is a piece that other profiles
// include or prepend, so its top-level definitions are for them: a
// fragment ("; sbplc:fragment" or --fragment), a file with no top-level
// (version) form (a fragment or a helper library such as WebKit's
// util.sb, included by a profile that declares the version), or a file
// the configuration prepends as a prelude. Nothing else in a file says
// who includes it, so a prelude that declares the version (Chromium's
// common.sb) is marked or configured.
func sharedFile(p *Pass) bool {
	if p.Opts.Fragment || eval.IsFragment(p.File) || len(versionForms(p.File)) == 0 {
		return true
	}
	if p.Src == nil || p.Config == nil || len(p.Config.Preludes) == 0 {
		return false
	}
	name, err := filepath.Abs(p.Src.Name)
	if err != nil {
		return false
	}
	for _, pl := range p.Config.Preludes {
		if a, err := filepath.Abs(pl); err == nil && a == name {
			return true
		}
	}
	return false
}

func runUnusedDefine(p *Pass) {
	if p.File == nil || sharedFile(p) {
		return
	}
	type def struct {
		name string
		sp   source.Span
	}
	var defs []def
	for _, form := range p.File.Forms {
		l, ok := form.(*ast.List)
		if !ok || len(l.Elems) < 2 {
			continue
		}
		switch l.HeadSymbol() {
		case "define", "define-macro":
		default:
			continue
		}
		switch t := l.Elems[1].(type) {
		case *ast.Symbol:
			defs = append(defs, def{t.Name, t.Sp})
		case *ast.List:
			if s, ok := t.Head().(*ast.Symbol); ok {
				defs = append(defs, def{s.Name, s.Sp})
			}
		}
	}
	// Strings may name definitions too (e.g. (eval (string->symbol ...))):
	// their text is joined only when some definition looks unused.
	text, joined := "", false
	if len(defs) == 0 {
		return
	}
	uses := p.symbolUses()
	for _, d := range defs {
		if uses[d.name] > 1 {
			continue
		}
		if !joined {
			var strs strings.Builder
			for _, s := range p.scan().strings {
				strs.WriteString(s.Value)
				strs.WriteByte(0)
			}
			text, joined = strs.String(), true
		}
		if strings.Contains(text, d.name) {
			continue // named inside a string: be conservative
		}
		p.Reportf(d.sp, "%s is defined but never used: a reviewer may assume the rules it defines apply; use it or delete it", d.name)
	}
}

func runImplicitDefault(p *Pass) {
	if p.File == nil || len(p.File.Forms) == 0 || sharedFile(p) {
		return // a fragment's default is the including profile's
	}
	for _, r := range p.Profile.Rules {
		for _, o := range r.Ops {
			if o.Name == "default" && r.Filter == nil {
				return
			}
		}
	}
	if p.Profile.Opaque() {
		return
	}
	sp := p.File.Forms[0].Span()
	for _, v := range versionForms(p.File) {
		sp = v.Sp
	}
	p.Report(diag.Diagnostic{Span: sp, Message: fmt.Sprintf("no (deny default) or (allow default): the default is deny, but readers cannot tell an allow list from a deny list; add (deny default) after (version 1)")})
}
