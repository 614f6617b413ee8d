package diag

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/internal/testutil/sarifcheck"
	"github.com/sbplc/sbplc/source"
)

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
	if log["version"] != "2.1.0" || log["$schema"] != SARIFSchemaURI {
		t.Errorf("header: %v", log)
	}
	run := log["runs"].([]any)[0].(map[string]any)
	rules := run["tool"].(map[string]any)["driver"].(map[string]any)["rules"].([]any)
	if len(rules) != 3 || rules[2].(map[string]any)["id"] != "stage-code" {
		t.Fatalf("rules: %v", rules)
	}
	// A one-word ID has no name (SARIF1001: the name must differ from the ID).
	if _, named := rules[1].(map[string]any)["name"]; named || rules[1].(map[string]any)["help"].(map[string]any)["markdown"] != "# r1\nhelp" {
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

// sarifOf writes ds as SARIF and decodes it into a generic tree.
func sarifOf(t *testing.T, ds []Diagnostic, tool SARIFTool, rules []SARIFRule) ([]byte, map[string]any) {
	t.Helper()
	var b bytes.Buffer
	if err := WriteSARIF(&b, ds, tool, rules); err != nil {
		t.Fatal(err)
	}
	var log map[string]any
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, b.String())
	}
	return b.Bytes(), log
}

// TestSARIFValidates writes a log with every kind of location sbplc
// produces (file names with '#', '%', spaces, ':' and non-ASCII letters,
// an absolute path, standard input, related locations, fixes, a finding
// without a span) and validates it against the SARIF 2.1.0 schema and the
// validator rules of sarifcheck.
func TestSARIFValidates(t *testing.T) {
	abs := "/work/a b/p.sb"
	if filepath.Separator == '\\' {
		abs = `C:\work\a b\p.sb`
	}
	var ds []Diagnostic
	for _, name := range []string{"a #1%.sb", "dir,a:b.sb", "ünï/cöde.sb", abs, "<stdin>", "-", "./rel/../x.sb"} {
		f := source.NewFile(name, []byte("(allow file-write* (subpath \"/tmp\"))\n"))
		ds = append(ds, Diagnostic{Severity: Error, Code: "unresolved-symlink-path", Message: "m", Span: source.Span{File: f, Start: 28, End: 34},
			Related: []Related{{Span: source.Span{File: f, Start: 0, End: 6}, Message: "rel"}},
			Fixes:   []Fix{{Title: "fix", Edits: []Edit{{Span: source.Span{File: f, Start: 29, End: 29}, NewText: "/private"}}}}})
	}
	ds = append(ds, Diagnostic{Severity: Info, Code: "arity", Message: "no span"})
	data, _ := sarifOf(t, ds, SARIFTool{Name: "sbplc", Version: "0.1.0", SemanticVersion: "0.1.0", InformationURI: "https://github.com/sbplc/sbplc"},
		[]SARIFRule{{ID: "unresolved-symlink-path", Summary: "s", Help: "# h", HelpURI: "https://github.com/sbplc/sbplc/blob/main/lint/docs/unresolved-symlink-path.md",
			Level: Error, Category: "paths", SecuritySeverity: "8.0", Precision: "high"}})
	if p := sarifcheck.Check(data); len(p) != 0 {
		t.Fatalf("invalid SARIF:\n%s\n%s", strings.Join(p, "\n"), data)
	}
}

// TestSARIFURIs: relative paths are percent-encoded relative references,
// absolute paths file:// URIs, and standard input has no URI.
func TestSARIFURIs(t *testing.T) {
	for _, tc := range []struct{ name, uri, desc string }{
		{"a #1%.sb", "a%20%231%25.sb", ""},
		{"dir,a:b.sb", "dir%2Ca%3Ab.sb", ""},
		{"./x/../y/p.sb", "y/p.sb", ""},
		{"é.sb", "%C3%A9.sb", ""},
		{"<stdin>", "", "<stdin>"},
		{"-", "", "<stdin>"},
	} {
		if got := sarifArtifactOf(tc.name); got.URI != tc.uri || (got.Description == nil) != (tc.desc == "") ||
			got.Description != nil && got.Description.Text != tc.desc {
			t.Errorf("%q: got %+v, want uri %q description %q", tc.name, got, tc.uri, tc.desc)
		}
	}
	if filepath.Separator == '/' {
		if got := sarifURI("/a b/c:d#.sb"); got != "file:///a%20b/c:d%23.sb" {
			t.Errorf("absolute path: %q", got)
		}
	}
}

