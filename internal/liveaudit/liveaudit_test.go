//go:build unix

package liveaudit

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sbplc/sbplc/eval"
	"github.com/sbplc/sbplc/internal/testutil"
	"github.com/sbplc/sbplc/policy"
	"github.com/sbplc/sbplc/sandbox"
	"github.com/sbplc/sbplc/source"
)

func TestMain(m *testing.M) {
	sandbox.RegisterFunc(FuncName, ChildProbe)
	// The child stage applies no sandbox (every attempt that can be made
	// here is allowed), or refuses when LIVE_TEST_APPLY=fail.
	sandbox.MainWith(testutil.FakeApplier{Env: "LIVE_TEST"})
	os.Exit(m.Run())
}

// audit runs the offline audit of text with the scratch home and project.
func audit(t *testing.T, text string, sc *Scratch) ([]policy.ProbeResult, *policy.Engine) {
	t.Helper()
	res := eval.Run(source.NewFile("p.sb", []byte(text)), eval.Options{})
	if res.Diags.HasErrors() {
		t.Fatalf("profile: %v", res.Diags)
	}
	e, _ := policy.New(res.Profile, policy.Options{Home: sc.Home})
	return e.Audit(policy.AuditOptions{Home: sc.Home, Projects: []string{sc.Project}}), e
}

// canonicalTempDir is a temporary directory whose path Seatbelt's model
// leaves as it is (not under /tmp, /var or /etc, which it resolves into
// /private as macOS does), so that rules naming it match on Linux too.
func canonicalTempDir(t *testing.T) string {
	t.Helper()
	for _, base := range []string{os.TempDir(), "/dev/shm"} {
		if r, err := filepath.EvalSymlinks(base); err == nil && policy.IsCanonicalPath(r) {
			dir, err := os.MkdirTemp(r, "liveaudit-test-")
			if err == nil {
				t.Cleanup(func() { os.RemoveAll(dir) })
				return dir
			}
		}
	}
	t.Skip("no temporary directory outside /tmp, /var and /etc")
	return ""
}

