package policy

import (
	"fmt"
	"net/netip"
	"path"
	"strconv"
	"strings"
)

// Kind says what a Resource names.
type Kind uint8

// Resource kinds.
const (
	KindNone    Kind = iota // no resource (operations such as process-fork)
	KindPath                // a file system path (file-*, process-exec*)
	KindName                // a name: mach service, sysctl, IOKit class, preference domain, ...
	KindNetwork             // an IP endpoint PROTO:HOST:PORT (network-*)
	KindUnix                // a unix-domain socket path (network-*)
	KindTarget              // a process relation: self, others, children, ... (signal, process-info*)
)

// String names the kind.
func (k Kind) String() string {
	return [...]string{"none", "path", "name", "network", "unix-socket", "target"}[k]
}

// Namespace qualifies a mach name.
type Namespace uint8

// Mach name spaces: a global bootstrap name (the default), a per-process
// local name (`local:NAME`) or an XPC service name (`xpc:NAME`).
const (
	Global Namespace = iota
	Local
	XPC
)

// AnyPort is Resource.Port for `*`: a port that no rule names specifically.
const AnyPort = -1

// Resource is what an operation acts on, in canonical form.
type Resource struct {
	Kind Kind
	Text string // as the caller wrote it

	Path string // KindPath, KindUnix: the canonical path (for lstat of a root symlink, the link)
	// Links are the symlinks the lookup crosses (KindPath, KindUnix; see
	// Lookup): the engine checks each as file-read-metadata on the link.
	Links []string

	Name string // KindName
	NS   Namespace

	// KindNetwork. Proto is ip, tcp or udp; Family is 0 (unspecified), 4 or 6.
	// Host is "*" (a host that no rule names specifically), "localhost"
	// or an address/name as written; Port is a number or AnyPort.
	Proto  string
	Family int
	Host   string
	Port   int

	Target string // KindTarget: self, pgrp, others, children, same-sandbox, initproc

	// Vnode is the file type for vnode-type filters (REGULAR-FILE,
	// DIRECTORY, ...); "" when not known, which makes vnode-type filters
	// unknown.
	Vnode string
}

// Canonical renders the resource in the engine's syntax, with the path
// canonicalised.
func (r Resource) Canonical() string {
	switch r.Kind {
	case KindPath:
		return r.Path
	case KindUnix:
		return "unix:" + r.Path
	case KindName:
		switch r.NS {
		case Local:
			return "local:" + r.Name
		case XPC:
			return "xpc:" + r.Name
		}
		return r.Name
	case KindNetwork:
		proto := r.Proto
		if r.Family != 0 {
			proto += strconv.Itoa(r.Family)
		}
		host := r.Host
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		port := "*"
		if r.Port != AnyPort {
			port = strconv.Itoa(r.Port)
		}
		return proto + ":" + host + ":" + port
	case KindTarget:
		return r.Target
	}
	return ""
}

// Family is the resource syntax an operation takes.
func Family(op string) Kind {
	switch {
	case op == "signal" || strings.HasPrefix(op, "process-info") ||
		strings.HasPrefix(op, "mach-task") || op == "mach-priv-task-port" ||
		strings.HasPrefix(op, "process-codesigning") || op == "system-sched":
		return KindTarget
	case strings.HasPrefix(op, "file") || strings.HasPrefix(op, "process-exec"):
		return KindPath
	case strings.HasPrefix(op, "network"):
		return KindNetwork
	case takesNoResource(op):
		return KindNone
	case strings.HasPrefix(op, "mach-") || strings.HasPrefix(op, "sysctl") ||
		strings.HasPrefix(op, "iokit") || strings.Contains(op, "preference") ||
		strings.HasPrefix(op, "xpc") || strings.HasPrefix(op, "appleevent") ||
		strings.HasSuffix(op, "notification-post") || strings.HasPrefix(op, "ipc-posix") ||
		strings.HasPrefix(op, "nvram") || op == "authorization-right-obtain" ||
		op == "boot-arg-set" || strings.HasPrefix(op, "system-kext"):
		return KindName
	}
	return KindNone
}

