package learn

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"testing"

	"github.com/sbplc/sbplc/internal/driver"
	"github.com/sbplc/sbplc/internal/testutil"
	"github.com/sbplc/sbplc/source"
)

// genLog is a reader of n synthetic log lines in the formats a real
// capture mixes (compact, syslog, ndjson, sandboxd rows, duplicate reports,
// other processes' denials, noise, rows of other subsystems), over a fixed
// set of 300 distinct targets: the shape of a long `log stream` of one
// program. Lines are made as they are read; nothing is held.
type genLog struct {
	n, i int
	buf  []byte
}

func (g *genLog) Read(p []byte) (int, error) {
	for len(g.buf) == 0 {
		if g.i >= g.n {
			return 0, io.EOF
		}
		g.buf = g.line(g.i)
		g.i++
	}
	n := copy(p, g.buf)
	g.buf = g.buf[n:]
	return n, nil
}

func (g *genLog) line(i int) []byte {
	k := i % 300
	var target string
	switch k % 6 {
	case 0:
		target = fmt.Sprintf("file-read-data /usr/local/lib/tool/lib%d.dylib", k)
	case 1:
		target = fmt.Sprintf("file-read-data /Users/me/Library/Preferences/com.example.%d.plist", k)
	case 2:
		target = fmt.Sprintf("mach-lookup com.example.service%d", k)
	case 3:
		target = fmt.Sprintf("file-write-create /private/var/folders/ab/cd%d/T/.tmpA%05d/out", k%7, k)
	case 4:
		target = fmt.Sprintf("sysctl-read kern.example%d", k)
	default:
		target = fmt.Sprintf("network-outbound remote:*:%d", 8000+k)
	}
	switch i % 10 {
	case 0:
		return []byte(fmt.Sprintf("2026-10-01 10:00:%02d.%03d E  kernel[0:%x] (Sandbox) Sandbox: tool(500) deny(1) %s\n", i%60, i%1000, i, target))
	case 1:
		return []byte(fmt.Sprintf("2026-10-01 10:00:00.%06d+0200  localhost kernel[0]: (Sandbox) 3 duplicate reports for Sandbox: tool(500) deny(1) %s\n", i%1000000, target))
	case 2:
		return []byte(fmt.Sprintf(`{"messageType":"Error","subsystem":"","eventMessage":"Sandbox: tool(500) deny(1) %s","processID":0,"machTimestamp":%d}`+"\n", target, i))
	case 3:
		return []byte(fmt.Sprintf("Jul  1 09:29:%02d host sandboxd[129] ([500]): tool(500) deny %s\n", i%60, target))
	case 4:
		return []byte("2026-10-01 10:00:00.000 E  kernel[0:1] (Sandbox) Sandbox: tool(500) deny(1) file-read-data /dev/dtracehelper\n")
	case 5:
		return []byte(fmt.Sprintf("2026-10-01 10:00:00.000 E  kernel[0:1] (Sandbox) Sandbox: mDNSResponder(476) deny(1) mach-lookup com.apple.private.corewifi-xpc%d\n", i%5))
	case 6:
		return []byte(fmt.Sprintf("2026-10-01 10:00:00.000 Df mds[312:1] [com.apple.metadata:index] Scan finished, %d items\n", i))
	}
	return []byte(fmt.Sprintf("2026-10-01 10:00:00.000 E  kernel[0:%x] (Sandbox) Sandbox: tool(500) deny(1) %s\n", i, target))
}

// learnLog runs the whole of sbplc learn's work on a generated log.
func learnLog(tb testing.TB, d *driver.Driver, n int, widen Widen) (*Collector, *Outcome) {
	c := NewCollector(Select{Processes: []string{"tool"}}, nil, false)
	s := NewScanner(&genLog{n: n})
	for s.Scan() {
		c.Add(s.Report(), "gen.log")
	}
	params := map[string]string{"HOME": "/Users/me"}
	l := &Learner{Driver: d, Params: params, Widen: widen}
	l.Policy.Home = "/Users/me"
	p, err := l.Plan(context.Background(), source.NewFile("p.sb", []byte(EmptyProfile)), c)
	if err != nil {
		tb.Fatal(err)
	}
	out, err := p.Apply(context.Background(), []string{"gen.log"})
	if err != nil {
		tb.Fatal(err)
	}
	return c, out
}

// BenchmarkLearn100k: a 100,000-line log, read, collected, planned against
// the empty profile, applied and proved (the budget is 1 s).
func BenchmarkLearn100k(b *testing.B) {
	for _, w := range []Widen{WidenNone, WidenAuto} {
		b.Run("widen="+w.String(), func(b *testing.B) {
			d, _ := driver.New(driver.Options{Params: map[string]string{"HOME": "/Users/me"}, ParamsGiven: true, NoConfig: true})
			b.ReportAllocs()
			defer testutil.CPUTimer(b)()
			for b.Loop() {
				_, out := learnLog(b, d, 100000, w)
				if len(out.Rules) == 0 || out.Ineffective() > 0 {
					b.Fatalf("rules %d, ineffective %d", len(out.Rules), out.Ineffective())
				}
			}
		})
	}
}

// BenchmarkScan100k is the reading alone.
func BenchmarkScan100k(b *testing.B) {
	b.ReportAllocs()
	defer testutil.CPUTimer(b)()
	for b.Loop() {
		s := NewScanner(&genLog{n: 100000})
		n := 0
		for s.Scan() {
			n++
		}
		if n == 0 {
			b.Fatal("no reports")
		}
	}
}

// TestMemoryFlat reads logs of 100,000 and 400,000 lines: the live heap
// after reading (the collector's state) must not grow with the log.
func TestMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 500,000 lines")
	}
	heap := func(n int) (uint64, *Collector) {
		c := NewCollector(Select{}, nil, false)
		s := NewScanner(&genLog{n: n})
		for s.Scan() {
			c.Add(s.Report(), "gen.log")
		}
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc, c
	}
	small, c1 := heap(100000)
	large, c2 := heap(400000)
	if c1.Observations() != c2.Observations() || c2.Denials < 4*c1.Denials-100 {
		t.Fatalf("observations %d / %d, denials %d / %d", c1.Observations(), c2.Observations(), c1.Denials, c2.Denials)
	}
	runtime.KeepAlive(c1)
	runtime.KeepAlive(c2)
	// Both collectors are alive at the second measurement, so the large
	// run may cost at most one more collector (a few hundred KiB), not four
	// times the small run's log.
	if large > small+4<<20 {
		t.Errorf("heap after 100k lines %d KiB, after 400k lines %d KiB: memory grows with the log", small>>10, large>>10)
	}
	t.Logf("heap after 100k lines %d KiB, after 400k lines (both collectors alive) %d KiB", small>>10, large>>10)
}