func newScratch(t *testing.T) *Scratch {
	t.Helper()
	sc, err := NewScratch(canonicalTempDir(t))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func TestPlan(t *testing.T) {
	sc := newScratch(t)
	// The denies make the probes with preconditions apply.
	rs, _ := audit(t, fmt.Sprintf(`(version 1)
(allow default)
(deny file-read-data (literal "%[1]s/.aws/credentials") (literal "%[2]s/.env"))
(deny network-outbound (remote tcp "*:443"))
`, sc.Home, sc.Project), sc)
	plans := map[string]Attempt{}
	why := map[string]string{}
	for _, r := range rs {
		a, w := Plan(r, sc)
		plans[r.ID], why[r.ID] = a, w
		// File attempts and fixtures stay inside the scratch directory.
		if w == "" && a.Fixture != "" && a.Fixture != FixSocket && !sc.Contains(a.Path) {
			t.Errorf("%s: fixture %s outside the scratch directory", r.ID, a.Path)
		}
		switch a.Kind {
		case KindOpenRead, KindOpenWrite, KindCreate, KindMkdir, KindUnlink, KindRmdir, KindLink, KindClone:
			if w == "" && (!sc.Contains(a.Path) || a.Dest != "" && !sc.Contains(a.Dest)) {
				t.Errorf("%s: %s of %s outside the scratch directory", r.ID, a.Kind, a.Path)
			}
		}
	}
	h, p := sc.Home, sc.Project
	for id, want := range map[string]Attempt{
		"EV001":  {Kind: KindOpenRead, Path: h + "/.ssh/id_rsa", Fixture: FixFile},
		"EV018":  {Kind: KindOpenRead, Path: p + "/.ENV", Fixture: FixFile},
		"EV032":  {Kind: KindCreate, Path: h + "/Library/LaunchAgents/x.plist", Fixture: FixAbsent},
		"EV049":  {Kind: KindMkdir, Path: h + "/Library/Services/x.workflow", Fixture: FixAbsent},
		"EV034":  {Kind: KindOpenWrite, Path: h + "/.zshrc", Fixture: FixFile},
		"EV023":  {Kind: KindRmdir, Path: h + "/.aws", Fixture: FixDir},
		"EV023b": {Kind: KindUnlink, Path: h + "/.aws/credentials", Fixture: FixFile},
		"EV021":  {Kind: KindLink, Path: h + "/.ssh/id_rsa", Dest: h + "/.ssh/id_rsa.sbplc-live", Fixture: FixFile, Needs: []string{"file-write-create " + h + "/.ssh/id_rsa.sbplc-live"}},
		"EV029":  {Kind: KindConnectUnx, Path: h + "/.ssh/agent/s.probe", Fixture: FixSocket},
		"EV061":  {Kind: KindConnectUnx, Path: "/private/var/run/docker.sock"},
		"EV066":  {Kind: KindExec, Path: "/usr/bin/osascript"},
		"EV069":  {Kind: KindExec, Path: p + "/downloaded-binary", Fixture: FixExec},
		"EV071":  {Kind: KindConnectTCP, Addr: "192.0.2.1:443"},
		"EV072":  {Kind: KindConnectTCP, Addr: "127.0.0.1:5432"},
		"EV074":  {Kind: KindConnectUDP, Addr: "192.0.2.1:53"},
		"EV075a": {Kind: KindListen, Addr: "0.0.0.0:4444", Needs: []string{"network-bind tcp:*:4444"}},
		"EV075b": {Kind: KindBind, Addr: "0.0.0.0:4444"},
		"EV025":  {Kind: KindMachLookup, Name: "com.apple.SecurityServer"},
		"EV076":  {Kind: KindSignal},
		"EV077":  {Kind: KindPidinfo},
	} {
		want.ID = id
		got := plans[id]
		if why[id] != "" || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: %+v (%q), want %+v", id, got, why[id], want)
		}
	}
	for id, want := range map[string]string{
		"EV032b": "outside the scratch directory",
		"EV079":  "outside the scratch directory", // /dev/disk0: never written
		"EV065":  "no harmless attempt for file-mount",
		"EV078":  "no harmless attempt for sysctl-write",
		"EV055":  "no harmless attempt for appleevent-send",
		"EV081":  "no harmless attempt for iokit-open-user-client",
		"EV059":  "no harmless attempt for mach-priv-task-port",
	} {
		if !strings.Contains(why[id], want) {
			t.Errorf("%s: %q, want %q", id, why[id], want)
		}
	}
}

type fakeProber struct {
	answers map[string]Outcome
	calls   []string
	err     error
}

func (f *fakeProber) Probe(ctx context.Context, a Attempt) (Outcome, error) {
	f.calls = append(f.calls, a.ID)
	if f.err != nil {
		return Outcome{}, f.err
	}
	if o, ok := f.answers[a.ID]; ok {
		return o, nil
	}
	return Outcome{Answer: Inconclusive, Detail: "fake"}, nil
}

func TestRun(t *testing.T) {
	sc := newScratch(t)
	// ssh keys denied, the rest allowed; links to new names denied.
	profile := fmt.Sprintf("(version 1)\n(allow default)\n(deny file-read-data (subpath %q))\n(deny file-write-create (literal %q))\n",
		sc.Home+"/.ssh", sc.Home+"/.ssh/id_rsa.sbplc-live")
	rs, e := audit(t, profile, sc)
	f := &fakeProber{answers: map[string]Outcome{
		"EV001": {Answer: Denied, Detail: "open: operation not permitted"}, // agrees
		"EV002": {Answer: Allowed, Detail: "open succeeded"},               // model bug
		"EV004": {Answer: Denied, Detail: "open: operation not permitted"}, // model bug
		"EV008": {Answer: Allowed, Detail: "open succeeded"},               // agrees
	}}
	rows, err := Run(context.Background(), rs, e, sc, f)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]Row{}
	for _, r := range rows {
		by[r.Result.ID] = r
	}
	for id, want := range map[string]string{"EV001": "yes", "EV002": "no", "EV004": "no", "EV008": "yes", "EV009": "n/a", "EV021": "n/a", "EV078": "n/a"} {
		if by[id].Agree != want {
			t.Errorf("%s: agree %q (offline %s, live %+v), want %q", id, by[id].Agree, by[id].Offline, by[id].Live, want)
		}
	}
	if by["EV002"].Offline != "deny" || !by["EV002"].Disagrees() {
		t.Errorf("EV002: %+v", by["EV002"])
	}
	// The link's new name is denied by the model: the attempt would not
	// tell, so it is not made.
	if by["EV021"].Live.Answer != NotAttempted || !strings.Contains(by["EV021"].Live.Detail, "also needs file-write-create") {
		t.Errorf("EV021: %+v", by["EV021"].Live)
	}
	for _, id := range f.calls {
		if id == "EV021" || id == "EV078" {
			t.Errorf("%s was attempted", id)
		}
	}
	// A prober that cannot work stops the run.
	boom := errors.New("cannot apply")
	if _, err := Run(context.Background(), rs, e, sc, &fakeProber{err: boom}); !errors.Is(err, boom) {
		t.Errorf("prober error: %v", err)
	}
}

