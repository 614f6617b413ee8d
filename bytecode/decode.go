package bytecode

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/sbplc/sbplc/internal/fsutil"
)

// MaxBlobSize bounds the input accepted by Decode: the limit on every
// user-named input. Real profiles are far smaller (Apple's largest system
// profiles compile to a few hundred KiB).
const MaxBlobSize = fsutil.MaxInputSize

// Profile types in the header's first field.
const (
	TypeSingle = 0x0000
	TypeBundle = 0x8000
	// TypeMessageFilters is the type of a single profile with message
	// filters (apply-message-filter): its policy table lists the root node
	// of each message-filter policy, and the rules that apply one end in an
	// inline message-filter terminal (macOS 14.4.1, six hash-verified
	// blobs; see testdata/groundtruth).
	TypeMessageFilters = 0x4000
)

// Header is the fixed header of a compiled profile or collection. Counts
// the form has no field for are 0.
type Header struct {
	Type         uint16 `json:"type"`
	NodeCount    uint16 `json:"node_count"`
	OpCount      uint8  `json:"op_count"`
	VarCount     uint8  `json:"var_count"`
	StateCount   uint8  `json:"state_count"`
	Pad          uint8  `json:"pad"`
	ProfileCount uint16 `json:"profile_count"`
	RegexCount   uint16 `json:"regex_count"`
	PolicyCount  uint16 `json:"policy_count"`
	// MessageCount is the message-table count (iOS 13).
	MessageCount uint16 `json:"message_count,omitempty"`
	// Unknown holds the values of the fields of unknown meaning
	// (Format.Unknown) and the counts of opaque tables.
	Unknown []FieldValue `json:"unknown_fields,omitempty"`
}

// FieldValue is a header field of unknown meaning and its value.
type FieldValue struct {
	Offset int    `json:"offset"`
	Name   string `json:"name,omitempty"` // the table it counts, if any
	Value  int    `json:"value"`
}

// NodeKind tells filter nodes from decision (terminal) nodes.
type NodeKind uint8

// Node kinds (the node's tag byte).
const (
	FilterNode   NodeKind = 0
	TerminalNode NodeKind = 1
)

// String is "filter", "terminal" or "tag(N)".
func (k NodeKind) String() string {
	switch k {
	case FilterNode:
		return "filter"
	case TerminalNode:
		return "terminal"
	}
	return fmt.Sprintf("tag(%d)", uint8(k))
}

// Terminal flag bits (bytes 1..3 of a terminal node).
const (
	FlagDeny             = 0x000001
	FlagGrant            = 0x000002
	FlagReport           = 0x000004
	FlagNoSandbox        = 0x000008
	FlagSIPOverride      = 0x000010
	FlagNoTimes          = 0x000020
	FlagAuthority        = 0x000040
	FlagTelemetry        = 0x000080
	FlagTelemetryBT      = 0x000100
	FlagNoApprovalPrompt = 0x000200
	FlagNoStorageClass   = 0x000800
	FlagInline           = 0x800000
)

// flagNames lists the known terminal flags in bit order.
var flagNames = []struct {
	Bit  uint32
	Name string
}{
	{FlagDeny, "deny"}, {FlagGrant, "grant"}, {FlagReport, "report"},
	{FlagNoSandbox, "no-sandbox"}, {FlagSIPOverride, "sip-override"},
	{FlagNoTimes, "no-times"}, {FlagAuthority, "authority"},
	{FlagTelemetry, "telemetry"}, {FlagTelemetryBT, "telemetry-backtrace"},
	{FlagNoApprovalPrompt, "no-approval-prompt"},
	{FlagNoStorageClass, "no-storage-class"}, {FlagInline, "inline-modifier"},
}

// knownFlags is the union of the documented terminal flag bits.
const knownFlags = FlagDeny | FlagGrant | FlagReport | FlagNoSandbox | FlagSIPOverride |
	FlagNoTimes | FlagAuthority | FlagTelemetry | FlagTelemetryBT | FlagNoApprovalPrompt |
	FlagNoStorageClass | FlagInline

