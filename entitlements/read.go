package entitlements

import (
	"bytes"
	"debug/macho"
	"encoding/binary"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"howett.net/plist"

	"github.com/sbplc/sbplc/internal/fsutil"
)

// MaxFileSize bounds the file Read accepts: an executable is read whole
// to find its signature, so the limit is larger than for a profile.
const MaxFileSize = 256 << 20

// MaxDepth bounds the nesting of arrays and dictionaries.
const MaxDepth = 64

// Error is a malformed entitlements file: Line is set for XML and JSON,
// Offset for binary property lists and Mach-O files (HasOffset).
type Error struct {
	File      string
	Format    string // "XML property list", "binary property list", "JSON", "Mach-O"
	Line      int
	Offset    int64
	HasOffset bool
	Msg       string
}

func (e *Error) Error() string {
	where := e.File
	switch {
	case e.Line > 0:
		where += ":" + strconv.Itoa(e.Line)
	case e.HasOffset:
		where += fmt.Sprintf(": offset %d (0x%x)", e.Offset, e.Offset)
	}
	return fmt.Sprintf("%s: malformed %s: %s", where, e.Format, e.Msg)
}

// Read reads the entitlements file name (any format Parse accepts)
// through the bounded reader.
func Read(name string) (*Set, error) {
	data, err := fsutil.ReadRegular(name, MaxFileSize)
	if err != nil {
		return nil, err
	}
	return Parse(name, data)
}

// Parse reads entitlements from data, which is a binary or XML property
// list, a JSON object, or a Mach-O executable (thin or universal) whose
// code signature holds an entitlements blob. name is used in messages.
func Parse(name string, data []byte) (*Set, error) {
	t := bytes.TrimLeft(data, " \t\r\n\ufeff")
	switch {
	case isMachO(data):
		return parseMachO(name, data)
	case bytes.HasPrefix(data, []byte("bplist")):
		return parsePlist(name, data, "binary property list")
	case bytes.HasPrefix(t, []byte("{")):
		return parseJSON(name, data)
	case bytes.HasPrefix(t, []byte("<")):
		return parsePlist(name, data, "XML property list")
	case len(t) == 0:
		return nil, &Error{File: name, Format: "entitlements file", Msg: "the file is empty; expected a property list, a JSON object or a signed Mach-O executable"}
	}
	return nil, &Error{File: name, Format: "entitlements file", Line: 1, Msg: "not a property list (XML or binary), a JSON object or a Mach-O executable; write the entitlements with codesign -d --entitlements - --xml APP"}
}

func isMachO(data []byte) bool {
	if len(data) < 4 {
		return false
	}
	switch binary.BigEndian.Uint32(data) {
	case macho.Magic32, macho.Magic64, 0xcefaedfe, 0xcffaedfe, macho.MagicFat:
		return true
	}
	return false
}

// parsePlist decodes a property list whose root must be a dictionary.
func parsePlist(name string, data []byte, format string) (*Set, error) {
	if format == "XML property list" {
		// The plist library reports no position for structural errors and
		// retries a broken XML file as an OpenStep one: check the XML
		// first (well-formedness, depth) with a position.
		if err := checkXML(data); err != nil {
			err.File = name
			return nil, err
		}
	}
	r := bytes.NewReader(data)
	var root any
	if err := plist.NewDecoder(r).Decode(&root); err != nil {
		e := &Error{File: name, Format: format, Msg: strings.TrimPrefix(strings.TrimPrefix(err.Error(), "plist: "), "error parsing "+strings.TrimSuffix(format, " property list")+" property list: ")}
		if format == "XML property list" {
			e.Line = lineAt(data, r.Size()-int64(r.Len()))
		} else {
			e.Offset, e.HasOffset = binaryOffset(err.Error(), len(data)), true
		}
		return nil, e
	}
	return fromRoot(name, format, root)
}

// checkXML tokenizes data: a syntax error or nesting deeper than MaxDepth
// is an error at its line.
func checkXML(data []byte) *Error {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	depth := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var se *xml.SyntaxError
			line, _ := d.InputPos()
			msg := err.Error()
			if errors.As(err, &se) {
				line, msg = se.Line, se.Msg
			}
			return &Error{Format: "XML property list", Line: line, Msg: msg}
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
			if depth > MaxDepth {
				line, _ := d.InputPos()
				return &Error{Format: "XML property list", Line: line, Msg: fmt.Sprintf("nested more than %d levels deep", MaxDepth)}
			}
		case xml.EndElement:
			depth--
		}
	}
}

func lineAt(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return bytes.Count(data[:off], []byte{'\n'}) + 1
}

var hexOffset = regexp.MustCompile(`(?:@|offset |at )0x([0-9a-fA-F]+)`)

