package eval

import (
	"strings"
	"testing"

	"github.com/sbplc/sbplc/source"
)

// TestUnboundParamOncePerName checks that a param used as a string and as
// a number gives one unbound-param warning, with the number as a note.
func TestUnboundParamOncePerName(t *testing.T) {
	src := `(version 1)
(define v (string->number (param "OS_VERSION")))
(if (>= (string->number (param "OS_VERSION")) 13) (allow file-read*))
(allow file-read* (literal (param "OS_VERSION")))
`
	res := Run(source.NewFile("p.sb", []byte(src)), Options{})
	if len(res.Diags) != 1 {
		t.Fatalf("want one diagnostic, got %d:\n%v", len(res.Diags), res.Diags)
	}
	d := res.Diags[0]
	if d.Code != "unbound-param" || d.Span.StartPos().Line != 2 || d.Span.StartPos().Col != 27 {
		t.Errorf("diagnostic %s at %v", d, d.Span.StartPos())
	}
	if len(d.Notes) != 1 || !strings.Contains(d.Notes[0], "analysed as 0; pass -D OS_VERSION=NUMBER") {
		t.Errorf("notes = %q", d.Notes)
	}
	if len(d.Related) != 1 || d.Related[0].Span.StartPos().Col != 11 {
		t.Errorf("related = %+v, want the string->number call at 2:11", d.Related)
	}
}
