package learn

import (
	_ "embed"
	"fmt"
	"strings"
)

//go:embed noise.tsv
var noiseTSV string

// NoiseEntry is one denial that learn skips unless --all is given.
type NoiseEntry struct {
	Op     string
	Target string // exact, or a prefix when it ends in "*"
	Why    string
}

// String is "OPERATION TARGET", the form overrides use.
func (e NoiseEntry) String() string { return e.Op + " " + e.Target }

func (e NoiseEntry) matches(op, target string) bool {
	if e.Op != op {
		return false
	}
	if p, ok := strings.CutSuffix(e.Target, "*"); ok {
		return strings.HasPrefix(target, p)
	}
	return e.Target == target
}

// Noise is the table of harmless denials.
type Noise struct {
	Entries []NoiseEntry
}

// NoiseOverrides change the embedded table: Add entries ("OPERATION
// TARGET", optionally followed by a tab and the reason) and Keep entries
// that should no longer be skipped ("OPERATION TARGET" as the table or
// `sbplc learn --verbose` shows it). They are what a configuration file
// supplies (see NoiseOverridesKey).
type NoiseOverrides struct {
	Add  []string
	Keep []string
}

// NoiseOverridesKey is the .sbplc.yaml key proposed for the overrides:
//
//	learn:
//	  noise:
//	    add: ["mach-lookup com.apple.analyticsd"]
//	    keep: ["file-read-data /dev/autofs_nowait"]
const NoiseOverridesKey = "learn.noise"

// DefaultNoise returns the embedded table (learn/noise.tsv).
func DefaultNoise() *Noise {
	n, err := parseNoise(noiseTSV)
	if err != nil {
		panic("learn: noise.tsv: " + err.Error()) // embedded data, checked by a test
	}
	return n
}

// NewNoise returns the embedded table changed by o. An override that is
// not "OPERATION TARGET", or a Keep that names no entry, is an error.
func NewNoise(o NoiseOverrides) (*Noise, error) {
	n := DefaultNoise()
	for _, k := range o.Keep {
		op, target, ok := strings.Cut(strings.TrimSpace(k), " ")
		if !ok || op == "" || strings.TrimSpace(target) == "" {
			return nil, fmt.Errorf("noise keep %q: write OPERATION TARGET", k)
		}
		target = strings.TrimSpace(target)
		kept := n.Entries[:0]
		found := false
		for _, e := range n.Entries {
			if e.Op == op && e.Target == target {
				found = true
				continue
			}
			kept = append(kept, e)
		}
		if !found {
			return nil, fmt.Errorf("noise keep %q: no such entry in the noise table (see sbplc learn --help)", k)
		}
		n.Entries = kept
	}
	for _, a := range o.Add {
		spec, why, _ := strings.Cut(a, "\t")
		op, target, ok := strings.Cut(strings.TrimSpace(spec), " ")
		if !ok || op == "" || strings.TrimSpace(target) == "" || !isOpToken(op) {
			return nil, fmt.Errorf("noise add %q: write OPERATION TARGET", a)
		}
		if why == "" {
			why = "added by the configuration"
		}
		n.Entries = append(n.Entries, NoiseEntry{Op: op, Target: strings.TrimSpace(target), Why: why})
	}
	return n, nil
}

func parseNoise(text string) (*Noise, error) {
	n := &Noise{}
	for i, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 || !isOpToken(f[0]) || f[1] == "" || f[2] == "" {
			return nil, fmt.Errorf("line %d: want OPERATION<TAB>TARGET<TAB>WHY", i+1)
		}
		n.Entries = append(n.Entries, NoiseEntry{Op: f[0], Target: f[1], Why: f[2]})
	}
	return n, nil
}

// match returns the entry that op on target matches.
func (n *Noise) match(op, target string) (NoiseEntry, bool) {
	if n == nil {
		return NoiseEntry{}, false
	}
	for _, e := range n.Entries {
		if e.matches(op, target) {
			return e, true
		}
	}
	return NoiseEntry{}, false
}
