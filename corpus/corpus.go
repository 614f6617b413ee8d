// Package corpus loads the real-world profiles that sbplc is tested against.
//
// The profiles live outside the repository, in ../shared/corpus beside the
// project checkout (they are other people's files, used as test data only).
// Tests call Load; when the corpus is missing they skip, except under CI
// (CI=true), where a missing corpus is a failure.
package corpus

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Entry is one row of MANIFEST.tsv.
type Entry struct {
	File    string // path relative to the corpus directory, e.g. real/x.sb
	Repo    string
	Path    string // path inside Repo
	Commit  string
	License string
	Kind    string // profile, fragment, cpp, empty or invalid
	Lines   int
	Notes   string
	Dir     string // the corpus directory
}

// Abs returns the entry's absolute file name.
func (e Entry) Abs() string { return filepath.Join(e.Dir, e.File) }

// Read returns the entry's text.
func (e Entry) Read() ([]byte, error) { return os.ReadFile(e.Abs()) }

// Base is the entry's file name without directories.
func (e Entry) Base() string { return filepath.Base(e.File) }

// ErrNotFound is returned when no corpus directory exists.
var ErrNotFound = errors.New("corpus not found (expected ../shared/corpus beside the project)")

// Dir locates the corpus directory: $SBPLC_CORPUS, else ../shared/corpus
// relative to the module root.
func Dir() (string, error) {
	if d := os.Getenv("SBPLC_CORPUS"); d != "" {
		return d, nil
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", ErrNotFound
	}
	root := filepath.Dir(filepath.Dir(file)) // corpus/ -> module root
	d := filepath.Join(root, "..", "shared", "corpus")
	if st, err := os.Stat(filepath.Join(d, "MANIFEST.tsv")); err != nil || st.IsDir() {
		return "", ErrNotFound
	}
	return filepath.Clean(d), nil
}

// SharedDir is the ../shared directory beside the module root.
func SharedDir() (string, error) {
	d, err := Dir()
	if err != nil {
		return "", err
	}
	return filepath.Dir(d), nil
}

// Load reads MANIFEST.tsv.
func Load() ([]Entry, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		return nil, err
	}
	var out []Entry
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	first := true
	for sc.Scan() {
		line := sc.Text()
		if first {
			first = false
			continue
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 7 {
			return nil, fmt.Errorf("MANIFEST.tsv: short row %q", line)
		}
		e := Entry{File: f[0], Repo: f[1], Path: f[2], Commit: f[3], License: f[4], Kind: f[5], Dir: dir}
		fmt.Sscan(f[6], &e.Lines)
		if len(f) > 7 {
			e.Notes = f[7]
		}
		out = append(out, e)
	}
	return out, sc.Err()
}

// ForTest loads the corpus for a test: it skips when the corpus is missing,
// and fails instead under CI=true.
func ForTest(t testing.TB) []Entry {
	t.Helper()
	es, err := Load()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("corpus is required in CI: %v", err)
		}
		t.Skipf("skipping: %v", err)
	}
	return es
}

// Find returns the entry whose file name contains substr (the first, in
// manifest order).
func Find(es []Entry, substr string) (Entry, bool) {
	for _, e := range es {
		if strings.Contains(e.File, substr) {
			return e, true
		}
	}
	return Entry{}, false
}

// Largest returns the n entries of the given kinds with the most lines.
func Largest(es []Entry, n int, kinds ...string) []Entry {
	var sel []Entry
	for _, e := range es {
		for _, k := range kinds {
			if e.Kind == k {
				sel = append(sel, e)
			}
		}
	}
	for i := 1; i < len(sel); i++ {
		for j := i; j > 0 && sel[j].Lines > sel[j-1].Lines; j-- {
			sel[j], sel[j-1] = sel[j-1], sel[j]
		}
	}
	if len(sel) > n {
		sel = sel[:n]
	}
	return sel
}
