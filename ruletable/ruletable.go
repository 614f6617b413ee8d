// Package ruletable is sbplc's one source of rule defaults: every lint
// rule's category, default severity, default state, suppressibility,
// options and summary (rules.tsv), the rule categories (categories.tsv) and
// the escape-vector probes that `sbplc audit` runs and lint's probe rules
// report (probes.tsv). Config validates against it, lint takes its rules'
// defaults from it, and policy and audit read the same probes, so a probe
// has one rule and one severity everywhere.
//
// The files are embedded and hand-kept; TestTable checks them and lint's
// registry test checks that every table row has a rule and every rule a
// row. The probes trace to the escape-vector research table
// (../shared/audit/escape-vectors.tsv, read only by a test): see the header
// of probes.tsv for how they were adapted.
//
// The package imports only diag, so config, policy and lint can all use it.
package ruletable

import (
	_ "embed"
	"fmt"
	"github.com/sbplc/sbplc/internal/spell"
	"strconv"
	"strings"
	"sync"

	"github.com/sbplc/sbplc/diag"
)

//go:embed rules.tsv
var rulesTSV string

//go:embed probes.tsv
var probesTSV string

//go:embed categories.tsv
var categoriesTSV string

// Category is a rule category (categories.tsv).
type Category struct {
	Name        string
	Description string
}

// Rule holds one rule's defaults (a row of rules.tsv).
type Rule struct {
	ID       string
	Category string
	Severity diag.Severity
	// Off is true for rules that are disabled unless enabled by config or
	// flag.
	Off bool
	// Suppressible is false for codes an sbplc:ignore comment cannot hide:
	// syntax errors, evaluation limits and internal errors.
	Suppressible bool
	Options      []Option // in table order
	Summary      string   // lowercase, no final period, at most 60 characters
}

// Option is one rule option with its kind and default.
type Option struct {
	Name    string
	Kind    string // "int" (a non-negative integer) or "string"
	Default string
}

// Option returns the option named name.
func (r *Rule) Option(name string) (Option, bool) {
	for _, o := range r.Options {
		if o.Name == name {
			return o, true
		}
	}
	return Option{}, false
}

// CheckValue reports whether v is a valid value for the option.
func (o Option) CheckValue(v string) error {
	if o.Kind == "int" {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err != nil || n < 0 {
			return fmt.Errorf("option %s wants a non-negative integer, not %q", o.Name, v)
		}
	}
	return nil
}

// Probe is one escape-vector probe (a row of probes.tsv): may the
// sandboxed process perform Op on Resource? Its severity is its rule's.
type Probe struct {
	ID       string
	Group    string // secrets, persistence, ipc-escape, exec, network, process, kernel
	Rule     string // the lint rule that reports the probe
	Severity diag.Severity
	Op       string
	Resource string // query syntax; ~ = home, $P = a project directory
	Vnode    string // vnode type of the resource, or ""
	// If, when set, is the probe's precondition: the probe applies only
	// while the profile denies this request.
	If  *Condition
	Why string
}

// Condition is a probe's precondition: a request the profile must deny.
type Condition struct {
	// CarvedOut requires the deny to come from a filtered deny rule of the
	// profile (an explicit carve-out, such as a deny of ~/.ssh after a
	// broad allow); otherwise any deny, the default included, will do.
	CarvedOut bool
	Op        string
	Resource  string // query syntax, like Probe.Resource
}

// String renders the condition as in probes.tsv.
func (c *Condition) String() string {
	kind := "denied"
	if c.CarvedOut {
		kind = "carved-out"
	}
	return kind + " " + c.Op + " " + c.Resource
}

// table is the parsed data.
type table struct {
	cats   []Category
	rules  []*Rule
	byID   map[string]*Rule
	probes []Probe
	groups []string
}

var load = sync.OnceValue(func() *table {
	t, err := parse(categoriesTSV, rulesTSV, probesTSV)
	if err != nil {
		// The files are embedded and checked by TestTable: a parse error
		// is a build defect, not bad input.
		panic("ruletable: " + err.Error())
	}
	return t
})

// Categories returns the categories in display order.
func Categories() []Category { return load().cats }

// IsCategory reports whether name is a rule category.
func IsCategory(name string) bool {
	for _, c := range load().cats {
		if c.Name == name {
			return true
		}
	}
	return false
}

// CategoryNames returns the category names in display order.
func CategoryNames() []string {
	var out []string
	for _, c := range load().cats {
		out = append(out, c.Name)
	}
	return out
}

// Rules returns every rule's defaults in table order. The rules are shared
// and must not be modified.
func Rules() []*Rule { return load().rules }

// Lookup returns the defaults of rule id.
func Lookup(id string) (*Rule, bool) {
	r, ok := load().byID[id]
	return r, ok
}

// Suppressible reports whether an sbplc:ignore comment may hide a
// diagnostic with this code. Syntax errors, evaluation limits and internal
// errors cannot be suppressed, and neither can codes that are not rules
// (an uncoded diagnostic, a configuration error).
func Suppressible(code string) bool {
	r, ok := Lookup(code)
	return ok && r.Suppressible
}

// Probes returns the escape-vector probes in table order. The slice is
// shared and must not be modified.
func Probes() []Probe { return load().probes }

// ProbesOf returns the probes that rule id reports, in table order.
func ProbesOf(id string) []Probe {
	var out []Probe
	for _, p := range load().probes {
		if p.Rule == id {
			out = append(out, p)
		}
	}
	return out
}

// Groups returns the probe groups in report order (the order in which
// they first appear in probes.tsv).
func Groups() []string { return load().groups }

