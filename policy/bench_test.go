package policy

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/sbplc/sbplc/corpus"
	"github.com/sbplc/sbplc/eval"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/source"
)

// typicalProfile builds a 100-rule profile shaped like real agent and app
// profiles: (deny default), file-read*/file-write* subpaths and literals,
// some regexes, mach-lookup names, network and sysctl rules.
func typicalProfile() *ir.Profile {
	var rs []*ir.Rule
	rs = append(rs, deny("default"))
	for i := 0; i < 30; i++ {
		rs = append(rs, allow("file-read*", sub(fmt.Sprintf("/System/Library/Frameworks/F%d.framework", i))))
	}
	for i := 0; i < 15; i++ {
		rs = append(rs, allow("file-read* file-write*", lit(fmt.Sprintf("/private/var/db/file%d", i), fmt.Sprintf("/dev/tty%d", i))))
	}
	for i := 0; i < 8; i++ {
		rs = append(rs, allow("file-read*", rx(fmt.Sprintf(`^/usr/lib/lib%d[^/]*\.dylib$`, i))))
	}
	rs = append(rs, allow("file-read*", rx(`\.plist$`)))
	rs = append(rs, allow("file-write*", sub("/Users/me/proj"), sub("/private/tmp")))
	rs = append(rs, deny("file-write*", sub("/Users/me/proj/.git/hooks")))
	rs = append(rs, deny("file-read*", sub("/Users/me/.ssh"), sub("/Users/me/.aws")))
	for i := 0; i < 20; i++ {
		rs = append(rs, allow("mach-lookup", leaf("global-name", "global-name", ir.MatchExact, str(fmt.Sprintf("com.apple.service%d", i)))))
	}
	for i := 0; i < 10; i++ {
		rs = append(rs, allow("network-outbound", leaf("remote", "", ir.MatchOther, sym("tcp"), str(fmt.Sprintf("*:%d", 8000+i)))))
	}
	for i := 0; i < 10; i++ {
		rs = append(rs, allow("sysctl-read", leaf("sysctl-name", "sysctl-name", ir.MatchExact, str(fmt.Sprintf("kern.k%d", i)))))
	}
	rs = append(rs, allow("process-exec*", sub("/usr/bin")), allow("signal", leaf("target", "target", ir.MatchOther, sym("children"))))
	return prof(rs...)
}

var benchQueries = [][2]string{
	{"file-read-data", "/Users/me/.ssh/id_rsa"},
	{"file-read-data", "/System/Library/Frameworks/F29.framework/F29"},
	{"file-read-metadata", "/usr/lib/libz.dylib"},
	{"file-write-data", "/Users/me/proj/src/main.go"},
	{"file-write-data", "/Users/me/proj/.git/hooks/pre-commit"},
	{"mach-lookup", "com.apple.service19"},
	{"mach-lookup", "com.apple.windowserver.active"},
	{"network-outbound", "tcp:*:443"},
	{"sysctl-read", "kern.k3"},
	{"process-exec*", "/usr/bin/git"},
}

func TestTypicalProfileSize(t *testing.T) {
	if n := len(typicalProfile().Rules); n != 100 {
		t.Fatalf("typical profile has %d rules, want 100", n)
	}
}

// BenchmarkQuery measures warm-engine queries on a 100-rule profile; the
// target is at least 1M queries/s (under 1000 ns/op).
func BenchmarkQuery(b *testing.B) {
	e, ds := New(typicalProfile(), Options{})
	if len(ds) > 0 {
		b.Fatal(ds)
	}
	reqs := make([]Request, len(benchQueries))
	for i, q := range benchQueries {
		res, err := ParseResource(q[0], q[1])
		if err != nil {
			b.Fatal(err)
		}
		reqs[i] = Request{Op: q[0], Resource: res}
	}
	benchQueryInto(b, e, reqs)
}

