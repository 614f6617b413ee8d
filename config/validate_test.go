package config

import (
	"strings"
	"testing"
)

// TestValidate: rule IDs and options are checked against the rule table,
// with the key's position; a category that is not in the table groups
// nothing (it is an unknown rule).
func TestValidate(t *testing.T) {
	text := `rules:
  shadowed-rul: off
  complex-regex:
    max-length: 120
    max-width: 3
  unused-define:
    limit: 2
  escape:
    docker-socket: error
  security:
    agent-socket: error
  regex-unanchored:
    level: info
`
	c, err := Parse("/p/.sbplc.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range c.Validate() {
		got = append(got, e.Error())
	}
	want := []string{
		`/p/.sbplc.yaml:2:3: error: unknown rule "shadowed-rul"; did you mean shadowed-rule? [config]`,
		`/p/.sbplc.yaml:3:3: error: rule complex-regex has no option "max-width" (options: max-length, max-alternatives) [config]`,
		`/p/.sbplc.yaml:6:3: error: rule unused-define has no option "limit" (it takes only level, enabled and ignore) [config]`,
		`/p/.sbplc.yaml:10:3: error: unknown rule "security"; see 'sbplc rules' [config]`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Validate:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	c, err = Parse("/p/.sbplc.yaml", []byte("rules:\n  complex-regex:\n    max-length: long\n"))
	if err != nil {
		t.Fatal(err)
	}
	if errs := c.Validate(); len(errs) != 1 || !strings.Contains(errs[0].Error(), `rule complex-regex: option max-length wants a non-negative integer, not "long"`) {
		t.Errorf("bad option value: %v", errs)
	}
	if errs := Default().Validate(); len(errs) != 0 {
		t.Errorf("defaults: %v", errs)
	}
	if !IsCategory("escape") || IsCategory("security") {
		t.Error("IsCategory does not follow the rule table")
	}
}
