package bytecode

import (
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Arg is a filter node's decoded argument.
type Arg struct {
	Kind    ArgKind
	Int     int      // ArgInline: the value
	Symbol  string   // ArgInline: its symbolic name, if known
	Item    *Item    // ArgPool: the item
	Pattern *Pattern // ArgPool: the decoded program (nil if it does not decode)
	Regex   bool     // the filter byte has RegexBit: Int is a regex index
}

// String renders the argument as SBPL-like text.
func (a Arg) String() string {
	switch {
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
	case a.Item != nil:
		// Unknown filter with a pool item at its argument.
		return fmt.Sprintf("%d ; pool item #x%s", a.Int, hex.EncodeToString(a.Item.Data))
	}
	return strconv.Itoa(a.Int)
}

// FilterArg decodes filter node n's argument.
func (p *Profile) FilterArg(voc Vocabulary, n *Node) Arg {
	a := Arg{Int: int(n.Arg)}
	if n.Kind != FilterNode {
		return a
	}
	if n.Filter&RegexBit != 0 {
		a.Regex = true
		return a
	}
	var fi FilterInfo
	ok := false
	if voc != nil {
		fi, ok = voc.Filter(int(n.Filter))
	}
	if !ok {
		a.Item, _ = p.ItemAt(int(n.Arg))
		return a
	}
	a.Kind = fi.Kind
	switch fi.Kind {
	case ArgInline:
		a.Symbol, _ = fi.ValueName(int64(n.Arg))
	case ArgPool:
		if it, ok := p.ItemAt(int(n.Arg)); ok {
			a.Item = it
			a.Pattern, _ = DecodePattern(it.Data)
		}
	}
	return a
}

// Describe renders a node in one line: "(path (literal \"/x\"))" for a
// filter node, "allow" or "deny report" for a decision.
func (p *Profile) Describe(voc Vocabulary, n *Node) string {
	switch n.Kind {
	case FilterNode:
		return "(" + FilterName(voc, n.Filter) + " " + p.FilterArg(voc, n).String() + ")"
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
// the node count, so corrupt graphs (cycles) end undecided.
func (p *Profile) Evaluate(voc Vocabulary, op int, req Request) Outcome {
	out := Outcome{Node: -1}
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
			r := p.matchNode(voc, n, name, req)
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

func (p *Profile) matchNode(voc Vocabulary, n *Node, name string, req Request) MatchResult {
	a := p.FilterArg(voc, n)
	switch {
	case a.Regex:
		return Unknown
	case a.Kind == ArgInline:
		v, ok := req.Ints[name]
		if !ok {
			return Unknown
		}
		return boolResult(v == a.Int)
	case a.Kind == ArgPool && a.Pattern != nil:
		s, ok := req.Strings[name]
		if !ok {
			return Unknown
		}
		return a.Pattern.MatchString(s)
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
