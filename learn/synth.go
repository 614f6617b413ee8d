package learn

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sbplc/sbplc/internal/lazyre"
	"github.com/sbplc/sbplc/policy"
)

// Widen says how far learn may generalise the observed paths.
type Widen uint8

// Widening levels.
const (
	// WidenNone writes every path as a literal.
	WidenNone Widen = iota
	// WidenDir turns two or more sibling paths into their directory's
	// subpath.
	WidenDir
	// WidenAuto turns three or more siblings into a subpath, a path under
	// the project into the project's subpath, and versioned or random
	// components (a temporary name, a version number, a UUID) into a
	// regex.
	WidenAuto
)

var widenNames = []string{"none", "dir", "auto"}

func (w Widen) String() string { return widenNames[w] }

// ParseWiden reads none, dir or auto.
func ParseWiden(s string) (Widen, error) {
	for i, n := range widenNames {
		if s == n {
			return Widen(i), nil
		}
	}
	return 0, fmt.Errorf("unknown --widen %q: use none, dir or auto", s)
}

// siblings is how many distinct paths under one directory make it a
// subpath, per level.
var siblings = map[Widen]int{WidenDir: 2, WidenAuto: 3}

// projectParams are the param names that name the project directory.
var projectParams = []string{"PROJECT", "PROJECT_DIR"}

// Group is the observations of one rule operation and the filters chosen
// for them.
type Group struct {
	Op    string
	obs   []*observation
	Level Widen
	// Quiet turns the rule into (deny ... (with no-report)) (review's
	// "deny quietly").
	Quiet bool
	// Skip drops the group (review's "skip").
	Skip  bool
	cands []*cand
	notes []string
}

// Denials is the number of denials the group covers.
func (g *Group) Denials() int {
	n := 0
	for _, o := range g.obs {
		n += o.count
	}
	return n
}

// cand is one filter proposed for some observations of a group.
type cand struct {
	filter Filter
	covers []*observation
	// reason says why the filter is wider than a literal ("" for the
	// narrowest filter of a target).
	reason string
	// narrower returns the candidates to use instead when this one is
	// refused (nil for the narrowest).
	narrower func() []*cand
}

func (c *cand) wide() bool { return c.narrower != nil }

// comp is one path component: fixed text, or a pattern for a variable
// part (a temporary name, a version).
type comp struct {
	text string
	pat  string // "" for fixed text
}

var (
	uuidComp  = lazyre.New(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)
	hexComp   = lazyre.New(`^[0-9A-Fa-f]{16,}$`)
	digitComp = lazyre.New(`^[0-9]{3,}$`)
	tmpComp   = lazyre.New(`^(\.?tmp)([A-Za-z0-9]{6,})$`)
	tailComp  = lazyre.New(`^(.+[._-])([A-Za-z0-9]{6,})$`)
	version   = lazyre.New(`[0-9]+(\.[0-9]+)+`)
)

// generalize returns the pattern that stands for a variable component,
// or "" when the component is fixed text. The rules, in order:
//
//   - a UUID, 16 or more hex digits, or 3 or more digits: the class;
//   - a tempfile name, .tmp or tmp followed by 6 or more letters and
//     digits (.tmpunEsrf): the prefix and [A-Za-z0-9]+;
//   - a random suffix after . _ or - (filter.jmh3MeNx, filter.xqeGRcbG): 6
//     or more letters and digits mixing both, or mixing cases with no run
//     of more than three lower-case letters (words such as iTunesCloud
//     and CFUserTextEncoding have longer runs);
//   - version numbers (2.7, v18.17.0) inside the component: [0-9.]+.
func generalize(s string) string {
	switch {
	case uuidComp().MatchString(s):
		return "[0-9A-Fa-f-]+"
	case hexComp().MatchString(s):
		return "[0-9A-Fa-f]+"
	case digitComp().MatchString(s):
		return "[0-9]+"
	}
	if m := tmpComp().FindStringSubmatch(s); m != nil {
		return policy.QuoteRegex(m[1]) + "[A-Za-z0-9]+"
	}
	if m := tailComp().FindStringSubmatch(s); m != nil && randomTail(m[2]) {
		return policy.QuoteRegex(m[1]) + "[A-Za-z0-9]+"
	}
	if version().MatchString(s) {
		var b strings.Builder
		last := 0
		for _, loc := range version().FindAllStringIndex(s, -1) {
			b.WriteString(policy.QuoteRegex(s[last:loc[0]]))
			b.WriteString("[0-9.]+")
			last = loc[1]
		}
		b.WriteString(policy.QuoteRegex(s[last:]))
		return b.String()
	}
	return ""
}

