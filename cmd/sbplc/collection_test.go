package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/bytecode"
)

// bcCollection writes a macOS 14 collection of two profiles over the
// graph of the golden_strict_1 vector: "strict" has its op table, "other"
// sends every operation to its deny node.
func bcCollection(t *testing.T) string {
	t.Helper()
	l := bytecode.DefaultLayout()
	p, err := bytecode.Decode(bcReadVector(t, strict1, strict1+".sb.bin"), l)
	if err != nil {
		t.Fatal(err)
	}
	im := &bytecode.Image{Type: bytecode.TypeBundle}
	for i := range p.Nodes {
		im.Nodes = append(im.Nodes, p.Nodes[i].Raw)
	}
	for _, it := range p.Items {
		im.Pool = append(im.Pool, p.Data()[it.Pos:it.End])
	}
	deny := make([]uint16, len(p.OpTable))
	for i := range deny {
		deny[i] = p.OpTable[0]
	}
	im.Profiles = []bytecode.ImageProfile{{Name: "strict", Ops: p.OpTable}, {Name: "other", Ops: deny}}
	data, err := im.Bytes(l)
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(t.TempDir(), "collection.bin")
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestDisasmCollection(t *testing.T) {
	coll := bcCollection(t)
	unverified := "warning: layout macos14 (profile collections) is unverified: no hash-verified blob confirms it"
	for _, c := range []struct {
		args           []string
		code           int
		stdout, stderr []string
	}{
		{[]string{"disasm", "--target", "macos14", coll}, 0,
			[]string{"; " + coll + ": macos14 collection (macOS 14 Sonoma, Darwin 23, unverified)", "[2 profiles]\n  strict: default deny report, ", "\n  other: default deny report, 1 distinct entry, policy_index 0\n"},
			[]string{unverified}},
		{[]string{"disasm", "--target", "macos14", "--member", "strict", coll}, 0,
			[]string{"profile strict, 1 of 2 in the collection", `(path (literal "/etc/hosts"))`}, nil},
		{[]string{"disasm", "--target", "macos14", "--member", "strict", "--format", "dot", coll}, 0,
			[]string{"digraph ", `profile strict; macos14 collection`}, nil},
		{[]string{"disasm", "--target", "macos14", "--format", "dot", coll}, 2,
			nil, []string{"is a profile collection of 2 profiles: --format dot draws one, choose it with --member NAME"}},
		{[]string{"disasm", "--target", "macos14", "--member", "nope", coll}, 2,
			nil, []string{`--member "nope": ` + coll + ` has no profile of that name (it has "other", "strict")`}},
		{[]string{"disasm", "--member", "strict", bcVectorFile(t, strict1, strict1+".sb.bin")}, 2,
			nil, []string{`is a single profile, not a profile collection`}},
		{[]string{"verify", "--target", "macos14", coll}, 0,
			[]string{coll + ": structure ok (macos14 collection, unverified layout: 2 profiles of 190 operations, "}, []string{unverified}},
		{[]string{"verify", "--target", "macos14", "--profile", bcVectorFile(t, strict1, "strict_1.sb.INFERRED"), coll}, 2,
			nil, []string{"is a profile collection of 2 profiles: --profile is cross-checked against one, choose it with --member NAME"}},
		{[]string{"verify", "--target", "macos14", "--member", "strict", "--profile", bcVectorFile(t, strict1, "strict_1.sb.INFERRED"), coll}, 0,
			[]string{`member "strict" is profile 1`, ": agrees"}, nil},
		{[]string{"verify", "--target", "macos14", "--member", "other", "--profile", bcVectorFile(t, strict1, "strict_1.sb.INFERRED"), coll}, 1,
			[]string{"disagrees"}, []string{"[cross-check]"}},
	} {
		stdout, stderr, code := runSbplc(t, "", c.args...)
		if code != c.code {
			t.Errorf("%v: exit %d, want %d\n%s%s", c.args, code, c.code, stdout, stderr)
			continue
		}
		for _, w := range c.stdout {
			if !strings.Contains(stdout, w) {
				t.Errorf("%v: stdout lacks %q:\n%s", c.args, w, stdout)
			}
		}
		for _, w := range c.stderr {
			if !strings.Contains(stderr, w) {
				t.Errorf("%v: stderr lacks %q:\n%s", c.args, w, stderr)
			}
		}
	}
	stdout, _, code := runSbplc(t, "", "verify", "--target", "macos14", "--format", "json", "--member", "other", coll)
	var got struct {
		Verified   bool   `json:"layout_verified"`
		OK         bool   `json:"ok"`
		Profiles   int    `json:"profiles"`
		Member     string `json:"member"`
		Operations int    `json:"operations"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || code != 0 || got.Verified || !got.OK || got.Profiles != 2 || got.Member != "other" || got.Operations != 190 {
		t.Errorf("verify json: %v, exit %d, %+v", err, code, got)
	}
	stdout, _, _ = runSbplc(t, "", "disasm", "--target", "macos14", "--format", "json", coll)
	var doc struct {
		Profiles []struct {
			Name string `json:"name"`
		} `json:"profiles"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || len(doc.Profiles) != 2 || doc.Profiles[1].Name != "other" {
		t.Errorf("disasm json: %v, %+v", err, doc)
	}
}
