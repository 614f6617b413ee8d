package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/internal/fsutil"
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
	deep := "rules:\n  x:\n    p: " + strings.Repeat("[", 70) + strings.Repeat("]", 70) + "\n"
	for _, tc := range []struct{ in, want string }{
		{"rules:\n\tx: off\n", "2:1: tab in indentation: indent with spaces"},
		{"target: [a\n", "1:1: did not find expected ',' or ']'"},
		{"bogus: 1\n", `1:1: unknown key "bogus" (want rules, target, home, params, import-dirs, preludes, ignore or learn)`},
		{"taget: macos14\n", `1:1: unknown key "taget"; did you mean target?`},
		{"rules:\n  x: loud\n", `2:6: unknown level "loud" for x (want error, warning, info or off)`},
		{"rules:\n  x: eror\n", `2:6: unknown level "eror" for x; did you mean error?`},
		{"params: [a]\n", "1:9: params must be a mapping of NAME: value, not a list"},
		{"target: [a, b]\n", "1:9: target must be a single value, not a list"},
		{"a: 1\na: 2\n", `2:1: duplicate key "a"`},
		{"rules:\n  x: off\n    y: on\n", "3:5: mapping values are not allowed in this context: quote a value"},
		{"target: \"abc\n", "found unexpected end of stream: the file ends inside a quoted value"},
		{"home: \"\\q\"\n", "found unknown escape character: write \\\\ for a backslash"},
		{"- a\n", "1:1: the configuration must be a mapping"},
		{"rules:\n  x:\n    enabled: maybe\n", "3:14: enabled must be true or false"},
		{"home: !foo a\n", "1:7: tag !foo is not supported"},
		{"home: !!binary aGk=\n", "1:7: tag !!binary is not supported"},
		{"home: *nope\n", "unknown anchor 'nope' referenced"},
		{"ignore: &x [*x]\n", "1:13: alias *x is used inside the value it names"},
		{"rules: {x: off}\n---\nrules: {}\n", "2:1: a second YAML document"},
		{"ignore: [\"a/[\"]\n", `1:10: bad glob "a/["`},
		{"rules:\n  x:\n    ignore: \"{a,b\"\n", `3:13: bad glob "{a,b"`},
		{deep, "3:70: nesting deeper than 64 levels"},
		{"rules:\n  ? [a]\n  : off\n", "2:5: a key must be a name, not a list"},
		{"rules:\n  x: {<<: [a]}\n", "2:12: << merges mappings, not a scalar"},
	} {
		_, err := Parse("c.yaml", []byte(tc.in))
		if err == nil || !strings.Contains(strings.Replace(err.Error(), " error:", "", 1), tc.want) {
			t.Errorf("Parse(%q) = %v, want %q", tc.in, err, tc.want)
			continue
		}
		var ce *Error
		if !errors.As(err, &ce) || ce.Line < 1 || ce.Col < 1 || !strings.HasPrefix(err.Error(), "c.yaml:") || !strings.HasSuffix(err.Error(), "[config]") {
			t.Errorf("error not in file:line:col form: %v", err)
		}
	}
}

