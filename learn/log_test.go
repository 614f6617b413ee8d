package learn

import (
	"strings"
	"testing"
	"time"
)

// scanAll reads every report of text.
func scanAll(t *testing.T, text string) ([]Report, Stats) {
	t.Helper()
	s := NewScanner(strings.NewReader(text))
	var out []Report
	for s.Scan() {
		out = append(out, s.Report())
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return out, s.Stats()
}

func TestParseLineShapes(t *testing.T) {
	type want struct {
		proc   string
		pid    int
		action string
		op     string
		target string
		count  int
		policy bool
		style  string
	}
	cases := []struct {
		line string
		want want
	}{
		// sandboxd, pre-10.12 (loghub Mac_2k.log).
		{`Jul  1 09:29:02 calvisitor-10-105-160-95 sandboxd[129] ([31211]): com.apple.Addres(31211) deny network-outbound /private/var/run/mDNSResponder`,
			want{"com.apple.Addres", 31211, "deny", "network-outbound", "/private/var/run/mDNSResponder", 1, false, "sandboxd"}},
		{`Mar 17 02:55:06 sandboxd[342]: Python(49765) deny file-write-unlink /System/Library/Frameworks/Python.framework/Versions/2.7/lib/python2.7/distutils/errors.pyc`,
			want{"Python", 49765, "deny", "file-write-unlink", "/System/Library/Frameworks/Python.framework/Versions/2.7/lib/python2.7/distutils/errors.pyc", 1, false, "sandboxd"}},
		// Kernel line in a 2017 syslog.
		{`Jul  1 09:32:13 calvisitor-10-105-160-95 kernel[0]: Sandbox: com.apple.Addres(31229) deny(1) network-outbound /private/var/run/mDNSResponder`,
			want{"com.apple.Addres", 31229, "deny", "network-outbound", "/private/var/run/mDNSResponder", 1, false, "text"}},
		// log show --style syslog.
		{`2023-05-26 13:44:59.840050+0200  localhost kernel[0]: (Sandbox) Sandbox: touch(41575) deny(1) sysctl-read kern.bootargs`,
			want{"touch", 41575, "deny", "sysctl-read", "kern.bootargs", 1, false, "text"}},
		{`2023-05-26 13:42:52.701382+0200  localhost kernel[0]: (Sandbox) 5 duplicate reports for Sandbox: sandbox-exec(41398) deny(1) file-read-metadata /var`,
			want{"sandbox-exec", 41398, "deny", "file-read-metadata", "/var", 5, false, "text"}},
		// compact.
		{`2000-01-01 00:00:00.000 E  kernel[0:35a4f] (Sandbox) 1 duplicate report for Sandbox: curl(3473) deny(1) mach-lookup com.apple.system.opendirectoryd.libinfo`,
			want{"curl", 3473, "deny", "mach-lookup", "com.apple.system.opendirectoryd.libinfo", 1, false, "text"}},
		{`2026-10-04 11:16:25.855 E  kernel[0:1bf69] [com.apple.sandbox.reporting:violation] Sandbox: touch(49530) deny(1) file-write* /private/var/folders/36/T/.tmpunEsrf/denied.txt`,
			want{"touch", 49530, "deny", "file-write*", "/private/var/folders/36/T/.tmpunEsrf/denied.txt", 1, false, "text"}},
		{`2026-10-08 17:43:10.173 Df kernel[0:ad30] (Sandbox) Sandbox: sing-box(15588) allow file-read-data /dev/dtracehelper`,
			want{"sing-box", 15588, "allow", "file-read-data", "/dev/dtracehelper", 1, false, "text"}},
		// default style.
		{`2019-09-25 20:38:53.784594-0700 0xdbf47    Error       0x0                  0      0    kernel: (Sandbox) Sandbox: mdworker(15726) deny(1) mach-lookup com.apple.security.syspolicy`,
			want{"mdworker", 15726, "deny", "mach-lookup", "com.apple.security.syspolicy", 1, false, "text"}},
		// System Policy, both placements.
		{`System Policy: diagnosticd(24307) deny(1) file-write-create /Library/Preferences/Logging/com.apple.diagnosticd.filter.jmh3MeNx`,
			want{"diagnosticd", 24307, "deny", "file-write-create", "/Library/Preferences/Logging/com.apple.diagnosticd.filter.jmh3MeNx", 1, true, "text"}},
		{`Sandbox: ls(6168) System Policy: deny(1) file-read-data /Library/Application Support/com.apple.TCC`,
			want{"ls", 6168, "deny", "file-read-data", "/Library/Application Support/com.apple.TCC", 1, true, "text"}},
		{`System Policy: configd(342)      deny(1) iokit-open-service IOUSBHostInterface`,
			want{"configd", 342, "deny", "iokit-open-service", "IOUSBHostInterface", 1, true, "text"}},
		// Names with spaces and parentheses; a version string as the name.
		{`Sandbox: Google Chrome Helper (Renderer)(812) deny(1) file-read-data /Users/me/a b/ç.txt`,
			want{"Google Chrome Helper (Renderer)", 812, "deny", "file-read-data", "/Users/me/a b/ç.txt", 1, false, "text"}},
		{`Sandbox: 2.1.34(5021) deny(1) file-read-data /Users/me/.claude.json`,
			want{"2.1.34", 5021, "deny", "file-read-data", "/Users/me/.claude.json", 1, false, "text"}},
		// No name (iOS 9), no target, a dmesg duplicate without a pid.
		{`Sandbox: deny(1) file-write-data /private/var/mobile/Library/Preferences/com.apple.Accessibility.plist`,
			want{"", -1, "deny", "file-write-data", "/private/var/mobile/Library/Preferences/com.apple.Accessibility.plist", 1, false, "text"}},
		{`Sandbox: kill(9) deny(1) signal`,
			want{"kill", 9, "deny", "signal", "", 1, false, "text"}},
		{`Sandbox: 1 duplicate report for com.apple.WebKit deny(1) file-read-data /private/etc/hosts`,
			want{"com.apple.WebKit", -1, "deny", "file-read-data", "/private/etc/hosts", 1, false, "text"}},
		// 10.7 violation report first line, and its Violation: field.
		{`XChat Azure(54849) deny file-read-data /Volumes/Data/Users/petter/Applications/X-Chat Azure/qnet.txt`,
			want{"XChat Azure", 54849, "deny", "file-read-data", "/Volumes/Data/Users/petter/Applications/X-Chat Azure/qnet.txt", 1, false, "text"}},
		{`Violation:       System Policy: deny(1) file-read-data /Library/Application Support/com.apple.TCC`,
			want{"", -1, "deny", "file-read-data", "/Library/Application Support/com.apple.TCC", 1, true, "text"}},
	}
	for _, c := range cases {
		rs, st := scanAll(t, c.line+"\n")
		if len(rs) != 1 {
			t.Errorf("%s\n  got %d reports (stats %+v)", c.line, len(rs), st)
			continue
		}
		r := rs[0]
		got := want{r.Process, r.PID, r.Action, r.Op, r.Target, r.Count, r.Policy, r.Style}
		if got != c.want {
			t.Errorf("%s\n  got  %+v\n  want %+v", c.line, got, c.want)
		}
		if r.Line != 1 {
			t.Errorf("%s: line %d, want 1", c.line, r.Line)
		}
	}
}

func TestParseNotReports(t *testing.T) {
	text := strings.Join([]string{
		`Filtering the log data using "eventMessage CONTAINS "Sandbox:" AND eventMessage CONTAINS "deny(""`,
		`Timestamp                       Thread     Type        Activity             PID    TTL`,
		`Jul  1 09:29:14 calvisitor-10-105-160-95 kernel[0]: IO80211AWDLPeerManager::setAwdlAutoMode Resuming AWDL`,
		`Jul  1 09:29:14 host pf[1]: rule 3 deny tcp from any`,
		`Sandbox apply: mdworker_shared[38491] <bytes>`,
		`Sandbox: hook..execve() killing xpcproxy[pid=1]: (err=22) failed to assign builtin profile`,
		`IOUC AppleParavirtDeviceUserClient failed sandbox in process pid 648, MetalTest`,
		`{"count":32,"finished":1}`,
		``,
	}, "\n")
	rs, st := scanAll(t, text)
	if len(rs) != 0 || st.Unparseable != 0 {
		t.Fatalf("got %d reports, %d unparseable (%+v), want none", len(rs), st.Unparseable, st.Samples)
	}
	if st.Lines != 8 || st.Ignored != 8 {
		t.Errorf("lines %d ignored %d, want 8 and 8", st.Lines, st.Ignored)
	}
}

func TestParseUnparseableCounted(t *testing.T) {
	text := "Sandbox: cat(12) deny(1) FILE-READ /x\n" +
		"3 duplicate reports for Sandbox: cat deny\n" +
		`{"eventMessage": "Sandbox: x(1) deny(1) file-read-data /a", ` + "\n" +
		"Sandbox: cat(12) deny(1) file-read-data /ok\n"
	rs, st := scanAll(t, text)
	if len(rs) != 1 || rs[0].Target != "/ok" || rs[0].Line != 4 {
		t.Fatalf("reports %+v", rs)
	}
	if st.Unparseable != 3 || len(st.Samples) != 3 || st.Samples[0].Line != 1 || st.Samples[2].Line != 3 {
		t.Fatalf("unparseable %d, samples %+v", st.Unparseable, st.Samples)
	}
}

func TestParseMessageLine(t *testing.T) {
	text := "2026-09-23 04:27:07.182 E  kernel[0:2b6708] (Sandbox) Sandbox: curl(53468) deny(1) network-outbound remote:*:443\n" +
		"CMD64_c2g=_END__qlvxb5sax_SBX\n" +
		"2026-09-23 04:27:07.183 E  kernel[0:2b6708] (Sandbox) Sandbox: curl(53468) deny(1) file-read-data /etc/hosts\n"
	rs, st := scanAll(t, text)
	if len(rs) != 2 {
		t.Fatalf("got %d reports", len(rs))
	}
	if rs[0].Message != "CMD64_c2g=_END__qlvxb5sax_SBX" || rs[1].Message != "" {
		t.Errorf("messages %q %q", rs[0].Message, rs[1].Message)
	}
	if rs[1].Line != 3 || st.Unparseable != 0 {
		t.Errorf("line %d unparseable %d", rs[1].Line, st.Unparseable)
	}
}

func TestParseJSONStyles(t *testing.T) {
	nd := `{"messageType":"Error","subsystem":"","eventMessage":"Sandbox: cat(15528) deny(1) file-read-data \/private\/etc\/hosts\nCMD64_Y2F0_END__k3j9x0q2m_SBX","processID":0}` + "\n" +
		`{"eventMessage":"Sandbox: cat(1234) deny(1) file-read-data /Users/test/.ssh/id_rsa","subsystem":"com.apple.sandbox.reporting","category":"violation","MetaData":{"operation":"file-read-data","pid":1234,"target":"/Users/test/.ssh/id_rsa"}}` + "\n" +
		`{"eventMessage":"Sandbox: nl(1234) deny(1) file-read-data /a","MetaData":{"operation":"file-write-create","pid":1234,"target":"/b"}}` + "\n" +
		`{"eventMessage":"not a report","MetaData":{"operation":"file-read-data","pid":7,"target":"/only/meta"}}` + "\n"
	rs, _ := scanAll(t, nd)
	if len(rs) != 4 {
		t.Fatalf("ndjson: %d reports", len(rs))
	}
	if rs[0].Target != "/private/etc/hosts" || rs[0].Message != "CMD64_Y2F0_END__k3j9x0q2m_SBX" || rs[0].Style != "ndjson" {
		t.Errorf("ndjson row 1: %+v", rs[0])
	}
	if rs[1].Note != "" || rs[2].Note == "" || rs[2].Target != "/a" {
		t.Errorf("MetaData cross-check: %+v / %+v", rs[1], rs[2])
	}
	if rs[3].Target != "/only/meta" || rs[3].PID != 7 {
		t.Errorf("MetaData alone: %+v", rs[3])
	}
	pretty := "Filtering the log data using \"sender == \"Sandbox\"\"\n[{\n  \"messageType\" : \"Error\",\n  \"backtrace\" : {\n    \"frames\" : [\n      {\n        \"imageOffset\" : 149364\n      }\n    ]\n  },\n" +
		"  \"eventMessage\" : \"7 duplicate reports for Sandbox: mDNSResponder(476) deny(1) mach-lookup com.apple.private.corewifi-xpc\",\n" +
		"  \"processID\" : 0\n},{\n  \"eventMessage\" : \"Sandbox apply: mdworker_shared[38491] <bytes>\",\n  \"x\" : 1\n},{\n" +
		"  \"eventMessage\" : \"Sandbox: itunescloudd(79799) deny(1) file-read-data \\/Library\\/Application Support\\/CrashReporter\\/DiagnosticMessagesHistory.plist\",\n}]\n"
	rs, st := scanAll(t, pretty)
	if len(rs) != 2 || st.Unparseable != 0 {
		t.Fatalf("json: %d reports, %d unparseable %+v", len(rs), st.Unparseable, st.Samples)
	}
	if rs[0].Count != 7 || rs[0].Line != 11 || rs[0].Style != "json" {
		t.Errorf("json report 1: %+v", rs[0])
	}
	if rs[1].Target != "/Library/Application Support/CrashReporter/DiagnosticMessagesHistory.plist" {
		t.Errorf("json report 2: %q", rs[1].Target)
	}
}

func TestParseLongLine(t *testing.T) {
	long := "Sandbox: cat(1) deny(1) file-read-data /" + strings.Repeat("a", MaxLine+10)
	text := long + "\nSandbox: cat(1) deny(1) file-read-data /b\n"
	rs, st := scanAll(t, text)
	if len(rs) != 1 || rs[0].Line != 2 || rs[0].Target != "/b" {
		t.Fatalf("reports %+v", rs)
	}
	if st.Unparseable != 1 || len(st.Samples[0].Text) > maxText+3 {
		t.Fatalf("stats %+v", st.Unparseable)
	}
}

// TestParseLinear: lines built to make a naive parser quadratic are read
// in time linear in their length.
func TestParseLinear(t *testing.T) {
	for _, unit := range []string{"deny(", " deny(", " allow(", "deny ", " deny(1) ", "Sandbox: ", "(1)", "duplicate report for ", "a(1) deny(1) x "} {
		line := strings.Repeat(unit, (MaxLine-1)/len(unit))
		start := time.Now()
		scanAll(t, line+"\n")
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("a line of %q repeated took %v", unit, d)
		}
	}
}
