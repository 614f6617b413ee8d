package main

import (
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/policy"
)

const queryProfile = `(version 1)
(deny default)
(define (home-subpath p) (subpath (string-append (param "HOME") p)))
(allow file-read* (home-subpath "/proj"))
(deny file-read* (home-subpath "/proj/.env"))
(allow network-outbound (remote tcp "*:443"))
(allow file-read* (require-all (subpath "/e") (require-entitlement "com.x")))
`

func TestQueryText(t *testing.T) {
	p := tempFile(t, "q.sb", queryProfile)
	out, errs, code := runSbplc(t, "", "query", "-D", "HOME=/Users/me", p, "file-read-data", "/Users/me/proj/.env")
	if code != 0 || errs != "" {
		t.Fatalf("code %d, stderr %q", code, errs)
	}
	want := "deny\n" +
		"  rule:     " + p + ":5:1: (deny file-read* (home-subpath \"/proj/.env\"))\n" +
		"  chain:    file-read-data (no rules) -> file-read* (filtered rule matched)\n"
	if out != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
	// Default decision, canonicalised resource.
	out, _, code = runSbplc(t, "", "query", "-D", "HOME=/Users/me", p, "file-write-data", "/tmp/../tmp/x")
	want = "deny\n" +
		"  rule:     " + p + ":2:1: (deny default)\n" +
		"  chain:    file-write-data (no rules) -> file-write* (no rules) -> file* (no rules) -> default (unfiltered rule)\n" +
		"  resource: /private/tmp/x (canonical form of /tmp/../tmp/x)\n"
	if code != 0 || out != want {
		t.Errorf("code %d, got:\n%s\nwant:\n%s", code, out, want)
	}
	// Built-in default.
	out, _, _ = runSbplc(t, "", "query", "-D", "HOME=/Users/me", p, "process-info-pidinfo", "others")
	if !strings.HasPrefix(out, "allow\n  rule:     none: the built-in default of process-info*\n") {
		t.Errorf("terminal default:\n%s", out)
	}
	// Unknown with the reason and a way to decide.
	out, _, code = runSbplc(t, "", "query", "-D", "HOME=/Users/me", p, "file-read-data", "/e/x")
	if code != 0 || !strings.HasPrefix(out, "unknown\n") || !strings.Contains(out, "--assume entitlement=true|false") {
		t.Errorf("unknown answer:\n%s", out)
	}
	out, _, _ = runSbplc(t, "", "query", "-D", "HOME=/Users/me", "--assume", "require-entitlement=true", p, "file-read-data", "/e/x")
	if !strings.HasPrefix(out, "allow\n") {
		t.Errorf("--assume true:\n%s", out)
	}
}