// benchQueryInto is the warm-engine loop: QueryInto over reqs with one
// reused Decision, reporting allocations and CPU time per query.
func benchQueryInto(b *testing.B, e *Engine, reqs []Request) {
	b.ReportAllocs()
	b.ResetTimer()
	var d Decision
	c0 := cpuTime()
	n := 0
	for i := 0; b.Loop(); i++ {
		e.QueryInto(reqs[i%len(reqs)], &d)
		n++
	}
	reportCPU(b, c0, n)
}

// cpuTime is the process's user+system CPU time. The CI machine and shared
// hosts are often loaded; CPU time per query is steadier than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, c0 time.Duration, n int) {
	if c := cpuTime() - c0; c > 0 && n > 0 {
		b.ReportMetric(float64(c.Nanoseconds())/float64(n), "cpu-ns/op")
	}
}

// BenchmarkQueryAlloc is Query returning a fresh Decision each time.
func BenchmarkQueryAlloc(b *testing.B) {
	e, _ := New(typicalProfile(), Options{})
	reqs := make([]Request, len(benchQueries))
	for i, q := range benchQueries {
		res, _ := ParseResource(q[0], q[1])
		reqs[i] = Request{Op: q[0], Resource: res}
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		e.Query(reqs[i%len(reqs)])
	}
}

// BenchmarkQueryText includes parsing and canonicalising the resource.
func BenchmarkQueryText(b *testing.B) {
	e, _ := New(typicalProfile(), Options{})
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		q := benchQueries[i%len(benchQueries)]
		if _, err := e.QueryText(q[0], q[1]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNew measures compiling the 100-rule profile (its regexes come
// from the process-wide cache after the first iteration).
func BenchmarkNew(b *testing.B) {
	p := typicalProfile()
	b.ReportAllocs()
	c0 := cpuTime()
	n := 0
	for b.Loop() {
		New(p, Options{})
		n++
	}
	reportCPU(b, c0, n)
}

// BenchmarkQueryCorpus queries the largest real profile of the corpus with
// the audit probes.
func BenchmarkQueryCorpus(b *testing.B) {
	es := corpus.Largest(corpus.ForTest(b), 1, "profile")
	if len(es) == 0 {
		b.Skip("no corpus")
	}
	data, err := es[0].Read()
	if err != nil {
		b.Fatal(err)
	}
	res := eval.Run(source.NewFile(es[0].File, data), eval.Options{Params: map[string]string{"HOME": DefaultHome}})
	e, _ := New(res.Profile, Options{Home: DefaultHome})
	ps := Probes()
	var reqs []Request
	for _, p := range ps {
		op, err := e.ResolveOp(p.Op)
		if err != nil {
			continue
		}
		r, err := ParseResource(op, ExpandHome(p.Resource, DefaultHome))
		if err != nil {
			continue
		}
		reqs = append(reqs, Request{Op: op, Resource: r})
	}
	benchQueryInto(b, e, reqs)
	b.ReportMetric(float64(len(res.Profile.Rules)), "rules")
}

// BenchmarkNewCorpus measures compiling the largest real profile of the
// corpus (257 rules): what lint and the LSP pay on every run.
func BenchmarkNewCorpus(b *testing.B) {
	es := corpus.Largest(corpus.ForTest(b), 1, "profile")
	if len(es) == 0 {
		b.Skip("no corpus")
	}
	data, err := es[0].Read()
	if err != nil {
		b.Fatal(err)
	}
	res := eval.Run(source.NewFile(es[0].File, data), eval.Options{Params: map[string]string{"HOME": DefaultHome}})
	for _, cold := range []bool{false, true} {
		name := "warm"
		if cold {
			name = "cold" // an empty regex cache: a first run
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			c0 := cpuTime()
			n := 0
			for b.Loop() {
				if cold {
					rxCache.mu.Lock()
					clear(rxCache.trans)
					clear(rxCache.auto)
					rxCache.mu.Unlock()
				}
				New(res.Profile, Options{Home: DefaultHome})
				n++
			}
			reportCPU(b, c0, n)
			b.ReportMetric(float64(len(res.Profile.Rules)), "rules")
		})
	}
}
