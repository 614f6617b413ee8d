package ruletable

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/corpus"
)

var kebab = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// TestTable checks the embedded files: they parse, every rule has a valid
// ID, category and summary, every category has rules, and every probe
// names a rule and takes its severity.
func TestTable(t *testing.T) {
	if _, err := parse(categoriesTSV, rulesTSV, probesTSV); err != nil {
		t.Fatal(err)
	}
	if len(Rules()) < 90 || len(Probes()) < 70 || len(Categories()) != 7 {
		t.Fatalf("%d rules, %d probes, %d categories", len(Rules()), len(Probes()), len(Categories()))
	}
	perCat := map[string]int{}
	for _, r := range Rules() {
		perCat[r.Category]++
		if !kebab.MatchString(r.ID) {
			t.Errorf("%s: ID is not kebab-case", r.ID)
		}
		if s := r.Summary; s == "" || len(s) > 60 || strings.HasSuffix(s, ".") {
			t.Errorf("%s: summary %q: want at most 60 characters, no final period", r.ID, s)
		}
		if got, ok := Lookup(r.ID); !ok || got != r {
			t.Errorf("%s: Lookup does not find the row", r.ID)
		}
	}
	for _, c := range Categories() {
		if perCat[c.Name] == 0 || c.Description == "" {
			t.Errorf("category %s: %d rules, description %q", c.Name, perCat[c.Name], c.Description)
		}
		if !IsCategory(c.Name) {
			t.Errorf("IsCategory(%s) = false", c.Name)
		}
	}
	if IsCategory("security") {
		t.Error("security is not a category")
	}
	for _, p := range Probes() {
		r, ok := Lookup(p.Rule)
		if !ok || p.Severity != r.Severity {
			t.Errorf("%s: rule %q (found %v), severity %v", p.ID, p.Rule, ok, p.Severity)
		}
	}
	if len(ProbesOf("readable-ssh-keys")) < 3 || len(ProbesOf("complex-regex")) != 0 {
		t.Errorf("ProbesOf: %d, %d", len(ProbesOf("readable-ssh-keys")), len(ProbesOf("complex-regex")))
	}
	if g := Groups(); len(g) != 7 || g[0] != "secrets" || g[6] != "kernel" {
		t.Errorf("groups %v", g)
	}
}

// TestParseRejects: malformed rows are reported with their line.
func TestParseRejects(t *testing.T) {
	cats := "paths\tpath semantics\n"
	rule := "r-one\tpaths\twarning\ton\tyes\t-\ta summary\n"
	probe := "EV1\tsecrets\tr-one\tfile-read-data\t~/x\t-\t-\twhy\n"
	if _, err := parse(cats, rule, probe); err != nil {
		t.Fatalf("valid table rejected: %v", err)
	}
	for name, c := range map[string][3]string{
		"short rule row":    {cats, "r-one\tpaths\twarning\n", probe},
		"unknown category":  {cats, "r-one\tnope\twarning\ton\tyes\t-\ts\n", probe},
		"bad severity":      {cats, "r-one\tpaths\tWarn\ton\tyes\t-\ts\n", probe},
		"bad default":       {cats, "r-one\tpaths\twarning\tmaybe\tyes\t-\ts\n", probe},
		"bad suppress":      {cats, "r-one\tpaths\twarning\ton\tsometimes\t-\ts\n", probe},
		"bad option":        {cats, "r-one\tpaths\twarning\ton\tyes\tmax=3\ts\n", probe},
		"bad option kind":   {cats, "r-one\tpaths\twarning\ton\tyes\tmax:float=3\ts\n", probe},
		"bad default value": {cats, "r-one\tpaths\twarning\ton\tyes\tmax:int=many\ts\n", probe},
		"duplicate rule":    {cats, rule + rule, probe},
		"unknown rule":      {cats, rule, "EV1\tsecrets\tr-two\tfile-read-data\t~/x\t-\t-\twhy\n"},
		"duplicate probe":   {cats, rule, probe + probe},
		"bad precondition":  {cats, rule, "EV1\tsecrets\tr-one\tfile-read-data\t~/x\t-\tunless op res\twhy\n"},
		"probe without why": {cats, rule, "EV1\tsecrets\tr-one\tfile-read-data\t~/x\t-\t-\t\n"},
	} {
		if _, err := parse(c[0], c[1], c[2]); err == nil || !strings.Contains(err.Error(), ".tsv:") {
			t.Errorf("%s: accepted or unpositioned (%v)", name, err)
		}
	}
}