func TestQueryJSON(t *testing.T) {
	p := tempFile(t, "q.sb", queryProfile)
	out, _, code := runSbplc(t, "", "query", "--format", "json", "-D", "HOME=/Users/me", p, "network-outbound", "tcp:*:443")
	if code != 0 {
		t.Fatalf("code %d", code)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, k := range []string{"decision", "operation", "resource", "canonical_resource", "rule", "chain"} {
		if _, ok := got[k]; !ok {
			t.Errorf("key %q missing in %s", k, out)
		}
	}
	rule := got["rule"].(map[string]any)
	if got["decision"] != "allow" || rule["line"] != 6.0 || rule["column"] != 1.0 || rule["file"] != p ||
		rule["text"] != `(allow network-outbound (remote tcp "*:443"))` {
		t.Errorf("json = %s", out)
	}
	if ch := got["chain"].([]any); len(ch) != 1 || ch[0] != "network-outbound" {
		t.Errorf("chain = %v", ch)
	}
	// A built-in default has rule null.
	out, _, _ = runSbplc(t, "", "query", "--format", "json", "-D", "HOME=/Users/me", p, "file-clone", "/x")
	if !strings.Contains(out, `"rule": null`) || !strings.Contains(out, `"decision": "allow"`) {
		t.Errorf("terminal json = %s", out)
	}
	// The operation whose built-in default decides is listed once.
	out, _, _ = runSbplc(t, "", "query", "--format", "json", "-D", "HOME=/Users/me", p, "process-info-pidinfo", "others")
	var term struct {
		Chain []string `json:"chain"`
	}
	if err := json.Unmarshal([]byte(out), &term); err != nil || strings.Join(term.Chain, " ") != "process-info-pidinfo process-info*" {
		t.Errorf("terminal chain = %v (%v)\n%s", term.Chain, err, out)
	}
}

// TestQueryJSONShape pins the exact top-level keys of the JSON answer.
func TestQueryJSONShape(t *testing.T) {
	p := tempFile(t, "q.sb", queryProfile)
	out, _, _ := runSbplc(t, "", "query", "--format", "json", "-D", "HOME=/Users/me", p, "file-read-data", "/tmp/../x")
	var got map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if strings.Join(keys, " ") != "canonical_resource chain decision operation reason resource rule" {
		t.Errorf("keys = %v", keys)
	}
	var rule map[string]json.RawMessage
	if err := json.Unmarshal(got["rule"], &rule); err != nil || len(rule) != 4 {
		t.Errorf("rule = %s (%v): want file, line, column, text", got["rule"], err)
	}
	if string(got["canonical_resource"]) != `"/private/x"` || string(got["resource"]) != `"/tmp/../x"` {
		t.Errorf("resources: %s %s", got["resource"], got["canonical_resource"])
	}
}

// TestQueryUnresolvedImport: a rule on a wildcard written after an import
// that was not found does not decide, since the import may hold a rule on
// the specific operation.
func TestQueryUnresolvedImport(t *testing.T) {
	src := "(version 1)\n(deny default)\n(import \"nowhere.sb\")\n(allow file-read* (subpath \"/w\"))\n(allow file-read-data (subpath \"/s\"))\n"
	for _, c := range []struct{ op, res, want string }{
		{"file-read-data", "/w/x", "unknown\n"},
		{"file-read*", "/w/x", "allow\n"},
		{"file-read-data", "/s/x", "allow\n"},
	} {
		out, _, code := runSbplc(t, src, "query", "-", c.op, c.res)
		if code != 0 || !strings.HasPrefix(out, c.want) {
			t.Errorf("%s %s: code %d\n%s", c.op, c.res, code, out)
		}
	}
}

func TestQueryErrors(t *testing.T) {
	p := tempFile(t, "q.sb", queryProfile)
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"query", p, "file-raed-data", "/x"}, 2, `did you mean "file-read-data"`},
		{[]string{"query", p, "file-read-data", "relative"}, 2, "not absolute"},
		{[]string{"query", p, "network-outbound", "tcp:*:http"}, 2, "invalid port"},
		{[]string{"query", "--format", "xml", p, "file-read-data", "/x"}, 2, "unknown --format"},
		{[]string{"query", "--assume", "x", p, "file-read-data", "/x"}, 2, "FILTER=true"},
		{[]string{"query", "--model", "nope=1", p, "file-read-data", "/x"}, 2, "unknown model setting"},
		{[]string{"query", "--vnode-type", "DIRECTORY", p, "mach-lookup", "x"}, 2, "file paths only"},
		{[]string{"query", "--vnode-type", "FOLDER", p, "file-read-data", "/x"}, 2, `unknown file type "FOLDER"`},
		{[]string{"query", p, "network-outbound", "tcp6:10.0.0.1:80"}, 2, "is an IPv4 address"},
		{[]string{"query", filepath.Join(t.TempDir(), "missing.sb"), "file-read-data", "/x"}, 2, "no such file"},
		{[]string{"query", p}, 2, "missing OPERATION (usage: sbplc query"},
		// Issue 12, item 11: unvalidated input is refused, and before the
		// profile's own warnings are printed.
		{[]string{"query", "--assume", "bogus=true", p, "file-read-data", "/x"}, 2, `unknown filter "bogus"`},
		{[]string{"query", p, "process-fork", "extra"}, 2, `process-fork takes no resource: remove "extra"`},
		{[]string{"query", "--sbpl-version", "9", p, "file-read-data", "/x"}, 2, "SBPL versions are 1 to 3"},
		{[]string{"query", "-I", filepath.Join(t.TempDir(), "nonexistent-dir"), p, "file-read-data", "/x"}, 2, "nonexistent-dir: no such file or directory"},
	} {
		_, errs, code := runSbplc(t, "", c.args...)
		if code != c.code || !strings.Contains(errs, c.msg) {
			t.Errorf("%v: code %d, stderr %q; want %d and %q", c.args[1:], code, errs, c.code, c.msg)
		}
	}
	// The question is checked before the profile: a usage error is not
	// preceded by the profile's warnings.
	warns := tempFile(t, "w.sb", "(version 1)\n(import \"nowhere.sb\")\n")
	if _, errs, code := runSbplc(t, "", "query", warns, "file-raed-data", "/x"); code != 2 || strings.Contains(errs, "nowhere.sb") {
		t.Errorf("usage error after the profile's warnings: %d %q", code, errs)
	}
	// A profile with errors is refused with its diagnostics.
	bad := tempFile(t, "bad.sb", "(version 1)\n(allow file-read* (literal \"/x\")\n")
	out, errs, code := runSbplc(t, "", "query", bad, "file-read-data", "/x")
	if code != 1 || out != "" || !strings.Contains(errs, "bad.sb:2:") || !strings.Contains(errs, "fix them first") {
		t.Errorf("bad profile: code %d, stdout %q, stderr %q", code, out, errs)
	}
}

