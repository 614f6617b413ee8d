// Package entitlements reads the entitlements of an app: a property list
// (XML, as `codesign -d --entitlements - --xml` writes it, or binary), a
// JSON object, or a Mach-O executable whose code signature embeds them.
// The evaluator binds them as libsandbox does, as *entitlements*, the
// alist application.sb looks keys up in.
//
// Property lists are decoded with howett.net/plist; this package adds what
// the library lacks: positions in errors (a line for XML, a byte offset
// for binary), input limits, and the Mach-O code-signature walk.
package entitlements

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Kind is the type of a Value.
type Kind uint8

// Value kinds, as property lists have them.
const (
	Bool Kind = iota
	String
	Integer
	Real
	Array
	Dict
	Data
	Date
)

var kindNames = [...]string{"boolean", "string", "integer", "real", "array", "dictionary", "data", "date"}

// String names the kind as messages say it.
func (k Kind) String() string { return kindNames[k] }

// Value is one entitlement value.
type Value struct {
	Kind Kind
	Bool bool
	Str  string // String, Data (the bytes), Date (RFC 3339)
	Int  int64
	Real float64
	List []Value // Array
	Dict []Entry // Dict, sorted by key
}

// Entry is a key and its value.
type Entry struct {
	Key   string
	Value Value
}

// Set is a set of entitlements, sorted by key.
type Set struct {
	// Source says where the set came from ("app.plist", "a.out (code
	// signature)", "--add"), for messages.
	Source  string
	Entries []Entry
}

// Get returns the value of key.
func (s *Set) Get(key string) (Value, bool) {
	if s == nil {
		return Value{}, false
	}
	i := sort.Search(len(s.Entries), func(i int) bool { return s.Entries[i].Key >= key })
	if i < len(s.Entries) && s.Entries[i].Key == key {
		return s.Entries[i].Value, true
	}
	return Value{}, false
}

// Keys returns the keys, sorted.
func (s *Set) Keys() []string {
	if s == nil {
		return nil
	}
	out := make([]string, len(s.Entries))
	for i, e := range s.Entries {
		out[i] = e.Key
	}
	return out
}

// With returns a copy of s with key set to v.
func (s *Set) With(key string, v Value) *Set {
	out := &Set{}
	if s != nil {
		out.Source = s.Source
		for _, e := range s.Entries {
			if e.Key != key {
				out.Entries = append(out.Entries, e)
			}
		}
	}
	out.Entries = append(out.Entries, Entry{Key: key, Value: v})
	sortEntries(out.Entries)
	return out
}

// Without returns a copy of s without key.
func (s *Set) Without(key string) *Set {
	out := &Set{}
	if s == nil {
		return out
	}
	out.Source = s.Source
	for _, e := range s.Entries {
		if e.Key != key {
			out.Entries = append(out.Entries, e)
		}
	}
	return out
}

func sortEntries(es []Entry) {
	sort.SliceStable(es, func(i, j int) bool { return es[i].Key < es[j].Key })
}

// True is the boolean value #t.
var True = Value{Kind: Bool, Bool: true}

// ParseValue reads the VALUE of a command-line KEY=VALUE: true or false,
// an integer, a JSON array or object, or else a string.
func ParseValue(text string) (Value, error) {
	switch text {
	case "true", "yes":
		return True, nil
	case "false", "no":
		return Value{Kind: Bool}, nil
	}
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		return Value{Kind: Integer, Int: n}, nil
	}
	if t := strings.TrimSpace(text); strings.HasPrefix(t, "[") || strings.HasPrefix(t, "{") {
		v, err := parseJSONValue([]byte(t))
		if err != nil {
			return Value{}, fmt.Errorf("%q: %v", text, err)
		}
		return v, nil
	}
	return Value{Kind: String, Str: text}, nil
}

// String renders v compactly, as JSON would.
func (v Value) String() string {
	var b strings.Builder
	v.write(&b)
	return b.String()
}

func (v Value) write(b *strings.Builder) {
	switch v.Kind {
	case Bool:
		b.WriteString(strconv.FormatBool(v.Bool))
	case Integer:
		b.WriteString(strconv.FormatInt(v.Int, 10))
	case Real:
		b.WriteString(strconv.FormatFloat(v.Real, 'g', -1, 64))
	case Array:
		b.WriteByte('[')
		for i, x := range v.List {
			if i > 0 {
				b.WriteByte(',')
			}
			x.write(b)
		}
		b.WriteByte(']')
	case Dict:
		b.WriteByte('{')
		for i, e := range v.Dict {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Quote(e.Key) + ":")
			e.Value.write(b)
		}
		b.WriteByte('}')
	default:
		b.WriteString(strconv.Quote(v.Str))
	}
}
