package bytecode

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/diag"
)

// allocated returns the bytes f allocates (runtime.MemStats.TotalAlloc),
// an upper bound of the heap it can hold at any one time.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// blobBuilder writes macOS 14 blobs for the limit tests: 190 op-table
// entries, then nodes, then the pool.
type blobBuilder struct {
	ops   [190]uint16
	nodes [][8]byte
	pool  []byte
}

func (b *blobBuilder) filter(id uint8, arg, match, unmatch uint16) uint16 {
	var n [8]byte
	n[1] = id
	binary.LittleEndian.PutUint16(n[2:], arg)
	binary.LittleEndian.PutUint16(n[4:], match)
	binary.LittleEndian.PutUint16(n[6:], unmatch)
	b.nodes = append(b.nodes, n)
	return uint16(len(b.nodes) - 1)
}

func (b *blobBuilder) terminal(flags byte) uint16 {
	b.nodes = append(b.nodes, [8]byte{1, flags})
	return uint16(len(b.nodes) - 1)
}

// item appends a pool item and returns its unit offset.
func (b *blobBuilder) item(data []byte) uint16 {
	for len(b.pool)%8 != 0 {
		b.pool = append(b.pool, 0)
	}
	u := len(b.pool) / 8
	b.pool = binary.LittleEndian.AppendUint16(b.pool, uint16(len(data)))
	b.pool = append(b.pool, data...)
	return uint16(u)
}

func (b *blobBuilder) bytes() []byte {
	out := make([]byte, 14, 400+8*len(b.nodes)+len(b.pool))
	binary.LittleEndian.PutUint16(out[2:], uint16(len(b.nodes)))
	out[4] = byte(len(b.ops))
	for _, e := range b.ops {
		out = binary.LittleEndian.AppendUint16(out, e)
	}
	for len(out)%8 != 0 {
		out = append(out, 0)
	}
	for _, n := range b.nodes {
		out = append(out, n[:]...)
	}
	return append(out, b.pool...)
}

// literalProgram is the matching program of (literal s), in runs of at
// most 64 bytes.
func literalProgram(s string) []byte {
	var p []byte
	for len(s) > 0 {
		n := min(len(s), 64)
		p = append(p, 0x40|byte(n-1))
		p = append(p, s[:n]...)
		s = s[n:]
	}
	return append(p, 0x0f, 0x00, 0x0f, 0x0a)
}

// emptyItemsBlob is the hostile blob of issue 19: one decision node, then
// size bytes of zeros, which read as empty 8-byte pool items. With
// withRef a literal that a path filter refers to comes after 500 KiB of
// them, so that those lie inside the profile rather than after it.
func emptyItemsBlob(size int, withRef bool) []byte {
	var b blobBuilder
	deny := b.terminal(5)
	if !withRef {
		b.pool = make([]byte, size)
		return b.bytes()
	}
	allow := b.terminal(0)
	// Pool offsets are u16 units: the last item anything can refer to
	// starts before 512 KiB.
	inside := min(size, 500<<10)
	b.pool = make([]byte, inside)
	u := b.item(literalProgram("/x"))
	b.pool = append(b.pool, make([]byte, size-inside)...)
	f := b.filter(1, u, allow, deny)
	for op := 21; op <= 24; op++ {
		b.ops[op] = f
	}
	return b.bytes()
}