func TestQueryStdinAndModel(t *testing.T) {
	src := "(version 1)\n(deny default)\n(allow file-read-data (subpath \"/x\"))\n(deny file-read* (subpath \"/x\"))\n"
	out, _, code := runSbplc(t, src, "query", "-", "file-read-data", "/x/y")
	if code != 0 || !strings.HasPrefix(out, "allow\n") || !strings.Contains(out, "<stdin>:3:1") {
		t.Errorf("stdin: %d %s", code, out)
	}
	out, _, _ = runSbplc(t, src, "query", "--model", "specific-beats-wildcard=false", "-", "file-read-data", "/x/y")
	if !strings.HasPrefix(out, "deny\n") {
		t.Errorf("expansion model: %s", out)
	}
	out, _, _ = runSbplc(t, "(version 1)(deny default)", "query", "--model", "trust-guessed-fallbacks=false", "-", "file-graft", "/x")
	if !strings.HasPrefix(out, "unknown\n") || !strings.Contains(out, "file-graft -> file*") {
		t.Errorf("trust-guessed-fallbacks=false: %s", out)
	}
	helpOut, _, _ := runSbplc(t, "", "query", "--help")
	for _, c := range policy.Choices() {
		if !strings.Contains(helpOut, c.Key) {
			t.Errorf("--model help does not list %s", c.Key)
		}
	}
	out, _, _ = runSbplc(t, "(version 1)(deny default)", "query", "--no-implicit", "-", "signal", "self")
	if !strings.HasPrefix(out, "deny\n") {
		t.Errorf("--no-implicit: %s", out)
	}
	out, _, _ = runSbplc(t, "(version 1)(deny default)", "query", "-", "signal", "self")
	if !strings.HasPrefix(out, "allow\n") || !strings.Contains(out, "implicit policy") {
		t.Errorf("implicit: %s", out)
	}
	// Under (version 2) file-clone has no built-in allow (measured on
	// 14.4.1): it falls back to default; under (version 3) nothing is
	// measured.
	out, _, _ = runSbplc(t, "(version 1)(deny default)", "query", "--sbpl-version", "2", "-", "file-clone", "/x")
	if !strings.HasPrefix(out, "deny\n") || !strings.Contains(out, "default") {
		t.Errorf("--sbpl-version 2: %s", out)
	}
	out, _, _ = runSbplc(t, "(version 1)(deny default)", "query", "--sbpl-version", "3", "-", "file-clone", "/x")
	if !strings.HasPrefix(out, "unknown\n") || !strings.Contains(out, "version 3") {
		t.Errorf("--sbpl-version 3: %s", out)
	}
	out, _, _ = runSbplc(t, "(version 1)(deny default)(allow file-read* (require-all (subpath \"/d\") (vnode-type DIRECTORY)))",
		"query", "--vnode-type", "directory", "-", "file-read-data", "/d/e")
	if !strings.HasPrefix(out, "allow\n") {
		t.Errorf("--vnode-type: %s", out)
	}
}

func TestQueryHomePlaceholder(t *testing.T) {
	p := tempFile(t, "h.sb", queryProfile)
	// Without -D HOME the evaluator leaves ${HOME}; --home resolves it.
	out, errs, code := runSbplc(t, "", "query", "--home", "/Users/me/", p, "file-read-data", "/Users/me/proj/.env")
	if code != 0 || !strings.HasPrefix(out, "deny\n") || !strings.Contains(out, ":5:1:") {
		t.Errorf("--home: code %d\n%s", code, out)
	}
	if !strings.Contains(errs, `param "HOME" is not set`) {
		t.Errorf("the unbound-param warning should still be shown: %q", errs)
	}
	out, _, _ = runSbplc(t, "", "query", p, "file-read-data", "/Users/me/proj/.env")
	if !strings.HasPrefix(out, "unknown\n") || !strings.Contains(out, "HOME") {
		t.Errorf("no home: %s", out)
	}
	_, errs, code = runSbplc(t, "", "query", "--home", "relative", p, "file-read-data", "/x")
	if code != 2 || !strings.Contains(errs, "absolute") {
		t.Errorf("relative --home: %d %q", code, errs)
	}
}

