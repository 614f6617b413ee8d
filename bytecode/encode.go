package bytecode

import (
	"encoding/binary"
	"fmt"
)

// The encoder primitives below write the macOS 14 single-profile format
// as libsandbox 14.4.1 does (bytecode-format.md, "Serialisation model");
// every byte they produce is checked against hash-verified blobs in the
// tests. Deciding what to encode (which rules reach which operation, in
// which order) is the native emitter's business (package compile).

// MaxLiteral is the longest string a one-run literal program holds: the
// run header 0x40|(n-1) has six bits for the length. How libsandbox
// encodes longer strings is not verified.
const MaxLiteral = 64

// EncodeLiteral returns the matching program of an exact string (a path
// literal, or a name such as a global-name): the run, then 0f 00 0f 0a.
func EncodeLiteral(s string) ([]byte, error) {
	run, err := literalRun(s)
	if err != nil {
		return nil, err
	}
	return append(run, patMatch, patAssertEOS, patMatch, patSuccess), nil
}

// EncodeSubpath returns the matching program of (subpath s): the run of
// s, then 0f 40 '/' 80 0a 00 0f 0a ("s itself, or s followed by / and
// anything").
func EncodeSubpath(s string) ([]byte, error) {
	run, err := literalRun(s)
	if err != nil {
		return nil, err
	}
	return append(run, patMatch, 0x40, '/', 0x80, patSuccess, patAssertEOS, patMatch, patSuccess), nil
}

func literalRun(s string) ([]byte, error) {
	switch {
	case len(s) == 0:
		return nil, fmt.Errorf("empty string: libsandbox's encoding of an empty pattern is not verified")
	case len(s) > MaxLiteral:
		return nil, fmt.Errorf("string of %d bytes: patterns longer than %d bytes use an encoding sbplc has not verified", len(s), MaxLiteral)
	}
	return append([]byte{0x40 | byte(len(s)-1)}, s...), nil
}

// ProgramItem returns a pool item holding program: a u16 length, then the
// bytes.
func ProgramItem(program []byte) []byte {
	out := make([]byte, 2, 2+len(program))
	binary.LittleEndian.PutUint16(out, uint16(len(program)))
	return append(out, program...)
}

// IntSetItem returns the pool item of an integer filter's set form: 01 00,
// the u16 byte count, then the bitmap (bit n of byte n/8 is value n),
// just long enough for the largest value.
func IntSetItem(values []int) ([]byte, error) {
	hi := -1
	for _, v := range values {
		if v < 0 || v > 0xffff {
			return nil, fmt.Errorf("set value %d is outside 0..65535", v)
		}
		hi = max(hi, v)
	}
	if hi < 0 {
		return nil, fmt.Errorf("empty integer set")
	}
	n := hi/8 + 1
	out := make([]byte, 4+n)
	out[0] = 1
	binary.LittleEndian.PutUint16(out[2:], uint16(n))
	for _, v := range values {
		out[4+v/8] |= 1 << (v % 8)
	}
	return out, nil
}

// FilterNodeBytes encodes a filter node: tag 0, the filter byte, the u16
// argument (inline value or pool unit), the u16 match and unmatch node
// indexes.
func FilterNodeBytes(filter byte, arg, match, unmatch uint16) [8]byte {
	var b [8]byte
	b[1] = filter
	binary.LittleEndian.PutUint16(b[2:], arg)
	binary.LittleEndian.PutUint16(b[4:], match)
	binary.LittleEndian.PutUint16(b[6:], unmatch)
	return b
}

// TerminalBytes encodes a decision node: tag 1, the 24-bit flags, then the
// inline modifier bytes (modifier id, argument id, u16 value), zero
// without FlagInline.
func TerminalBytes(flags uint32, mod, argID uint8, value uint16) [8]byte {
	b := [8]byte{1, byte(flags), byte(flags >> 8), byte(flags >> 16), mod, argID}
	binary.LittleEndian.PutUint16(b[6:], value)
	return b
}

// Image is a profile, or a collection of profiles, ready to be laid out:
// the tables, the nodes by index, the pool items in order (each starts at
// the next multiple of 8).
type Image struct {
	Type     uint16
	Regex    []uint16 // regex table: pool units of regex items
	Vars     []uint16 // pattern-variable table: pool units of the names
	Policies []uint16 // policy table: root node of each message-filter policy
	// PolicyExtra fills the block of unknown meaning some layouts put
	// after a non-empty policy table (zeros when nil).
	PolicyExtra []byte
	Ops         []uint16 // op table: root node of each operation (single profile)
	// Profiles are the members of a collection (Type TypeBundle): their
	// names become pool items after Pool.
	Profiles []ImageProfile
	Nodes    [][8]byte
	Pool     [][]byte
}

// ImageProfile is one member of a collection image.
type ImageProfile struct {
	Name   string
	Fields []uint16 // the record fields after the name (zero when missing)
	Ops    []uint16 // op table: root node of each operation
}

// PoolUnit returns the unit offset the next item appended to im.Pool
// gets.
func (im *Image) PoolUnit() int {
	off := 0
	for _, it := range im.Pool {
		off = align8(off + len(it))
	}
	return off / 8
}

