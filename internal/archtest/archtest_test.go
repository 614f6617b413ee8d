package archtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/sbplc/sbplc"

type pkg struct {
	ImportPath     string
	Dir            string
	GoFiles        []string
	IgnoredGoFiles []string
	Imports        []string
	Deps           []string
}

// listPackages runs go list on the module for the host and for darwin (whose
// files the host build leaves out) and merges the two: imports and deps of
// either build count.
func listPackages(t *testing.T) map[string]pkg {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not available")
	}
	pkgs := map[string]pkg{}
	for _, goos := range []string{"", "darwin"} {
		cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Dir,GoFiles,IgnoredGoFiles,Imports,Deps", module+"/...")
		cmd.Env = os.Environ()
		if goos != "" {
			cmd.Env = append(cmd.Env, "GOOS="+goos, "CGO_ENABLED=0")
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list: %v\n%s", err, stderr.String())
		}
		dec := json.NewDecoder(bytes.NewReader(out))
		for {
			var p pkg
			if err := dec.Decode(&p); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("decoding go list output: %v", err)
			}
			q := pkgs[p.ImportPath]
			q.ImportPath, q.Dir = p.ImportPath, p.Dir
			q.GoFiles = union(q.GoFiles, p.GoFiles)
			q.IgnoredGoFiles = union(q.IgnoredGoFiles, p.IgnoredGoFiles)
			q.Imports = union(q.Imports, p.Imports)
			q.Deps = union(q.Deps, p.Deps)
			pkgs[p.ImportPath] = q
		}
	}
	if len(pkgs) == 0 {
		t.Fatal("go list found no packages")
	}
	return pkgs
}

func union(a, b []string) []string {
	out := append(slices.Clone(a), b...)
	sort.Strings(out)
	return slices.Compact(out)
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

// TestImportDirection enforces the intended graph (graph.go) on the real
// module: non-test imports only (go list's Imports and Deps).
func TestImportDirection(t *testing.T) {
	pkgs := listPackages(t)
	// go list reads the sources in a child process, which go test's cache
	// does not see: reading them (and listing their directories, for new
	// files and packages) here makes an edit rerun the test.
	for _, p := range pkgs {
		for _, dir := range []string{p.Dir, filepath.Dir(p.Dir)} {
			if _, err := os.ReadDir(dir); err != nil {
				t.Error(err)
			}
		}
		for _, f := range union(p.GoFiles, p.IgnoredGoFiles) {
			if _, err := os.ReadFile(filepath.Join(p.Dir, f)); err != nil {
				t.Error(err)
			}
		}
	}
	for _, v := range violations(pkgs) {
		t.Error(v)
	}
	for _, v := range lintRunViolations(pkgs, os.ReadFile) {
		t.Error(v)
	}
}

// TestGraphTable checks graph.go against itself: every package in one
// layer, every intended edge going down.
func TestGraphTable(t *testing.T) {
	seen := map[string]bool{}
	for _, l := range layers {
		for _, p := range l {
			if seen[p] {
				t.Errorf("%s is in two layers", p)
			}
			seen[p] = true
			if _, ok := edges[p]; !ok {
				t.Errorf("%s has a layer but no edges entry", p)
			}
		}
	}
	for p, deps := range edges {
		if !seen[p] {
			t.Errorf("%s has edges but no layer", p)
		}
		for _, d := range deps {
			if layerOf(d) >= layerOf(p) {
				t.Errorf("intended edge %s -> %s does not go down the layers", p, d)
			}
		}
	}
	if len(layerNotes) != len(layers) {
		t.Errorf("%d layer notes for %d layers", len(layerNotes), len(layers))
	}
}

// TestViolationsDetected feeds the checkers a made-up module with one
// breach of each rule, so they cannot silently pass.
func TestViolationsDetected(t *testing.T) {
	m := func(s string) string { return module + "/" + s }
	pkgs := map[string]pkg{}
	for p, deps := range edges {
		var full []string
		for _, d := range deps {
			full = append(full, m(d))
		}
		pkgs[m(p)] = pkg{ImportPath: m(p), Imports: full, Deps: full}
	}
	set := func(name string, imports []string, deps ...string) {
		pkgs[m(name)] = pkg{ImportPath: m(name), Imports: imports, Deps: append(slices.Clone(imports), deps...)}
	}
	set("source", []string{"fmt", m("diag")})
	set("ast", []string{"github.com/alecthomas/participle/v2", m("source")})
	set("parser", []string{"github.com/alecthomas/participle/v2", m("ast"), m("diag"), m("source")})
	set("compile", append(slices.Clone(pkgs[m("compile")].Imports), m("lint")))
	set("vocab", []string{m("ir"), m("eval")})
	set("format", []string{m("ast"), m("diag"), m("source")}) // parser edge gone
	set("config", append(slices.Clone(pkgs[m("config")].Imports), "github.com/spf13/cobra"), m("corpus"))
	set("newpkg", []string{m("source")})
	delete(pkgs, m("templates"))
	got := strings.Join(violations(pkgs), "\n")
	for _, want := range []string{
		"source imports diag: not an intended edge",
		"source (layer 1) imports diag (layer 2)",
		"/ast imports github.com/alecthomas/participle/v2",
		"compile imports lint: not an intended edge",
		"compile (layer 6) imports lint (layer 6)",
		"vocab (layer 3) imports eval (layer 5)",
		"format no longer imports parser",
		"/config depends on github.com/spf13/cobra",
		"/config depends on " + m("corpus"),
		"package newpkg is not in the intended graph",
		"package templates is in the intended graph but not in the module",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("violation %q not reported; got:\n%s", want, got)
		}
	}
	for _, bad := range []string{"parser imports", "cmd/sbplc"} {
		if strings.Contains(got, bad) {
			t.Errorf("allowed import reported (%q):\n%s", bad, got)
		}
	}

	files := map[string]string{
		"/l/learn.go":  "package learn\nimport l \"github.com/sbplc/sbplc/lint\"\nfunc f() { l.Run(nil, nil, l.Options{}) }\n",
		"/l/ok.go":     "package learn\nimport \"github.com/sbplc/sbplc/lint\"\nvar _ = lint.Lookup\n",
		"/d/driver.go": "package driver\nimport \"github.com/sbplc/sbplc/lint\"\nvar _ = lint.Run\n",
	}
	read := func(name string) ([]byte, error) {
		if s, ok := files[name]; ok {
			return []byte(s), nil
		}
		return nil, os.ErrNotExist
	}
	lp := map[string]pkg{
		m("learn"):           {ImportPath: m("learn"), Dir: "/l", GoFiles: []string{"learn.go", "ok.go"}, Imports: []string{m("lint")}},
		m("internal/driver"): {ImportPath: m("internal/driver"), Dir: "/d", GoFiles: []string{"driver.go"}, Imports: []string{m("lint")}},
	}
	got = strings.Join(lintRunViolations(lp, read), "\n")
	for _, want := range []string{"learn.go:3: learn uses lint.Run", "learn.go:3: learn uses lint.Options"} {
		if !strings.Contains(got, want) {
			t.Errorf("lint-run violation %q not reported; got:\n%s", want, got)
		}
	}
	if strings.Contains(got, "ok.go") || strings.Contains(got, "driver.go") {
		t.Errorf("allowed use of lint reported:\n%s", got)
	}
}

