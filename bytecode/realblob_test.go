package bytecode

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/diag"
)

// The one public collection (iOS 13.0 17A577; testdata/collections/
// PROVENANCE.md) decodes with the ios13 layout: 218 named profiles whose
// op tables stay in the node array, a pool that parses except for items
// of a kind the layout does not describe, and no error.
func TestIOS13Collection(t *testing.T) {
	data := readFile(t, filepath.Join(vectorsDir(t), "ios13.0_17A577_bundle", "17A577-sb_bundle.bin"))
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != "5d4c0944a8948bd48b05e83f3ee7ddc4f4f013c79aae7bc2efb38a0446ac3d52" {
		t.Fatalf("not the published blob: sha256 %x", sum)
	}
	l, _ := LookupLayout("ios13")
	p, fs := DecodeAndVerify(data, l, VocabularyFor(l))
	if p == nil || fs.HasErrors() {
		t.Fatalf("%v", fs)
	}
	h := p.Header
	if h.Type != TypeBundle || h.NodeCount != 50559 || h.OpCount != 145 || h.ProfileCount != 218 || h.RegexCount != 289 || h.VarCount != 11 || h.MessageCount != 6 {
		t.Errorf("header %+v", h)
	}
	if p.Records[0].Name != "AGXCompilerService" || p.Records[217].Name != "wifianalyticsd" || p.NodesAt != 64720 || p.PoolBase != 469192 {
		t.Errorf("first %q, last %q, nodes at %d, pool at %d", p.Records[0].Name, p.Records[217].Name, p.NodesAt, p.PoolBase)
	}
	versions := map[uint16]int{}
	for _, r := range p.Records {
		if !r.NameOK || len(r.OpTable) != 145 {
			t.Errorf("record %d: %+v", r.Index, r)
		}
		versions[r.Fields[0]]++
	}
	if len(versions) != 3 {
		t.Errorf("version field values %v", versions)
	}
	// The variable and message tables name strings.
	for _, c := range []struct {
		table []uint16
		want  string
	}{{p.VarTable, "FRONT_USER_HOME\x00"}, {p.Tables[2].Entries, "Create a radar and set it as a blocker to rdar://problem/485"}} {
		it, ok := p.ItemAt(int(c.table[0]))
		if !ok || !strings.HasPrefix(string(it.Data), c.want) {
			t.Errorf("table entry 0: %v %+v", ok, it)
		}
	}
	// Only warnings: the layout, six terminals with bytes 4..7 but no
	// inline flag, and the pool items of undescribed kinds (the 8-byte
	// network addresses of local and remote filters) the walk skipped.
	codes := map[string]int{}
	for _, f := range fs {
		if f.Severity != diag.Warning {
			t.Errorf("%s", f)
		}
		codes[f.Code]++
	}
	if codes[CodeHeader] != 1 || codes[CodeNode] != 6 || codes[CodePool] != 1 || len(codes) != 3 || p.PoolErrors != 8 {
		t.Errorf("findings %v, %d pool skips: %v", codes, p.PoolErrors, fs)
	}
	m, ok := p.Member("container")
	if !ok {
		t.Fatal("no container profile")
	}
	if n := p.Node(int(m.OpTable[0])); n == nil || n.Decision() != "deny" {
		t.Errorf("container's default: %+v", n)
	}
	if len(m.Entries()) < 50 {
		t.Errorf("container has %d distinct entries", len(m.Entries()))
	}
}

// TestRealBlobsFromEnv decodes the blobs the manifest SBPLC_REAL_BLOBS
// names (testdata/collections/PROVENANCE.md): each must have its sha256,
// decode and verify with no error, and have the profiles listed.
func TestRealBlobsFromEnv(t *testing.T) {
	manifest := os.Getenv("SBPLC_REAL_BLOBS")
	if manifest == "" {
		t.Skip("SBPLC_REAL_BLOBS is not set (see testdata/collections/PROVENANCE.md)")
	}
	f, err := os.Open(manifest)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	rows := 0
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		cols := strings.Split(text, "\t")
		if len(cols) != 4 {
			t.Fatalf("%s:%d: want 4 tab-separated columns (file, layout, sha256, profiles), got %d", manifest, line, len(cols))
		}
		rows++
		name, target, sum := cols[0], cols[1], strings.ToLower(cols[2])
		profiles, err := strconv.Atoi(cols[3])
		if err != nil {
			t.Fatalf("%s:%d: profiles %q: %v", manifest, line, cols[3], err)
		}
		l, ok := LookupLayout(target)
		if !ok {
			t.Fatalf("%s:%d: unknown layout %q", manifest, line, target)
		}
		data, err := os.ReadFile(filepath.Join(filepath.Dir(manifest), name))
		if err != nil {
			t.Fatalf("%s:%d: %v", manifest, line, err)
		}
		if got := sha256.Sum256(data); hex.EncodeToString(got[:]) != sum {
			t.Errorf("%s: sha256 %x, the manifest says %s", name, got, sum)
			continue
		}
		p, fs := DecodeAndVerify(data, l, VocabularyFor(l))
		for _, f := range fs {
			t.Logf("%s: %s", name, f)
		}
		switch {
		case p == nil || fs.HasErrors():
			t.Errorf("%s (%s): does not decode and verify", name, l.Name)
		case len(p.Records) != profiles:
			t.Errorf("%s (%s): %d profiles, the manifest says %d", name, l.Name, len(p.Records), profiles)
		default:
			t.Logf("%s: %s, %d profiles, %d nodes, %d pool items", name, p.LayoutText(), len(p.Records), len(p.Nodes), len(p.Items))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if rows == 0 {
		t.Fatalf("%s lists no blob", manifest)
	}
}
