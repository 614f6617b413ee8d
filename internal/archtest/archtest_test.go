package archtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/sbplc/sbplc"

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

func listPackages(t *testing.T) map[string]pkg {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not available")
	}
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Imports,Deps", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	pkgs := map[string]pkg{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		pkgs[p.ImportPath] = p
	}
	if len(pkgs) == 0 {
		t.Fatal("go list found no packages")
	}
	return pkgs
}

// ours returns the sbplc packages in list, without the module prefix.
func ours(list []string) []string {
	var out []string
	for _, p := range list {
		if rel, ok := strings.CutPrefix(p, module+"/"); ok {
			out = append(out, rel)
		}
	}
	sort.Strings(out)
	return out
}

func within(path, dir string) bool {
	return path == module+"/"+dir || strings.HasPrefix(path, module+"/"+dir+"/")
}

func hasPrefix(list []string, prefix string) string {
	for _, p := range list {
		if p == prefix || strings.HasPrefix(p, prefix+"/") {
			return p
		}
	}
	return ""
}

// TestImportDirection enforces the layering described in the package doc on
// the real module. It reads non-test imports only (go list's Imports and Deps).
func TestImportDirection(t *testing.T) {
	for _, v := range violations(listPackages(t)) {
		t.Error(v)
	}
}

// TestViolationsDetected feeds violations() a made-up module with one
// breach of each rule, so the checker itself cannot silently pass.
func TestViolationsDetected(t *testing.T) {
	m := func(s string) string { return module + "/" + s }
	pkgs := map[string]pkg{
		m("source"): {ImportPath: m("source"), Deps: []string{"fmt", m("diag")}},
		m("diag"):   {ImportPath: m("diag"), Deps: []string{m("source")}},
		m("ast"):    {ImportPath: m("ast"), Imports: []string{"github.com/alecthomas/participle/v2"}, Deps: []string{m("source"), m("diag"), "github.com/alecthomas/participle/v2"}},
		m("parser"): {ImportPath: m("parser"), Imports: []string{"github.com/alecthomas/participle/v2"}, Deps: []string{"github.com/alecthomas/participle/v2"}},
		m("lint"):   {ImportPath: m("lint"), Deps: []string{"github.com/spf13/cobra", m("corpus")}},
		m("cmd/sbplc"): {ImportPath: m("cmd/sbplc"), Imports: []string{"github.com/spf13/cobra"},
			Deps: []string{"github.com/spf13/cobra", "github.com/alecthomas/participle/v2"}},
	}
	got := strings.Join(violations(pkgs), "\n")
	for _, want := range []string{
		"source depends on diag",
		"/ast imports github.com/alecthomas/participle/v2",
		"ast depends on diag",
		"/lint depends on github.com/spf13/cobra",
		"/lint depends on github.com/sbplc/sbplc/corpus",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("violation %q not reported; got:\n%s", want, got)
		}
	}
	for _, bad := range []string{"parser imports", "cmd/sbplc depends", "cmd/sbplc imports"} {
		if strings.Contains(got, bad) {
			t.Errorf("allowed import reported (%q):\n%s", bad, got)
		}
	}
}

// violations lists every breach of the import rules in pkgs.
func violations(pkgs map[string]pkg) []string {
	var out []string
	names := make([]string, 0, len(pkgs))
	for n := range pkgs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := pkgs[n]
		if !within(n, "parser") {
			if imp := hasPrefix(p.Imports, "github.com/alecthomas/participle"); imp != "" {
				out = append(out, n+" imports "+imp+": participle must stay inside package parser")
			}
		}
		if !within(n, "cmd") {
			if dep := hasPrefix(p.Deps, "github.com/spf13/cobra"); dep != "" {
				out = append(out, n+" depends on "+dep+": cobra belongs to cmd/ only")
			}
		}
		for _, test := range []string{"corpus", "internal/testutil"} {
			if within(n, test) {
				continue
			}
			if dep := hasPrefix(p.Deps, module+"/"+test); dep != "" {
				out = append(out, n+" depends on "+dep+", which is for tests only")
			}
		}
	}
	allowed := map[string][]string{
		"source": nil,
		"diag":   {"source"},
		"ast":    {"source"},
	}
	for _, name := range []string{"source", "diag", "ast"} {
		allow := allowed[name]
		p, ok := pkgs[module+"/"+name]
		if !ok {
			out = append(out, "package "+name+" not found")
			continue
		}
		for _, dep := range ours(p.Deps) {
			found := false
			for _, a := range allow {
				found = found || dep == a
			}
			if !found {
				out = append(out, fmt.Sprintf("%s depends on %s; it may only import %v of sbplc", name, dep, allow))
			}
		}
	}
	return out
}
