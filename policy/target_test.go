package policy

import (
	"strings"
	"sync"
	"testing"

	"github.com/sbplc/sbplc/vocab"
)

// TestTargetDefaults: the built-in defaults and implicit rules follow
// Options.Target (vocab.TerminalDefaultFor, vocab.InjectedFilterOps).
func TestTargetDefaults(t *testing.T) {
	deny := "(version 1)\n(deny default)\n"
	allowD := "(version 1)\n(allow default)\n"
	for _, c := range []struct {
		target, profile, op, res string
		want                     Result
		reasonIn                 string
	}{
		// Measured in the 14.4.1 blobs: allowed whatever the default.
		{"macos14", deny, "socket-option-get", "", Allow, "built-in default of socket-option-get"},
		{"macos14", deny, "iokit-open-service", "IOSurfaceRoot", Allow, "built-in default of iokit-open-service"},
		{"macos14", deny, "process-exec-update-label", "/bin/ls", Allow, "built-in default"},
		{"macos14", deny, "mach-task-special-port-get", "self", Allow, "built-in default"},
		// ... and denied whatever the default.
		{"macos14", allowD, "system-kas-info", "", Deny, "built-in default of system-kas-info"},
		{"macos14", allowD, "file-write-setugid", "/x", Deny, "built-in default of file-write-setugid"},
		{"macos14", allowD, "storage-class-map", "", Deny, "built-in default"},
		// The defaults are the target's: mach-derive-port is new in the
		// 14.4.1 table (allowed); 10.15 has no measured default for it.
		{"macos14", deny, "mach-derive-port", "com.x", Allow, "built-in default of mach-derive-port"},
		{"macos10.15", deny, "mach-derive-port", "com.x", Deny, "built-in default of mach-derive-port is deny"},
		// 26-only operations measured allowed under (deny default) on 26.x
		// (semantics §1.5), unverified: the default rule does not reach them.
		{"macos26", deny, "sandbox-check", "", Allow, "built-in default of sandbox-check"},
		{"macos26", deny, "file-graft", "/x", Allow, "built-in default of file-graft"},
		// Ordinary operations still reach the profile's default rule.
		{"macos14", deny, "file-read-data", "/x", Deny, "unfiltered rule of default"},
		{"macos14", allowD, "file-read-data", "/x", Allow, "unfiltered rule of default"},
		// Implicit (target self) rules: policy.scm's two everywhere,
		// the injected mach-task-inspect / mach-task-read from macOS 14 on.
		{"macos10.15", deny, "signal", "self", Allow, "implicit policy"},
		{"macos10.15", deny, "mach-task-name", "self", Allow, "implicit policy"},
		{"macos10.15", deny, "mach-task-read", "self", Deny, ""},
		{"macos10.15", deny, "mach-task-inspect", "self", Deny, ""},
		{"macos14", deny, "mach-task-read", "self", Allow, "implicit policy"},
		{"macos14", deny, "mach-task-inspect", "self", Allow, "implicit policy"},
		{"macos14", deny, "mach-task-read", "others", Deny, ""},
		{"macos26", deny, "mach-task-inspect", "self", Allow, "implicit policy"},
		{"", deny, "mach-task-read", "self", Allow, "implicit policy"},
	} {
		res := evalSrc(t, "t.sb", c.profile)
		e, _ := New(res.Profile, Options{Target: c.target})
		d, err := e.QueryText(c.op, c.res)
		if err != nil {
			t.Errorf("%s %s %s: %v", c.target, c.op, c.res, err)
			continue
		}
		if d.Result != c.want || !strings.Contains(d.Reason, c.reasonIn) {
			t.Errorf("%s %q %s %s: %v (%s), want %v (%s)", c.target, c.profile, c.op, c.res, d.Result, d.Reason, c.want, c.reasonIn)
		}
	}
}