// takesNoResource reports whether op is checked without a resource (no
// filter applies to it), so a query names none.
func takesNoResource(op string) bool {
	return op == "mach-priv-host-port" || op == "process-fork" || op == "lsopen"
}

// ParseResource parses RESOURCE as written on the command line for op:
//
//   - file-* and process-exec*: an absolute path, resolved by ResolvePath
//     (/tmp, /var and /etc become /private/..., //, . and .. collapse; the
//     symlinks crossed are kept in Links; file-read-metadata of a root
//     symlink itself, lstat, is checked on the link's own path);
//   - mach-*, sysctl-*, iokit-*, preferences, xpc, appleevent-send, ...: a
//     name (mach names may be written local:NAME or xpc:NAME);
//   - network-*: PROTO:HOST:PORT (PROTO ip, tcp or udp, optionally with 4
//     or 6; HOST * or localhost or an address; PORT a number or *), or
//     unix:PATH or an absolute path for a unix-domain socket;
//   - signal, process-info*, mach-task-*: self, pgrp, others, children,
//     same-sandbox or initproc;
//   - anything else: an absolute path, a name, or "" / "-" / "(any)" for
//     none.
func ParseResource(op, text string) (Resource, error) {
	// Paths and names are taken byte for byte (a file name may end in a
	// space); the other syntaxes tolerate surrounding blanks.
	r := Resource{Text: text, Port: AnyPort}
	fam := Family(op)
	if fam == KindTarget || fam == KindNetwork && !strings.HasPrefix(text, "unix:") && !strings.HasPrefix(text, "/") {
		text = strings.TrimSpace(text)
		r.Text = text
	}
	if t := strings.TrimSpace(text); t == "" || t == "-" || t == "(any)" {
		if fam == KindPath || fam == KindNetwork || fam == KindTarget || fam == KindName {
			return r, fmt.Errorf("%s needs a resource (%s)", op, familyHint(fam))
		}
		return r, nil
	}
	if takesNoResource(op) {
		return r, fmt.Errorf("%s takes no resource: remove %q", op, text)
	}
	switch fam {
	case KindTarget:
		t := strings.ToLower(text)
		if !validTarget(t) {
			return r, fmt.Errorf("unknown target %q for %s: use self, pgrp, others, children, same-sandbox or initproc", text, op)
		}
		r.Kind, r.Target = KindTarget, t
		return r, nil
	case KindNetwork:
		return parseNetwork(r, text)
	case KindPath:
		return parsePathResource(r, op, text)
	case KindName:
		return parseName(r, op, text), nil
	}
	if strings.HasPrefix(text, "/") {
		return parsePathResource(r, op, text)
	}
	return parseName(r, op, text), nil
}

func familyHint(k Kind) string {
	switch k {
	case KindPath:
		return "an absolute path"
	case KindNetwork:
		return "PROTO:HOST:PORT such as tcp:*:443, or unix:PATH"
	case KindTarget:
		return "self, pgrp, others, children, same-sandbox or initproc"
	}
	return "a name"
}

func parseName(r Resource, op, text string) Resource {
	r.Kind = KindName
	r.Name = text
	if strings.HasPrefix(op, "mach-") {
		if n, ok := strings.CutPrefix(text, "local:"); ok {
			r.NS, r.Name = Local, n
		} else if n, ok := strings.CutPrefix(text, "xpc:"); ok {
			r.NS, r.Name = XPC, n
		}
	}
	return r
}

func parsePathResource(r Resource, op, text string) (Resource, error) {
	lk, err := ResolvePath(text)
	if err != nil {
		return r, err
	}
	r.Kind, r.Path, r.Links = KindPath, lk.Path, lk.Links
	if lk.OnLink && op == "file-read-metadata" {
		// lstat of the link itself: checked on the link's own path.
		n := len(lk.Links)
		r.Path, r.Links = lk.Links[n-1], lk.Links[:n-1:n-1]
	}
	if len(r.Links) == 0 {
		r.Links = nil
	}
	return r, nil
}

// VnodeTypes are the file types (vnode-type ...) names (semantics §5).
var VnodeTypes = []string{"REGULAR-FILE", "DIRECTORY", "BLOCK-DEVICE", "CHARACTER-DEVICE", "SYMLINK", "SOCKET", "FIFO", "TTY"}