// TestYAMLMisreadings: valid YAML the hand-written reader misread.
func TestYAMLMisreadings(t *testing.T) {
	c, err := Parse("/p/.sbplc.yaml", []byte("import-dirs: [Bob's profiles, common]\nhome: a 'b # c'\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/p/Bob's profiles", "/p/common"}; !reflect.DeepEqual(c.ImportDirs, want) {
		t.Errorf("import-dirs = %q, want %q", c.ImportDirs, want)
	}
	if c.Home != "a 'b" {
		t.Errorf("home = %q, want the comment dropped", c.Home)
	}
}

// TestCommonYAML: YAML the hand-written subset rejected or misread.
func TestCommonYAML(t *testing.T) {
	const in = `--- # a document marker with a comment
"target": 'macos14'        # quoted keys and values
home: >-
  /Users/ana
params: {HOME: /Users/ana, NOTE: "x # y"}
import-dirs: [
  common,      # a flow list across lines, with comments
  "Bob's",
]
preludes:
- prelude.sb                 # a list at the key's indentation
ignore: &generated
  - "generated/**"
rules: {allow-default: error, complex-regex: {max-length: 120}}
...
`
	c, err := Parse("/p/.sbplc.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if c.Target != "macos14" || c.TargetLine != 2 || c.TargetCol != 11 || c.Home != "/Users/ana" {
		t.Errorf("target %q at %d:%d, home %q", c.Target, c.TargetLine, c.TargetCol, c.Home)
	}
	if want := map[string]string{"HOME": "/Users/ana", "NOTE": "x # y"}; !reflect.DeepEqual(c.Params, want) {
		t.Errorf("params = %q", c.Params)
	}
	if want := []string{"/p/common", "/p/Bob's"}; !reflect.DeepEqual(c.ImportDirs, want) {
		t.Errorf("import-dirs = %q", c.ImportDirs)
	}
	if want := []string{"/p/prelude.sb"}; !reflect.DeepEqual(c.Preludes, want) {
		t.Errorf("preludes = %q", c.Preludes)
	}
	if r := c.Rule("allow-default"); r == nil || r.Level != "error" || r.Line != 14 || r.Col != 9 {
		t.Errorf("allow-default = %+v", r)
	}
	if got := c.RuleParam("complex-regex", "max-length", ""); got != "120" {
		t.Errorf("max-length = %q", got)
	}

	// A literal block scalar keeps its newlines.
	c, err = Parse("c.yaml", []byte("params:\n  NOTE: |\n    one\n    two\n"))
	if err != nil || c.Params["NOTE"] != "one\ntwo\n" {
		t.Errorf("block scalar: %q, %v", c.Params["NOTE"], err)
	}

	// Anchors, aliases and merge keys. An error in an aliased value points
	// at the alias.
	const anchors = `ignore: &gen ["generated/**"]
rules:
  regex-unanchored: &info
    level: info
    ignore: *gen
  complex-regex:
    <<: *info
    max-length: 80
  prefer-subpath: {<<: [*info, {level: error, depth: 2}], level: warning}
`
	c, err = Parse("/p/.sbplc.yaml", []byte(anchors))
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Rule("complex-regex"); r == nil || r.Level != "info" || !reflect.DeepEqual(r.Ignore, []string{"generated/**"}) || r.Params["max-length"] != "80" {
		t.Errorf("merged rule = %+v", r)
	}
	if r := c.Rule("prefer-subpath"); r == nil || r.Level != "warning" || r.Params["depth"] != "2" {
		t.Errorf("rule merging a list = %+v", r)
	}
	if !c.RuleIgnoresFile("regex-unanchored", "/p/generated/a/b.sb") {
		t.Error("aliased ignore list not applied")
	}
	_, err = Parse("c.yaml", []byte("ignore: &h [a]\ntarget: *h\n"))
	if err == nil || !strings.Contains(err.Error(), "c.yaml:2:9: error: target must be a single value") {
		t.Errorf("error through an alias: %v", err)
	}
}

// TestHostileYAML: alias bombs, deep nesting and huge documents fail with
// a positioned error, or succeed, after bounded work.
func TestHostileYAML(t *testing.T) {
	// Billion laughs: nine levels of nine aliases, 9^9 values expanded.
	var b strings.Builder
	b.WriteString("rules:\n  x:\n    l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "    l%d: &l%d [", i, i)
		for j := 0; j < 9; j++ {
			fmt.Fprintf(&b, "*l%d, ", i-1)
		}
		b.WriteString("]\n")
	}
	// A long value repeated by aliases: few values, much text.
	long := "params:\n  A: &a " + strings.Repeat("x", 100_000) + "\nrules:\n  x:\n    p: [" + strings.Repeat("*a, ", 100) + "]\n"
	for name, in := range map[string]string{"laughs": b.String(), "long": long} {
		_, err := Parse("c.yaml", []byte(in))
		if err == nil || !strings.Contains(err.Error(), "aliases expand to more than") {
			t.Errorf("%s: %v", name, err)
		}
	}

	// The reader's own limit on nesting, far below the file size limit.
	_, err := Parse("c.yaml", []byte("rules: "+strings.Repeat("[", 100_000)))
	if err == nil || !strings.Contains(err.Error(), "c.yaml:1:1: error: exceeded max depth") {
		t.Errorf("deep flow nesting: %v", err)
	}

	// A document of MaxSize bytes parses.
	var big strings.Builder
	big.WriteString("ignore:\n")
	for big.Len() < MaxSize-20 {
		fmt.Fprintf(&big, "  - g%d/**\n", big.Len())
	}
	c, err := Parse("c.yaml", []byte(big.String()))
	if err != nil || len(c.Ignore) < 50_000 {
		t.Errorf("big document: %v", err)
	}
}

// TestLoadRefusesSpecialFiles: a configuration must be a regular file of
// at most MaxSize bytes; /dev/zero is refused, not read.
func TestLoadRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("# "+strings.Repeat("x", MaxSize)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(big)
	if err == nil || err.Error() != big+":1:1: error: file larger than 1 MiB, the limit for a configuration file [config]" {
		t.Errorf("Load(big) = %v", err)
	}
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	link := filepath.Join(dir, FileName)
	if err := os.Symlink("/dev/zero", link); err != nil {
		t.Skip(err)
	}
	_, err = ForDir(dir)
	if err == nil || !errors.Is(err, fsutil.ErrNotRegular) || !strings.HasPrefix(err.Error(), link+": a character device, not a regular file") {
		t.Errorf("ForDir with .sbplc.yaml -> /dev/zero = %v", err)
	}
}

// TestPreludesAreOnlyPaths: config names preludes and import directories
// but reads none of them.
func TestPreludesAreOnlyPaths(t *testing.T) {
	c, err := Parse("/p/.sbplc.yaml", []byte("preludes: [/dev/zero, missing.sb]\nimport-dirs: /dev/zero\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/dev/zero", "/p/missing.sb"}; !reflect.DeepEqual(c.Preludes, want) || !reflect.DeepEqual(c.ImportDirs, []string{"/dev/zero"}) {
		t.Errorf("preludes %q, import dirs %q", c.Preludes, c.ImportDirs)
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
		{"vendor/**", "vendor", true},
		{"vendor/**", "vendored/a.sb", false},
		{"**/gen/*.sb", "x/y/gen/a.sb", true},
		{"**/gen/*.sb", "gen/a.sb", true},
		{"**/gen/*.sb", "gen/sub/a.sb", false},
		{"*.sb", "a/b.sb", false},
		{"*.sb", "b.sb", true},
		{"a", "a/b.sb", true}, // a directory glob covers its contents
		{"a", "ab/c.sb", false},
		{"a/*", "a/b/c.sb", true}, // a/b is a directory the glob names
		{"a/*.sb", "a/b/c.sb", false},
		{"a/**/c.sb", "a/c.sb", true},
		{"a/**/c.sb", "a/x/y/c.sb", true},
		{"{vendor,third_party}/**", "third_party/x.sb", true},
		{"gen/[ab].sb", "gen/b.sb", true},
		{"gen/[ab].sb", "gen/c.sb", false},
		{"gen/?.sb", "gen/x.sb", true},
		{"gen/?.sb", "gen/xy.sb", false},
		{"/vendor/", "vendor/x.sb", true}, // slashes at the ends are ignored
		{"a\\*b", "a*b", true},
		{"a\\*b", "axb", false},
		{"a/[", "a/[", false}, // malformed: matches nothing
		{strings.Repeat("**/", 40) + "x", strings.Repeat("a/", 60) + "b", false},
	} {
		if got := Match(tc.g, tc.p); got != tc.want {
			t.Errorf("Match(%q, %q) = %v", tc.g, tc.p, got)
		}
	}
}

// TestIgnoreGlobs: the ignore globs apply relative to the configuration's
// directory, and a glob without "/" matches a file's base name anywhere.
func TestIgnoreGlobs(t *testing.T) {
	c, err := Parse("/p/.sbplc.yaml", []byte(`ignore: ["vendor/**", "*.gen.sb", "tmp", "{a,b}/**/x.sb"]
rules:
  hardcoded-home:
    ignore: {files: ["tests/**"]}
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file string
		want bool
	}{
		{"/p/vendor/x/y.sb", true},
		{"/p/sub/vendor/y.sb", false},
		{"/p/a.gen.sb", true},
		{"/p/deep/er/a.gen.sb", true},
		{"/p/tmp/x.sb", true},
		{"/p/tmp", true},
		{"/p/a/x.sb", true},
		{"/p/b/c/d/x.sb", true},
		{"/p/c/x.sb", false},
		{"/p/main.sb", false},
		{"/elsewhere/vendor/x.sb", false},
		{"", false},
	} {
		if got := c.IgnoresFile(tc.file); got != tc.want {
			t.Errorf("IgnoresFile(%q) = %v", tc.file, got)
		}
	}
	if !c.RuleIgnoresFile("hardcoded-home", "/p/tests/a/b.sb") || c.RuleIgnoresFile("hardcoded-home", "/p/a.sb") || c.RuleIgnoresFile("other", "/p/tests/a.sb") {
		t.Error("rule ignore globs")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{full, "rules:\n  - a\n", "a: [\"x\", 'y']\n", "ignore: &x [*x]\n",
		"rules: {a: &r {level: info}, b: {<<: *r}}\n", "home: !foo a\n", "a: 1\n---\nb: 2\n",
		"rules:\n  x: |\n    off\n", "params: {A: &a [1, 2], B: *a}\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("f.yaml", data)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || ce.File != "f.yaml" || ce.Line < 1 || ce.Col < 1 || ce.Msg == "" {
				t.Fatalf("unpositioned error %#v", err)
			}
			return
		}
		for _, id := range c.RuleOrder {
			if c.Rules[id] == nil {
				t.Fatalf("rule %q in RuleOrder but not in Rules", id)
			}
		}
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

// TestLearnSection: sbplc learn's noise overrides, with positioned errors.
func TestLearnSection(t *testing.T) {
	c, err := Parse("c.yaml", []byte("learn:\n  noise:\n    add: [\"mach-lookup com.apple.analyticsd\"]\n    keep:\n      - file-read-data /dev/autofs_nowait\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Learn.NoiseAdd) != 1 || c.Learn.NoiseAdd[0] != "mach-lookup com.apple.analyticsd" || len(c.Learn.NoiseKeep) != 1 || c.Learn.NoiseKeep[0] != "file-read-data /dev/autofs_nowait" {
		t.Errorf("learn: %+v", c.Learn)
	}
	for text, want := range map[string]string{
		"learn: 1\n":                       "1:8: error: learn must be a mapping",
		"learn:\n  nois: {}\n":             `2:3: error: unknown key "nois" under learn`,
		"learn:\n  noise:\n    drop: []\n": `3:5: error: unknown key "drop" under learn.noise`,
	} {
		if _, err := Parse("c.yaml", []byte(text)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", text, err, want)
		}
	}
}
