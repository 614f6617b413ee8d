package sarifcheck

import (
	"strings"
	"testing"
)

const validLog = `{"$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
 "version": "2.1.0",
 "runs": [{"tool": {"driver": {"name": "t", "version": "0.1.0", "informationUri": "https://example.com/t",
   "rules": [{"id": "a-b", "name": "AB", "shortDescription": {"text": "x"}, "helpUri": "https://example.com/a-b"}]}},
  "results": [{"ruleId": "a-b", "message": {"text": "m"},
   "locations": [{"physicalLocation": {"artifactLocation": {"uri": "dir/a%20%231%25.sb"}, "region": {"startLine": 1}}},
                 {"physicalLocation": {"artifactLocation": {"uri": "file:///tmp/x.sb"}, "region": {"startLine": 2}}}]}]}]}`

func TestCheckAcceptsAValidLog(t *testing.T) {
	if p := Check([]byte(validLog)); len(p) != 0 {
		t.Fatalf("valid log rejected: %q", p)
	}
}

// TestCheckRejects: each broken form that Microsoft's validator reported
// on sbplc's output is reported here too, and so is a schema violation.
func TestCheckRejects(t *testing.T) {
	for _, tc := range []struct{ from, to, want string }{
		{`"dir/a%20%231%25.sb"`, `"a%20#1%.sb"`, "SARIF1002"},
		{`"dir/a%20%231%25.sb"`, `"<stdin>"`, "SARIF1002"},
		{`"dir/a%20%231%25.sb"`, `"a#b#c"`, "SARIF1002"},
		{`"dir/a%20%231%25.sb"`, `"dir,a:b.sb"`, "SARIF1002"},
		{`"file:///tmp/x.sb"`, `"/tmp/x.sb"`, "SARIF1004"},
		{`"name": "AB"`, `"name": "Ab"`, ""},
		{`"id": "a-b", "name": "AB"`, `"id": "arity", "name": "Arity"`, "SARIF1001"},
		{`"version": "0.1.0"`, `"version": "sbplc (devel) linux/amd64"`, "SARIF2005"},
		{`"helpUri": "https://example.com/a-b"`, `"helpUri": "docs/a-b.md"`, "SARIF1005"},
		{`"region": {"startLine": 1}`, `"region": {"startColumn": 1}`, "region needs startLine"},
		{`"message": {"text": "m"}`, `"message": {"txt": "m"}`, "schema:"},
		{`"version": "2.1.0"`, `"version": "2.0.0"`, "schema:"},
	} {
		log := strings.Replace(validLog, tc.from, tc.to, 1)
		if log == validLog {
			t.Fatalf("%q not in the log", tc.from)
		}
		got := strings.Join(Check([]byte(log)), "\n")
		if tc.want == "" {
			if got != "" {
				t.Errorf("%s: unexpected problems %s", tc.to, got)
			}
			continue
		}
		if !strings.Contains(got, tc.want) {
			t.Errorf("%s: want a %s problem, got %q", tc.to, tc.want, got)
		}
	}
}