// TestSARIFRuleProperties: security rules carry security-severity and the
// security tag, every rule with a precision carries it, and a rule's name
// never equals its ID.
func TestSARIFRuleProperties(t *testing.T) {
	_, log := sarifOf(t, nil, SARIFTool{Name: "sbplc", Version: "0.1.0"}, []SARIFRule{
		{ID: "secret-path", Category: "secrets", Level: Warning, SecuritySeverity: "5.5", Precision: "high", HelpURI: "https://x/secret-path.md"},
		{ID: "prefer-subpath", Category: "style", Level: Info},
		{ID: "arity", Category: "correctness", Level: Error},
	})
	rules := log["runs"].([]any)[0].(map[string]any)["tool"].(map[string]any)["driver"].(map[string]any)["rules"].([]any)
	sec := rules[0].(map[string]any)
	props := sec["properties"].(map[string]any)
	if props["security-severity"] != "5.5" || props["precision"] != "high" || sec["helpUri"] != "https://x/secret-path.md" ||
		sec["name"] != "SecretPath" || strings.Join(asStrings(props["tags"]), ",") != "secrets,security" {
		t.Errorf("security rule: %v", sec)
	}
	style := rules[1].(map[string]any)["properties"].(map[string]any)
	if _, ok := style["security-severity"]; ok || strings.Join(asStrings(style["tags"]), ",") != "style" {
		t.Errorf("style rule: %v", style)
	}
	if _, ok := rules[2].(map[string]any)["name"]; ok {
		t.Errorf("one-word rule has a name: %v", rules[2])
	}
}

func asStrings(v any) []string {
	var out []string
	for _, e := range v.([]any) {
		out = append(out, e.(string))
	}
	return out
}

// TestSARIFFingerprints: a finding keeps its fingerprint when lines are
// added above it or its line is re-indented, two findings of one rule on
// the same text differ, and another rule or file gives another one.
func TestSARIFFingerprints(t *testing.T) {
	fps := func(name, text string, code string, needles ...string) []string {
		f := source.NewFile(name, []byte(text))
		var ds []Diagnostic
		from := 0
		for _, n := range needles {
			i := from + strings.Index(text[from:], n)
			from = i + len(n)
			ds = append(ds, Diagnostic{Severity: Warning, Code: code, Message: "m", Span: source.Span{File: f, Start: i, End: i + len(n)}})
		}
		_, log := sarifOf(t, ds, SARIFTool{Name: "sbplc", Version: "0"}, nil)
		var out []string
		for _, r := range log["runs"].([]any)[0].(map[string]any)["results"].([]any) {
			out = append(out, r.(map[string]any)["partialFingerprints"].(map[string]any)[FingerprintKey].(string))
		}
		return out
	}
	base := fps("p.sb", "(allow file-read* (subpath \"/tmp\"))\n", "r", "\"/tmp\"")
	moved := fps("p.sb", "; new comment\n(version 1)\n\n   (allow file-read*   (subpath \"/tmp\"))\n", "r", "\"/tmp\"")
	if base[0] != moved[0] {
		t.Errorf("fingerprint changed when the finding moved: %s vs %s", base[0], moved[0])
	}
	twice := fps("p.sb", "(subpath \"/tmp\") (subpath \"/tmp\")\n", "r", "\"/tmp\"", "\"/tmp\"")
	if twice[0] != base[0] || twice[0] == twice[1] {
		t.Errorf("duplicates: %v (first should be %s)", twice, base[0])
	}
	if other := fps("p.sb", "(allow file-read* (subpath \"/tmp\"))\n", "r2", "\"/tmp\""); other[0] == base[0] {
		t.Error("another rule has the same fingerprint")
	}
	if other := fps("q.sb", "(allow file-read* (subpath \"/tmp\"))\n", "r", "\"/tmp\""); other[0] == base[0] {
		t.Error("another file has the same fingerprint")
	}
}
