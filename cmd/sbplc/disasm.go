package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sbplc/sbplc/bytecode"
	"github.com/sbplc/sbplc/internal/fsutil"
)

func init() { register("disasm", newDisasmCmd) }

func newDisasmCmd() *cobra.Command {
	var format, target, member string
	var all bool
	c := &cobra.Command{
		Use:   "disasm [--format text|json|dot] [--target OS] BLOB",
		Short: "print a compiled profile's decision graphs",
		Long: `disasm decodes a compiled sandbox profile (the bytecode libsandbox's
sandbox_compile_* produce, e.g. with 'sbplc compile') and prints, for each
group of operations that share an entry, its decision graph with operation
names, filter names and decoded arguments (literal, subpath and prefix
patterns, enum names).

--format text is the readable listing, json the full decoding (header, op
table, nodes, pool items, verifier findings), dot a Graphviz graph:
  sbplc disasm --format dot p.sb.bin | dot -Tsvg > p.svg

The blob format depends on the OS release that compiled it and nothing in
the blob says which: --target picks the layout (default: the running
macOS, or macos14 elsewhere). The blob is also verified structurally;
errors are printed to standard error and make the exit status 1. Only the
macos14 layout's single profiles are verified against real blobs; the
output of every other layout says it is unverified.

A profile collection (a bundle of named profiles sharing one graph, as
kernels carry them: the iOS collections, macOS's builtin collection) is
listed profile by profile; --member NAME disassembles one of them.`,
		Example: `  sbplc disasm profile.sb.bin
  sbplc disasm --format dot profile.sb.bin | dot -Tpng -o profile.png
  sbplc disasm --format json --target macos14 profile.sb.bin | jq '.operations[21]'
  sbplc disasm --target ios18 collection.bin
  sbplc disasm --target ios18 --member container collection.bin`,
		Args: argsUsage(1, 1, "BLOB"),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkFormat(format, "text", "json", "dot"); err != nil {
				return err
			}
			l, err := blobLayout(target, c.ErrOrStderr())
			if err != nil {
				return err
			}
			name, data, err := readBlob(args[0], c.InOrStdin())
			if err != nil {
				return usageErrorf("%v", err)
			}
			voc := bytecode.VocabularyFor(l)
			p, fs := bytecode.DecodeAndVerify(data, l, voc)
			if p != nil {
				if p, err = selectMember(p, member, name); err != nil {
					return err
				}
				if format == "dot" && p.IsCollection() {
					if _, ok := p.MemberRecord(); !ok {
						return usageErrorf("%s is a profile collection of %d profiles: --format dot draws one, choose it with --member NAME", name, len(p.Records))
					}
				}
				out := c.OutOrStdout()
				switch format {
				case "text":
					err = p.WriteText(out, name, voc, all)
				case "json":
					err = p.WriteJSON(out, name, voc, fs)
				case "dot":
					err = p.WriteDot(out, name, voc, all)
				}
				if err != nil {
					return usageErrorf("%v", err)
				}
			}
			writeFindings(c.ErrOrStderr(), name, fs)
			if fs.HasErrors() {
				return findings()
			}
			return nil
		},
	}
	c.Flags().StringVar(&format, "format", "text", "output: text, json or dot (Graphviz)")
	c.Flags().StringVar(&target, "target", "", "OS release whose blob layout and vocabulary apply: "+strings.Join(bytecode.LayoutNames(), ", ")+" (default: this Mac's, else macos14)")
	c.Flags().BoolVar(&all, "all", false, "list every operation name of a group (text and dot abbreviate long lists)")
	c.Flags().StringVar(&member, "member", "", "in a profile collection, disassemble the profile NAME")
	return c
}

// selectMember returns the collection member --member names, p itself
// when it is empty; naming a member of a single profile, or one the
// collection lacks, is a usage error.
func selectMember(p *bytecode.Profile, member, blob string) (*bytecode.Profile, error) {
	switch {
	case member == "":
		return p, nil
	case !p.IsCollection():
		return nil, usageErrorf("--member %q: %s is a single profile, not a profile collection", member, blob)
	}
	if m, ok := p.Member(member); ok {
		return m, nil
	}
	var names []string
	for i := range p.Records {
		if n := p.Records[i].Name; p.Records[i].NameOK {
			if len(n) > 64 {
				n = n[:64] + "..."
			}
			names = append(names, strconv.Quote(n))
		}
	}
	sort.Strings(names)
	if len(names) > 12 {
		names = append(names[:12], fmt.Sprintf("... (%d more)", len(names)-12))
	}
	return nil, usageErrorf("--member %q: %s has no profile of that name (it has %s)", member, blob, strings.Join(names, ", "))
}

// blobLayout resolves --target for blob commands.
func blobLayout(target string, stderr io.Writer) (bytecode.Layout, error) {
	if target == "" {
		l, ok := bytecode.HostLayout()
		if !ok {
			fmt.Fprintf(stderr, "sbplc: warning: no blob layout for this macOS release; assuming %s (use --target)\n", l.Name)
		}
		return l, nil
	}
	l, ok := bytecode.LookupLayout(target)
	if !ok {
		return l, usageErrorf("unknown --target %q for compiled profiles (known: %s)", target, strings.Join(bytecode.LayoutNames(), ", "))
	}
	return l, nil
}

// readBlob reads a compiled profile: a regular file (a FIFO, device or
// socket is refused rather than waited on or read forever), or standard
// input for "-". Either way at most bytecode.MaxBlobSize bytes are read,
// checked while reading.
func readBlob(name string, stdin io.Reader) (string, []byte, error) {
	var data []byte
	var err error
	if name == "-" {
		name = "<stdin>"
		data, err = fsutil.ReadLimited(name, stdin, bytecode.MaxBlobSize)
	} else {
		data, err = fsutil.ReadRegular(name, bytecode.MaxBlobSize)
	}
	switch {
	case errors.Is(err, fsutil.ErrNotRegular) && !isDir(name):
		return name, nil, fmt.Errorf("%v (to read a pipe or device, redirect it to standard input and name the blob -)", err)
	case errors.Is(err, fsutil.ErrTooLarge):
		return name, nil, fmt.Errorf("%v; not a compiled profile", err)
	case err != nil:
		return name, nil, err
	}
	return name, data, nil
}

func isDir(name string) bool {
	st, err := os.Stat(name)
	return err == nil && st.IsDir()
}

// writeFindings prints verifier findings as NAME: offset 0xN: severity:
// message [code].
func writeFindings(w io.Writer, name string, fs bytecode.Findings) {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(name)
		if f.Offset >= 0 {
			fmt.Fprintf(&b, ": offset 0x%x", f.Offset)
		}
		fmt.Fprintf(&b, ": %s: %s [%s]\n", f.Severity, f.Message, f.Code)
	}
	io.WriteString(w, b.String())
}
