package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sbplc/sbplc/diag"
)

// version is set by the release build (scripts/release.sh:
// -ldflags "-X main.version=v1.2.3"); it wins over the build info.
var version = ""

// informationURI is sbplc's home page, named in SARIF logs.
const informationURI = "https://github.com/sbplc/sbplc"

func init() { register("version", newVersionCmd) }

// buildVersion is what one binary knows about its own version.
type buildVersion struct {
	Version  string // "v1.2.3", a Go pseudo-version, or "devel"
	Revision string // VCS commit, "" when not recorded
	Time     string // commit time (RFC 3339), "" when not recorded
	Modified bool   // built from a work tree with uncommitted changes
}

// readBuildVersion combines the stamped version with the module version
// and VCS settings the Go toolchain records in the binary (go install
// pkg@v1.2.3 sets the module version; go build in a checkout records the
// revision, its time and whether the tree was modified).
func readBuildVersion(stamped string, bi *debug.BuildInfo, ok bool) buildVersion {
	v := buildVersion{Version: stamped}
	if ok && bi != nil {
		if v.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Revision = s.Value
			case "vcs.time":
				v.Time = s.Value
			case "vcs.modified":
				v.Modified = s.Value == "true"
			}
		}
	}
	if v.Version == "" {
		v.Version = "devel"
	}
	return v
}

func currentVersion() buildVersion {
	bi, ok := debug.ReadBuildInfo()
	return readBuildVersion(version, bi, ok)
}

// String is the one-line form of 'sbplc version' and 'sbplc --version':
//
//	sbplc v0.1.0 (1a2b3c4d5e6f 2026-12-07T23:45:00Z) linux/amd64 go1.26.8
func (v buildVersion) String() string {
	var b strings.Builder
	b.WriteString("sbplc ")
	b.WriteString(v.Version)
	if v.Revision != "" {
		rev := v.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		b.WriteString(" (" + rev)
		if v.Time != "" {
			b.WriteString(" " + v.Time)
		}
		if v.Modified {
			b.WriteString(", modified")
		}
		b.WriteString(")")
	}
	fmt.Fprintf(&b, " %s/%s %s", runtime.GOOS, runtime.GOARCH, runtime.Version())
	return b.String()
}

// Numeric is the version as SARIF viewers compare it: without the leading
// "v", and for a development build "0.0.0-devel" (with "+REVISION" when the
// revision is known), so that it always starts with a digit.
func (v buildVersion) Numeric() string {
	s := strings.TrimPrefix(v.Version, "v")
	if s == "" || s[0] < '0' || s[0] > '9' {
		s = "0.0.0-devel"
		if v.Revision != "" {
			s += "+" + v.Revision[:min(12, len(v.Revision))]
		}
	}
	return s
}

func versionString() string { return currentVersion().String() }

// sarifTool describes sbplc in SARIF logs.
func sarifTool() diag.SARIFTool {
	n := currentVersion().Numeric()
	return diag.SARIFTool{Name: "sbplc", Version: n, SemanticVersion: n, InformationURI: informationURI}
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "print the sbplc version",
		Long: `version prints sbplc's version (stamped by the release build, or the module
version 'go install' recorded), the VCS revision and commit time when the
binary was built from a checkout ("modified" when the tree had uncommitted
changes), and the platform and Go release. 'sbplc --version' prints the same.`,
		Args: argsUsage(0, 0),
		RunE: func(c *cobra.Command, _ []string) error {
			fmt.Fprintln(c.OutOrStdout(), versionString())
			return nil
		},
	}
}
