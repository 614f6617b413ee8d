package bytecode

import (
	"encoding/binary"
	"fmt"
	"sort"
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

// Header is the fixed header of a single compiled profile.
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

// Profile is a decoded single compiled profile.
type Profile struct {
	Layout Layout `json:"-"`
	Size   int    `json:"size"`
	Header Header `json:"header"`

	RegexTable  []uint16 `json:"regex_table"`
	VarTable    []uint16 `json:"var_table"`
	StateTable  []uint16 `json:"state_table"`
	PolicyTable []uint16 `json:"policy_table"`
	OpTable     []uint16 `json:"op_table"`

	OpTableAt int `json:"op_table_offset"`
	NodesAt   int `json:"nodes_offset"`
	PoolBase  int `json:"pool_base"`

	Nodes []Node `json:"nodes"`
	// Items is the pool read front to back, in offset order.
	Items []Item `json:"items"`
	// PoolError is set when the pool does not parse as a sequence of items
	// (the structural verifier reports it; Items holds what did parse), and
	// PoolErrorAt is the byte offset of the problem.
	PoolError   string `json:"pool_error,omitempty"`
	PoolErrorAt int    `json:"pool_error_offset,omitempty"`

	data     []byte
	patterns *patternCache
	// intSets holds the pool units of integer-set items (ItemIntSet).
	intSets map[int]bool
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

// Decode parses a single compiled profile with layout l. The returned
// profile aliases data. Decode checks everything needed to read the blob
// safely (sizes, table and node bounds); graph-level properties (edges,
// reachability, pool references) are left to Verify so that they can be
// reported all at once.
func Decode(data []byte, l Layout) (*Profile, error) {
	if l.HeaderSize <= 0 {
		return nil, errAt(-1, "layout %q has no header description", l.Name)
	}
	if len(data) > MaxBlobSize {
		return nil, errAt(-1, "blob is %d bytes, more than the %d-byte limit", len(data), MaxBlobSize)
	}
	if len(data) < l.HeaderSize {
		return nil, errAt(len(data), "truncated header: %d bytes, the %s header is %d", len(data), l.Name, l.HeaderSize)
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
	p := &Profile{Layout: l, Size: len(data), data: data, patterns: &patternCache{pats: map[int]decodedPattern{}}}
	h := &p.Header
	h.Type = u16(0)
	h.NodeCount = u16(l.NodeCountAt)
	h.OpCount = u8(l.OpCountAt)
	h.VarCount = u8(l.VarCountAt)
	h.StateCount = u8(l.StateCountAt)
	h.Pad = u8(l.PadAt)
	h.ProfileCount = u16(l.ProfileCountAt)
	h.RegexCount = u16(l.RegexCountAt)
	h.PolicyCount = u16(l.PolicyCountAt)

	if h.Type != TypeSingle && h.Type != TypeMessageFilters {
		return nil, errAt(0, "%s", foreign(data, l))
	}
	if h.ProfileCount != 0 {
		return nil, errAt(l.ProfileCountAt, "profile count %d in a single profile (want 0)", h.ProfileCount)
	}

	// Tables of u16 entries after the header.
	off := l.HeaderSize
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
	var err error
	if p.RegexTable, err = table("regex", int(h.RegexCount)); err != nil {
		return nil, err
	}
	if p.VarTable, err = table("pattern-variable", int(h.VarCount)); err != nil {
		return nil, err
	}
	if p.StateTable, err = table("state", int(h.StateCount)); err != nil {
		return nil, err
	}
	if p.PolicyTable, err = table("policy", int(h.PolicyCount)); err != nil {
		return nil, err
	}
	p.OpTableAt = off
	if p.OpTable, err = table("operation", int(h.OpCount)); err != nil {
		return nil, err
	}
	p.NodesAt = align8(off)
	if p.NodesAt > len(data) {
		return nil, errAt(off, "truncated before the node array (blob ends inside the alignment padding)")
	}
	if h.NodeCount == 0 {
		return nil, errAt(l.NodeCountAt, "node count is 0: a compiled profile has at least one decision node")
	}
	end := p.NodesAt + 8*int(h.NodeCount)
	if end > len(data) {
		return nil, errAt(p.NodesAt, "truncated node array: %d nodes need bytes %d..%d, blob is %d bytes (node count too large or blob cut short)",
			h.NodeCount, p.NodesAt, end, len(data))
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
	p.readPool()
	return p, nil
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

// readPool walks the pool as a sequence of 8-byte aligned items. The gap
// after an item is padding only when another item follows: libsandbox
// does not pad the end of a blob, so bytes after the last whole item are
// left for Verify to report as trailing data. So are the bytes past pool
// offset maxPoolUnit, which nothing can refer to; this also bounds Items
// (65,536 entries) whatever the size of the blob.
func (p *Profile) readPool() {
	data := p.data
	// An item takes at least 8 bytes of the blob (the last one at least 2).
	p.Items = make([]Item, 0, min((len(data)-p.PoolBase)/8+1, maxPoolUnit+1))
	at := p.PoolBase
	for at < len(data) && (at-p.PoolBase)/8 <= maxPoolUnit {
		unit := (at - p.PoolBase) / 8
		hdr := 2
		if p.intSets[unit] {
			// 01 00, then the u16 byte count of the bitmap.
			hdr = 4
			if at+4 > len(data) {
				p.PoolError, p.PoolErrorAt = "truncated integer-set item (its 4-byte header does not fit)", at
				return
			}
			if data[at] != 1 || data[at+1] != 0 {
				p.PoolError, p.PoolErrorAt = fmt.Sprintf("integer-set item starts with %02x %02x, libsandbox writes 01 00", data[at], data[at+1]), at
				return
			}
		}
		if at+hdr > len(data) {
			p.PoolError, p.PoolErrorAt = "truncated pool item (1 byte left where a 2-byte length is expected)", at
			return
		}
		n := int(binary.LittleEndian.Uint16(data[at+hdr-2:]))
		end := at + hdr + n
		if end > len(data) {
			p.PoolError, p.PoolErrorAt = fmt.Sprintf("pool item of %d bytes runs past the end of the blob (%d bytes)", n, len(data)), at
			return
		}
		p.Items = append(p.Items, Item{Unit: unit, Pos: at, Data: data[at+hdr : end], End: end})
		next := align8(end)
		if next >= len(data) {
			return // the blob ends here, or trailing bytes follow
		}
		for i := end; i < next; i++ {
			if data[i] != 0 {
				p.PoolError, p.PoolErrorAt = fmt.Sprintf("non-zero byte 0x%02x in the padding after a pool item", data[i]), i
				return
			}
		}
		at = next
	}
}
