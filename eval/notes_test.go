package eval

import (
	"strings"
	"testing"

	"github.com/sbplc/sbplc/source"
)

// TestUnquoteOutsideQuasiquote checks the note that explains a stray ,x
// and that no replacement is offered.
func TestUnquoteOutsideQuasiquote(t *testing.T) {
	res := Run(source.NewFile("u.sb", []byte("(version 1) (define p \"/a\")\n(allow file-read* (literal ,p))\n")), Options{})
	if len(res.Diags) != 1 {
		t.Fatalf("diags: %v", res.Diags)
	}
	d := res.Diags[0]
	if len(d.Fixes) != 0 || len(d.Notes) != 1 || !strings.Contains(d.Notes[0], "work only inside a ` (quasiquote) template") {
		t.Errorf("fixes %v notes %q", d.Fixes, d.Notes)
	}
	if p := d.Span.StartPos(); p.Line != 2 || p.Col != 28 {
		t.Errorf("at %d:%d, want 2:28", p.Line, p.Col)
	}
}
