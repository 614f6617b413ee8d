package learn

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sbplc/sbplc/internal/lazyre"
	"github.com/sbplc/sbplc/policy"
)

// targetKind says what a logged target names and which filter matches it.
type targetKind uint8

const (
	tPath         targetKind = iota // an absolute path: literal (widened to subpath or regex on request)
	tIoctl                          // path:P ioctl-command:(_IO "t" 22): literal + ioctl-command
	tGlobalName                     // a mach service: global-name
	tMachRegister                   // a mach service registered: global-name, or local-name for (per-pid)
	tSysctl                         // a sysctl name: sysctl-name
	tNetOutbound                    // remote:HOST:PORT, or a unix-socket path
	tNetLocal                       // local:HOST:PORT (bind, inbound)
	tIOKitClient                    // a user-client class: iokit-user-client-class
	tIOKitService                   // a service class: iokit-registry-entry-class
	tPreference                     // a preference domain: preference-domain
	tIPC                            // a POSIX shm or semaphore name: ipc-posix-name
	tSignal                         // others [Safari(5085)] signum:15: target + signal-number
	tAppleEvent                     // a bundle id: appleevent-destination
	tSocket                         // domain:32 type:2 protocol:2: socket-domain/type/protocol
	tFsctl                          // (_IO "h" 47): fsctl-command
	tPrivilege                      // a number: privilege-id
	tInfo                           // an info type: info-type
	tNotification                   // a notification name: notification-name
	tRight                          // an authorization right: right-name
	tNone                           // no target: an unfiltered rule
)

// opEntry maps operations to the kind of their logged target. Each row
// follows one row of the research table (denial-logs.md §7); rows the table
// marks uncertain are decided here, once, with the reason.
type opEntry struct {
	// op is an operation name, or a prefix ending in "-" or "*" that
	// covers a family (file-, ipc-posix-shm).
	op     string
	kind   targetKind
	reason string
}

// opTable is consulted in order: exact names first, then prefixes.
var opTable = []opEntry{
	{"file-ioctl", tIoctl, "path:P ioctl-command:(...) (macOS 26/27 lines); a line without the command gets the literal alone"},
	{"process-exec*", tPath, "the executable's path"},
	{"process-exec", tPath, "alias of process-exec*"},
	{"process-exec-interpreter", tPath, "the interpreter's path"},
	{"mach-lookup", tGlobalName, "service name; per-pid lookups are not distinguished in the log, so global-name"},
	{"mach-register", tMachRegister, "decided: a \" (per-pid)\" suffix means a per-process name, (local-name N); otherwise (global-name N)"},
	{"sysctl-read", tSysctl, "sysctl name"},
	{"sysctl-write", tSysctl, "sysctl name (SBPL binds sysctl-write to sysctl*)"},
	{"sysctl*", tSysctl, "sysctl name"},
	{"network-outbound", tNetOutbound, "remote:*:PORT (the host is always *), or the unix-socket path"},
	{"network-bind", tNetLocal, "local:*:PORT; port 0 (an ephemeral port) becomes *"},
	{"network-inbound", tNetLocal, "decided: local:*:PORT as for network-bind (only an allow report was seen)"},
	{"network*", tNetOutbound, "as network-outbound"},
	{"iokit-open-user-client", tIOKitClient, "user-client class"},
	{"iokit-open", tIOKitClient, "the 10.x name of iokit-open-user-client"},
	{"iokit-open*", tIOKitClient, "user-client class"},
	{"iokit-open-service", tIOKitService, "decided: the service class, (iokit-registry-entry-class C); the lines seen were System Policy denials"},
	{"user-preference-read", tPreference, "preference domain"},
	{"user-preference-write", tPreference, "preference domain"},
	{"user-preference*", tPreference, "preference domain"},
	{"managed-preference-read", tPreference, "preference domain"},
	{"signal", tSignal, "decided: others|children|initproc|... [NAME(PID)] signum:N becomes (require-all (target T) (signal-number N))"},
	{"appleevent-send", tAppleEvent, "bundle identifier of the destination"},
	{"system-socket", tSocket, "domain:D type:T protocol:P"},
	{"system-fsctl", tFsctl, "decided: (fsctl-command (_IO ...)) from the logged command (one fixture only)"},
	{"system-privilege", tPrivilege, "decided: (privilege-id N) (one System Policy example)"},
	{"system-info", tInfo, "decided: (info-type T) (one example)"},
	{"darwin-notification-post", tNotification, "decided: (notification-name N) (no denial seen)"},
	{"distributed-notification-post", tNotification, "decided: (notification-name N) (no denial seen)"},
	{"authorization-right-obtain", tRight, "decided: (right-name R) (no denial seen)"},
	{"process-fork", tNone, "no filter applies"},
	{"pseudo-tty", tNone, "no filter applies"},
	{"lsopen", tNone, "no filter applies"},
	{"job-creation", tNone, "no filter applies"},
	{"hid-control", tNone, "no filter applies"},
	// Families.
	{"file-", tPath, "absolute, resolved path"},
	{"file*", tPath, "absolute, resolved path"},
	{"ipc-posix-shm", tIPC, "POSIX shared-memory name"},
	{"ipc-posix-sem", tIPC, "decided: POSIX semaphore name as for shm (no denial seen)"},
	{"ipc-posix", tIPC, "POSIX IPC name"},
}

