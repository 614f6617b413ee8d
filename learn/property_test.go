package learn

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/internal/driver"
	"github.com/sbplc/sbplc/policy"
	"github.com/sbplc/sbplc/source"
)

// The universe of the property test: a few paths (nested, in the home
// directory, a secret, through /tmp), file operations on several levels of
// the fallback chains, and Mach services.
var (
	propPaths = []string{"/a/x", "/a/y", "/a/b/z", "/a/b/w", "/b/x", "/Users/me/x", "/Users/me/.ssh/id_rsa",
		"/Users/me/Library/Foo/a", "/Users/me/Library/Foo/b", "/Users/me/Library/Foo/c", "/private/tmp/t", "/private/tmp/u",
		"/Users/me/.config/a", "/Users/me/.config/b", "/Users/me/.config/c", "/Users/me/.config/d"}
	propFileOps  = []string{"file-read-data", "file-read-metadata", "file-write-data", "file-write-create"}
	propRuleOps  = []string{"file-read-data", "file-read-metadata", "file-write-data", "file-write-create", "file-read*", "file-write*", "file*"}
	propServices = []string{"com.example.a", "com.example.b", "com.example.c"}
)

type request struct{ op, res string }

func (r request) String() string { return r.op + " " + r.res }

func propUniverse() []request {
	var out []request
	for _, op := range propFileOps {
		for _, p := range propPaths {
			out = append(out, request{op, p})
		}
	}
	for _, s := range propServices {
		out = append(out, request{"mach-lookup", s})
	}
	return out
}

// randomProfile writes a deny-default profile of up to eight random
// allows and denies over the universe.
func randomProfile(rng *rand.Rand) string {
	var b strings.Builder
	b.WriteString("(version 1)\n(deny default)\n")
	for i := rng.IntN(9); i > 0; i-- {
		action := "allow"
		if rng.IntN(3) == 0 {
			action = "deny"
		}
		if rng.IntN(4) == 0 {
			fmt.Fprintf(&b, "(%s mach-lookup (global-name %q))\n", action, propServices[rng.IntN(len(propServices))])
			continue
		}
		op := propRuleOps[rng.IntN(len(propRuleOps))]
		p := propPaths[rng.IntN(len(propPaths))]
		filter := "literal"
		if rng.IntN(3) == 0 {
			filter, p = "subpath", parentDir(p)
		}
		fmt.Fprintf(&b, "(%s %s (%s %q))\n", action, op, filter, p)
	}
	return b.String()
}

func engineOf(t *testing.T, d *driver.Driver, name string, text []byte) *policy.Engine {
	t.Helper()
	res, err := d.Check(context.Background(), source.NewFile(name, text))
	if err != nil {
		t.Fatal(err)
	}
	if res.Problems().HasErrors() {
		t.Fatalf("%s has errors: %v\n%s", name, res.Problems(), text)
	}
	eng, _ := res.Engine(policy.Options{Home: "/Users/me"})
	return eng
}

func decide(t *testing.T, e *policy.Engine, r request) policy.Decision {
	t.Helper()
	d, err := e.QueryText(r.op, r.res)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestPropertyLearnedRulesEffective: for random profiles and random
// denials (each one the profile really denies), every learned rule is
// effective: each denial it was learned from is allowed afterwards unless
// a deny the profile wrote decides it (learn reports those and never
// overrides them). With --widen none nothing that was denied and not
// observed becomes allowed; with widening, nothing becomes allowed that is
// not under a widened filter of the same operation, and no sensitive
// location does.
func TestPropertyLearnedRulesEffective(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 2026))
	params := map[string]string{"HOME": "/Users/me"}
	d, err := driver.New(driver.Options{Params: params, ParamsGiven: true, NoConfig: true})
	if err != nil {
		t.Fatal(err)
	}
	universe := propUniverse()
	locs, err := sensitiveLocations("/Users/me", "")
	if err != nil {
		t.Fatal(err)
	}
	iterations := 150
	if testing.Short() {
		iterations = 30
	}
	for iter := 0; iter < iterations; iter++ {
		profile := randomProfile(rng)
		base := engineOf(t, d, "p.sb", []byte(profile))
		var denied []request
		for _, r := range universe {
			if decide(t, base, r).Result == policy.Deny {
				denied = append(denied, r)
			}
		}
		if len(denied) == 0 {
			continue
		}
		observed := map[request]bool{}
		var log strings.Builder
		for i := 1 + rng.IntN(min(len(denied), 10)); i > 0; i-- {
			r := denied[rng.IntN(len(denied))]
			observed[r] = true
			fmt.Fprintf(&log, "Sandbox: tool(%d) deny(1) %s %s\n", 100+rng.IntN(3), r.op, r.res)
		}
		widen := Widen(rng.IntN(3))
		_, p, out := learnRun(t, log.String(), runOpts{params: params, widen: widen, profile: profile})
		if out.Ineffective() > 0 {
			t.Fatalf("iteration %d (widen %s): ineffective rule\nprofile:\n%s\nlog:\n%s\nresult:\n%s\n%v", iter, widen, profile, log.String(), out.Text, out.Rules[0].Ineffective)
		}
		after := engineOf(t, d, "p.sb", out.Text)
		deliberate := map[string]bool{}
		for _, c := range p.Deliberate {
			deliberate[c.Text[:strings.Index(c.Text, ":")]] = true
		}
		for r := range observed {
			got := decide(t, after, r)
			if got.Result != policy.Allow && !deliberate[r.String()] {
				t.Fatalf("iteration %d (widen %s): observed %s still %s (by %s)\nprofile:\n%s\nresult:\n%s", iter, widen, r, got.Result, policy.RuleText(got), profile, out.Text)
			}
		}
		for _, r := range universe {
			if observed[r] || decide(t, base, r).Result != policy.Deny {
				continue
			}
			got := decide(t, after, r)
			if got.Result != policy.Allow {
				continue
			}
			if widen == WidenNone {
				t.Fatalf("iteration %d: %s was denied, not observed, and is allowed after learning with --widen none (by %s)\nprofile:\n%s\nlog:\n%s\nresult:\n%s",
					iter, r, policy.RuleText(got), profile, log.String(), out.Text)
			}
			if strings.Contains(r.res, "/.ssh/") {
				t.Fatalf("iteration %d: widening opened the secret %s\n%s", iter, r, out.Text)
			}
			text := policy.RuleText(got)
			if !strings.Contains(text, "subpath") && !strings.Contains(text, "regex") {
				t.Fatalf("iteration %d: %s opened by a rule that is not a widening: %s\n%s", iter, r, text, out.Text)
			}
		}
		// No sensitive location opens unless the log asked for it.
		for _, l := range locs {
			if l.Path == "" || !strings.HasPrefix(l.Op, "file-") {
				continue
			}
			r := request{l.Op, l.Path}
			if observed[r] || decide(t, base, r).Result != policy.Deny {
				continue
			}
			if got := decide(t, after, r); got.Result == policy.Allow {
				t.Fatalf("iteration %d (widen %s): learning opened %s (%s) by %s\nprofile:\n%s\nlog:\n%s\nresult:\n%s", iter, widen, r, l.ID, policy.RuleText(got), profile, log.String(), out.Text)
			}
		}
	}
}
