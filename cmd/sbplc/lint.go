package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/sbplc/sbplc/config"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/internal/fsutil"
	"github.com/sbplc/sbplc/lint"
	"github.com/sbplc/sbplc/parser"
	"github.com/sbplc/sbplc/source"
)

func init() { register(newLintCmd) }

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
			eo, err := ef.options()
			if err != nil {
				return usageErrorf("%v", err)
			}
			opts := lint.Options{Target: ef.target, Home: home, Enable: enable, Disable: disable,
				ParamsGiven: len(ef.defines) > 0 || len(ef.paramFiles) > 0, Fragment: fragment, Eval: eo}
			if errs := lint.Validate(nil, opts); len(errs) > 0 {
				return usageErrorf("%v", errs[0])
			}
			files, err := expandInputs(args)
			if err != nil {
				return usageErrorf("%v", err)
			}
			cfgs := &configCache{explicit: cfgPath, none: noConfig, byDir: map[string]*config.Config{}}
			if cfgPath != "" {
				cfg, err := config.Load(cfgPath)
				if err != nil {
					return usageErrorf("%v", err)
				}
				cfgs.fixed = cfg
			}
			// Read every input first (stdin once), then lint in parallel.
			type job struct {
				src *source.File
				cfg *config.Config
				out diag.List
			}
			var work []*job
			for _, name := range files {
				cfg, err := cfgs.forFile(name)
				if err != nil {
					return usageErrorf("%v", err)
				}
				if name != "-" && cfg.IgnoresFile(name) {
					continue
				}
				src, err := readSource(name, c.InOrStdin())
				if err != nil {
					return usageErrorf("%v", err)
				}
				work = append(work, &job{src: src, cfg: cfg})
			}
			for _, cfg := range cfgs.all() {
				for _, e := range lint.Validate(cfg, lint.Options{}) {
					fmt.Fprintf(c.ErrOrStderr(), "%v\n", strings.Replace(e.Error(), ": error: ", ": warning: ", 1))
				}
			}
			preludes := map[string]*source.File{}
			var plMu sync.Mutex
			loadPreludes := func(cfg *config.Config) ([]*source.File, error) {
				plMu.Lock()
				defer plMu.Unlock()
				var out []*source.File
				for _, p := range cfg.Preludes {
					if f, ok := preludes[p]; ok {
						out = append(out, f)
						continue
					}
					data, err := os.ReadFile(p)
					if err != nil {
						return nil, fmt.Errorf("%s: prelude %s: %v", cfg.Path, p, unwrapPathErr(err))
					}
					if len(data) > parser.MaxInputSize {
						return nil, fmt.Errorf("%s: prelude %s: larger than %d bytes", cfg.Path, p, parser.MaxInputSize)
					}
					f := source.NewFile(p, data)
					preludes[p] = f
					out = append(out, f)
				}
				return out, nil
			}
			for _, j := range work {
				if _, err := loadPreludes(j.cfg); err != nil {
					return usageErrorf("%v", err)
				}
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
						o := opts
						pl, _ := loadPreludes(j.cfg)
						o.Eval.Preludes = append(append([]*source.File(nil), pl...), opts.Eval.Preludes...)
						j.out, _ = lint.File(j.src, j.cfg, o)
					}
				}()
			}
			for _, j := range work {
				next <- j
			}
			close(next)
			wg.Wait()
			if fix {
				// Apply the mechanical fixes, write each changed file
				// atomically, and re-lint it so the report shows what is left.
				for _, j := range work {
					if j.src.Name == "<stdin>" {
						continue
					}
					o := opts
					pl, _ := loadPreludes(j.cfg)
					o.Eval.Preludes = append(append([]*source.File(nil), pl...), opts.Eval.Preludes...)
					// A fix can expose findings the broken form hid (an
					// unknown operation stops its rule from evaluating):
					// repeat until nothing changes, at most 5 rounds.
					total := 0
					for round := 0; round < 5; round++ {
						text, n := lint.ApplyFixes(j.src, j.out)
						if n == 0 {
							break
						}
						total += n
						j.src = source.NewFile(j.src.Name, text)
						j.out, _ = lint.File(j.src, j.cfg, o)
					}
					if total == 0 {
						continue
					}
					st, err := os.Stat(j.src.Name)
					if err != nil {
						return usageErrorf("%v", err)
					}
					if err := fsutil.WriteFileAtomic(j.src.Name, j.src.Text, st.Mode().Perm()); err != nil {
						return usageErrorf("--fix: %v", err)
					}
					fmt.Fprintf(c.ErrOrStderr(), "%s: applied %d fix(es)\n", j.src.Name, total)
				}
			}
			var all diag.List
			for _, j := range work {
				all = append(all, j.out...)
			}
			out := c.OutOrStdout()
			switch format {
			case "text":
				err = diag.WriteText(out, all, diag.TextOptions{Snippet: true})
				if n := len(all); n > 0 {
					fmt.Fprintf(c.ErrOrStderr(), "%s in %d file(s)\n", countSummary(all), len(work))
				}
			case "json":
				err = diag.WriteJSON(out, all)
			case "sarif":
				err = diag.WriteSARIF(out, all, diag.SARIFTool{Name: "sbplc", Version: versionString(), InformationURI: "https://github.com/sbplc/sbplc"}, sarifRules())
			case "github":
				err = diag.WriteGitHub(out, all)
			}
			if err != nil {
				return usageErrorf("writing output: %v", err)
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

// configCache finds and loads .sbplc.yaml once per directory.
type configCache struct {
	explicit string
	none     bool
	fixed    *config.Config
	byDir    map[string]*config.Config
	order    []*config.Config
}

func (cc *configCache) forFile(name string) (*config.Config, error) {
	if cc.fixed != nil {
		return cc.fixed, nil
	}
	if cc.none {
		return config.Default(), nil
	}
	dir := "."
	if name != "-" {
		dir = filepath.Dir(name)
	}
	if c, ok := cc.byDir[dir]; ok {
		return c, nil
	}
	p, err := config.Find(dir)
	if err != nil {
		return nil, err
	}
	var cfg *config.Config
	if p == "" {
		cfg = config.Default()
	} else {
		for _, c := range cc.order {
			if c.Path == p {
				cfg = c
			}
		}
		if cfg == nil {
			if cfg, err = config.Load(p); err != nil {
				return nil, err
			}
			cc.order = append(cc.order, cfg)
		}
	}
	cc.byDir[dir] = cfg
	return cfg, nil
}

// all returns the configuration files loaded, in first-use order.
func (cc *configCache) all() []*config.Config {
	if cc.fixed != nil {
		return []*config.Config{cc.fixed}
	}
	return cc.order
}
