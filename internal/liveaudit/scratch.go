package liveaudit

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"

	"github.com/sbplc/sbplc/policy"
)

// NewScratch makes a fresh scratch directory under base (resolved, since
// Seatbelt matches resolved paths), with h (the home) and p (the project)
// inside. Short names keep unix socket paths under the 104-byte limit.
func NewScratch(base string) (*Scratch, error) {
	root, err := os.MkdirTemp(base, "sbplc-live-")
	if err != nil {
		return nil, err
	}
	if r, err := filepath.EvalSymlinks(root); err == nil {
		root = r
	}
	if !policy.IsCanonicalPath(root) {
		os.RemoveAll(root)
		return nil, fmt.Errorf("the scratch directory %s is not spelled as Seatbelt sees it (%s): use a base outside /tmp, /var and /etc, or their /private forms", root, canonical(root))
	}
	s := &Scratch{Root: root, Home: filepath.Join(root, "h"), Project: filepath.Join(root, "p")}
	for _, d := range []string{s.Home, s.Project} {
		if err := os.Mkdir(d, 0o700); err != nil {
			os.RemoveAll(root)
			return nil, err
		}
	}
	return s, nil
}

func canonical(p string) string {
	c, _ := policy.CanonicalPath(p)
	return c
}

// Remove deletes the scratch directory.
func (s *Scratch) Remove() error { return os.RemoveAll(s.Root) }

// fixtureText is the content of fixture files (no secret anywhere).
const fixtureText = "sbplc audit --live fixture: not a real file\n"

// prepare sets up an attempt's fixture and returns what undoes the parts
// that must not outlive it (a listening socket). It refuses any path
// outside the scratch directory.
func (s *Scratch) prepare(a Attempt) (func(), error) {
	done := func() {}
	if a.Fixture == "" {
		return done, nil
	}
	if !s.Contains(a.Path) {
		return done, fmt.Errorf("fixture %s is outside the scratch directory", a.Path)
	}
	if err := os.MkdirAll(filepath.Dir(a.Path), 0o700); err != nil {
		return done, err
	}
	if a.Dest != "" {
		if !s.Contains(a.Dest) {
			return done, fmt.Errorf("%s is outside the scratch directory", a.Dest)
		}
		if err := os.RemoveAll(a.Dest); err != nil {
			return done, err
		}
	}
	if err := os.RemoveAll(a.Path); err != nil {
		return done, err
	}
	switch a.Fixture {
	case FixFile:
		return done, os.WriteFile(a.Path, []byte(fixtureText), 0o600)
	case FixDir:
		if err := os.Mkdir(a.Path, 0o700); err != nil {
			return done, err
		}
		return done, os.WriteFile(filepath.Join(a.Path, "fixture"), []byte(fixtureText), 0o600)
	case FixAbsent:
		return done, nil
	case FixSocket:
		l, err := net.Listen("unix", a.Path)
		if err != nil {
			return done, err
		}
		return func() { l.Close() }, nil
	case FixExec:
		return done, copyTrue(a.Path)
	}
	return done, fmt.Errorf("unknown fixture %q", a.Fixture)
}

// copyTrue puts a copy of true(1) at path: an executable that does
// nothing (a signed binary stays validly signed when copied).
func copyTrue(path string) error {
	for _, src := range []string{"/usr/bin/true", "/bin/true"} {
		in, err := os.Open(src)
		if err != nil {
			continue
		}
		defer in.Close()
		out, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o700)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	}
	return fmt.Errorf("no true(1) to copy")
}