// lookupOp returns the table entry for op.
func lookupOp(op string) (opEntry, bool) {
	for _, e := range opTable {
		if e.op == op {
			return e, true
		}
	}
	best, ok := opEntry{}, false
	for _, e := range opTable {
		pre := strings.TrimSuffix(e.op, "*")
		family := strings.HasSuffix(e.op, "-") || strings.HasSuffix(e.op, "*") || e.op == "ipc-posix-shm" || e.op == "ipc-posix-sem" || e.op == "ipc-posix"
		if family && strings.HasPrefix(op, pre) && (!ok || len(pre) > len(strings.TrimSuffix(best.op, "*"))) {
			best, ok = e, true
		}
	}
	return best, ok
}

// target is a logged target read for its operation.
type target struct {
	kind targetKind
	// path is the canonical path of a path target (also a unix socket and
	// the path of an ioctl).
	path string
	// filter is the narrowest filter matching exactly this target (for
	// path kinds, the literal).
	filter Filter
	// query is the resource in sbplc query syntax, "" for none.
	query string
	// node is set for a logged top-level symlink (/tmp, /var, /etc): the
	// kernel checked the link itself, which the engine (it canonicalises
	// every request) cannot model.
	node bool
	note string
}

var (
	ioctlArg = lazyre.New(`^\(_IO[RW]{0,2} "[A-Za-z0-9]" [0-9]{1,5}( [A-Za-z0-9_]{1,64})?\)$`)
	sigRe    = lazyre.New(`^(self|pgrp|others|children|same-sandbox|initproc)\b(?:\s+\[[^\]]*\])?(?:\s+signum:([0-9]{1,3}))?\s*$`)
	socketRe = lazyre.New(`^domain:([0-9]{1,5}) type:([0-9]{1,5}) protocol:([0-9]{1,5})$`)
	nameRe   = lazyre.New(`^[^\x00-\x1f"\\ ]{1,1000}$`)
)

