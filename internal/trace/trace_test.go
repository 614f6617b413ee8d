//go:build unix

package trace

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sbplc/sbplc/internal/testutil"
	"github.com/sbplc/sbplc/source"
)

// TestMain lets the test binary act as a fake `log stream`
// (TRACE_FAKE_LOG=FEED): it prints the ready line, then every line
// appended to FEED, until SIGTERM; TRACE_FAKE_LOG_MODE is its mode
// (testutil.FakeLogStream).
func TestMain(m *testing.M) {
	if feed := os.Getenv("TRACE_FAKE_LOG"); feed != "" {
		testutil.FakeLogStream(feed, ReadyPrefix+` "fake predicate"`, os.Getenv("TRACE_FAKE_LOG_MODE"))
		return
	}
	os.Exit(m.Run())
}

// fakeSource runs this binary as the fake log, fed from feed.
func fakeSource(feed, mode string) Source {
	return func(ctx context.Context) *exec.Cmd {
		exe, _ := os.Executable()
		cmd := exec.CommandContext(ctx, exe)
		cmd.Env = append(os.Environ(), "TRACE_FAKE_LOG="+feed, "TRACE_FAKE_LOG_MODE="+mode)
		return cmd
	}
}

func appendLine(t *testing.T, feed, line string) {
	t.Helper()
	f, err := os.OpenFile(feed, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(line + "\n")
	f.Close()
}

// fakeLearner reads lines "DENY PID WHAT" and proposes "(allow WHAT)" for
// each WHAT the profile does not mention yet.
type fakeLearner struct{ calls []Request }

func (fakeLearner) PID(line []byte) (int, bool) {
	f := strings.Fields(string(line))
	if len(f) < 3 || f[0] != "DENY" {
		return 0, false
	}
	pid, err := strconv.Atoi(f[1])
	return pid, err == nil
}

func (l *fakeLearner) Learn(ctx context.Context, req Request) (*Proposal, error) {
	l.calls = append(l.calls, req)
	text := string(req.Profile.Text)
	p := &Proposal{}
	for _, line := range req.Lines {
		rule := "(allow " + strings.Fields(string(line))[2] + ")\n"
		if !strings.Contains(text, rule) {
			text += rule
			p.Report += "+" + rule
			p.New++
		}
	}
	p.Profile = []byte(text)
	return p, nil
}

func TestTracker(t *testing.T) {
	tr := NewTracker(100)
	tr.Observe(map[int]int{0: 0, 1: 0, 100: 1, 101: 100, 102: 101, 200: 1, 201: 200})
	for pid, want := range map[int]bool{100: true, 101: true, 102: true, 1: false, 0: false, 200: false, 201: false} {
		if tr.Has(pid) != want {
			t.Errorf("first snapshot: Has(%d) = %v", pid, !want)
		}
	}
	// 101 exited and 102 was reparented to launchd; 102's new child is
	// still COMMAND's descendant, and 101 stays tracked.
	tr.Observe(map[int]int{1: 0, 100: 1, 102: 1, 103: 102, 200: 1})
	if !tr.Has(103) || !tr.Has(101) || tr.Has(200) || tr.Len() != 4 {
		t.Errorf("after reparenting: %d tracked, Has(103) %v", tr.Len(), tr.Has(103))
	}
	// A deep chain is found in one observation, in linear work.
	chain := map[int]int{}
	for pid := 1001; pid < 101001; pid++ {
		chain[pid] = pid - 1
	}
	chain[1000] = 100
	start := time.Now()
	tr.Observe(chain)
	if !tr.Has(101000) || tr.Len() != 4+100001 {
		t.Errorf("chain: %d tracked", tr.Len())
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("observing 100k processes took %v", d)
	}
}

func TestFilter(t *testing.T) {
	tr := NewTracker(7)
	lines := [][]byte{[]byte("DENY 7 a"), []byte("DENY 8 b"), []byte("other"), []byte("DENY 7 c")}
	got := Filter(lines, &fakeLearner{}, tr)
	if len(got) != 2 || string(got[0]) != "DENY 7 a" || string(got[1]) != "DENY 7 c" {
		t.Errorf("Filter: %q", got)
	}
}

func TestReadLine(t *testing.T) {
	long := strings.Repeat("x", MaxLine+10)
	br := bufio.NewReaderSize(strings.NewReader("short\n"+long+"\nafter\nlast"), 16)
	var got []string
	for {
		line, tooLong, err := readLine(br)
		if tooLong {
			got = append(got, "<long>")
		} else if len(line) > 0 {
			got = append(got, string(line))
		}
		if err != nil {
			break
		}
	}
	if strings.Join(got, ",") != "short,<long>,after,last" {
		t.Errorf("lines %q", got)
	}
}

func TestStream(t *testing.T) {
	for _, mode := range []string{"", "stderr-ready"} {
		testStream(t, mode)
	}
}

func testStream(t *testing.T, mode string) {
	feed := filepath.Join(t.TempDir(), "feed")
	appendLine(t, feed, "DENY 1 early")
	s, err := StartStream(context.Background(), fakeSource(feed, mode), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	appendLine(t, feed, "DENY 2 x")
	appendLine(t, feed, strings.Repeat("y", MaxLine+1))
	appendLine(t, feed, "DENY 3 z")
	lines, dropped := s.Stop(300 * time.Millisecond)
	// The noise line came before the ready line and is not kept; the feed
	// is replayed from its start after it.
	want := []string{"DENY 1 early", "DENY 2 x", "DENY 3 z"}
	if len(lines) != len(want) || dropped != 1 {
		t.Fatalf("lines %q, dropped %d", lines, dropped)
	}
	for i := range want {
		if string(lines[i]) != want[i] {
			t.Errorf("line %d: %q, want %q", i, lines[i], want[i])
		}
	}
	if !testutil.LogStreamGone(t, feed) {
		t.Error("the log process is still there after Stop")
	}
}

func TestStreamFailures(t *testing.T) {
	for _, tt := range []struct{ mode, want string }{
		{"noready", `was not live after 300ms (no "Filtering the log data using" line)`},
		{"die", "ended before the stream was live: log: Cannot run while sandboxed"},
	} {
		feed := filepath.Join(t.TempDir(), "feed")
		start := time.Now()
		_, err := StartStream(context.Background(), fakeSource(feed, tt.mode), 300*time.Millisecond)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.mode, err, tt.want)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: took %v", tt.mode, d)
		}
		if !testutil.LogStreamGone(t, feed) {
			t.Errorf("%s: the log process was left behind", tt.mode)
		}
	}
	if _, err := StartStream(context.Background(), func(context.Context) *exec.Cmd { return nil }, time.Second); !errors.Is(err, ErrUnsupported) {
		t.Errorf("no source: %v", err)
	}
}

