package testutil

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
)

// Example is one bundled example profile (examples/*.sb) with the params
// its header comment documents.
type Example struct {
	Name   string // e.g. cli-tool.sb
	Path   string
	Text   []byte
	Params map[string]string
}

// The values the examples' shell snippets stand for in tests.
const (
	ExampleHome    = "/Users/me"
	ExampleProject = "/Users/me/src/app"
)

var defineRe = regexp.MustCompile(`-D\s+([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)`)

// Examples reads the bundled examples. Each one's params are the
// `-D NAME=VALUE` arguments in its leading comment, with "$HOME" read as
// ExampleHome and "$(pwd -P)" as ExampleProject; any other shell
// expansion is an error.
func Examples() ([]Example, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return nil, fmt.Errorf("cannot locate the examples")
	}
	dir := filepath.Join(filepath.Dir(file), "..", "..", "examples")
	names, err := filepath.Glob(filepath.Join(dir, "*.sb"))
	if err != nil || len(names) == 0 {
		return nil, fmt.Errorf("no examples in %s: %v", dir, err)
	}
	sort.Strings(names)
	var out []Example
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		ps, err := headerParams(string(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %v", filepath.Base(n), err)
		}
		out = append(out, Example{Name: filepath.Base(n), Path: n, Text: data, Params: ps})
	}
	return out, nil
}

func headerParams(text string) (map[string]string, error) {
	var header strings.Builder
	for _, l := range strings.Split(text, "\n") {
		t := strings.TrimSpace(l)
		if t != "" && !strings.HasPrefix(t, ";") {
			break
		}
		header.WriteString(strings.TrimLeft(t, "; ") + " ")
	}
	ps := map[string]string{}
	for _, m := range defineRe.FindAllStringSubmatch(strings.ReplaceAll(header.String(), "\\ ", " "), -1) {
		v := strings.Trim(m[2], `"`)
		v = strings.ReplaceAll(v, "$HOME", ExampleHome)
		v = strings.ReplaceAll(v, "$(pwd -P)", ExampleProject)
		if strings.Contains(v, "$") {
			return nil, fmt.Errorf("param %s=%s: unknown shell expansion", m[1], m[2])
		}
		ps[m[1]] = v
	}
	return ps, nil
}
