package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const full = `# project settings
target: macos14
home: "/Users/ana"
params:
  HOME: /Users/ana
  PROJECT: '/Users/ana/it''s'   # quoted with an escaped quote
import-dirs: [common, /abs/dir]
preludes:
  - prelude.sb
ignore:
  - "vendor/**"
  - "*.gen.sb"
rules:
  allow-default: error
  hardcoded-home: off
  regex-unanchored:
    level: info
    ignore: ["generated/*.sb"]
  complex-regex:
    max-length: 120
    names: [a, b]
  escape:
    docker-socket: warning
`

func TestParseFull(t *testing.T) {
	c, err := Parse("/p/.sbplc.yaml", []byte(full))
	if err != nil {
		t.Fatal(err)
	}
	if c.Target != "macos14" || c.Home != "/Users/ana" || c.TargetLine != 2 || c.TargetCol != 9 {
		t.Errorf("target/home = %q %q", c.Target, c.Home)
	}
	if want := map[string]string{"HOME": "/Users/ana", "PROJECT": "/Users/ana/it's"}; !reflect.DeepEqual(c.Params, want) {
		t.Errorf("params = %v", c.Params)
	}
	if want := []string{"/p/common", "/abs/dir"}; !reflect.DeepEqual(c.ImportDirs, want) {
		t.Errorf("import dirs = %v", c.ImportDirs)
	}
	if want := []string{"/p/prelude.sb"}; !reflect.DeepEqual(c.Preludes, want) {
		t.Errorf("preludes = %v", c.Preludes)
	}
	if r := c.Rule("allow-default"); r == nil || r.Level != "error" || !*r.Enabled {
		t.Errorf("allow-default = %+v", r)
	}
	if r := c.Rule("hardcoded-home"); r == nil || *r.Enabled {
		t.Errorf("hardcoded-home = %+v", r)
	}
	if r := c.Rule("regex-unanchored"); r == nil || r.Level != "info" || len(r.Ignore) != 1 {
		t.Errorf("regex-unanchored = %+v", r)
	}
	if got := c.RuleParam("complex-regex", "max-length", "200"); got != "120" {
		t.Errorf("max-length = %q", got)
	}
	if got := c.RuleParam("complex-regex", "names", ""); got != "a,b" {
		t.Errorf("names = %q", got)
	}
	if got := c.RuleParam("complex-regex", "missing", "d"); got != "d" {
		t.Errorf("default param = %q", got)
	}
	if r := c.Rule("docker-socket"); r == nil || r.Level != "warning" {
		t.Errorf("category-grouped rule = %+v", r)
	}
	if want := []string{"allow-default", "hardcoded-home", "regex-unanchored", "complex-regex", "docker-socket"}; !reflect.DeepEqual(c.RuleOrder, want) {
		t.Errorf("order = %v", c.RuleOrder)
	}
	for file, want := range map[string]bool{
		"/p/vendor/x/y.sb": true, "/p/a.gen.sb": true, "/p/sub/b.gen.sb": true, "/p/main.sb": false,
	} {
		if got := c.IgnoresFile(file); got != want {
			t.Errorf("IgnoresFile(%s) = %v", file, got)
		}
	}
	if !c.RuleIgnoresFile("regex-unanchored", "/p/generated/x.sb") || c.RuleIgnoresFile("regex-unanchored", "/p/x.sb") {
		t.Error("rule ignore globs")
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"rules:\n\tx: off\n", "2:1: tab in indentation"},
		{"target: [a\n", "1:9: unterminated flow list"},
		{"bogus: 1\n", `1:1: unknown key "bogus"`},
		{"rules:\n  x: loud\n", `2:6: unknown level "loud"`},
		{"params: [a]\n", "params must be a mapping"},
		{"a: 1\na: 2\n", `2:1: duplicate key "a"`},
		{"rules:\n  x: off\n    y: on\n", "3:5: unexpected indentation"},
		{"target: \"abc\n", "unterminated quoted string"},
		{"- a\n", "must be a mapping"},
		{"home: &x a\n", "anchors"},
		{"rules:\n  x: {a: b}\n", "flow mappings"},
		{"rules:\n  x:\n    enabled: maybe\n", "enabled must be true or false"},
	} {
		_, err := Parse("c.yaml", []byte(tc.in))
		if err == nil || !strings.Contains(strings.Replace(err.Error(), " error:", "", 1), tc.want) {
			t.Errorf("Parse(%q) = %v, want %q", tc.in, err, tc.want)
			continue
		}
		if !strings.HasPrefix(err.Error(), "c.yaml:") || !strings.HasSuffix(err.Error(), "[config]") {
			t.Errorf("error not in file:line:col form: %v", err)
		}
	}
}

func TestEmptyAndComments(t *testing.T) {
	for _, in := range []string{"", "# only a comment\n", "---\n", "rules:\n"} {
		c, err := Parse("c.yaml", []byte(in))
		if err != nil || len(c.Rules) != 0 {
			t.Errorf("Parse(%q) = %v, %v", in, c, err)
		}
	}
	c, err := Parse("c.yaml", []byte("home: /a#b # comment\n"))
	if err != nil || c.Home != "/a#b" {
		t.Errorf("hash inside a value: %q %v", c.Home, err)
	}
}

func TestFindUpward(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b", "c")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if p, err := Find(deep); err != nil || (p != "" && strings.HasPrefix(p, root)) {
		t.Fatalf("Find without a file = %q, %v", p, err)
	}
	cfg := filepath.Join(root, "a", FileName)
	if err := os.WriteFile(cfg, []byte("target: macos15\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Find(deep)
	if err != nil || p != cfg {
		t.Fatalf("Find = %q, %v; want %q", p, err, cfg)
	}
	c, err := ForDir(deep)
	if err != nil || c.Target != "macos15" || c.Path != cfg {
		t.Fatalf("ForDir = %+v, %v", c, err)
	}
}

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		g, p string
		want bool
	}{
		{"vendor/**", "vendor/a/b.sb", true},
		{"**/gen/*.sb", "x/y/gen/a.sb", true},
		{"**/gen/*.sb", "gen/a.sb", true},
		{"*.sb", "a/b.sb", false},
		{"a", "a/b.sb", true},
		{"a/*.sb", "a/b/c.sb", false},
	} {
		if got := Match(tc.g, tc.p); got != tc.want {
			t.Errorf("Match(%q, %q) = %v", tc.g, tc.p, got)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(full))
	f.Add([]byte("rules:\n  - a\n"))
	f.Add([]byte("a: [\"x\", 'y']\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = Parse("f.yaml", data)
	})
}

// TestLoadErrorHasNoOpPrefix: a missing config file is reported as
// "PATH: no such file or directory", like other sbplc file errors.
func TestLoadErrorHasNoOpPrefix(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.yaml")
	_, err := Load(path)
	if err == nil || err.Error() != path+": no such file or directory" || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load: %v", err)
	}
}