// Bytes lays out im with layout l, in the form im.Type names: header,
// tables in the layout's order (with the policy block after a non-empty
// policy table), the op table or the collection's records, zero padding
// to a multiple of 8, the nodes, the pool items 8-aligned with zero gaps
// (a collection's names last), and nothing after the last item.
func (im *Image) Bytes(l Layout) ([]byte, error) {
	f := &l.Format
	ops := len(im.Ops)
	if im.Type == TypeBundle {
		if l.Collection == nil {
			return nil, fmt.Errorf("layout %s has no collection form", l.Name)
		}
		f = l.Collection
		if len(im.Profiles) == 0 || len(im.Profiles) > 0xffff {
			return nil, fmt.Errorf("%d profiles: a collection has 1 to 65535", len(im.Profiles))
		}
		ops = len(im.Profiles[0].Ops)
		for _, m := range im.Profiles {
			if len(m.Ops) != ops {
				return nil, fmt.Errorf("profile %q has %d operations, the first has %d", m.Name, len(m.Ops), ops)
			}
			if len(m.Fields) > f.RecordPrefix/2-1 {
				return nil, fmt.Errorf("profile %q has %d record fields, the %s layout %d", m.Name, len(m.Fields), l.Name, f.RecordPrefix/2-1)
			}
		}
	} else if len(im.Profiles) > 0 {
		return nil, fmt.Errorf("profiles in an image of type 0x%04x: a collection has type 0x8000", im.Type)
	}
	switch {
	case f.HeaderSize <= 0:
		return nil, fmt.Errorf("layout %s has no header description", l.Name)
	case len(im.Nodes) == 0 || len(im.Nodes) > 0xffff:
		return nil, fmt.Errorf("%d nodes: a profile has 1 to 65535", len(im.Nodes))
	case ops > 0xff:
		return nil, fmt.Errorf("%d operations: the header has one byte for the count", ops)
	case len(im.Policies) > 0 && f.PolicyExtra > 0 && len(im.PolicyExtra) > f.PolicyExtra:
		return nil, fmt.Errorf("a policy block of %d bytes, the %s layout has %d", len(im.PolicyExtra), l.Name, f.PolicyExtra)
	}
	tables := map[TableKind][]uint16{TableRegex: im.Regex, TableVars: im.Vars, TablePolicies: im.Policies}
	out := make([]byte, f.HeaderSize)
	put16 := func(at int, v int) {
		if at >= 0 {
			binary.LittleEndian.PutUint16(out[at:], uint16(v))
		}
	}
	put16(0, int(im.Type))
	put16(f.NodeCountAt, len(im.Nodes))
	out[f.OpCountAt] = byte(ops)
	if im.Type == TypeBundle {
		put16(f.ProfileCountAt, len(im.Profiles))
	}
	for k, t := range tables {
		if len(t) == 0 {
			continue
		}
		ft, ok := f.table(k)
		switch {
		case !ok:
			return nil, fmt.Errorf("the %s layout has no table for %d entries of kind %d", l.Name, len(t), k)
		case !ft.Wide && len(t) > 0xff, len(t) > 0xffff:
			return nil, fmt.Errorf("%d %s entries do not fit the header", len(t), ft.Name)
		case ft.Wide:
			put16(ft.CountAt, len(t))
		default:
			out[ft.CountAt] = byte(len(t))
		}
	}
	for _, ft := range f.Tables {
		for _, v := range tables[ft.Kind] {
			out = binary.LittleEndian.AppendUint16(out, v)
		}
		if ft.Kind == TablePolicies && len(im.Policies) > 0 && f.PolicyExtra > 0 {
			out = append(out, im.PolicyExtra...)
			out = append(out, make([]byte, f.PolicyExtra-len(im.PolicyExtra))...)
		}
	}
	pool := im.Pool
	if im.Type == TypeBundle {
		pool = append([][]byte(nil), im.Pool...)
		unit := im.PoolUnit()
		for _, m := range im.Profiles {
			name := ProgramItem(append([]byte(m.Name), 0))
			out = binary.LittleEndian.AppendUint16(out, uint16(unit))
			for k := 0; k < f.RecordPrefix/2-1; k++ {
				v := uint16(0)
				if k < len(m.Fields) {
					v = m.Fields[k]
				}
				out = binary.LittleEndian.AppendUint16(out, v)
			}
			for _, v := range m.Ops {
				out = binary.LittleEndian.AppendUint16(out, v)
			}
			pool = append(pool, name)
			unit += align8(len(name)) / 8
		}
	} else {
		for _, v := range im.Ops {
			out = binary.LittleEndian.AppendUint16(out, v)
		}
	}
	out = append(out, make([]byte, align8(len(out))-len(out))...)
	for _, n := range im.Nodes {
		out = append(out, n[:]...)
	}
	base := len(out)
	for i, it := range pool {
		if i > 0 {
			out = append(out, make([]byte, align8(len(out)-base)-(len(out)-base))...)
		}
		out = append(out, it...)
	}
	if (len(out)-base)/8 > maxPoolUnit+1 {
		return nil, fmt.Errorf("the pool is larger than a u16 unit offset can address")
	}
	return out, nil
}