// readTarget reads the logged target of op. An error says why no rule can
// be written for it.
func readTarget(op string, e opEntry, text string) (target, error) {
	t := target{kind: e.kind}
	switch e.kind {
	case tNone:
		if text != "" {
			t.note = fmt.Sprintf("%s takes no filter: the logged target %q is not used", op, text)
		}
		return t, nil
	case tPath:
		return pathTarget(t, strings.TrimPrefix(text, "path:"))
	case tIoctl:
		p, cmd, _ := strings.Cut(strings.TrimPrefix(text, "path:"), " ioctl-command:")
		t, err := pathTarget(t, p)
		if err != nil {
			return t, err
		}
		if cmd == "" {
			return t, nil
		}
		if !ioctlArg().MatchString(cmd) {
			t.note = fmt.Sprintf("ioctl command %q is not in the (_IO \"g\" N) form: the rule names the path only", cmd)
			return t, nil
		}
		t.filter = Filter{Name: "require-all", All: []Filter{t.filter, {Name: "ioctl-command", Raw: cmd}}}
		return t, nil
	case tNetOutbound:
		if strings.HasPrefix(text, "/") {
			t.kind = tPath
			t, err := pathTarget(t, text)
			t.query = "unix:" + t.path
			return t, err
		}
		return netTarget(t, "remote", strings.TrimPrefix(strings.TrimPrefix(text, "remote:"), "local:"))
	case tNetLocal:
		return netTarget(t, "local", strings.TrimPrefix(text, "local:"))
	case tSignal:
		m := sigRe().FindStringSubmatch(text)
		if m == nil {
			return t, fmt.Errorf("signal target %q is not a process relation (others, children, initproc, ...)", text)
		}
		t.query = m[1]
		t.filter = Filter{Name: "target", Sym: m[1]}
		if m[2] != "" {
			n, _ := strconv.Atoi(m[2])
			t.filter = Filter{Name: "require-all", All: []Filter{t.filter, {Name: "signal-number", Int: int64(n), HasInt: true}}}
		}
		return t, nil
	case tSocket:
		m := socketRe().FindStringSubmatch(text)
		if m == nil {
			return t, fmt.Errorf("socket target %q is not domain:D type:T protocol:P", text)
		}
		var parts []Filter
		for i, name := range []string{"socket-domain", "socket-type", "socket-protocol"} {
			n, _ := strconv.Atoi(m[i+1])
			parts = append(parts, Filter{Name: name, Int: int64(n), HasInt: true})
		}
		t.filter = Filter{Name: "require-all", All: parts}
		return t, nil
	case tFsctl:
		if !ioctlArg().MatchString(text) {
			return t, fmt.Errorf("fsctl command %q is not in the (_IO \"g\" N) form", text)
		}
		t.filter = Filter{Name: "fsctl-command", Raw: text}
		return t, nil
	case tPrivilege:
		n, err := strconv.Atoi(text)
		if err != nil || n < 0 {
			return t, fmt.Errorf("privilege %q is not a number", text)
		}
		t.filter = Filter{Name: "privilege-id", Int: int64(n), HasInt: true}
		return t, nil
	}
	// Name targets.
	name := text
	filter := map[targetKind]string{
		tGlobalName: "global-name", tMachRegister: "global-name", tSysctl: "sysctl-name",
		tIOKitClient: "iokit-user-client-class", tIOKitService: "iokit-registry-entry-class",
		tPreference: "preference-domain", tIPC: "ipc-posix-name", tAppleEvent: "appleevent-destination",
		tInfo: "info-type", tNotification: "notification-name", tRight: "right-name",
	}[e.kind]
	if e.kind == tMachRegister {
		if n, ok := strings.CutSuffix(name, " (per-pid)"); ok {
			name, filter = n, "local-name"
			t.query = "local:" + n
		}
	}
	if name == "" {
		return t, fmt.Errorf("%s names no %s", op, strings.TrimSuffix(filter, "-name"))
	}
	if !nameRe().MatchString(name) {
		return t, fmt.Errorf("%s target %q is not a name", op, name)
	}
	if t.query == "" {
		t.query = name
	}
	t.filter = Filter{Name: filter, Str: name}
	return t, nil
}

// pathTarget reads an absolute path and canonicalises it the way the
// kernel reports paths (/tmp/x is /private/tmp/x). The top-level links
// themselves (/tmp, /var, /etc) are kept: a lookup through a link is
// checked under the link's own name (semantics.md §2).
func pathTarget(t target, p string) (target, error) {
	if !strings.HasPrefix(p, "/") {
		return t, fmt.Errorf("target %q is not an absolute path", p)
	}
	switch p {
	case "/tmp", "/var", "/etc":
		t.path, t.node, t.query = p, true, p
		t.filter = Filter{Name: "literal", Path: p}
		t.note = p + " is the symbolic link itself: Seatbelt checks a link under its own name while resolving it, so the rule keeps the logged spelling"
		return t, nil
	}
	c, err := policy.CanonicalPath(p)
	if err != nil {
		return t, err
	}
	t.path, t.query = c, c
	t.filter = Filter{Name: "literal", Path: c}
	return t, nil
}

// netTarget reads HOST:PORT. The host is * or localhost in every line seen;
// a loopback address becomes localhost, any other address * (SBPL accepts
// no other host). Port 0 (an ephemeral bind) becomes *.
func netTarget(t target, filter, text string) (target, error) {
	i := strings.LastIndexByte(text, ':')
	if i < 0 {
		return t, fmt.Errorf("network target %q is not HOST:PORT", text)
	}
	host, port := strings.Trim(text[:i], "[]"), text[i+1:]
	switch host {
	case "*", "localhost":
	case "127.0.0.1", "::1":
		host = "localhost"
	case "":
		return t, fmt.Errorf("network target %q has no host", text)
	default:
		t.note = fmt.Sprintf("host %s: SBPL accepts only * or localhost, so the rule names *", host)
		host = "*"
	}
	if port != "*" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 0 || n > 65535 {
			return t, fmt.Errorf("network target %q has no valid port", text)
		}
		if n == 0 {
			port = "*"
			t.note = "port 0 is an ephemeral port chosen by the kernel: the rule allows any port"
		}
	}
	t.filter = Filter{Name: filter, Sym: "ip", Addr: host + ":" + port}
	t.query = "ip:" + host + ":" + port
	return t, nil
}
