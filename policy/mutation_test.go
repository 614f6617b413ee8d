package policy_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/bytecode"
	"github.com/sbplc/sbplc/compile"
	"github.com/sbplc/sbplc/corpus"
	"github.com/sbplc/sbplc/eval"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/policy"
	"github.com/sbplc/sbplc/source"
)

// The fidelity suite is every piece of ground truth about libsandbox
// 14.4.1 the project has: the compiled vectors of ../shared/bytecode
// (cross-checked against their sources), the published-hash blobs of
// testdata/groundtruth (reproduced by the native emitter, then
// cross-checked) and the runtime outcomes of testdata/groundtruth/runtime.
// TestModelMutations runs it against deliberately wrong decision models:
// each must be rejected, or be listed in survivors with the ground truth
// that would reject it.

const groundTruth = "../testdata/groundtruth"

// fidelityCase is one piece of ground truth: run reports what contradicts
// the engine ("" when it agrees).
type fidelityCase struct {
	name string
	run  func() string
}

type blobCase struct {
	name string
	blob []byte
	prof *ir.Profile
}

func loadBlobCases(t *testing.T) []blobCase {
	t.Helper()
	var out []blobCase
	shared, err := corpus.SharedDir()
	if err != nil {
		t.Skipf("shared research data not available: %v", err)
	}
	dir := filepath.Join(shared, "bytecode", "vectors")
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), "sonoma14.4.1_") {
			continue
		}
		d := filepath.Join(dir, e.Name())
		blob, err := os.ReadFile(filepath.Join(d, e.Name()+".sb.bin"))
		if err != nil {
			t.Fatal(err)
		}
		params := map[string]string{}
		var src *source.File
		files, _ := os.ReadDir(d)
		for _, f := range files {
			n := f.Name()
			b, _ := os.ReadFile(filepath.Join(d, n))
			switch {
			case strings.HasSuffix(n, ".sb") || strings.HasSuffix(n, ".sb.INFERRED"):
				src = source.NewFile(n, b)
			case n == "params.json":
				if err := json.Unmarshal(b, &params); err != nil {
					t.Fatal(err)
				}
			}
		}
		res := eval.Run(src, eval.Options{Params: params, Target: "macos14"})
		out = append(out, blobCase{"vector " + strings.TrimPrefix(e.Name(), "sonoma14.4.1_"), blob, res.Profile})
	}
	f, err := os.Open(filepath.Join(groundTruth, "blobs.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 5 || strings.HasPrefix(c[0], "#") || c[3] != "yes" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(groundTruth, c[4]))
		if err != nil {
			t.Fatal(err)
		}
		res := eval.Run(source.NewFile(filepath.Base(c[4]), b), eval.Options{Target: "macos14", StrictParams: true})
		blob, err := compile.EmitNative(res.Profile, "")
		h := sha256.Sum256(blob)
		if err != nil || hex.EncodeToString(h[:]) != c[1] {
			t.Fatalf("%s: the native emitter does not reproduce the published blob (%v)", c[0], err)
		}
		out = append(out, blobCase{"blob " + c[0], blob, res.Profile})
	}
	return out
}

