package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/corpus"
)

func TestProbeTable(t *testing.T) {
	ps, err := Probes()
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) < 70 {
		t.Fatalf("only %d probes", len(ps))
	}
	groups := map[string]int{}
	e, _ := New(prof(deny("default")), Options{})
	for _, p := range ps {
		groups[p.Group]++
		op, err := e.ResolveOp(p.Op)
		if err != nil {
			t.Errorf("%s: %v", p.ID, err)
			continue
		}
		text := ExpandHome(p.Resource, "/Users/u")
		if len(text) > 1 && text[0] == '$' || len(text) > 6 && text[:6] == "unix:$" {
			continue
		}
		if _, err := ParseResource(op, replaceProject(text)); err != nil {
			t.Errorf("%s: resource %q: %v", p.ID, p.Resource, err)
		}
		if p.Why == "" || p.LintRule == "" {
			t.Errorf("%s: missing why or lint rule", p.ID)
		}
	}
	for _, g := range Groups {
		if groups[g] == 0 {
			t.Errorf("group %s has no probes", g)
		}
	}
	if _, err := parseProbes("X\tsecrets\terror\top\n"); err == nil {
		t.Error("short row accepted")
	}
	if _, err := parseProbes("X\tnope\terror\tfile-read-data\t/x\t\tr\tw\n"); err == nil {
		t.Error("unknown group accepted")
	}
}

func replaceProject(s string) string {
	if len(s) >= 2 && s[:2] == "$P" {
		return "/Users/u/proj" + s[2:]
	}
	return s
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
	rs, err := e.Audit(AuditOptions{Project: "/Users/user/proj"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]ProbeResult{}
	for _, r := range rs {
		got[r.ID] = r
	}
	for id, want := range map[string]Result{
		"EV001":  Deny,  // ~/.ssh denied
		"EV004":  Allow, // ~/.aws readable
		"EV017":  Allow, // ~/.SSH: byte-compared, the deny misses it
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
	// Without --project the $P probes are skipped, not guessed.
	rs, _ = e.Audit(AuditOptions{})
	for _, r := range rs {
		if r.ID == "EV038" && (r.Skipped == "" || r.Allowed()) {
			t.Errorf("EV038 without project: %+v", r)
		}
	}
	// The package-level helper matches.
	rs2, _, err := Audit(res.Profile, Options{}, AuditOptions{Project: "/Users/user/proj"})
	if err != nil || len(rs2) != len(got) {
		t.Fatalf("Audit: %v, %d results", err, len(rs2))
	}
}

// TestProbesTraceToResearch: every probe comes from a row of the research
// table (../shared/audit/escape-vectors.tsv) with the same group and lint
// rule, so the embedded table stays an adaptation, not an invention.
func TestProbesTraceToResearch(t *testing.T) {
	dir, err := corpus.SharedDir()
	if err != nil {
		t.Skip("research data not available:", err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "audit", "escape-vectors.tsv"))
	if err != nil {
		t.Skip("research table not available:", err)
	}
	type row struct{ group, rule string }
	research := map[string]row{}
	for _, line := range strings.Split(string(data), "\n")[1:] {
		f := strings.Split(line, "\t")
		if len(f) >= 6 {
			g := f[1]
			if g == "escape-ipc" {
				g = "ipc-escape"
			}
			research[f[0]] = row{g, f[5]}
		}
	}
	ps, _ := Probes()
	for _, p := range ps {
		id := strings.TrimRight(p.ID, "ab")
		r, ok := research[id]
		if !ok {
			t.Errorf("%s: no row %s in the research table", p.ID, id)
			continue
		}
		// Research rule names that sbplc folds into another lint rule
		// (documented in the header of probes.tsv).
		if folded, ok := map[string]string{"hardlink-bypass": "implicit-preamble-allows"}[r.rule]; ok {
			r.rule = folded
		}
		if r.group != p.Group || r.rule != p.LintRule {
			t.Errorf("%s: group/rule %s/%s, research says %s/%s", p.ID, p.Group, p.LintRule, r.group, r.rule)
		}
	}
}