// TestStreamStubborn: a stream that ignores SIGTERM is killed, in bounded
// time.
func TestStreamStubborn(t *testing.T) {
	old := stopWait
	stopWait = 300 * time.Millisecond
	defer func() { stopWait = old }()
	feed := filepath.Join(t.TempDir(), "feed")
	s, err := StartStream(context.Background(), fakeSource(feed, "stubborn"), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	s.Stop(0)
	if d := time.Since(start); d > 3*stopWait {
		t.Errorf("Stop took %v", d)
	}
	if !testutil.LogStreamGone(t, feed) {
		t.Error("the stubborn log process was left behind")
	}
}

// TestSessionRun: the lines of COMMAND and of its child are kept, those
// of other processes are not, and the stream is gone afterwards.
func TestSessionRun(t *testing.T) {
	if _, err := testutil.ProcTable(); err != nil {
		t.Skip(err)
	}
	feed := filepath.Join(t.TempDir(), "feed")
	s := Session{Source: fakeSource(feed, ""), Procs: testutil.ProcTable, Learner: &fakeLearner{}, Grace: 200 * time.Millisecond}
	res, err := s.Run(context.Background(), func(started func(int)) int {
		// The stream is live before COMMAND starts.
		appendLine(t, feed, "DENY 1 unrelated")
		cmd := exec.Command("/bin/sh", "-c", `sleep 0.1; echo "DENY $$ parent" >> "$0"; /bin/sh -c 'sleep 0.2; echo "DENY $$ child" >> "$0"' "$0"; exit 3`, feed)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		started(cmd.Process.Pid)
		cmd.Wait()
		return cmd.ProcessState.ExitCode()
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range res.Lines {
		got = append(got, strings.Fields(string(l))[2])
	}
	if res.Status != 3 || strings.Join(got, ",") != "parent,child" || res.Seen != 3 || res.Procs < 2 {
		t.Errorf("result: status %d, kept %q, seen %d, procs %d", res.Status, got, res.Seen, res.Procs)
	}
	if !testutil.LogStreamGone(t, feed) {
		t.Error("the log process was left behind")
	}
}

func TestLoop(t *testing.T) {
	denials := [][]string{{"a", "b"}, {"a", "b", "c"}, {"a", "b", "c"}, {"d"}}
	for _, tt := range []struct {
		name       string
		iterations int
		write      bool
		rounds     int
		final      string
	}{
		{"until nothing new", 10, true, 3, "(version 1)\n(allow a)\n(allow b)\n(allow c)\n"},
		{"bounded by --iterate", 1, true, 1, "(version 1)\n(allow a)\n(allow b)\n"},
		{"without -w", 10, false, 3, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var written []string
			var seen []string
			l := &fakeLearner{}
			loop := Loop{Learner: l, Iterations: tt.iterations, Out: &bytes.Buffer{},
				Run: func(ctx context.Context, p *source.File) (*Result, error) {
					seen = append(seen, string(p.Text))
					var lines [][]byte
					for _, d := range denials[len(seen)-1] {
						lines = append(lines, []byte("DENY 5 "+d))
					}
					return &Result{Lines: lines}, nil
				}}
			if tt.write {
				loop.Write = func(text []byte) error { written = append(written, string(text)); return nil }
			}
			rounds, err := loop.Do(context.Background(), source.NewFile("p.sb", []byte("(version 1)\n")))
			if err != nil {
				t.Fatal(err)
			}
			if len(rounds) != tt.rounds || len(seen) != tt.rounds {
				t.Fatalf("%d rounds, %d runs, want %d", len(rounds), len(seen), tt.rounds)
			}
			// Each round runs the profile the previous one learned.
			for i := 1; i < len(seen); i++ {
				if seen[i] != string(rounds[i-1].Proposal.Profile) {
					t.Errorf("round %d ran %q", i+1, seen[i])
				}
			}
			if tt.write && (len(written) == 0 || written[len(written)-1] != tt.final) {
				t.Errorf("written %q, want last %q", written, tt.final)
			}
			if !tt.write && len(written) != 0 {
				t.Error("wrote without -w")
			}
		})
	}
	// Errors of a round end the loop with the rounds so far.
	boom := errors.New("boom")
	n := 0
	_, err := Loop{Learner: &fakeLearner{}, Iterations: 5, Out: &bytes.Buffer{}, Run: func(context.Context, *source.File) (*Result, error) {
		n++
		if n == 2 {
			return nil, boom
		}
		return &Result{Lines: [][]byte{[]byte(fmt.Sprintf("DENY 1 x%d", n))}}, nil
	}}.Do(context.Background(), source.NewFile("p.sb", nil))
	if !errors.Is(err, boom) || n != 2 {
		t.Errorf("error: %v after %d runs", err, n)
	}
}

// FuzzReadLine: lines come back as written (without their line ends),
// whatever the bytes.
func FuzzReadLine(f *testing.F) {
	f.Add([]byte("a\nb\r\nc"))
	f.Add([]byte("\n\n\r\n"))
	f.Add([]byte(`{"eventMessage":"Sandbox: x(1) deny(1) file-read-data /a"}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		br := bufio.NewReaderSize(bytes.NewReader(data), 16)
		var got []string
		for {
			line, tooLong, err := readLine(br)
			if tooLong {
				t.Fatal("a short line was too long")
			}
			if err != nil {
				if len(line) > 0 {
					got = append(got, string(line))
				}
				break
			}
			got = append(got, string(line))
		}
		var want []string
		for i, l := range strings.Split(string(data), "\n") {
			if i == strings.Count(string(data), "\n") {
				if l != "" {
					want = append(want, l)
				}
				break
			}
			want = append(want, strings.TrimSuffix(l, "\r"))
		}
		if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
			t.Errorf("%q: lines %q, want %q", data, got, want)
		}
	})
}