// A blob of 4 MiB of empty pool items used to cost 340 MB and a finding
// per item (issue 19). Decoding and verifying now allocate less than the
// blob, the findings are capped, and every disassembly stays small.
func TestHostileBlobBoundedMemory(t *testing.T) {
	voc := testVocab(t)
	for _, withRef := range []bool{false, true} {
		data := emptyItemsBlob(4<<20, withRef)
		var p *Profile
		var fs Findings
		n := allocated(func() { p, fs = DecodeAndVerify(data, DefaultLayout(), voc) })
		t.Logf("withRef=%v: %d-byte blob, decode+verify allocated %d bytes (%.1f per blob byte), %d findings",
			withRef, len(data), n, float64(n)/float64(len(data)), len(fs))
		// Items stop at pool offset 65535, the last one a reference can
		// name: about 3 MiB whatever the blob's size.
		if n > uint64(len(data)) {
			t.Errorf("withRef=%v: decode+verify allocated %d bytes for a %d-byte blob, want at most 1 per byte", withRef, n, len(data))
		}
		if p == nil || !fs.HasErrors() || len(fs) > MaxFindings+1 {
			t.Fatalf("withRef=%v: %d findings (errors %v), want at most %d", withRef, len(fs), fs.HasErrors(), MaxFindings+1)
		}
		if !withRef {
			// Everything after the node array is one problem.
			if len(fs) != 1 || fs[0].Offset != p.PoolBase || !strings.Contains(fs[0].Message, "trailing") {
				t.Errorf("withRef=false: want one trailing-bytes finding at %d, got %v", p.PoolBase, fs[:min(len(fs), 3)])
			}
		} else {
			if last := fs[len(fs)-1]; !strings.Contains(last.Message, "more problems") {
				t.Errorf("withRef=true: last finding %q, want the summary", last.Message)
			}
			// The trailing data is listed, though it comes after 100
			// unreferenced items.
			found := false
			for _, f := range fs {
				found = found || f.Code == CodeTrailing
			}
			if !found {
				t.Errorf("withRef=true: no trailing-bytes finding among %d", len(fs))
			}
		}
		for _, format := range []string{"text", "json", "dot"} {
			var cw countWriter
			n := allocated(func() {
				var err error
				switch format {
				case "text":
					err = p.WriteText(&cw, "h", voc, false)
				case "json":
					err = p.WriteJSON(&cw, "h", voc, fs)
				case "dot":
					err = p.WriteDot(&cw, "h", voc, false)
				}
				if err != nil {
					t.Fatal(err)
				}
			})
			t.Logf("withRef=%v %s: %d bytes out, %d allocated", withRef, format, cw.n, n)
			if n > uint64(len(data)) || cw.n > int64(len(data)) {
				t.Errorf("withRef=%v %s: %d bytes of output, %d allocated, for a %d-byte blob", withRef, format, cw.n, n, len(data))
			}
		}
	}
}

type countWriter struct{ n int64 }

func (w *countWriter) Write(b []byte) (int, error) { w.n += int64(len(b)); return len(b), nil }

// At most MaxFindings findings are listed, errors before warnings, and one
// more says how many were left out; the result still has errors.
func TestFindingsCapped(t *testing.T) {
	var b blobBuilder
	for i := 0; i < 300; i++ {
		b.nodes = append(b.nodes, [8]byte{1, 0, 0, 0, 0xff}) // warning: bytes 4..7 without the inline flag
	}
	for i := 0; i < 1000; i++ {
		b.nodes = append(b.nodes, [8]byte{7}) // error: bad tag
	}
	_, fs := DecodeAndVerify(b.bytes(), DefaultLayout(), testVocab(t))
	if len(fs) != MaxFindings+1 {
		t.Fatalf("%d findings, want %d", len(fs), MaxFindings+1)
	}
	errs := 0
	for _, f := range fs[:MaxFindings] {
		if f.Severity == diag.Error {
			errs++
		}
	}
	if errs != MaxFindings {
		t.Errorf("%d of the listed findings are errors, want all %d (errors are listed first)", errs, MaxFindings)
	}
	last := fs[MaxFindings]
	want := "and 1201 more problems (900 errors, 301 warnings) not listed: only the first 100 are reported"
	if last.Severity != diag.Error || last.Message != want || last.Code != CodeLimit {
		t.Errorf("summary %s, want error %q [%s]", last, want, CodeLimit)
	}
	// Warnings alone are capped too, and the summary is then a warning.
	b.nodes = b.nodes[:300]
	_, fs = DecodeAndVerify(b.bytes(), DefaultLayout(), testVocab(t))
	if len(fs) != MaxFindings+1 || fs.HasErrors() || fs[MaxFindings].Severity != diag.Warning {
		t.Errorf("warnings only: %d findings, errors %v", len(fs), fs.HasErrors())
	}
}

// sharedItemBlob has n path filters in a require-any chain, all pointing at
// the same pool item: a literal of litLen bytes.
func sharedItemBlob(n, litLen int) []byte {
	var b blobBuilder
	u := b.item(literalProgram("/" + strings.Repeat("a", litLen-1)))
	allow := uint16(n)
	deny := uint16(n + 1)
	for i := 0; i < n; i++ {
		next := uint16(i + 1)
		if i == n-1 {
			next = deny
		}
		b.filter(1, u, allow, next)
	}
	b.terminal(0)
	b.terminal(5)
	for op := 21; op <= 24; op++ {
		b.ops[op] = 0
	}
	for op := range b.ops {
		if op < 21 || op > 24 {
			b.ops[op] = deny
		}
	}
	return b.bytes()
}