// ParseVnodeType returns the canonical (upper-case) file type for s, or
// an error naming the valid ones.
func ParseVnodeType(s string) (string, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	for _, v := range VnodeTypes {
		if u == v {
			return v, nil
		}
	}
	return "", fmt.Errorf("unknown file type %q: use one of %s", s, strings.Join(VnodeTypes, ", "))
}

func validTarget(t string) bool {
	switch t {
	case "self", "pgrp", "others", "children", "same-sandbox", "initproc":
		return true
	}
	return false
}

func parseNetwork(r Resource, text string) (Resource, error) {
	if p, ok := strings.CutPrefix(text, "unix:"); ok {
		lk, err := ResolvePath(p)
		if err != nil {
			return r, fmt.Errorf("unix socket: %v", err)
		}
		r.Kind, r.Path, r.Links = KindUnix, lk.Path, lk.Links
		return r, nil
	}
	if strings.HasPrefix(text, "/") {
		lk, err := ResolvePath(text)
		if err != nil {
			return r, err
		}
		r.Kind, r.Path, r.Links = KindUnix, lk.Path, lk.Links
		return r, nil
	}
	proto, rest, ok := strings.Cut(text, ":")
	if !ok {
		return r, fmt.Errorf("network resource %q: write PROTO:HOST:PORT (e.g. tcp:*:443, udp:localhost:53) or unix:PATH", text)
	}
	var family int
	p := strings.ToLower(proto)
	switch {
	case strings.HasSuffix(p, "4"):
		family, p = 4, strings.TrimSuffix(p, "4")
	case strings.HasSuffix(p, "6"):
		family, p = 6, strings.TrimSuffix(p, "6")
	}
	if p != "ip" && p != "tcp" && p != "udp" {
		return r, fmt.Errorf("network resource %q: unknown protocol %q (use ip, tcp or udp, optionally with 4 or 6)", text, proto)
	}
	i := strings.LastIndexByte(rest, ':')
	if i < 0 {
		return r, fmt.Errorf("network resource %q: port missing (write PROTO:HOST:PORT)", text)
	}
	host, port := rest[:i], rest[i+1:]
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if host == "" {
		return r, fmt.Errorf("network resource %q: host missing (use *, localhost or an address)", text)
	}
	r.Port = AnyPort
	if port != "*" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 0 || n > 65535 {
			return r, fmt.Errorf("network resource %q: invalid port %q (use a number 0-65535 or *)", text, port)
		}
		r.Port = n
	}
	if a, err := netip.ParseAddr(host); err == nil {
		af := 6
		if a.Is4() || a.Is4In6() {
			af = 4
		}
		switch {
		case family == 0:
			family = af
		case family == 4 && !a.Is4() && !a.Is4In6(), family == 6 && a.Is4():
			return r, fmt.Errorf("network resource %q: %s is an IPv%d address, not IPv%d (write %s%d:... or leave the 4/6 out)", text, host, af, family, p, af)
		}
	}
	r.Kind, r.Proto, r.Family, r.Host = KindNetwork, p, family, strings.ToLower(host)
	return r, nil
}

// rootLinks are the symlinks at the root of the macOS system volume, each
// resolved into /private by the kernel before Seatbelt sees a path
// (semantics §2).
var rootLinks = [...]string{"tmp", "var", "etc"}

// dataPrivate is /private as spelled through the Data volume's mount
// point: Seatbelt checks /System/Volumes/Data/private/... as /private/...
// (measured). Other Data-volume spellings (firmlinks such as
// /System/Volumes/Data/Users) stay as written.
const dataPrivate = "/System/Volumes/Data/private"

// Lookup is what Seatbelt checks when a program names a path: the lookup
// resolves the root symlinks, and each symlink it crosses is checked as
// file-read-metadata on the link itself, spelled by its own path (so
// reading /etc/hosts needs file-read-metadata on /etc as well as the read
// of /private/etc/hosts; measured).
type Lookup struct {
	// Path is the canonical path the operation is checked on.
	Path string
	// Links are the symlinks the lookup crosses, outermost first ("/tmp").
	Links []string
	// OnLink is true when the path names a symlink itself ("/tmp", not
	// "/tmp/" or "/tmp/x"): an operation that does not follow the last
	// link, such as lstat's file-read-metadata, is checked on that link
	// (the last of Links) instead of Path.
	OnLink bool
}

