package bytecode

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/sbplc/sbplc/diag"
)

// Finding is one result of the structural verifier.
type Finding struct {
	Severity diag.Severity `json:"-"`
	Code     string        `json:"code"`
	Offset   int           `json:"offset"` // byte offset in the blob, -1 if not located
	Message  string        `json:"message"`
}

// String renders "offset N (0xN): severity: message [code]".
func (f Finding) String() string {
	if f.Offset >= 0 {
		return fmt.Sprintf("offset %d (0x%x): %s: %s [%s]", f.Offset, f.Offset, f.Severity, f.Message, f.Code)
	}
	return fmt.Sprintf("%s: %s [%s]", f.Severity, f.Message, f.Code)
}

// Findings is a verifier result.
type Findings []Finding

// HasErrors reports whether any finding is an error.
func (fs Findings) HasErrors() bool {
	for _, f := range fs {
		if f.Severity >= diag.Error {
			return true
		}
	}
	return false
}

// Verifier codes.
const (
	CodeDecode      = "bytecode-decode"      // the blob cannot be decoded
	CodeHeader      = "bytecode-header"      // header values
	CodeLayout      = "bytecode-layout"      // alignment and table placement
	CodeOpTable     = "bytecode-op-table"    // op-table entries
	CodeNode        = "bytecode-node"        // node tags, filter ids, flags
	CodeEdge        = "bytecode-edge"        // match/unmatch edges
	CodeCycle       = "bytecode-cycle"       // a loop in the decision graph
	CodeUnreachable = "bytecode-unreachable" // nodes no operation reaches
	CodePool        = "bytecode-pool"        // pool items and references
	CodePattern     = "bytecode-pattern"     // matching programs
	CodeArg         = "bytecode-arg"         // inline filter arguments
	CodeTrailing    = "bytecode-trailing"    // bytes after the end of the profile
	CodeLimit       = "bytecode-limit"       // findings left out (MaxFindings)
)

// MaxFindings is the number of findings Verify lists (errors first); one
// more finding counts the rest. A corrupt blob can have a problem every 8
// bytes, and a million findings help nobody.
const MaxFindings = 100

type verifier struct {
	p   *Profile
	f   *Format
	voc Vocabulary
	// filters is set when voc has a filter table for the release; without
	// one, filter ids and arguments cannot be checked.
	filters bool
	// errs and others hold the first MaxFindings errors and the first
	// MaxFindings other findings; nErrs and nOthers count them all.
	errs, others   Findings
	nErrs, nOthers int
	// unverified is set when the blob uses constructs whose encoding is
	// not pinned down by verified blobs (or the layout is unverified), so
	// strict pool accounting would be guesswork.
	unverified bool
	// dangling is set when a node or table refers to a pool offset where
	// no item starts.
	dangling bool
	// patterns records the items whose program was checked (nodes may
	// share an item; it is reported once).
	patterns map[int]bool
}

// add records a finding; past the cap it is only counted, never
// formatted.
func (v *verifier) add(sev diag.Severity, code string, off int, format string, args ...any) {
	list, n := &v.others, &v.nOthers
	if sev >= diag.Error {
		list, n = &v.errs, &v.nErrs
	}
	*n++
	if len(*list) < MaxFindings {
		*list = append(*list, Finding{Severity: sev, Code: code, Offset: off, Message: fmt.Sprintf(format, args...)})
	}
}

// count counts a finding past the cap without formatting it.
func (v *verifier) count(sev diag.Severity) {
	if sev >= diag.Error {
		v.nErrs++
	} else {
		v.nOthers++
	}
}

// listed reports whether a finding of severity sev would still be listed;
// when not, the caller counts it and skips formatting costly arguments.
func (v *verifier) listed(sev diag.Severity) bool {
	if sev >= diag.Error {
		return len(v.errs) < MaxFindings
	}
	return len(v.others) < MaxFindings
}