// Nodes sharing one large pool item used to decode it once per node in
// Verify, FilterArg, Evaluate and every disassembly (nodes x item size:
// seconds for verify --profile on this blob), and the text output
// repeated it in full per node. Each item is now decoded once per profile
// and rendered once per disassembly, and long arguments are cut.
func TestSharedItemDecodedOnce(t *testing.T) {
	voc := testVocab(t)
	data := sharedItemBlob(2000, 60000)
	budget := 16*uint64(len(data)) + 1<<20
	var p *Profile
	var fs Findings
	n := allocated(func() { p, fs = DecodeAndVerify(data, DefaultLayout(), voc) })
	if p == nil || fs.HasErrors() {
		t.Fatalf("%v", fs)
	}
	t.Logf("%d-byte blob: decode+verify allocated %d bytes", len(data), n)
	if n > budget {
		t.Errorf("decode+verify allocated %d bytes for a %d-byte blob (budget %d)", n, len(data), budget)
	}
	// FilterArg per node (what the cross-check does for every operation)
	// decodes the shared item once per profile.
	fresh, err := Decode(data, DefaultLayout())
	if err != nil {
		t.Fatal(err)
	}
	n = allocated(func() {
		for i := range fresh.Nodes {
			if a := fresh.FilterArg(voc, &fresh.Nodes[i]); i < 2000 && a.Pattern == nil {
				t.Fatalf("node %d: the literal does not decode", i)
			}
		}
	})
	if n > budget {
		t.Errorf("FilterArg on every node allocated %d bytes (budget %d)", n, budget)
	}
	req := Request{Strings: map[string]string{"path": "/b"}}
	var o Outcome
	n = allocated(func() { o = p.Evaluate(voc, 21, req) })
	if o.Decision != "deny" || len(o.Path) != 2001 {
		t.Errorf("evaluate: %s after %d nodes", o.Decision, len(o.Path))
	}
	if n > budget {
		t.Errorf("evaluate allocated %d bytes (budget %d)", n, budget)
	}
	for _, format := range []string{"text", "json", "dot"} {
		var buf bytes.Buffer
		n := allocated(func() {
			switch format {
			case "text":
				_ = p.WriteText(&buf, "s", voc, false)
			case "json":
				_ = p.WriteJSON(&buf, "s", voc, fs)
			case "dot":
				_ = p.WriteDot(&buf, "s", voc, false)
			}
		})
		out := buf.String()
		t.Logf("%s: %d bytes out, %d allocated", format, len(out), n)
		// JSON escapes the quotes of the cut argument and adds ~300 bytes
		// of fields per node.
		if limit := 2000 * (maxArgText + 500); len(out) > limit+2*len(data) {
			t.Errorf("%s: %d bytes of output for 2000 nodes sharing one item", format, len(out))
		}
		// Rendering garbage is proportional to the output (it was
		// nodes x item size before each item was decoded once).
		if n > budget+8*uint64(len(out)) {
			t.Errorf("%s: allocated %d bytes for %d bytes of output", format, n, len(out))
		}
		if !strings.Contains(out, "more bytes)") {
			t.Errorf("%s: the long argument is not cut", format)
		}
	}
}

// A subgraph shared by many entries is printed once, not once per entry
// (190 entries into one 2000-node chain printed 370,000 nodes).
func TestSharedSubgraphPrintedOnce(t *testing.T) {
	var b blobBuilder
	const n = 2000
	allow, deny := uint16(n), uint16(n+1)
	for i := 0; i < n; i++ {
		next := uint16(i + 1)
		if i == n-1 {
			next = deny
		}
		b.filter(11, 2, allow, next) // socket-domain AF_INET
	}
	b.terminal(0)
	b.terminal(5)
	for op := range b.ops {
		b.ops[op] = uint16(op) // every operation enters the chain at another node
	}
	p, fs := DecodeAndVerify(b.bytes(), DefaultLayout(), testVocab(t))
	if p == nil || fs.HasErrors() {
		t.Fatal(fs)
	}
	var out strings.Builder
	if err := p.WriteText(&out, "chain", testVocab(t), false); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(out.String(), "(socket-domain AF_INET)"); got != n {
		t.Errorf("%d filter nodes printed, want each of the %d once", got, n)
	}
	if !strings.Contains(out.String(), "node 1: (see above)") {
		t.Errorf("the second entry does not refer back to the first")
	}
}

