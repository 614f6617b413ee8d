package learn

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/internal/driver"
	"github.com/sbplc/sbplc/policy"
	"github.com/sbplc/sbplc/source"
)

// run learns from log against profile ("" = EmptyProfile) and returns the
// plan and the outcome.
type runOpts struct {
	params  map[string]string
	widen   Widen
	sel     Select
	all     bool
	noise   *Noise
	profile string
}

func learnRun(t testing.TB, log string, o runOpts) (*Collector, *Plan, *Outcome) {
	t.Helper()
	c, p, out, err := learnRunErr(t, log, o)
	if err != nil {
		t.Fatal(err)
	}
	return c, p, out
}

func learnRunErr(t testing.TB, log string, o runOpts) (*Collector, *Plan, *Outcome, error) {
	t.Helper()
	d, err := driver.New(driver.Options{Params: o.params, ParamsGiven: len(o.params) > 0, NoConfig: true})
	if err != nil {
		t.Fatal(err)
	}
	c := NewCollector(o.sel, o.noise, o.all)
	s := NewScanner(strings.NewReader(log))
	for s.Scan() {
		c.Add(s.Report(), "log")
	}
	l := &Learner{Driver: d, Params: o.params, Widen: o.widen}
	l.Policy.Home = o.params["HOME"]
	prof := o.profile
	if prof == "" {
		prof = EmptyProfile
	}
	p, err := l.Plan(context.Background(), source.NewFile("p.sb", []byte(prof)), c)
	if err != nil {
		return c, nil, nil, err
	}
	out, err := p.Apply(context.Background(), []string{"log"})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.NewErrors) > 0 {
		t.Fatalf("new errors: %v\n%s", out.NewErrors, out.Text)
	}
	return c, p, out, nil
}

// lines builds a log of kernel lines for "op target" pairs.
func lines(pairs ...string) string {
	var b strings.Builder
	for _, p := range pairs {
		b.WriteString("2026-10-01 10:00:00.000 E  kernel[0:1] (Sandbox) Sandbox: tool(500) deny(1) " + p + "\n")
	}
	return b.String()
}

// ruleTexts renders every learned rule's forms.
func ruleTexts(p *Plan, out *Outcome) string {
	var b strings.Builder
	for _, r := range out.Rules {
		for _, f := range r.forms(p.params) {
			b.WriteString(f + "\n")
		}
	}
	return b.String()
}

// query asks the outcome's profile about op on res.
func query(t testing.TB, out *Outcome, params map[string]string, op, res string) policy.Result {
	t.Helper()
	d, _ := driver.New(driver.Options{Params: params, ParamsGiven: len(params) > 0, NoConfig: true})
	r, err := d.Check(context.Background(), source.NewFile("q.sb", out.Text))
	if err != nil {
		t.Fatal(err)
	}
	eng, _ := r.Engine(policy.Options{Home: params["HOME"]})
	d2, err := eng.QueryText(op, res)
	if err != nil {
		t.Fatal(err)
	}
	return d2.Result
}

