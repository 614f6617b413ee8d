package diag

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/source"
)

func TestWriteGitHub(t *testing.T) {
	f := source.NewFile("dir,a:b.sb", []byte("(allow x)\n(deny y)\n"))
	ds := []Diagnostic{
		{Severity: Error, Code: "c1", Message: "100% wrong\nsecond line", Span: source.Span{File: f, Start: 1, End: 6}},
		{Severity: Warning, Code: "c2", Message: "w", Span: source.Span{File: f, Start: 10, End: 18}},
		{Severity: Info, Message: "no span"},
	}
	var b bytes.Buffer
	if err := WriteGitHub(&b, ds); err != nil {
		t.Fatal(err)
	}
	want := "::error file=dir%2Ca%3Ab.sb,line=1,col=2,endLine=1,endColumn=7,title=c1::100%25 wrong%0Asecond line [c1]\n" +
		"::warning file=dir%2Ca%3Ab.sb,line=2,col=1,endLine=2,endColumn=9,title=c2::w [c2]\n" +
		"::notice::no span\n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

// TestWriteGitHubUTF16Columns: col and endColumn count UTF-16 code units,
// as the SARIF output does: 😀 is two units (one character, four bytes),
// é one (two bytes).
func TestWriteGitHubUTF16Columns(t *testing.T) {
	text := "(allow file-read* (literal \"/😀/é\") (literal \"/x\"))\n"
	f := source.NewFile("e.sb", []byte(text))
	i := strings.Index(text, "\"/x\"")
	var b bytes.Buffer
	if err := WriteGitHub(&b, []Diagnostic{{Severity: Warning, Code: "c", Message: "m", Span: source.Span{File: f, Start: i, End: i + 4}}}); err != nil {
		t.Fatal(err)
	}
	// Before "/x": 27 ASCII characters, "\"/😀/é\"" (7 units, 6 characters)
	// and ") (literal " (11): column 46, where counting characters gives 45.
	want := "::warning file=e.sb,line=1,col=46,endLine=1,endColumn=50,title=c::m [c]\n"
	if b.String() != want {
		t.Errorf("got  %s\nwant %s", b.String(), want)
	}
	var s bytes.Buffer
	if err := WriteSARIF(&s, []Diagnostic{{Severity: Warning, Code: "c", Message: "m", Span: source.Span{File: f, Start: i, End: i + 4}}}, SARIFTool{Name: "t", Version: "0"}, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.String(), `"startColumn": 46`) || !strings.Contains(s.String(), `"endColumn": 50`) {
		t.Errorf("SARIF columns differ from the annotation's:\n%s", s.String())
	}
}

// TestWriteGitHubLimit: with more than GitHubAnnotationLimit findings of a
// kind, the tenth annotation of that kind is a summary, and every finding
// is still written; a kind within the limit gets no summary.
func TestWriteGitHubLimit(t *testing.T) {
	f := source.NewFile("p.sb", []byte("(allow x)\n"))
	var ds []Diagnostic
	for i := 0; i < 23; i++ {
		ds = append(ds, Diagnostic{Severity: Error, Code: "e", Message: fmt.Sprintf("e%d", i), Span: source.Span{File: f, Start: 1, End: 6}})
	}
	for i := 0; i < GitHubAnnotationLimit; i++ {
		ds = append(ds, Diagnostic{Severity: Warning, Code: "w", Message: "w", Span: source.Span{File: f, Start: 1, End: 6}})
	}
	var b bytes.Buffer
	if err := WriteGitHub(&b, ds); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 23+GitHubAnnotationLimit+1 {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), 23+GitHubAnnotationLimit+1, b.String())
	}
	var errs []string
	for _, l := range lines {
		if strings.HasPrefix(l, "::error") {
			errs = append(errs, l)
		}
	}
	want := "::error title=sbplc%3A errors not shown::23 errors in all: GitHub shows 10 annotations of each kind per step, so 14 are only in this step's log; upload --format sarif to code scanning to see every finding"
	if len(errs) != 24 || errs[GitHubAnnotationLimit-1] != want {
		t.Errorf("annotation %d of %d: %q, want the summary %q", GitHubAnnotationLimit, len(errs), errs[GitHubAnnotationLimit-1], want)
	}
	if strings.Contains(b.String(), "warnings not shown") {
		t.Error("a summary for warnings within the limit")
	}
}
