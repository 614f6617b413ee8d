package bytecode

import (
	"encoding/binary"
	"fmt"
)

// foreign explains why data, whose type field is not a single profile's,
// is rejected, naming the format its header shows where the header tells
// formats apart: a profile bundle (in the iOS 13 layout or another), a
// profile with message filters, a Snow Leopard-era profile, SBPL source.
func foreign(data []byte, l Layout) string {
	typ := binary.LittleEndian.Uint16(data)
	switch {
	case typ == TypeBundle:
		if s, ok := ios13Bundle(data); ok {
			return "profile bundle (type 0x8000) in the iOS 13 layout: " + s +
				"; sbplc decodes single compiled profiles (what sandbox_compile_* returns), not platform profile collections"
		}
		return "profile bundle (type 0x8000): a collection of named profiles, not a single compiled profile; " +
			"sbplc decodes single compiled profiles only (what sandbox_compile_* returns)"
	case typ == TypeMessageFilters:
		return "profile type 0x4000, which libsandbox writes for profiles with message filters ((version 2) with apply-message-filter): " +
			"sbplc cannot decode those yet"
	case isSource(data):
		return "SBPL source text, not a compiled profile: compile it first (sbplc compile -o profile.sb.bin profile.sb)"
	}
	if s, ok := snowLeopard(data); ok {
		return "this looks like a Mac OS X 10.6 Snow Leopard (or iOS 5 and earlier) compiled profile: " + s +
			"; sbplc decodes macOS 14 and later single profiles only"
	}
	return fmt.Sprintf("unknown profile type 0x%04x (a single compiled profile has type 0); is this a %s blob?", typ, l.Release)
}

// isSource reports whether data starts like SBPL text: optional white
// space, then "(" or ";", and only printable ASCII, tabs and newlines in
// the first bytes.
func isSource(data []byte) bool {
	i := 0
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	if i == len(data) || (data[i] != '(' && data[i] != ';') {
		return false
	}
	for _, c := range data[:min(len(data), 256)] {
		if (c < 0x20 || c > 0x7e) && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

// ios13Bundle checks data against the iOS 13 bundle layout (12-byte
// header; regex, variable and message tables; one record of 4 + 2*ops
// bytes per profile; nodes at the next multiple of 8; the pool): the
// layout fits only if the node array and its first and last node tags
// land where the counts say.
func ios13Bundle(data []byte) (string, bool) {
	if len(data) < 12 {
		return "", false
	}
	nodes := int(binary.LittleEndian.Uint16(data[2:]))
	ops := int(data[4])
	profiles := int(binary.LittleEndian.Uint16(data[6:]))
	regex := int(binary.LittleEndian.Uint16(data[8:]))
	vars, msgs := int(data[10]), int(data[11])
	if nodes == 0 || ops == 0 || profiles == 0 {
		return "", false
	}
	nodesAt := align8(12 + 2*(regex+vars+msgs) + profiles*(4+2*ops))
	base := nodesAt + 8*nodes
	if base > len(data) || data[nodesAt] > 1 || data[base-8] > 1 {
		return "", false
	}
	return fmt.Sprintf("%d profiles of %d operations, %d nodes", profiles, ops, nodes), true
}

// snowLeopard checks data against the Mac OS X 10.6 layout: u16 regex
// table offset (8-byte words), u8 regex count, u8 zero; then u16 node
// offsets (words), one per operation, up to the zero padding before the
// first node; regex table entries after the nodes.
func snowLeopard(data []byte) (string, bool) {
	if len(data) < 16 || data[3] != 0 {
		return "", false
	}
	reAt, reCount := 8*int(binary.LittleEndian.Uint16(data)), int(data[2])
	first := len(data) // byte offset of the lowest node an operation names
	at, ops := 4, 0
	for ; at+2 <= len(data) && at < first; at += 2 {
		e := 8 * int(binary.LittleEndian.Uint16(data[at:]))
		if e == 0 {
			break
		}
		if e+8 > len(data) || data[e] > 1 {
			return "", false
		}
		first = min(first, e)
		ops++
	}
	if ops == 0 || first < at || first-at >= 8 {
		return "", false
	}
	for _, c := range data[at:first] {
		if c != 0 {
			return "", false
		}
	}
	if reAt < first || reAt+2*reCount > len(data) {
		return "", false
	}
	return fmt.Sprintf("%d operations, regex table at offset %d", ops, reAt), true
}