func TestClassify(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want Answer
	}{
		{nil, Allowed},
		{syscall.EPERM, Denied},
		{syscall.EACCES, Inconclusive},
		{syscall.ENOENT, Inconclusive},
		{syscall.ENOTEMPTY, Allowed},
		{errors.New("odd"), Inconclusive},
	} {
		if got := classify("x", tt.err, syscall.ENOTEMPTY); got.Answer != tt.want {
			t.Errorf("%v: %v, want %v", tt.err, got.Answer, tt.want)
		}
	}
}

// TestExecute makes the portable attempts for real (unsandboxed here):
// each is allowed, and none writes data or leaves the scratch directory.
func TestExecute(t *testing.T) {
	sc := newScratch(t)
	sockPath := filepath.Join(sc.Home, "s")
	attempts := []Attempt{
		{Kind: KindOpenRead, Path: sc.Home + "/r", Fixture: FixFile},
		{Kind: KindOpenWrite, Path: sc.Home + "/w", Fixture: FixFile},
		{Kind: KindCreate, Path: sc.Home + "/new/c", Fixture: FixAbsent},
		{Kind: KindMkdir, Path: sc.Home + "/d", Fixture: FixAbsent},
		{Kind: KindUnlink, Path: sc.Home + "/u", Fixture: FixFile},
		{Kind: KindRmdir, Path: sc.Home + "/full", Fixture: FixDir},
		{Kind: KindLink, Path: sc.Home + "/l", Dest: sc.Home + "/l.sbplc-live", Fixture: FixFile},
		{Kind: KindConnectUnx, Path: sockPath, Fixture: FixSocket},
		{Kind: KindConnectTCP, Addr: "192.0.2.1:443"},
		{Kind: KindConnectUDP, Addr: "192.0.2.1:53"},
		{Kind: KindBind, Addr: "127.0.0.1:0"},
		{Kind: KindListen, Addr: "127.0.0.1:0"},
		{Kind: KindSignal},
	}
	for _, a := range attempts {
		undo, err := sc.prepare(a)
		if err != nil {
			t.Fatalf("%s: prepare: %v", a.Kind, err)
		}
		got := Execute(a)
		undo()
		if got.Answer != Allowed {
			t.Errorf("%s: %+v", a.Kind, got)
		}
	}
	if data, _ := os.ReadFile(sc.Home + "/w"); string(data) != fixtureText {
		t.Errorf("open-write changed the file: %q", data)
	}
	if _, err := os.Stat(sc.Home + "/full"); err != nil {
		t.Error("rmdir removed a non-empty directory")
	}
	// Missing things are inconclusive, not denied.
	for _, a := range []Attempt{
		{Kind: KindOpenRead, Path: sc.Home + "/missing"},
		{Kind: KindConnectUnx, Path: sc.Home + "/nosocket"},
	} {
		if got := Execute(a); got.Answer != Inconclusive {
			t.Errorf("%s of a missing path: %+v", a.Kind, got)
		}
	}
	// A listening port in use is still a bind the sandbox let through.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if got := Execute(Attempt{Kind: KindBind, Addr: l.Addr().String()}); got.Answer != Allowed || !strings.Contains(got.Detail, "address already in use") {
		t.Errorf("bind of a used port: %+v", got)
	}
}

