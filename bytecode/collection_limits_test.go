package bytecode

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/diag"
)

// collectionForms lists every layout's collection form with a clean
// synthetic collection (with a policy table where the form has one).
func collectionForms(t testing.TB) []struct {
	l    Layout
	data []byte
} {
	var out []struct {
		l    Layout
		data []byte
	}
	for _, l := range Layouts() {
		if l.Collection == nil {
			continue
		}
		_, policies := l.Collection.table(TablePolicies)
		data, err := synthImage(t, l, true, policies).Bytes(l)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, struct {
			l    Layout
			data []byte
		}{l, data})
	}
	return out
}

// rejectedAs reports whether data is rejected with layout l: a decoding
// error or an error finding.
func rejectedAs(data []byte, l Layout) (bool, string) {
	p, fs := DecodeAndVerify(data, l, VocabularyFor(l))
	if p == nil || fs.HasErrors() {
		for _, f := range fs {
			if f.Severity >= diag.Error {
				return true, f.String()
			}
		}
	}
	return false, ""
}

// Every truncation of a collection is rejected; so is every byte added.
func TestCollectionTruncationRejected(t *testing.T) {
	for _, c := range collectionForms(t) {
		for n := 0; n < len(c.data); n++ {
			if ok, _ := rejectedAs(c.data[:n], c.l); !ok {
				t.Errorf("%s collection cut to %d of %d bytes: accepted", c.l.Name, n, len(c.data))
			}
		}
		for _, b := range []byte{0, 1, 0xff} {
			if ok, msg := rejectedAs(append(c.data[:len(c.data):len(c.data)], b), c.l); !ok || !strings.Contains(msg, "trailing") {
				t.Errorf("%s collection + 0x%02x: %v %s", c.l.Name, b, ok, msg)
			}
		}
	}
}

// Bumping a header count (profiles, operations, nodes, any table) breaks
// the arithmetic of everything after it: rejected.
func TestCollectionBumpedCountsRejected(t *testing.T) {
	for _, c := range collectionForms(t) {
		f := c.l.Collection
		fields := map[string]struct{ at, size int }{
			"node count": {f.NodeCountAt, 2}, "op count": {f.OpCountAt, 1}, "profile count": {f.ProfileCountAt, 2},
		}
		for _, tb := range f.Tables {
			size := 1
			if tb.Wide {
				size = 2
			}
			fields[tb.Name+" count"] = struct{ at, size int }{tb.CountAt, size}
		}
		for name, fl := range fields {
			for _, delta := range []int{1, 2, 7, 100} {
				b := append([]byte(nil), c.data...)
				if fl.size == 1 {
					b[fl.at] += byte(delta)
				} else {
					x := int(binary.LittleEndian.Uint16(b[fl.at:])) + delta
					binary.LittleEndian.PutUint16(b[fl.at:], uint16(x))
				}
				if ok, _ := rejectedAs(b, c.l); !ok {
					t.Errorf("%s collection with %s +%d: accepted", c.l.Name, name, delta)
				}
			}
		}
	}
}

// Corrupt records: each is a finding that names the profile.
func TestCollectionRecordCorruptions(t *testing.T) {
	l, _ := LookupLayout("ios18")
	im := synthImage(t, l, true, false)
	data, err := im.Bytes(l)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Decode(data, l)
	if err != nil {
		t.Fatal(err)
	}
	at := func(r int) int { return p.Records[r].Offset }
	for _, c := range []struct {
		name string
		at   int
		val  uint16
		sev  diag.Severity
		want string
	}{
		{"name nowhere", at(1), 1000, diag.Error, "profile 1: its name points to pool offset 1000, where no pool item starts"},
		{"name of another", at(2), p.Records[0].NameUnit, diag.Warning, `profile 2 has the name "alpha" of profile 0: selecting by name finds the first`},
		{"op entry out of range", p.Records[1].OpTableAt + 2*3, 77, diag.Error, `profile "beta": operation op#3 (op 3) points to node 77, but there are 4 nodes`},
		{"name is a literal", at(0), p.Nodes[0].Arg, diag.Warning, `profile 0: its name "M/private/tmp/x\x0f\x00\x0f\n" does not end with a NUL byte`},
	} {
		b := append([]byte(nil), data...)
		binary.LittleEndian.PutUint16(b[c.at:], c.val)
		_, fs := DecodeAndVerify(b, l, VocabularyFor(l))
		found := false
		for _, f := range fs {
			found = found || (f.Severity == c.sev && strings.Contains(f.Message, c.want))
		}
		if !found {
			t.Errorf("%s: %v\nwant %s %q", c.name, fs, c.sev, c.want)
		}
	}
	// With two profiles of one name, Member finds the first.
	b := append([]byte(nil), data...)
	binary.LittleEndian.PutUint16(b[at(2):], p.Records[0].NameUnit)
	q, _ := Decode(b, l)
	if m, ok := q.Member("alpha"); !ok || m.OpTableAt != q.Records[0].OpTableAt {
		t.Errorf("duplicate name: member %v", ok)
	}
}

