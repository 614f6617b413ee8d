// Package liveaudit is `sbplc audit --live`: it attempts each of audit's
// escape-vector probes inside a child sandboxed with the profile, and
// compares the answer of the running macOS with sbplc's offline one. A
// disagreement is a bug in sbplc's model of libsandbox (or a change in a
// new macOS release).
//
// Attempts are harmless by construction: file attempts happen only inside
// a scratch directory (which stands for the home and the project
// directory, so the ~ and $P probes land there) and never write data; a
// connect is closed at once without sending anything, to a documentation
// address (192.0.2.1) when the probe names any host; an exec'd program is
// killed as soon as the exec succeeded; the only signal sent is SIGCONT to
// the parent sbplc. Whatever cannot be attempted that way (writes outside
// the scratch directory, mounts, privileged operations, Apple events, IOKit)
// is reported as not attempted, with the reason.
//
// Plan (probe -> Attempt) and Run (compare, count) are plain Go and are
// tested with a fake Prober; SandboxProber runs attempts through the
// sandbox package's child stage, and Execute performs one attempt with
// system calls (the darwin ones in execute_darwin.go).
package liveaudit

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sbplc/sbplc/policy"
)

// Attempt kinds.
const (
	KindOpenRead   = "open-read"    // open(2) O_RDONLY, closed at once
	KindOpenWrite  = "open-write"   // open(2) O_WRONLY of an existing file, nothing written
	KindCreate     = "create"       // open(2) O_CREAT|O_EXCL of an absent file
	KindMkdir      = "mkdir"        // mkdir(2) of an absent directory
	KindUnlink     = "unlink"       // unlink(2) of a scratch file
	KindRmdir      = "rmdir"        // rmdir(2) of a non-empty scratch directory (ENOTEMPTY: allowed)
	KindLink       = "link"         // link(2) to a new name beside the file
	KindClone      = "clone"        // clonefile(2) to a new name beside the file
	KindConnectTCP = "connect-tcp"  // non-blocking connect(2), closed at once
	KindConnectUDP = "connect-udp"  // connect(2) of a UDP socket (sends nothing)
	KindConnectUnx = "connect-unix" // connect(2) to a unix socket, closed at once
	KindBind       = "bind"         // bind(2) of a TCP socket, closed at once
	KindListen     = "listen"       // bind(2) and listen(2), closed at once
	KindExec       = "exec"         // execve(2) in the stage; the program is killed at once
	KindMachLookup = "mach-lookup"  // bootstrap_look_up(3); the send right is released
	KindSignal     = "signal"       // kill(2) SIGCONT to the parent sbplc
	KindPidinfo    = "pidinfo"      // proc_pidinfo(2) of the parent sbplc
)

// Fixture kinds: what the parent prepares, unsandboxed, before an attempt.
const (
	FixFile   = "file"   // a regular file
	FixDir    = "dir"    // a directory holding a file
	FixAbsent = "absent" // nothing there, the parent directory present
	FixSocket = "socket" // a listening unix socket
	FixExec   = "exec"   // an executable (a copy of true)
)

// Attempt is one harmless try of a probe's request.
type Attempt struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	// Path is the file, socket or program; Dest the new name of a link
	// or clone.
	Path string `json:"path,omitempty"`
	Dest string `json:"dest,omitempty"`
	// Addr is host:port for network attempts (an IP address).
	Addr string `json:"addr,omitempty"`
	// Name is the mach service.
	Name    string `json:"name,omitempty"`
	Fixture string `json:"fixture,omitempty"`
	// Needs are requests the attempt makes besides the probe's own, which
	// the profile must allow for the answer to mean anything (a link
	// creates its new name): "OP RESOURCE".
	Needs []string `json:"needs,omitempty"`
}

// Answer is what a live attempt showed.
type Answer string

