package eval

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/corpus"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/source"
)

// TestSimbpleDifferential compares sbplc's evaluation with simbple's, an
// independent evaluator (TinyScheme with Apple's 10.15 library), on the
// corpus profiles both accept: the same concrete rules. simbple is no
// dependency: eval/testdata/simbple/build.sh builds it on Linux from a
// checkout, and SBPLC_SIMBPLE names the binary; without it the test is
// skipped. simbple resolves imports on the real filesystem only, so
// profiles with imports are left out; params get the same values on both
// sides.
func TestSimbpleDifferential(t *testing.T) {
	bin := os.Getenv("SBPLC_SIMBPLE")
	if bin == "" {
		t.Skip("set SBPLC_SIMBPLE to a simbple binary (eval/testdata/simbple/build.sh) to run")
	}
	dir := t.TempDir()
	same, compared := 0, 0
	var differ []string
	// Besides the corpus: a Scheme-heavy profile of sbplc's own (helpers,
	// string building, regex-quote, when).
	var gen strings.Builder
	gen.WriteString("(version 1)\n(deny default)\n(define (home p) (string-append \"/Users/u\" p))\n" +
		"(define (rw p) (allow file-read* (subpath (home p))) (allow file-write* (regex (string-append \"^\" (regex-quote (home p)) \"/\"))))\n")
	for i := range 300 {
		fmt.Fprintf(&gen, "(when (> %d 150) (rw \"/dir.%d\") (allow mach-lookup (global-name \"com.example.s%d\")))\n", i, i, i)
	}
	genFile := filepath.Join(dir, "generated.sb")
	if err := os.WriteFile(genFile, []byte(gen.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	entries := append(corpus.ForTest(t), corpus.Entry{File: "generated.sb", Dir: dir, Kind: "profile"})
	for _, e := range entries {
		if e.Kind != "profile" {
			continue
		}
		data, err := os.ReadFile(e.Abs())
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), "(import") {
			continue
		}
		first := Run(source.NewFile(e.File, data), Options{Target: "macos10.15"})
		if len(errorsOf(first)) > 0 {
			continue
		}
		params := map[string]string{}
		var meta strings.Builder
		for _, p := range first.Profile.Params {
			params[p.Name] = "/sbplc-param/" + p.Name
			fmt.Fprintf(&meta, "P %s=%s\n", p.Name, params[p.Name])
		}
		ours := Run(source.NewFile(e.File, data), Options{Target: "macos10.15", Params: params})
		mf := filepath.Join(dir, "meta")
		if err := os.WriteFile(mf, []byte(meta.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bin, "--platforms", "catalina", "-p", e.Abs(), mf).Output()
		if err != nil || strings.Contains(string(out), "[Error]") {
			continue // simbple does not accept it
		}
		theirs := Run(source.NewFile("simbple.sb", out), Options{Target: "macos10.15"})
		if len(errorsOf(theirs)) > 0 {
			t.Errorf("%s: simbple's output does not evaluate: %v", e.File, errorsOf(theirs))
			continue
		}
		compared++
		a, b := ruleSet(ours), ruleSet(theirs)
		if a == b {
			same++
		} else {
			differ = append(differ, e.File)
			t.Logf("%s differs:\n--- sbplc\n%s\n--- simbple\n%s", e.File, a, b)
		}
	}
	t.Logf("%d profiles compared, %d with the same rules; differ: %v", compared, same, differ)
	if compared == 0 || len(differ) > 0 {
		t.Errorf("%d of %d profiles differ", len(differ), compared)
	}
}

// ruleSet is the profile's rules as sorted canonical text, one rule a
// line: operations and filters by their canonical names (simbple writes
// path for literal, path-regex for regex, process-exec* for process-exec).
func ruleSet(res *Result) string {
	var lines []string
	for _, r := range res.Profile.Rules {
		var b strings.Builder
		b.WriteString(r.Action.String())
		for _, op := range r.Ops {
			b.WriteString(" " + op.Name)
		}
		if r.Filter != nil {
			b.WriteString(" " + canonFilter(r.Filter))
		}
		for _, m := range r.Modifiers {
			b.WriteString(" (with " + m.Name)
			for _, a := range m.Args {
				b.WriteString(" " + canonValue(a))
			}
			b.WriteString(")")
		}
		lines = append(lines, b.String())
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func canonFilter(n *ir.FilterNode) string {
	head := n.Name
	switch n.Kind {
	case ir.All, ir.Any, ir.Not:
		head = [...]string{"", "require-all", "require-any", "require-not"}[n.Kind]
	}
	parts := []string{head}
	for _, c := range n.Children {
		parts = append(parts, canonFilter(c))
	}
	for _, a := range n.Args {
		parts = append(parts, canonValue(a))
	}
	return "(" + strings.Join(parts, " ") + ")"
}

func canonValue(v ir.Value) string {
	switch v.Kind {
	case ir.Filter:
		return canonFilter(v.Sub)
	case ir.Int:
		return fmt.Sprint(v.Int)
	case ir.Bool:
		return fmt.Sprint(v.Bool)
	case ir.Symbol:
		if v.HasInt {
			return fmt.Sprint(v.Int)
		}
	}
	return fmt.Sprintf("%q", v.Str)
}
