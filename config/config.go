// Package config reads sbplc's project configuration, .sbplc.yaml.
//
// The file is found by walking up from the profile's directory (Find) and
// holds lint rule settings, the target OS, evaluation params, import
// directories, preludes and file ignore globs:
//
//	target: macos14
//	home: /Users/ana            # home used by the escape and secrets probes
//	params:
//	  HOME: /Users/ana
//	import-dirs: [profiles/common]
//	preludes:
//	  - prelude.sb
//	ignore:
//	  - "vendor/**"
//	rules:
//	  allow-default: error      # a level: error, warning, info or off
//	  hardcoded-home: off
//	  regex-unanchored:
//	    level: info
//	    ignore: ["generated/*.sb"]
//	  complex-regex:
//	    max-length: 120         # any other key is a rule parameter
//	  escape:                   # rules may also be grouped under a category
//	    docker-socket: error
//
// Relative paths are relative to the directory holding the file. The file
// is YAML (go.yaml.in/yaml/v3: flow and block collections, quoted and block
// scalars, comments, anchors, aliases and "<<" merges); every error names
// its line and column. Globs are doublestar patterns ("**" crosses
// directories) and a glob naming a directory covers its contents.
// Preludes and import directories are only paths here: config reads no
// file but its own, through fsutil.ReadRegular.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/internal/fsutil"
	"github.com/sbplc/sbplc/internal/spell"
	"github.com/sbplc/sbplc/ruletable"
)

// FileName is the configuration file name searched for.
const FileName = ".sbplc.yaml"

// MaxSize bounds the configuration file size.
const MaxSize = 1 << 20

// Config is a loaded configuration. The zero value (or Default()) means no
// file: every rule at its default.
type Config struct {
	Path       string // the file it was read from; "" for defaults
	Dir        string // directory of Path; relative paths resolve here
	Target     string // OS table, e.g. "macos14"; "" = newest known
	TargetLine int    // position of the target value, for diagnostics
	TargetCol  int
	Home       string            // home directory for escape/secrets probes
	Params     map[string]string // evaluation params (-D)
	ImportDirs []string          // absolute or Dir-relative, already joined with Dir
	Preludes   []string          // files evaluated before each profile
	Ignore     []string          // file globs never linted
	Rules      map[string]*RuleConfig
	// Learn holds the settings of sbplc learn.
	Learn LearnConfig
	// RuleOrder lists the rule IDs in file order (for deterministic validation).
	RuleOrder []string
}

// RuleConfig is the per-rule section.
type RuleConfig struct {
	ID string
	// Level is "error", "warning", "info", "off" or "" (the rule's default).
	Level string
	// Enabled is nil when the file does not say; false for level off.
	Enabled *bool
	Params  map[string]string // rule options
	Ignore  []string          // file globs where this rule is off
	Line    int               // position of the rule's key, for diagnostics
	Col     int
}

// Error is a positioned configuration error.
type Error struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s:%d:%d: error: %s [config]", e.File, e.Line, e.Col, e.Msg)
}

// Default returns the configuration used when no file exists.
func Default() *Config {
	return &Config{Params: map[string]string{}, Rules: map[string]*RuleConfig{}}
}

// Find walks up from dir looking for .sbplc.yaml and returns its path, or ""
// when there is none. dir may be relative; the result is absolute.
func Find(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(abs, FileName)
		st, err := os.Stat(p)
		if err == nil && !st.IsDir() {
			return p, nil
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(abs)
		if parent == abs {
			return "", nil
		}
		abs = parent
	}
}