// RegexBit is the flag in a filter byte that selects a filter's second
// argument form: on macOS 14 an integer filter with it (syscall-number,
// machtrap-number) takes a pool item holding a set of integers (a bitmap;
// hash-verified); for string filters iOS-era blobs use it for the regex
// form (not observed on macOS 14).
const RegexBit = 0x80

// Modifier ids of inline terminals (byte 4, with FlagInline).
const (
	// ModMessageFilter marks an allow that applies a message-filter
	// policy: byte 5 is the message-filter operation (op-table numbering
	// continued past the op table: 192 iokit-external-method) and bytes
	// 6..7 the policy index.
	ModMessageFilter = 0x13
)

// Node is one 8-byte node.
type Node struct {
	Index  int      `json:"index"`
	Offset int      `json:"offset"` // byte offset in the blob
	Kind   NodeKind `json:"-"`
	Raw    [8]byte  `json:"-"`

	// Filter nodes.
	Filter  uint8  `json:"filter,omitempty"` // filter byte (1-based id, maybe with RegexBit)
	Arg     uint16 `json:"arg,omitempty"`
	Match   uint16 `json:"match,omitempty"`
	Unmatch uint16 `json:"unmatch,omitempty"`

	// Terminal nodes.
	Flags    uint32 `json:"flags,omitempty"`      // 24-bit flags
	ModType  uint8  `json:"mod_type,omitempty"`   // byte 4 (meaningful with FlagInline)
	ModArgID uint8  `json:"mod_arg_id,omitempty"` // byte 5
	ModValue uint16 `json:"mod_value,omitempty"`  // bytes 6..7
}

// IsTerminal reports whether n is a decision node.
func (n *Node) IsTerminal() bool { return n.Kind == TerminalNode }

// Deny reports whether a terminal node denies.
func (n *Node) Deny() bool { return n.Flags&FlagDeny != 0 }

// Decision is "allow" or "deny" for a terminal node, "" otherwise.
func (n *Node) Decision() string {
	if n.Kind != TerminalNode {
		return ""
	}
	if n.Deny() {
		return "deny"
	}
	return "allow"
}

// FlagNames lists the names of the set flags other than deny, plus
// "0x..." for unknown bits.
func (n *Node) FlagNames() []string {
	var out []string
	rest := n.Flags
	for _, f := range flagNames {
		if rest&f.Bit == f.Bit {
			rest &^= f.Bit
			if f.Bit != FlagDeny {
				out = append(out, f.Name)
			}
		}
	}
	if rest != 0 {
		out = append(out, fmt.Sprintf("0x%06x", rest))
	}
	return out
}

// ItemKind tells the two pool item encodings apart.
type ItemKind uint8

// Item kinds.
const (
	// ItemProgram is a u16 length and that many bytes: a string or a
	// matching program.
	ItemProgram ItemKind = iota
	// ItemIntSet is the argument of an integer filter in its set form
	// (filter byte with RegexBit): the bytes 01 00, a u16 byte count and a
	// bitmap, least significant bit first (bit n set: n is in the set).
	ItemIntSet
)

// Item is one pool item, 8-byte aligned. (Its kind is
// Profile.ItemKind's: an item per pool unit is kept, so Item stays small.)
type Item struct {
	Unit int    `json:"unit"`   // offset from the pool base in 8-byte units
	Pos  int    `json:"offset"` // byte offset of the item's first byte in the blob
	Data []byte `json:"-"`      // the bytes after the length or header (aliases the input)
	End  int    `json:"end"`    // byte offset just past Data
}

// ItemKind returns the encoding of the item at pool unit u.
func (p *Profile) ItemKind(u int) ItemKind {
	if p.intSets[u] {
		return ItemIntSet
	}
	return ItemProgram
}

