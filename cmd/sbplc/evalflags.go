package main

import (
	"bufio"
	"bytes"
	"fmt"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sbplc/sbplc/entitlements"
	"github.com/sbplc/sbplc/internal/driver"
	"github.com/sbplc/sbplc/internal/fsutil"
	"github.com/sbplc/sbplc/policy"
	"github.com/sbplc/sbplc/syslib"
)

// evalFlags are the evaluation flags shared by expand, lint, query and
// compile: add(cmd) registers them, options() turns them into eval.Options.
type evalFlags struct {
	defines      []string // -D KEY=VALUE
	paramFiles   []string // --params FILE
	preludes     []string // --prelude FILE
	importDirs   []string // -I DIR
	strictParams bool
	target       string
	entitlements string // --entitlements FILE
	appSandbox   bool   // --app-sandbox
}

// add registers the flags on cmd.
func (f *evalFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.defines, "define", "D", nil, "set a profile parameter: -D KEY=VALUE (repeatable); (param \"KEY\") returns VALUE")
	fl.StringArrayVar(&f.paramFiles, "params", nil, "read parameters from FILE, one KEY=VALUE per line (# comments; repeatable)")
	fl.StringArrayVar(&f.preludes, "prelude", nil, "evaluate FILE first, in the same environment (repeatable, in order)")
	fl.StringArrayVarP(&f.importDirs, "import-dir", "I", nil, "search DIR for (import ...) after the importing file's directory (repeatable)")
	fl.BoolVar(&f.strictParams, "strict-params", false, "an unset param is #f, as in libsandbox, instead of a ${NAME} placeholder")
	fl.StringVar(&f.target, "target", "", "OS release whose operation table applies, e.g. macos14 (default: newest known)")
	fl.StringVar(&f.entitlements, "entitlements", "", "the app's entitlements: an XML or binary property list, a JSON object, or a signed Mach-O executable; bound as *entitlements*")
	fl.BoolVar(&f.appSandbox, "app-sandbox", false, "supply the parameters the App Sandbox passes to application.sb (_HOME, application_bundle_id, application_container, ...); -D overrides each")
}

// driverOptions builds the workflow options from the flags. Parameter
// files are read here (through the bounded reader); preludes are read by
// the driver. Errors are usage errors.
func (f *evalFlags) driverOptions() (driver.Options, error) {
	opts := driver.Options{Params: map[string]string{}, StrictParams: f.strictParams,
		ImportDirs: f.importDirs, SystemDirs: runtime.GOOS == "darwin", Target: f.target,
		Preludes: f.preludes, ParamsGiven: len(f.defines) > 0 || len(f.paramFiles) > 0}
	for _, pf := range f.paramFiles {
		data, err := fsutil.ReadRegular(pf, fsutil.MaxInputSize)
		if err != nil {
			return opts, fmt.Errorf("--params: %v", err)
		}
		if err := parseParamFile(pf, data, opts.Params); err != nil {
			return opts, err
		}
	}
	for _, d := range f.defines {
		k, v, ok := strings.Cut(d, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return opts, fmt.Errorf("-D %q: expected KEY=VALUE, e.g. -D %s=/some/path (an empty value is -D %s=)", d, paramKeyHint(d), paramKeyHint(d))
		}
		opts.Params[k] = v
	}
	if f.entitlements != "" {
		set, err := entitlements.Read(f.entitlements)
		if err != nil {
			return opts, fmt.Errorf("--entitlements: %v", err)
		}
		opts.Entitlements = set
	}
	if f.appSandbox {
		appSandboxParams(opts.Params, opts.Entitlements)
	}
	return opts, nil
}

// appSandboxParams adds the App Sandbox's parameters to params, keeping
// those given with -D or --params: the home and bundle id given there
// (else the default home and the entitlements' application identifier)
// decide the container paths.
func appSandboxParams(params map[string]string, ents *entitlements.Set) {
	home := params["_HOME"]
	if home == "" {
		home = policy.DefaultHome
	}
	id := params["application_bundle_id"]
	if v, ok := ents.Get("com.apple.application-identifier"); id == "" && ok && v.Kind == entitlements.String {
		id = syslib.BundleIDFromIdentifier(v.Str)
	}
	for k, v := range syslib.AppSandboxParams(home, id) {
		if _, given := params[k]; !given {
			params[k] = v
		}
	}
}

// reportModels says on -v which system profiles sbplc's model stood in
// for (the JSON of expand says it too).
func reportModels(c *cobra.Command, res *driver.Result) {
	v := verboseOut(c)
	if v == nil || res.Eval == nil {
		return
	}
	for _, im := range res.Eval.Profile.Imports {
		if im.Model != "" {
			fmt.Fprintf(v, "sbplc: %s: %s is not on this machine; using %s (pass -I DIR with a copy to use the real file)\n", im.Origin.Primary(), im.Name, im.Model)
		}
	}
}

// newDriver makes the workflow for a command; its errors are usage errors.
func newDriver(opts driver.Options) (*driver.Driver, error) {
	d, err := driver.New(opts)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	return d, nil
}

// checkOne reads and checks one profile argument. Problems with the
// configuration file itself are usage errors (exit 2) once printed.
func checkOne(c *cobra.Command, d *driver.Driver, name string) (*driver.Result, error) {
	src, err := readSource(name, c.InOrStdin())
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	res, err := d.Check(c.Context(), src)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	reportModels(c, res)
	return res, nil
}

// parseParamFile reads KEY=VALUE lines. Blank lines and lines starting with
// # are ignored; the value is everything after the first '=' (not trimmed,
// except for a final carriage return).
func parseParamFile(name string, data []byte, into map[string]string) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSuffix(sc.Text(), "\r")
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return fmt.Errorf("--params: %s:%d: expected KEY=VALUE, got %q", name, n, line)
		}
		into[k] = v
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("--params: %s: %v", name, err)
	}
	return nil
}

// paramKeyHint is the key to show in a -D usage hint.
func paramKeyHint(d string) string {
	if k := strings.TrimSpace(strings.SplitN(d, "=", 2)[0]); k != "" {
		return k
	}
	return "HOME"
}
