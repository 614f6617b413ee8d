package main

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/sbplc/sbplc/config"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/internal/driver"
	"github.com/sbplc/sbplc/internal/fsutil"
	"github.com/sbplc/sbplc/lint"
)

func init() { register("lint", newLintCmd) }

// lintFormats are the accepted --format values.
var lintFormats = []string{"text", "json", "sarif", "github"}

func newLintCmd() *cobra.Command {
	var (
		format, failOn, home, cfgPath string
		enable, disable               []string
		noConfig, fix, fragment       bool
		jobs                          int
		ef                            evalFlags
	)
	c := &cobra.Command{
		Use:   "lint [flags] FILE...",
		Short: "report problems in profiles",
		Long: `lint parses and evaluates each profile and runs the lint rules on the result
(see 'sbplc rules' and 'sbplc explain RULE-ID'). Findings print as
file:line:col: severity: message [rule-id] with the source line and a caret.

Configuration comes from .sbplc.yaml, found by walking up from each file's
directory (or --config FILE): per-rule levels (error, warning, info, off),
target, home, params, import-dirs, preludes and ignore globs. Flags win over
the file. Suppress one finding with a comment on the same or the previous line:

  ; sbplc:ignore RULE-ID reason
  ; sbplc:ignore-file RULE-ID reason     (anywhere in the file)
  ; sbplc:fragment                       (a fragment: no (version) needed)

Exit status: 0 when no finding reaches --fail-on, 1 when one does, 2 for
usage, configuration and I/O errors.`,
		Example: `  sbplc lint profile.sb
  sbplc lint --format json profiles/
  sbplc lint --format sarif --fail-on warning profiles/ > lint.sarif
  sbplc lint --disable hardcoded-home --enable implicit-default -D HOME=/Users/me p.sb
  sbplc lint --fix profile.sb
  cat profile.sb | sbplc lint -`,
		Args: func(c *cobra.Command, args []string) error {
			if jobs < 0 {
				return usageErrorf("--jobs must be 0 (one per CPU) or more, not %d", jobs)
			}
			return requireInputs(c, args)
		},
		RunE: func(c *cobra.Command, args []string) error {
			fail, err := diag.ParseSeverity(failOn)
			if err != nil {
				return usageErrorf("--fail-on: %v", err)
			}
			if !slices.Contains(lintFormats, format) {
				return usageErrorf("unknown --format %q: use %s", format, strings.Join(lintFormats, ", "))
			}
			opts, err := ef.driverOptions()
			if err != nil {
				return usageErrorf("%v", err)
			}
			opts.ConfigFile, opts.NoConfig = cfgPath, noConfig
			opts.Home, opts.Enable, opts.Disable, opts.Fragment = home, enable, disable, fragment
			d, err := newDriver(opts)
			if err != nil {
				return err
			}
			files, err := expandInputs(args, verboseOut(c))
			if err != nil {
				return err
			}
			// Read every input first (stdin once), then check in parallel.
			type job struct {
				in  *input
				res *driver.Result
				err error
			}
			work := make([]*job, 0, len(files))
			for _, name := range files {
				in, err := readInput(name, c.InOrStdin())
				if err != nil {
					return usageErrorf("%v", err)
				}
				work = append(work, &job{in: in})
			}
			if jobs <= 0 {
				jobs = runtime.GOMAXPROCS(0)
			}
			var wg sync.WaitGroup
			next := make(chan *job)
			for i := 0; i < jobs; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for j := range next {
						j.res, j.err = d.Check(c.Context(), j.in.src)
					}
				}()
			}
			for _, j := range work {
				next <- j
			}
			close(next)
			wg.Wait()
			stderr := c.ErrOrStderr()
			v := verboseOut(c)
			var all diag.List
			linted, configBroken := 0, false
			seenConfig := map[string]bool{}
			for _, j := range work {
				if j.err != nil {
					return usageErrorf("%v", j.err)
				}
				if j.res.Ignored {
					if v != nil {
						fmt.Fprintf(v, "sbplc: %s: skipped: excluded by the ignore globs of %s\n", j.in.src.Name, j.res.Config.Path)
					}
					continue
				}
				if v != nil && j.res.Config.Path != "" && !seenConfig[j.res.Config.Path] {
					seenConfig[j.res.Config.Path] = true
					fmt.Fprintf(v, "sbplc: using %s\n", j.res.Config.Path)
				}
				if fix && j.in.stamp != nil {
					fr, err := d.Fix(c.Context(), j.res)
					if err != nil {
						return usageErrorf("%v", err)
					}
					for _, r := range fr.Refused {
						fmt.Fprintf(stderr, "%s: fix not applied: %s: %s\n", r.Finding.Span, r.Title, r.Reason)
					}
					if fr.Applied > 0 {
						if err := fsutil.WriteFile(j.in.src.Name, fr.Text, fsutil.WriteOptions{Expect: j.in.stamp, Limit: fsutil.MaxInputSize}); err != nil {
							return usageErrorf("--fix: %v", err)
						}
						fmt.Fprintf(stderr, "%s: applied %d fix(es)\n", j.in.src.Name, fr.Applied)
						j.res = fr.Final
					}
				}
				linted++
				for _, dg := range j.res.Diags {
					if dg.Code == driver.ConfigCode && dg.Severity == diag.Error {
						configBroken = true
					}
				}
				all = append(all, j.res.Diags...)
			}
			all = dedupConfig(all)
			out := c.OutOrStdout()
			switch format {
			case "text":
				err = diag.WriteText(out, all, textOptions(c, out))
				if n := len(all); n > 0 {
					fmt.Fprintf(stderr, "%s in %d file(s)\n", countSummary(all), linted)
				}
			case "json":
				err = diag.WriteJSON(out, all)
			case "sarif":
				err = diag.WriteSARIF(out, all, sarifTool(), sarifRules())
			case "github":
				err = diag.WriteGitHub(out, all)
			}
			if err != nil {
				return usageErrorf("writing output: %v", err)
			}
			if configBroken {
				return &exitError{Code: exitUsage}
			}
			if all.CountAtLeast(fail) > 0 {
				return findings()
			}
			return nil
		},
	}
	fl := c.Flags()
	fl.StringVar(&format, "format", "text", "output format: "+strings.Join(lintFormats, ", "))
	fl.StringVar(&failOn, "fail-on", "error", "exit 1 when a finding is at or above this severity: error, warning or info")
	fl.StringVar(&home, "home", "", "home directory for the escape and secrets probes (default: the config's home, a bound HOME param, or "+lint.DefaultHome+")")
	fl.StringSliceVar(&enable, "enable", nil, "enable rules or categories (comma-separated IDs, category names or all)")
	fl.StringSliceVar(&disable, "disable", nil, "disable rules or categories (applied after --enable)")
	fl.StringVar(&cfgPath, "config", "", "use this configuration file instead of searching for "+config.FileName)
	fl.BoolVar(&noConfig, "no-config", false, "ignore "+config.FileName+" files")
	fl.IntVar(&jobs, "jobs", 0, "files linted in parallel (default: GOMAXPROCS)")
	fl.BoolVar(&fragment, "fragment", false, "lint the inputs as fragments that full profiles include: no (version) form is required (or mark a file with a \"; sbplc:fragment\" comment)")
	fl.BoolVar(&fix, "fix", false, "apply the mechanical fixes to the files (atomically), then report what is left")
	ef.add(c)
	return c
}

func countSummary(ds diag.List) string {
	var e, w, i int
	for _, d := range ds {
		switch d.Severity {
		case diag.Error:
			e++
		case diag.Warning:
			w++
		default:
			i++
		}
	}
	return fmt.Sprintf("%d error(s), %d warning(s), %d info", e, w, i)
}

// dedupConfig keeps one copy of each configuration diagnostic: every file
// under a configuration reports its problems.
func dedupConfig(ds diag.List) diag.List {
	seen := map[string]bool{}
	out := ds[:0:0]
	for _, d := range ds {
		if d.Code == driver.ConfigCode {
			k := d.String()
			if seen[k] {
				continue
			}
			seen[k] = true
		}
		out = append(out, d)
	}
	return out
}
