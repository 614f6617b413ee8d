package bytecode

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
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
// node with its operations and decision tree. Every filter node is printed
// once: a subtree printed before (in this tree or an earlier one) is
// referred to by node number, so the output is linear in the graph
// however much of it the entries share.
//
// A collection is listed profile by profile (name, record fields, default
// decision, number of distinct entries); a Member view is disassembled
// like a single profile.
func (p *Profile) WriteText(w io.Writer, name string, voc Vocabulary, all bool) error {
	b := bufio.NewWriter(w)
	h := p.Header
	if r, ok := p.MemberRecord(); ok {
		fmt.Fprintf(b, "; %s: profile %s, %d of %d in the collection; %s, %d bytes\n", name, nameText(r.Name), r.Index+1, len(p.Records), p.LayoutText(), p.Size)
	} else {
		fmt.Fprintf(b, "; %s: %s, %d bytes\n", name, p.LayoutText(), p.Size)
	}
	fmt.Fprintf(b, "; header: type %d, %d nodes, %d operations, %d regex, %d variables, %d states, %d policies",
		h.Type, h.NodeCount, h.OpCount, h.RegexCount, h.VarCount, h.StateCount, h.PolicyCount)
	if h.MessageCount > 0 {
		fmt.Fprintf(b, ", %d messages", h.MessageCount)
	}
	if p.IsCollection() {
		fmt.Fprintf(b, ", %d profiles", h.ProfileCount)
	}
	b.WriteString("\n")
	p.writeExtras(b)
	if p.IsCollection() && p.member == 0 {
		fmt.Fprintf(b, "; records at %d, nodes at %d, pool at %d (%s)\n", p.Records[0].Offset, p.NodesAt, p.PoolBase, plural(len(p.Items), "item"))
		p.writeRecords(b, voc)
		return b.Flush()
	}
	fmt.Fprintf(b, "; op table at %d, nodes at %d, pool at %d (%s)\n", p.OpTableAt, p.NodesAt, p.PoolBase, plural(len(p.Items), "item"))
	max := maxListed
	if all {
		max = 0
	}
	t := &textTree{b: b, d: p.newDescriber(voc), printed: make([]bool, len(p.Nodes))}
	for _, e := range p.Entries() {
		names := p.opNames(voc, e.Ops)
		fmt.Fprintf(b, "\n[%s] %s\n", plural(len(names), "operation"), listNames(names, max))
		t.queue = append(t.queue[:0], e.Node)
		for len(t.queue) > 0 {
			i := t.queue[0]
			t.queue = t.queue[1:]
			t.tree(i, "  ", "", 0)
		}
	}
	return b.Flush()
}

// writeExtras prints what only some layouts have: header fields and
// tables of unknown meaning, the policy block.
func (p *Profile) writeExtras(b *bufio.Writer) {
	for _, u := range p.Header.Unknown {
		what := "unknown header field"
		if u.Name != "" {
			what = u.Name
		}
		fmt.Fprintf(b, "; %s at offset %d: %d\n", what, u.Offset, u.Value)
	}
	for _, t := range p.Tables {
		if t.Kind == TableOpaque && len(t.Entries) > 0 {
			fmt.Fprintf(b, "; %s table (meaning unknown) at %d: %s\n", t.Name, t.At, listInts(t.Entries, maxListed))
		}
	}
	if len(p.PolicyExtra) > 0 {
		fmt.Fprintf(b, "; %d bytes of unknown meaning after the policy table, at %d: %s\n", len(p.PolicyExtra), p.PolicyExtraAt, hex.EncodeToString(p.PolicyExtra))
	}
}

func listInts(xs []uint16, max int) string {
	var parts []string
	for i, x := range xs {
		if i == max {
			parts = append(parts, fmt.Sprintf("... (%d more)", len(xs)-max))
			break
		}
		parts = append(parts, strconv.Itoa(int(x)))
	}
	return strings.Join(parts, " ")
}

// nameText renders a profile name: as it is when it is printable and has
// no spaces or quotes, else quoted; cut to maxArgText bytes.
func nameText(s string) string {
	s = cutText(s)
	for _, c := range s {
		if c <= ' ' || c == '"' || c == '\\' || !unicode.IsPrint(c) {
			return strconv.Quote(s)
		}
	}
	if s == "" {
		return `""`
	}
	return s
}

