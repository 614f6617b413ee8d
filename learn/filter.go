package learn

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/policy"
)

// Filter is one filter of a learned rule. Path filters keep their concrete
// canonical path (Path, or Base+Rest for a regex) so that rendering can
// substitute params; the other kinds carry their argument as it will be
// written.
type Filter struct {
	// Name is the SBPL filter: literal, subpath, regex, global-name,
	// local-name, sysctl-name, remote, local, target, signal-number,
	// ioctl-command, fsctl-command, socket-domain, ..., or require-all
	// (with All).
	Name string
	// Path is the canonical path of a literal or subpath filter.
	Path string
	// Base and Rest make up a regex filter: "^" + quoted Base + Rest, where
	// Base is the longest concrete leading part of the path.
	Base, Rest string
	// Str is a string argument (names); Sym a symbol argument (target
	// others, ip); Int an integer argument (signal-number 15); Raw an
	// argument already in SBPL syntax, validated when it was read
	// ((_IO "t" 22)).
	Str, Sym, Raw string
	Int           int64
	HasInt        bool
	// Addr is the "HOST:PORT" of a local or remote filter (Sym holds the
	// protocol).
	Addr string
	// All are the parts of a require-all filter.
	All []Filter
}

// regexSource returns the concrete regex of a regex filter.
func (f Filter) regexSource() string { return "^" + policy.QuoteRegex(f.Base) + f.Rest }

// key is a stable identity of the filter, used to merge and sort.
func (f Filter) key() string { return renderFilter(f, nil) }

// order ranks filter kinds for sorting within a rule: paths first
// (literal, subpath, regex), then names, then the rest.
func (f Filter) order() int {
	switch f.Name {
	case "literal":
		return 0
	case "subpath":
		return 1
	case "regex":
		return 2
	case "require-all":
		return 4
	}
	return 3
}

func sortFilters(fs []Filter) {
	sort.SliceStable(fs, func(i, j int) bool {
		if a, b := fs[i].order(), fs[j].order(); a != b {
			return a < b
		}
		return fs[i].key() < fs[j].key()
	})
}

// paramRef is a param whose value a path may start with.
type paramRef struct {
	Name, Value string
}

// paramFor returns the param with the longest value that p equals or lies
// under, and the rest of p after it ("" or "/...").
func paramFor(p string, params []paramRef) (paramRef, string, bool) {
	best, rest, ok := paramRef{}, "", false
	for _, pr := range params {
		switch {
		case p == pr.Value:
		case strings.HasPrefix(p, pr.Value+"/"):
		default:
			continue
		}
		if !ok || len(pr.Value) > len(best.Value) {
			best, rest, ok = pr, p[len(pr.Value):], true
		}
	}
	return best, rest, ok
}

// renderFilter writes f in SBPL, substituting params for path prefixes.
// used, when not nil, collects the names of the params written.
func renderFilter(f Filter, params []paramRef) string {
	used := map[string]bool{}
	return renderFilterUsed(f, params, used)
}

func renderFilterUsed(f Filter, params []paramRef, used map[string]bool) string {
	switch f.Name {
	case "literal", "subpath":
		return "(" + f.Name + " " + pathExpr(f.Path, params, used) + ")"
	case "regex":
		if pr, rest, ok := paramFor(f.Base, params); ok {
			used[pr.Name] = true
			return fmt.Sprintf(`(regex (string-append "^" (regex-quote (param %s)) %s))`, quote(pr.Name), rawString(policy.QuoteRegex(rest)+f.Rest))
		}
		return "(regex " + rawString(f.regexSource()) + ")"
	case "remote", "local":
		return "(" + f.Name + " " + f.Sym + " " + quote(f.Addr) + ")"
	case "require-all":
		parts := make([]string, len(f.All))
		for i, s := range f.All {
			parts[i] = renderFilterUsed(s, params, used)
		}
		return "(require-all " + strings.Join(parts, " ") + ")"
	}
	switch {
	case f.Raw != "":
		return "(" + f.Name + " " + f.Raw + ")"
	case f.Sym != "":
		return "(" + f.Name + " " + f.Sym + ")"
	case f.HasInt:
		return "(" + f.Name + " " + strconv.FormatInt(f.Int, 10) + ")"
	}
	return "(" + f.Name + " " + quote(f.Str) + ")"
}