// ResolvePath returns what Seatbelt checks for path p (see Lookup): //,
// /./ and /../ collapsed as the kernel does, the root symlinks /tmp, /var
// and /etc resolved to /private/tmp, /private/var and /private/etc, and
// /System/Volumes/Data/private/... checked as /private/.... p must be
// absolute. It is the one canonicalisation of sbplc: the decision engine
// answers queries with it and lint reports rule paths it never matches.
func ResolvePath(p string) (Lookup, error) {
	if !strings.HasPrefix(p, "/") {
		return Lookup{}, fmt.Errorf("path %q is not absolute: Seatbelt matches absolute, resolved paths", p)
	}
	if strings.IndexByte(p, 0) >= 0 {
		return Lookup{}, fmt.Errorf("path contains a NUL byte")
	}
	if activeMutation == mutNoCanonical {
		return Lookup{Path: path.Clean(p)}, nil
	}
	if !strings.Contains(p, "/tmp") && !strings.Contains(p, "/var") && !strings.Contains(p, "/etc") && !strings.Contains(p, dataPrivate) {
		return Lookup{Path: path.Clean(p)}, nil
	}
	// Walk the components as the kernel's lookup does: a top-level tmp,
	// var or etc is a symlink into /private, resolved before a later ".."
	// applies, so /tmp/.. is /private (not /).
	var lk Lookup
	comps := make([]string, 0, 8)
	parts := strings.Split(p, "/")
	for i, c := range parts {
		switch c {
		case "", ".":
		case "..":
			if len(comps) > 0 {
				comps = comps[:len(comps)-1]
			}
		default:
			comps = append(comps, c)
			if len(comps) == 1 && isRootLink(c) {
				lk.Links = append(lk.Links, "/"+c)
				lk.OnLink = i == len(parts)-1
				comps = append(comps[:0], "private", c)
				continue
			}
		}
		lk.OnLink = false
	}
	lk.Path = "/" + strings.Join(comps, "/")
	if rest, ok := strings.CutPrefix(lk.Path, dataPrivate); ok && (rest == "" || rest[0] == '/') && activeMutation != mutNoDataVolume {
		lk.Path = "/private" + rest
	}
	return lk, nil
}

func isRootLink(c string) bool {
	for _, l := range rootLinks {
		if c == l {
			return true
		}
	}
	return false
}

// CanonicalPath returns the path an operation on p is checked on
// (ResolvePath's Lookup.Path). Firmlinks other than the Data volume's
// /private are not collapsed: Seatbelt sees them as separate spellings.
// p must be absolute.
func CanonicalPath(p string) (string, error) {
	lk, err := ResolvePath(p)
	return lk.Path, err
}

// IsSymlink reports whether p names one of the root symlinks itself
// ("/tmp"), which Seatbelt checks only as file-read-metadata on the link.
func IsSymlink(p string) bool {
	if len(p) < 2 || p[0] != '/' {
		return false
	}
	return isRootLink(p[1:])
}

// IsCanonicalPath reports whether p is already in canonical form, i.e. a
// rule written with it can match.
func IsCanonicalPath(p string) bool {
	c, err := CanonicalPath(p)
	return err == nil && c == p
}

// ExpandHome replaces a leading ~ or ~/ in text (after an optional unix:
// prefix) by home.
func ExpandHome(text, home string) string {
	pre := ""
	if rest, ok := strings.CutPrefix(text, "unix:"); ok {
		pre, text = "unix:", rest
	}
	if text == "~" {
		if h := strings.TrimSuffix(home, "/"); h != "" {
			return pre + h
		}
		return pre + home
	}
	if rest, ok := strings.CutPrefix(text, "~/"); ok {
		return pre + strings.TrimSuffix(home, "/") + "/" + rest
	}
	return pre + text
}
