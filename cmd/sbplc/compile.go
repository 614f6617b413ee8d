package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/sbplc/sbplc/compile"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/internal/fsutil"
)

func init() { register("compile", newCompileCmd) }

// compileBackend returns the libsandbox backend; tests substitute a fake.
var compileBackend = compile.Native

// defaultBackend is libsandbox on macOS, the native emitter elsewhere;
// tests substitute it.
var defaultBackend = func() string {
	if runtime.GOOS == "darwin" {
		return "libsandbox"
	}
	return "native"
}

func newCompileCmd() *cobra.Command {
	var emit, output, backend string
	var noLint, noVerify bool
	var ef evalFlags
	c := &cobra.Command{
		Use:   "compile [-D K=V] [--prelude F] [--emit bytecode|sbpl|json] [--backend native|libsandbox] -o OUT PROFILE",
		Short: "compile a profile to bytecode or to a flattened profile",
		Long: `compile checks a profile and writes it in one of three forms:

  --emit bytecode  the compiled profile: the bytes sandbox_apply takes.
                   --backend libsandbox (the default on macOS) calls
                   libsandbox in-process (sandbox_compile_string with a
                   params handle); nothing is applied. --backend native
                   (the default elsewhere) is sbplc's own emitter of the
                   macOS 14.4.1 format: it reproduces libsandbox byte for
                   byte for what hash-verified blobs cover and refuses,
                   naming the construct, anything else (several same-action
                   rules on one operation, regexes, modifiers, ...).
  --emit sbpl      the flattened profile: one self-contained file with
                   params, helpers, macros, imports and preludes expanded,
                   usable with sandbox-exec -f without any params (every
                   OS).
  --emit json      the rule IR with source positions (every OS).

compile applies libsandbox's semantics: an unset param is #f, so
(if (param "X") ...) skips its rules and (subpath (param "X")) is the error
libsandbox gives ("invalid data type of path filter; expected pattern, got
boolean"). Pass -D for every param the profile needs. The flattened output
never contains placeholders for unset params; ${HOME}-style pattern
variables you wrote in strings are kept, as libsandbox expands them.

--emit sbpl and --emit json inline every (import ...): an import that is not
found (add -I DIR) or any evaluation error stops them even with --no-lint,
because the output would lack rules.

Before compiling, the profile is evaluated and linted with the nearest
.sbplc.yaml (rule levels, params, import directories, preludes), as for
'sbplc lint'); an error-level finding stops
compilation unless --no-lint. libsandbox's own errors
("... at <input string>, line L, column C") are reported at the position in
your file (or prelude). The bytecode is then decoded, verified and
cross-checked against the source like 'sbplc verify --profile' (skip with
--no-verify).

OUT is written atomically: on any failure the previous OUT is untouched.
Exit status: 0 written, 1 the profile has errors or failed verification,
2 usage or I/O errors (including --backend libsandbox on a system without
libsandbox).`,
		Example: `  sbplc compile -o app.sb.bin app.sb
  sbplc compile -D HOME=/Users/me --prelude common.sb -o app.sb.bin app.sb
  sbplc compile --emit sbpl -D ROOT=/private/tmp -o flat.sb app.sb && sandbox-exec -f flat.sb true`,
		Args: argsUsage(1, 1, "PROFILE"),
		RunE: func(c *cobra.Command, args []string) error {
			em, err := compile.ParseEmit(emit)
			if err != nil {
				return usageErrorf("%v", err)
			}
			if output == "" {
				return usageErrorf("no output file: use -o OUT (or -o - for standard output)")
			}
			opts, err := ef.driverOptions()
			if err != nil {
				return usageErrorf("%v", err)
			}
			// libsandbox's semantics, for the linter too (compile.Build
			// forces it for the evaluation).
			opts.StrictParams = true
			d, err := newDriver(opts)
			if err != nil {
				return err
			}
			co := compile.Options{Emit: em, NoLint: noLint, NoVerify: noVerify}
			if backend == "" {
				backend = defaultBackend()
			}
			switch {
			case backend != "native" && backend != "libsandbox":
				return usageErrorf("unknown --backend %q: use native or libsandbox", backend)
			case em != compile.EmitBytecode && c.Flags().Changed("backend"):
				return usageErrorf("--backend applies to --emit bytecode only")
			case em == compile.EmitBytecode && backend == "native":
				co.Backend = compile.NativeBackend{}
			case em == compile.EmitBytecode:
				b, err := compileBackend()
				if err != nil {
					return usageErrorf("%v (or use --backend native, which writes the macOS 14.4.1 format for the profiles it covers)", err)
				}
				co.Backend = b
			}
			src, err := readSource(args[0], c.InOrStdin())
			if err != nil {
				return usageErrorf("%v", err)
			}
			// The configuration applies as for lint: rule levels, params,
			// import directories and preludes.
			setup, err := d.Setup(src.Name)
			if err != nil {
				return usageErrorf("%v", err)
			}
			co.Eval, co.Lint = setup.Eval, setup.LintResult
			out, err := compile.Build(src, co)
			if err != nil {
				return usageErrorf("%v", err)
			}
			stderr := c.ErrOrStderr()
			diag.WriteText(stderr, out.Diags, textOptions(c, stderr))
			name := output
			if name == "-" {
				name = "<stdout>"
			}
			writeFindings(stderr, name, out.Findings)
			if out.Report != nil {
				if out.Report.Operations == 0 {
					fmt.Fprintf(stderr, "%s: warning: no operation of the compiled profile has a name in the vocabulary for this release, so it was not cross-checked [cross-check]\n", name)
				}
				for _, d := range out.Report.Disagreements {
					fmt.Fprintf(stderr, "%s: error: %s %s: compiled profile says %s, %s says %s [cross-check]\n", name, d.Op, d.Resource, d.Blob, src.Name, d.Source)
					if d.Reason != "" {
						fmt.Fprintf(stderr, "  note: %s\n", d.Reason)
					}
				}
			}
			if out.Failed != "" {
				fmt.Fprintf(stderr, "sbplc: not writing %s: %s\n", name, out.Failed)
				return findings()
			}
			if output == "-" {
				c.OutOrStdout().Write(out.Data)
				return nil
			}
			if err := fsutil.WriteFileAtomic(output, out.Data, 0o644); err != nil {
				return usageErrorf("%v", err)
			}
			return nil
		},
	}
	c.Flags().StringVar(&emit, "emit", "bytecode", "output form: bytecode (macOS), sbpl (flattened profile) or json (rule IR)")
	c.Flags().StringVarP(&output, "output", "o", "", "write to OUT atomically (- for standard output)")
	c.Flags().StringVar(&backend, "backend", "", "bytecode compiler: libsandbox (default on macOS) or native (sbplc's own macOS 14.4.1 emitter; default elsewhere)")
	c.Flags().BoolVar(&noLint, "no-lint", false, "compile even when lint reports errors")
	c.Flags().BoolVar(&noVerify, "no-verify", false, "do not decode, verify and cross-check the compiled bytecode")
	ef.add(c)
	// Always on for compile; the flag is still accepted.
	if f := c.Flags().Lookup("strict-params"); f != nil {
		f.Usage = "accepted for compatibility: compile always treats an unset param as #f, as libsandbox does"
		f.Hidden = true
	}
	return c
}
