package learn

import (
	"bufio"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/internal/driver"
	"github.com/sbplc/sbplc/internal/trace"
	"github.com/sbplc/sbplc/source"
)

// TestTraceStage: sbplc trace's learn stage reads the raw lines of the
// log stream (ndjson from macOS 14.2) with the one reader, finds their
// pids, and proposes rules that the next round no longer needs.
func TestTraceStage(t *testing.T) {
	f, err := os.Open("testdata/buckle-14.2.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, MaxLine)
	for sc.Scan() {
		lines = append(lines, append([]byte(nil), sc.Bytes()...))
	}
	d, err := driver.New(driver.Options{NoConfig: true})
	if err != nil {
		t.Fatal(err)
	}
	st := &TraceStage{Learner: &Learner{Driver: d}}
	pids := 0
	for _, l := range lines {
		if _, ok := st.PID(l); ok {
			pids++
		}
	}
	if pids == 0 {
		t.Fatal("no pid found in the ndjson stream")
	}
	if _, ok := st.PID([]byte(`Filtering the log data using "sender == "Sandbox""`)); ok {
		t.Error("the stream's own line has a pid")
	}
	if pid, ok := st.PID([]byte("Sandbox: curl(53468) deny(1) file-read-data /Users/me/.curlrc")); !ok || pid != 53468 {
		t.Errorf("kernel line: %d %v", pid, ok)
	}
	prof := source.NewFile("p.sb", []byte(EmptyProfile))
	p, err := st.Learn(context.Background(), trace.Request{Profile: prof, Lines: lines})
	if err != nil {
		t.Fatal(err)
	}
	if p.New == 0 || !strings.Contains(p.Report, "+(allow ") || !strings.Contains(string(p.Profile), ";; ---- sbplc learn: begin") {
		t.Fatalf("proposal: new %d\n%s", p.New, p.Report)
	}
	// The next round on the learned profile proposes nothing new.
	p2, err := st.Learn(context.Background(), trace.Request{Profile: source.NewFile("p.sb", p.Profile), Lines: lines})
	if err != nil {
		t.Fatal(err)
	}
	if p2.New != 0 {
		t.Errorf("second round: %d new rules\n%s", p2.New, p2.Report)
	}
}