// Load reads and parses the file at path, which must be a regular file of
// at most MaxSize bytes (a FIFO or /dev/zero is refused, never read). An
// I/O error reads "PATH: reason" and keeps its cause for errors.Is.
func Load(path string) (*Config, error) {
	data, err := fsutil.ReadRegular(path, MaxSize)
	if errors.Is(err, fsutil.ErrTooLarge) {
		return nil, &Error{File: path, Line: 1, Col: 1, Msg: fmt.Sprintf("file larger than %d MiB, the limit for a configuration file", MaxSize>>20)}
	}
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// ForDir finds and loads the configuration that applies to files in dir,
// or returns Default() when there is none.
func ForDir(dir string) (*Config, error) {
	p, err := Find(dir)
	if err != nil {
		return nil, err
	}
	if p == "" {
		return Default(), nil
	}
	return Load(p)
}

// Parse parses configuration text; name is used in error messages and its
// directory anchors relative paths.
func Parse(name string, data []byte) (*Config, error) {
	c := Default()
	c.Path = name
	if name != "" {
		if abs, err := filepath.Abs(name); err == nil {
			c.Dir = filepath.Dir(abs)
		} else {
			c.Dir = filepath.Dir(name)
		}
	}
	root, err := parseYAML(data)
	if err != nil {
		var ye *yamlError
		if errors.As(err, &ye) {
			return nil, &Error{File: name, Line: ye.Line, Col: ye.Col, Msg: ye.Msg}
		}
		return nil, err
	}
	if root == nil {
		return c, nil
	}
	bad := func(n *node, format string, args ...any) error {
		return &Error{File: name, Line: n.line, Col: n.col, Msg: fmt.Sprintf(format, args...)}
	}
	if root.kind != mapNode {
		return nil, bad(root, "the configuration must be a mapping of keys such as rules, target and params")
	}
	for i, k := range root.keys {
		v := root.vals[i]
		switch k.value {
		case "target":
			if c.Target, err = scalarOf(v, bad, "target"); err != nil {
				return nil, err
			}
			c.TargetLine, c.TargetCol = v.line, v.col
		case "home":
			if c.Home, err = scalarOf(v, bad, "home"); err != nil {
				return nil, err
			}
		case "params":
			m, err := stringMap(v, bad, "params")
			if err != nil {
				return nil, err
			}
			c.Params = m
		case "import-dirs", "import_dirs", "imports":
			l, err := stringList(v, bad, k.value)
			if err != nil {
				return nil, err
			}
			c.ImportDirs = c.resolveAll(l)
		case "preludes", "prelude":
			l, err := stringList(v, bad, k.value)
			if err != nil {
				return nil, err
			}
			c.Preludes = c.resolveAll(l)
		case "ignore":
			l, err := ignoreList(v, bad)
			if err != nil {
				return nil, err
			}
			c.Ignore = l
		case "rules":
			if err := c.parseRules(v, bad, 0); err != nil {
				return nil, err
			}
		case "learn":
			if err := c.parseLearn(v, bad); err != nil {
				return nil, err
			}
		default:
			if s := spell.Nearest(k.value, topKeys); s != "" {
				return nil, bad(k, "unknown key %q; did you mean %s?", k.value, s)
			}
			return nil, bad(k, "unknown key %q (want %s)", k.value, wordList(topKeys))
		}
	}
	return c, nil
}

// LearnConfig is the learn section:
//
//	learn:
//	  noise:
//	    add: ["mach-lookup com.apple.analyticsd"]    # also skip these
//	    keep: ["file-read-data /dev/autofs_nowait"]  # never skip these
type LearnConfig struct {
	NoiseAdd, NoiseKeep []string
}

func (c *Config) parseLearn(v *node, bad badFunc) error {
	if v.kind != mapNode {
		return bad(v, "learn must be a mapping with the key noise")
	}
	for i, k := range v.keys {
		if k.value != "noise" {
			return bad(k, "unknown key %q under learn (want noise)", k.value)
		}
		nv := v.vals[i]
		if nv.kind != mapNode {
			return bad(nv, "learn.noise must be a mapping with the keys add and keep")
		}
		for j, nk := range nv.keys {
			l, err := stringList(nv.vals[j], bad, "learn.noise."+nk.value)
			if err != nil {
				return err
			}
			switch nk.value {
			case "add":
				c.Learn.NoiseAdd = l
			case "keep":
				c.Learn.NoiseKeep = l
			default:
				return bad(nk, "unknown key %q under learn.noise (want add or keep)", nk.value)
			}
		}
	}
	return nil
}

// topKeys are the top-level keys, as suggested (import_dirs, imports and
// prelude are accepted too).
var topKeys = []string{"rules", "target", "home", "params", "import-dirs", "preludes", "ignore", "learn"}

// levels are the values of a rule's level, as suggested.
var levels = []string{"error", "warning", "info", "off"}

// wordList renders "a, b or c".
func wordList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

type badFunc func(n *node, format string, args ...any) error

func scalarOf(v *node, bad badFunc, what string) (string, error) {
	if v.kind != scalarNode {
		return "", bad(v, "%s must be a single value, not %s", what, v.kindName())
	}
	return v.value, nil
}

func stringMap(v *node, bad badFunc, what string) (map[string]string, error) {
	m := map[string]string{}
	if v.kind == scalarNode && v.null {
		return m, nil
	}
	if v.kind != mapNode {
		return nil, bad(v, "%s must be a mapping of NAME: value, not %s", what, v.kindName())
	}
	for i, k := range v.keys {
		s, err := scalarOf(v.vals[i], bad, what+"."+k.value)
		if err != nil {
			return nil, err
		}
		m[k.value] = s
	}
	return m, nil
}

func stringList(v *node, bad badFunc, what string) ([]string, error) {
	items, err := scalarItems(v, bad, what)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, it.value)
	}
	return out, nil
}

