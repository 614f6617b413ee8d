//go:build unix

package eval

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sbplc/sbplc/internal/fsutil"
	"github.com/sbplc/sbplc/source"
)

// TestImportRefusesSpecialFiles imports a device, the process's own
// standard input, a FIFO and a symbolic link to a FIFO: each must be
// refused at once with a positioned error that says why, whichever reader
// is in use (the default one, or a naive one such as an editor's), and its
// rules must stay unknown.
func TestImportRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.sb")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if err := os.Symlink(fifo, filepath.Join(dir, "link.sb")); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, kind string }{
		{"/dev/zero", "a character device"},
		{"fifo.sb", "a FIFO"},
		{"link.sb", "a FIFO"},
		{dir, "a directory"},
	}
	if st, err := os.Stat("/dev/stdin"); err == nil && !st.Mode().IsRegular() {
		cases = append(cases, struct{ name, kind string }{"/dev/stdin", ""})
	}
	readers := map[string]func(string) ([]byte, error){"default": nil, "os.ReadFile": os.ReadFile}
	for _, tc := range cases {
		for rname, read := range readers {
			text := "(version 1)\n(import \"" + tc.name + "\")\n(allow file-read*)\n"
			done := make(chan *Result, 1)
			go func() {
				done <- Run(source.NewFile(filepath.Join(dir, "main.sb"), []byte(text)), Options{ReadFile: read})
			}()
			var res *Result
			select {
			case res = <-done:
			case <-time.After(5 * time.Second):
				t.Fatalf("%s with %s: the import hangs", tc.name, rname)
			}
			if len(res.Problems) != 1 {
				t.Errorf("%s with %s: problems %v", tc.name, rname, res.Problems)
				continue
			}
			ir, ok := res.Problems[0].(*ImportRefused)
			if !ok || !errors.Is(ir.Err, fsutil.ErrNotRegular) || ir.Name != tc.name {
				t.Errorf("%s with %s: %#v", tc.name, rname, res.Problems[0])
				continue
			}
			d := ir.Diagnostic()
			if p := d.Span.StartPos(); d.Code != "import" || d.Severity.String() != "error" || p.Line != 2 || p.Col != 1 ||
				!strings.Contains(d.Message, tc.kind+", not a regular file") || !strings.Contains(d.Message, "import a regular profile file") {
				t.Errorf("%s with %s: %s", tc.name, rname, d)
			}
			if len(res.Profile.Imports) != 1 || res.Profile.Imports[0].Resolved || !res.Profile.Opaque() || len(res.Profile.Rules) != 1 {
				t.Errorf("%s with %s: imports %+v, %d rules", tc.name, rname, res.Profile.Imports, len(res.Profile.Rules))
			}
		}
	}
}

// TestImportSizeLimit: an import larger than the input limit is refused
// as well (here from a reader that returns too much).
func TestImportSizeLimit(t *testing.T) {
	big := make([]byte, fsutil.MaxInputSize+1)
	res := Run(source.NewFile("main.sb", []byte("(version 1)\n(import \"big.sb\")\n")),
		Options{ReadFile: func(string) ([]byte, error) { return big, nil }})
	if len(res.Problems) != 1 {
		t.Fatalf("problems %v", res.Problems)
	}
	if ir, ok := res.Problems[0].(*ImportRefused); !ok || !errors.Is(ir.Err, fsutil.ErrTooLarge) || !strings.Contains(ir.Error(), "limit") {
		t.Errorf("%v", res.Problems[0])
	}
}