func TestOptions(t *testing.T) {
	r, ok := Lookup("complex-regex")
	if !ok {
		t.Fatal("complex-regex missing")
	}
	o, ok := r.Option("max-length")
	if !ok || o.Kind != "int" || o.Default != "200" {
		t.Fatalf("max-length = %+v", o)
	}
	if o.CheckValue("120") != nil || o.CheckValue("-1") == nil || o.CheckValue("long") == nil {
		t.Error("int option values not checked")
	}
	if _, ok := r.Option("max-width"); ok {
		t.Error("unknown option found")
	}
}

// TestSuppressible: syntax errors, evaluation limits and internal errors
// (and codes that are not rules) cannot be suppressed; rules and other
// stage codes can.
func TestSuppressible(t *testing.T) {
	for _, code := range []string{"", "syntax-error", "input-too-large", "eval-limit", "internal-error", "lint-internal-error", "unused-ignore", "unknown-rule-in-ignore", "config-error", "no-such-rule"} {
		if Suppressible(code) {
			t.Errorf("%q is suppressible", code)
		}
	}
	for _, code := range []string{"shadowed-rule", "readable-ssh-keys", "unbound-identifier", "arity", "eval-error"} {
		if !Suppressible(code) {
			t.Errorf("%q is not suppressible", code)
		}
	}
}

func TestSuggest(t *testing.T) {
	if s := Suggest("shadowed-rul", false); s != "shadowed-rule" {
		t.Errorf("Suggest = %q", s)
	}
	if s := Suggest("secret", true); s != "secrets" {
		t.Errorf("Suggest with categories = %q", s)
	}
	if s := Suggest("secret", false); s == "secrets" {
		t.Errorf("Suggest without categories = %q", s)
	}
	if s := Suggest("zzzzzzzzzzzzzzzzzzzz", true); s != "" {
		t.Errorf("Suggest of nonsense = %q", s)
	}
}

// TestImportsOnlyDiag keeps the table importable by config, policy and
// lint: besides the standard library it may import diag and spell only.
func TestImportsOnlyDiag(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range af.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			if strings.Contains(p, ".") && p != "github.com/sbplc/sbplc/diag" && p != "github.com/sbplc/sbplc/internal/spell" {
				t.Errorf("%s imports %s", f, p)
			}
		}
	}
}

// researchFolds are research rule names sbplc reports under another rule
// (documented in the header of probes.tsv), by probe ID ("" for all).
var researchFolds = map[[2]string]string{
	{"", "hardlink-bypass"}:          "implicit-preamble-allows",
	{"EV067", "launchservices-open"}: "exec-interpreter-escape",
}

// researchOps are the probes whose operation differs from the research
// table's, with the reason.
var researchOps = map[string]string{
	"EV023": "a rename is checked as file-write-unlink of the source",
	"EV080": "a write probe (file-write-dev covers device writes)",
	"EV081": "iokit-open names the user-client check, iokit-open-user-client",
}

// TestProbesTraceToResearch: every probe comes from a row of the research
// table (../shared/audit/escape-vectors.tsv; a letter suffix marks an
// addition to that row's family) with the same group and rule, and the
// same operation,
// (for the research rows themselves), so the embedded table stays an
// adaptation, not an invention.
func TestProbesTraceToResearch(t *testing.T) {
	dir, err := corpus.SharedDir()
	if err != nil {
		t.Skip("research data not available:", err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "audit", "escape-vectors.tsv"))
	if err != nil {
		t.Skip("research table not available:", err)
	}
	type row struct{ group, op, rule string }
	research := map[string]row{}
	for _, line := range strings.Split(string(data), "\n")[1:] {
		f := strings.Split(line, "\t")
		if len(f) >= 6 {
			g := f[1]
			if g == "escape-ipc" {
				g = "ipc-escape"
			}
			research[f[0]] = row{g, f[2], f[5]}
		}
	}
	for _, p := range Probes() {
		id := strings.TrimRight(p.ID, "abcdefghijklmnopqrstuvwxyz")
		r, ok := research[id]
		if !ok {
			t.Errorf("%s: no row %s in the research table", p.ID, id)
			continue
		}
		rule := r.rule
		for _, k := range [][2]string{{"", r.rule}, {id, r.rule}} {
			if f, ok := researchFolds[k]; ok {
				rule = f
			}
		}
		if r.group != p.Group || rule != p.Rule {
			t.Errorf("%s: group/rule %s/%s, research says %s/%s", p.ID, p.Group, p.Rule, r.group, r.rule)
		}
		ops := strings.Fields(strings.NewReplacer("/", " ", "*", "").Replace(r.op))
		match := false
		for _, op := range ops {
			match = match || strings.TrimSuffix(p.Op, "*") == op
		}
		// An addition to a family (a letter suffix) may ask another
		// operation of the same rule.
		if _, excused := researchOps[id]; !match && !excused && id == p.ID {
			t.Errorf("%s: operation %s, research says %q", p.ID, p.Op, r.op)
		}
	}
}
