package compile

import "github.com/sbplc/sbplc/ir"

// opDefaults are the per-operation defaults libsandbox writes into the op
// table regardless of the profile's (allow|deny default), measured from
// the macOS 14.4.1 vectors (bytecode-format §2.6): under (deny default)
// these operations point to the allow node (domain_af_inet and every other
// deny-default vector), and under (allow default) a few point to deny
// (allow_all, baseline_deny_all).
type opDefaults struct {
	allowUnderDeny []string
	denyUnderAllow []string
}

var libsandboxDefaults = map[string]opDefaults{
	"macos14": {
		allowUnderDeny: []string{
			"darwin-notification-post", "dynamic-code-generation", "file-clone", "file-link", "file-lock",
			"file-map-executable", "file-test-existence", "fs-quota*", "fs-quota-get", "fs-quota-on",
			"fs-quota-off", "fs-quota-set*", "fs-quota-set-limits", "fs-quota-set-usage", "fs-quota-stat",
			"fs-quota-sync", "fs-snapshot-mount", "iokit-get-properties", "iokit-open-service",
			"mach-bootstrap", "mach-cross-domain-lookup", "mach-derive-port", "mach-kernel-endpoint",
			"mach-task-special-port*", "mach-task-special-port-get", "mach-task-special-port-set",
			"necp-client-open", "nvram*", "nvram-delete", "nvram-get", "nvram-set", "process-codesigning",
			"process-info*", "process-info-codesignature", "process-info-dirtycontrol",
			"process-info-ledger", "process-info-listpids", "process-info-rusage", "process-info-pidinfo",
			"process-info-pidfdinfo", "process-info-pidfileportinfo", "process-info-setcontrol",
			"socket-ioctl", "socket-option-get", "socket-option-set", "syscall-unix", "syscall-mach",
			"syscall-mig", "system-fcntl", "system-mac-syscall", "system-memorystatus-control",
			"system-necp-client-action", "system-privilege", "process-exec-update-label",
		},
		denyUnderAllow: []string{"file-write-setugid", "job-creation", "system-kas-info", "storage-class-map"},
	},
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
	d, ok := libsandboxDefaults[target]
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
