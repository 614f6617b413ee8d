package bytecode

import (
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Arg is a filter node's decoded argument.
type Arg struct {
	Kind    ArgKind
	Int     int      // ArgInline: the value
	Symbol  string   // ArgInline: its symbolic name, if known
	Item    *Item    // ArgPool: the item
	Pattern *Pattern // ArgPool: the decoded program (nil if it does not decode)
	Regex   bool     // the filter byte has RegexBit on a string filter: Int is a regex index
	// IntSet is set for an integer filter with RegexBit: the argument is
	// the set of values in Set (a bitmap pool item).
	IntSet bool
	Set    []int
}

// String renders the argument as SBPL-like text.
func (a Arg) String() string {
	switch {
	case a.IntSet:
		parts := make([]string, len(a.Set))
		for i, v := range a.Set {
			parts[i] = strconv.Itoa(v)
		}
		return strings.Join(parts, " ")
	case a.Regex:
		return fmt.Sprintf("#regex-%d", a.Int)
	case a.Kind == ArgInline:
		if a.Symbol != "" {
			return a.Symbol
		}
		return strconv.Itoa(a.Int)
	case a.Kind == ArgPool && a.Pattern != nil:
		return a.Pattern.String()
	case a.Kind == ArgPool && a.Item != nil:
		return "#x" + hex.EncodeToString(a.Item.Data)
	case a.Item != nil && a.Pattern != nil:
		// Unknown filter with a pool item at its argument that reads as
		// a matching program.
		return fmt.Sprintf("%d ; pool item %s", a.Int, a.Pattern)
	case a.Item != nil:
		// Unknown filter with a pool item at its argument.
		return fmt.Sprintf("%d ; pool item #x%s", a.Int, hex.EncodeToString(a.Item.Data))
	}
	return strconv.Itoa(a.Int)
}

// FilterArg decodes filter node n's argument. A pool item's program is
// decoded once per profile (the Pattern is shared: do not modify it).
func (p *Profile) FilterArg(voc Vocabulary, n *Node) Arg {
	a, i := p.filterArg(voc, n)
	if (a.Kind == ArgPool || a.Kind == ArgUnknown) && i >= 0 {
		a.Pattern, _ = p.itemPattern(i)
	}
	return a
}

// filterArg is FilterArg without the pattern decoding; i is the index of
// the argument's pool item in Items, -1 when there is none.
func (p *Profile) filterArg(voc Vocabulary, n *Node) (a Arg, i int) {
	a = Arg{Int: int(n.Arg)}
	if n.Kind != FilterNode {
		return a, -1
	}
	var fi FilterInfo
	ok := false
	if voc != nil {
		fi, ok = voc.Filter(int(n.Filter &^ RegexBit))
	}
	if n.Filter&RegexBit != 0 {
		if ok && fi.Kind == ArgInline {
			if i, found := p.itemIndex(int(n.Arg)); found && p.ItemKind(int(n.Arg)) == ItemIntSet {
				a.Kind, a.IntSet, a.Item, a.Set = ArgInline, true, &p.Items[i], p.Items[i].IntSet()
			}
			return a, -1
		}
		a.Regex = true
		return a, -1
	}
	if ok {
		a.Kind = fi.Kind
		switch fi.Kind {
		case ArgInline:
			a.Symbol, _ = fi.ValueName(int64(n.Arg))
			return a, -1
		case ArgUnknown:
			return a, -1
		}
	}
	// A pool argument, or an unknown filter whose argument may be one.
	i, found := p.itemIndex(int(n.Arg))
	if !found {
		return a, -1
	}
	a.Item = &p.Items[i]
	return a, i
}

// maxArgText bounds the rendering of one filter argument in the text and
// dot disassemblies and in JSON's node list (JSON's pool list keeps every
// byte): nodes may share a pool item, and a 64 KiB literal printed per
// node would multiply the output by the node count.
const maxArgText = 1024

// cutText shortens s to maxArgText bytes (at a character boundary) and
// says how much was left out.
func cutText(s string) string {
	if len(s) <= maxArgText {
		return s
	}
	n := maxArgText
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + fmt.Sprintf("... (%d more bytes)", len(s)-n)
}

// describer renders the nodes of one disassembly. Each pool item's
// argument is rendered once: nodes may share an item, and rendering it
// per node would cost nodes x item size.
type describer struct {
	p    *Profile
	voc  Vocabulary
	args map[argKey]string
}

type argKey struct {
	item int
	kind ArgKind
}

func (p *Profile) newDescriber(voc Vocabulary) *describer {
	return &describer{p: p, voc: voc, args: map[argKey]string{}}
}

// arg renders filter node n's argument, cut to maxArgText bytes.
func (d *describer) arg(n *Node) string {
	a, i := d.p.filterArg(d.voc, n)
	if i < 0 {
		return a.String()
	}
	k := argKey{i, a.Kind}
	s, ok := d.args[k]
	if !ok {
		if a.Kind == ArgPool || a.Kind == ArgUnknown {
			a.Pattern, _ = d.p.itemPattern(i)
		}
		s = cutText(a.String())
		d.args[k] = s
	}
	return s
}

// describe renders a node in one line (see Profile.Describe).
func (d *describer) describe(n *Node) string {
	switch n.Kind {
	case FilterNode:
		return "(" + FilterName(d.voc, n.Filter) + " " + d.arg(n) + ")"
	case TerminalNode:
		s := n.Decision()
		if fl := n.FlagNames(); len(fl) > 0 {
			s += " " + strings.Join(fl, " ")
		}
		if n.Flags&FlagInline != 0 {
			s += fmt.Sprintf(" [modifier %d arg %d value %d]", n.ModType, n.ModArgID, n.ModValue)
		}
		return s
	}
	return fmt.Sprintf("(bad node tag 0x%02x)", n.Raw[0])
}

// Describe renders a node in one line: "(path (literal \"/x\"))" for a
// filter node, "allow" or "deny report" for a decision. Arguments longer
// than maxArgText bytes are cut.
func (p *Profile) Describe(voc Vocabulary, n *Node) string {
	return p.newDescriber(voc).describe(n)
}

// Entry is one distinct entry node and the operations that start there.
type Entry struct {
	Node int
	Ops  []int // op-table indexes, ascending
}

// Entries groups the op table by entry node: entries whose node is a
// filter come first (by lowest op id), then decision entries.
func (p *Profile) Entries() []Entry {
	byNode := map[int]*Entry{}
	var order []*Entry
	for op, e := range p.OpTable {
		en := byNode[int(e)]
		if en == nil {
			en = &Entry{Node: int(e)}
			byNode[int(e)] = en
			order = append(order, en)
		}
		en.Ops = append(en.Ops, op)
	}
	out := make([]Entry, len(order))
	for i, e := range order {
		out[i] = *e
	}
	sort.SliceStable(out, func(i, j int) bool {
		ti, tj := p.isTerminal(out[i].Node), p.isTerminal(out[j].Node)
		if ti != tj {
			return !ti
		}
		return out[i].Ops[0] < out[j].Ops[0]
	})
	return out
}

func (p *Profile) isTerminal(i int) bool {
	n := p.Node(i)
	return n != nil && n.Kind == TerminalNode
}

// Request is what the graph is evaluated against: for each filter name,
// the request's value (a string for pattern filters, an integer for inline
// ones). A filter absent from the request is unknown.
type Request struct {
	Strings map[string]string
	Ints    map[string]int
}

// Outcome is the result of evaluating one operation's graph.
type Outcome struct {
	Decision string // "allow", "deny", or "" when undecided
	Node     int    // the terminal reached, -1 when undecided
	Path     []int  // the nodes visited, entry first
	// Unknown names the filter that could not be evaluated (absent from
	// the request, or a program with unestablished semantics).
	Unknown string
}

// Evaluate walks operation op's graph for req. Evaluation is bounded by
// the node count, so corrupt graphs (cycles) end undecided, and each pool
// item is matched at most once per filter name, so nodes sharing an item
// cost one match.
func (p *Profile) Evaluate(voc Vocabulary, op int, req Request) Outcome {
	out := Outcome{Node: -1}
	memo := map[matchKey]MatchResult{}
	if op < 0 || op >= len(p.OpTable) {
		out.Unknown = "operation"
		return out
	}
	i := int(p.OpTable[op])
	for steps := 0; steps <= len(p.Nodes); steps++ {
		n := p.Node(i)
		if n == nil {
			out.Unknown = "edge"
			return out
		}
		out.Path = append(out.Path, i)
		switch n.Kind {
		case TerminalNode:
			out.Decision, out.Node = n.Decision(), i
			return out
		case FilterNode:
			name := FilterName(voc, n.Filter)
			r := p.matchNode(voc, n, name, req, memo)
			switch r {
			case Matched:
				i = int(n.Match)
			case NoMatch:
				i = int(n.Unmatch)
			default:
				out.Unknown = name
				return out
			}
		default:
			out.Unknown = "tag"
			return out
		}
	}
	out.Unknown = "cycle"
	return out
}

// matchKey is a pool item matched for one filter's request value.
type matchKey struct {
	item   int
	filter string
}

func (p *Profile) matchNode(voc Vocabulary, n *Node, name string, req Request, memo map[matchKey]MatchResult) MatchResult {
	a, i := p.filterArg(voc, n)
	switch {
	case a.IntSet:
		v, ok := req.Ints[name]
		if !ok {
			return Unknown
		}
		for _, x := range a.Set {
			if x == v {
				return Matched
			}
		}
		return NoMatch
	case a.Regex:
		return Unknown
	case a.Kind == ArgInline:
		v, ok := req.Ints[name]
		if !ok {
			return Unknown
		}
		return boolResult(v == a.Int)
	case a.Kind == ArgPool && i >= 0:
		s, ok := req.Strings[name]
		if !ok {
			return Unknown
		}
		k := matchKey{i, name}
		if r, ok := memo[k]; ok {
			return r
		}
		r := Unknown
		if pat, err := p.itemPattern(i); err == nil {
			r = pat.MatchString(s)
		}
		memo[k] = r
		return r
	}
	return Unknown
}

// Filters lists the distinct (filter name, argument) pairs tested on the
// paths of op's graph, in node order: the probe points a cross-check
// uses.
func (p *Profile) Filters(voc Vocabulary, op int) []*Node {
	if op < 0 || op >= len(p.OpTable) {
		return nil
	}
	seen := map[int]bool{}
	var out []*Node
	work := []int{int(p.OpTable[op])}
	for len(work) > 0 {
		i := work[len(work)-1]
		work = work[:len(work)-1]
		n := p.Node(i)
		if n == nil || seen[i] {
			continue
		}
		seen[i] = true
		if n.Kind == FilterNode {
			out = append(out, n)
			work = append(work, int(n.Unmatch), int(n.Match))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out
}
