package ir

import (
	"encoding/json"
	"strings"
	"testing"
	"unsafe"

	"github.com/sbplc/sbplc/source"
)

func TestToJSON(t *testing.T) {
	f := source.NewFile("p.sb", []byte("(version 1)\n(helper)\n(allow file-read* (subpath \"/a\"))\n"))
	call := source.Span{File: f, Start: 12, End: 20}
	rule := source.Span{File: f, Start: 21, End: 54}
	p := &Profile{Version: 1, Implicit: true,
		Imports: []Import{{Name: "x.sb", Index: 0}},
		Rules: []*Rule{{Action: Allow, Ops: []Op{{Name: "sysctl*", Written: "sysctl-write"}},
			Filter: &FilterNode{Kind: Not, Children: []*FilterNode{{Kind: Leaf, Name: "subpath", Written: "subpath", Base: "path", Match: MatchSubpath,
				Args: []Value{{Kind: String, Str: "/a", Params: []string{"P"}}, {Kind: Int, Int: 0}, {Kind: Bool}}}}},
			Modifiers: []Modifier{{Name: "message-filter", Rules: []*Rule{{Action: Deny, Ops: []Op{{Name: "x", Written: "x"}}}}}},
			Origin:    Origin{Span: rule, Chain: []Frame{{Name: "helper", Call: call}}}}},
	}
	j := ToJSON(p)
	if !j.Opaque || j.Rules[0].Origin.Primary.Line != 2 || j.Rules[0].Origin.Span.Line != 3 || j.Rules[0].Origin.Span.EndColumn != 34 {
		t.Fatalf("positions: %+v", j.Rules[0].Origin)
	}
	b, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"kind":"require-not"`, `"match":"subpath"`, `"params":["P"]`, `"int":0`, `"bool":false`,
		`"written":"sysctl-write"`, `"rules":[{"index":0,"action":"deny"`, `"opaque":true`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b)
		}
	}
	if PosJSON(source.Span{}) != nil {
		t.Error("invalid span must have no position")
	}
}

// TestJSONKeysSnakeCase keeps the IR's JSON in the snake_case every other
// sbplc JSON output uses (end_line, version_pos, implicit_rules).
func TestJSONKeysSnakeCase(t *testing.T) {
	f := source.NewFile("p.sb", []byte("(version 1)\n(allow file-read* (subpath \"/a\"))\n"))
	sp := source.Span{File: f, Start: 12, End: 45}
	p := &Profile{Version: 1, VersionSpan: source.Span{File: f, Start: 0, End: 11}, Implicit: true,
		Imports: []Import{{Name: "x.sb", Path: "/x.sb", Resolved: true, Origin: Origin{Span: sp}}},
		Params:  []ParamUse{{Name: "P", Bound: true, Value: "v", Origin: Origin{Span: sp}}},
		Rules: []*Rule{{Action: Allow, Ops: []Op{{Name: "file-read*", Written: "file-read*", Span: sp}},
			Filter: &FilterNode{Kind: Leaf, Name: "subpath", Written: "subpath", Match: MatchSubpath,
				Args: []Value{{Kind: String, Str: "/a", Origin: Origin{Span: sp}}}, Origin: Origin{Span: sp}},
			Modifiers: []Modifier{{Name: "report", Origin: Origin{Span: sp}}},
			Origin:    Origin{Span: sp, Chain: []Frame{{Name: "h", Call: sp}}}}},
	}
	b, err := json.Marshal(ToJSON(p))
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				seen[k] = true
				if strings.ToLower(k) != k {
					t.Errorf("JSON key %q is not snake_case", k)
				}
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(v)
	for _, k := range []string{"end_line", "end_column", "end_offset", "version_pos", "implicit_rules"} {
		if !seen[k] {
			t.Errorf("JSON has no %q key:\n%s", k, b)
		}
	}
}

// TestSymbolIntJSON checks that a symbol's number appears exactly when it
// is known (HasInt), including a known 0.
func TestSymbolIntJSON(t *testing.T) {
	for _, tc := range []struct {
		v    Value
		want string
	}{
		{Value{Kind: Symbol, Str: "AF_UNSPEC", HasInt: true}, `{"kind":"symbol","str":"AF_UNSPEC","int":0}`},
		{Value{Kind: Symbol, Str: "tcp", Int: 7, HasInt: true}, `{"kind":"symbol","str":"tcp","int":7}`},
		{Value{Kind: Symbol, Str: "IPPROTO_TCP"}, `{"kind":"symbol","str":"IPPROTO_TCP"}`},
	} {
		b, err := json.Marshal(valueJSON(tc.v))
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tc.want {
			t.Errorf("%s: got %s, want %s", tc.v.Str, b, tc.want)
		}
	}
}

// TestOpaqueBlocksJSON: opaque blocks make the profile opaque and appear
// in the JSON with their position; a profile without any has no key.
func TestOpaqueBlocksJSON(t *testing.T) {
	f := source.NewFile("p.sb", []byte("(version 1)\n(corefoundation)\n"))
	p := &Profile{Version: 1, OpaqueBlocks: []OpaqueBlock{{Index: 0, Name: "corefoundation", Import: "c.sb", Reason: "why",
		Origin: Origin{Span: source.Span{File: f, Start: 12, End: 28}}}}}
	if !p.Opaque() {
		t.Error("a profile with an opaque block is not opaque")
	}
	b, err := json.Marshal(ToJSON(p))
	if err != nil {
		t.Fatal(err)
	}
	want := `"opaque_blocks":[{"index":0,"name":"corefoundation","import":"c.sb","reason":"why","origin":{"span":{"file":"p.sb","line":2,"column":1`
	if !strings.Contains(string(b), want) || !strings.Contains(string(b), `"opaque":true`) {
		t.Errorf("JSON %s\nlacks %s", b, want)
	}
	b, _ = json.Marshal(ToJSON(&Profile{}))
	if strings.Contains(string(b), "opaque_blocks") {
		t.Errorf("empty blocks in %s", b)
	}
}

// TestValueSize keeps Value's small fields together (see Value).
func TestValueSize(t *testing.T) {
	if n := unsafe.Sizeof(Value{}); n > 136 {
		t.Errorf("Value is %d bytes, want at most 136: keep its small fields together", n)
	}
}
