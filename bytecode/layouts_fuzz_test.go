package bytecode

import (
	"io"
	"testing"

	"github.com/sbplc/sbplc/diag"
)

// fuzzSeeds are the synthetic blobs of every form of every layout, with
// and without a policy table, and a collection of many records sharing a
// name.
func fuzzSeeds(f *testing.F) {
	for _, fm := range forms() {
		for _, policies := range []bool{false, true} {
			if _, ok := formOf(fm.l, fm.collection).table(TablePolicies); policies && !ok {
				continue
			}
			data, err := synthImage(f, fm.l, fm.collection, policies).Bytes(fm.l)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add(hugeCollection(f, 40, 20))
}

// FuzzLayouts decodes arbitrary bytes with every layout, single profile
// or collection as the type word says, and checks the verifier's
// contract: no panic or hang; at most MaxFindings findings plus the
// summary; offsets inside the blob; the same findings twice; every
// disassembly of the collection and of members runs; and a blob that
// verifies clean gets a trailing-data error for one more byte.
func FuzzLayouts(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, l := range Layouts() {
			voc := VocabularyFor(l)
			p, fs := DecodeAndVerify(data, l, voc)
			if len(fs) > MaxFindings+1 {
				t.Fatalf("%s: %d findings", l.Name, len(fs))
			}
			for _, f := range fs {
				if f.Offset < -1 || f.Offset > len(data) {
					t.Fatalf("%s: finding outside the blob (%d bytes): %s", l.Name, len(data), f)
				}
			}
			if p == nil {
				if !fs.HasErrors() {
					t.Fatalf("%s: decode failed without an error finding", l.Name)
				}
				continue
			}
			if again := Verify(p, voc); len(again) != len(fs) {
				t.Fatalf("%s: second run: %d findings, first %d", l.Name, len(again), len(fs))
			}
			_ = p.WriteText(io.Discard, "fuzz", voc, false)
			_ = p.WriteJSON(io.Discard, "fuzz", voc, fs)
			views := []*Profile{p}
			if p.IsCollection() {
				if p.WriteDot(io.Discard, "fuzz", voc, false) != ErrCollectionGraph {
					t.Fatalf("%s: dot of a whole collection", l.Name)
				}
				views = []*Profile{p.MemberAt(0), p.MemberAt(len(p.Records) - 1)}
				if r := p.Records[0]; r.NameOK {
					if m, ok := p.Member(r.Name); !ok || m.Records == nil {
						t.Fatalf("%s: member %q not found", l.Name, r.Name)
					}
				}
			}
			for _, v := range views {
				_ = v.WriteText(io.Discard, "fuzz", voc, false)
				_ = v.WriteJSON(io.Discard, "fuzz", voc, fs)
				_ = v.WriteDot(io.Discard, "fuzz", voc, false)
				for op := range v.OpTable {
					v.Evaluate(voc, op, Request{Strings: map[string]string{"path": "/private/tmp/x"}, Ints: map[string]int{"target": 1}})
					v.Filters(voc, op)
				}
			}
			if fs.HasErrors() || len(data) >= MaxBlobSize {
				continue
			}
			for _, b := range []byte{0, 0xff} {
				_, fs := DecodeAndVerify(append(data[:len(data):len(data)], b), l, voc)
				found := false
				for _, f := range fs {
					found = found || (f.Code == CodeTrailing && f.Offset <= len(data) && f.Severity >= diag.Error)
				}
				if !found {
					t.Fatalf("%s: clean blob + 0x%02x: no trailing-bytes error at %d: %v", l.Name, b, len(data), fs)
				}
			}
		}
	})
}
