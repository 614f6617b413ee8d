package lint_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/eval"
	"github.com/sbplc/sbplc/lint"
	"github.com/sbplc/sbplc/policy"
	"github.com/sbplc/sbplc/source"
)

// TestSymlinkLintAgreesWithQuery: unresolved-symlink-path and the decision
// engine give one answer (both use policy.ResolvePath). For a rule
// spelled through a root symlink, "never matches" means no query is
// decided by it, "matches only the link itself" means lstat of the link
// is and a path under the link is not, and no finding means the rule
// matches the link's own spelling.
func TestSymlinkLintAgreesWithQuery(t *testing.T) {
	under := map[string]string{"file-read*": "file-read-data", "file-read-metadata": "file-read-metadata",
		"file-write*": "file-write-data", "file*": "file-read-data", "file-read-data": "file-read-data"}
	n := 0
	for _, link := range []string{"/tmp", "/var", "/etc"} {
		for _, f := range []string{`(literal "L")`, `(subpath "L")`, `(prefix "L")`, `(regex #"^L")`, `(regex #"^L$")`,
			`(literal "L/x")`, `(subpath "L/x")`, `(regex #"^L/")`} {
			filter := strings.ReplaceAll(f, "L", link)
			for op, q := range under {
				text := fmt.Sprintf("(version 1)\n(deny default)\n(allow %s %s)\n", op, filter)
				ds := lintText(t, "s.sb", text, lint.Options{})
				finding := ""
				for _, d := range ds {
					if d.Code == "unresolved-symlink-path" {
						finding = d.Message
					}
				}
				res := eval.Run(source.NewFile("s.sb", []byte(text)), eval.Options{})
				e, _ := policy.New(res.Profile, policy.Options{})
				byRule := func(op, path string) bool {
					d, err := e.QueryText(op, path)
					if err != nil {
						t.Fatal(err)
					}
					return d.Rule == res.Profile.Rules[1]
				}
				onLink := byRule("file-read-metadata", link)
				below := byRule(q, link+"/x")
				n++
				switch {
				case strings.Contains(finding, "never matches"):
					if onLink || below {
						t.Errorf("%s: lint says %q, but the rule decides lstat %s (%v) or %s %s/x (%v)", text, finding, link, onLink, q, link, below)
					}
				case strings.Contains(finding, "matches only the link itself"):
					if !onLink || below {
						t.Errorf("%s: lint says %q; the rule decides lstat %s: %v, %s %s/x: %v", text, finding, link, onLink, q, link, below)
					}
				case finding == "":
					if !onLink {
						t.Errorf("%s: no finding, but the rule decides no query on %s", text, link)
					}
				default:
					t.Errorf("%s: unexpected message %q", text, finding)
				}
			}
		}
	}
	if n < 100 {
		t.Fatalf("only %d cases", n)
	}
}