func TestFiltersPerKind(t *testing.T) {
	cases := []struct{ line, want string }{
		{"file-read-data /private/etc/hosts", `(allow file-read-data (literal "/private/etc/hosts"))`},
		{"file-write-create /tmp/x/out.txt", `(allow file-write-create (literal "/private/tmp/x/out.txt"))`},
		{"file-read-data path:/private/etc/a b", `(allow file-read-data (literal "/private/etc/a b"))`},
		{"process-exec* /usr/bin/touch", `(allow process-exec* (literal "/usr/bin/touch"))`},
		{"file-ioctl path:/dev/tty ioctl-command:(_IO \"t\" 22)", `(allow file-ioctl (require-all (literal "/dev/tty") (ioctl-command (_IO "t" 22))))`},
		{"file-ioctl path:/dev/tty ioctl-command:(junk)", `(allow file-ioctl (literal "/dev/tty"))`},
		{"mach-lookup com.apple.logd", `(allow mach-lookup (global-name "com.apple.logd"))`},
		{"mach-register com.apple.axserver (per-pid)", `(allow mach-register (local-name "com.apple.axserver"))`},
		{"mach-register org.example.x", `(allow mach-register (global-name "org.example.x"))`},
		{"sysctl-read kern.bootargs", `(allow sysctl-read (sysctl-name "kern.bootargs"))`},
		{"sysctl-write kern.maxfiles", `(allow sysctl* (sysctl-name "kern.maxfiles"))`},
		{"network-outbound remote:*:443", `(allow network-outbound (remote ip "*:443"))`},
		{"network-outbound remote:127.0.0.1:5432", `(allow network-outbound (remote ip "localhost:5432"))`},
		{"network-outbound /private/var/run/syslog", `(allow network-outbound (literal "/private/var/run/syslog"))`},
		{"network-bind local:*:8080", `(allow network-bind (local ip "*:8080"))`},
		{"network-bind local:*:0", `(allow network-bind (local ip "*:*"))`},
		{"iokit-open-user-client AppleSMCClient", `(allow iokit-open-user-client (iokit-user-client-class "AppleSMCClient"))`},
		{"user-preference-read com.apple.HIToolbox", `(allow user-preference-read (preference-domain "com.apple.HIToolbox"))`},
		{"ipc-posix-shm-read-data CFPBS:186A7:", `(allow ipc-posix-shm-read-data (ipc-posix-name "CFPBS:186A7:"))`},
		{"ipc-posix-sem-open com.example.sem", `(allow ipc-posix-sem-open (ipc-posix-name "com.example.sem"))`},
		{"signal others [Safari(5085)] signum:15", `(allow signal (require-all (target others) (signal-number 15)))`},
		{"signal children", `(allow signal (target children))`},
		{"appleevent-send com.apple.textedit", `(allow appleevent-send (appleevent-destination "com.apple.textedit"))`},
		{"system-socket domain:32 type:2 protocol:2", `(allow system-socket (require-all (socket-domain 32) (socket-type 2) (socket-protocol 2)))`},
		{"system-fsctl (_IO \"h\" 47)", `(allow system-fsctl (fsctl-command (_IO "h" 47)))`},
		{"system-info vfs.disk-space", `(allow system-info (info-type "vfs.disk-space"))`},
		{"process-fork", `(allow process-fork)`},
		{"file-read-metadata /var", `(allow file-read-metadata (literal "/var"))`},
	}
	for _, c := range cases {
		_, p, out := learnRun(t, lines(c.line), runOpts{all: true})
		if got := strings.TrimSpace(ruleTexts(p, out)); got != c.want {
			t.Errorf("%s:\n  got  %s\n  want %s", c.line, got, c.want)
		}
	}
}

// TestVersion1Defaults: an operation version 1 allows by default is
// already allowed; a (version 2) profile learns it.
func TestVersion1Defaults(t *testing.T) {
	_, p, out := learnRun(t, lines("iokit-open-service IOPMrootDomain"), runOpts{})
	if p.AlreadyN != 1 || len(out.Rules) != 0 {
		t.Fatalf("v1: already %d, rules %d", p.AlreadyN, len(out.Rules))
	}
	_, p, out = learnRun(t, lines("iokit-open-service IOPMrootDomain"), runOpts{profile: "(version 2)\n(deny default)\n"})
	if got := strings.TrimSpace(ruleTexts(p, out)); got != `(allow iokit-open-service (iokit-registry-entry-class "IOPMrootDomain"))` {
		t.Fatalf("v2: %s", got)
	}
}

func TestNoRuleForTargetlessOrUnknown(t *testing.T) {
	c, _, out := learnRun(t, lines("signal", "appleevent-send", "file-frobnicate /x", "signal nobody", "mach-lookup", "file-read-data relative/path"), runOpts{})
	if len(out.Rules) != 0 {
		t.Fatalf("rules %+v", out.Rules)
	}
	if len(c.Unknown) != 1 || c.Unknown[0].Text != "file-frobnicate" || c.Unknown[0].Example.Line != 3 {
		t.Errorf("unknown %+v", c.Unknown)
	}
	if len(c.NoFilter) != 5 {
		t.Errorf("no-filter %+v", c.NoFilter)
	}
}

