package archtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	docPath    = "../../docs/architecture.md"
	graphBegin = "<!-- graph:begin: generated from internal/archtest/graph.go by SBPLC_UPDATE=1 go test ./internal/archtest -->\n"
	graphEnd   = "<!-- graph:end -->\n"
)

// renderGraph is the graph section of docs/architecture.md: the layers and
// every intended import, from graph.go (which TestImportDirection holds
// equal to the real imports).
func renderGraph() string {
	var b strings.Builder
	b.WriteString("| layer | packages | what they are |\n|---|---|---|\n")
	for i := len(layers) - 1; i >= 0; i-- {
		var names []string
		for _, p := range layers[i] {
			names = append(names, "`"+p+"`")
		}
		fmt.Fprintf(&b, "| %d | %s | %s |\n", i+1, strings.Join(names, ", "), layerNotes[i])
	}
	b.WriteString("\nEvery import between sbplc packages (non-test code), top layer first:\n\n```text\n")
	width := 0
	for p := range edges {
		width = max(width, len(p))
	}
	for i := len(layers) - 1; i >= 0; i-- {
		for _, p := range layers[i] {
			deps := "(nothing of sbplc)"
			if len(edges[p]) > 0 {
				deps = strings.Join(edges[p], " ")
			}
			fmt.Fprintf(&b, "%-*s -> %s\n", width, p, deps)
		}
	}
	b.WriteString("```\n")
	return b.String()
}

// TestArchitectureDoc keeps the graph section of docs/architecture.md equal
// to graph.go.
func TestArchitectureDoc(t *testing.T) {
	data, err := os.ReadFile(filepath.FromSlash(docPath))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	i, j := strings.Index(doc, graphBegin), strings.Index(doc, graphEnd)
	if i < 0 || j < i {
		t.Fatalf("%s has no graph section (%q ... %q)", docPath, graphBegin, graphEnd)
	}
	want := doc[:i+len(graphBegin)] + renderGraph() + doc[j:]
	if want == doc {
		return
	}
	if os.Getenv("SBPLC_UPDATE") != "" {
		if err := os.WriteFile(filepath.FromSlash(docPath), []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the import graph in docs/architecture.md differs from internal/archtest/graph.go: run SBPLC_UPDATE=1 go test ./internal/archtest")
}
