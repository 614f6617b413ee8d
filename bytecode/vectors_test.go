package bytecode

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/corpus"
)

// vector is one directory of ../shared/bytecode/vectors.
type vector struct {
	Name string
	Dir  string
	Blob []byte
	Ref  *refDecoding
}

// refDecoding is the subset of decoded.json the tests compare.
type refDecoding struct {
	Length int `json:"length"`
	Header struct {
		Type         int `json:"type"`
		NodeCount    int `json:"op_node_count"`
		OpCount      int `json:"op_count"`
		VarCount     int `json:"var_count"`
		StateCount   int `json:"state_count"`
		Pad          int `json:"pad"`
		ProfileCount int `json:"profile_count"`
		RegexCount   int `json:"regex_count"`
		PolicyCount  int `json:"policy_count"`
		HeaderSize   int `json:"header_size"`
	} `json:"header"`
	Offsets struct {
		OpTable  int `json:"op_table"`
		Nodes    int `json:"nodes"`
		PoolBase int `json:"pool_base"`
	} `json:"offsets"`
	OpTable   []int `json:"op_table"`
	OpsByNode map[string][]string
	Nodes     []struct {
		I          int     `json:"i"`
		Kind       string  `json:"kind"`
		Filter     int     `json:"filter"`
		Arg        int     `json:"arg"`
		Match      int     `json:"match"`
		Unmatch    int     `json:"unmatch"`
		ArgItemHex string  `json:"arg_item_hex"`
		ArgPattern [][]any `json:"arg_pattern"`
		Decision   string  `json:"decision"`
		Flags      int     `json:"flags"`
		Extra      string  `json:"extra"`
	} `json:"nodes"`
	Unreachable []int    `json:"unreachable_nodes"`
	Errors      []string `json:"errors"`
}

func vectorsDir(t testing.TB) string {
	t.Helper()
	shared, err := corpus.SharedDir()
	if err != nil {
		t.Skipf("shared research data not available: %v", err)
	}
	return filepath.Join(shared, "bytecode", "vectors")
}

// sonomaVectors loads every macOS 14.4.1 vector with its reference decoding.
func sonomaVectors(t testing.TB) []vector {
	t.Helper()
	dir := vectorsDir(t)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []vector
	for _, e := range ents {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), "sonoma14.4.1_") {
			continue
		}
		d := filepath.Join(dir, e.Name())
		blob, err := os.ReadFile(filepath.Join(d, e.Name()+".sb.bin"))
		if err != nil {
			t.Fatal(err)
		}
		v := vector{Name: e.Name(), Dir: d, Blob: blob}
		if js, err := os.ReadFile(filepath.Join(d, "decoded.json")); err == nil {
			v.Ref = &refDecoding{}
			if err := json.Unmarshal(js, v.Ref); err != nil {
				t.Fatalf("%s: %v", e.Name(), err)
			}
			var raw struct {
				OpsByNode map[string][]string `json:"ops_by_node"`
			}
			_ = json.Unmarshal(js, &raw)
			v.Ref.OpsByNode = raw.OpsByNode
		}
		out = append(out, v)
	}
	if len(out) < 45 {
		t.Fatalf("found %d Sonoma vectors in %s, want at least 45", len(out), dir)
	}
	return out
}

// sonomaOps reads ops_sonoma14.4.1.txt, libsandbox's operation names in
// op-table order.
func sonomaOps(t testing.TB, v vector) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(v.Dir, "ops_sonoma14.4.1.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ops []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" {
			ops = append(ops, s)
		}
	}
	return ops
}

