// Package sarifcheck validates SARIF logs in tests: against the SARIF 2.1.0
// JSON schema (with format assertions), and against the rules of
// Microsoft's SARIF validator that sbplc's output once broke: URIs must be
// RFC 3986 references (SARIF1002), absolute paths file:// URIs and relative
// references free of a leading slash (SARIF1004, SARIF2016), a rule's name
// must differ from its ID ignoring case (SARIF1001), and the tool version
// must start with a digit (SARIF2005). Only tests import it.
package sarifcheck

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed sarif-schema-2.1.0.json
var schemaJSON []byte

var (
	compileOnce sync.Once
	schema      *jsonschema.Schema
	compileErr  error
)

func compiled() (*jsonschema.Schema, error) {
	compileOnce.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
		if err != nil {
			compileErr = err
			return
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		if err := c.AddResource("sarif-schema-2.1.0.json", doc); err != nil {
			compileErr = err
			return
		}
		schema, compileErr = c.Compile("sarif-schema-2.1.0.json")
	})
	return schema, compileErr
}

// Check returns the problems of the SARIF log data, sorted; none for a
// valid log.
func Check(data []byte) []string {
	s, err := compiled()
	if err != nil {
		return []string{"compiling the schema: " + err.Error()}
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return []string{"not JSON: " + err.Error()}
	}
	var out []string
	if err := s.Validate(doc); err != nil {
		out = append(out, "schema: "+err.Error())
	}
	var log any
	if err := json.Unmarshal(data, &log); err != nil {
		return append(out, err.Error())
	}
	walk(log, "$", &out)
	sort.Strings(out)
	return out
}

// walk applies the validator rules to every object of v.
func walk(v any, path string, out *[]string) {
	switch v := v.(type) {
	case []any:
		for i, e := range v {
			walk(e, fmt.Sprintf("%s[%d]", path, i), out)
		}
	case map[string]any:
		keys := slices.Sorted(maps.Keys(v))
		for _, k := range keys {
			e := v[k]
			p := path + "." + k
			s, isString := e.(string)
			switch {
			case k == "uri" && isString && strings.HasSuffix(path, "artifactLocation"):
				if err := uriReference(s); err != nil {
					*out = append(*out, fmt.Sprintf("%s: %q: %v (SARIF1002)", p, s, err))
				} else if strings.HasPrefix(s, "/") {
					*out = append(*out, fmt.Sprintf("%s: %q: a relative reference starts with '/': write a file:// URI (SARIF1004)", p, s))
				}
			case (k == "helpUri" || k == "informationUri") && isString:
				if err := uriReference(s); err != nil || !hasScheme(s) {
					*out = append(*out, fmt.Sprintf("%s: %q is not an absolute URI (SARIF1005)", p, s))
				}
			case k == "version" && isString && strings.HasSuffix(path, ".driver"):
				if s == "" || s[0] < '0' || s[0] > '9' {
					*out = append(*out, fmt.Sprintf("%s: %q does not start with a digit (SARIF2005)", p, s))
				}
			}
			walk(e, p, out)
		}
		if strings.HasSuffix(path, "]") && strings.Contains(path, ".rules[") {
			id, _ := v["id"].(string)
			if name, ok := v["name"].(string); ok && strings.EqualFold(name, id) {
				*out = append(*out, fmt.Sprintf("%s: name %q equals the id (SARIF1001)", path, name))
			}
		}
		if strings.HasSuffix(path, "region") || strings.HasSuffix(path, "deletedRegion") {
			_, a := v["startLine"]
			_, b := v["charOffset"]
			_, c := v["byteOffset"]
			if !a && !b && !c {
				*out = append(*out, path+": a region needs startLine, charOffset or byteOffset")
			}
		}
	}
}

var (
	schemeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*$`)
	// One character of a URI other than the delimiters '#', and '%' that
	// starts a pct-encoded triple (RFC 3986 section 2).
	uriCharRE = regexp.MustCompile(`^[A-Za-z0-9\-._~!$&'()*+,;=:@/?]$`)
)

// uriReference checks s against RFC 3986's URI-reference at the character
// level: only unreserved, sub-delims, ':', '@', '/', '?' and pct-encoded
// triples, one '#' at most, and a scheme of letters, digits, '+', '-' and
// '.' when the first segment has a ':'.
func uriReference(s string) error {
	hashes := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return fmt.Errorf("'%%' at byte %d does not start a %%XX escape", i)
			}
			i += 2
		case c == '#':
			hashes++
			if hashes > 1 {
				return fmt.Errorf("a second '#' at byte %d", i)
			}
		case !uriCharRE.MatchString(string(c)):
			return fmt.Errorf("byte %q at %d must be percent-encoded", c, i)
		}
	}
	first := s
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		first = s[:i]
	}
	if i := strings.IndexByte(first, ':'); i >= 0 && !schemeRE.MatchString(first[:i]) {
		return fmt.Errorf("%q before ':' is not a scheme (a relative reference's first segment cannot hold ':')", first[:i])
	}
	return nil
}

func hasScheme(s string) bool {
	first := s
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		first = s[:i]
	}
	i := strings.IndexByte(first, ':')
	return i > 0 && schemeRE.MatchString(first[:i])
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
