package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sbplc/sbplc/internal/fsutil"
	"github.com/sbplc/sbplc/source"
)

// profileExts are the file name endings that directory and glob expansion pick up.
var profileExts = []string{".sb", ".sbpl", ".sb.in"}

func isProfileName(name string) bool {
	for _, e := range profileExts {
		if strings.HasSuffix(name, e) {
			return true
		}
	}
	return false
}

// expandInputs turns command-line arguments into file names: "-" stays
// (standard input), directories are walked for profile files, glob patterns
// are expanded, and plain files are taken as they are whatever their name. A
// path that does not exist is passed through for readSource to report. A
// glob that matches nothing and a directory without profiles are errors.
// What a directory walk leaves out (hidden directories, files with other
// endings such as .conf, FIFOs and devices, dangling or looping links) is
// listed on verbose when it is not nil. Its errors are usage errors.
func expandInputs(args []string, verbose io.Writer) ([]string, error) {
	var out []string
	say := func(format string, a ...any) {
		if verbose != nil {
			fmt.Fprintf(verbose, "sbplc: "+format+"\n", a...)
		}
	}
	for _, a := range args {
		if a == "-" {
			out = append(out, a)
			continue
		}
		matches := []string{a}
		if strings.ContainsAny(a, "*?[") {
			m, err := filepath.Glob(a)
			if err != nil {
				return nil, usageErrorf("bad pattern %q: %v", a, err)
			}
			if len(m) == 0 {
				return nil, usageErrorf("%s: no files match", a)
			}
			matches = m
		}
		for _, p := range matches {
			st, err := os.Stat(p)
			if err != nil {
				// Let the reader report it, so a command can go on
				// with the other inputs.
				out = append(out, p)
				continue
			}
			if !st.IsDir() {
				out = append(out, p)
				continue
			}
			var found []string
			skipped := 0 // profile names that are not regular files
			err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if d.IsDir() && path != p && strings.HasPrefix(d.Name(), ".") {
					say("%s: skipped hidden directory", path)
					return filepath.SkipDir
				}
				if d.IsDir() {
					return nil
				}
				if !isProfileName(d.Name()) {
					say("%s: skipped: not named %s (name the file to lint it)", path, strings.Join(globNames(), ", "))
					return nil
				}
				switch why := notRegular(path, d); why {
				case "":
					found = append(found, path)
				default:
					skipped++
					say("%s: skipped: %s", path, why)
				}
				return nil
			})
			if err != nil {
				return nil, usageErrorf("%s: %v", p, unwrapPathErr(err))
			}
			if len(found) == 0 && skipped > 0 {
				return nil, usageErrorf("%s: no regular profile files in this directory (skipped %d FIFO, socket, device or broken link(s): name one explicitly to read it, -v lists them)", p, skipped)
			}
			if len(found) == 0 {
				return nil, usageErrorf("%s: no profile files (%s) in this directory", p, strings.Join(globNames(), ", "))
			}
			sort.Strings(found)
			out = append(out, found...)
		}
	}
	return out, nil
}

// notRegular says why a directory entry is not read by a walk ("" for a
// regular file or a link to one). Walks skip FIFOs, sockets and devices:
// opening a FIFO named x.sb would block the walk forever. (A non-regular
// file named on the command line is still read, up to the size limit.)
func notRegular(path string, d fs.DirEntry) string {
	if d.Type().IsRegular() {
		return ""
	}
	if d.Type()&fs.ModeSymlink == 0 {
		return "not a regular file"
	}
	st, err := os.Stat(path)
	switch {
	case err == nil && st.Mode().IsRegular():
		return ""
	case err == nil:
		return "a link to something that is not a regular file"
	case errors.Is(err, fs.ErrNotExist):
		return "a dangling symbolic link"
	}
	return "a symbolic link that cannot be followed: " + unwrapPathErr(err).Error()
}

func globNames() []string {
	var out []string
	for _, e := range profileExts {
		out = append(out, "*"+e)
	}
	return out
}

// requireInputs is the cobra argument check of commands that read profiles.
func requireInputs(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return usageErrorf("no input files: name profiles, directories or globs, or - for standard input (see '%s --help')", c.CommandPath())
	}
	return nil
}

func unwrapPathErr(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

// input is one profile read from the command line.
type input struct {
	src *source.File
	// stamp identifies what was read, for rewrites (nil for stdin).
	stamp *fsutil.Stamp
}

// readSource reads one input ("-" is standard input, named <stdin>). It
// reads at most fsutil.MaxInputSize bytes, so /dev/zero or an endless
// pipe ends in an error rather than exhausting memory. A FIFO or device
// named explicitly is read like standard input.
func readSource(name string, stdin io.Reader) (*source.File, error) {
	in, err := readInput(name, stdin)
	if err != nil {
		return nil, err
	}
	return in.src, nil
}

// readInput is readSource with the stamp a rewrite of the file checks.
func readInput(name string, stdin io.Reader) (*input, error) {
	if name == "-" {
		data, err := fsutil.ReadLimited("<stdin>", stdin, fsutil.MaxInputSize)
		if err != nil {
			return nil, inputErr(err)
		}
		return &input{src: source.NewFile("<stdin>", data)}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, unwrapPathErr(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, unwrapPathErr(err))
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s: is a directory: name one profile file (lint, fmt, parse, test and audit take directories)", name)
	}
	data, err := fsutil.ReadLimited(name, f, fsutil.MaxInputSize)
	if err != nil {
		return nil, inputErr(err)
	}
	in := &input{src: source.NewFile(name, data)}
	if st.Mode().IsRegular() {
		in.stamp = fsutil.StampOf(st, data)
	}
	return in, nil
}

// inputErr words a read error of a profile input.
func inputErr(err error) error {
	if errors.Is(err, fsutil.ErrTooLarge) {
		var re *fsutil.ReadError
		errors.As(err, &re)
		// An I/O limit, not a finding: the content is not shown.
		return fmt.Errorf("%s: input is larger than %d bytes (16 MiB), the limit for a profile", re.Name, fsutil.MaxInputSize)
	}
	return err
}
