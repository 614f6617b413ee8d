package compile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sbplc/sbplc/bytecode"
	"github.com/sbplc/sbplc/eval"
	"github.com/sbplc/sbplc/source"
)

// FuzzEmitNative checks the emitter's contract on any source: no panic;
// either a refusal naming a construct, or a blob that decodes and
// verifies cleanly and whose decisions agree with the source probe by
// probe ("verify of its own output must pass").
func FuzzEmitNative(f *testing.F) {
	srcs, _ := filepath.Glob(filepath.Join(groundTruthDir, "sources", "*.sb"))
	for _, p := range srcs {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("(version 1)(deny default)(allow network-outbound (require-any (socket-domain AF_INET) (socket-type SOCK_DGRAM)))"))
	f.Add([]byte("(version 1)(allow default)(deny file-write* (subpath \"/private/var\"))(deny process-exec (literal \"/bin/sh\"))"))
	l := bytecode.DefaultLayout()
	voc := bytecode.VocabularyFor(l)
	f.Fuzz(func(t *testing.T, src []byte) {
		if len(src) > 4096 {
			return
		}
		res := eval.Run(source.NewFile("f.sb", src), eval.Options{Target: "macos14", StrictParams: true})
		if res.Diags.HasErrors() {
			return
		}
		blob, err := EmitNative(res.Profile, "")
		if err != nil {
			var ue *UnsupportedError
			if !errors.As(err, &ue) || ue.Construct == "" || ue.Why == "" {
				t.Fatalf("not a refusal naming a construct: %v", err)
			}
			return
		}
		p, fs := bytecode.DecodeAndVerify(blob, l, voc)
		if p == nil || len(fs) > 0 {
			t.Fatalf("own output does not verify: %v\n%s", fs, src)
		}
		rep := CrossCheck(p, voc, res.Profile, CrossCheckOptions{MaxProbes: 5000})
		if len(rep.Disagreements) > 0 {
			d := rep.Disagreements[0]
			t.Fatalf("own output disagrees with the source: %s %s: blob %s, source %s\n%s", d.Op, d.Resource, d.Blob, d.Source, src)
		}
	})
}
