package lint_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/config"
	"github.com/sbplc/sbplc/corpus"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/eval"
	"github.com/sbplc/sbplc/internal/testutil"
	"github.com/sbplc/sbplc/lint"
	"github.com/sbplc/sbplc/parser"
	"github.com/sbplc/sbplc/source"
)

// TestCorpus lints every corpus profile with the default rules: no crash,
// no internal errors, every span inside its file, and a committed summary
// of findings per file and rule (lint/testdata/corpus-summary.txt; refresh
// with SBPLC_UPDATE=1 and review the diff).
func TestCorpus(t *testing.T) {
	es := corpus.ForTest(t)
	preludes := corpusPreludes(t, es)
	var b strings.Builder
	totals := map[string]int{}
	sev := map[string]diag.Severity{}
	for _, e := range es {
		data, err := e.Read()
		if err != nil {
			t.Fatal(err)
		}
		src := source.NewFile(e.File, data)
		// A prelude is linted as its project configures it (preludes:).
		var cfg *config.Config
		kind := e.Kind
		if preludes[e.File] {
			cfg = config.Default()
			cfg.Preludes = []string{e.File}
			kind += ", prelude"
		}
		ds, _ := lint.File(src, cfg, lint.Options{})
		per := map[string]int{}
		var bySev [3]int
		for _, d := range ds {
			bySev[d.Severity]++
			if d.Code == "lint-internal-error" || d.Code == "internal-error" {
				t.Errorf("%s: %v\n%s", e.File, d, strings.Join(d.Notes, "\n"))
			}
			if d.Span.IsValid() && (d.Span.Start < 0 || d.Span.End > len(d.Span.File.Text) || d.Span.End < d.Span.Start) {
				t.Errorf("%s: span out of range: %v", e.File, d)
			}
			per[d.Code]++
			totals[d.Code]++
			sev[d.Code] = max(sev[d.Code], d.Severity)
		}
		var ids []string
		for id := range per {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		fmt.Fprintf(&b, "%s (%s, %d lines; %d error, %d warning, %d info):", e.File, kind, e.Lines, bySev[diag.Error], bySev[diag.Warning], bySev[diag.Info])
		if len(ids) == 0 {
			b.WriteString(" clean")
		}
		for _, id := range ids {
			fmt.Fprintf(&b, " %s=%d", id, per[id])
		}
		b.WriteByte('\n')
	}
	var ids []string
	for id := range totals {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	b.WriteString("\ntotals:\n")
	for _, id := range ids {
		fmt.Fprintf(&b, "  %-34s %-7s %d\n", id, sev[id], totals[id])
	}
	testutil.Golden(t, "testdata/corpus-summary.txt", b.String())
}

// corpusPreludes finds the corpus profiles that their projects prepend to
// fragments (Chromium's common.sb): a file with a (version) form that
// defines, at top level, a name a version-less fragment of the same
// repository uses without defining it.
func corpusPreludes(t *testing.T, es []corpus.Entry) map[string]bool {
	unbound := map[string]map[string]bool{} // repo -> names fragments use unbound
	defines := map[string][]string{}        // file -> top-level defined names
	versioned := map[string]bool{}
	for _, e := range es {
		data, err := e.Read()
		if err != nil {
			t.Fatal(err)
		}
		src := source.NewFile(e.File, data)
		f, _ := parser.Parse(src)
		if f == nil {
			continue
		}
		for _, n := range f.Forms {
			l, ok := n.(*ast.List)
			if !ok || len(l.Elems) < 2 {
				continue
			}
			switch l.HeadSymbol() {
			case "version":
				versioned[e.File] = true
			case "define":
				switch d := l.Elems[1].(type) {
				case *ast.Symbol:
					defines[e.File] = append(defines[e.File], d.Name)
				case *ast.List:
					if s, ok := d.Head().(*ast.Symbol); ok {
						defines[e.File] = append(defines[e.File], s.Name)
					}
				}
			}
		}
		if versioned[e.File] {
			continue
		}
		for _, d := range eval.Run(src, eval.Options{}).Diags {
			if name, ok := strings.CutPrefix(d.Message, "unbound variable: "); ok && d.Code == "unbound-identifier" {
				if unbound[e.Repo] == nil {
					unbound[e.Repo] = map[string]bool{}
				}
				unbound[e.Repo][strings.Fields(name)[0]] = true
			}
		}
	}
	out := map[string]bool{}
	for _, e := range es {
		if !versioned[e.File] {
			continue
		}
		for _, n := range defines[e.File] {
			if unbound[e.Repo][n] {
				out[e.File] = true
			}
		}
	}
	return out
}

// TestEmittedCodesAreRules lints the corpus (every rule enabled) and a set
// of inputs that fail in the parser and the evaluator: every code lint
// emits must be a registered rule, so `sbplc explain CODE` and the SARIF
// rules table cover it.
func TestEmittedCodesAreRules(t *testing.T) {
	type input struct{ name, text string }
	var ins []input
	for _, e := range corpus.ForTest(t) {
		data, err := e.Read()
		if err != nil {
			t.Fatal(err)
		}
		ins = append(ins, input{e.File, string(data)})
	}
	for _, r := range lint.All() {
		if r.Stage != "" {
			ins = append(ins, input{r.ID + ".sb", lint.DocExample(r.Doc(), "Avoid")})
		}
	}
	const v = "(version 1)\n(deny default)\n"
	for _, s := range []string{
		v + `(allow network-outbound (remote tcp "example.com:80"))`,
		v + `(allow network-outbound (remote tcp "*:99999"))`,
		v + `(version 2)`, v + `(trace 5)`, v + `(allow file-read* (regex #"^/usr/\d+"))`,
		"(version 1)\n(allow file-read* \"\x00\")", "", "@@@", "(version 1)\n)",
	} {
		ins = append(ins, input{"snippet.sb", s})
	}
	seen := map[string]bool{}
	for _, in := range ins {
		ds := lintText(t, in.name, in.text, lint.Options{})
		ds2 := lintText(t, in.name, in.text, lint.Options{Target: "macos10.15"})
		for _, d := range append(ds, ds2...) {
			if _, ok := lint.Lookup(d.Code); !ok && !seen[d.Code] {
				seen[d.Code] = true
				t.Errorf("%s: code %q is not a rule (%v)", in.name, d.Code, d)
			}
		}
	}
}
