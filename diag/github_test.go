package diag

import (
	"bytes"
	"encoding/json"
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

func TestWriteSARIF(t *testing.T) {
	f := source.NewFile("p.sb", []byte("(allow file-write* (subpath \"/tmp\"))\n"))
	d := Diagnostic{Severity: Error, Code: "r1", Message: "m", Span: source.Span{File: f, Start: 28, End: 34},
		Related: []Related{{Span: source.Span{File: f, Start: 0, End: 6}, Message: "rel"}},
		Fixes:   []Fix{{Title: "fix it", Edits: []Edit{{Span: source.Span{File: f, Start: 29, End: 29}, NewText: "/private"}}}}}
	other := Diagnostic{Severity: Info, Code: "stage-code", Message: "n"}
	var b bytes.Buffer
	err := WriteSARIF(&b, []Diagnostic{d, other}, SARIFTool{Name: "sbplc", Version: "v1"},
		[]SARIFRule{{ID: "r0", Summary: "zero", Level: Warning}, {ID: "r1", Summary: "one", Help: "# r1\nhelp", Level: Error, Category: "paths"}})
	if err != nil {
		t.Fatal(err)
	}
	var log map[string]any
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	if log["version"] != "2.1.0" || !strings.Contains(log["$schema"].(string), "sarif-2.1.0") {
		t.Errorf("header: %v", log)
	}
	run := log["runs"].([]any)[0].(map[string]any)
	rules := run["tool"].(map[string]any)["driver"].(map[string]any)["rules"].([]any)
	if len(rules) != 3 || rules[2].(map[string]any)["id"] != "stage-code" {
		t.Fatalf("rules: %v", rules)
	}
	if rules[1].(map[string]any)["name"] != "R1" || rules[1].(map[string]any)["help"].(map[string]any)["markdown"] != "# r1\nhelp" {
		t.Errorf("rule r1: %v", rules[1])
	}
	res := run["results"].([]any)
	r0 := res[0].(map[string]any)
	if r0["ruleIndex"].(float64) != 1 || r0["level"] != "error" {
		t.Errorf("result: %v", r0)
	}
	reg := r0["locations"].([]any)[0].(map[string]any)["physicalLocation"].(map[string]any)["region"].(map[string]any)
	if reg["startLine"].(float64) != 1 || reg["startColumn"].(float64) != 29 || reg["charLength"].(float64) != 6 {
		t.Errorf("region: %v", reg)
	}
	rep := r0["fixes"].([]any)[0].(map[string]any)["artifactChanges"].([]any)[0].(map[string]any)["replacements"].([]any)[0].(map[string]any)
	if rep["insertedContent"].(map[string]any)["text"] != "/private" || rep["deletedRegion"].(map[string]any)["charOffset"].(float64) != 29 {
		t.Errorf("fix: %v", rep)
	}
	if res[1].(map[string]any)["level"] != "note" || len(res[1].(map[string]any)["locations"].([]any)) != 0 {
		t.Errorf("span-less result: %v", res[1])
	}
}

// TestWriteSARIFUTF16 checks that regions count UTF-16 code units
// (columnKind utf16CodeUnits): é and 日 are one unit, 😀 is two, while
// they are 2, 3 and 4 bytes (byte offsets would give 16/12 and 28/11).
func TestWriteSARIFUTF16(t *testing.T) {
	text := "; 😀\n(literal \"/é日/x\") \"/😀/y\"\n"
	f := source.NewFile("u.sb", []byte(text))
	lit := strings.Index(text, "\"/é")
	emo := strings.LastIndex(text, "\"/😀")
	ds := []Diagnostic{
		{Severity: Warning, Code: "r", Message: "a", Span: source.Span{File: f, Start: lit, End: lit + len("\"/é日/x\"")}},
		{Severity: Warning, Code: "r", Message: "b", Span: source.Span{File: f, Start: emo, End: emo + len("\"/😀/y\"")}},
	}
	var b bytes.Buffer
	if err := WriteSARIF(&b, ds, SARIFTool{Name: "sbplc"}, nil); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Runs []struct {
			ColumnKind string `json:"columnKind"`
			Results    []struct {
				Locations []struct {
					PhysicalLocation struct{ Region sarifRegion } `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	if log.Runs[0].ColumnKind != "utf16CodeUnits" {
		t.Errorf("columnKind %q", log.Runs[0].ColumnKind)
	}
	// Line 1 is "; 😀\n": 2 + 2 + 1 = 5 units.
	want := []sarifRegion{
		{StartLine: 2, StartColumn: 10, EndLine: 2, EndColumn: 17, CharOffset: 5 + 9, CharLength: 7},
		{StartLine: 2, StartColumn: 19, EndLine: 2, EndColumn: 26, CharOffset: 5 + 18, CharLength: 7},
	}
	for i, w := range want {
		if got := log.Runs[0].Results[i].Locations[0].PhysicalLocation.Region; got != w {
			t.Errorf("result %d: region %+v, want %+v", i, got, w)
		}
	}
}