func randomTail(t string) bool {
	var digit, upper, lower bool
	run, longest := 0, 0
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= 'a' && c <= 'z':
			lower = true
		}
		if c >= 'a' && c <= 'z' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return digit && (upper || lower) || upper && lower && longest <= 3
}

// shapeOf splits a canonical path into components; with gen, variable
// components get patterns. The two components after /private/var/folders
// (the per-user temporary and cache root) are always variable.
func shapeOf(p string, gen bool) []comp {
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	out := make([]comp, len(parts))
	perUser := len(parts) > 4 && parts[0] == "private" && parts[1] == "var" && parts[2] == "folders"
	for i, s := range parts {
		out[i] = comp{text: s}
		if !gen {
			continue
		}
		if perUser && (i == 3 || i == 4) {
			out[i].pat = "[^/]+"
			continue
		}
		out[i].pat = generalize(s)
	}
	return out
}

func variable(cs []comp) bool {
	for _, c := range cs {
		if c.pat != "" {
			return true
		}
	}
	return false
}

// shapeFilter is the filter for a shape: a literal when it is fixed, else a
// regex; sub makes it match the shape's subtree (a subpath, or a regex
// ending in "/").
func shapeFilter(cs []comp, sub bool) Filter {
	n := 0
	for n < len(cs) && cs[n].pat == "" {
		n++
	}
	base := ""
	for _, c := range cs[:n] {
		base += "/" + c.text
	}
	if n == len(cs) {
		if base == "" {
			base = "/"
		}
		if sub {
			return Filter{Name: "subpath", Path: base}
		}
		return Filter{Name: "literal", Path: base}
	}
	var rest strings.Builder
	for _, c := range cs[n:] {
		rest.WriteByte('/')
		if c.pat != "" {
			rest.WriteString(c.pat)
		} else {
			rest.WriteString(policy.QuoteRegex(c.text))
		}
	}
	if sub {
		rest.WriteString("/")
	} else {
		rest.WriteString("$")
	}
	return Filter{Name: "regex", Base: base, Rest: rest.String()}
}

// widenScope holds what widening needs to know about the run.
type widenScope struct {
	home, project string
	// blocked are directories never widened to: the root, top-level
	// directories, the home directory and its Library, the shared system
	// directories (/private/var, /private/tmp, /private/etc, the per-user
	// temporary root /private/var/folders) and the project's ancestors.
	blocked map[string]bool
}

func newWidenScope(home, project string) widenScope {
	s := widenScope{home: home, project: project, blocked: map[string]bool{
		"/private/var": true, "/private/var/folders": true, "/private/tmp": true, "/private/etc": true,
		"/private/var/tmp": true, "/System/Volumes/Data": true, "/Library": true,
	}}
	if home != "" {
		s.blocked[home] = true
		s.blocked[home+"/Library"] = true
	}
	for p := project; p != "" && p != "/"; p = parentDir(p) {
		if p != project {
			s.blocked[p] = true
		}
	}
	return s
}

func (s widenScope) mayWiden(dir string) bool {
	return depth(dir) >= 2 && !s.blocked[dir]
}

