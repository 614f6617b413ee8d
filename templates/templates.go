// Package templates holds the starting profiles of sbplc init: the five
// named profiles sandbox_init has offered since 10.5, rewritten as
// deny-default profiles, and task profiles (a command-line tool, a build,
// a coding agent, a development server, the minimal start-up base).
//
// Each template is an embedded .sb file whose first line is
//
//	;; sbplc template NAME: one-line summary
//
// (the one place its summary is written). Templates are lint-clean and
// audit-clean, and carry `; expect` lines that go test runs.
package templates

import (
	"embed"
	"fmt"
	"sort"
	"strings"
)

//go:embed *.sb
var files embed.FS

// Template is one starting profile.
type Template struct {
	Name    string
	Summary string
	Text    []byte
}

// headerPrefix starts the first line of every template.
const headerPrefix = ";; sbplc template "

// order lists the named sandbox_init profiles first, then the task
// profiles; a template not listed sorts after them by name.
var order = []string{"no-internet", "no-network", "no-write", "no-write-except-temporary", "pure-computation",
	"minimal", "cli-tool", "build", "agent", "dev-server"}

// List returns every template, in the order sbplc init --list shows them.
func List() []Template {
	entries, err := files.ReadDir(".")
	if err != nil {
		panic("templates: " + err.Error()) // embedded data
	}
	var out []Template
	for _, e := range entries {
		t, err := load(e.Name())
		if err != nil {
			panic("templates: " + err.Error()) // embedded data, checked by a test
		}
		out = append(out, t)
	}
	rank := func(n string) int {
		for i, o := range order {
			if o == n {
				return i
			}
		}
		return len(order)
	}
	sort.Slice(out, func(i, j int) bool {
		if a, b := rank(out[i].Name), rank(out[j].Name); a != b {
			return a < b
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Get returns the template called name.
func Get(name string) (Template, bool) {
	for _, t := range List() {
		if t.Name == name {
			return t, true
		}
	}
	return Template{}, false
}

// Names returns the template names in List order.
func Names() []string {
	var out []string
	for _, t := range List() {
		out = append(out, t.Name)
	}
	return out
}

func load(file string) (Template, error) {
	data, err := files.ReadFile(file)
	if err != nil {
		return Template{}, err
	}
	return parse(file, data)
}

// parse reads a template's header line.
func parse(file string, data []byte) (Template, error) {
	name := strings.TrimSuffix(file, ".sb")
	first, _, _ := strings.Cut(string(data), "\n")
	rest, ok := strings.CutPrefix(first, headerPrefix+name+": ")
	if !ok || strings.TrimSpace(rest) == "" {
		return Template{}, fmt.Errorf("%s: the first line must be %q", file, headerPrefix+name+": SUMMARY")
	}
	return Template{Name: name, Summary: strings.TrimSpace(rest), Text: data}, nil
}