// TestQueryTarget: --target selects the built-in defaults and implicit
// rules (mach-task-read (target self) is injected from macos14 on).
func TestQueryTarget(t *testing.T) {
	p := tempFile(t, "t.sb", "(version 1)\n(deny default)\n")
	for _, c := range []struct{ target, op, res, want string }{
		{"macos14", "mach-task-read", "self", "allow\n  rule:     <implicit policy>: (allow mach-task-read (target self)) ; implicit policy rule\n"},
		{"macos10.15", "mach-task-read", "self", "deny\n  rule:     " + p + ":2:1: (deny default)\n"},
		{"macos26", "sandbox-check", "", "allow\n  rule:     none: the built-in default of sandbox-check\n"},
	} {
		args := []string{"query", "--target", c.target, p, c.op}
		if c.res != "" {
			args = append(args, c.res)
		}
		out, errs, code := runSbplc(t, "", args...)
		if code != 0 || !strings.HasPrefix(out, c.want) {
			t.Errorf("%s %s %s: code %d, stderr %q, got:\n%s\nwant prefix:\n%s", c.target, c.op, c.res, code, errs, out, c.want)
		}
	}
	if _, errs, code := runSbplc(t, "", "query", "--target", "macos9", p, "signal", "self"); code != 2 || !strings.Contains(errs, "unknown --target") {
		t.Errorf("bad target: code %d, %q", code, errs)
	}
}

// TestQueryAlso: when an implicit rule decides and the user wrote the same
// rule, both are reported (QA #20); chain steps count rules in the right
// number (QA #18).
func TestQueryAlso(t *testing.T) {
	p := tempFile(t, "q7.sb", "(version 1)\n(deny default)\n(allow file-read* (literal \"/a\"))\n(allow file-link (literal \"/b\"))\n(allow file-link (literal \"/c\"))\n\n(allow signal (target self))\n")
	out, _, code := runSbplc(t, "", "query", p, "signal", "self")
	want := "allow\n" +
		"  rule:     <implicit policy>: (allow signal (target self)) ; implicit policy rule\n" +
		"  also:     your rule at " + p + ":7:1 allows it too: (allow signal (target self))\n"
	if code != 0 || !strings.HasPrefix(out, want) {
		t.Errorf("got:\n%s\nwant prefix:\n%s", out, want)
	}
	out, _, _ = runSbplc(t, "", "query", "--format", "json", p, "signal", "self")
	var j struct {
		Also *struct {
			Line int    `json:"line"`
			Text string `json:"text"`
		} `json:"also"`
	}
	if err := json.Unmarshal([]byte(out), &j); err != nil || j.Also == nil || j.Also.Line != 7 {
		t.Errorf("json also: %v %s", err, out)
	}
	for _, c := range []struct{ op, res, chain string }{
		{"file-read-data", "/x", "  chain:    file-read-data (no rules) -> file-read* (1 filtered rule, none matched) -> file* (no rules) -> default (unfiltered rule)\n"},
		{"file-link", "/x", "  chain:    file-link (2 filtered rules, none matched; built-in default)\n"},
		// file-graft's default ends a chain that walked file*: not "file-graft" twice.
		{"file-graft", "/x", "  chain:    file-graft (no rules) -> file* (no rules) -> built-in default of file-graft\n"},
	} {
		out, _, _ := runSbplc(t, "", "query", p, c.op, c.res)
		if !strings.Contains(out, c.chain) {
			t.Errorf("%s %s:\n%s\nwant %s", c.op, c.res, out, c.chain)
		}
	}
}

// A lookup through a root symlink is also checked as file-read-metadata
// on the link: the answer says so when that check decided.
func TestQuerySymlinkLookup(t *testing.T) {
	p := tempFile(t, "l.sb", "(version 1)\n(deny default)\n(allow file-read* (literal \"/etc/hosts\") (literal \"/private/etc/hosts\"))\n(allow file-read-metadata (literal \"/tmp\"))\n")
	out, _, code := runSbplc(t, "", "query", p, "file-read-data", "/etc/hosts")
	if code != 0 || !strings.HasPrefix(out, "deny\n") || !strings.Contains(out, "  link:     the lookup crosses the symlink /etc") {
		t.Errorf("code %d:\n%s", code, out)
	}
	out, _, code = runSbplc(t, "", "query", p, "file-read-metadata", "/tmp")
	if code != 0 || !strings.HasPrefix(out, "allow\n  rule:     "+p+":4:1:") {
		t.Errorf("lstat of the link: code %d:\n%s", code, out)
	}
}

// TestQueryEscapesUserText: the deciding rule's source text and the
// resource are shown with control and bidi characters escaped, like
// diagnostics (issue 19, item 7).
func TestQueryEscapesUserText(t *testing.T) {
	evil := "/private/tmp/\u202eevil\x1b[31m"
	p := tempFile(t, "e.sb", "(version 1)\n(deny default)\n(allow file-read* (literal \""+evil+"\"))\n; expect allow file-read-data "+evil+"\n")
	for _, args := range [][]string{{"query", p, "file-read-data", evil}, {"test", p}} {
		out, _, code := runSbplc(t, "", args...)
		if code != 0 || strings.ContainsAny(out, "\x1b\u202e") || !strings.Contains(out, `\u202eevil\x1b[31m`) {
			t.Errorf("%v: code %d, output %q", args[0], code, out)
		}
	}
}
