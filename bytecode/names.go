package bytecode

import "fmt"

// ArgKind says how a filter node's 16-bit argument is read.
type ArgKind uint8

// Argument kinds.
const (
	ArgUnknown ArgKind = iota // filter not in the vocabulary
	ArgInline                 // integer, enum, bitfield or boolean value
	ArgPool                   // pool offset (8-byte units) of a string or pattern item
)

// NamedValue is a symbolic value of an enum filter (AF_INET = 2).
type NamedValue struct {
	Name  string
	Value int64
}

// FilterInfo describes one filter id of a release.
type FilterInfo struct {
	Name string
	Kind ArgKind
	// ArgKind is the vocabulary's argument kind: path-pattern,
	// string-pattern, string-exact, integer-enum, bitfield, boolean,
	// network-address or bitmask.
	ArgKind string
	Values  []NamedValue
}

// ValueName returns the symbolic name of v, if the filter has one.
func (f FilterInfo) ValueName(v int64) (string, bool) {
	for _, nv := range f.Values {
		if nv.Value == v {
			return nv.Name, true
		}
	}
	return "", false
}

// Vocabulary names operations and filters of one OS release. Package
// bytecode gets it from package vocab (see VocabularyFor); tests may
// substitute their own.
type Vocabulary interface {
	// OperationName returns the name of op-table index id.
	OperationName(id int) (string, bool)
	// OperationID is the inverse of OperationName.
	OperationID(name string) (int, bool)
	// Filter describes blob filter id (the node's filter byte without
	// RegexBit).
	Filter(id int) (FilterInfo, bool)
}

// OpName names op-table index id with v, or "op#N" when v does not know it.
func OpName(v Vocabulary, id int) string {
	if v != nil {
		if n, ok := v.OperationName(id); ok {
			return n
		}
	}
	return fmt.Sprintf("op#%d", id)
}

// FilterName names filter byte f with v, or "filter#N". The set form of
// an integer filter has the filter's own name; the RegexBit form of a
// string filter is NAME-regex.
func FilterName(v Vocabulary, f uint8) string {
	if v != nil {
		if fi, ok := v.Filter(int(f &^ RegexBit)); ok {
			if f&RegexBit != 0 && fi.Kind != ArgInline {
				return fi.Name + "-regex"
			}
			return fi.Name
		}
	}
	return fmt.Sprintf("filter#%d", f)
}

// argKindOf maps a vocabulary argument kind to how the blob stores it.
func argKindOf(k string) ArgKind {
	switch k {
	case "path-pattern", "string-pattern", "string-exact", "network-address":
		return ArgPool
	case "integer-enum", "bitfield", "boolean", "bitmask":
		return ArgInline
	}
	return ArgUnknown
}

// wellKnownValues are the numeric encodings of enum filter arguments that
// the vocabulary lists by name only. Socket constants are Darwin's
// <sys/socket.h> and <netinet/in.h> values, checked against macOS 14 blobs
// (AF_INET 2, AF_SYSTEM 32, SOCK_STREAM 1, SOCK_DGRAM 2, IPPROTO_TCP 6,
// IPPROTO_UDP 17); target self = 1 is inferred from libsandbox's injected
// rules.
var wellKnownValues = map[string][]NamedValue{
	"socket-domain": {{"AF_UNSPEC", 0}, {"AF_UNIX", 1}, {"AF_INET", 2}, {"AF_ROUTE", 17}, {"AF_NDRV", 27},
		{"AF_INET6", 30}, {"AF_SYSTEM", 32}, {"AF_MULTIPATH", 39}},
	"socket-type": {{"SOCK_STREAM", 1}, {"SOCK_DGRAM", 2}, {"SOCK_RAW", 3}, {"SOCK_RDM", 4}, {"SOCK_SEQPACKET", 5}},
	"socket-protocol": {{"IPPROTO_IP", 0}, {"IPPROTO_ICMP", 1}, {"IPPROTO_TCP", 6}, {"IPPROTO_UDP", 17},
		{"IPPROTO_ICMPV6", 58}},
	"target": {{"self", 1}},
}

// WellKnownValue returns the numeric encoding of a symbolic enum argument
// from the well-known table (socket-domain AF_INET -> 2).
func WellKnownValue(filter, symbol string) (int64, bool) {
	for _, nv := range wellKnownValues[filter] {
		if nv.Name == symbol {
			return nv.Value, true
		}
	}
	return 0, false
}
