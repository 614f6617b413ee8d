package gen

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeVector writes a synthetic vector: op table entries (node indexes),
// nodes and the SBPL source.
func writeVector(t *testing.T, dir, name string, opTable []int, nodes []decodedNode, src string) {
	t.Helper()
	d := filepath.Join(dir, VectorPrefix+name)
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	var b decodedBlob
	b.Header.OpCount = len(opTable)
	b.OpTable, b.Nodes = opTable, nodes
	js, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, "decoded.json"), js, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, name+".sb"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

var (
	testOps   = []string{"default", "a-op", "b-op", "c-op", "net-out", "msg-op"}
	allowNode = decodedNode{Kind: "terminal", Decision: "allow"}
	denyNode  = decodedNode{Kind: "terminal", Decision: "deny"}
)

func terminals(first int) []decodedNode {
	a, d := allowNode, denyNode
	a.I, d.I = first, first+1
	return []decodedNode{a, d}
}

func loadTest(dir string) (*Measured, error) {
	filterID := func(id int) string {
		if id == 1 {
			return "proto"
		}
		return ""
	}
	chain := func(op string) []string { return []string{op, "default"} }
	alias := func(op string) string {
		if op == "net" {
			return "net-out"
		}
		return ""
	}
	return LoadVectors(dir, testOps, filterID, chain, alias)
}

func TestLoadVectors(t *testing.T) {
	dir := t.TempDir()
	// (deny default): a-op points at allow, c-op at a filter (injected),
	// net-out at the user's filter. msg-op has no entry (op_count 5).
	filt := decodedNode{I: 0, Kind: "filter", Filter: 1, Arg: 6}
	writeVector(t, dir, "deny1", []int{2, 1, 2, 0, 0}, append([]decodedNode{filt}, terminals(1)...),
		"; comment (allow b-op)\n(version 1)\n(deny default)\n(allow net (proto TCP_ISH))\n")
	// (allow default): b-op points at deny.
	writeVector(t, dir, "allow1", []int{0, 0, 1, 0, 0}, terminals(0), "(version 1)\n(allow default)\n")
	ms, err := loadTest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms.Terminal) != 2 || ms.Terminal["a-op"] != "allow" || ms.Terminal["b-op"] != "deny" {
		t.Errorf("Terminal = %v", ms.Terminal)
	}
	if len(ms.Conditional) != 1 || ms.Conditional[0] != "c-op" {
		t.Errorf("Conditional = %v", ms.Conditional)
	}
	if ms.Values["proto"]["TCP_ISH"] != 6 || ms.OpCount != 5 {
		t.Errorf("Values = %v, OpCount %d", ms.Values, ms.OpCount)
	}
	if got := ms.AllVectors(); len(got) != 2 || got[0] != VectorPrefix+"allow1" {
		t.Errorf("AllVectors = %v", got)
	}

	// A second (deny default) vector that denies a-op contradicts the first.
	writeVector(t, dir, "deny2", []int{1, 1, 1, 1, 1}, terminals(0), "(version 1)\n(deny default)\n")
	if _, err := loadTest(dir); err == nil || !strings.Contains(err.Error(), "disagree on a-op") {
		t.Errorf("contradicting vectors: err = %v", err)
	}
}

func TestLoadVectorsErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := loadTest(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing vectors directory accepted")
	}
	writeVector(t, dir, "deny1", []int{1, 1, 1, 1, 1}, terminals(0), "(version 1)\n(deny default)\n")
	if _, err := loadTest(dir); err == nil || !strings.Contains(err.Error(), "need both") {
		t.Errorf("only a (deny default) vector: err = %v", err)
	}
	// Two vectors bind the same constant to different values.
	filt6 := decodedNode{I: 0, Kind: "filter", Filter: 1, Arg: 6}
	filt7 := decodedNode{I: 0, Kind: "filter", Filter: 1, Arg: 7}
	writeVector(t, dir, "allow1", []int{0, 0, 0, 0, 0}, terminals(0), "(allow default)")
	writeVector(t, dir, "p6", []int{2, 2, 2, 2, 0}, append([]decodedNode{filt6}, terminals(1)...), "(deny default)(allow net-out (proto X))")
	writeVector(t, dir, "p7", []int{2, 2, 2, 2, 0}, append([]decodedNode{filt7}, terminals(1)...), "(deny default)(allow net-out (proto X))")
	if _, err := loadTest(dir); err == nil || !strings.Contains(err.Error(), "disagree on (proto X)") {
		t.Errorf("contradicting constants: err = %v", err)
	}
	// An unknown filter id and a default that is not a decision.
	dir2 := t.TempDir()
	writeVector(t, dir2, "bad", []int{0, 0, 0, 0, 0}, []decodedNode{{I: 0, Kind: "filter", Filter: 9}, {I: 1, Kind: "terminal", Decision: "allow"}}, "(allow default)")
	if _, err := loadTest(dir2); err == nil || !strings.Contains(err.Error(), "decision node") {
		t.Errorf("default at a filter: err = %v", err)
	}
}
