package policy

import (
	"strings"
	"testing"
)

func TestCanonicalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/tmp":                       "/private/tmp",
		"/tmp/x":                     "/private/tmp/x",
		"/var/folders/ab":            "/private/var/folders/ab",
		"/etc/hosts":                 "/private/etc/hosts",
		"/tmpx":                      "/tmpx",
		"/private/tmp/x":             "/private/tmp/x",
		"//Users///me/./a/../b/":     "/Users/me/b",
		"/..":                        "/",
		"/a/../tmp/x":                "/private/tmp/x",
		"/System/Volumes/Data/Users": "/System/Volumes/Data/Users",
		// Data-volume spellings of /private are checked as /private.
		"/System/Volumes/Data/private/etc/hosts": "/private/etc/hosts",
		"/System/Volumes/Data/private":           "/private",
		"/System/Volumes/Data/privatex":          "/System/Volumes/Data/privatex",
		"/tmp/":                                  "/private/tmp",
		"/private/tmp":                           "/private/tmp",
		"/etcetera":                              "/etcetera",
		"/variable/x":                            "/variable/x",
		"/x/tmp/y":                               "/x/tmp/y",
		"/../../etc/passwd":                      "/private/etc/passwd",
		// The symlink is resolved before a later "..": /tmp/.. is /private.
		"/tmp/..":           "/private",
		"/tmp/../x":         "/private/x",
		"/var/../etc/hosts": "/private/etc/hosts",
		"/tmp/./../tmp/x":   "/private/tmp/x",
		"/private/../tmp":   "/private/tmp",
		"/":                 "/",
	} {
		got, err := CanonicalPath(in)
		if err != nil || got != want {
			t.Errorf("CanonicalPath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := CanonicalPath("relative/x"); err == nil || !strings.Contains(err.Error(), "absolute") {
		t.Errorf("relative path: %v", err)
	}
	if !IsCanonicalPath("/private/tmp") || IsCanonicalPath("/tmp/x") || IsCanonicalPath("/a/") {
		t.Error("IsCanonicalPath wrong")
	}
}

// TestResolvePath pins the symlinks a lookup crosses: each is checked as
// file-read-metadata on the link itself.
func TestResolvePath(t *testing.T) {
	for _, c := range []struct {
		in, path string
		links    []string
		onLink   bool
	}{
		{"/etc/hosts", "/private/etc/hosts", []string{"/etc"}, false},
		{"/etc", "/private/etc", []string{"/etc"}, true},
		{"/etc/", "/private/etc", []string{"/etc"}, false},
		{"/etc/.", "/private/etc", []string{"/etc"}, false},
		{"/private/etc/hosts", "/private/etc/hosts", nil, false},
		{"/tmp/../var/x", "/private/var/x", []string{"/tmp"}, false}, // /tmp/.. is /private
		{"/tmp/../tmp", "/private/tmp", []string{"/tmp"}, false},
		{"/x/../var", "/private/var", []string{"/var"}, true},
		{"/System/Volumes/Data/private/var/db", "/private/var/db", nil, false},
		{"/Users/me", "/Users/me", nil, false},
	} {
		lk, err := ResolvePath(c.in)
		if err != nil || lk.Path != c.path || strings.Join(lk.Links, " ") != strings.Join(c.links, " ") || lk.OnLink != c.onLink {
			t.Errorf("ResolvePath(%q) = %+v, %v; want %s %v %v", c.in, lk, err, c.path, c.links, c.onLink)
		}
	}
	// file-read-metadata of a link itself is lstat: checked on the link.
	r, err := ParseResource("file-read-metadata", "/tmp")
	if err != nil || r.Path != "/tmp" || len(r.Links) != 0 {
		t.Errorf("lstat /tmp: %+v %v", r, err)
	}
	r, err = ParseResource("file-read-data", "/tmp")
	if err != nil || r.Path != "/private/tmp" || strings.Join(r.Links, " ") != "/tmp" {
		t.Errorf("opendir /tmp: %+v %v", r, err)
	}
	if !IsSymlink("/tmp") || IsSymlink("/tmp/") || IsSymlink("/private/tmp") || IsSymlink("/tmpx") {
		t.Error("IsSymlink wrong")
	}
}

func TestParseResource(t *testing.T) {
	for _, c := range []struct {
		op, text, canon string
		kind            Kind
	}{
		{"file-read-data", "/tmp/../etc/x", "/private/etc/x", KindPath},
		{"process-exec*", "/bin/sh", "/bin/sh", KindPath},
		{"mach-lookup", "com.apple.x", "com.apple.x", KindName},
		{"mach-lookup", "local:com.apple.x", "local:com.apple.x", KindName},
		{"sysctl-read", "kern.osversion", "kern.osversion", KindName},
		{"network-outbound", "tcp:*:443", "tcp:*:443", KindNetwork},
		{"network-outbound", "UDP6:[::1]:53", "udp6:[::1]:53", KindNetwork},
		{"network-outbound", "tcp:127.0.0.1:80", "tcp4:127.0.0.1:80", KindNetwork},
		{"network-outbound", "ip:localhost:*", "ip:localhost:*", KindNetwork},
		{"network-outbound", "tcp4:127.0.0.1:1", "tcp4:127.0.0.1:1", KindNetwork},
		{"network-outbound", "tcp6:[::ffff:127.0.0.1]:1", "tcp6:[::ffff:127.0.0.1]:1", KindNetwork},
		{"network-outbound", "tcp:::1:22", "tcp6:[::1]:22", KindNetwork},
		{"network-outbound", "unix:/var/run/x.sock", "unix:/private/var/run/x.sock", KindUnix},
		{"network-outbound", "/var/run/x.sock", "unix:/private/var/run/x.sock", KindUnix},
		{"signal", "Others", "others", KindTarget},
		{"process-info-pidinfo", "self", "self", KindTarget},
		{"process-fork", "", "", KindNone},
		{"mach-priv-host-port", "(any)", "", KindNone},
		{"default", "/x", "/x", KindPath},
		{"default", "com.x", "com.x", KindName},
		// Paths and names are exact: a file name may end in a space.
		{"file-read-data", "/a/b ", "/a/b ", KindPath},
		{"mach-lookup", " com.x ", " com.x ", KindName},
		{"signal", " self ", "self", KindTarget},
		{"network-outbound", " tcp:*:1 ", "tcp:*:1", KindNetwork},
	} {
		r, err := ParseResource(c.op, c.text)
		if err != nil {
			t.Errorf("ParseResource(%s, %q): %v", c.op, c.text, err)
			continue
		}
		if r.Kind != c.kind || r.Canonical() != c.canon {
			t.Errorf("ParseResource(%s, %q) = %v %q, want %v %q", c.op, c.text, r.Kind, r.Canonical(), c.kind, c.canon)
		}
	}
	for _, c := range []struct{ op, text, msg string }{
		{"file-read-data", "x/y", "not absolute"},
		{"file-read-data", "", "needs a resource"},
		{"network-outbound", "tcp:*", "port missing"},
		{"network-outbound", "tcp:*:99999", "invalid port"},
		{"network-outbound", "sctp:*:1", "unknown protocol"},
		{"network-outbound", "example.com", "PROTO:HOST:PORT"},
		{"signal", "parent", "unknown target"},
		{"network-outbound", "udp6:127.0.0.1:53", "is an IPv4 address, not IPv6"},
		{"network-outbound", "tcp4:[::1]:22", "is an IPv6 address, not IPv4"},
	} {
		_, err := ParseResource(c.op, c.text)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("ParseResource(%s, %q) error = %v, want %q", c.op, c.text, err, c.msg)
		}
	}
}

