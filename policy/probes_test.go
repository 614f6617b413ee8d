package policy

import (
	"strings"
	"testing"

	"github.com/sbplc/sbplc/ir"
)

// TestProbeTable: every probe of the rule table names an operation the
// engine knows and a resource it parses, and so does its precondition.
func TestProbeTable(t *testing.T) {
	ps := Probes()
	if len(ps) < 70 {
		t.Fatalf("only %d probes", len(ps))
	}
	groups := map[string]int{}
	e, _ := New(prof(deny("default")), Options{})
	check := func(id, op, res string) {
		o, err := e.ResolveOp(op)
		if err != nil {
			t.Errorf("%s: %v", id, err)
			return
		}
		if _, err := ParseResource(o, expandProbe(res, "/Users/u", "/Users/u/proj")); err != nil {
			t.Errorf("%s: resource %q: %v", id, res, err)
		}
	}
	for _, p := range ps {
		groups[p.Group]++
		check(p.ID, p.Op, p.Resource)
		if p.If != nil {
			check(p.ID+" (precondition)", p.If.Op, p.If.Resource)
		}
		if p.Why == "" || p.Rule == "" {
			t.Errorf("%s: missing why or rule", p.ID)
		}
	}
	for _, g := range Groups() {
		if groups[g] == 0 {
			t.Errorf("group %s has no probes", g)
		}
	}
}

func TestAudit(t *testing.T) {
	// A typical agent profile: reads everywhere, writes only in the
	// project and /private/tmp, ssh keys denied, network open.
	res := evalSrc(t, "agent.sb", `(version 1)
(deny default)
(allow file-read*)
(deny file-read* (subpath "/Users/user/.ssh"))
(allow file-write* (subpath "/Users/user/proj") (subpath "/private/tmp"))
(deny file-write* (subpath "/Users/user/proj/.git"))
(allow network-outbound)
(allow process-exec*)
(allow mach-lookup (global-name "com.apple.SecurityServer"))
`)
	e, _ := New(res.Profile, Options{})
	rs := e.Audit(AuditOptions{Projects: []string{"/Users/user/proj"}})
	got := map[string]ProbeResult{}
	for _, r := range rs {
		got[r.ID] = r
	}
	for id, want := range map[string]Result{
		"EV001":  Deny,  // ~/.ssh denied
		"EV004":  Allow, // ~/.aws readable
		"EV017":  Allow, // ~/.SSH: byte-compared, the carve-out misses it
		"EV022":  Allow, // file-clone is allowed by default
		"EV025":  Allow,
		"EV032":  Deny,
		"EV038":  Deny,  // .git denied
		"EV041":  Allow, // .Git case variant is writable
		"EV043":  Allow, // $P/.gemini writable
		"EV061":  Allow, // unfiltered network-outbound covers unix sockets
		"EV071":  Allow,
		"EV066":  Allow,
		"EV052":  Deny,
		"EV076":  Deny,
		"EV077":  Allow, // process-info* allowed by default
		"EV080":  Deny,  // a write probe: reads of /dev/bpf0 do not count
		"EV082a": Allow,
	} {
		r, ok := got[id]
		if !ok {
			t.Errorf("%s missing", id)
			continue
		}
		if r.Skipped != "" || r.Decision.Result != want {
			t.Errorf("%s %s %s = %v (%s%s), want %v", id, r.Op, r.Resource, r.Decision.Result, r.Decision.Reason, r.Skipped, want)
		}
	}
	if r := got["EV004"]; r.Resource != "/Users/user/.aws/credentials" || RuleRef(r.Decision) != "3" {
		t.Errorf("EV004 resource %q decided by %s", r.Resource, RuleRef(r.Decision))
	}
	// Case variants apply only where the exact spelling is carved out:
	// the profile denies no .env and no ~/.AWS, so those are skipped.
	for _, id := range []string{"EV018", "EV017b"} {
		if r := got[id]; r.Skipped == "" || r.Allowed() || r.Base == nil {
			t.Errorf("%s without a carve-out of the exact spelling: %+v", id, r)
		}
	}
	// Without project directories the $P probes are skipped, not guessed.
	for _, r := range e.Audit(AuditOptions{}) {
		if r.ID == "EV038" && (r.Skipped == "" || r.Allowed()) {
			t.Errorf("EV038 without project: %+v", r)
		}
	}
	// Two project directories: one result per directory.
	n := 0
	for _, r := range e.Audit(AuditOptions{Projects: []string{"/Users/user/proj", "/Users/user/other"}}) {
		if r.ID == "EV043" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("EV043 with two projects: %d results", n)
	}
	// The package-level helper matches.
	rs2, _ := Audit(res.Profile, Options{}, AuditOptions{Projects: []string{"/Users/user/proj"}})
	if len(rs2) != len(rs) {
		t.Fatalf("Audit: %d results, want %d", len(rs2), len(rs))
	}
}