func parentDir(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// candidates proposes the filters for a group at its level. Flagged
// observations (a secret, a persistence location) and symlink nodes are
// never widened.
func candidates(g *Group, scope widenScope) []*cand {
	var fixed, paths []*observation
	for _, o := range g.obs {
		if o.target.path != "" && !o.target.node && o.flag == "" && o.target.filter.Name == "literal" {
			paths = append(paths, o)
		} else {
			fixed = append(fixed, o)
		}
	}
	var out []*cand
	for _, o := range fixed {
		out = append(out, &cand{filter: o.target.filter, covers: []*observation{o}})
	}
	return append(out, pathCandidates(paths, g.Level, scope, true)...)
}

// pathCandidates widens path observations. project says whether the
// project rule may still apply (it does not for the observations a refused
// project subpath gave back).
func pathCandidates(obs []*observation, level Widen, scope widenScope, project bool) []*cand {
	if level == WidenNone || len(obs) == 0 {
		return narrowest(obs, false)
	}
	var out []*cand
	rest := obs
	if level == WidenAuto && project && scope.project != "" {
		var in, others []*observation
		for _, o := range obs {
			if o.target.path == scope.project || strings.HasPrefix(o.target.path, scope.project+"/") {
				in = append(in, o)
			} else {
				others = append(others, o)
			}
		}
		if len(in) > 0 {
			in := in
			out = append(out, &cand{filter: Filter{Name: "subpath", Path: scope.project}, covers: in,
				reason: "under the project directory",
				narrower: func() []*cand {
					return pathCandidates(in, level, scope, false)
				}})
		}
		rest = others
	}
	gen := level == WidenAuto
	type cluster struct {
		shape []comp
		obs   []*observation
	}
	byParent := map[string]*cluster{}
	var order []string
	for _, o := range rest {
		cs := shapeOf(o.target.path, gen)
		parent := shapeFilter(cs[:len(cs)-1], true)
		k := parent.key()
		cl := byParent[k]
		if cl == nil {
			cl = &cluster{shape: cs[:len(cs)-1]}
			byParent[k] = cl
			order = append(order, k)
		}
		cl.obs = append(cl.obs, o)
	}
	for _, k := range order {
		cl := byParent[k]
		f := shapeFilter(cl.shape, true)
		dir := f.Path
		if f.Name == "regex" {
			dir = f.Base
		}
		if len(cl.obs) >= siblings[level] && len(cl.shape) > 0 && (f.Name == "regex" || scope.mayWiden(dir)) {
			obs := cl.obs
			out = append(out, &cand{filter: f, covers: obs,
				reason: fmt.Sprintf("%d paths under one directory", len(obs)),
				narrower: func() []*cand {
					return narrowest(obs, gen)
				}})
			continue
		}
		out = append(out, narrowest(cl.obs, gen)...)
	}
	return out
}

// narrowest gives each observation its own filter: a literal, or with gen
// a regex when the path has variable components (its narrower is the
// literal).
func narrowest(obs []*observation, gen bool) []*cand {
	var out []*cand
	byKey := map[string]*cand{}
	for _, o := range obs {
		f := o.target.filter
		var c *cand
		if gen {
			if cs := shapeOf(o.target.path, true); variable(cs) {
				f = shapeFilter(cs, false)
				o := o
				c = &cand{filter: f, reason: "versioned or random path components",
					narrower: func() []*cand { return narrowest([]*observation{o}, false) }}
			}
		}
		k := f.key()
		if prev := byKey[k]; prev != nil {
			prev.covers = append(prev.covers, o)
			if prev.narrower != nil {
				covered := prev.covers
				prev.narrower = func() []*cand { return narrowest(covered, false) }
			}
			continue
		}
		if c == nil {
			c = &cand{filter: f}
		}
		c.covers = []*observation{o}
		byKey[k] = c
		out = append(out, c)
	}
	return out
}

// Rule is one learned rule.
type Rule struct {
	Ops     []string
	Filters []Filter
	Quiet   bool // (deny ... (with no-report))
	Denials int  // denials covered, duplicates counted
	Targets int  // distinct targets observed
	Example Example
	// Flags say which observed targets are secret or persistence
	// locations (kept literal).
	Flags []string
	// Notes say how the filters were chosen (widened, not widened and why).
	Notes []string
	// Breadth says what each filter allows, in order.
	Breadth []string
	// Params are the params the rule uses (it is guarded by them).
	Params []string

	// Verification, set by Apply.
	Line        int      // the rule's line in the new profile
	Ineffective []string // observations still not allowed, with the deciding rule
	Unverified  []string // observations the engine cannot decide, and why
	Findings    []string // lint findings on the rule's text

	obs     []*observation
	covered map[string]int // observations per filter key
}

// forms renders the rule (without comments) in SBPL: one form for the
// filters that use no param, and one per set of params for the others,
// guarded by (if (param "K") ...) so that an unset param leaves the
// profile loadable (an unset param is #f, which no path filter accepts).
func (r *Rule) forms(params []paramRef) []string {
	type part struct {
		params  []string
		filters []string
	}
	var parts []*part
	byKey := map[string]*part{}
	all := map[string]bool{}
	for _, f := range r.Filters {
		used := map[string]bool{}
		text := renderFilterUsed(f, params, used)
		var names []string
		for n := range used {
			names = append(names, n)
			all[n] = true
		}
		sort.Strings(names)
		k := strings.Join(names, "\x00")
		p := byKey[k]
		if p == nil {
			p = &part{params: names}
			byKey[k] = p
			parts = append(parts, p)
		}
		p.filters = append(p.filters, text)
	}
	if len(parts) == 0 {
		parts = []*part{{}}
	}
	sort.SliceStable(parts, func(i, j int) bool { return len(parts[i].params) < len(parts[j].params) })
	r.Params = r.Params[:0]
	for n := range all {
		r.Params = append(r.Params, n)
	}
	sort.Strings(r.Params)
	var out []string
	for _, p := range parts {
		var b strings.Builder
		if r.Quiet {
			b.WriteString("(deny ")
		} else {
			b.WriteString("(allow ")
		}
		b.WriteString(strings.Join(r.Ops, " "))
		for _, f := range p.filters {
			b.WriteString(" ")
			b.WriteString(f)
		}
		if r.Quiet {
			b.WriteString(" (with no-report)")
		}
		b.WriteString(")")
		switch len(p.params) {
		case 0:
			out = append(out, b.String())
		case 1:
			out = append(out, "(if (param "+quote(p.params[0])+") "+b.String()+")")
		default:
			var conds []string
			for _, n := range p.params {
				conds = append(conds, "(param "+quote(n)+")")
			}
			out = append(out, "(if (and "+strings.Join(conds, " ")+") "+b.String()+")")
		}
	}
	return out
}

// buildRules turns the groups' chosen candidates into rules, one per
// operation, and merges operations whose filters are the same.
func buildRules(groups []*Group) []*Rule {
	var rules []*Rule
	byKey := map[string]*Rule{}
	for _, g := range groups {
		if g.Skip || len(g.obs) == 0 {
			continue
		}
		r := &Rule{Ops: []string{g.Op}, Quiet: g.Quiet, covered: map[string]int{}}
		for _, c := range g.cands {
			k := c.filter.key()
			if _, ok := r.covered[k]; !ok && c.filter.Name != "" {
				r.Filters = append(r.Filters, c.filter)
			}
			if c.filter.Name != "" {
				r.covered[k] += len(c.covers)
			}
			if c.reason != "" {
				r.Notes = append(r.Notes, "widened to "+renderFilter(c.filter, nil)+": "+c.reason)
			}
		}
		r.Notes = append(r.Notes, g.notes...)
		for _, o := range g.obs {
			r.obs = append(r.obs, o)
			if o.flag != "" {
				r.Flags = append(r.Flags, o.flag+": kept literal")
			}
		}
		r.Filters = dropSubsumed(r.Filters)
		sortFilters(r.Filters)
		k := ruleKey(r)
		if prev := byKey[k]; prev != nil {
			prev.Ops = append(prev.Ops, g.Op)
			prev.obs = append(prev.obs, r.obs...)
			prev.Flags = append(prev.Flags, r.Flags...)
			prev.Notes = append(prev.Notes, r.Notes...)
			for k, n := range r.covered {
				prev.covered[k] = max(prev.covered[k], n)
			}
			continue
		}
		byKey[k] = r
		rules = append(rules, r)
	}
	for _, r := range rules {
		sort.Strings(r.Ops)
		r.finish()
	}
	return rules
}

// dropSubsumed removes network filters that a filter of the same rule
// with port * on the same (or any) host already allows.
func dropSubsumed(fs []Filter) []Filter {
	out := fs[:0]
	for i, f := range fs {
		if f.Name == "remote" || f.Name == "local" {
			host, port, _ := strings.Cut(f.Addr, ":")
			covered := false
			for j, g := range fs {
				if i == j || g.Name != f.Name || g.Sym != f.Sym {
					continue
				}
				gh, gp, _ := strings.Cut(g.Addr, ":")
				if gp == "*" && port != "*" && (gh == "*" || gh == host) {
					covered = true
				}
			}
			if covered {
				continue
			}
		}
		out = append(out, f)
	}
	return out
}

func ruleKey(r *Rule) string {
	var b strings.Builder
	if r.Quiet {
		b.WriteString("quiet\x00")
	}
	for _, f := range r.Filters {
		b.WriteString(f.key())
		b.WriteByte(0)
	}
	return b.String()
}

// finish computes the counts, the example and the breadth of a rule.
func (r *Rule) finish() {
	r.Denials, r.Targets = 0, len(r.obs)
	sort.SliceStable(r.obs, func(i, j int) bool {
		a, b := r.obs[i].example, r.obs[j].example
		if a.Source != b.Source {
			return a.Source < b.Source
		}
		return a.Line < b.Line
	})
	for _, o := range r.obs {
		r.Denials += o.count
	}
	if len(r.obs) > 0 {
		r.Example = r.obs[0].example
	}
	r.Breadth = r.Breadth[:0]
	if len(r.Filters) == 0 {
		for _, op := range r.Ops {
			r.Breadth = append(r.Breadth, "every "+op+" (the operation takes no filter)")
		}
		return
	}
	r.Breadth = breadths(r.Filters, r.covered)
	r.Notes = dedupe(r.Notes)
	r.Flags = dedupe(r.Flags)
}

func dedupe(l []string) []string {
	seen := map[string]bool{}
	out := l[:0]
	for _, s := range l {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