// Answers.
const (
	Allowed      Answer = "allowed"
	Denied       Answer = "denied"
	Inconclusive Answer = "inconclusive" // the attempt could not tell (the file system or the kernel refused for another reason)
	NotAttempted Answer = "not-attempted"
)

// Outcome is a live answer with what showed it ("open: operation not
// permitted") or why there is none.
type Outcome struct {
	Answer Answer `json:"answer"`
	Detail string `json:"detail,omitempty"`
}

// Prober performs attempts under the profile. An error means no attempt
// can be made at all (the profile cannot be applied): the run stops.
type Prober interface {
	Probe(ctx context.Context, a Attempt) (Outcome, error)
}

// Row is one probe's comparison.
type Row struct {
	Result policy.ProbeResult
	// Offline is sbplc's answer: allow, deny, unknown or skipped.
	Offline string
	Live    Outcome
	// Agree is "yes", "no" (a model bug) or "n/a" (no comparable pair).
	Agree string
}

// Disagrees reports whether sbplc and the live system gave opposite
// answers.
func (r Row) Disagrees() bool { return r.Agree == "no" }

// Run attempts every probe of results (an offline audit made with the
// scratch directory's home and project) and compares. Needs are checked
// against e. It stops at the first Prober error.
func Run(ctx context.Context, results []policy.ProbeResult, e *policy.Engine, sc *Scratch, p Prober) ([]Row, error) {
	rows := make([]Row, 0, len(results))
	for _, r := range results {
		row := Row{Result: r, Offline: offline(r), Agree: "n/a"}
		a, why := Plan(r, sc)
		if why == "" {
			why = unmet(e, a.Needs)
		}
		if why != "" {
			row.Live = Outcome{Answer: NotAttempted, Detail: why}
		} else {
			out, err := p.Probe(ctx, a)
			if err != nil {
				return rows, err
			}
			row.Live = out
		}
		switch {
		case row.Offline == "allow" && row.Live.Answer == Allowed, row.Offline == "deny" && row.Live.Answer == Denied:
			row.Agree = "yes"
		case row.Offline == "allow" && row.Live.Answer == Denied, row.Offline == "deny" && row.Live.Answer == Allowed:
			row.Agree = "no"
		}
		rows = append(rows, row)
		if ctx.Err() != nil {
			return rows, ctx.Err()
		}
	}
	return rows, nil
}

func offline(r policy.ProbeResult) string {
	if r.Skipped != "" {
		return "skipped"
	}
	switch r.Decision.Result {
	case policy.Allow:
		return "allow"
	case policy.Deny:
		return "deny"
	}
	return "unknown"
}

// unmet is why the needs of an attempt keep its answer from meaning
// anything ("" when the profile allows them all, by sbplc's model).
func unmet(e *policy.Engine, needs []string) string {
	for _, n := range needs {
		op, res, _ := strings.Cut(n, " ")
		d, err := e.QueryText(op, res)
		if err != nil || d.Result != policy.Allow {
			return "the attempt also needs " + n + ", which the profile does not allow"
		}
	}
	return ""
}

