package lint

import (
	"embed"
	"strings"
	"sync"

	"github.com/sbplc/sbplc/ruletable"
)

//go:embed docs/*.md
var docsFS embed.FS

// families lists the rule families in registry order. Order matters only
// for rules that claim evaluation diagnostics (the unknown-* rules run
// before unbound-identifier).
func families() [][]*Rule {
	return [][]*Rule{correctnessRules, pathRules, orderingRules, overbreadthRules, escapeRules, secretsRules, bypassRules, styleRules, stageRules}
}

var (
	regOnce sync.Once
	reg     []*Rule
	regByID map[string]*Rule
)

// initRegistry lists the rules and fills in their defaults (category,
// severity, default state, summary, options) from the rule table; a rule
// without a row keeps zero defaults, which TestTableMatchesRegistry reports.
func initRegistry() {
	regOnce.Do(func() {
		regByID = map[string]*Rule{}
		for _, fam := range families() {
			for _, r := range fam {
				if _, dup := regByID[r.ID]; dup {
					panic("lint: duplicate rule ID " + r.ID)
				}
				if row, ok := ruletable.Lookup(r.ID); ok {
					setDefaults(r, row)
				}
				regByID[r.ID] = r
				reg = append(reg, r)
			}
		}
	})
}

func setDefaults(r *Rule, row *ruletable.Rule) {
	r.Category = Category(row.Category)
	r.Severity = row.Severity
	r.Off = row.Off
	r.Summary = row.Summary
	r.Params = nil
	for _, o := range row.Options {
		if r.Params == nil {
			r.Params = map[string]string{}
		}
		r.Params[o.Name] = o.Default
	}
}

// All returns every rule in registry order. The slice and rules are shared
// and must not be modified.
func All() []*Rule {
	initRegistry()
	return reg
}

// Lookup returns the rule with this ID.
func Lookup(id string) (*Rule, bool) {
	initRegistry()
	r, ok := regByID[id]
	return r, ok
}

func docFor(id string) string {
	b, err := docsFS.ReadFile("docs/" + id + ".md")
	if err != nil {
		return ""
	}
	return string(b)
}

// DocSection returns the body of the "## name" section of a rule document
// (without the heading), or "".
func DocSection(doc, name string) string {
	lines := strings.Split(doc, "\n")
	var b strings.Builder
	in := false
	for _, l := range lines {
		if strings.HasPrefix(l, "## ") {
			if in {
				break
			}
			in = strings.EqualFold(strings.TrimSpace(l[3:]), name)
			continue
		}
		if in {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return strings.TrimSpace(b.String())
}

// DocExample returns the first fenced code block of a doc section.
func DocExample(doc, section string) string {
	body := DocSection(doc, section)
	i := strings.Index(body, "```")
	if i < 0 {
		return ""
	}
	body = body[i+3:]
	if nl := strings.IndexByte(body, '\n'); nl >= 0 {
		body = body[nl+1:]
	}
	j := strings.Index(body, "```")
	if j < 0 {
		return ""
	}
	return body[:j]
}