// writeRecords lists a collection's profiles: name, record fields, the
// decision or node of the default operation, and the number of distinct
// entry nodes.
func (p *Profile) writeRecords(b *bufio.Writer, voc Vocabulary) {
	fmt.Fprintf(b, "\n[%s]\n", plural(len(p.Records), "profile"))
	fields := p.Format().RecordFields
	distinct := map[uint16]bool{}
	byUnit := map[uint16]int{} // name unit -> first record naming it
	d := p.newDescriber(voc)
	for i := range p.Records {
		r := &p.Records[i]
		var name string
		j, shared := byUnit[r.NameUnit]
		switch {
		case !r.NameOK:
			name = fmt.Sprintf("#%d (no name item at pool offset %d)", i, r.NameUnit)
		case shared:
			// Printed once per item: records sharing a long name would
			// multiply the output.
			name = fmt.Sprintf("#%d (the name of profile #%d)", i, j)
		default:
			byUnit[r.NameUnit] = i
			name = nameText(r.Name)
		}
		clear(distinct)
		for _, e := range r.OpTable {
			distinct[e] = true
		}
		def := "no operations"
		if len(r.OpTable) > 0 {
			def = "default: node " + strconv.Itoa(int(r.OpTable[0]))
			if n := p.Node(int(r.OpTable[0])); n != nil && n.Kind == TerminalNode {
				def = "default " + d.describe(n)
			}
		}
		entries := "1 distinct entry"
		if len(distinct) != 1 {
			entries = strconv.Itoa(len(distinct)) + " distinct entries"
		}
		fmt.Fprintf(b, "  %s: %s, %s", name, def, entries)
		for k, v := range r.Fields {
			if k < len(fields) {
				fmt.Fprintf(b, ", %s %d", fields[k], v)
			}
		}
		b.WriteString("\n")
	}
}

