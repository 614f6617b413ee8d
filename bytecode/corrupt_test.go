package bytecode

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/sbplc/sbplc/diag"
)

// rejected reports whether decoding plus verification fails on data.
func rejected(t *testing.T, data []byte) (bool, string) {
	t.Helper()
	_, fs := DecodeAndVerify(data, DefaultLayout(), testVocab(t))
	for _, f := range fs {
		if f.Severity >= diag.Error {
			return true, f.String()
		}
	}
	return false, ""
}

func TestTruncationRejected(t *testing.T) {
	for _, v := range sonomaVectors(t) {
		for n := 0; n < len(v.Blob); n++ {
			if ok, _ := rejected(t, v.Blob[:n]); !ok {
				t.Errorf("%s truncated to %d of %d bytes: accepted", v.Name, n, len(v.Blob))
			}
		}
	}
}

func TestBumpedHeaderCountsRejected(t *testing.T) {
	l := DefaultLayout()
	fields := map[string]struct{ at, size int }{
		"node count": {l.NodeCountAt, 2}, "op count": {l.OpCountAt, 1}, "var count": {l.countAt(TableVars), 1},
		"state count": {l.countAt(TableStates), 1}, "profile count": {l.ProfileCountAt, 2},
		"regex count": {l.countAt(TableRegex), 2}, "policy count": {l.countAt(TablePolicies), 2},
	}
	for _, v := range sonomaVectors(t) {
		for name, f := range fields {
			for _, delta := range []int{1, 2, 7, 100} {
				b := append([]byte(nil), v.Blob...)
				if f.size == 1 {
					b[f.at] += byte(delta)
				} else {
					x := int(b[f.at]) | int(b[f.at+1])<<8 + delta
					b[f.at], b[f.at+1] = byte(x), byte(x>>8)
				}
				if ok, _ := rejected(t, b); !ok {
					t.Errorf("%s with %s +%d: accepted", v.Name, name, delta)
				}
			}
		}
	}
}

func TestRandomTailsRejected(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, v := range sonomaVectors(t) {
		for _, n := range []int{1, 2, 3, 7, 8, 9, 16, 64} {
			tail := make([]byte, n)
			rng.Read(tail)
			b := append(append([]byte(nil), v.Blob...), tail...)
			if ok, _ := rejected(t, b); !ok {
				t.Errorf("%s with %d random tail bytes %x: accepted", v.Name, n, tail)
			}
		}
	}
}

// A well-formed pool item appended to the blob is caught as trailing data:
// nothing refers to it, and the profile ends with the last item something
// refers to.
func TestAppendedItemRejected(t *testing.T) {
	for _, v := range sonomaVectors(t) {
		b := append([]byte(nil), v.Blob...)
		for len(b)%8 != 0 {
			b = append(b, 0)
		}
		b = append(b, 3, 0, 0x40, 'x', 0x0a)
		ok, msg := rejected(t, b)
		if !ok {
			t.Errorf("%s with an extra pool item: accepted", v.Name)
		} else if !contains(msg, fmt.Sprintf("offset %d (", len(v.Blob))) || !contains(msg, "trailing bytes after the end of the profile") {
			t.Errorf("%s: unexpected finding %s", v.Name, msg)
		}
	}
}

// An item inside the profile that nothing refers to is an error of its own.
func TestUnreferencedItemRejected(t *testing.T) {
	var v vector
	for _, x := range sonomaVectors(t) {
		if x.Name == "sonoma14.4.1_golden_strict_1" {
			v = x
		}
	}
	b := append([]byte(nil), v.Blob...)
	p, err := Decode(b, DefaultLayout())
	if err != nil {
		t.Fatal(err)
	}
	// Node 3 refers to item 0; point it at item 3 (node 4's) instead.
	if p.Nodes[3].Arg != 0 || p.Nodes[4].Arg != 3 {
		t.Fatalf("strict_1 nodes 3, 4 refer to items %d, %d", p.Nodes[3].Arg, p.Nodes[4].Arg)
	}
	b[p.Nodes[3].Offset+2] = 3
	_, fs := DecodeAndVerify(b, DefaultLayout(), testVocab(t))
	if len(fs) != 1 || fs[0].Severity != diag.Error || fs[0].Offset != p.Items[0].Pos ||
		!contains(fs[0].Message, "pool item at pool offset 0 (15 bytes) is not referenced by any node or table") {
		t.Errorf("unreferenced item 0: %v", fs)
	}
}

func TestLegacyAndBundleBlobsRejected(t *testing.T) {
	dir := vectorsDir(t)
	for _, name := range []string{
		"snowleopard_xnusandbox_sample1/sample1.sb.bin",
		"ios13.0_17A577_bundle/17A577-sb_bundle.bin",
	} {
		data := readFile(t, dir+"/"+name)
		if ok, msg := rejected(t, data); !ok {
			t.Errorf("%s decoded as a macOS 14 profile", name)
		} else {
			t.Logf("%s: %s", name, msg)
		}
	}
}

// Graph corruptions that keep the blob's size: each must be an error.
func TestGraphCorruptionsRejected(t *testing.T) {
	var v vector
	for _, x := range sonomaVectors(t) {
		if x.Name == "sonoma14.4.1_golden_strict_1" {
			v = x
		}
	}
	p, err := Decode(v.Blob, DefaultLayout())
	if err != nil {
		t.Fatal(err)
	}
	n3 := p.Nodes[3].Offset
	cases := []struct {
		name string
		at   int
		val  []byte
		want string
	}{
		{"op entry out of range", p.OpTableAt + 2*21, []byte{9, 0}, "points to node 9"},
		{"match edge out of range", n3 + 4, []byte{7, 0}, "match edge to node 7"},
		{"cycle", n3 + 6, []byte{3, 0}, "loops back"},
		{"bad tag", n3, []byte{2}, "neither filter"},
		{"unknown filter", n3 + 1, []byte{120}, "unknown filter id"},
		{"pattern arg off an item", n3 + 2, []byte{1, 0}, "no pool item starts"},
		{"alignment padding", 396, []byte{1}, "alignment padding"},
		{"item padding", 0x1d9, []byte{1}, "padding after a pool item"},
		{"item length", 0x1c8, []byte{0xff, 0x7f}, "runs past the end"},
	}
	for _, c := range cases {
		b := append([]byte(nil), v.Blob...)
		copy(b[c.at:], c.val)
		_, fs := DecodeAndVerify(b, DefaultLayout(), testVocab(t))
		found := false
		for _, f := range fs {
			if f.Severity >= diag.Error && contains(f.Message, c.want) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: want an error containing %q, got %v", c.name, c.want, fs)
		}
	}
}