// TestProbePreconditions: "denied" holds for any deny, "carved-out" only
// for a filtered deny rule of the profile.
func TestProbePreconditions(t *testing.T) {
	find := func(src, id string) ProbeResult {
		t.Helper()
		res := evalSrc(t, "p.sb", src)
		e, _ := New(res.Profile, Options{})
		for _, r := range e.Audit(AuditOptions{}) {
			if r.ID == id {
				return r
			}
		}
		t.Fatalf("no result for %s", id)
		return ProbeResult{}
	}
	// DNS matters when other egress is closed, by the default or a rule.
	if r := find("(version 1)\n(deny default)\n(allow network-outbound (remote udp \"*:53\"))\n", "EV074"); !r.Allowed() {
		t.Errorf("EV074 with egress closed by default: %+v", r)
	}
	if r := find("(version 1)\n(deny default)\n(allow network-outbound)\n", "EV074"); r.Allowed() || r.Skipped == "" {
		t.Errorf("EV074 with general egress: %+v", r)
	}
	// A rename matters for a carved-out read, not for one the default denies.
	if r := find("(version 1)\n(deny default)\n(allow file-write* (subpath \"/Users/user\"))\n", "EV023"); r.Allowed() {
		t.Errorf("EV023 without a read carve-out: %+v", r)
	}
	if r := find("(version 1)\n(deny default)\n(allow file-read* file-write* (subpath \"/Users/user\"))\n(deny file-read* (subpath \"/Users/user/.aws\"))\n", "EV023"); !r.Allowed() || r.Base == nil || RuleRef(*r.Base) != "4" {
		t.Errorf("EV023 with a read carve-out: %+v", r)
	}
}

func TestPickHome(t *testing.T) {
	bound := &ir.Profile{Params: []ir.ParamUse{{Name: "HOME", Bound: true, Value: "/Users/bob/"}}}
	relative := &ir.Profile{Params: []ir.ParamUse{{Name: "HOME", Bound: true, Value: "bob"}}}
	unbound := &ir.Profile{Params: []ir.ParamUse{{Name: "HOME"}}}
	for _, c := range []struct {
		flag, cfg string
		prof      *ir.Profile
		want      string
	}{
		{"/Users/flag/", "/Users/cfg", bound, "/Users/flag"},
		{"", "/Users/cfg", bound, "/Users/cfg"},
		{"", "", bound, "/Users/bob"},
		{"", "", relative, DefaultHome},
		{"", "", unbound, DefaultHome},
		{"", "", nil, DefaultHome},
		{"/", "", nil, "/"},
	} {
		if got := PickHome(c.flag, c.cfg, c.prof); got != c.want {
			t.Errorf("PickHome(%q, %q, %v) = %q, want %q", c.flag, c.cfg, c.prof != nil, got, c.want)
		}
	}
	if !strings.HasPrefix(DefaultHome, "/Users/") {
		t.Errorf("DefaultHome %q", DefaultHome)
	}
}
