package compile

import (
	"cmp"
	"slices"

	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/vocab"
)

// opDefaults are the per-operation defaults libsandbox writes into the op
// table regardless of the profile's (allow|deny default): under (deny
// default) allowUnderDeny point to the allow node, under (allow default)
// denyUnderAllow point to the deny node (bytecode-format §2.6). Both lists
// are in op-table order.
type opDefaults struct {
	allowUnderDeny []string
	denyUnderAllow []string
}

// libsandboxDefaults returns the (version 1) defaults of target as vocab
// measured them from compiled blobs of that release (vocab.BuiltinDefaults,
// entries with vector Sources). ok is false for a target without measured
// defaults (only macos14 has them): the cross-check then injects nothing.
func libsandboxDefaults(target string) (opDefaults, bool) {
	t, ok := vocab.LookupTarget(target)
	if !ok || !t.Verified {
		return opDefaults{}, false
	}
	var d opDefaults
	for op, r := range vocab.BuiltinDefaults(t, 1) {
		if op == "default" || !r.Verified || len(r.Sources) == 0 {
			continue
		}
		switch r.Action {
		case "allow":
			d.allowUnderDeny = append(d.allowUnderDeny, op)
		case "deny":
			d.denyUnderAllow = append(d.denyUnderAllow, op)
		}
	}
	if len(d.allowUnderDeny)+len(d.denyUnderAllow) == 0 {
		return opDefaults{}, false
	}
	byID := func(a, b string) int {
		x, _ := vocab.OperationID(t, a)
		y, _ := vocab.OperationID(t, b)
		return cmp.Compare(x, y)
	}
	slices.SortFunc(d.allowUnderDeny, byID)
	slices.SortFunc(d.denyUnderAllow, byID)
	return d, true
}

// defaultAction returns the action of the profile's last unfiltered
// (allow|deny default) rule; ok is false when there is none.
func defaultAction(p *ir.Profile) (ir.Action, bool) {
	var a ir.Action
	ok := false
	for _, r := range p.Rules {
		if r.Filter != nil {
			continue
		}
		for _, o := range r.Ops {
			if o.Name == "default" {
				a, ok = r.Action, true
			}
		}
	}
	return a, ok
}

// injectedDefaults returns unfiltered rules for the operations whose
// libsandbox default differs from the profile's default on target. They go
// before the profile's rules, so that the profile's own rules win.
func injectedDefaults(target string, p *ir.Profile) []*ir.Rule {
	d, ok := libsandboxDefaults(target)
	if !ok {
		return nil
	}
	a, ok := defaultAction(p)
	if !ok {
		return nil
	}
	ops, act := d.allowUnderDeny, ir.Allow
	if a == ir.Allow {
		ops, act = d.denyUnderAllow, ir.Deny
	}
	var out []*ir.Rule
	for _, op := range ops {
		out = append(out, &ir.Rule{Action: act, Ops: []ir.Op{{Name: op, Written: op}}})
	}
	return out
}
