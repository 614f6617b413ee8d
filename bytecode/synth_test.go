package bytecode

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/diag"
)

// synthBlob builds a well-formed macOS 14 blob with n path filters in one
// require-any chain shared by every file-read operation: a large input for
// the benchmarks and a scale test for the decoder.
func synthBlob(n int) []byte { return synthBlobWith(n, nil) }

// synthBlobWith is synthBlob with a regex table of the given pool offsets.
func synthBlobWith(n int, regex []uint16) []byte {
	const ops = 190
	nodes := n + 2 // filters, then allow, deny
	allow, deny := n, n+1
	b := make([]byte, 14, 1<<20)
	binary.LittleEndian.PutUint16(b[2:], uint16(nodes))
	b[4] = ops
	binary.LittleEndian.PutUint16(b[10:], uint16(len(regex)))
	for _, r := range regex {
		b = binary.LittleEndian.AppendUint16(b, r)
	}
	for op := 0; op < ops; op++ {
		e := deny
		if op >= 21 && op <= 24 { // file-read*, -data, -metadata, -xattr
			e = 0
		}
		b = binary.LittleEndian.AppendUint16(b, uint16(e))
	}
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	// Pool items first (to know their offsets), then the nodes.
	var pool []byte
	units := make([]int, n)
	for i := 0; i < n; i++ {
		for len(pool)%8 != 0 {
			pool = append(pool, 0)
		}
		units[i] = len(pool) / 8
		s := fmt.Sprintf("/synthetic/dir%03d/file%05d", i%997, i)
		prog := append([]byte{0x40 | byte(len(s)-1)}, s...)
		prog = append(prog, 0x0f, 0x00, 0x0f, 0x0a)
		pool = binary.LittleEndian.AppendUint16(pool, uint16(len(prog)))
		pool = append(pool, prog...)
	}
	for i := 0; i < n; i++ {
		next := i + 1
		if i == n-1 {
			next = deny
		}
		b = append(b, 0, 1) // filter node, path
		b = binary.LittleEndian.AppendUint16(b, uint16(units[i]))
		b = binary.LittleEndian.AppendUint16(b, uint16(allow))
		b = binary.LittleEndian.AppendUint16(b, uint16(next))
	}
	b = append(b, 1, 0, 0, 0, 0, 0, 0, 0)
	b = append(b, 1, 5, 0, 0, 0, 0, 0, 0)
	return append(b, pool...)
}

func TestSyntheticLargeBlob(t *testing.T) {
	data := synthBlob(10000)
	p, fs := DecodeAndVerify(data, DefaultLayout(), testVocab(t))
	if fs.HasErrors() || len(fs) > 0 {
		t.Fatalf("%v", fs[:min(len(fs), 5)])
	}
	if len(p.Nodes) != 10002 || len(p.Items) != 10000 {
		t.Fatalf("%d nodes %d items", len(p.Nodes), len(p.Items))
	}
	req := Request{Strings: map[string]string{"path": "/synthetic/dir002/file09972"}}
	if o := p.Evaluate(testVocab(t), 22, req); o.Decision != "allow" || len(o.Path) != 9974 {
		t.Errorf("evaluate: %s after %d nodes", o.Decision, len(o.Path))
	}
	req.Strings["path"] = "/synthetic/other"
	if o := p.Evaluate(testVocab(t), 22, req); o.Decision != "deny" {
		t.Errorf("unmatched path: %s", o.Decision)
	}
}

func BenchmarkDecodeLarge(b *testing.B) {
	data := synthBlob(10000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(data, DefaultLayout()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyLarge(b *testing.B) {
	data := synthBlob(10000)
	voc := VocabularyFor(DefaultLayout())
	p, err := Decode(data, DefaultLayout())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if fs := Verify(p, voc); fs.HasErrors() {
			b.Fatal(fs)
		}
	}
}

// Disassembling a 10,000-node chain gives output proportional to the
// graph (no quadratic indentation, no recursion limit hit).
func TestSyntheticDisasmIsLinear(t *testing.T) {
	data := synthBlob(10000)
	p, err := Decode(data, DefaultLayout())
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := p.WriteText(&b, "synth", testVocab(t), false); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if len(out) > 4<<20 {
		t.Fatalf("text disassembly is %d bytes", len(out))
	}
	for _, want := range []string{"node 9999: (path (literal \"/synthetic/dir029/file09999\"))", "(continued below)"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q", want)
		}
	}
	if n := strings.Count(out, "(path (literal"); n != 10000 {
		t.Errorf("%d filter nodes printed, want each once (10000)", n)
	}
}

// With a regex table present, an argument that is not a pool offset may be
// a table index: a warning, not an error. Without one it is an error.
func TestUnverifiedTablesRelaxPoolReferences(t *testing.T) {
	for _, regex := range [][]uint16{nil, {0}} {
		b := synthBlobWith(3, regex)
		p, err := Decode(b, DefaultLayout())
		if err != nil {
			t.Fatal(err)
		}
		at := p.Nodes[1].Offset + 2
		b[at], b[at+1] = 0x63, 0 // pool offset 99: no item there
		_, fs := DecodeAndVerify(b, DefaultLayout(), testVocab(t))
		found := false
		for _, f := range fs {
			if strings.Contains(f.Message, "no pool item starts") {
				found = true
				if want := regex == nil; (f.Severity == diag.Error) != want {
					t.Errorf("regex table %v: severity %s", regex, f.Severity)
				}
			}
		}
		if !found {
			t.Errorf("regex table %v: no finding: %v", regex, fs)
		}
	}
}
