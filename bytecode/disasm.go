package bytecode

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// maxListed bounds the operation names printed per group in text and dot
// output (JSON lists them all).
const maxListed = 12

func (p *Profile) opNames(voc Vocabulary, ops []int) []string {
	out := make([]string, len(ops))
	for i, op := range ops {
		out[i] = OpName(voc, op)
	}
	return out
}

func listNames(names []string, max int) string {
	if max > 0 && len(names) > max {
		return strings.Join(names[:max], ", ") + fmt.Sprintf(", ... (%d more)", len(names)-max)
	}
	return strings.Join(names, ", ")
}

// WriteText prints a readable disassembly: the header, then each entry
// node with its operations and decision tree. Subtrees shared within one
// tree are printed once and referred to by node number afterwards.
func (p *Profile) WriteText(w io.Writer, name string, voc Vocabulary, all bool) error {
	var b strings.Builder
	h := p.Header
	fmt.Fprintf(&b, "; %s: %s, %d bytes\n", name, p.Layout, p.Size)
	fmt.Fprintf(&b, "; header: type %d, %d nodes, %d operations, %d regex, %d variables, %d states, %d policies\n",
		h.Type, h.NodeCount, h.OpCount, h.RegexCount, h.VarCount, h.StateCount, h.PolicyCount)
	fmt.Fprintf(&b, "; op table at %d, nodes at %d, pool at %d (%s)\n", p.OpTableAt, p.NodesAt, p.PoolBase, plural(len(p.Items), "item"))
	max := maxListed
	if all {
		max = 0
	}
	for _, e := range p.Entries() {
		names := p.opNames(voc, e.Ops)
		fmt.Fprintf(&b, "\n[%s] %s\n", plural(len(names), "operation"), listNames(names, max))
		printed := map[int]bool{}
		queue := []int{e.Node}
		for len(queue) > 0 {
			i := queue[0]
			queue = queue[1:]
			p.tree(&b, voc, i, "  ", "", printed, 0, &queue)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// maxTreeDepth bounds the nesting of one printed tree; deeper subtrees
// are printed afterwards as their own trees, so long chains give output
// proportional to the graph, not to the square of its depth.
const maxTreeDepth = 16

// tree prints node i after prefix (the first line) and its children
// indented by indent.
func (p *Profile) tree(b *strings.Builder, voc Vocabulary, i int, indent, prefix string, printed map[int]bool, depth int, queue *[]int) {
	n := p.Node(i)
	b.WriteString(indent + prefix)
	switch {
	case n == nil:
		fmt.Fprintf(b, "node %d: out of range\n", i)
		return
	case n.Kind != FilterNode:
		fmt.Fprintf(b, "node %d: %s\n", i, p.Describe(voc, n))
		return
	case printed[i]:
		fmt.Fprintf(b, "node %d: (see above)\n", i)
		return
	case depth >= maxTreeDepth:
		fmt.Fprintf(b, "node %d: (continued below)\n", i)
		*queue = append(*queue, i)
		return
	}
	printed[i] = true
	fmt.Fprintf(b, "node %d: %s\n", i, p.Describe(voc, n))
	child := indent + strings.Repeat(" ", len(prefix))
	p.tree(b, voc, int(n.Match), child+"  ", "match -> ", printed, depth+1, queue)
	p.tree(b, voc, int(n.Unmatch), child+"  ", "else  -> ", printed, depth+1, queue)
}

// JSON shapes.
type jsonOp struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	Node int    `json:"node"`
}

type jsonNode struct {
	Index    int      `json:"index"`
	Offset   int      `json:"offset"`
	Kind     string   `json:"kind"`
	Raw      string   `json:"raw"`
	Filter   *int     `json:"filter,omitempty"`
	Name     string   `json:"name,omitempty"`
	Arg      *int     `json:"arg,omitempty"`
	Argument string   `json:"argument,omitempty"`
	Match    *int     `json:"match,omitempty"`
	Unmatch  *int     `json:"unmatch,omitempty"`
	Decision string   `json:"decision,omitempty"`
	Flags    *int     `json:"flags,omitempty"`
	FlagList []string `json:"flag_names,omitempty"`
}

type jsonItem struct {
	Unit    int      `json:"unit"`
	Offset  int      `json:"offset"`
	Hex     string   `json:"hex"`
	Pattern string   `json:"pattern,omitempty"`
	Program []string `json:"program,omitempty"`
}

type jsonProfile struct {
	File       string     `json:"file"`
	Layout     string     `json:"layout"`
	Release    string     `json:"release"`
	Verified   bool       `json:"layout_verified"`
	Size       int        `json:"size"`
	Header     Header     `json:"header"`
	OpTableAt  int        `json:"op_table_offset"`
	NodesAt    int        `json:"nodes_offset"`
	PoolBase   int        `json:"pool_base"`
	Operations []jsonOp   `json:"operations"`
	Nodes      []jsonNode `json:"nodes"`
	Pool       []jsonItem `json:"pool"`
	Findings   []Finding  `json:"findings"`
}

func intp(i int) *int { return &i }

// WriteJSON prints the decoded profile as JSON (findings from Verify are
// included when given).
func (p *Profile) WriteJSON(w io.Writer, name string, voc Vocabulary, fs Findings) error {
	out := jsonProfile{
		File: name, Layout: p.Layout.Name, Release: p.Layout.Release, Verified: p.Layout.Verified,
		Size: p.Size, Header: p.Header, OpTableAt: p.OpTableAt, NodesAt: p.NodesAt, PoolBase: p.PoolBase,
		Operations: []jsonOp{}, Nodes: []jsonNode{}, Pool: []jsonItem{}, Findings: []Finding{},
	}
	for id, e := range p.OpTable {
		out.Operations = append(out.Operations, jsonOp{ID: id, Name: OpName(voc, id), Node: int(e)})
	}
	for i := range p.Nodes {
		n := &p.Nodes[i]
		jn := jsonNode{Index: i, Offset: n.Offset, Kind: n.Kind.String(), Raw: hex.EncodeToString(n.Raw[:])}
		switch n.Kind {
		case FilterNode:
			jn.Filter, jn.Name, jn.Arg = intp(int(n.Filter)), FilterName(voc, n.Filter), intp(int(n.Arg))
			jn.Argument = p.FilterArg(voc, n).String()
			jn.Match, jn.Unmatch = intp(int(n.Match)), intp(int(n.Unmatch))
		case TerminalNode:
			jn.Decision, jn.Flags, jn.FlagList = n.Decision(), intp(int(n.Flags)), n.FlagNames()
		}
		out.Nodes = append(out.Nodes, jn)
	}
	for _, it := range p.Items {
		ji := jsonItem{Unit: it.Unit, Offset: it.Pos, Hex: hex.EncodeToString(it.Data)}
		if pat, err := DecodePattern(it.Data); err == nil {
			ji.Pattern = pat.String()
			for _, o := range pat.Ops {
				ji.Program = append(ji.Program, o.String())
			}
		}
		out.Pool = append(out.Pool, ji)
	}
	out.Findings = append(out.Findings, fs...)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// MarshalJSON adds the severity name to a finding.
func (f Finding) MarshalJSON() ([]byte, error) {
	type plain Finding
	return json.Marshal(struct {
		Severity string `json:"severity"`
		plain
	}{f.Severity.String(), plain(f)})
}

func dotQuote(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, `"`, `\"`)
	s = strings.ReplaceAll(s, "\n", `\n`)
	return `"` + s + `"`
}

// WriteDot prints the decision graph in Graphviz dot: one note per group
// of operations sharing an entry, filter nodes as boxes, decisions as
// ellipses (green allow, red deny), solid match and dashed unmatch edges.
// Edges out of range are drawn to a "missing" node.
func (p *Profile) WriteDot(w io.Writer, name string, voc Vocabulary, all bool) error {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %s {\n", dotQuote(name))
	fmt.Fprintf(&b, "  label=%s;\n  labelloc=t;\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n",
		dotQuote(fmt.Sprintf("%s: %s", name, p.Layout)))
	max := 6
	if all {
		max = 0
	}
	missing := false
	for k, e := range p.Entries() {
		names := p.opNames(voc, e.Ops)
		label := fmt.Sprintf("%s\n%s", plural(len(names), "operation"), strings.ReplaceAll(listNames(names, max), ", ", "\n"))
		fmt.Fprintf(&b, "  ops%d [shape=note, label=%s];\n", k, dotQuote(label))
		if p.Node(e.Node) == nil {
			missing = true
			fmt.Fprintf(&b, "  ops%d -> missing;\n", k)
		} else {
			fmt.Fprintf(&b, "  ops%d -> n%d;\n", k, e.Node)
		}
	}
	for i := range p.Nodes {
		n := &p.Nodes[i]
		switch n.Kind {
		case FilterNode:
			fmt.Fprintf(&b, "  n%d [shape=box, label=%s];\n", i, dotQuote(fmt.Sprintf("%d: %s", i, p.Describe(voc, n))))
			for k, e := range [2]uint16{n.Match, n.Unmatch} {
				to := fmt.Sprintf("n%d", e)
				if p.Node(int(e)) == nil {
					to, missing = "missing", true
				}
				style := [2]string{"[label=\"match\", color=\"darkgreen\"]", "[label=\"else\", style=dashed, color=\"red3\"]"}[k]
				fmt.Fprintf(&b, "  n%d -> %s %s;\n", i, to, style)
			}
		case TerminalNode:
			color := "palegreen"
			if n.Deny() {
				color = "lightpink"
			}
			fmt.Fprintf(&b, "  n%d [shape=ellipse, style=filled, fillcolor=%s, label=%s];\n", i, color, dotQuote(fmt.Sprintf("%d: %s", i, p.Describe(voc, n))))
		default:
			fmt.Fprintf(&b, "  n%d [shape=octagon, label=%s];\n", i, dotQuote(fmt.Sprintf("%d: bad tag 0x%02x", i, n.Raw[0])))
		}
	}
	if missing {
		b.WriteString("  missing [shape=octagon, color=red, label=\"edge out of range\"];\n")
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}
