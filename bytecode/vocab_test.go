package bytecode

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// rawVocab is a Vocabulary read straight from the research lists in
// ../shared/vocab/raw (macOS 14.4.1), independent of package vocab.
type rawVocab struct {
	ops     []string
	filters []string
	kinds   map[string]string
}

func (r *rawVocab) OperationName(id int) (string, bool) {
	if id < 0 || id >= len(r.ops) {
		return "", false
	}
	return r.ops[id], true
}

func (r *rawVocab) OperationID(name string) (int, bool) {
	for i, n := range r.ops {
		if n == name {
			return i, true
		}
	}
	return 0, false
}

func (r *rawVocab) Filter(id int) (FilterInfo, bool) {
	if id < 1 || id > len(r.filters) {
		return FilterInfo{}, false
	}
	name := r.filters[id-1]
	k := r.kinds[name]
	fi := FilterInfo{Name: name, ArgKind: k, Kind: argKindOf(k)}
	return fi, true
}

var rawVocabCache *rawVocab

func loadRawVocab(t testing.TB) *rawVocab {
	t.Helper()
	if rawVocabCache != nil {
		return rawVocabCache
	}
	dir := filepath.Join(filepath.Dir(vectorsDir(t)), "..", "vocab")
	var ops struct {
		Names []string `json:"names"`
	}
	var fks struct {
		Names []string `json:"names"`
	}
	read := func(name string, v any) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	read("raw/sonoma_operation_names.json", &ops)
	read("raw/sonoma_filter_kinds.json", &fks)
	var all []struct {
		Name    string `json:"name"`
		Form    string `json:"form"`
		ArgKind string `json:"arg_kind"`
	}
	read("filters.json", &all)
	r := &rawVocab{ops: ops.Names, filters: fks.Names, kinds: map[string]string{}}
	for _, f := range all {
		if f.Form == "base-filter" {
			r.kinds[f.Name] = f.ArgKind
		}
	}
	rawVocabCache = r
	return r
}

// testVocab is the vocabulary the tests decode with.
func testVocab(t testing.TB) Vocabulary { return VocabularyFor(DefaultLayout()) }

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// The embedded vocabulary names every operation and filter id of macOS 14
// exactly as libsandbox's own tables do.
func TestEmbeddedVocabularyMatchesLibsandboxTables(t *testing.T) {
	raw := loadRawVocab(t)
	v := VocabularyFor(DefaultLayout())
	for id := 0; id < DefaultLayout().OpCount; id++ {
		want, _ := raw.OperationName(id)
		if got, ok := v.OperationName(id); !ok || got != want {
			t.Errorf("op %d: %q, libsandbox %q", id, got, want)
		}
	}
	for id := 1; id <= len(raw.filters); id++ {
		want, _ := raw.Filter(id)
		got, ok := v.Filter(id)
		if !ok || got.Name != want.Name || got.Kind != want.Kind {
			t.Errorf("filter %d: %+v, libsandbox %+v", id, got, want)
		}
	}
	for id, name := range map[int]string{1: "path", 10: "control-name", 11: "socket-domain", 12: "socket-type", 13: "socket-protocol", 14: "target"} {
		if got := FilterName(v, uint8(id)); got != name {
			t.Errorf("blob filter %d = %s, want %s (format doc, verified blobs)", id, got, name)
		}
	}
}