// Bytes after the end of the profile are an error at their offset,
// whatever they are: libsandbox ends every blob with its last pool item
// (or its node array), unpadded, in all 47 real blobs.
func TestTrailingBytesRejected(t *testing.T) {
	voc := testVocab(t)
	for _, v := range sonomaVectors(t) {
		for n := 1; n <= 8; n++ {
			for _, fill := range []byte{0, 0xa5} {
				b := append(append([]byte(nil), v.Blob...), bytes.Repeat([]byte{fill}, n)...)
				_, fs := DecodeAndVerify(b, DefaultLayout(), voc)
				ok := false
				for _, f := range fs {
					if f.Severity == diag.Error && f.Offset == len(v.Blob) && f.Code == CodeTrailing {
						ok = true
					}
				}
				if !ok {
					t.Errorf("%s + %d bytes 0x%02x: want a trailing-bytes error at offset %d, got %v", v.Name, n, fill, len(v.Blob), fs)
				}
				if len(fs) != 1 {
					t.Errorf("%s + %d bytes 0x%02x: want exactly one finding, got %v", v.Name, n, fill, fs)
				}
			}
		}
	}
	dir := vectorsDir(t)
	for _, name := range []string{"snowleopard_xnusandbox_sample1/sample1.sb.bin", "ios13.0_17A577_bundle/17A577-sb_bundle.bin"} {
		orig := readFile(t, dir+"/"+name)
		for n := 1; n <= 8; n++ {
			b := append(append([]byte(nil), orig...), make([]byte, n)...)
			if ok, _ := rejected(t, b); !ok {
				t.Errorf("%s + %d zero bytes: accepted", name, n)
			}
		}
	}
	// The message says where the profile ends and that zeros are no padding.
	v := sonomaVectors(t)[1]
	_, fs := DecodeAndVerify(append(append([]byte(nil), v.Blob...), 0, 0, 0), DefaultLayout(), voc)
	want := fmt.Sprintf("3 trailing zero bytes after the end of the profile at offset %d (where the last referenced pool item ends): libsandbox does not pad the end of a blob", len(v.Blob))
	if len(fs) != 1 || !strings.Contains(fs[0].Message, want) {
		t.Errorf("%s + 3 zero bytes: %v, want %q", v.Name, fs, want)
	}
}

// Rejections name the format the header shows (issue 17).
func TestForeignFormatsNamed(t *testing.T) {
	dir := vectorsDir(t)
	sbpl := []byte("; a profile\n(version 1)\n(deny default)\n")
	msgFilter := append([]byte(nil), sonomaVectors(t)[0].Blob...)
	msgFilter[1] = 0x40
	bundle := append([]byte(nil), sonomaVectors(t)[0].Blob...)
	bundle[1] = 0x80
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"snow leopard", readFile(t, dir+"/snowleopard_xnusandbox_sample1/sample1.sb.bin"),
			"a Mac OS X 10.6 Snow Leopard (or iOS 5 and earlier) compiled profile: 59 operations, regex table at offset 152; sbplc decodes macOS 14 and later single profiles"},
		{"ios 13 bundle", readFile(t, dir+"/ios13.0_17A577_bundle/17A577-sb_bundle.bin"),
			"profile bundle (type 0x8000): the macos14 collection layout puts a node at offset 493344, but its tag is 0x19; " +
				"it fits the ios13 layout (218 profiles of 145 operations, 50559 nodes): use --target ios13"},
		{"other bundle", bundle, "profile bundle (type 0x8000): its header counts 0 profiles in the macos14 layout"},
		{"message filters without a policy", msgFilter, "profile type 0x4000, which libsandbox writes for profiles with message filters, but the policy table is empty"},
		{"source", sbpl, "SBPL source text, not a compiled profile: compile it first"},
		{"unknown", []byte("\x07\x00\x07\x00\xbe\x00\x00\x00\x00\x00\x00\x00\x00\x00"), "unknown profile type 0x0007"},
	} {
		_, fs := DecodeAndVerify(c.data, DefaultLayout(), testVocab(t))
		code := CodeDecode
		if c.data[1] == 0x40 {
			code = CodeHeader // decoded, and rejected by the verifier
		}
		if len(fs) != 1 || fs[0].Code != code || !strings.Contains(fs[0].Message, c.want) {
			t.Errorf("%s: %v\nwant %q", c.name, fs, c.want)
		}
	}
}

// The JSON disassembly is the same document whether or not it is written
// piece by piece: it parses, and it lists the pool once.
func TestJSONPoolListingCapped(t *testing.T) {
	data := emptyItemsBlob(64<<10, true)
	p, fs := DecodeAndVerify(data, DefaultLayout(), testVocab(t))
	var buf bytes.Buffer
	if err := p.WriteJSON(&buf, "h", testVocab(t), fs); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Pool     []json.RawMessage `json:"pool"`
		Omitted  int               `json:"pool_items_omitted"`
		Findings []json.RawMessage `json:"findings"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	// 3 nodes can refer to at most 3 items.
	if len(got.Pool) != 3 || got.Omitted != len(p.Items)-3 || len(got.Findings) != MaxFindings+1 {
		t.Errorf("%d items listed, %d omitted of %d; %d findings", len(got.Pool), got.Omitted, len(p.Items), len(got.Findings))
	}
	_ = io.Discard
}