// scalarItems returns the items of a list of single values; one value
// stands for a list of one, an empty value for none.
func scalarItems(v *node, bad badFunc, what string) ([]*node, error) {
	switch v.kind {
	case scalarNode:
		if v.null {
			return nil, nil
		}
		return []*node{v}, nil
	case seqNode:
		for _, it := range v.vals {
			if _, err := scalarOf(it, bad, what+" item"); err != nil {
				return nil, err
			}
		}
		return v.vals, nil
	}
	return nil, bad(v, "%s must be a list, not %s", what, v.kindName())
}

// ignoreList accepts a list of globs or Regal's {files: [...]} shape and
// checks each glob's syntax.
func ignoreList(v *node, bad badFunc) ([]string, error) {
	var items []*node
	if v.kind == mapNode {
		for i, k := range v.keys {
			if k.value != "files" {
				return nil, bad(k, "unknown key %q under ignore (want files)", k.value)
			}
			l, err := scalarItems(v.vals[i], bad, "ignore.files")
			if err != nil {
				return nil, err
			}
			items = append(items, l...)
		}
	} else {
		l, err := scalarItems(v, bad, "ignore")
		if err != nil {
			return nil, err
		}
		items = l
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		if !doublestar.ValidatePattern(filepath.ToSlash(it.value)) {
			return nil, bad(it, "bad glob %q: check its [ ] and { } pairs and \\ escapes", it.value)
		}
		out = append(out, it.value)
	}
	return out, nil
}

// IsCategory reports whether name is a rule category key accepted in the
// rules section.
func IsCategory(name string) bool { return ruletable.IsCategory(name) }

// Validate checks the rules section against the rule table: every rule ID
// must name a rule, every option one of the rule's options, with a value
// of the option's kind. (Levels are checked while parsing.) It returns
// one positioned error per problem, in file order.
func (c *Config) Validate() []error {
	if c == nil {
		return nil
	}
	var errs []error
	for _, id := range c.RuleOrder {
		rc := c.Rules[id]
		bad := func(format string, args ...any) {
			errs = append(errs, &Error{File: c.Path, Line: rc.Line, Col: rc.Col, Msg: fmt.Sprintf(format, args...)})
		}
		row, ok := ruletable.Lookup(id)
		if !ok {
			hint := "; see 'sbplc rules'"
			if s := ruletable.Suggest(id, true); s != "" {
				hint = "; did you mean " + s + "?"
			}
			bad("unknown rule %q%s", id, hint)
			continue
		}
		keys := slices.Sorted(maps.Keys(rc.Params))
		for _, k := range keys {
			o, ok := row.Option(k)
			if !ok {
				var names []string
				for _, o := range row.Options {
					names = append(names, o.Name)
				}
				if len(names) == 0 {
					bad("rule %s has no option %q (it takes only level, enabled and ignore)", id, k)
				} else {
					bad("rule %s has no option %q (options: %s)", id, k, strings.Join(names, ", "))
				}
				continue
			}
			if err := o.CheckValue(rc.Params[k]); err != nil {
				bad("rule %s: %v", id, err)
			}
		}
	}
	return errs
}

func (c *Config) parseRules(v *node, bad badFunc, depth int) error {
	if v.kind == scalarNode && v.null {
		return nil
	}
	if v.kind != mapNode {
		return bad(v, "rules must be a mapping of RULE-ID: level, not %s", v.kindName())
	}
	for i, k := range v.keys {
		rv := v.vals[i]
		if depth == 0 && IsCategory(k.value) && rv.kind == mapNode {
			if err := c.parseRules(rv, bad, 1); err != nil {
				return err
			}
			continue
		}
		rc := &RuleConfig{ID: k.value, Params: map[string]string{}, Line: k.line, Col: k.col}
		switch rv.kind {
		case scalarNode:
			if err := rc.setLevel(rv, bad); err != nil {
				return err
			}
		case mapNode:
			for j, pk := range rv.keys {
				pv := rv.vals[j]
				switch pk.value {
				case "level", "severity":
					if err := rc.setLevel(pv, bad); err != nil {
						return err
					}
				case "enabled", "enable":
					s, err := scalarOf(pv, bad, k.value+".enabled")
					if err != nil {
						return err
					}
					switch strings.ToLower(s) {
					case "true", "yes", "on":
						t := true
						rc.Enabled = &t
					case "false", "no", "off":
						f := false
						rc.Enabled = &f
					default:
						return bad(pv, "enabled must be true or false, not %q", s)
					}
				case "ignore":
					l, err := ignoreList(pv, bad)
					if err != nil {
						return err
					}
					rc.Ignore = l
				default:
					var s string
					switch pv.kind {
					case scalarNode:
						s = pv.value
					case seqNode:
						l, err := stringList(pv, bad, pk.value)
						if err != nil {
							return err
						}
						s = strings.Join(l, ",")
					default:
						return bad(pv, "rule option %s must be a value or a list", pk.value)
					}
					rc.Params[pk.value] = s
				}
			}
		default:
			return bad(rv, "rule %s must be a level or a mapping, not %s", k.value, rv.kindName())
		}
		if _, dup := c.Rules[rc.ID]; dup {
			return bad(k, "rule %s is configured twice", rc.ID)
		}
		c.Rules[rc.ID] = rc
		c.RuleOrder = append(c.RuleOrder, rc.ID)
	}
	return nil
}