func layerOf(p string) int {
	for i, l := range layers {
		if slices.Contains(l, p) {
			return i
		}
	}
	return -1
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
		rel := strings.TrimPrefix(n, module+"/")
		if slices.Contains(tools, rel) {
			for _, dep := range ours(p.Imports) {
				if strings.HasPrefix(dep, "cmd/") {
					out = append(out, fmt.Sprintf("%s imports %s: nothing imports a command", rel, dep))
				}
			}
			continue
		}
		for _, test := range testOnly {
			if dep := hasPrefix(p.Deps, module+"/"+test); dep != "" {
				out = append(out, n+" depends on "+dep+", which is for tests only")
			}
		}
		want, known := edges[rel]
		if !known {
			out = append(out, fmt.Sprintf("package %s is not in the intended graph: add it to a layer and its imports to edges in internal/archtest/graph.go (and regenerate docs/architecture.md)", rel))
			continue
		}
		got := ours(p.Imports)
		for _, dep := range got {
			if slices.Contains(tools, dep) {
				continue // reported above as a test-only dependency
			}
			if !slices.Contains(want, dep) {
				out = append(out, fmt.Sprintf("%s imports %s: not an intended edge (internal/archtest/graph.go, docs/architecture.md)", rel, dep))
			}
			if lt, ld := layerOf(rel), layerOf(dep); ld >= lt {
				out = append(out, fmt.Sprintf("%s (layer %d) imports %s (layer %d): imports go to lower layers only", rel, lt+1, dep, ld+1))
			}
		}
		for _, dep := range want {
			if !slices.Contains(got, dep) {
				out = append(out, fmt.Sprintf("%s no longer imports %s: remove the edge from internal/archtest/graph.go (and regenerate docs/architecture.md)", rel, dep))
			}
		}
	}
	for _, l := range layers {
		for _, p := range l {
			if _, ok := pkgs[module+"/"+p]; !ok {
				out = append(out, fmt.Sprintf("package %s is in the intended graph but not in the module: remove it from internal/archtest/graph.go", p))
			}
		}
	}
	return out
}

// lintRunViolations reports uses of lint's run API (lintRunAPI) outside the
// lint runners, read from the packages' non-test Go files.
func lintRunViolations(pkgs map[string]pkg, read func(string) ([]byte, error)) []string {
	var out []string
	names := make([]string, 0, len(pkgs))
	for n := range pkgs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := pkgs[n]
		rel := strings.TrimPrefix(n, module+"/")
		if slices.Contains(lintRunners, rel) || slices.Contains(tools, rel) || !slices.Contains(p.Imports, module+"/lint") {
			continue
		}
		for _, f := range union(p.GoFiles, p.IgnoredGoFiles) {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			path := filepath.Join(p.Dir, f)
			src, err := read(path)
			if err != nil {
				out = append(out, fmt.Sprintf("%s: %v", path, err))
				continue
			}
			fset := token.NewFileSet()
			file, err := parser.ParseFile(fset, path, src, 0)
			if err != nil {
				out = append(out, fmt.Sprintf("%s: %v", path, err))
				continue
			}
			local := ""
			for _, imp := range file.Imports {
				if v, _ := strconv.Unquote(imp.Path.Value); v == module+"/lint" {
					local = "lint"
					if imp.Name != nil {
						local = imp.Name.Name
					}
				}
			}
			if local == "" {
				continue
			}
			ast.Inspect(file, func(node ast.Node) bool {
				if sel, ok := node.(*ast.SelectorExpr); ok {
					if x, ok := sel.X.(*ast.Ident); ok && x.Name == local && slices.Contains(lintRunAPI, sel.Sel.Name) {
						out = append(out, fmt.Sprintf("%s:%d: %s uses lint.%s: only internal/driver runs the linter (one pipeline); call the driver",
							filepath.Base(path), fset.Position(sel.Pos()).Line, rel, sel.Sel.Name))
					}
				}
				return true
			})
		}
	}
	return out
}
