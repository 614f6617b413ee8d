package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A pre-commit hook or a CI step starts sbplc once per invocation, so
// starting it must cost little more than starting any Go program: package
// initialisation builds no table, compiles no regular expression and
// parses no embedded file, and a command builds only what it uses. These
// tests count allocations, which do not depend on how busy the machine is;
// BenchmarkStartup measures the time.

// Budgets of package initialisation in `sbplc version`, from
// GODEBUG=inittrace=1. Building the vocabulary index, the rule table or a
// regular expression at initialisation costs thousands of allocations
// (before lazy tables: 7,400 allocations, 1.2 MB), so these catch one such
// regression while leaving room for small package variables.
const (
	initOwnAllocs = 300       // sbplc's own packages
	initOwnBytes  = 48 << 10  //
	initAllAllocs = 1200      // every package, dependencies included
	initAllBytes  = 160 << 10 //
)

// buildBinary builds package pkg (relative to this directory) into dir.
func buildBinary(t testing.TB, dir, pkg, name string) string {
	t.Helper()
	bin := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// initCost is one package's line of GODEBUG=inittrace=1.
type initCost struct {
	pkg           string
	bytes, allocs int
}

// parseInitTrace reads the "init PKG @T ms, C ms clock, B bytes, A allocs"
// lines of GODEBUG=inittrace=1.
func parseInitTrace(text string) ([]initCost, error) {
	var out []initCost
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 11 || f[0] != "init" || f[8] != "bytes," || f[10] != "allocs" {
			continue
		}
		b, err1 := strconv.Atoi(f[7])
		a, err2 := strconv.Atoi(f[9])
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("bad inittrace line %q", sc.Text())
		}
		out = append(out, initCost{f[1], b, a})
	}
	return out, sc.Err()
}

func TestParseInitTrace(t *testing.T) {
	got, err := parseInitTrace("init runtime @0.040 ms, 0.27 ms clock, 0 bytes, 0 allocs\n" +
		"init github.com/sbplc/sbplc/vocab @6.0 ms, 0.62 ms clock, 224816 bytes, 806 allocs\n" +
		"sbplc devel linux/amd64 go1.26.8\n")
	if err != nil || len(got) != 2 || got[1] != (initCost{"github.com/sbplc/sbplc/vocab", 224816, 806}) {
		t.Fatalf("parseInitTrace: %v, %v", got, err)
	}
}