func fidelitySuite(t *testing.T) []fidelityCase {
	t.Helper()
	l := bytecode.DefaultLayout()
	voc := bytecode.VocabularyFor(l)
	var out []fidelityCase
	for _, bc := range loadBlobCases(t) {
		p, fs := bytecode.DecodeAndVerify(bc.blob, l, voc)
		if fs.HasErrors() {
			t.Fatalf("%s: %v", bc.name, fs)
		}
		out = append(out, fidelityCase{bc.name, func() string {
			rep := compile.CrossCheck(p, voc, bc.prof, compile.CrossCheckOptions{})
			if len(rep.Disagreements) == 0 {
				return ""
			}
			d := rep.Disagreements[0]
			return fmt.Sprintf("%s %s: blob %s, engine %s", d.Op, d.Resource, d.Blob, d.Source)
		}})
	}
	files, err := filepath.Glob(filepath.Join(groundTruth, "runtime", "*.sb"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no runtime outcomes: %v", err)
	}
	for _, fn := range files {
		b, err := os.ReadFile(fn)
		if err != nil {
			t.Fatal(err)
		}
		f := source.NewFile(filepath.Base(fn), b)
		xs, ds := policy.ParseExpectations(f, "", false)
		if ds.HasErrors() || len(xs) == 0 {
			t.Fatalf("%s: %v", fn, ds)
		}
		for _, x := range xs {
			x := x
			out = append(out, fidelityCase{"runtime " + x.Span.String(), func() string {
				res := eval.Run(f, eval.Options{Target: "macos14"})
				e, _ := policy.New(res.Profile, policy.Options{Target: "macos14"})
				if c := e.Check(x); !c.Pass {
					return fmt.Sprintf("expect %s %s %s: %s", x.Want, x.Op, x.Resource, c.Problem)
				}
				return ""
			}})
		}
	}
	return out
}

// survivors are the wrong models no ground truth rejects yet, with the
// fact that would. A survivor missing here fails the test; so does a
// listed model that is rejected now (remove it).
var survivors = map[string]string{
	"first-match-wins":       "two filtered rules that both match one request, in a hash-verified blob with a published source or a runtime outcome (golden_strict_1's two rules never match the same path, and its source order is inferred from the blob)",
	"allow-wins":             "a filtered allow and a filtered deny that both match one request, written allow first: e.g. (allow file-read* (subpath A)) (deny file-read* (literal A/x)) compiled or applied on 14.4.1 (golden_strict_1 has no overlap of its two rules)",
	"deny-wins":              "a filtered allow and a filtered deny that both match one request, written deny first: e.g. (deny file-read* (subpath A)) (allow file-read* (literal A/x)) compiled or applied on 14.4.1",
	"unfiltered-at-position": "an unfiltered rule written after a filtered rule of the same operation, e.g. (allow file-read* (literal A)) (deny file-read*) compiled on 14.4.1 (the native emitter refuses that shape)",
	"regex-anchored":         "any regex: a blob or runtime outcome of a rule such as (allow file-read* (regex #\"/x$\")) probed with /a/x",
	"wildcard-expansion":     "rules on a child and its wildcard that disagree, e.g. (allow file-read-data (literal A)) (deny file-read* (literal A)) and the reverse, compiled or applied on 14.4.1",
}

// inferredSource are the vectors whose source is inferred from the blob:
// they cannot reject an ordering model (the order was read off the blob).
var inferredSource = map[string]bool{"vector golden_strict_1": true, "vector baseline_deny_all": true, "vector allow_all": true}

// TestModelMutations checks the measure of what the ground truth proves:
// every deliberately wrong decision model must fail some case of the
// fidelity suite, or be a listed survivor. go test -v prints the table.
func TestModelMutations(t *testing.T) {
	suite := fidelitySuite(t)
	for _, c := range suite {
		if why := c.run(); why != "" {
			t.Fatalf("the real model fails its own ground truth: %s: %s", c.name, why)
		}
	}
	t.Logf("fidelity suite: %d cases", len(suite))
	killedBy := map[string][]string{}
	example := map[string]string{}
	inferredKills := map[string]int{}
	for _, m := range policy.Mutations() {
		if !policy.SetMutation(m) {
			t.Fatalf("unknown mutation %s", m)
		}
		for _, c := range suite {
			if why := c.run(); why != "" {
				if ordering(m) && inferredSource[c.name] {
					inferredKills[m]++
					continue
				}
				killedBy[m] = append(killedBy[m], c.name)
				if example[m] == "" {
					example[m] = c.name + ": " + why
				}
			}
		}
		policy.SetMutation("")
	}
	killed := 0
	for _, m := range policy.Mutations() {
		ks := killedBy[m]
		need, listed := survivors[m]
		switch {
		case len(ks) > 0 && listed:
			t.Errorf("%s is now rejected (%s): remove it from the survivors", m, example[m])
		case len(ks) == 0 && !listed:
			t.Errorf("wrong model %s survives the whole fidelity suite: add the ground truth that rejects it (or list it in survivors with the missing fact)", m)
		}
		if len(ks) > 0 {
			killed++
			sort.Strings(ks)
			t.Logf("%-36s rejected by %d cases, e.g. %s", m, len(ks), example[m])
		} else {
			note := ""
			if n := inferredKills[m]; n > 0 {
				note = fmt.Sprintf(" (rejected only by %d vector(s) with an inferred source, not counted)", n)
			}
			t.Logf("%-36s SURVIVES%s: needs %s", m, note, need)
		}
	}
	t.Logf("%d of %d wrong models rejected", killed, len(policy.Mutations()))
}

func ordering(m string) bool {
	switch m {
	case "first-match-wins", "deny-wins", "allow-wins", "unfiltered-at-position", "wildcard-expansion":
		return true
	}
	return false
}