func TestSonomaVectorsMatchReference(t *testing.T) {
	for _, v := range sonomaVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			p, err := Decode(v.Blob, DefaultLayout())
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			r := v.Ref
			if r == nil {
				t.Fatal("no decoded.json")
			}
			if p.Size != r.Length {
				t.Errorf("size %d, reference %d", p.Size, r.Length)
			}
			h := p.Header
			got := []int{int(h.Type), int(h.NodeCount), int(h.OpCount), int(h.VarCount), int(h.StateCount), int(h.Pad), int(h.ProfileCount), int(h.RegexCount), int(h.PolicyCount), p.Layout.HeaderSize}
			want := []int{r.Header.Type, r.Header.NodeCount, r.Header.OpCount, r.Header.VarCount, r.Header.StateCount, r.Header.Pad, r.Header.ProfileCount, r.Header.RegexCount, r.Header.PolicyCount, r.Header.HeaderSize}
			if !equalInts(got, want) {
				t.Errorf("header %v, reference %v", got, want)
			}
			if p.OpTableAt != r.Offsets.OpTable || p.NodesAt != r.Offsets.Nodes || p.PoolBase != r.Offsets.PoolBase {
				t.Errorf("offsets op=%d nodes=%d pool=%d, reference %+v", p.OpTableAt, p.NodesAt, p.PoolBase, r.Offsets)
			}
			var ops []int
			for _, e := range p.OpTable {
				ops = append(ops, int(e))
			}
			if !equalInts(ops, r.OpTable) {
				t.Errorf("op table differs from the reference")
			}
			// ops_by_node names agree with the op-table order.
			names := sonomaOps(t, v)
			for node, list := range r.OpsByNode {
				for _, name := range list {
					id := indexOf2(names, name)
					if id < 0 || id >= len(p.OpTable) || itoa(int(p.OpTable[id])) != node {
						t.Errorf("reference puts %s at node %s; decoded op table disagrees", name, node)
					}
				}
			}
			if len(p.Nodes) != len(r.Nodes) {
				t.Fatalf("%d nodes, reference %d", len(p.Nodes), len(r.Nodes))
			}
			for i, rn := range r.Nodes {
				n := &p.Nodes[i]
				if n.Kind.String() != rn.Kind {
					t.Errorf("node %d kind %s, reference %s", i, n.Kind, rn.Kind)
					continue
				}
				if n.Kind == TerminalNode {
					if n.Decision() != rn.Decision || int(n.Flags) != rn.Flags {
						t.Errorf("node %d: %s flags %d, reference %s %d", i, n.Decision(), n.Flags, rn.Decision, rn.Flags)
					}
					if hex.EncodeToString(n.Raw[4:]) != rn.Extra {
						t.Errorf("node %d extra bytes %x, reference %s", i, n.Raw[4:], rn.Extra)
					}
					continue
				}
				if int(n.Filter) != rn.Filter || int(n.Arg) != rn.Arg || int(n.Match) != rn.Match || int(n.Unmatch) != rn.Unmatch {
					t.Errorf("node %d: filter %d arg %d -> %d/%d, reference %d %d -> %d/%d", i, n.Filter, n.Arg, n.Match, n.Unmatch, rn.Filter, rn.Arg, rn.Match, rn.Unmatch)
				}
				if rn.ArgItemHex == "" {
					continue
				}
				it, ok := p.ItemAt(int(n.Arg))
				if !ok {
					t.Errorf("node %d: no pool item at %d", i, n.Arg)
					continue
				}
				if hex.EncodeToString(it.Data) != rn.ArgItemHex {
					t.Errorf("node %d: item %x, reference %s", i, it.Data, rn.ArgItemHex)
				}
				pat, err := DecodePattern(it.Data)
				if err != nil {
					t.Errorf("node %d: %v", i, err)
					continue
				}
				if g, w := patternTokens(pat), refTokens(rn.ArgPattern); g != w {
					t.Errorf("node %d pattern:\n got %s\nwant %s", i, g, w)
				}
			}
			fs := Verify(p, testVocab(t))
			if fs.HasErrors() || len(fs) > 0 {
				t.Errorf("verify findings on a real blob: %v", fs)
			}
		})
	}
}

// patternTokens renders instructions in decoded.json's vocabulary.
func patternTokens(p *Pattern) string {
	var out []string
	for i, o := range p.Ops {
		switch o.Kind {
		case PatLiteral:
			out = append(out, "lit:"+o.Text)
		case PatMatch:
			out = append(out, "op_0f")
		case PatEOS:
			out = append(out, "op_00")
		case PatSuccess:
			out = append(out, "op_0a")
		case PatJne:
			// decoded.json records the short-branch operand (distance-1 in
			// bytes); all verified branches skip exactly one 1-byte op.
			skip := 0
			for j := i + 1; j < o.Target; j++ {
				skip += opLen(p, j)
			}
			out = append(out, "jne_short:"+itoa(skip))
		default:
			out = append(out, o.String())
		}
	}
	return strings.Join(out, " ")
}

func opLen(p *Pattern, j int) int {
	if j+1 < len(p.Ops) {
		return p.Ops[j+1].At - p.Ops[j].At
	}
	return 1
}

func refTokens(ref [][]any) string {
	var out []string
	for _, r := range ref {
		s, _ := r[0].(string)
		switch s {
		case "lit":
			out = append(out, "lit:"+r[1].(string))
		case "jne_short":
			out = append(out, "jne_short:"+itoa(int(r[1].(float64))))
		default:
			out = append(out, s)
		}
	}
	return strings.Join(out, " ")
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func indexOf2(xs []string, s string) int {
	for i, x := range xs {
		if x == s {
			return i
		}
	}
	return -1
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestLookupLayout(t *testing.T) {
	for in, want := range map[string]string{
		"macos14": "macos14", "14.4.1": "macos14", "14": "macos14", "14.5": "macos14", "MacOS14": "macos14",
		"macos15": "macos15", "15.2+": "macos15", "15.1": "macos15", "26": "macos26",
		"ios13": "ios13", "iOS16": "ios16", "ios16.5": "ios17", "ios16.4": "ios16", "ios17.2": "ios17", "ios18": "ios18", "ios26.0.1": "ios26",
	} {
		l, ok := LookupLayout(in)
		if !ok || l.Name != want {
			t.Errorf("LookupLayout(%q) = %s %v, want %s", in, l.Name, ok, want)
		}
	}
	for _, in := range []string{"", "macos9", "13", "ios14", "ios", "macosios18"} {
		if l, ok := LookupLayout(in); ok {
			t.Errorf("LookupLayout(%q) = %s", in, l.Name)
		}
	}
	if l, ok := LayoutForDarwin(23); !ok || l.Name != "macos14" {
		t.Errorf("Darwin 23: %v", l)
	}
	if _, ok := LayoutForDarwin(19); ok {
		t.Errorf("Darwin 19 has a layout") // iOS 13's is not a macOS layout
	}
	if l, ok := LayoutForDarwin(24); !ok || l.Name != "macos15" {
		t.Errorf("Darwin 24: %v", l) // not ios18
	}
	if l := DefaultLayout(); !l.Verified || l.Name != "macos14" {
		t.Errorf("default layout %v", l)
	}
}
