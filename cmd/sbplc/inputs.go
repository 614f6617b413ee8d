package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sbplc/sbplc/parser"
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
func expandInputs(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		if a == "-" {
			out = append(out, a)
			continue
		}
		matches := []string{a}
		if strings.ContainsAny(a, "*?[") {
			m, err := filepath.Glob(a)
			if err != nil {
				return nil, fmt.Errorf("bad pattern %q: %v", a, err)
			}
			if len(m) == 0 {
				return nil, fmt.Errorf("%s: no files match", a)
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
					return filepath.SkipDir
				}
				if !d.IsDir() && isProfileName(d.Name()) {
					if isRegular(path, d) {
						found = append(found, path)
					} else {
						skipped++
					}
				}
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("%s: %v", p, unwrapPathErr(err))
			}
			if len(found) == 0 && skipped > 0 {
				return nil, fmt.Errorf("%s: no regular profile files in this directory (skipped %d FIFO, socket or device file(s): name one explicitly to read it)", p, skipped)
			}
			if len(found) == 0 {
				return nil, fmt.Errorf("%s: no profile files (%s) in this directory", p, strings.Join(globNames(), ", "))
			}
			sort.Strings(found)
			out = append(out, found...)
		}
	}
	return out, nil
}

// isRegular reports whether a directory entry is a regular file or a
// symbolic link to one. Directory walks skip FIFOs, sockets and devices:
// opening a FIFO named x.sb would block the walk forever. (A non-regular
// file named on the command line is still read, up to the size limit.)
func isRegular(path string, d fs.DirEntry) bool {
	if d.Type().IsRegular() {
		return true
	}
	if d.Type()&fs.ModeSymlink == 0 {
		return false
	}
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
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

// readSource reads one input ("-" is standard input, named <stdin>). It
// reads at most parser.MaxInputSize+1 bytes, so /dev/zero or an endless
// pipe ends in an error rather than exhausting memory.
func readSource(name string, stdin io.Reader) (*source.File, error) {
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(io.LimitReader(stdin, parser.MaxInputSize+1))
		name = "<stdin>"
	} else {
		var f *os.File
		f, err = os.Open(name)
		if err == nil {
			data, err = io.ReadAll(io.LimitReader(f, parser.MaxInputSize+1))
			f.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, unwrapPathErr(err))
	}
	if len(data) > parser.MaxInputSize {
		// An I/O limit, not a finding: the content is not shown.
		return nil, fmt.Errorf("%s: input is larger than %d bytes (16 MiB), the limit for a profile", name, parser.MaxInputSize)
	}
	return source.NewFile(name, data), nil
}