func TestNewScratchCanonical(t *testing.T) {
	if _, err := NewScratch(t.TempDir()); err == nil && !policy.IsCanonicalPath(os.TempDir()) {
		t.Error("a scratch directory under /tmp was accepted: the model would see /private/tmp")
	}
}

func TestPrepareRefusesOutside(t *testing.T) {
	sc := newScratch(t)
	outside := filepath.Join(filepath.Dir(sc.Root), "outside")
	for _, a := range []Attempt{
		{Kind: KindCreate, Path: outside, Fixture: FixAbsent},
		{Kind: KindOpenRead, Path: sc.Home + "/../../outside", Fixture: FixFile},
		{Kind: KindLink, Path: sc.Home + "/l", Dest: outside, Fixture: FixFile},
		{Kind: KindOpenRead, Path: sc.Root, Fixture: FixFile},
	} {
		if _, err := sc.prepare(a); err == nil {
			t.Errorf("%+v prepared", a)
		}
	}
	if _, err := os.Stat(outside); err == nil {
		t.Error("a fixture was made outside the scratch directory")
	}
}

// TestSandboxProber runs attempts through the child stage (with the fake
// applier: no sandbox here).
func TestSandboxProber(t *testing.T) {
	sc := newScratch(t)
	sp := SandboxProber{Profile: sandbox.FromBytecode("p.sb", []byte("bytecode")), Scratch: sc}
	ctx := context.Background()
	for _, tt := range []struct {
		a    Attempt
		want Answer
	}{
		{Attempt{ID: "r", Kind: KindOpenRead, Path: sc.Home + "/.ssh/id_rsa", Fixture: FixFile}, Allowed},
		{Attempt{ID: "x", Kind: KindExec, Path: sc.Project + "/downloaded-binary", Fixture: FixExec}, Allowed},
		{Attempt{ID: "m", Kind: KindExec, Path: sc.Project + "/missing"}, Inconclusive},
		{Attempt{ID: "s", Kind: KindConnectUnx, Path: sc.Home + "/.gnupg/S.gpg-agent", Fixture: FixSocket}, Allowed},
		{Attempt{ID: "long", Kind: KindConnectUnx, Path: sc.Home + "/" + strings.Repeat("d", 120) + "/s", Fixture: FixSocket}, Inconclusive},
	} {
		got, err := sp.Probe(ctx, tt.a)
		if err != nil || got.Answer != tt.want {
			t.Errorf("%s: %+v, %v; want %s", tt.a.ID, got, err, tt.want)
		}
	}
	// A profile that cannot be applied stops everything.
	t.Setenv("LIVE_TEST_APPLY", "fail")
	for _, a := range []Attempt{{ID: "r", Kind: KindOpenRead, Path: sc.Home + "/f", Fixture: FixFile}, {ID: "x", Kind: KindExec, Path: "/bin/sh"}} {
		_, err := sp.Probe(ctx, a)
		var se *sandbox.StageError
		if !errors.As(err, &se) || se.Step != "apply" {
			t.Errorf("%s with a failing apply: %v", a.ID, err)
		}
	}
}

func FuzzPlanNetwork(f *testing.F) {
	for _, s := range []string{"tcp:*:443", "udp:localhost:53", "unix:/x", "tcp:*:0", "tcp:host:1", "x", "tcp:*:99999"} {
		f.Add("network-outbound", s)
	}
	f.Fuzz(func(t *testing.T, op, res string) {
		a, why := planNetwork(Attempt{}, op, res, &Scratch{Root: "/s"})
		if why == "" && a.Kind == "" {
			t.Errorf("%s %q: no kind and no reason", op, res)
		}
		if why == "" && a.Addr != "" {
			if _, err := sockaddr(a.Addr); err != nil {
				t.Errorf("%s %q: address %q: %v", op, res, a.Addr, err)
			}
		}
	})
}
