package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sbplc/sbplc/config"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/format"
	"github.com/sbplc/sbplc/internal/fsutil"
	"github.com/sbplc/sbplc/learn"
	"github.com/sbplc/sbplc/source"
)

func init() { register("learn", newLearnCmd) }

// learnFormats are the accepted --format values.
var learnFormats = []string{"sbpl", "diff", "json"}

// reviewTerminal reports whether -i may prompt: standard input and the
// prompt's output are terminals. Tests replace it.
var reviewTerminal = func(in io.Reader, out io.Writer) bool {
	return isTerminalFile(in) && isTerminalFile(out)
}

// learnNoiseOverrides reads the noise overrides of a configuration (the
// learn.noise section of .sbplc.yaml).
func learnNoiseOverrides(cfg *config.Config) learn.NoiseOverrides {
	if cfg == nil {
		return learn.NoiseOverrides{}
	}
	return learn.NoiseOverrides{Add: cfg.Learn.NoiseAdd, Keep: cfg.Learn.NoiseKeep}
}

func newLearnCmd() *cobra.Command {
	var (
		profile, outFormat, widen, home, cfgPath string
		processes                                []string
		pids                                     []int
		write, all, interactive, noConfig        bool
		ef                                       evalFlags
	)
	c := &cobra.Command{
		Use:   "learn [--profile PROFILE] [-D K=V] [--process NAME|--pid N] [--format sbpl|diff|json] [-w] [-i] [--widen none|dir|auto] LOG...",
		Short: "write rules for the denials a sandbox log shows (audit2allow for Seatbelt)",
		Long: `learn reads recorded sandbox denial reports and writes the narrowest rule for
each, the loop people use to build a profile: start from deny default, run the
program, read the denials, allow what it needs, repeat.

LOG is a file, a FIFO, or - for standard input (log stream ... | sbplc learn -).
Every format macOS writes is read, detected per line: log show / log stream in
the default, compact, syslog, json and ndjson styles, the old sandboxd syslog
lines, kernel "Sandbox:" lines, "System Policy:" lines, "N duplicate reports
for" lines, (with message ...) tags, and lines wrapped in timestamps and process
columns. Lines that look like reports but cannot be read are counted (-v lists
them); an operation this sbplc does not know is a warning naming the line.

Each denial gets the narrowest filter for its operation: a path a literal
(canonical, /private/tmp not /tmp), a Mach service a global-name, a sysctl a
sysctl-name, a connection (remote ip "*:PORT") or the socket path, ... Paths
under a -D value become (param ...) expressions (-D HOME=/Users/me turns
/Users/me/x into (string-append (param "HOME") "/x")). --widen dir makes
sibling paths one subpath; --widen auto also makes paths under -D PROJECT (or
PROJECT_DIR) the project's subpath and versioned or random components a regex.
Nothing is widened into a secret or persistence location (~/.ssh, keychains,
shell start-up files, LaunchAgents, git hooks, ...); such targets stay literal
and are flagged. Denials that are harmless for most programs (/dev/dtracehelper,
notifyd's shared memory, ...) are skipped with a count; --all keeps them.

With --profile, only denials the profile still denies produce rules, and a
deny you wrote is never overridden. The rules go in a marked block before the
first filtered deny (or at the end), and the result is proved: re-evaluated,
every learned denial queried (a rule that leaves one denied is reported with
the deciding rule), linted (no new error), and each rule's breadth reported.
Without --profile, learn starts from (version 1) (deny default).

Output: the new profile (--format sbpl), a unified diff (diff), or a JSON
report (json); -w rewrites PROFILE atomically instead. -i reviews each rule
on a terminal: accept, widen, keep literal, deny quietly, or skip.

Exit status (learn): 0 rules written or nothing to learn (a log without
denials says so); 1 the profile has errors (nothing written), the new profile
would add an error (nothing written), or a learned rule is ineffective;
2 usage or I/O errors.`,
		Example: `  sbplc init --template cli-tool -o tool.sb
  log show --style compact --last 5m --predicate 'sender == "Sandbox"' > denials.log
  sbplc learn --profile tool.sb -D HOME=$HOME --process mytool --format diff denials.log
  sbplc learn --profile tool.sb -D HOME=$HOME --process mytool -w denials.log
  log stream --style ndjson --predicate 'sender == "Sandbox"' | sbplc learn --widen auto -`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return commandUsageErrorf(c, "missing LOG (a file, or - for standard input)")
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			if !slices.Contains(learnFormats, outFormat) {
				return usageErrorf("unknown --format %q: use %s", outFormat, strings.Join(learnFormats, ", "))
			}
			level, err := learn.ParseWiden(widen)
			if err != nil {
				return usageErrorf("%v", err)
			}
			stdinUsers := 0
			for _, a := range args {
				if a == "-" {
					stdinUsers++
				}
			}
			if profile == "-" {
				stdinUsers++
			}
			switch {
			case stdinUsers > 1:
				return usageErrorf("standard input (-) can be read only once: name the profile or the log as a file")
			case write && profile == "":
				return usageErrorf("-w rewrites the --profile file: name one with --profile PROFILE")
			case write && profile == "-":
				return usageErrorf("cannot use -w with a profile read from standard input")
			case interactive && stdinUsers > 0:
				return usageErrorf("-i reads answers from standard input: name the log and the profile as files")
			case interactive && !reviewTerminal(c.InOrStdin(), c.ErrOrStderr()):
				return usageErrorf("-i needs a terminal (standard input and standard error); without one, use --format diff to review")
			}
			for _, p := range pids {
				if p < 0 {
					return usageErrorf("--pid %d: a process id is 0 or more", p)
				}
			}
			opts, err := ef.driverOptions()
			if err != nil {
				return usageErrorf("%v", err)
			}
			opts.ConfigFile, opts.NoConfig = cfgPath, noConfig
			if home == "" {
				home = opts.Params["HOME"]
			}
			if home != "" && !strings.HasPrefix(home, "/") {
				return usageErrorf("--home %q: want an absolute path", home)
			}
			opts.Home = home
			d, err := newDriver(opts)
			if err != nil {
				return err
			}
			// The profile is read (and stamped) first: a missing profile
			// is a usage error before any log is read.
			var in *input
			if profile != "" {
				if in, err = readInput(profile, c.InOrStdin()); err != nil {
					return usageErrorf("%v", err)
				}
			} else {
				in = &input{src: source.NewFile("<learned>", []byte(learn.EmptyProfile))}
			}
			cfg, _ := d.Config(in.src.Name)
			noise, err := learn.NewNoise(learnNoiseOverrides(cfg))
			if err != nil {
				return usageErrorf("%s: %v", cfg.Path, err)
			}
			col := learn.NewCollector(learn.Select{Processes: processes, PIDs: pids}, noise, all)
			var logs []logStats
			for _, name := range args {
				st, err := readLog(name, c.InOrStdin(), col)
				if err != nil {
					return usageErrorf("%v", err)
				}
				logs = append(logs, st)
			}
			stderr := c.ErrOrStderr()
			v := verboseOut(c)
			writeLogSummary(stderr, v, logs, col)
			l := &learn.Learner{Driver: d, Params: opts.Params, Widen: level}
			l.Policy.Home = home
			l.Policy.Target = ef.target
			plan, err := l.Plan(c.Context(), in.src, col)
			var pe *learn.ProfileError
			if errors.As(err, &pe) {
				diag.WriteText(stderr, pe.Diags, diag.TextOptions{Snippet: true})
				fmt.Fprintf(stderr, "sbplc: %v; nothing learned\n", pe)
				return findings()
			}
			if err != nil {
				return usageErrorf("%v", err)
			}
			diag.WriteText(stderr, plan.Warnings, diag.TextOptions{Snippet: true})
			writePlanSummary(stderr, v, in.src.Name, plan)
			if interactive && len(plan.Groups) > 0 {
				if err := plan.Review(c.Context(), c.InOrStdin(), stderr); err != nil {
					return usageErrorf("%v", err)
				}
			}
			var names []string
			for _, st := range logs {
				names = append(names, st.name)
			}
			out, err := plan.Apply(c.Context(), names)
			if err != nil {
				return usageErrorf("%v", err)
			}
			writeRuleSummary(stderr, in.src.Name, out)
			stdout := c.OutOrStdout()
			switch {
			case outFormat == "json":
				writeLearnJSON(stdout, in.src.Name, logs, col, plan, out)
			case write:
			case outFormat == "diff":
				stdout.Write(format.Diff("a/"+in.src.Name, "b/"+in.src.Name, in.src.Text, out.Text))
			default:
				stdout.Write(out.Text)
			}
			if len(out.NewErrors) > 0 {
				diag.WriteText(stderr, out.NewErrors, diag.TextOptions{Snippet: true})
				fmt.Fprintf(stderr, "sbplc: the learned rules would add %s to %s; nothing written (please report this)\n", diag.Count(len(out.NewErrors), "error"), in.src.Name)
				return findings()
			}
			if write && out.Changed() {
				if err := fsutil.WriteFile(profile, out.Text, fsutil.WriteOptions{Expect: in.stamp, Limit: fsutil.MaxInputSize}); err != nil {
					return usageErrorf("-w: %v", err)
				}
				fmt.Fprintf(stderr, "%s: wrote %s\n", profile, diag.Count(len(out.Rules), "learned rule"))
			}
			if out.Ineffective() > 0 {
				return findings()
			}
			return nil
		},
	}
	fl := c.Flags()
	fl.StringVar(&profile, "profile", "", "learn against this profile: only what it still denies produces rules (default: start from (version 1) (deny default))")
	fl.StringVar(&outFormat, "format", "sbpl", "output: sbpl (the new profile), diff (a unified diff) or json (a report)")
	fl.BoolVarP(&write, "write", "w", false, "rewrite the --profile file atomically instead of printing")
	fl.StringVar(&widen, "widen", "none", "how far to generalise paths: none, dir (siblings become their directory) or auto (also the project and random or versioned components)")
	fl.StringArrayVar(&processes, "process", nil, "keep only this process's denials (repeatable; truncated names in the log match by prefix)")
	fl.IntSliceVar(&pids, "pid", nil, "keep only this process id's denials (repeatable)")
	fl.BoolVar(&all, "all", false, "keep the denials the noise table skips (/dev/dtracehelper, ...)")
	fl.BoolVarP(&interactive, "interactive", "i", false, "review each proposed rule on the terminal")
	fl.StringVar(&home, "home", "", "home directory for the secrets and persistence locations (default: the HOME param)")
	fl.StringVar(&cfgPath, "config", "", "use this configuration file instead of searching for "+config.FileName)
	fl.BoolVar(&noConfig, "no-config", false, "ignore "+config.FileName+" files")
	ef.add(c)
	return c
}