// result lists up to MaxFindings findings, errors first, in offset order,
// then one finding counting the rest.
func (v *verifier) result() Findings {
	out := append(Findings(nil), v.errs...)
	out = append(out, v.others[:min(len(v.others), MaxFindings-len(out))]...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Offset != b.Offset {
			return a.Offset < b.Offset
		}
		return a.Severity > b.Severity
	})
	restErrs := v.nErrs - len(v.errs)
	rest := v.nErrs + v.nOthers - len(out)
	if rest > 0 {
		sev := diag.Warning
		if restErrs > 0 {
			sev = diag.Error
		}
		out = append(out, Finding{Severity: sev, Code: CodeLimit, Offset: -1,
			Message: fmt.Sprintf("and %d more problems (%s, %s) not listed: only the first %d are reported",
				rest, countWords(restErrs, "error"), countWords(rest-restErrs, "warning"), MaxFindings)})
	}
	return out
}

func countWords(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// Verify runs the structural checks on a decoded profile: header sanity,
// table alignment, op-table entries, node tags, edges (in range, forward,
// acyclic), filter ids and arguments, terminal flags, and pool accounting
// (every item referenced, none overlapping, nothing after the last). voc
// may be nil; checks that need filter names are then skipped. At most
// MaxFindings findings are listed, and one more counts the rest. Time and
// memory are linear in the blob.
//
// A collection is verified as a whole: every profile's op table, the
// graph reachable from all of them, and the names. Verifying a Member
// view verifies its collection.
func Verify(p *Profile, voc Vocabulary) Findings { return verify(p, voc, true) }

// verify is Verify; with hint, a collection with errors also gets a
// finding naming the layouts it fits (see collectionHint).
func verify(p *Profile, voc Vocabulary, hint bool) Findings {
	f := p.Format()
	v := &verifier{p: p, f: &f, voc: voc, filters: hasFilterTable(voc), patterns: map[int]bool{}}
	v.header()
	v.layout()
	v.opTable()
	v.nodes()
	v.graph()
	v.pool()
	if hint && p.IsCollection() && v.nErrs > 0 {
		if h := collectionHint(p.data, p.Layout); h != "" {
			v.add(diag.Error, CodeLayout, 0, "profile bundle (type 0x8000) that does not verify in the %s layout; %s", p.Layout.Name, h)
		}
	}
	return v.result()
}

// DecodeAndVerify decodes data and verifies it; a decoding error becomes
// an error finding.
func DecodeAndVerify(data []byte, l Layout, voc Vocabulary) (*Profile, Findings) {
	p, err := Decode(data, l)
	if err != nil {
		off := -1
		msg := err.Error()
		if de, ok := err.(*DecodeError); ok {
			off, msg = de.Offset, de.Msg
		}
		return nil, Findings{{Severity: diag.Error, Code: CodeDecode, Offset: off, Message: msg}}
	}
	return p, Verify(p, voc)
}

// hasFilterTable reports whether voc names filters: a Vocabulary without
// a HasFilterTable method is taken to have one.
func hasFilterTable(voc Vocabulary) bool {
	if voc == nil {
		return false
	}
	if h, ok := voc.(interface{ HasFilterTable() bool }); ok {
		return h.HasFilterTable()
	}
	return true
}

// unverifiedMessage is the verifier's warning for a form of a layout that
// no hash-verified blob confirms.
func unverifiedMessage(p *Profile) string {
	what := "layout " + p.Layout.Name
	if p.IsCollection() {
		what += " (profile collections)"
	}
	return what + " is unverified: no hash-verified blob confirms it (taken from " + p.Format().Source + ")"
}

func (v *verifier) header() {
	p, l, f := v.p, v.p.Layout, v.f
	if !f.Verified {
		v.unverified = true
		v.add(diag.Warning, CodeHeader, -1, "%s", unverifiedMessage(p))
	}
	if l.OpCount > 0 && int(p.Header.OpCount) != l.OpCount {
		v.add(diag.Error, CodeHeader, f.OpCountAt,
			"op count %d, but %s libsandbox writes %d operations: the blob is corrupt or from another OS release (choose the layout with --target)",
			p.Header.OpCount, l.Release, l.OpCount)
	}
	if v.voc != nil {
		_, known := v.voc.OperationName(0) // the vocabulary has an op table for this release
		if _, ok := v.voc.OperationName(int(p.Header.OpCount) - 1); known && !ok && p.Header.OpCount > 0 {
			v.add(diag.Error, CodeHeader, f.OpCountAt, "op count %d is more than the %s vocabulary knows", p.Header.OpCount, l.Name)
		}
	}
	if f.PadAt >= 0 && p.Header.Pad != 0 {
		v.add(diag.Warning, CodeHeader, f.PadAt, "header pad byte is 0x%02x, libsandbox writes 0", p.Header.Pad)
	}
	if p.Header.VarCount > 0 || p.Header.StateCount > 0 || p.Header.RegexCount > 0 || p.Header.MessageCount > 0 {
		v.unverified = true
	}
	if p.IsCollection() {
		return
	}
	// Only macOS 14.4.1 shows which types go with a policy table.
	sev := diag.Error
	if !f.Verified {
		sev = diag.Warning
	}
	switch {
	case p.Header.Type == TypeMessageFilters && p.Header.PolicyCount == 0:
		v.add(sev, CodeHeader, 0, "profile type 0x4000, which libsandbox writes for profiles with message filters, but the policy table is empty: the blob is corrupt")
	case p.Header.Type == TypeSingle && p.Header.PolicyCount > 0:
		v.add(sev, CodeHeader, f.countAt(TablePolicies), "%d policies in a profile of type 0: libsandbox writes a policy table only with type 0x4000 (message filters)", p.Header.PolicyCount)
	}
}

func (v *verifier) layout() {
	p := v.p
	end := p.OpTableAt + 2*len(p.OpTable)
	if n := len(p.Records); n > 0 {
		r := &p.Records[n-1]
		end = r.OpTableAt + 2*len(r.OpTable)
	}
	for i := end; i < p.NodesAt; i++ {
		if p.data[i] != 0 {
			v.add(diag.Error, CodeLayout, i, "non-zero byte 0x%02x in the alignment padding before the node array", p.data[i])
			break
		}
	}
	for _, t := range p.Tables {
		switch t.Kind {
		case TableRegex, TableVars, TableStates, TableMessages:
		default:
			continue
		}
		for i, u := range t.Entries {
			if _, ok := p.ItemAt(int(u)); !ok {
				v.dangling = true
				v.add(diag.Error, CodeLayout, t.At+2*i, "%s table entry %d points to pool offset %d, where no pool item starts", t.Name, i, u)
			}
		}
	}
	v.names()
}

// names checks a collection's profile names: each a pool item holding a
// NUL-terminated string, no two alike.
//
// Each name item is checked once however many records share it (the cost
// stays linear in the blob).
func (v *verifier) names() {
	p := v.p
	first := map[string]int{}
	byUnit := map[uint16]int{} // name unit -> first record naming it
	for i := range p.Records {
		r := &p.Records[i]
		if !r.NameOK {
			v.add(diag.Error, CodeLayout, r.Offset, "profile %d: its name points to pool offset %d, where no pool item starts", i, r.NameUnit)
			continue
		}
		if j, seen := byUnit[r.NameUnit]; seen {
			if v.listed(diag.Warning) {
				v.add(diag.Warning, CodeLayout, r.Offset, "profile %d has the name %q of profile %d: selecting by name finds the first", i, cutText(r.Name), j)
			} else {
				v.count(diag.Warning)
			}
			continue
		}
		byUnit[r.NameUnit] = i
		it, _ := p.ItemAt(int(r.NameUnit))
		switch {
		case len(it.Data) == 0 || it.Data[len(it.Data)-1] != 0:
			v.add(diag.Warning, CodeLayout, it.Pos, "profile %d: its name %q does not end with a NUL byte", i, cutText(r.Name))
		case strings.IndexByte(r.Name, 0) >= 0 || r.Name == "":
			v.add(diag.Warning, CodeLayout, it.Pos, "profile %d: its name %q is empty or holds a NUL byte", i, cutText(r.Name))
		}
		if j, dup := first[r.Name]; dup {
			v.add(diag.Warning, CodeLayout, r.Offset, "profile %d has the name %q of profile %d: selecting by name finds the first", i, cutText(r.Name), j)
		} else {
			first[r.Name] = i
		}
	}
}

func (v *verifier) opTable() {
	p := v.p
	// Policy table entries are node indexes: the root of each
	// message-filter policy.
	for _, t := range p.Tables {
		if t.Kind != TablePolicies {
			continue
		}
		for i, e := range t.Entries {
			if int(e) >= len(p.Nodes) {
				v.add(diag.Error, CodeLayout, t.At+2*i, "policy %d points to node %d, but there are %d nodes", i, e, len(p.Nodes))
			}
		}
	}
	if p.IsCollection() {
		for k := range p.Records {
			r := &p.Records[k]
			for i, e := range r.OpTable {
				switch {
				case int(e) < len(p.Nodes):
				case v.listed(diag.Error):
					v.add(diag.Error, CodeOpTable, r.OpTableAt+2*i, "profile %s: operation %s (op %d) points to node %d, but there are %d nodes",
						v.recordName(r), OpName(v.voc, i), i, e, len(p.Nodes))
				default:
					v.count(diag.Error)
				}
			}
		}
		return
	}
	for i, e := range p.OpTable {
		if int(e) >= len(p.Nodes) {
			v.add(diag.Error, CodeOpTable, p.OpTableAt+2*i, "operation %s (op %d) points to node %d, but there are %d nodes",
				OpName(v.voc, i), i, e, len(p.Nodes))
		}
	}
}

// recordName names a record in messages: its quoted name, or its number.
func (v *verifier) recordName(r *Record) string {
	if r.NameOK {
		return strconv.Quote(cutText(r.Name))
	}
	return fmt.Sprintf("#%d", r.Index)
}

// roots are the entries of the graph: the policies and every op table.
func (p *Profile) roots() []uint16 {
	out := append([]uint16(nil), p.PolicyTable...)
	if p.IsCollection() {
		for i := range p.Records {
			out = append(out, p.Records[i].OpTable...)
		}
		return out
	}
	return append(out, p.OpTable...)
}

func (v *verifier) nodes() {
	p := v.p
	for i := range p.Nodes {
		n := &p.Nodes[i]
		switch n.Kind {
		case FilterNode:
			if v.filters {
				fi, ok := v.voc.Filter(int(n.Filter &^ RegexBit))
				if !ok {
					v.add(diag.Error, CodeNode, n.Offset+1, "node %d: unknown filter id %d for %s", i, n.Filter, p.Layout.Name)
				} else if n.Filter&RegexBit != 0 && fi.Kind == ArgInline {
					v.intSet(n, fi)
				} else if n.Filter&RegexBit != 0 {
					v.unverified = true
					v.add(diag.Warning, CodeNode, n.Offset+1, "node %d: regex form of %s (filter byte 0x%02x) is not verified on %s", i, fi.Name, n.Filter, p.Layout.Name)
					if int(n.Arg) >= len(p.RegexTable) {
						v.add(diag.Error, CodeArg, n.Offset+2, "node %d: regex index %d, but the regex table has %d entries", i, n.Arg, len(p.RegexTable))
					}
				} else {
					v.filterArg(n, fi)
				}
			}
		case TerminalNode:
			if n.Flags&^knownFlags != 0 {
				v.add(diag.Warning, CodeNode, n.Offset+1, "node %d: unknown terminal flag bits 0x%06x", i, n.Flags&^knownFlags)
			}
			if n.Flags&FlagInline != 0 && n.ModType == ModMessageFilter {
				v.messageFilter(n)
			} else if n.Flags&FlagInline != 0 {
				v.unverified = true
				v.add(diag.Warning, CodeNode, n.Offset+4, "node %d: terminal with an inline modifier (type %d, arg %d, value %d): the encoding is not verified",
					i, n.ModType, n.ModArgID, n.ModValue)
			} else if n.ModType != 0 || n.ModArgID != 0 || n.ModValue != 0 {
				v.add(diag.Warning, CodeNode, n.Offset+4, "node %d: terminal without the inline-modifier flag has non-zero bytes 4..7", i)
			}
		default:
			v.add(diag.Error, CodeNode, n.Offset, "node %d: tag 0x%02x is neither filter (0) nor decision (1)", i, n.Raw[0])
		}
	}
}

// intSet checks the set form of an integer filter: its argument is the
// pool unit of an integer-set item.
func (v *verifier) intSet(n *Node, fi FilterInfo) {
	i, ok := v.p.itemIndex(int(n.Arg))
	if !ok || v.p.ItemKind(int(n.Arg)) != ItemIntSet {
		v.dangling = true
		v.add(diag.Error, CodePool, n.Offset+2, "node %d: %s set argument points to pool offset %d, where no integer-set item starts", n.Index, fi.Name, n.Arg)
		return
	}
	if len(v.p.Items[i].IntSet()) == 0 {
		v.add(diag.Warning, CodeArg, v.p.Items[i].Pos, "node %d: %s set is empty, so the filter never matches", n.Index, fi.Name)
	}
}

// messageFilter checks an inline message-filter terminal: byte 5 names a
// message-filter operation (numbered after the op table) and bytes 6..7 a
// policy of the policy table.
func (v *verifier) messageFilter(n *Node) {
	p := v.p
	if n.Flags&FlagDeny != 0 {
		v.add(diag.Warning, CodeNode, n.Offset+1, "node %d: a message filter on a deny: libsandbox applies message filters to allows", n.Index)
	}
	if int(n.ModArgID) < int(p.Header.OpCount) {
		v.add(diag.Error, CodeNode, n.Offset+5, "node %d: message filter on operation %d, which is in the op table: message-filter operations are numbered after it (%d and up)",
			n.Index, n.ModArgID, p.Header.OpCount)
	} else if v.voc != nil {
		_, known := v.voc.OperationName(0) // the vocabulary has an op table for this release
		if _, ok := v.voc.OperationName(int(n.ModArgID)); known && !ok {
			v.add(diag.Error, CodeNode, n.Offset+5, "node %d: message filter on operation %d, which the %s vocabulary does not know", n.Index, n.ModArgID, p.Layout.Name)
		}
	}
	if int(n.ModValue) >= len(p.PolicyTable) {
		v.add(diag.Error, CodeNode, n.Offset+6, "node %d: message filter policy %d, but the policy table has %d entries", n.Index, n.ModValue, len(p.PolicyTable))
	}
}

func (v *verifier) filterArg(n *Node, fi FilterInfo) {
	p := v.p
	switch fi.Kind {
	case ArgPool:
		i, ok := p.itemIndex(int(n.Arg))
		if !ok {
			v.dangling = true
			// With regex or variable tables present the argument may be a
			// table index rather than a pool offset (not verified on any
			// release), so that case is only a warning.
			sev := diag.Error
			if v.unverified {
				sev = diag.Warning
			}
			v.add(sev, CodePool, n.Offset+2, "node %d: %s argument points to pool offset %d, where no pool item starts", n.Index, fi.Name, n.Arg)
			return
		}
		if fi.ArgKind == "network-address" {
			v.unverified = true
			return
		}
		if v.patterns[i] {
			return
		}
		v.patterns[i] = true
		if _, err := p.itemPattern(i); err != nil {
			v.add(diag.Warning, CodePattern, p.Items[i].Pos, "node %d: %s pattern: %v", n.Index, fi.Name, err)
		}
	case ArgInline:
		// Inline values are not range-checked: the enum tables are partial
		// and libsandbox accepts numbers (socket-protocol 256).
	default:
		v.unverified = true
	}
}

func (v *verifier) graph() {
	p := v.p
	nn := len(p.Nodes)
	valid := func(e uint16) bool { return int(e) < nn }
	for i := range p.Nodes {
		n := &p.Nodes[i]
		if n.Kind != FilterNode {
			continue
		}
		for k, e := range [2]uint16{n.Match, n.Unmatch} {
			name := [2]string{"match", "unmatch"}[k]
			switch {
			case !valid(e):
				v.add(diag.Error, CodeEdge, n.Offset+4+2*k, "node %d: %s edge to node %d, but there are %d nodes", i, name, e, nn)
			case int(e) <= i:
				v.add(diag.Warning, CodeEdge, n.Offset+4+2*k, "node %d: %s edge goes back to node %d (libsandbox numbers nodes so that edges go forward)", i, name, e)
			}
		}
	}
	// Cycle detection over valid edges (iterative DFS, colours).
	color := make([]uint8, nn)
	type frame struct{ node, next int }
	reported := false
	for root := 0; root < nn && !reported; root++ {
		if color[root] != 0 {
			continue
		}
		stack := []frame{{root, 0}}
		color[root] = 1
		for len(stack) > 0 && !reported {
			top := &stack[len(stack)-1]
			n := &p.Nodes[top.node]
			if n.Kind != FilterNode || top.next >= 2 {
				color[top.node] = 2
				stack = stack[:len(stack)-1]
				continue
			}
			e := n.Match
			if top.next == 1 {
				e = n.Unmatch
			}
			top.next++
			if !valid(e) {
				continue
			}
			switch color[e] {
			case 0:
				color[e] = 1
				stack = append(stack, frame{int(e), 0})
			case 1:
				v.add(diag.Error, CodeCycle, n.Offset, "node %d: the decision graph loops back to node %d, so evaluation would never reach a decision", top.node, e)
				reported = true
			}
		}
	}
	// Reachability from the op table.
	seen := make([]bool, nn)
	var work []int
	for _, e := range p.roots() {
		if valid(e) && !seen[e] {
			seen[e] = true
			work = append(work, int(e))
		}
	}
	for len(work) > 0 {
		i := work[len(work)-1]
		work = work[:len(work)-1]
		n := &p.Nodes[i]
		if n.Kind != FilterNode {
			continue
		}
		for _, e := range [2]uint16{n.Match, n.Unmatch} {
			if valid(e) && !seen[e] {
				seen[e] = true
				work = append(work, int(e))
			}
		}
	}
	var unreach []int
	for i, s := range seen {
		if !s {
			unreach = append(unreach, i)
		}
	}
	if len(unreach) > 0 {
		v.add(diag.Warning, CodeUnreachable, p.Nodes[unreach[0]].Offset, "%d node(s) not reachable from any operation or policy: %v", len(unreach), capList(unreach, 10))
	}
}

// pool checks the pool accounting. The profile ends where the last item a
// node or table refers to ends (or with the node array when nothing
// refers to the pool): libsandbox writes nothing after it, not even
// padding. Unreferenced items before that end are reported one by one;
// whatever follows it, items or not, is one trailing-data finding.
func (v *verifier) pool() {
	p := v.p
	// Which items are referenced?
	ref := make([]bool, len(p.Items))
	mark := func(u uint16) {
		if i, ok := p.itemIndex(int(u)); ok {
			ref[i] = true
		}
	}
	for _, t := range p.Tables {
		switch t.Kind {
		case TableRegex, TableVars, TableStates, TableMessages:
			for _, u := range t.Entries {
				mark(u)
			}
		}
	}
	for i := range p.Records {
		mark(p.Records[i].NameUnit)
	}
	for i := range p.Nodes {
		n := &p.Nodes[i]
		switch {
		case n.Kind == FilterNode && n.Filter&RegexBit != 0:
			if p.ItemKind(int(n.Arg)) == ItemIntSet {
				mark(n.Arg)
			}
		case n.Kind == TerminalNode && n.Flags&FlagInline != 0 && n.ModType == ModMessageFilter:
			// bytes 6..7 are a policy index, not a pool offset.
		case n.Kind == FilterNode && n.Filter&RegexBit == 0:
			if !v.filters {
				mark(n.Arg)
				continue
			}
			if fi, ok := v.voc.Filter(int(n.Filter)); !ok || fi.Kind != ArgInline {
				mark(n.Arg)
			}
		case n.Kind == TerminalNode && n.Flags&FlagInline != 0:
			mark(n.ModValue)
		}
	}
	end := p.PoolBase
	for i, r := range ref {
		if r {
			end = max(end, p.Items[i].End)
		}
	}
	sev := diag.Error
	if v.unverified || !v.filters {
		sev = diag.Warning
	}
	// A pool that stops parsing explains references that find no item;
	// otherwise the bytes that do not parse are trailing data like any.
	// (Reported before the items one by one, which the cap may cut.) An
	// unverified layout may hold items of kinds it does not describe
	// (network addresses, on iOS 13), so there it is a warning.
	reported := false
	if p.PoolError != "" && (v.dangling || p.PoolErrorAt < end) {
		psev, more := diag.Error, ""
		if !v.f.Verified {
			psev = diag.Warning
		}
		if p.PoolErrors > 1 {
			more = fmt.Sprintf(" (and %d more places where the walk skipped to the next item something names)", p.PoolErrors-1)
		}
		if !v.f.Verified {
			more += "; the layout is unverified and may not describe every item kind"
		}
		v.add(psev, CodePool, p.PoolErrorAt, "pool: %s%s", p.PoolError, more)
		// An error explains what follows it; a warning does not excuse
		// bytes after the profile.
		reported = psev >= diag.Error
	}
	if end < len(p.data) && !(reported && p.PoolErrorAt <= end) {
		v.trailing(end, sev)
	}
	for i, r := range ref {
		if it := &p.Items[i]; !r && it.Pos < end {
			v.add(sev, CodePool, it.Pos, "pool item at pool offset %d (%d bytes) is not referenced by any node or table: corrupt data inside the profile", it.Unit, len(it.Data))
		}
	}
}

// trailing reports the bytes after end, the end of the profile. If they
// are nothing but well-formed items they are as doubtful as an
// unreferenced item (sev); anything else is an error.
func (v *verifier) trailing(end int, sev diag.Severity) {
	p := v.p
	if p.PoolError != "" || len(p.Items) == 0 || p.Items[len(p.Items)-1].End != len(p.data) {
		sev = diag.Error
	}
	where := "where the last referenced pool item ends"
	if end == p.PoolBase {
		where = "the end of the node array; no node or table refers to the pool"
	}
	tail := p.data[end:]
	if allZero(tail) {
		v.add(sev, CodeTrailing, end, "%s after the end of the profile at offset %d (%s): libsandbox does not pad the end of a blob, so they were appended or the blob is corrupt",
			countWords(len(tail), "trailing zero byte"), end, where)
		return
	}
	v.add(sev, CodeTrailing, end, "%s after the end of the profile at offset %d (%s): libsandbox writes nothing after it, so they were appended or the blob is corrupt",
		countWords(len(tail), "trailing byte"), end, where)
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func capList(xs []int, n int) []int {
	if len(xs) > n {
		return xs[:n]
	}
	return xs
}