// TestTargetInfo: Options.TargetInfo selects the target directly.
func TestTargetInfo(t *testing.T) {
	res := evalSrc(t, "t.sb", "(version 1)\n(deny default)\n")
	for _, c := range []struct {
		target string
		want   Result
	}{{"macos10.15", Deny}, {"macos14", Allow}} {
		tg, _ := lookupTargetForTest(c.target)
		e, _ := New(res.Profile, Options{TargetInfo: tg, Target: "macos26"})
		if d, _ := e.QueryText("mach-task-read", "self"); d.Result != c.want {
			t.Errorf("TargetInfo %s: %v, want %v", c.target, d.Result, c.want)
		}
	}
	if n := len(ImplicitRules()); n != 2 {
		t.Errorf("ImplicitRules() has %d rules, want policy.scm's 2", n)
	}
}

func lookupTargetForTest(name string) (vocab.Target, bool) { return vocab.LookupTarget(name) }

// TestCheckMessages: failing rule= expectations say in words which rule
// decided and what was wanted (QA #18, #19d).
func TestCheckMessages(t *testing.T) {
	res := evalSrc(t, "m.sb", "(version 1)\n(deny default)\n(allow file-read* (subpath \"/a\"))\n(allow signal (target self))\n")
	e, _ := New(res.Profile, Options{})
	for _, c := range []struct{ line, want string }{
		{"expect allow rule=2 file-read-data /a/x", "decided by the rule at line 3, want the rule at line 2"},
		{"expect deny rule=3 file-read-data /b", "decided by the (deny default) rule at line 2, want the rule at line 3"},
		{"expect deny rule=builtin file-read-data /b", "decided by the (deny default) rule at line 2, want a built-in default (write rule=default for the profile's default rule)"},
		{"expect allow rule=default file-link /b", "decided by the built-in default of file-link, want the profile's (allow|deny default) rule (write rule=builtin for a built-in default)"},
		{"expect allow rule=2 signal self", "decided by libsandbox's implicit policy rule, want the rule at line 2"},
		{"expect allow rule=implicit file-read-data /a", "decided by the rule at line 3, want an implicit policy rule"},
	} {
		x, err := parseExpectation(strings.TrimPrefix(c.line, "expect "), "")
		if err != nil {
			t.Fatalf("%s: %v", c.line, err)
		}
		r := e.Check(x)
		if r.Pass || r.Problem != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.line, r.Problem, c.want)
		}
	}
	// Passing forms: the user's rule that the implicit policy duplicates.
	for _, line := range []string{"expect allow rule=4 signal self", "expect allow rule=implicit signal self", "expect deny rule=default file-read-data /b", "expect deny rule=2 file-read-data /b", "expect allow rule=builtin file-link /b"} {
		x, _ := parseExpectation(strings.TrimPrefix(line, "expect "), "")
		if r := e.Check(x); !r.Pass {
			t.Errorf("%s: %s", line, r.Problem)
		}
	}
}

// TestLazyPlansConcurrent: plans are built on first use; many goroutines
// asking about the same and different operations of a fresh engine get
// the answers of an engine whose plans were all built up front (run with
// -race).
func TestLazyPlansConcurrent(t *testing.T) {
	res := evalSrc(t, "l.sb", "(version 1)\n(deny default)\n(allow file-read* (subpath \"/a\"))\n(allow mach-lookup (global-name \"com.x\"))\n(allow process-info* (target self))\n")
	ref, _ := New(res.Profile, Options{})
	ops := vocab.Operations()
	want := map[string]Result{}
	for _, o := range ops {
		want[o.Name] = ref.Query(Request{Op: o.Name, Resource: Resource{Kind: KindPath, Text: "/a/x", Path: "/a/x"}}).Result
	}
	e, _ := New(res.Profile, Options{})
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for k := range ops {
				o := ops[(k+g*37)%len(ops)]
				if d := e.Query(Request{Op: o.Name, Resource: Resource{Kind: KindPath, Text: "/a/x", Path: "/a/x"}}); d.Result != want[o.Name] {
					t.Errorf("%s: %v, want %v", o.Name, d.Result, want[o.Name])
				}
				_ = e.RulesFor(o.Name)
				_ = e.Chain(o.Name)
			}
		}(g)
	}
	wg.Wait()
	if got := want["file-read-data"]; got != Allow {
		t.Errorf("file-read-data /a/x: %v", got)
	}
}