// textTree is the state of one text disassembly.
type textTree struct {
	b       *bufio.Writer
	d       *describer
	printed []bool // filter nodes already printed
	queue   []int  // subtrees to print after the current tree
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
func (t *textTree) tree(i int, indent, prefix string, depth int) {
	n := t.d.p.Node(i)
	t.b.WriteString(indent + prefix)
	switch {
	case n == nil:
		fmt.Fprintf(t.b, "node %d: out of range\n", i)
		return
	case n.Kind != FilterNode:
		fmt.Fprintf(t.b, "node %d: %s\n", i, t.d.describe(n))
		return
	case t.printed[i]:
		fmt.Fprintf(t.b, "node %d: (see above)\n", i)
		return
	case depth >= maxTreeDepth:
		fmt.Fprintf(t.b, "node %d: (continued below)\n", i)
		t.queue = append(t.queue, i)
		return
	}
	t.printed[i] = true
	fmt.Fprintf(t.b, "node %d: %s\n", i, t.d.describe(n))
	child := indent + strings.Repeat(" ", len(prefix))
	t.tree(int(n.Match), child+"  ", "match -> ", depth+1)
	t.tree(int(n.Unmatch), child+"  ", "else  -> ", depth+1)
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

type jsonRecord struct {
	Index     int            `json:"index"`
	Name      string         `json:"name"`
	NameOK    bool           `json:"name_ok"`
	NameUnit  int            `json:"name_unit"`
	NameOf    *int           `json:"name_of,omitempty"` // the record whose name this one shares`
	Offset    int            `json:"offset"`
	Fields    map[string]int `json:"fields"`
	OpTableAt int            `json:"op_table_offset"`
	OpTable   []uint16       `json:"op_table"`
}

type jsonItem struct {
	Unit    int      `json:"unit"`
	Offset  int      `json:"offset"`
	Hex     string   `json:"hex"`
	Pattern string   `json:"pattern,omitempty"`
	Program []string `json:"program,omitempty"`
}

func intp(i int) *int { return &i }

// WriteJSON prints the decoded profile as JSON (findings from Verify are
// included when given). The document is written piece by piece, so memory
// stays proportional to the blob. The pool list stops after as many items
// as there are nodes and table entries (each refers to at most one item,
// so a sound blob never has more); "pool_items_omitted" counts the rest.
func (p *Profile) WriteJSON(w io.Writer, name string, voc Vocabulary, fs Findings) error {
	d := &jsonDoc{w: bufio.NewWriter(w)}
	d.field("file", name)
	d.field("layout", p.Layout.Name)
	d.field("release", p.Layout.Release)
	d.field("layout_verified", p.LayoutVerified())
	if r, ok := p.MemberRecord(); ok {
		d.field("member", r.Name)
		d.field("member_index", r.Index)
	}
	d.field("size", p.Size)
	d.field("header", p.Header)
	d.field("op_table_offset", p.OpTableAt)
	d.field("nodes_offset", p.NodesAt)
	d.field("pool_base", p.PoolBase)
	for _, t := range p.Tables {
		if t.Kind == TableOpaque && len(t.Entries) > 0 {
			d.field(t.Name+"_table", t.Entries)
		}
	}
	if len(p.PolicyExtra) > 0 {
		d.field("policy_block_offset", p.PolicyExtraAt)
		d.field("policy_block", hex.EncodeToString(p.PolicyExtra))
	}
	if p.IsCollection() {
		fields := p.Format().RecordFields
		byUnit := map[uint16]int{} // name unit -> first record naming it
		d.array("profiles", len(p.Records), func(i int) any {
			r := &p.Records[i]
			fs := map[string]int{}
			for k, v := range r.Fields {
				if k < len(fields) {
					fs[fields[k]] = int(v)
				}
			}
			jr := jsonRecord{Index: i, Name: r.Name, NameOK: r.NameOK, NameUnit: int(r.NameUnit), Offset: r.Offset,
				Fields: fs, OpTableAt: r.OpTableAt, OpTable: r.OpTable}
			// A name item is written once however many records share it.
			if j, shared := byUnit[r.NameUnit]; shared && r.NameOK {
				jr.Name, jr.NameOf = "", &j
			} else {
				byUnit[r.NameUnit] = i
			}
			return jr
		})
	}
	d.array("operations", len(p.OpTable), func(id int) any {
		return jsonOp{ID: id, Name: OpName(voc, id), Node: int(p.OpTable[id])}
	})
	desc := p.newDescriber(voc)
	d.array("nodes", len(p.Nodes), func(i int) any {
		n := &p.Nodes[i]
		jn := jsonNode{Index: i, Offset: n.Offset, Kind: n.Kind.String(), Raw: hex.EncodeToString(n.Raw[:])}
		switch n.Kind {
		case FilterNode:
			jn.Filter, jn.Name, jn.Arg = intp(int(n.Filter)), FilterName(voc, n.Filter), intp(int(n.Arg))
			jn.Argument = desc.arg(n)
			jn.Match, jn.Unmatch = intp(int(n.Match)), intp(int(n.Unmatch))
		case TerminalNode:
			jn.Decision, jn.Flags, jn.FlagList = n.Decision(), intp(int(n.Flags)), n.FlagNames()
		}
		return jn
	})
	refs := len(p.Nodes) + len(p.Records)
	for _, t := range p.Tables {
		refs += len(t.Entries)
	}
	listed := min(len(p.Items), refs)
	d.array("pool", listed, func(i int) any {
		it := &p.Items[i]
		ji := jsonItem{Unit: it.Unit, Offset: it.Pos, Hex: hex.EncodeToString(it.Data)}
		if pat, err := DecodePattern(it.Data); err == nil {
			ji.Pattern = pat.String()
			for _, o := range pat.Ops {
				ji.Program = append(ji.Program, o.String())
			}
		}
		return ji
	})
	if listed < len(p.Items) {
		d.field("pool_items_omitted", len(p.Items)-listed)
	}
	d.array("findings", len(fs), func(i int) any { return fs[i] })
	return d.close()
}

// jsonDoc writes one JSON object field by field, laid out as json.Encoder
// with a two-space indent lays it out, without holding the document.
type jsonDoc struct {
	w      *bufio.Writer
	fields int
	err    error
}

func (d *jsonDoc) key(k string) {
	if d.fields == 0 {
		d.w.WriteString("{\n  ")
	} else {
		d.w.WriteString(",\n  ")
	}
	d.fields++
	d.value(k, "")
	d.w.WriteString(": ")
}

func (d *jsonDoc) value(v any, indent string) {
	if d.err != nil {
		return
	}
	b, err := json.MarshalIndent(v, indent, "  ")
	if err != nil {
		d.err = err
		return
	}
	d.w.Write(b)
}

func (d *jsonDoc) field(k string, v any) {
	d.key(k)
	d.value(v, "  ")
}

// array writes field k as an array of n elements; elem(i) makes each.
func (d *jsonDoc) array(k string, n int, elem func(i int) any) {
	d.key(k)
	if n == 0 {
		d.w.WriteString("[]")
		return
	}
	d.w.WriteString("[\n    ")
	for i := 0; i < n && d.err == nil; i++ {
		if i > 0 {
			d.w.WriteString(",\n    ")
		}
		d.value(elem(i), "    ")
	}
	d.w.WriteString("\n  ]")
}

func (d *jsonDoc) close() error {
	d.w.WriteString("\n}\n")
	if d.err != nil {
		return d.err
	}
	return d.w.Flush()
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

// ErrCollectionGraph is WriteDot's refusal of a whole collection.
var ErrCollectionGraph = errors.New("a profile collection has a decision graph per profile: draw one member")

// WriteDot prints the decision graph in Graphviz dot: one note per group
// of operations sharing an entry, filter nodes as boxes, decisions as
// ellipses (green allow, red deny), solid match and dashed unmatch edges.
// Edges out of range are drawn to a "missing" node.
//
// A collection has a graph per profile: WriteDot draws a Member view's,
// and refuses the collection itself (ErrCollectionGraph).
func (p *Profile) WriteDot(w io.Writer, name string, voc Vocabulary, all bool) error {
	if p.IsCollection() && p.member == 0 {
		return ErrCollectionGraph
	}
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "digraph %s {\n", dotQuote(name))
	title := fmt.Sprintf("%s: %s", name, p.LayoutText())
	if r, ok := p.MemberRecord(); ok {
		title = fmt.Sprintf("%s: profile %s; %s", name, nameText(r.Name), p.LayoutText())
	}
	fmt.Fprintf(b, "  label=%s;\n  labelloc=t;\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n", dotQuote(title))
	max := 6
	if all {
		max = 0
	}
	missing := false
	for k, e := range p.Entries() {
		names := p.opNames(voc, e.Ops)
		label := fmt.Sprintf("%s\n%s", plural(len(names), "operation"), strings.ReplaceAll(listNames(names, max), ", ", "\n"))
		fmt.Fprintf(b, "  ops%d [shape=note, label=%s];\n", k, dotQuote(label))
		if p.Node(e.Node) == nil {
			missing = true
			fmt.Fprintf(b, "  ops%d -> missing;\n", k)
		} else {
			fmt.Fprintf(b, "  ops%d -> n%d;\n", k, e.Node)
		}
	}
	desc := p.newDescriber(voc)
	for i := range p.Nodes {
		n := &p.Nodes[i]
		switch n.Kind {
		case FilterNode:
			fmt.Fprintf(b, "  n%d [shape=box, label=%s];\n", i, dotQuote(fmt.Sprintf("%d: %s", i, desc.describe(n))))
			for k, e := range [2]uint16{n.Match, n.Unmatch} {
				to := fmt.Sprintf("n%d", e)
				if p.Node(int(e)) == nil {
					to, missing = "missing", true
				}
				style := [2]string{"[label=\"match\", color=\"darkgreen\"]", "[label=\"else\", style=dashed, color=\"red3\"]"}[k]
				fmt.Fprintf(b, "  n%d -> %s %s;\n", i, to, style)
			}
		case TerminalNode:
			color := "palegreen"
			if n.Deny() {
				color = "lightpink"
			}
			fmt.Fprintf(b, "  n%d [shape=ellipse, style=filled, fillcolor=%s, label=%s];\n", i, color, dotQuote(fmt.Sprintf("%d: %s", i, desc.describe(n))))
		default:
			fmt.Fprintf(b, "  n%d [shape=octagon, label=%s];\n", i, dotQuote(fmt.Sprintf("%d: bad tag 0x%02x", i, n.Raw[0])))
		}
	}
	if missing {
		b.WriteString("  missing [shape=octagon, color=red, label=\"edge out of range\"];\n")
	}
	b.WriteString("}\n")
	return b.Flush()
}