func (rc *RuleConfig) setLevel(v *node, bad badFunc) error {
	s, err := scalarOf(v, bad, rc.ID+" level")
	if err != nil {
		return err
	}
	switch strings.ToLower(s) {
	case "off", "ignore", "disable", "disabled", "false", "none":
		f := false
		rc.Enabled, rc.Level = &f, "off"
	case "on", "true", "enable", "enabled", "":
		t := true
		rc.Enabled = &t
	default:
		sev, err := diag.ParseSeverity(s)
		if err != nil {
			if sug := spell.Nearest(s, levels); sug != "" {
				return bad(v, "unknown level %q for %s; did you mean %s?", s, rc.ID, sug)
			}
			return bad(v, "unknown level %q for %s (want %s)", s, rc.ID, wordList(levels))
		}
		t := true
		rc.Enabled, rc.Level = &t, sev.String()
	}
	return nil
}

func (c *Config) resolveAll(l []string) []string {
	out := make([]string, 0, len(l))
	for _, p := range l {
		out = append(out, c.Resolve(p))
	}
	return out
}

// Resolve makes a path from the file relative to the file's directory.
func (c *Config) Resolve(p string) string {
	if p == "" || filepath.IsAbs(p) || c.Dir == "" {
		return p
	}
	return filepath.Join(c.Dir, p)
}

// Rule returns the settings for id, or nil when the file does not mention it.
func (c *Config) Rule(id string) *RuleConfig {
	if c == nil || c.Rules == nil {
		return nil
	}
	return c.Rules[id]
}

// RuleParam returns option key of rule id, or def.
func (c *Config) RuleParam(id, key, def string) string {
	if rc := c.Rule(id); rc != nil {
		if v, ok := rc.Params[key]; ok {
			return v
		}
	}
	return def
}

// IgnoresFile reports whether file is excluded by the global ignore globs.
func (c *Config) IgnoresFile(file string) bool {
	if c == nil {
		return false
	}
	return c.matchAny(c.Ignore, file)
}

// RuleIgnoresFile reports whether rule id is switched off for file by the
// rule's own ignore globs.
func (c *Config) RuleIgnoresFile(id, file string) bool {
	rc := c.Rule(id)
	if rc == nil {
		return false
	}
	return c.matchAny(rc.Ignore, file)
}

func (c *Config) matchAny(globs []string, file string) bool {
	if len(globs) == 0 || file == "" {
		return false
	}
	rel := filepath.ToSlash(file)
	if c.Dir != "" {
		if abs, err := filepath.Abs(file); err == nil {
			if r, err := filepath.Rel(c.Dir, abs); err == nil && !strings.HasPrefix(r, "..") {
				rel = filepath.ToSlash(r)
			}
		}
	}
	for _, g := range globs {
		g = filepath.ToSlash(g)
		if Match(g, rel) || (!strings.Contains(g, "/") && Match(g, pathBase(rel))) {
			return true
		}
	}
	return false
}

func pathBase(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

// Match reports whether the slash-separated path matches glob, a
// doublestar pattern: "*" and "?" do not cross "/", "**" matches any
// number of path segments, "{a,b}" either alternative. A glob naming a
// directory also matches everything below it. A malformed glob matches
// nothing (Parse rejects them).
func Match(glob, path string) bool {
	glob, path = strings.Trim(glob, "/"), strings.Trim(path, "/")
	if ok, _ := doublestar.Match(glob, path); ok {
		return true
	}
	ok, _ := doublestar.Match(glob+"/**", path)
	return ok
}

// ParamNames returns the param names in sorted order.
func (c *Config) ParamNames() []string {
	var out []string
	for k := range c.Params {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