// TestStartupInitBudget runs `GODEBUG=inittrace=1 sbplc version` on the
// built binary and holds package initialisation to the budgets above.
func TestStartupInitBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("builds sbplc")
	}
	bin := buildBinary(t, t.TempDir(), ".", "sbplc")
	cmd := exec.Command(bin, "version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sbplc version: %v\n%s", err, out)
	}
	costs, err := parseInitTrace(string(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(costs) < 20 {
		t.Fatalf("only %d inittrace lines: GODEBUG=inittrace=1 not honoured?\n%s", len(costs), out)
	}
	var own, all initCost
	var report strings.Builder
	for _, c := range costs {
		all.bytes += c.bytes
		all.allocs += c.allocs
		if strings.HasPrefix(c.pkg, "github.com/sbplc/sbplc") {
			own.bytes += c.bytes
			own.allocs += c.allocs
		}
		if c.allocs > 0 {
			fmt.Fprintf(&report, "  %s: %d bytes, %d allocs\n", c.pkg, c.bytes, c.allocs)
		}
	}
	t.Logf("sbplc packages: %d bytes, %d allocs; all packages: %d bytes, %d allocs", own.bytes, own.allocs, all.bytes, all.allocs)
	if own.allocs > initOwnAllocs || own.bytes > initOwnBytes || all.allocs > initAllAllocs || all.bytes > initAllBytes {
		t.Errorf("package initialisation grew past its budget (sbplc: %d allocs, %d bytes, budget %d, %d; all: %d allocs, %d bytes, budget %d, %d): build the table or regexp on first use (sync.OnceValue, internal/lazyre) or at generate time\n%s",
			own.allocs, own.bytes, initOwnAllocs, initOwnBytes, all.allocs, all.bytes, initAllAllocs, initAllBytes, report.String())
	}
}

// coldRunAllocs is the budget of allocations of the first run of `sbplc
// version` in a process: the root command and one subcommand, no
// vocabulary, rule table or lint registry (all commands and those tables:
// several thousand).
const coldRunAllocs = 300

// TestColdStartAllocs runs `sbplc version` once in a fresh process (this
// test binary, so that it can count allocations) and holds it to
// coldRunAllocs.
func TestColdStartAllocs(t *testing.T) {
	if os.Getenv("SBPLC_COLD_PROBE") != "" {
		t.Skip("the probe itself")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestColdStartProbe$", "-test.v")
	cmd.Env = append(os.Environ(), "SBPLC_COLD_PROBE=version")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("probe: %v\n%s", err, out)
	}
	_, after, ok := strings.Cut(string(out), "cold-probe allocs=")
	if !ok {
		t.Fatalf("probe printed no count:\n%s", out)
	}
	n, err := strconv.Atoi(strings.Fields(after)[0])
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first `sbplc version` in a process: %d allocations", n)
	if n > coldRunAllocs {
		t.Errorf("the first `sbplc version` made %d allocations, budget %d: a command must build only what it uses (see onlyCommand) and tables on first use", n, coldRunAllocs)
	}
}

// TestColdStartProbe is the child of TestColdStartAllocs.
func TestColdStartProbe(t *testing.T) {
	what := os.Getenv("SBPLC_COLD_PROBE")
	if what == "" {
		t.Skip("run by TestColdStartAllocs")
	}
	var before, after runtime.MemStats
	var out strings.Builder
	runtime.ReadMemStats(&before)
	code := run(strings.Fields(what), strings.NewReader(""), &out, &out)
	runtime.ReadMemStats(&after)
	if code != 0 {
		t.Fatalf("sbplc %s: exit %d\n%s", what, code, out.String())
	}
	fmt.Printf("cold-probe allocs=%d bytes=%d\n", after.Mallocs-before.Mallocs, after.TotalAlloc-before.TotalAlloc)
}

// BenchmarkStartup measures whole processes: `sbplc lint` of a small
// profile and `sbplc version` against an empty Go program built with the
// same toolchain, run alternately so that a busy machine slows both alike.
// It reports the CPU time (user + system) of each per process and the
// ratios:
//
//	go test -run '^$' -bench Startup -benchtime 200x ./cmd/sbplc
func BenchmarkStartup(b *testing.B) {
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module empty\n\ngo 1.21\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command("go", "build", "-o", "empty", ".")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build empty: %v\n%s", err, out)
	}
	empty := filepath.Join(dir, "empty")
	bin := buildBinary(b, dir, ".", "sbplc")
	profile := filepath.Join(dir, "small.sb")
	text := "(version 1)\n(deny default)\n(allow file-read* (subpath \"/usr/lib\"))\n(allow file-write* (literal \"/private/tmp/x\"))\n"
	if err := os.WriteFile(profile, []byte(text), 0o644); err != nil {
		b.Fatal(err)
	}
	cpu := func(name string, args ...string) time.Duration {
		c := exec.Command(name, args...)
		c.Dir = dir
		if err := c.Run(); err != nil {
			b.Fatalf("%s %v: %v", name, args, err)
		}
		return c.ProcessState.UserTime() + c.ProcessState.SystemTime()
	}
	var tEmpty, tLint, tVersion time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tEmpty += cpu(empty)
		tLint += cpu(bin, "lint", profile)
		tVersion += cpu(bin, "version")
	}
	n := float64(b.N)
	ms := func(d time.Duration) float64 { return float64(d) / n / 1e6 }
	b.ReportMetric(ms(tEmpty), "empty-cpu-ms")
	b.ReportMetric(ms(tLint), "lint-cpu-ms")
	b.ReportMetric(ms(tVersion), "version-cpu-ms")
	if tEmpty > 0 {
		b.ReportMetric(float64(tLint)/float64(tEmpty), "lint/empty")
		b.ReportMetric(float64(tVersion)/float64(tEmpty), "version/empty")
	}
}