// Plan maps a probe to its attempt, or says why there is none.
func Plan(r policy.ProbeResult, sc *Scratch) (Attempt, string) {
	if r.Skipped != "" {
		return Attempt{}, "skipped offline: " + r.Skipped
	}
	a := Attempt{ID: r.ID}
	// The resolved path Seatbelt checks, which is the real one: the
	// scratch directory is resolved (NewScratch).
	res := r.Resource
	inScratch := sc.Contains(res)
	dir := r.Vnode == "DIRECTORY"
	switch op := r.Op; op {
	case "file-read-data":
		a.Kind, a.Path, a.Fixture = KindOpenRead, res, FixFile
		if dir {
			a.Fixture = FixDir
		}
	case "file-write-data":
		if dir {
			return a, "no harmless write attempt on a directory"
		}
		a.Kind, a.Path, a.Fixture = KindOpenWrite, res, FixFile
	case "file-write-create":
		a.Kind, a.Path, a.Fixture = KindCreate, res, FixAbsent
		if dir {
			a.Kind = KindMkdir
		}
	case "file-write-unlink":
		a.Kind, a.Path, a.Fixture = KindUnlink, res, FixFile
		if dir {
			a.Kind, a.Fixture = KindRmdir, FixDir
		}
	case "file-link", "file-clone":
		a.Kind, a.Path, a.Fixture = KindLink, res, FixFile
		if op == "file-clone" {
			a.Kind = KindClone
		}
		a.Dest = res + ".sbplc-live"
		a.Needs = []string{"file-write-create " + a.Dest}
	case "process-exec*", "process-exec":
		a.Kind, a.Path = KindExec, res
		if inScratch {
			a.Fixture = FixExec
		} else if !strings.HasPrefix(res, "/") {
			return a, "no program path"
		}
		return a, ""
	case "network-outbound", "network-bind", "network-inbound":
		return planNetwork(a, op, res, sc)
	case "mach-lookup":
		if res == "" {
			return a, "no service name"
		}
		a.Kind, a.Name = KindMachLookup, res
		return a, ""
	case "signal":
		if res != "others" {
			return a, "only the target others is attempted (SIGCONT to the parent sbplc)"
		}
		a.Kind = KindSignal
		return a, ""
	case "process-info-pidinfo":
		if res != "others" {
			return a, "only the target others is attempted (the parent sbplc)"
		}
		a.Kind = KindPidinfo
		return a, ""
	default:
		return a, "no harmless attempt for " + op
	}
	if !inScratch {
		return a, "outside the scratch directory: file attempts stay inside it"
	}
	return a, ""
}

// planNetwork plans a network probe ("tcp:*:443", "unix:/path").
func planNetwork(a Attempt, op, res string, sc *Scratch) (Attempt, string) {
	if path, ok := strings.CutPrefix(res, "unix:"); ok {
		if op != "network-outbound" {
			return a, "no harmless attempt for " + op + " of a unix socket"
		}
		a.Kind, a.Path = KindConnectUnx, path
		if sc.Contains(path) {
			a.Fixture = FixSocket
		}
		return a, ""
	}
	proto, hostport, ok := strings.Cut(res, ":")
	host, port, ok2 := strings.Cut(hostport, ":")
	n, err := strconv.Atoi(port)
	if !ok || !ok2 || err != nil || n <= 0 || n > 65535 || proto != "tcp" && proto != "udp" {
		return a, "no harmless attempt for " + op + " " + res
	}
	switch host {
	case "*":
		// Any host: a documentation address (RFC 5737) that nothing
		// answers, so a connect that gets through goes nowhere.
		host = "192.0.2.1"
		if op != "network-outbound" {
			host = "0.0.0.0"
		}
	case "localhost":
		host = "127.0.0.1"
	default:
		return a, "only * and localhost hosts are attempted"
	}
	a.Addr = fmt.Sprintf("%s:%d", host, n)
	switch {
	case op == "network-outbound" && proto == "tcp":
		a.Kind = KindConnectTCP
	case op == "network-outbound":
		a.Kind = KindConnectUDP
	case proto != "tcp":
		return a, "only TCP binds are attempted"
	case op == "network-bind":
		a.Kind = KindBind
	default:
		a.Kind = KindListen
		a.Needs = []string{"network-bind " + res}
	}
	return a, ""
}

// Scratch is the directory live attempts work in. Home and Project stand
// for ~ and $P (the offline audit uses the same).
type Scratch struct {
	Root, Home, Project string
}

// Contains reports whether path is inside the scratch directory.
func (s *Scratch) Contains(path string) bool {
	rel, err := filepath.Rel(s.Root, path)
	return err == nil && filepath.IsAbs(path) && rel != ".." && !strings.HasPrefix(rel, "../") && rel != "."
}
