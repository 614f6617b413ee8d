package lint

import (
	"fmt"
	"strings"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/ir"
)

var overbreadthRules = []*Rule{
	{ID: "allow-default", Run: runAllowDefault},
	unfilteredRule("unfiltered-file-write",
		[]string{"file*", "file-write*", "file-write-data", "file-write-create", "file-write-unlink"},
		"writes anywhere (LaunchAgents, shell startup files, git hooks, binaries on PATH) are persistence outside the sandbox; allow the directories the program writes, e.g. (subpath (param \"PROJECT\"))", true),
	unfilteredRule("unfiltered-file-read",
		[]string{"file*", "file-read*", "file-read-data"},
		"every readable secret (SSH keys, cloud credentials, browser data) can be read; allow the directories the program reads", false),
	unfilteredRule("unfiltered-network",
		[]string{"network*", "network-outbound"},
		"direct egress bypasses any filtering proxy and lets readable data leave; allow (remote tcp \"localhost:PORT\") for a proxy", false),
	unfilteredRule("unfiltered-network-inbound",
		[]string{"network-inbound", "network-bind"},
		"the process can open listeners on every interface; allow (local tcp \"localhost:PORT\")", false),
	unfilteredRule("unfiltered-process-exec",
		[]string{"process-exec*", "process*"},
		"the process can run whatever it downloads or writes, and helpers such as osascript or open; allow the binaries it needs with (literal ...) or (subpath \"/usr/bin\")", false),
	unfilteredRule("unfiltered-mach-lookup",
		[]string{"mach-lookup", "mach*"},
		"Mach services run outside the sandbox with their own privileges (LaunchServices, pasteboard, securityd); allow the services it needs with (global-name ...)", false),
	unfilteredRule("unfiltered-iokit",
		[]string{"iokit-open", "iokit-open-user-client", "iokit-open-service", "iokit*", "iokit-set-properties"},
		"IOKit user clients are a large kernel attack surface; allow specific classes with (iokit-user-client-class ...)", false),
	{ID: "sysctl-write", Run: runSysctlWrite},
	{ID: "signal-without-target", Run: runSignalTarget},
	{ID: "process-info-others", Run: runProcessInfoOthers},
	{ID: "task-port-access", Run: runTaskPort},
	{ID: "system-privileged-ops", Run: runSystemPrivileged},
	// Reported from the probe table (probes.go): file-link and file-clone
	// of a protected file.
	{ID: "implicit-preamble-allows"},
	{ID: "dynamic-code-generation", Run: runDynamicCode},
	// Reported from the probe table: writes of raw disk, memory and packet
	// devices.
	{ID: "file-write-dev"},
}

// allowsOp returns the first op of an allow rule that is one of names.
func allowsOp(r *ir.Rule, names []string) (ir.Op, bool) {
	if r.Action != ir.Allow {
		return ir.Op{}, false
	}
	for _, o := range r.Ops {
		for _, n := range names {
			if o.Name == n {
				return o, true
			}
		}
	}
	return ir.Op{}, false
}

// broadFilter reports whether the filter matches (nearly) everything for
// its operation: (subpath "/"), (remote ip "*:*"), (local ip "*:*").
func broadFilter(f *ir.FilterNode, home string, writeRoots bool) (string, bool) {
	if f == nil {
		return "", true
	}
	if f.Kind != ir.Leaf {
		return "", false
	}
	b := baseName(f)
	for _, a := range f.Args {
		if a.Kind != ir.String {
			continue
		}
		switch {
		case (b == "path") && matchOf(f) == ir.MatchSubpath:
			s := subKey(a.Str)
			if s == "/" {
				return fmt.Sprintf("(subpath %q)", a.Str), true
			}
			if writeRoots {
				for _, root := range []string{"/Users", "/Library", "/Applications", "/usr/local", "/opt/homebrew", "/opt", "/System/Volumes/Data", home, "${HOME}"} {
					if s == root || (a.Symbolic() && isHomeParamValue(a)) {
						return fmt.Sprintf("(subpath %q)", a.Str), true
					}
				}
			}
		case b == "remote" || b == "local":
			if a.Str == "*:*" {
				return fmt.Sprintf("(%s ... %q)", b, a.Str), true
			}
		}
	}
	return "", false
}