// IntSet returns the values of an ItemIntSet item, ascending.
func (it *Item) IntSet() []int {
	var out []int
	for i, b := range it.Data {
		for bit := 0; bit < 8; bit++ {
			if b&(1<<bit) != 0 {
				out = append(out, 8*i+bit)
			}
		}
	}
	return out
}

// Profile is a decoded compiled profile, or a decoded profile collection:
// then Records lists its profiles, each with its own op table into the
// shared nodes and pool, and Member returns one of them as a Profile.
type Profile struct {
	Layout Layout `json:"-"`
	Size   int    `json:"size"`
	Header Header `json:"header"`

	RegexTable  []uint16 `json:"regex_table"`
	VarTable    []uint16 `json:"var_table"`
	StateTable  []uint16 `json:"state_table"`
	PolicyTable []uint16 `json:"policy_table"`
	// OpTable is the profile's op table (a collection's own is empty).
	OpTable []uint16 `json:"op_table"`
	// Tables lists every table after the header in blob order, with
	// its offset (the named tables above alias into it).
	Tables []TableData `json:"-"`
	// PolicyExtra holds the bytes of unknown meaning after a non-empty
	// policy table (Format.PolicyExtra), at PolicyExtraAt.
	PolicyExtra   []byte `json:"-"`
	PolicyExtraAt int    `json:"-"`
	// Records lists the profiles of a collection, in blob order.
	Records []Record `json:"-"`

	OpTableAt int `json:"op_table_offset"`
	NodesAt   int `json:"nodes_offset"`
	PoolBase  int `json:"pool_base"`

	Nodes []Node `json:"nodes"`
	// Items is the pool read front to back, in offset order.
	Items []Item `json:"items"`
	// PoolError is set when part of the pool does not parse as items
	// (the structural verifier reports it; Items holds what did parse),
	// PoolErrorAt is the byte offset of the first problem and PoolErrors
	// counts the places where the walk had to skip to the next item a
	// node or table names.
	PoolError   string `json:"pool_error,omitempty"`
	PoolErrorAt int    `json:"pool_error_offset,omitempty"`
	PoolErrors  int    `json:"-"`

	data     []byte
	format   *Format
	member   int // 1 + the index in Records of the profile a Member view shows
	patterns *patternCache
	// intSets holds the pool units of integer-set items (ItemIntSet).
	intSets map[int]bool
}

// TableData is one decoded header table.
type TableData struct {
	Table
	At      int // byte offset of the first entry
	Entries []uint16
}

// Record is one profile of a collection: its name (a pool item holding a
// NUL-terminated string) and its op table.
type Record struct {
	Index  int
	Offset int // byte offset of the record in the blob
	// NameUnit is the pool unit of the name item; Name is its text without
	// the NUL ("" when no item starts there: NameOK is false).
	NameUnit uint16
	Name     string
	NameOK   bool
	// Fields are the u16 fields between the name and the op table, named
	// by Format.RecordFields.
	Fields    []uint16
	OpTableAt int
	OpTable   []uint16
}

// Format returns the form of the layout the profile was decoded with.
func (p *Profile) Format() Format {
	if p.format == nil {
		return p.Layout.Format
	}
	return *p.format
}

// IsCollection reports whether p is a profile collection (or a member of
// one, see Member).
func (p *Profile) IsCollection() bool { return p.Records != nil }

// LayoutVerified reports whether the form p was decoded with is verified.
func (p *Profile) LayoutVerified() bool { return p.Format().Verified }

// LayoutText describes the layout and form p was decoded with.
func (p *Profile) LayoutText() string {
	f := p.Format()
	return p.Layout.describe(&f, p.IsCollection())
}

// Member returns the collection's profile called name as a Profile of its
// own: the member's op table over the shared nodes and pool (the result
// shares p's memory). ok is false when p is not a collection or has no
// such profile; the first of several profiles with the name is taken.
func (p *Profile) Member(name string) (*Profile, bool) {
	for i := range p.Records {
		if p.Records[i].NameOK && p.Records[i].Name == name {
			return p.MemberAt(i), true
		}
	}
	return nil, false
}