// hugeCollection is an ios17 collection of n records of one operation
// each, all named by one name item of nameLen bytes: the smallest records
// the layouts allow, and the most sharing. (Built by hand: the encoder
// writes a name item per record.)
func hugeCollection(t testing.TB, n, nameLen int) []byte {
	le := binary.LittleEndian
	b := make([]byte, 14, 16+6*n+8+2+nameLen+1)
	le.PutUint16(b, TypeBundle)
	le.PutUint16(b[2:], 1) // one node
	b[4] = 1               // one operation
	le.PutUint16(b[8:], uint16(n))
	b = append(b, make([]byte, 6*n)...) // name unit 0, field 0, op 0 -> node 0
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	deny := TerminalBytes(FlagDeny, 0, 0, 0)
	b = append(b, deny[:]...)
	b = le.AppendUint16(b, uint16(nameLen+1))
	b = append(b, strings.Repeat("n", nameLen)...)
	return append(b, 0)
}

// 65,535 records sharing one 60 KB name: decoding, verifying and every
// disassembly stay within a small multiple of the blob, and the findings
// are capped; the name is converted, checked and printed once.
func TestCollectionSharedNameBounded(t *testing.T) {
	l, _ := LookupLayout("ios17")
	data := hugeCollection(t, 0xffff, 60000)
	voc := VocabularyFor(l)
	var p *Profile
	var fs Findings
	n := allocated(func() { p, fs = DecodeAndVerify(data, l, voc) })
	t.Logf("%d-byte collection of %d records: decode+verify allocated %d bytes (%.1f per blob byte), %d findings", len(data), len(p.Records), n, float64(n)/float64(len(data)), len(fs))
	if budget := 32 * uint64(len(data)); n > budget {
		t.Errorf("decode+verify allocated %d bytes, budget %d", n, budget)
	}
	if p == nil || len(fs) != MaxFindings+1 || fs.HasErrors() {
		t.Fatalf("%d findings, errors %v: %v", len(fs), fs.HasErrors(), fs[:min(len(fs), 3)])
	}
	for _, format := range []string{"text", "json"} {
		var cw countWriter
		n := allocated(func() {
			var err error
			switch format {
			case "text":
				err = p.WriteText(&cw, "h", voc, false)
			case "json":
				err = p.WriteJSON(&cw, "h", voc, fs)
			}
			if err != nil {
				t.Fatal(err)
			}
		})
		t.Logf("%s: %d bytes out, %d allocated", format, cw.n, n)
		// A JSON object per 6-byte record is some 40 times its input;
		// real records hold a couple of hundred operations.
		budget := 32 * uint64(len(data))
		if format == "json" {
			budget *= 5
		}
		if n > budget || uint64(cw.n) > budget {
			t.Errorf("%s: %d bytes of output, %d allocated, budget %d", format, cw.n, n, budget)
		}
	}
	m := p.MemberAt(70000 % len(p.Records))
	var cw countWriter
	if err := m.WriteDot(&cw, "h", voc, false); err != nil || cw.n > int64(len(data)) {
		t.Errorf("member dot: %v, %d bytes", err, cw.n)
	}
}

func BenchmarkDecodeCollection(b *testing.B) {
	data := hugeCollection(b, 0xffff, 64)
	l, _ := LookupLayout("ios17")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(data, l); err != nil {
			b.Fatal(err)
		}
	}
}
