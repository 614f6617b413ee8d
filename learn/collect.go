package learn

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sbplc/sbplc/vocab"
)

// MaxTargets bounds the distinct (operation, target) pairs kept: a log of
// any length holds at most this many observations in memory. Further new
// targets are counted, not kept.
const MaxTargets = 50000

// maxListed bounds the entries kept in each report list (policy denials,
// problems, processes); counts are not bounded.
const maxListed = 64

// Example is one denial quoted in a rule's comment.
type Example struct {
	Source string // the log's name
	Line   int
	Text   string // the payload as logged
}

// String is "log.txt:12: Sandbox: cat(1) deny(1) ...".
func (e Example) String() string { return fmt.Sprintf("%s:%d: %s", e.Source, e.Line, e.Text) }

// observation is one distinct denial (operation and target) with the
// number of times it was seen.
type observation struct {
	op      string // as logged
	ruleOp  string // the operation a rule is written on (sbpl aliases resolved)
	raw     string // the target as logged
	target  target
	count   int
	example Example
	// flag says why the target must stay literal ("" when it need not).
	flag string
}

// Select chooses which processes' reports count. Names match by prefix of
// the logged (possibly truncated) name.
type Select struct {
	Processes []string
	PIDs      []int
}

func (s Select) empty() bool { return len(s.Processes) == 0 && len(s.PIDs) == 0 }

// matches reports whether a report of process name (as logged) and pid is
// selected. The kernel cuts names to 16 or 32 bytes (MAXCOMLEN), so a
// logged name of 15 bytes or more matches every wanted name it begins.
func (s Select) matches(name string, pid int) bool {
	if s.empty() {
		return true
	}
	for _, p := range s.PIDs {
		if p == pid {
			return true
		}
	}
	for _, w := range s.Processes {
		if name == w || len(name) >= 15 && strings.HasPrefix(w, name) {
			return true
		}
	}
	return false
}

// Counted is a report list entry with its count.
type Counted struct {
	Text    string
	Count   int
	Example Example
}

// Collector gathers the reports of one or more logs into distinct
// observations. Its memory is bounded by MaxTargets, whatever the log size.
type Collector struct {
	sel   Select
	noise *Noise
	all   bool

	keys map[string]*observation
	obs  []*observation

	Denials   int // denials read (duplicates counted), before selection
	Allows    int // allow reports (rules with (with report)): not denials
	Others    int // denials of processes the selection leaves out
	Dropped   int // denials of new targets beyond MaxTargets
	Noise     map[string]int
	Policy    []Counted // System Policy denials: no profile rule fixes them
	PolicyN   int
	Unknown   []Counted // operations this sbplc does not know (a newer macOS?)
	NoFilter  []Counted // targets no filter is known for; no rule proposed
	Notes     []Counted // target notes (a non-* host, port 0, a symlink node)
	Processes map[string]int
}

// NewCollector returns a Collector. noise nil means DefaultNoise; all
// keeps the denials the noise table names.
func NewCollector(sel Select, noise *Noise, all bool) *Collector {
	if noise == nil {
		noise = DefaultNoise()
	}
	return &Collector{sel: sel, noise: noise, all: all, keys: map[string]*observation{},
		Noise: map[string]int{}, Processes: map[string]int{}}
}

// Add records one report read from the log named source.
func (c *Collector) Add(r Report, source string) {
	ex := Example{Source: source, Line: r.Line, Text: r.Text}
	if r.Action == "allow" {
		c.Allows += r.Count
		return
	}
	c.Denials += r.Count
	if !c.sel.matches(r.Process, r.PID) {
		c.Others += r.Count
		return
	}
	if r.Process != "" {
		if _, ok := c.Processes[r.Process]; ok || len(c.Processes) < maxListed {
			c.Processes[r.Process] += r.Count
		}
	}
	if r.Policy {
		c.PolicyN += r.Count
		c.Policy = addCounted(c.Policy, r.Op+" "+r.Target, r.Count, ex)
		return
	}
	if !c.all {
		if e, ok := c.noise.match(r.Op, r.Target); ok {
			c.Noise[e.String()] += r.Count
			return
		}
	}
	ruleOp, known := ruleOperation(r.Op)
	e, inTable := lookupOp(r.Op)
	if !known {
		c.Unknown = addCounted(c.Unknown, r.Op, r.Count, ex)
		return
	}
	if !inTable {
		if r.Target != "" {
			c.NoFilter = addCounted(c.NoFilter, r.Op+" "+r.Target+": no filter is known for this operation's targets; write the rule by hand", r.Count, ex)
			return
		}
		e = opEntry{op: r.Op, kind: tNone}
	}
	key := ruleOp + "\x00" + r.Target
	if o := c.keys[key]; o != nil {
		o.count += r.Count
		return
	}
	if r.Target == "" && e.kind != tNone {
		c.NoFilter = addCounted(c.NoFilter, r.Op+" names no target: no rule proposed (an unfiltered rule would allow every target)", r.Count, ex)
		return
	}
	t, err := readTarget(r.Op, e, r.Target)
	if err != nil {
		c.NoFilter = addCounted(c.NoFilter, err.Error(), r.Count, ex)
		return
	}
	if t.note != "" {
		c.Notes = addCounted(c.Notes, t.note, r.Count, ex)
	}
	if len(c.obs) >= MaxTargets {
		c.Dropped += r.Count
		return
	}
	o := &observation{op: r.Op, ruleOp: ruleOp, raw: r.Target, target: t, count: r.Count, example: ex}
	c.keys[key] = o
	c.obs = append(c.obs, o)
}

// Observations is the number of distinct denials kept.
func (c *Collector) Observations() int { return len(c.obs) }

// NoiseSkipped is the number of denials the noise table skipped.
func (c *Collector) NoiseSkipped() int {
	n := 0
	for _, v := range c.Noise {
		n += v
	}
	return n
}

// ProcessList returns the processes seen, most denials first.
func (c *Collector) ProcessList() []Counted {
	var out []Counted
	for p, n := range c.Processes {
		out = append(out, Counted{Text: p, Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Text < out[j].Text
	})
	return out
}

func addCounted(l []Counted, text string, n int, ex Example) []Counted {
	for i := range l {
		if l[i].Text == text {
			l[i].Count += n
			return l
		}
	}
	if len(l) >= maxListed {
		l[len(l)-1].Count += n // the list is full: count with the last
		return l
	}
	return append(l, Counted{Text: text, Count: n, Example: ex})
}

// ruleOperation returns the operation a rule for logged op is written on,
// and whether sbplc knows op. A logged name that SBPL rebinds (sysctl-write
// -> sysctl*, process-exec -> process-exec*) is written as the name it
// stands for, so the rule says what it allows.
func ruleOperation(op string) (string, bool) {
	o, ok := vocab.LookupOperation(op)
	if !ok || o.NoOp {
		return op, false
	}
	if o.AliasOf != "" {
		return o.AliasOf, true
	}
	return op, true
}