// binaryOffset finds the offset a binary-plist error names; an error
// about the header is at 0, one about the trailer at its start.
func binaryOffset(msg string, size int) int64 {
	if m := hexOffset.FindStringSubmatch(msg); m != nil {
		if n, err := strconv.ParseInt(m[1], 16, 64); err == nil {
			return n
		}
	}
	if strings.Contains(msg, "magic") || strings.Contains(msg, "version") || strings.Contains(msg, "not enough data") {
		return 0
	}
	return int64(max(size-32, 0)) // the trailer
}

// fromRoot converts the decoded root, which must be a dictionary.
func fromRoot(name, format string, root any) (*Set, error) {
	m, ok := root.(map[string]any)
	if !ok {
		return nil, &Error{File: name, Format: format, Line: 1, Msg: fmt.Sprintf("the top level is %s; entitlements are a dictionary of keys", describeGo(root))}
	}
	v, err := convert(m, 0)
	if err != nil {
		return nil, &Error{File: name, Format: format, Line: 1, Msg: err.Error()}
	}
	return &Set{Source: name, Entries: v.Dict}, nil
}

func describeGo(v any) string {
	switch v.(type) {
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case nil:
		return "empty"
	}
	return "a value"
}

// convert turns a decoded plist or JSON value into a Value.
func convert(x any, depth int) (Value, error) {
	if depth > MaxDepth {
		return Value{}, fmt.Errorf("nested more than %d levels deep", MaxDepth)
	}
	switch v := x.(type) {
	case bool:
		return Value{Kind: Bool, Bool: v}, nil
	case string:
		return Value{Kind: String, Str: v}, nil
	case uint64:
		if v > math.MaxInt64 {
			return Value{Kind: Real, Real: float64(v)}, nil
		}
		return Value{Kind: Integer, Int: int64(v)}, nil
	case int64:
		return Value{Kind: Integer, Int: v}, nil
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return Value{Kind: Integer, Int: int64(v)}, nil
		}
		return Value{Kind: Real, Real: v}, nil
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return Value{Kind: Integer, Int: n}, nil
		}
		f, err := v.Float64()
		if err != nil {
			return Value{}, fmt.Errorf("number %s is out of range", v)
		}
		return Value{Kind: Real, Real: f}, nil
	case []byte:
		return Value{Kind: Data, Str: string(v)}, nil
	case time.Time:
		return Value{Kind: Date, Str: v.UTC().Format(time.RFC3339)}, nil
	case plist.UID:
		return Value{Kind: Integer, Int: int64(v)}, nil
	case []any:
		out := Value{Kind: Array, List: make([]Value, 0, len(v))}
		for _, e := range v {
			c, err := convert(e, depth+1)
			if err != nil {
				return Value{}, err
			}
			out.List = append(out.List, c)
		}
		return out, nil
	case map[string]any:
		out := Value{Kind: Dict, Dict: make([]Entry, 0, len(v))}
		keys := slices.Sorted(maps.Keys(v))
		for _, k := range keys {
			c, err := convert(v[k], depth+1)
			if err != nil {
				return Value{}, err
			}
			out.Dict = append(out.Dict, Entry{Key: k, Value: c})
		}
		return out, nil
	case nil:
		return Value{}, errors.New("null is not an entitlement value")
	}
	return Value{}, fmt.Errorf("unsupported value of type %T", x)
}

// parseJSON reads a JSON object of entitlements.
func parseJSON(name string, data []byte) (*Set, error) {
	if d := jsonDepth(data); d > MaxDepth {
		return nil, &Error{File: name, Format: "JSON", Line: 1, Msg: fmt.Sprintf("nested more than %d levels deep", MaxDepth)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return nil, jsonError(name, data, err, dec.InputOffset())
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &Error{File: name, Format: "JSON", Line: lineAt(data, dec.InputOffset()), Msg: "text after the top-level object"}
	}
	return fromRoot(name, "JSON", root)
}

func jsonError(name string, data []byte, err error, off int64) *Error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = se.Offset - 1 // the offending byte
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF {
		off = int64(len(data))
	}
	return &Error{File: name, Format: "JSON", Line: lineAt(data, off), Msg: err.Error()}
}

// jsonDepth is the deepest bracket nesting of data, outside strings.
func jsonDepth(data []byte) int {
	depth, most, inStr, esc := 0, 0, false, false
	for _, c := range data {
		switch {
		case inStr && esc:
			esc = false
		case inStr && c == '\\':
			esc = true
		case c == '"':
			inStr = !inStr
		case inStr:
		case c == '[' || c == '{':
			depth++
			most = max(most, depth)
		case c == ']' || c == '}':
			depth--
		}
	}
	return most
}

// parseJSONValue reads one JSON value (for KEY=VALUE on the command line).
func parseJSONValue(data []byte) (Value, error) {
	if jsonDepth(data) > MaxDepth {
		return Value{}, fmt.Errorf("nested more than %d levels deep", MaxDepth)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return Value{}, err
	}
	return convert(v, 0)
}
