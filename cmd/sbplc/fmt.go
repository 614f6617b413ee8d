package main

import (
	"bytes"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/format"
	"github.com/sbplc/sbplc/internal/driver"
	"github.com/sbplc/sbplc/internal/fsutil"
	"github.com/sbplc/sbplc/source"
)

func init() { register("fmt", newFmtCmd) }

func newFmtCmd() *cobra.Command {
	var diff, write, list, check bool
	var width int
	c := &cobra.Command{
		Use:   "fmt [-d] [-w] [-l] [--check] [--width N] [FILE...]",
		Short: "format profiles in the canonical layout",
		Long: `fmt prints profiles in the canonical sbplc layout: one form per line when it
fits in --width columns (default 80), otherwise the head and its operations on
the first line and one filter, modifier or body form per line, indented two
spaces. Blank lines (collapsed to one) and every comment are kept in place;
strings, numbers and characters are kept exactly as written; C-preprocessor
lines (#if, #include, ...) and // comments stay at column 1.

With no flags the formatted text is printed. -d prints a unified diff instead,
-l lists the files whose formatting differs, -w rewrites them in place
(atomically, and only when they change), and --check exits 1 when any file
would change (it prints nothing else unless -d or -l is given).

A file with syntax errors is never formatted or rewritten: its errors are
printed as file:line:col: error: message [code] and fmt exits 2 (as gofmt
does), after processing the other files.

Exit codes: 0 done (and, with --check, nothing to change); 1 --check found
files to reformat; 2 syntax errors, unreadable files or bad usage.
Directories and globs expand to *.sb, *.sbpl and *.sb.in files; "-" (or no
FILE) reads standard input.`,
		Example: `  sbplc fmt profile.sb
  sbplc fmt -w profiles/
  sbplc fmt -l --check 'profiles/*.sb'
  sbplc fmt -d profile.sb
  --- a/profile.sb
  +++ b/profile.sb
  @@ -1,3 +1,2 @@
   (version 1)
  -(allow file-read*
  -    (literal "/dev/null"))
  +(allow file-read* (literal "/dev/null"))`,
		RunE: func(c *cobra.Command, args []string) error {
			if width < 1 {
				return usageErrorf("--width must be positive, not %d", width)
			}
			if len(args) == 0 {
				args = []string{"-"}
			}
			files, err := expandInputs(args, verboseOut(c))
			if err != nil {
				return err
			}
			if write {
				for _, f := range files {
					if f == "-" {
						return usageErrorf("cannot use -w with standard input")
					}
				}
			}
			opts := format.Options{Width: width}
			out, errOut := c.OutOrStdout(), c.ErrOrStderr()
			failed, differ := false, false
			var d *driver.Driver
			if write {
				// -w checks that the formatted text evaluates as the
				// original did (same configuration as lint).
				if d, err = newDriver(driver.Options{}); err != nil {
					return err
				}
			}
			for _, name := range files {
				in, err := readInput(name, c.InOrStdin())
				if err != nil {
					fmt.Fprintf(errOut, "sbplc: %v\n", err)
					failed = true
					continue
				}
				src := in.src
				res, ds := format.Source(src.Text, src.Name, opts)
				if ds.HasErrors() {
					diag.WriteText(errOut, ds, textOptions(c, errOut))
					failed = true
					continue
				}
				changed := !bytes.Equal(res, src.Text)
				if changed {
					differ = true
				}
				if list && changed {
					fmt.Fprintln(out, src.Name)
				}
				if diff && changed {
					out.Write(format.Diff("a/"+src.Name, "b/"+src.Name, src.Text, res))
				}
				if write && changed {
					if err := checkFormatted(c, d, src, res); err != nil {
						fmt.Fprintf(errOut, "sbplc: %v\n", err)
						failed = true
						continue
					}
					// Through a symbolic link, keeping hard links; refused
					// if the file changed since it was read.
					err := fsutil.WriteFile(name, res, fsutil.WriteOptions{Expect: in.stamp, Limit: fsutil.MaxInputSize})
					if err != nil {
						fmt.Fprintf(errOut, "sbplc: %v\n", err) // names the file: "cannot write x.sb: ..."
						failed = true
						continue
					}
				}
				if !diff && !write && !list && !check {
					out.Write(res)
				}
			}
			switch {
			case failed:
				return &exitError{Code: exitUsage}
			case check && differ:
				return findings()
			}
			return nil
		},
	}
	f := c.Flags()
	f.BoolVarP(&diff, "diff", "d", false, "print a unified diff of the changes instead of the formatted text")
	f.BoolVarP(&write, "write", "w", false, "rewrite files in place (atomically) when their formatting differs")
	f.BoolVarP(&list, "list", "l", false, "list files whose formatting differs")
	f.BoolVar(&check, "check", false, "exit 1 if any file's formatting differs (prints nothing else without -d or -l)")
	f.IntVar(&width, "width", format.DefaultWidth, "line width to fit forms in")
	return c
}

// checkFormatted refuses a rewrite whose result would have an evaluation
// or lint error the original did not have (a formatter bug must never
// reach a user's file).
func checkFormatted(c *cobra.Command, d *driver.Driver, src *source.File, formatted []byte) error {
	before, err := d.Check(c.Context(), src)
	if err != nil {
		return err
	}
	_, news, err := d.CheckRewrite(c.Context(), before, source.NewFile(src.Name, formatted))
	if err != nil {
		return err
	}
	if len(news) > 0 {
		return fmt.Errorf("not writing %s: the formatted text would add an error (%s); please report this formatter bug", src.Name, news[0])
	}
	return nil
}
