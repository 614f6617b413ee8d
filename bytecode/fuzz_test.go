package bytecode

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/sbplc/sbplc/diag"
)

// FuzzDecode feeds arbitrary bytes to the decoder, verifier, evaluator and
// every disassembly format: none may panic or loop.
func FuzzDecode(f *testing.F) {
	dir := vectorsDir(f)
	for _, name := range goldenVectors {
		b, err := os.ReadFile(filepath.Join(dir, name, name+".sb.bin"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add(make([]byte, 14))
	voc := VocabularyFor(DefaultLayout())
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, l := range Layouts() {
			p, fs := DecodeAndVerify(data, l, voc)
			if p == nil {
				if !fs.HasErrors() {
					t.Fatalf("decode failed without an error finding")
				}
				continue
			}
			_ = p.WriteText(io.Discard, "fuzz", voc, false)
			_ = p.WriteJSON(io.Discard, "fuzz", voc, fs)
			_ = p.WriteDot(io.Discard, "fuzz", voc, false)
			for op := range p.OpTable {
				p.Evaluate(voc, op, Request{Strings: map[string]string{"path": "/private/tmp/x"}, Ints: map[string]int{"target": 1}})
				p.Filters(voc, op)
			}
		}
	})
}

// FuzzVerify checks the verifier's contract on arbitrary blobs: at most
// MaxFindings findings plus the summary, offsets inside the blob, the same
// answer twice, and a blob that verifies clean gets a trailing-data error
// for one more byte, zero or not (at the blob's old end, or earlier when
// the clean blob already ended in unreferenced items of an unverified
// construct, a warning).
func FuzzVerify(f *testing.F) {
	for _, v := range sonomaVectors(f) {
		f.Add(v.Blob)
	}
	f.Add(synthBlob(3))
	voc := VocabularyFor(DefaultLayout())
	f.Fuzz(func(t *testing.T, data []byte) {
		p, fs := DecodeAndVerify(data, DefaultLayout(), voc)
		if len(fs) > MaxFindings+1 {
			t.Fatalf("%d findings", len(fs))
		}
		for _, f := range fs {
			if f.Offset < -1 || f.Offset > len(data) {
				t.Fatalf("finding outside the blob (%d bytes): %s", len(data), f)
			}
		}
		if p == nil {
			return
		}
		if again := Verify(p, voc); len(again) != len(fs) {
			t.Fatalf("second run: %d findings, first %d", len(again), len(fs))
		}
		if fs.HasErrors() || len(data) >= MaxBlobSize {
			return
		}
		for _, b := range []byte{0, 0xff} {
			_, fs := DecodeAndVerify(append(data[:len(data):len(data)], b), DefaultLayout(), voc)
			found := false
			for _, f := range fs {
				found = found || (f.Code == CodeTrailing && f.Offset <= len(data) && f.Severity >= diag.Error)
			}
			if !found {
				t.Fatalf("clean blob + 0x%02x: no trailing-bytes error at %d: %v", b, len(data), fs)
			}
		}
	})
}

// FuzzPattern runs the matching-program decoder and machine on arbitrary
// programs.
func FuzzPattern(f *testing.F) {
	f.Add([]byte("\x49/etc/hosts\x0f\x00\x0f\x0a"), "/etc/hosts")
	f.Add([]byte("\x4b/private/tmp\x0f\x40/\x80\x0a\x00\x0f\x0a"), "/private/tmp/a")
	f.Add([]byte("\x08\xff\xff\x0b\x81ab\x0a"), "")
	f.Fuzz(func(t *testing.T, prog []byte, s string) {
		p, err := DecodePattern(prog)
		if err != nil {
			return
		}
		_ = p.String()
		p.MatchString(s)
		// The shape shortcut and the machine agree.
		if p.Shape != ShapeProgram {
			q := &Pattern{Ops: p.Ops}
			if got, want := q.MatchString(s), p.MatchString(s); got != want && got != Unknown {
				t.Fatalf("%s on %q: machine %s, shape %s", p, s, got, want)
			}
		}
	})
}

func largestVector(b *testing.B) []byte {
	var best []byte
	for _, v := range sonomaVectors(b) {
		if len(v.Blob) > len(best) {
			best = v.Blob
		}
	}
	return best
}

func BenchmarkDecode(b *testing.B) {
	data := largestVector(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(data, DefaultLayout()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	data := largestVector(b)
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
