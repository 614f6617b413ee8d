package lsp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sbplc/sbplc/internal/testutil"
)

// TestHostileImports: a document importing /dev/stdin, /dev/zero or a FIFO
// gets a diagnostic at once, and the server keeps answering: the import
// reader takes regular files only (issue 19, items 1-3).
func TestHostileImports(t *testing.T) {
	dir := t.TempDir()
	fifo := testutil.MakeFIFO(t, filepath.Join(dir, "fifo.sb"))
	c := initialized(t, Options{Analyzer: NewLintAnalyzer()})
	for i, target := range []string{"/dev/stdin", "/dev/zero", fifo} {
		if _, err := os.Stat(target); err != nil {
			continue
		}
		uri := pathToURI(filepath.Join(dir, "h"+string(rune('a'+i))+".sb"))
		start := time.Now()
		c.open(uri, "(version 1)\n(import \""+target+"\")\n(allow file-read* (literal \"/private/etc/hosts\"))\n")
		p := c.diagnostics()
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("%s: diagnostics after %v", target, d)
		}
		found := false
		for _, d := range p.Diagnostics {
			if strings.Contains(d.Message, "not a regular file") {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no refusal among %+v", target, p.Diagnostics)
		}
	}
}