// Suggest returns the rule ID (or, with categories, the rule ID or
// category) closest to name by edit distance, or "" when none is close.
func Suggest(name string, categories bool) string {
	var cands []string
	for _, r := range load().rules {
		cands = append(cands, r.ID)
	}
	if categories {
		cands = append(cands, CategoryNames()...)
	}
	return spell.Nearest(name, cands)
}

// rows splits a TSV text into its non-comment rows, checking the column
// count; the line numbers are kept for messages.
func rows(name, text string, cols int) ([][]string, []int, error) {
	n := strings.Count(text, "\n") + 1
	out := make([][]string, 0, n)
	lines := make([]int, 0, n)
	for n, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != cols {
			return nil, nil, fmt.Errorf("%s:%d: %d columns, want %d", name, n+1, len(f), cols)
		}
		out = append(out, f)
		lines = append(lines, n+1)
	}
	return out, lines, nil
}

func parse(catsText, rulesText, probesText string) (*table, error) {
	t := &table{}
	cr, _, err := rows("categories.tsv", catsText, 2)
	if err != nil {
		return nil, err
	}
	for _, f := range cr {
		t.cats = append(t.cats, Category{Name: f[0], Description: f[1]})
	}
	isCat := func(s string) bool {
		for _, c := range t.cats {
			if c.Name == s {
				return true
			}
		}
		return false
	}
	rr, lines, err := rows("rules.tsv", rulesText, 7)
	if err != nil {
		return nil, err
	}
	t.rules, t.byID = make([]*Rule, 0, len(rr)), make(map[string]*Rule, len(rr))
	for i, f := range rr {
		at := func() string { return fmt.Sprintf("rules.tsv:%d", lines[i]) } // on error only
		r := &Rule{ID: f[0], Category: f[1], Summary: f[6]}
		if _, dup := t.byID[r.ID]; dup {
			return nil, fmt.Errorf("%s: duplicate rule %s", at(), r.ID)
		}
		if !isCat(r.Category) {
			return nil, fmt.Errorf("%s: unknown category %q", at(), r.Category)
		}
		if r.Severity, err = diag.ParseSeverity(f[2]); err != nil || f[2] != r.Severity.String() {
			return nil, fmt.Errorf("%s: severity %q: want error, warning or info", at(), f[2])
		}
		switch f[3] {
		case "on":
		case "off":
			r.Off = true
		default:
			return nil, fmt.Errorf("%s: default %q: want on or off", at(), f[3])
		}
		switch f[4] {
		case "yes":
			r.Suppressible = true
		case "no":
		default:
			return nil, fmt.Errorf("%s: suppress %q: want yes or no", at(), f[4])
		}
		if r.Options, err = parseOptions(f[5]); err != nil {
			return nil, fmt.Errorf("%s: %v", at(), err)
		}
		t.byID[r.ID] = r
		t.rules = append(t.rules, r)
	}
	pr, lines, err := rows("probes.tsv", probesText, 8)
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(pr))
	t.probes = make([]Probe, 0, len(pr))
	for i, f := range pr {
		at := func() string { return fmt.Sprintf("probes.tsv:%d", lines[i]) } // on error only
		p := Probe{ID: f[0], Group: f[1], Rule: f[2], Op: f[3], Resource: dash(f[4]), Vnode: dash(f[5]), Why: f[7]}
		if seen[p.ID] {
			return nil, fmt.Errorf("%s: duplicate probe %s", at(), p.ID)
		}
		seen[p.ID] = true
		r, ok := t.byID[p.Rule]
		if !ok {
			return nil, fmt.Errorf("%s: probe %s names unknown rule %q", at(), p.ID, p.Rule)
		}
		p.Severity = r.Severity
		if pre := dash(f[6]); pre != "" {
			kind, rest, _ := strings.Cut(pre, " ")
			op, res, _ := strings.Cut(rest, " ")
			if (kind != "denied" && kind != "carved-out") || op == "" || strings.TrimSpace(res) == "" {
				return nil, fmt.Errorf("%s: if %q: want denied|carved-out OPERATION RESOURCE", at(), pre)
			}
			p.If = &Condition{CarvedOut: kind == "carved-out", Op: op, Resource: strings.TrimSpace(res)}
		}
		if p.Op == "" || p.Why == "" || p.Group == "" {
			return nil, fmt.Errorf("%s: probe %s needs a group, an operation and a why", at(), p.ID)
		}
		known := false
		for _, g := range t.groups {
			known = known || g == p.Group
		}
		if !known {
			t.groups = append(t.groups, p.Group)
		}
		t.probes = append(t.probes, p)
	}
	return t, nil
}

// dash maps the empty-cell marker "-" to "".
func dash(s string) string {
	if s == "-" {
		return ""
	}
	return s
}

// parseOptions reads "name:kind=default ..." (or "-").
func parseOptions(s string) ([]Option, error) {
	if s == "-" {
		return nil, nil
	}
	var out []Option
	for _, f := range strings.Fields(s) {
		nk, def, ok := strings.Cut(f, "=")
		name, kind, ok2 := strings.Cut(nk, ":")
		if !ok || !ok2 || name == "" {
			return nil, fmt.Errorf("option %q: want name:kind=default", f)
		}
		o := Option{Name: name, Kind: kind, Default: def}
		if kind != "int" && kind != "string" {
			return nil, fmt.Errorf("option %s: kind %q: want int or string", name, kind)
		}
		if err := o.CheckValue(def); err != nil {
			return nil, fmt.Errorf("default of %v", err)
		}
		out = append(out, o)
	}
	return out, nil
}