// MemberAt is Member for the i-th record (nil when out of range).
func (p *Profile) MemberAt(i int) *Profile {
	if i < 0 || i >= len(p.Records) {
		return nil
	}
	m := *p
	r := &p.Records[i]
	m.OpTable, m.OpTableAt, m.member = r.OpTable, r.OpTableAt, i+1
	return &m
}

// MemberRecord returns the record a Member view shows.
func (p *Profile) MemberRecord() (*Record, bool) {
	if p.member == 0 {
		return nil, false
	}
	return &p.Records[p.member-1], true
}

// patternCache holds the decoded program of each pool item asked for.
// Nodes may share an item, and a walk that decoded it per node would cost
// nodes x item size. The items are those at pool offsets 0..65535, so the
// cache is bounded whatever the blob's size.
type patternCache struct {
	mu   sync.Mutex
	pats map[int]decodedPattern // by item index
}

type decodedPattern struct {
	pat *Pattern
	err error
}

// itemPattern decodes item i's program, once per profile. The pattern is
// shared: callers must not modify it.
func (p *Profile) itemPattern(i int) (*Pattern, error) {
	c := p.patterns
	if c == nil { // a Profile not made by Decode
		return DecodePattern(p.Items[i].Data)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if d, ok := c.pats[i]; ok {
		return d.pat, d.err
	}
	pat, err := DecodePattern(p.Items[i].Data)
	c.pats[i] = decodedPattern{pat, err}
	return pat, err
}

// Data returns the blob the profile was decoded from.
func (p *Profile) Data() []byte { return p.data }

// ItemAt returns the pool item that starts at unit offset u.
func (p *Profile) ItemAt(u int) (*Item, bool) {
	i, ok := p.itemIndex(u)
	if !ok {
		return nil, false
	}
	return &p.Items[i], true
}

// itemIndex finds the item at unit offset u (Items is sorted by Unit).
func (p *Profile) itemIndex(u int) (int, bool) {
	i := sort.Search(len(p.Items), func(i int) bool { return p.Items[i].Unit >= u })
	if i < len(p.Items) && p.Items[i].Unit == u {
		return i, true
	}
	return 0, false
}

// Node returns node i, or nil when i is out of range.
func (p *Profile) Node(i int) *Node {
	if i < 0 || i >= len(p.Nodes) {
		return nil
	}
	return &p.Nodes[i]
}

// DecodeError is a structural problem that prevents decoding.
type DecodeError struct {
	Offset int // byte offset of the problem, -1 when not located
	Msg    string
}

// Error renders "offset N (0xN): message".
func (e *DecodeError) Error() string {
	if e.Offset >= 0 {
		return fmt.Sprintf("offset %d (0x%x): %s", e.Offset, e.Offset, e.Msg)
	}
	return e.Msg
}

func errAt(off int, format string, args ...any) error {
	return &DecodeError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

func align8(n int) int { return (n + 7) &^ 7 }

// Decode parses a compiled profile or profile collection with layout l:
// the type word picks the form (0 and 0x4000 single, 0x8000 collection).
// The returned profile aliases data. Decode checks everything needed to
// read the blob safely (sizes, table and node bounds); graph-level
// properties (edges, reachability, pool references) are left to Verify so
// that they can be reported all at once.
func Decode(data []byte, l Layout) (*Profile, error) {
	if len(data) > MaxBlobSize {
		return nil, errAt(-1, "blob is %d bytes, more than the %d-byte limit", len(data), MaxBlobSize)
	}
	if len(data) < 2 {
		return nil, errAt(len(data), "truncated header: %d bytes", len(data))
	}
	f, err := formFor(data, l)
	if err != nil {
		return nil, err
	}
	p, err := decodeForm(data, l, f)
	if err != nil && f == l.Collection {
		// Name the format, and the layouts it fits: a collection from
		// another release is the likely cause.
		de := err.(*DecodeError)
		de.Msg = "profile bundle (type 0x8000): " + de.Msg
		if hint := collectionHint(data, l); hint != "" {
			de.Msg += "; " + hint
		}
	}
	return p, err
}

// formFor picks the form of l that data's type word names.
func formFor(data []byte, l Layout) (*Format, error) {
	switch typ := binary.LittleEndian.Uint16(data); typ {
	case TypeBundle:
		if l.Collection == nil {
			return nil, errAt(0, "%s", foreign(data, l))
		}
		return l.Collection, nil
	case TypeSingle, TypeMessageFilters:
		if l.HeaderSize <= 0 {
			return nil, errAt(0, "a single compiled profile (type 0x%04x), but the %s layout describes profile collections only", typ, l.Name)
		}
		return &l.Format, nil
	}
	return nil, errAt(0, "%s", foreign(data, l))
}

// decodeForm decodes data in form f of l.
func decodeForm(data []byte, l Layout, f *Format) (*Profile, error) {
	if f.HeaderSize <= 0 {
		return nil, errAt(-1, "layout %q has no header description", l.Name)
	}
	if len(data) < f.HeaderSize {
		return nil, errAt(len(data), "truncated header: %d bytes, the %s header is %d", len(data), l.Name, f.HeaderSize)
	}
	u8 := func(at int) uint8 {
		if at < 0 {
			return 0
		}
		return data[at]
	}
	u16 := func(at int) uint16 {
		if at < 0 {
			return 0
		}
		return binary.LittleEndian.Uint16(data[at:])
	}
	collection := binary.LittleEndian.Uint16(data) == TypeBundle
	p := &Profile{Layout: l, Size: len(data), data: data, format: f, patterns: &patternCache{pats: map[int]decodedPattern{}}}
	h := &p.Header
	h.Type = u16(0)
	h.NodeCount = u16(f.NodeCountAt)
	h.OpCount = u8(f.OpCountAt)
	h.Pad = u8(f.PadAt)
	h.ProfileCount = u16(f.ProfileCountAt)
	counts := make([]int, len(f.Tables))
	for i, t := range f.Tables {
		n := int(u8(t.CountAt))
		if t.Wide {
			n = int(u16(t.CountAt))
		}
		counts[i] = n
		switch t.Kind {
		case TableRegex:
			h.RegexCount = uint16(n)
		case TableVars:
			h.VarCount = uint8(n)
		case TableStates:
			h.StateCount = uint8(n)
		case TablePolicies:
			h.PolicyCount = uint16(n)
		case TableMessages:
			h.MessageCount = uint16(n)
		case TableOpaque:
			h.Unknown = append(h.Unknown, FieldValue{Offset: t.CountAt, Name: t.Name + " count", Value: n})
		}
	}
	for _, u := range f.Unknown {
		v := int(u8(u.At))
		if u.Size == 2 {
			v = int(u16(u.At))
		}
		h.Unknown = append(h.Unknown, FieldValue{Offset: u.At, Value: v})
	}

	switch {
	case collection && h.ProfileCount == 0:
		return nil, errAt(f.ProfileCountAt, "its header counts 0 profiles in the %s layout", l.Name)
	case !collection && h.ProfileCount != 0:
		return nil, errAt(f.ProfileCountAt, "profile count %d in a single profile (want 0)", h.ProfileCount)
	}

	// Tables of u16 entries after the header.
	off := f.HeaderSize
	table := func(name string, n int) ([]uint16, error) {
		end := off + 2*n
		if end > len(data) {
			return nil, errAt(off, "truncated %s table: %d entries need bytes %d..%d, blob is %d bytes", name, n, off, end, len(data))
		}
		t := make([]uint16, n)
		for i := range t {
			t[i] = binary.LittleEndian.Uint16(data[off+2*i:])
		}
		off = end
		return t, nil
	}
	p.Tables = make([]TableData, len(f.Tables))
	for i, t := range f.Tables {
		td := &p.Tables[i]
		td.Table, td.At = t, off
		entries, err := table(t.Name, counts[i])
		if err != nil {
			return nil, err
		}
		td.Entries = entries
		switch t.Kind {
		case TableRegex:
			p.RegexTable = entries
		case TableVars:
			p.VarTable = entries
		case TableStates:
			p.StateTable = entries
		case TablePolicies:
			p.PolicyTable = entries
			if len(entries) > 0 && f.PolicyExtra > 0 {
				if off+f.PolicyExtra > len(data) {
					return nil, errAt(off, "truncated: the %d bytes that follow the policy table in the %s layout end past the blob (%d bytes)", f.PolicyExtra, l.Name, len(data))
				}
				p.PolicyExtra, p.PolicyExtraAt = data[off:off+f.PolicyExtra], off
				off += f.PolicyExtra
			}
		}
	}
	if collection {
		if err := p.readRecords(&off); err != nil {
			return nil, err
		}
	} else {
		p.OpTableAt = off
		var err error
		if p.OpTable, err = table("operation", int(h.OpCount)); err != nil {
			return nil, err
		}
	}
	p.NodesAt = align8(off)
	if p.NodesAt > len(data) {
		return nil, errAt(off, "truncated before the node array (blob ends inside the alignment padding)")
	}
	if h.NodeCount == 0 {
		return nil, errAt(f.NodeCountAt, "node count is 0: a compiled profile has at least one decision node")
	}
	end := p.NodesAt + 8*int(h.NodeCount)
	if end > len(data) {
		return nil, errAt(p.NodesAt, "truncated node array: %d nodes need bytes %d..%d, blob is %d bytes (node count too large or blob cut short)",
			h.NodeCount, p.NodesAt, end, len(data))
	}
	if collection {
		// A collection read with another release's layout lands the node
		// array in the middle of something else: say so here rather than
		// with a finding per node.
		for _, at := range []int{p.NodesAt, end - 8} {
			if data[at] > 1 {
				return nil, errAt(at, "the %s collection layout puts a node at offset %d, but its tag is 0x%02x", l.Name, at, data[at])
			}
		}
	}
	p.Nodes = make([]Node, h.NodeCount)
	for i := range p.Nodes {
		at := p.NodesAt + 8*i
		n := &p.Nodes[i]
		n.Index, n.Offset = i, at
		copy(n.Raw[:], data[at:at+8])
		n.Kind = NodeKind(data[at])
		switch n.Kind {
		case FilterNode:
			n.Filter = data[at+1]
			n.Arg = binary.LittleEndian.Uint16(data[at+2:])
			n.Match = binary.LittleEndian.Uint16(data[at+4:])
			n.Unmatch = binary.LittleEndian.Uint16(data[at+6:])
		case TerminalNode:
			n.Flags = uint32(data[at+1]) | uint32(data[at+2])<<8 | uint32(data[at+3])<<16
			n.ModType = data[at+4]
			n.ModArgID = data[at+5]
			n.ModValue = binary.LittleEndian.Uint16(data[at+6:])
		}
	}
	p.PoolBase = end
	p.intSets = intSetUnits(p)
	p.readPool(func() []int { return poolRefs(p) })
	p.nameRecords()
	return p, nil
}

// readRecords reads a collection's profile records at *off: the u16 name
// unit, the prefix fields, then op_count op-table entries each.
func (p *Profile) readRecords(off *int) error {
	f, data := p.format, p.data
	ops := int(p.Header.OpCount)
	size := f.RecordPrefix + 2*ops
	n := int(p.Header.ProfileCount)
	if end := *off + n*size; end > len(data) {
		return errAt(*off, "truncated profile records: %d profiles of %d bytes need bytes %d..%d, blob is %d bytes",
			n, size, *off, end, len(data))
	}
	p.Records = make([]Record, n)
	// One backing array for every record's fields and op table: the blob
	// bounds it (two bytes of input per entry).
	words := make([]uint16, n*(size/2))
	for i := range p.Records {
		at := *off + i*size
		w := words[i*(size/2) : (i+1)*(size/2)]
		for k := range w {
			w[k] = binary.LittleEndian.Uint16(data[at+2*k:])
		}
		r := &p.Records[i]
		r.Index, r.Offset, r.NameUnit = i, at, w[0]
		r.Fields = w[1 : f.RecordPrefix/2]
		r.OpTableAt, r.OpTable = at+f.RecordPrefix, w[f.RecordPrefix/2:]
	}
	*off += n * size
	return nil
}

// nameRecords reads each record's name from the pool. Records may share a
// name item, which is then converted once.
func (p *Profile) nameRecords() {
	names := map[int]string{}
	for i := range p.Records {
		r := &p.Records[i]
		k, ok := p.itemIndex(int(r.NameUnit))
		if !ok || p.ItemKind(int(r.NameUnit)) != ItemProgram {
			continue
		}
		s, seen := names[k]
		if !seen {
			b := p.Items[k].Data
			if len(b) > 0 && b[len(b)-1] == 0 {
				b = b[:len(b)-1]
			}
			s = string(b)
			names[k] = s
		}
		r.Name, r.NameOK = s, true
	}
}

// collectionHint names the layouts whose collection form fits data (it
// decodes and verifies without errors), when l's does not: "it fits the
// ios13 layout (218 profiles of 145 operations, 50559 nodes): use
// --target ios13", or "" when none does. Layouts that share a form are
// named together. (Each try is linear in the blob, and only failures
// try.)
func collectionHint(data []byte, l Layout) string {
	var names, stats []string
	for _, o := range Layouts() {
		if o.Name == l.Name || o.Collection == nil {
			continue
		}
		p, err := decodeForm(data, o, o.Collection)
		if err != nil || verify(p, VocabularyFor(o), false).HasErrors() {
			continue
		}
		names = append(names, o.Name)
		stats = append(stats, fmt.Sprintf("%s of %d operations, %s", plural(len(p.Records), "profile"), p.Header.OpCount, plural(len(p.Nodes), "node")))
	}
	if len(names) == 0 {
		return ""
	}
	var parts []string
	for i := 0; i < len(names); {
		j := i + 1
		for j < len(names) && stats[j] == stats[i] {
			j++
		}
		word := "layout"
		if j-i > 1 {
			word = "layouts"
		}
		parts = append(parts, fmt.Sprintf("the %s %s (%s)", strings.Join(names[i:j], " and "), word, stats[i]))
		i = j
	}
	return "it fits " + strings.Join(parts, ", ") + ": use --target " + strings.Join(names, " or ")
}

// intSetUnits returns the pool units that integer filters in their set
// form (RegexBit) refer to: those items are bitmaps, not length-prefixed
// programs. The filter table of the layout's release says which filters
// are integer-typed.
func intSetUnits(p *Profile) map[int]bool {
	var units map[int]bool
	var voc Vocabulary
	for i := range p.Nodes {
		n := &p.Nodes[i]
		if n.Kind != FilterNode || n.Filter&RegexBit == 0 {
			continue
		}
		if voc == nil {
			voc = VocabularyFor(p.Layout)
		}
		if fi, ok := voc.Filter(int(n.Filter &^ RegexBit)); ok && fi.Kind == ArgInline {
			if units == nil {
				units = map[int]bool{}
			}
			units[int(n.Arg)] = true
		}
	}
	return units
}

// maxPoolUnit is the last pool offset a u16 reference can name: no item
// can start after it.
const maxPoolUnit = 0xffff

// poolRefs returns, ascending, the pool units that something in the blob
// may name: the entries of the tables of pool items, the collection's
// profile names, integer-set arguments, the arguments of filters that are
// not known to be inline values (with no filter table, every argument but
// a regex index), and the values of inline modifiers other than message
// filters.
func poolRefs(p *Profile) []int {
	seen := map[int]bool{}
	var out []int
	add := func(u uint16) {
		if !seen[int(u)] {
			seen[int(u)] = true
			out = append(out, int(u))
		}
	}
	for _, t := range p.Tables {
		switch t.Kind {
		case TableRegex, TableVars, TableStates, TableMessages:
			for _, u := range t.Entries {
				add(u)
			}
		}
	}
	for i := range p.Records {
		add(p.Records[i].NameUnit)
	}
	var voc Vocabulary
	for i := range p.Nodes {
		n := &p.Nodes[i]
		switch {
		case n.Kind == FilterNode && p.intSets[int(n.Arg)] && n.Filter&RegexBit != 0:
			add(n.Arg)
		case n.Kind == FilterNode && n.Filter&RegexBit == 0:
			if voc == nil {
				voc = VocabularyFor(p.Layout)
			}
			if fi, ok := voc.Filter(int(n.Filter)); !ok || fi.Kind != ArgInline {
				add(n.Arg)
			}
		case n.Kind == TerminalNode && n.Flags&FlagInline != 0 && n.ModType != ModMessageFilter:
			add(n.ModValue)
		}
	}
	sort.Ints(out)
	return out
}

// readPool walks the pool as a sequence of 8-byte aligned items. The gap
// after an item is padding only when another item follows: libsandbox
// does not pad the end of a blob, so bytes after the last whole item are
// left for Verify to report as trailing data. So are the bytes past pool
// offset maxPoolUnit, which nothing can refer to; this also bounds Items
// (65,536 entries) whatever the size of the blob. Where the bytes do not
// parse as an item (an item kind the layout does not describe, or
// corruption), the walk notes the problem and goes on at the next unit in
// refs, the units something in the blob names (computed on the first
// such problem: a sound pool never needs them).
func (p *Profile) readPool(units func() []int) {
	data := p.data
	var refs []int
	// An item takes at least 8 bytes of the blob (the last one at least 2).
	p.Items = make([]Item, 0, min((len(data)-p.PoolBase)/8+1, maxPoolUnit+1))
	at := p.PoolBase
	fail := func(msg string, errAt int) bool {
		if p.PoolErrors == 0 {
			p.PoolError, p.PoolErrorAt = msg, errAt
		}
		p.PoolErrors++
		if refs == nil {
			refs = units()
		}
		unit := (at - p.PoolBase) / 8
		i := sort.SearchInts(refs, unit+1)
		if i == len(refs) || p.PoolBase+8*refs[i] >= len(data) {
			return false
		}
		at = p.PoolBase + 8*refs[i]
		return true
	}
	for at < len(data) && (at-p.PoolBase)/8 <= maxPoolUnit {
		unit := (at - p.PoolBase) / 8
		hdr := 2
		if p.intSets[unit] {
			// 01 00, then the u16 byte count of the bitmap.
			hdr = 4
			if at+4 > len(data) {
				if !fail("truncated integer-set item (its 4-byte header does not fit)", at) {
					return
				}
				continue
			}
			if data[at] != 1 || data[at+1] != 0 {
				if !fail(fmt.Sprintf("integer-set item starts with %02x %02x, libsandbox writes 01 00", data[at], data[at+1]), at) {
					return
				}
				continue
			}
		}
		if at+hdr > len(data) {
			if !fail("truncated pool item (1 byte left where a 2-byte length is expected)", at) {
				return
			}
			continue
		}
		n := int(binary.LittleEndian.Uint16(data[at+hdr-2:]))
		end := at + hdr + n
		if end > len(data) {
			if !fail(fmt.Sprintf("pool item of %d bytes runs past the end of the blob (%d bytes)", n, len(data)), at) {
				return
			}
			continue
		}
		p.Items = append(p.Items, Item{Unit: unit, Pos: at, Data: data[at+hdr : end], End: end})
		next := align8(end)
		if next >= len(data) {
			return // the blob ends here, or trailing bytes follow
		}
		if !allZero(data[end:next]) {
			i := end
			for data[i] == 0 {
				i++
			}
			if !fail(fmt.Sprintf("non-zero byte 0x%02x in the padding after a pool item", data[i]), i) {
				return
			}
			continue
		}
		at = next
	}
}