func TestGeneralize(t *testing.T) {
	cases := map[string]string{
		".tmpunEsrf":                            `\.tmp[A-Za-z0-9]+`,
		"tmpAb12cd":                             `tmp[A-Za-z0-9]+`,
		"com.apple.diagnosticd.filter.jmh3MeNx": `com\.apple\.diagnosticd\.filter\.[A-Za-z0-9]+`,
		"com.apple.diagnosticd.filter.xqeGRcbG": `com\.apple\.diagnosticd\.filter\.[A-Za-z0-9]+`,
		"3F2504E0-4F89-11D3-9A0C-0305E82C3301":  "[0-9A-Fa-f-]+",
		"0123456789abcdef0123":                  "[0-9A-Fa-f]+",
		"20231204":                              "[0-9]+",
		"2.7":                                   "[0-9.]+",
		"python3.12":                            "python[0-9.]+",
		"node-v18.17.0":                         `node-v[0-9.]+`,
		// Words stay words.
		"com.apple.iTunesCloud":        "",
		".CFUserTextEncoding":          "",
		"errors.pyc":                   "",
		"Cookies.binarycookies":        "",
		"DiagnosticMessagesHistory.db": "",
		"lib":                          "",
		"x86_64":                       "",
	}
	for in, want := range cases {
		if got := generalize(in); got != want {
			t.Errorf("generalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWidenLevels(t *testing.T) {
	home := map[string]string{"HOME": "/Users/me", "PROJECT": "/Users/me/src/app"}
	log := lines(
		"file-read-data /usr/local/share/tool/a.dat",
		"file-read-data /usr/local/share/tool/b.dat",
		"file-read-data /usr/local/share/tool/c.dat",
		"file-read-data /opt/x/lib/two/a",
		"file-read-data /opt/x/lib/two/b",
		"file-read-data /Users/me/src/app/go.mod",
		"file-write-create /private/var/folders/36/k7x9/T/.tmpunEsrf/denied.txt",
	)
	_, p, out := learnRun(t, log, runOpts{params: home, widen: WidenNone})
	if got := ruleTexts(p, out); strings.Contains(got, "subpath") || strings.Contains(got, "regex") {
		t.Errorf("widen none widened:\n%s", got)
	}
	_, p, out = learnRun(t, log, runOpts{params: home, widen: WidenDir})
	got := ruleTexts(p, out)
	for _, want := range []string{`(subpath "/usr/local/share/tool")`, `(subpath "/opt/x/lib/two")`, `(literal (string-append (param "PROJECT") "/go.mod"))`} {
		if !strings.Contains(got, want) {
			t.Errorf("widen dir: missing %s in\n%s", want, got)
		}
	}
	if strings.Contains(got, "regex") {
		t.Errorf("widen dir made a regex:\n%s", got)
	}
	_, p, out = learnRun(t, log, runOpts{params: home, widen: WidenAuto})
	got = ruleTexts(p, out)
	for _, want := range []string{
		`(subpath "/usr/local/share/tool")`,
		`(literal "/opt/x/lib/two/a")`, // two siblings are not enough under auto
		`(subpath (param "PROJECT"))`,
		`(regex #"^/private/var/folders/[^/]+/[^/]+/T/\.tmp[A-Za-z0-9]+/denied\.txt$")`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("widen auto: missing %s in\n%s", want, got)
		}
	}
	for _, r := range out.Rules {
		if len(r.Ineffective) > 0 {
			t.Errorf("ineffective: %v", r.Ineffective)
		}
	}
	if query(t, out, home, "file-write-create", "/private/var/folders/ab/cd/T/.tmpZZZ999/denied.txt") != policy.Allow {
		t.Error("the temporary-name regex does not allow the next run's name")
	}
}

// TestNeverWidenIntoSecrets: siblings in the home directory, in ~/.ssh and
// in LaunchAgents stay literal; the project subpath is refused for writes
// (it would open .git/hooks) but granted for reads.
func TestNeverWidenIntoSecrets(t *testing.T) {
	params := map[string]string{"HOME": "/Users/me", "PROJECT": "/Users/me/src/app"}
	log := lines(
		"file-read-data /Users/me/.a", "file-read-data /Users/me/.b", "file-read-data /Users/me/.c",
		"file-read-data /Users/me/.ssh/known_hosts", "file-read-data /Users/me/.ssh/config", "file-read-data /Users/me/.ssh/x",
		"file-write-create /Users/me/Library/LaunchAgents/a.plist", "file-write-create /Users/me/Library/LaunchAgents/b.plist",
		"file-write-create /Users/me/Library/LaunchAgents/c.plist",
		"file-write-data /Users/me/src/app/main.go", "file-read-data /Users/me/src/app/main.go",
		"file-read-data /Users/me/Library/Foo/a", "file-read-data /Users/me/Library/Foo/b", "file-read-data /Users/me/Library/Foo/c",
	)
	for _, w := range []Widen{WidenDir, WidenAuto} {
		_, p, out := learnRun(t, log, runOpts{params: params, widen: w})
		got := ruleTexts(p, out)
		for _, bad := range []string{`(subpath (param "HOME"))`, `"/.ssh")`, `/Library/LaunchAgents")`} {
			if strings.Contains(got, bad) {
				t.Errorf("widen %s: widened into a sensitive location (%s):\n%s", w, bad, got)
			}
		}
		if !strings.Contains(got, `(subpath (string-append (param "HOME") "/Library/Foo"))`) {
			t.Errorf("widen %s: ~/Library/Foo not widened:\n%s", w, got)
		}
		flags, notes := 0, ""
		for _, r := range out.Rules {
			flags += len(r.Flags)
			notes += strings.Join(r.Notes, "\n")
		}
		if flags != 6 {
			t.Errorf("widen %s: %d flags, want 6 (3 in ~/.ssh, 3 LaunchAgents)", w, flags)
		}
		// Nothing that was denied and not observed opens, except through a
		// widened filter, and never a probe.
		for _, probe := range []struct{ op, res string }{
			{"file-read-data", "/Users/me/.ssh/id_rsa"},
			{"file-read-data", "/Users/me/.aws/credentials"},
			{"file-write-create", "/Users/me/Library/LaunchAgents/evil.plist"},
			{"file-write-create", "/Users/me/src/app/.git/hooks/pre-commit"},
		} {
			if query(t, out, params, probe.op, probe.res) != policy.Deny {
				t.Errorf("widen %s: %s %s is allowed", w, probe.op, probe.res)
			}
		}
		if w == WidenAuto {
			if !strings.Contains(got, `(allow file-read-data (subpath (param "PROJECT")))`) {
				t.Errorf("auto: project reads not widened:\n%s", got)
			}
			if !strings.Contains(notes, `not widened to (subpath "/Users/me/src/app")`) {
				t.Errorf("auto: the refused project write is not explained:\n%s", notes)
			}
		}
	}
}

func TestParams(t *testing.T) {
	params := map[string]string{"HOME": "/Users/me", "TMP": "/tmp/work", "DATA": "/Volumes/Data/x"}
	_, p, out := learnRun(t, lines("file-read-data /Users/me/.config/tool/rc", "file-read-data /Users/me",
		"file-read-data /private/tmp/work/a", "file-read-data /Volumes/Data/x/y z"), runOpts{params: params})
	got := ruleTexts(p, out)
	for _, want := range []string{
		`(literal (string-append (param "HOME") "/.config/tool/rc"))`,
		`(literal (param "HOME"))`,
		`(literal "/private/tmp/work/a")`,
		`(literal (string-append (param "DATA") "/y z"))`,
		`(if (param "HOME")`,
		`(if (param "DATA")`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in\n%s", want, got)
		}
	}
	if len(p.Notes) != 1 || !strings.Contains(p.Notes[0], "TMP=/tmp/work") || !strings.Contains(p.Notes[0], "-D TMP=/private/tmp/work") {
		t.Errorf("notes %v", p.Notes)
	}
}

func TestAgainstProfile(t *testing.T) {
	profile := `(version 1)
(deny default)
(allow file-read-data (literal "/private/etc/hosts"))
(allow mach-lookup (global-name "com.apple.logd"))

;; keep secrets out
(deny file-read* (subpath "/Users/me/.ssh"))
(deny mach-lookup (global-name "com.apple.secret"))
`
	log := lines("file-read-data /private/etc/hosts", "file-read-data /etc/hosts", "file-read-data /Users/me/.ssh/id_rsa",
		"file-read-data /Users/me/notes.txt", "mach-lookup com.apple.logd", "mach-lookup com.apple.secret", "mach-lookup com.apple.other")
	_, p, out := learnRun(t, log, runOpts{profile: profile})
	if p.AlreadyN != 3 || p.DeliberateN != 2 {
		t.Fatalf("already %d deliberate %d (%+v)", p.AlreadyN, p.DeliberateN, p.Deliberate)
	}
	if !strings.Contains(p.Deliberate[0].Text, "p.sb:7:1") {
		t.Errorf("deliberate %+v", p.Deliberate)
	}
	text := string(out.Text)
	block := strings.Index(text, beginMarker)
	if block < 0 || block > strings.Index(text, ";; keep secrets out") || block < strings.Index(text, `(allow mach-lookup (global-name "com.apple.logd"))`) {
		t.Fatalf("block not before the related denies' paragraph:\n%s", text)
	}
	if len(out.Rules) != 2 || out.Ineffective() != 0 {
		t.Fatalf("rules %d ineffective %d\n%s", len(out.Rules), out.Ineffective(), text)
	}
	if query(t, out, nil, "mach-lookup", "com.apple.secret") != policy.Deny || query(t, out, nil, "file-read-data", "/Users/me/.ssh/id_rsa") != policy.Deny {
		t.Error("a deny of the profile was overridden")
	}
	// A second run with new denials adds to the same block.
	_, p2, out2 := learnRun(t, log+lines("sysctl-read kern.osrelease"), runOpts{profile: text})
	if len(out2.Rules) != 1 || strings.Count(string(out2.Text), beginMarker) != 1 || !strings.Contains(string(out2.Text), ";; added by sbplc learn") {
		t.Fatalf("second run:\n%s", out2.Text)
	}
	if p2.AlreadyN != 3+2 {
		t.Errorf("second run: already %d, want 5 (3 before, 2 learned)", p2.AlreadyN)
	}
	if out2.Rules[0].Line < strings.Count(text[:block], "\n") || strings.Index(string(out2.Text), "kern.osrelease") > strings.Index(string(out2.Text), endMarker) {
		t.Errorf("second run's rule is not inside the block:\n%s", out2.Text)
	}
}

func TestPlacementAtEnd(t *testing.T) {
	profile := "(version 1)\n(deny default)\n(allow file-read-data (literal \"/a\"))\n(deny mach-lookup (global-name \"x\"))\n"
	_, _, out := learnRun(t, lines("file-read-data /b"), runOpts{profile: profile})
	text := string(out.Text)
	if !strings.HasPrefix(text, profile+"\n"+beginMarker) || !strings.HasSuffix(text, endMarker+"\n") {
		t.Fatalf("an unrelated deny moved the block; want it at the end:\n%s", text)
	}
	if out.Rules[0].Line != 12 || out.BlockLine != 6 {
		t.Errorf("rule line %d block line %d", out.Rules[0].Line, out.BlockLine)
	}
}

func TestIneffectiveReported(t *testing.T) {
	profile := "(version 1)\n(deny default)\n(deny file-read-data (require-entitlement \"com.apple.x\"))\n"
	_, _, out := learnRun(t, lines("file-read-data /y"), runOpts{profile: profile})
	if out.Ineffective() != 1 || !strings.Contains(out.Rules[0].Ineffective[0], "decided by p.sb:") {
		t.Fatalf("ineffective %+v", out.Rules)
	}
}

func TestProfileWithErrors(t *testing.T) {
	_, _, _, err := learnRunErr(t, lines("file-read-data /x"), runOpts{profile: "(version 1)\n(allow file-frobnicate)\n"})
	var pe *ProfileError
	if !errors.As(err, &pe) || !pe.Diags.HasErrors() {
		t.Fatalf("err %v", err)
	}
}

func TestNoiseAndSelect(t *testing.T) {
	log := lines("file-read-data /dev/dtracehelper", "mach-lookup com.apple.diagnosticd", "file-ioctl path:/dev/dtracehelper ioctl-command:(_IO \"h\" 4)") +
		"Sandbox: com.apple.Addres(31211) deny(1) file-read-data /a\n" +
		"Sandbox: other(9) deny(1) file-read-data /b\n"
	c, _, out := learnRun(t, log, runOpts{sel: Select{Processes: []string{"com.apple.AddressBook.SourceSync", "tool"}}})
	if c.NoiseSkipped() != 3 || c.Others != 1 || len(out.Rules) != 1 {
		t.Fatalf("noise %d others %d rules %d", c.NoiseSkipped(), c.Others, len(out.Rules))
	}
	c, _, out = learnRun(t, log, runOpts{all: true, sel: Select{PIDs: []int{500}}})
	if c.NoiseSkipped() != 0 || c.Others != 2 || len(out.Rules) != 3 {
		t.Fatalf("--all: noise %d others %d rules %d", c.NoiseSkipped(), c.Others, len(out.Rules))
	}
	n, err := NewNoise(NoiseOverrides{Keep: []string{"mach-lookup com.apple.diagnosticd"}, Add: []string{"file-read-data /b\tthe test says so"}})
	if err != nil {
		t.Fatal(err)
	}
	c, _, _ = learnRun(t, log, runOpts{noise: n})
	if c.Noise["file-read-data /b"] != 1 || c.Noise["mach-lookup com.apple.diagnosticd"] != 0 || c.NoiseSkipped() != 3 {
		t.Errorf("overrides: %v", c.Noise)
	}
	for _, bad := range []NoiseOverrides{{Keep: []string{"mach-lookup nothing"}}, {Add: []string{"nonsense"}}, {Keep: []string{"x"}}} {
		if _, err := NewNoise(bad); err == nil {
			t.Errorf("overrides %+v accepted", bad)
		}
	}
	if _, err := parseNoise(noiseTSV); err != nil {
		t.Fatal(err)
	}
	if _, err := parseNoise("file-read-data\t/x\n"); err == nil {
		t.Error("a two-column noise line was accepted")
	}
}

func TestSelectTruncatedNames(t *testing.T) {
	s := Select{Processes: []string{"com.apple.CoreSimulator.CoreSimulatorService", "cat"}}
	for name, want := range map[string]bool{
		"com.apple.CoreSimulator.CoreSimu": true,  // 32 bytes
		"com.apple.CoreSi":                 true,  // 16 bytes
		"cat":                              true,  // exact
		"ca":                               false, // short prefixes are not truncations
		"catalog":                          false,
	} {
		if got := s.matches(name, 1); got != want {
			t.Errorf("matches(%q) = %v", name, got)
		}
	}
}

func TestMergeOperations(t *testing.T) {
	_, p, out := learnRun(t, lines("file-read-data /a/x", "file-read-metadata /a/x", "file-read-data /a/y"), runOpts{})
	got := ruleTexts(p, out)
	if len(out.Rules) != 2 || !strings.Contains(got, `(allow file-read-metadata (literal "/a/x"))`) {
		t.Fatalf("rules:\n%s", got)
	}
	_, p, out = learnRun(t, lines("file-read-data /a/x", "file-read-metadata /a/x"), runOpts{})
	if got := ruleTexts(p, out); len(out.Rules) != 1 || !strings.Contains(got, `(allow file-read-data file-read-metadata (literal "/a/x"))`) {
		t.Fatalf("same filters are one rule:\n%s", got)
	}
	if out.Rules[0].Denials != 2 || out.Rules[0].Example.Line != 1 {
		t.Errorf("counts %+v", out.Rules[0])
	}
}

// TestHomeFromLog: without -D HOME, the secrets are still found, in the
// home directory the log shows.
func TestHomeFromLog(t *testing.T) {
	_, p, out := learnRun(t, lines("file-read-data /Users/ana/.ssh/known_hosts", "file-read-data /Users/ana/.ssh/config",
		"file-read-data /Users/ana/.ssh/x", "file-read-data /Users/bob/y"), runOpts{widen: WidenDir})
	if len(p.Notes) != 1 || !strings.Contains(p.Notes[0], "under /Users/ana, the home directory the log shows") {
		t.Fatalf("notes %v", p.Notes)
	}
	if got := ruleTexts(p, out); strings.Contains(got, "subpath") || len(out.Rules[0].Flags) != 3 {
		t.Errorf("~/.ssh widened or not flagged:\n%s\n%v", got, out.Rules[0].Flags)
	}
}