func isHomeParamValue(v ir.Value) bool {
	for _, n := range v.Params {
		for _, h := range HomeParams {
			if n == h && strings.TrimSuffix(v.Str, "/") == "${"+n+"}" {
				return true
			}
		}
	}
	return false
}

func unfilteredRule(id string, ops []string, why string, writeRoots bool) *Rule {
	return &Rule{ID: id, Run: func(p *Pass) {
		for _, r := range p.Profile.Rules {
			o, ok := allowsOp(r, ops)
			if !ok {
				continue
			}
			what, broad := broadFilter(r.Filter, p.Home(), writeRoots)
			if !broad {
				continue
			}
			if what == "" {
				p.Reportf(opSpan(r, o), "unfiltered (allow %s): %s", o.Written, why)
			} else {
				p.Reportf(ruleSpan(r), "(allow %s %s) is nearly unfiltered: %s", o.Written, what, why)
			}
		}
	}}
}

func runAllowDefault(p *Pass) {
	for _, r := range p.Profile.Rules {
		if o, ok := allowsOp(r, []string{"default"}); ok && r.Filter == nil {
			d := diag.Diagnostic{Span: opSpan(r, o), Message: "(allow default) allows every operation not denied below, including new ones in later macOS releases, file-mount, Apple Events and every Mach service; start from (deny default) and allow what the program needs"}
			if open := openVectors(p); len(open) > 0 {
				d.Notes = []string{"escape and secrets probes this rule allows: " + strings.Join(open, ", ")}
			}
			p.Report(d)
		}
	}
}

func runSysctlWrite(p *Pass) {
	for _, r := range p.Profile.Rules {
		o, ok := allowsOp(r, []string{"sysctl*", "sysctl-write"})
		if !ok {
			continue
		}
		rebound := o.Written == "sysctl-write" && o.Name == "sysctl*"
		if r.Filter != nil {
			// A filtered rule opens the sysctls its filter names, not every
			// one: say which, at info level (the write of one named
			// tunable is a narrow grant).
			what := "the sysctls its filter names"
			if names := sysctlNames(r.Filter); len(names) > 0 {
				what = strings.Join(names, ", ")
			}
			msg := fmt.Sprintf("(allow %s ...) lets the process write %s; if it only reads them, write (allow sysctl-read ...) with the same filter", o.Written, what)
			if rebound {
				msg = fmt.Sprintf("sysctl-write names sysctl* (an sbpl1.scm rebinding): this rule allows reading and writing %s; write (allow sysctl-read ...) with the same filter if reads are what the program needs", what)
			}
			p.ReportSev(diag.Info, diag.Diagnostic{Span: opSpan(r, o), Message: msg})
			continue
		}
		msg := fmt.Sprintf("(allow %s) lets the process change kernel tunables; programs need (allow sysctl-read) only", o.Written)
		if rebound {
			msg = "sysctl-write names sysctl* (an sbpl1.scm rebinding): this allows reading and writing every sysctl; write (allow sysctl-read) if reads are what the program needs"
		}
		p.Reportf(opSpan(r, o), "%s", msg)
	}
}

// sysctlNames lists the sysctl names (and name prefixes and regexes, as
// written) a filter allows, at most four; nil when it names none.
func sysctlNames(f *ir.FilterNode) []string {
	var out []string
	more := false
	eachLeaf(f, false, func(l *ir.FilterNode, neg bool) {
		if neg || baseName(l) != "sysctl-name" {
			return
		}
		for _, a := range l.Args {
			if a.Kind != ir.String {
				continue
			}
			if len(out) == 4 {
				more = true
				return
			}
			switch matchOf(l) {
			case ir.MatchPrefix:
				out = append(out, a.Str+"*")
			case ir.MatchRegex:
				out = append(out, "#\""+a.Str+"\"")
			default:
				out = append(out, a.Str)
			}
		}
	})
	if more {
		out = append(out, "...")
	}
	return out
}