func TestExpandHome(t *testing.T) {
	for in, want := range map[string]string{
		"~/.ssh":        "/Users/u/.ssh",
		"~":             "/Users/u",
		"unix:~/.x/s":   "unix:/Users/u/.x/s",
		"/abs/~/x":      "/abs/~/x",
		"~other/x":      "~other/x",
		"com.apple.foo": "com.apple.foo",
	} {
		if got := ExpandHome(in, "/Users/u/"); got != want {
			t.Errorf("ExpandHome(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseResource(f *testing.F) {
	for _, s := range []string{"/tmp/x", "tcp:*:443", "unix:/a", "self", "udp6:[::1]:53", "/../..//."} {
		f.Add("network-outbound", s)
		f.Add("file-read-data", s)
	}
	f.Fuzz(func(t *testing.T, op, s string) {
		r, err := ParseResource(op, s)
		if err != nil {
			return
		}
		if r.Kind == KindPath || r.Kind == KindUnix {
			if !IsCanonicalPath(r.Path) && !IsSymlink(r.Path) {
				t.Fatalf("ParseResource(%q, %q) path %q is not canonical", op, s, r.Path)
			}
		}
		// Canonical text parses back to the same resource.
		if r.Kind != KindNone && r.Kind != KindName {
			r2, err := ParseResource(op, r.Canonical())
			if err != nil || r2.Canonical() != r.Canonical() {
				t.Fatalf("round trip of %q: %q -> %v %q", s, r.Canonical(), err, r2.Canonical())
			}
		}
	})
}
