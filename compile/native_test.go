package compile

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/bytecode"
	"github.com/sbplc/sbplc/eval"
	"github.com/sbplc/sbplc/source"
)

// groundTruthDir is the project's ground truth (testdata/groundtruth).
const groundTruthDir = "../testdata/groundtruth"

// blobRow is one row of testdata/groundtruth/blobs.tsv.
type blobRow struct {
	name, sha, emit, source string
	size                    int
}

func groundTruthBlobs(t testing.TB) []blobRow {
	t.Helper()
	f, err := os.Open(filepath.Join(groundTruthDir, "blobs.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []blobRow
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) < 5 {
			t.Fatalf("blobs.tsv: bad row %q", line)
		}
		n, err := strconv.Atoi(c[2])
		if err != nil {
			t.Fatalf("blobs.tsv: %q: %v", line, err)
		}
		out = append(out, blobRow{name: c[0], sha: c[1], size: n, emit: c[3], source: c[4]})
	}
	if len(out) == 0 {
		t.Fatal("no ground-truth blobs")
	}
	return out
}

func evalFile(t testing.TB, path string, params map[string]string) *eval.Result {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	res := eval.Run(source.NewFile(filepath.Base(path), b), eval.Options{Params: params, Target: "macos14", StrictParams: true})
	if res.Diags.HasErrors() {
		t.Fatalf("%s: %v", path, res.Diags)
	}
	return res
}

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// The native emitter reproduces every hash-verified vector byte for byte.
func TestNativeEmitterVectors(t *testing.T) {
	for _, v := range vectors(t) {
		res := eval.Run(v.src, eval.Options{Params: v.params, Target: "macos14", StrictParams: true})
		got, err := EmitNative(res.Profile, "")
		if err != nil {
			t.Errorf("%s: %v", v.name, err)
			continue
		}
		if sha(got) != sha(v.blob) {
			t.Errorf("%s: emitted %d bytes sha256 %s, the vector is %d bytes %s", v.name, len(got), sha(got)[:12], len(v.blob), sha(v.blob)[:12])
		}
	}
}

// Every ground-truth blob whose source the emitter accepts is reproduced
// exactly (its SHA-256 published by whoever compiled it); the rows marked
// refuse are refused with the construct named.
func TestNativeEmitterGroundTruth(t *testing.T) {
	for _, r := range groundTruthBlobs(t) {
		res := evalFile(t, filepath.Join(groundTruthDir, r.source), nil)
		got, err := EmitNative(res.Profile, "")
		var ue *UnsupportedError
		switch {
		case r.emit == "refuse":
			if !errors.As(err, &ue) {
				t.Errorf("%s: emitted (%v), want a refusal", r.name, err)
			}
			t.Logf("%s: refused: %v", r.name, err)
		case err != nil:
			t.Errorf("%s: %v", r.name, err)
		case sha(got) != r.sha || len(got) != r.size:
			t.Errorf("%s: emitted %d bytes sha256 %s, libsandbox wrote %d bytes %s", r.name, len(got), sha(got)[:12], r.size, r.sha[:12])
		}
	}
}

var _ = bytecode.DefaultLayout

// groundTruthBlob returns the bytes of a ground-truth row the emitter
// reproduces (checked against the published hash).
func groundTruthBlob(t testing.TB, r blobRow) ([]byte, *eval.Result) {
	t.Helper()
	res := evalFile(t, filepath.Join(groundTruthDir, r.source), nil)
	got, err := EmitNative(res.Profile, "")
	if err != nil || sha(got) != r.sha {
		t.Fatalf("%s: the emitter does not reproduce the blob (%v)", r.name, err)
	}
	return got, res
}

// The ground-truth blobs agree with their sources probe by probe, report
// bits and message filters included.
func TestCrossCheckGroundTruth(t *testing.T) {
	l := bytecode.DefaultLayout()
	voc := bytecode.VocabularyFor(l)
	for _, r := range groundTruthBlobs(t) {
		if r.emit != "yes" {
			continue
		}
		blob, res := groundTruthBlob(t, r)
		p, fs := bytecode.DecodeAndVerify(blob, l, voc)
		if fs.HasErrors() || len(fs) > 0 {
			t.Errorf("%s: findings %v", r.name, fs)
			continue
		}
		rep := CrossCheck(p, voc, res.Profile, CrossCheckOptions{})
		for _, d := range rep.Disagreements {
			t.Errorf("%s: %s %s: blob %s, source %s (%s)", r.name, d.Op, d.Resource, d.Blob, d.Source, d.Reason)
		}
		if rep.Agree == 0 {
			t.Errorf("%s: %+v", r.name, rep)
		}
	}
}