// targetArgs returns the symbols of (target ...) leaves, and whether the
// filter restricts the target at all.
func targetArgs(f *ir.FilterNode) ([]string, bool) {
	var out []string
	found := false
	eachLeaf(f, false, func(l *ir.FilterNode, neg bool) {
		if baseName(l) == "target" && !neg {
			found = true
			for _, a := range l.Args {
				if a.Kind == ir.Symbol || a.Kind == ir.String {
					out = append(out, a.Str)
				}
			}
		}
	})
	return out, found
}

func runSignalTarget(p *Pass) {
	for _, r := range p.Profile.Rules {
		o, ok := allowsOp(r, []string{"signal"})
		if !ok {
			continue
		}
		ts, found := targetArgs(r.Filter)
		if !found {
			p.Reportf(opSpan(r, o), "(allow signal) without (target ...) lets the process signal every process of the user (the editor, the agent host, the supervisor); write (allow signal (target self)) or (target children)")
			continue
		}
		for _, t := range ts {
			if t == "others" {
				p.Reportf(ruleSpan(r), "(allow signal (target others)) lets the process kill or stop processes outside the sandbox; use (target self), (target children) or (target same-sandbox)")
				break
			}
		}
	}
}

func runProcessInfoOthers(p *Pass) {
	for _, r := range p.Profile.Rules {
		o, ok := allowsOp(r, []string{"process-info*", "process-info-pidinfo", "process-info-codesignature", "process-info-listpids"})
		if !ok || o.Name == "process-info-listpids" {
			continue
		}
		ts, found := targetArgs(r.Filter)
		if !found || contains(ts, "others") {
			p.Reportf(opSpan(r, o), "(allow %s) reaches other processes: their arguments and environment (KERN_PROCARGS2) often carry tokens; write (target self)", o.Written)
		}
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func runTaskPort(p *Pass) {
	for _, r := range p.Profile.Rules {
		o, ok := allowsOp(r, []string{"mach-priv-task-port", "mach-priv-host-port", "mach-task-name", "process-info-dirtycontrol", "mach-task*", "mach-task-read", "mach-task-inspect"})
		if !ok {
			continue
		}
		ts, found := targetArgs(r.Filter)
		if found && !contains(ts, "others") {
			continue
		}
		if o.Name == "process-info-dirtycontrol" {
			// No task port: it changes another process's dirty (jetsam
			// and sudden-termination) state.
			p.ReportSev(diag.Info, diag.Diagnostic{Span: opSpan(r, o), Message: fmt.Sprintf("(allow %s) lets the process change the dirty (jetsam and sudden-termination) state of other processes, so it can get them killed under memory pressure; restrict it with (target self)", o.Written)})
			continue
		}
		p.Reportf(opSpan(r, o), "(allow %s) gives task or host ports of processes outside the sandbox: reading their memory and injecting threads is a direct escape; remove it or restrict it with (target self)", o.Written)
	}
}

var privilegedOps = []string{"system-privilege", "system-kext-load", "system-kext-unload", "system-set-time", "system-swap",
	"system-reboot", "system-mac-syscall", "file-mount", "file-unmount", "system-audit", "system*", "nvram-set", "nvram*", "nvram-delete"}

func runSystemPrivileged(p *Pass) {
	for _, r := range p.Profile.Rules {
		o, ok := allowsOp(r, privilegedOps)
		if !ok || r.Filter != nil {
			continue
		}
		extra := ""
		if o.Name == "file-mount" || o.Name == "system*" {
			extra = " (file-mount is the operation behind devfs-mount sandbox escapes)"
		}
		p.Reportf(opSpan(r, o), "unfiltered (allow %s): a privileged operation command-line tools rarely need%s; remove it unless a privileged helper inside the sandbox needs it", o.Written, extra)
	}
}

func runDynamicCode(p *Pass) {
	for _, r := range p.Profile.Rules {
		if o, ok := allowsOp(r, []string{"dynamic-code-generation"}); ok {
			p.Reportf(opSpan(r, o), "(allow dynamic-code-generation) permits writable+executable memory (JIT); under (version 1) it is allowed by default already, so write (deny dynamic-code-generation) unless the program runs a JIT")
		}
	}
}