// logStats is what reading one log found.
type logStats struct {
	name  string
	stats learn.Stats
}

// readLog streams one log into the collector: a file, a FIFO or "-".
// Nothing is held but the current line (at most learn.MaxLine bytes).
func readLog(name string, stdin io.Reader, col *learn.Collector) (logStats, error) {
	st := logStats{name: name}
	r := stdin
	if name == "-" {
		st.name = "<stdin>"
	} else {
		f, err := os.Open(name)
		if err != nil {
			return st, fmt.Errorf("%s: %v", name, unwrapPathErr(err))
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil && fi.IsDir() {
			return st, fmt.Errorf("%s: is a directory, not a log", name)
		}
		r = f
	}
	s := learn.NewScanner(r)
	for s.Scan() {
		col.Add(s.Report(), st.name)
	}
	st.stats = s.Stats()
	if err := s.Err(); err != nil {
		return st, fmt.Errorf("%s: %v", name, unwrapPathErr(err))
	}
	return st, nil
}

// writeLogSummary says what the logs held.
func writeLogSummary(w, v io.Writer, logs []logStats, col *learn.Collector) {
	lines, unparseable := 0, 0
	for _, l := range logs {
		lines += l.stats.Lines
		unparseable += l.stats.Unparseable
		if v != nil {
			for _, p := range l.stats.Samples {
				fmt.Fprintf(v, "%s:%d: unparseable: %s: %s\n", l.name, p.Line, p.Why, p.Text)
			}
			if n := l.stats.Unparseable - len(l.stats.Samples); n > 0 {
				fmt.Fprintf(v, "%s: %d more unparseable lines not listed\n", l.name, n)
			}
		}
	}
	var names []string
	for _, l := range logs {
		names = append(names, l.name)
	}
	fmt.Fprintf(w, "sbplc learn: %s: %s read, %s", strings.Join(names, ", "), diag.Count(lines, "line"), diag.Count(col.Denials, "denial"))
	if col.Allows > 0 {
		fmt.Fprintf(w, ", %s (not denials)", diag.Count(col.Allows, "allow report"))
	}
	if unparseable > 0 {
		fmt.Fprintf(w, ", %s", diag.Count(unparseable, "unparseable line"))
		if v == nil {
			fmt.Fprint(w, " (-v lists them)")
		}
	}
	fmt.Fprintln(w)
	if col.Denials == 0 {
		fmt.Fprintln(w, "sbplc learn: no denials in the log: nothing to learn")
	}
	for _, u := range col.Unknown {
		fmt.Fprintf(w, "%s:%d: warning: unknown operation %q (%s; a newer macOS?): no rule written\n", u.Example.Source, u.Example.Line, u.Text, diag.Count(u.Count, "denial"))
	}
	for _, u := range col.NoFilter {
		fmt.Fprintf(w, "%s:%d: warning: %s\n", u.Example.Source, u.Example.Line, u.Text)
	}
	for _, n := range col.Notes {
		fmt.Fprintf(w, "%s:%d: note: %s\n", n.Example.Source, n.Example.Line, n.Text)
	}
	if col.PolicyN > 0 {
		fmt.Fprintf(w, "sbplc learn: %s by the System Policy (the platform policy, not the profile: no rule can fix them)\n", diag.Count(col.PolicyN, "denial"))
		if v != nil {
			for _, p := range col.Policy {
				fmt.Fprintf(v, "  %s (%d) e.g. %s\n", p.Text, p.Count, p.Example)
			}
		}
	}
	if n := col.NoiseSkipped(); n > 0 {
		fmt.Fprintf(w, "sbplc learn: skipped %s harmless for most programs (--all keeps them)\n", diag.Count(n, "denial"))
		if v != nil {
			keys := slices.Sorted(maps.Keys(col.Noise))
			for _, k := range keys {
				fmt.Fprintf(v, "  noise: %s (%d)\n", k, col.Noise[k])
			}
		}
	}
	if col.Others > 0 {
		fmt.Fprintf(w, "sbplc learn: skipped %s of other processes (--process, --pid)\n", diag.Count(col.Others, "denial"))
	}
	if col.Dropped > 0 {
		fmt.Fprintf(w, "sbplc learn: %s of more than %d distinct targets not kept\n", diag.Count(col.Dropped, "denial"), learn.MaxTargets)
	}
	if procs := col.ProcessList(); len(procs) > 1 {
		var parts []string
		for i, p := range procs {
			if i == 5 {
				parts = append(parts, "...")
				break
			}
			parts = append(parts, fmt.Sprintf("%s (%d)", p.Text, p.Count))
		}
		fmt.Fprintf(w, "sbplc learn: denials from %d processes: %s; --process NAME keeps one program's\n", len(procs), strings.Join(parts, ", "))
	}
}

// writePlanSummary says what the profile decided before anything was
// learned.
func writePlanSummary(w, v io.Writer, name string, p *learn.Plan) {
	for _, n := range p.Notes {
		fmt.Fprintf(w, "sbplc learn: note: %s\n", n)
	}
	if p.AlreadyN > 0 {
		fmt.Fprintf(w, "sbplc learn: %s already allowed by %s\n", diag.Count(p.AlreadyN, "denial"), name)
		if v != nil {
			for _, a := range p.Already {
				fmt.Fprintf(v, "  allowed: %s (%d)\n", a.Text, a.Count)
			}
		}
	}
	for _, d := range p.Deliberate {
		fmt.Fprintf(w, "%s:%d: note: %s: kept denied (learn never overrides a deny in the profile)\n", d.Example.Source, d.Example.Line, d.Text)
	}
}

// writeRuleSummary proves each rule in words.
func writeRuleSummary(w io.Writer, name string, out *learn.Outcome) {
	if len(out.Rules) == 0 {
		fmt.Fprintln(w, "sbplc learn: no rule to add")
		return
	}
	fmt.Fprintf(w, "sbplc learn: %s:\n", diag.Count(len(out.Rules), "learned rule"))
	for _, r := range out.Rules {
		status := "effective"
		if len(r.Ineffective) > 0 {
			status = "INEFFECTIVE"
		}
		fmt.Fprintf(w, "  %s:%d: %s: %s, allows %s: %s\n", name, r.Line, strings.Join(r.Ops, " "), diag.Count(r.Denials, "denial"), strings.Join(r.Breadth, "; "), status)
		for _, s := range r.Ineffective {
			fmt.Fprintf(w, "      ineffective: %s\n", s)
		}
		for _, s := range r.Unverified {
			fmt.Fprintf(w, "      not checked: %s\n", s)
		}
		for _, s := range r.Flags {
			fmt.Fprintf(w, "      flagged: %s\n", s)
		}
		for _, s := range r.Findings {
			fmt.Fprintf(w, "      lint: %s\n", s)
		}
	}
}

// JSON report.
type jsonLog struct {
	Name        string `json:"name"`
	Lines       int    `json:"lines"`
	Reports     int    `json:"reports"`
	Unparseable int    `json:"unparseable"`
}

type jsonCounted struct {
	Text    string `json:"text"`
	Count   int    `json:"count"`
	Example string `json:"example,omitempty"`
}

type jsonLearnRule struct {
	Line        int      `json:"line"`
	Operations  []string `json:"operations"`
	Quiet       bool     `json:"quiet,omitempty"`
	Denials     int      `json:"denials"`
	Targets     int      `json:"targets"`
	Example     string   `json:"example"`
	Breadth     []string `json:"breadth"`
	Notes       []string `json:"notes"`
	Flags       []string `json:"flags"`
	Effective   bool     `json:"effective"`
	Ineffective []string `json:"ineffective"`
	Unverified  []string `json:"unverified"`
	Findings    []string `json:"findings"`
}

type jsonLearn struct {
	Profile        string                `json:"profile"`
	Logs           []jsonLog             `json:"logs"`
	Denials        int                   `json:"denials"`
	AllowReports   int                   `json:"allow_reports"`
	Noise          int                   `json:"noise"`
	OtherProcesses int                   `json:"other_processes"`
	SystemPolicy   []jsonCounted         `json:"system_policy"`
	Unknown        []jsonCounted         `json:"unknown_operations"`
	NoFilter       []jsonCounted         `json:"no_rule"`
	Already        []jsonCounted         `json:"already_allowed"`
	Deliberate     []jsonCounted         `json:"denied_on_purpose"`
	Rules          []jsonLearnRule       `json:"rules"`
	NewErrors      []diag.JSONDiagnostic `json:"new_errors"`
	Text           string                `json:"text"`
}

func toJSONCounted(l []learn.Counted) []jsonCounted {
	out := []jsonCounted{}
	for _, c := range l {
		j := jsonCounted{Text: c.Text, Count: c.Count}
		if c.Example.Source != "" {
			j.Example = c.Example.String()
		}
		out = append(out, j)
	}
	return out
}

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

func writeLearnJSON(w io.Writer, name string, logs []logStats, col *learn.Collector, p *learn.Plan, out *learn.Outcome) {
	j := jsonLearn{Profile: name, Denials: col.Denials, AllowReports: col.Allows, Noise: col.NoiseSkipped(),
		OtherProcesses: col.Others, SystemPolicy: toJSONCounted(col.Policy), Unknown: toJSONCounted(col.Unknown),
		NoFilter: toJSONCounted(col.NoFilter), Already: toJSONCounted(p.Already), Deliberate: toJSONCounted(p.Deliberate),
		Rules: []jsonLearnRule{}, NewErrors: []diag.JSONDiagnostic{}, Text: string(out.Text)}
	for _, l := range logs {
		j.Logs = append(j.Logs, jsonLog{Name: l.name, Lines: l.stats.Lines, Reports: l.stats.Reports, Unparseable: l.stats.Unparseable})
	}
	for _, r := range out.Rules {
		j.Rules = append(j.Rules, jsonLearnRule{Line: r.Line, Operations: r.Ops, Quiet: r.Quiet, Denials: r.Denials, Targets: r.Targets,
			Example: r.Example.String(), Breadth: nonNil(r.Breadth), Notes: nonNil(r.Notes), Flags: nonNil(r.Flags),
			Effective: len(r.Ineffective) == 0, Ineffective: nonNil(r.Ineffective), Unverified: nonNil(r.Unverified), Findings: nonNil(r.Findings)})
	}
	for _, d := range out.NewErrors {
		j.NewErrors = append(j.NewErrors, diag.ToJSON(d))
	}
	b, _ := json.MarshalIndent(j, "", "  ")
	fmt.Fprintf(w, "%s\n", b)
}
