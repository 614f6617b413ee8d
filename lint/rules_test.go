package lint_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/internal/testutil"
	"github.com/sbplc/sbplc/lint"
)

// TestRuleData runs the chunked files in testdata/*.sb. The first line of a
// file, "; rules: ID ...", names the rules whose findings are checked (a
// chunk may override it with its own "; rules:" line); every one of their
// findings must be wanted by a `; want "regexp"` comment on its line, and
// every want must be met. All rules run, so interactions are exercised.
func TestRuleData(t *testing.T) {
	files, err := filepath.Glob("testdata/*.sb")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	tested := map[string]bool{}
	for _, file := range files {
		chunks, err := testutil.ReadChunks(file)
		if err != nil {
			t.Fatal(err)
		}
		fileRules := rulesLine(chunks[0].Text)
		if len(fileRules) == 0 {
			t.Fatalf("%s: first line must be \"; rules: ID ...\"", file)
		}
		for _, id := range fileRules {
			if _, ok := lint.Lookup(id); !ok {
				t.Errorf("%s: unknown rule %s in the rules line", file, id)
			}
		}
		for _, c := range chunks[1:] {
			c := c
			sel := fileRules
			if own := rulesLine(c.Text); len(own) > 0 {
				sel = own
			}
			on := map[string]bool{}
			for _, id := range sel {
				on[id] = true
				tested[id] = true
			}
			t.Run(filepath.Base(file)+"/"+c.Name, func(t *testing.T) {
				ds := lintText(t, "chunk.sb", c.Text, lint.Options{})
				var got []testutil.Got
				for _, d := range ds {
					// A grouped finding (the secrets or escape vectors one
					// rule opens) lists each rule's message as a
					// "[rule-id] message" note, whatever rule heads it:
					// check those.
					grouped := false
					for _, n := range d.Notes {
						if id, msg, ok := strings.Cut(strings.TrimPrefix(n, "["), "] "); ok && strings.HasPrefix(n, "[") {
							grouped = true
							if on[id] {
								got = append(got, testutil.Got{Line: d.Span.StartPos().Line, Text: msg + " [" + id + "]"})
							}
						}
					}
					if !grouped && on[d.Code] {
						got = append(got, testutil.Got{Line: d.Span.StartPos().Line, Text: d.Message + " [" + d.Code + "]"})
					}
				}
				testutil.CheckWants(t, c, got)
			})
		}
	}
	for _, r := range lint.All() {
		// Stage codes come from the parser and evaluator (tested there);
		// TestDocs runs their documented examples through lint.
		if !tested[r.ID] && r.Stage == "" {
			t.Errorf("rule %s has no chunked testdata", r.ID)
		}
	}
}

func rulesLine(text string) []string {
	for _, l := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(l), "; rules:"); ok {
			return strings.Fields(rest)
		}
	}
	return nil
}
