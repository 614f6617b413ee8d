package bytecode

import (
	"encoding/binary"
	"fmt"
)

// foreign explains why data, whose type field is not one l decodes, is
// rejected, naming the format its header shows where the header tells
// formats apart: a profile bundle (and the layouts it fits), a profile
// with message filters, a Snow Leopard-era profile, SBPL source.
func foreign(data []byte, l Layout) string {
	typ := binary.LittleEndian.Uint16(data)
	switch {
	case typ == TypeBundle:
		s := "profile bundle (type 0x8000): a collection of named profiles, and the " + l.Name + " layout does not describe collections"
		if hint := collectionHint(data, l); hint != "" {
			s += "; " + hint
		}
		return s
	case isSource(data):
		return "SBPL source text, not a compiled profile: compile it first (sbplc compile -o profile.sb.bin profile.sb)"
	}
	if s, ok := snowLeopard(data); ok {
		return "this looks like a Mac OS X 10.6 Snow Leopard (or iOS 5 and earlier) compiled profile: " + s +
			"; sbplc decodes macOS 14 and later single profiles and iOS 13 and later collections only"
	}
	return fmt.Sprintf("unknown profile type 0x%04x (a single compiled profile has type 0, a collection 0x8000); is this a %s blob?", typ, l.Release)
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