// pathExpr is a path argument: a string, or (param "K") /
// (string-append (param "K") "/rest") when a param's value is its prefix.
func pathExpr(p string, params []paramRef, used map[string]bool) string {
	pr, rest, ok := paramFor(p, params)
	if !ok {
		return quote(p)
	}
	used[pr.Name] = true
	if rest == "" {
		return "(param " + quote(pr.Name) + ")"
	}
	return "(string-append (param " + quote(pr.Name) + ") " + quote(rest) + ")"
}

// quote writes s as an SBPL string literal. SBPL (TinyScheme) strings know
// the escapes \" \\ \n \t \r; other bytes, UTF-8 included, stand for
// themselves.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// rawString writes a regex as a #"..." raw string when it holds no double
// quote (backslashes are literal there), else as an escaped string.
func rawString(s string) string {
	if !strings.Contains(s, `"`) {
		return `#"` + s + `"`
	}
	return quote(s)
}

// noun names what one exact filter allows ("path", "service"); ok is false
// for filters that stand for more than the one target they were made from.
func noun(f Filter) (string, bool) {
	switch f.Name {
	case "subpath", "regex", "remote", "local", "target", "require-all":
		return "", false
	case "literal":
		return "path", true
	case "global-name", "local-name":
		return "service", true
	case "sysctl-name":
		return "sysctl", true
	case "preference-domain":
		return "preference domain", true
	case "ipc-posix-name":
		return "IPC name", true
	case "iokit-user-client-class", "iokit-registry-entry-class":
		return "IOKit class", true
	case "appleevent-destination":
		return "application", true
	}
	return f.Name + " value", true
}

// breadth says in words what f allows, given how many distinct targets
// were observed under it.
func breadth(f Filter, observed int) string {
	if n, ok := noun(f); ok {
		return "1 " + n
	}
	switch f.Name {
	case "subpath":
		return fmt.Sprintf("everything under %s (%s observed)", f.Path, diag.Count(observed, "path"))
	case "regex":
		return fmt.Sprintf("paths matching %s (%s observed)", f.regexSource(), diag.Count(observed, "path"))
	case "remote":
		host, port, _ := strings.Cut(f.Addr, ":")
		return "connections to " + hostWords(host) + " on " + portWords(port)
	case "local":
		host, port, _ := strings.Cut(f.Addr, ":")
		where := "any address"
		if host != "*" {
			where = host
		}
		return "listening on " + where + ", " + portWords(port)
	case "target":
		return "signals to " + targetWords(f.Sym)
	case "require-all":
		if len(f.All) == 0 {
			return "nothing"
		}
		var args []string
		for _, s := range f.All[1:] {
			args = append(args, strings.TrimSuffix(strings.TrimPrefix(renderFilter(s, nil), "("), ")"))
		}
		if f.All[0].Name == "socket-domain" {
			args = append([]string{strings.Trim(renderFilter(f.All[0], nil), "()")}, args...)
			return "sockets of " + strings.Join(args, ", ")
		}
		if f.All[0].Name == "target" && len(f.All) == 2 && f.All[1].Name == "signal-number" {
			return fmt.Sprintf("signal %d to %s", f.All[1].Int, targetWords(f.All[0].Sym))
		}
		return breadth(f.All[0], observed) + " with " + strings.Join(args, ", ")
	}
	return "1 " + f.Name + " value"
}

// breadths describes a filter list: the exact filters counted by what they
// name ("3 paths", "2 services"), then each wider filter. covered gives
// the observations per filter key.
func breadths(fs []Filter, covered map[string]int) []string {
	var out []string
	counts := map[string]int{}
	var order []string
	for _, f := range fs {
		if n, ok := noun(f); ok {
			if counts[n] == 0 {
				order = append(order, n)
			}
			counts[n]++
		}
	}
	for _, n := range order {
		w := n + "s"
		if strings.HasSuffix(n, "s") {
			w = n + "es"
		}
		if counts[n] == 1 {
			out = append(out, "1 "+n)
		} else {
			out = append(out, strconv.Itoa(counts[n])+" "+w)
		}
	}
	for _, f := range fs {
		if _, ok := noun(f); !ok {
			out = append(out, breadth(f, covered[f.key()]))
		}
	}
	return out
}

// targetWords names a (target ...) relation.
func targetWords(t string) string {
	switch t {
	case "others":
		return "other processes (outside the sandbox too)"
	case "children":
		return "child processes"
	case "initproc":
		return "launchd (pid 1)"
	case "same-sandbox":
		return "processes in the same sandbox"
	case "pgrp":
		return "the process group"
	}
	return t
}

func hostWords(h string) string {
	if h == "*" {
		return "any host"
	}
	return h
}

func portWords(p string) string {
	if p == "*" {
		return "any port"
	}
	return "port " + p
}
