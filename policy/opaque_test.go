package policy

import (
	"strings"
	"testing"

	"github.com/sbplc/sbplc/corpus"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/eval"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/source"
)

// TestAppleSecurityProfilesAnswer evaluates Apple's Security daemon
// profiles, whose system.sb and com.apple.corefoundation.sb imports cannot
// be found here and whose (corefoundation) call needs the latter: the
// evaluator reports no error (the call is an opaque block), and the engine
// answers every query: with the deciding rule when it is written after the
// unknown rules, else unknown with the reason.
func TestAppleSecurityProfilesAnswer(t *testing.T) {
	n, blocks, known := 0, 0, 0
	for _, en := range corpus.ForTest(t) {
		if en.Repo != "apple-oss-distributions/Security" {
			continue
		}
		n++
		data, err := en.Read()
		if err != nil {
			t.Fatal(err)
		}
		res := eval.Run(source.NewFile(en.Abs(), data), eval.Options{NoSystemModels: true})
		for _, d := range res.Diags {
			if d.Severity == diag.Error {
				t.Errorf("%s: %s", en.File, d)
			}
		}
		blocks += len(res.Profile.OpaqueBlocks)
		e, ds := New(res.Profile, Options{})
		if ds.HasErrors() {
			t.Errorf("%s: %v", en.File, ds)
		}
		last := lastOpaque(res.Profile)
		for _, r := range res.Profile.Rules {
			name, ok := globalName(r)
			if !ok || r.Action != ir.Allow {
				continue
			}
			d, err := e.QueryText("mach-lookup", name)
			if err != nil {
				t.Fatalf("%s: %v", en.File, err)
			}
			switch {
			case r.Index >= last && d.Result == Allow:
				known++
			case r.Index < last && d.Result == Unknown && strings.Contains(d.Reason, "may decide this (add -I DIR)"):
			default:
				t.Errorf("%s: mach-lookup %s (rule %d, unknown rules at %d): %v, %s", en.File, name, r.Index, last, d.Result, d.Reason)
			}
		}
		d, err := e.QueryText("file-read-data", "/private/var/db/sbplc-nothing-here")
		if err != nil {
			t.Fatal(err)
		}
		if d.Result != Unknown || !strings.Contains(d.Reason, "which was not found") || !strings.Contains(d.Reason, "add -I DIR") {
			t.Errorf("%s: file-read-data: %v, %s", en.File, d.Result, d.Reason)
		}
		if len(res.Profile.OpaqueBlocks) > 0 && !strings.Contains(d.Reason, "corefoundation is not defined") {
			t.Errorf("%s: the reason does not name the unknown statement: %s", en.File, d.Reason)
		}
	}
	if n == 0 {
		t.Fatal("no Apple Security profiles in the corpus")
	}
	t.Logf("%d profiles: %d opaque blocks, %d known answers", n, blocks, known)
	if blocks == 0 || known == 0 {
		t.Errorf("%d profiles: %d opaque blocks, %d known answers", n, blocks, known)
	}
}

// lastOpaque is the index of the profile's last unresolved import or
// opaque block (-1 if none).
func lastOpaque(p *ir.Profile) int {
	last := -1
	for _, im := range p.Imports {
		if !im.Resolved {
			last = max(last, im.Index)
		}
	}
	for _, ob := range p.OpaqueBlocks {
		last = max(last, ob.Index)
	}
	return last
}

// globalName returns the name of a rule filtered by one (global-name NAME).
func globalName(r *ir.Rule) (string, bool) {
	f := r.Filter
	if f == nil || f.Kind != ir.Leaf || f.Name != "global-name" || len(f.Args) != 1 || f.Args[0].Kind != ir.String {
		return "", false
	}
	for _, o := range r.Ops {
		if o.Name == "mach-lookup" {
			return f.Args[0].Str, true
		}
	}
	return "", false
}
