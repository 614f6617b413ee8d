package bytecode

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/diag"
)

// The (version 2) message-filter blob rebuilt from libsandbox's write
// trace (sha256 f8aaa1de..., published; testdata/groundtruth) decodes:
// type 0x4000, a policy table naming the deny node, an inline
// message-filter terminal on iokit-open-user-client, and the integer-set
// arguments of the syscall allow-lists libsandbox adds under (version 2).
func TestDecodeMessageFilterBlob(t *testing.T) {
	data, err := os.ReadFile("../testdata/groundtruth/blobs/mf_v2_deny_external_method.sb.bin")
	if err != nil {
		t.Fatal(err)
	}
	voc := testVocab(t)
	p, fs := DecodeAndVerify(data, DefaultLayout(), voc)
	if p == nil || len(fs) > 0 {
		t.Fatalf("findings on a real blob: %v", fs)
	}
	if p.Header.Type != TypeMessageFilters || !reflect.DeepEqual(p.PolicyTable, []uint16{9}) || p.OpTableAt != 16 {
		t.Fatalf("header %+v policies %v op table at %d", p.Header, p.PolicyTable, p.OpTableAt)
	}
	id := func(name string) int {
		n, ok := voc.OperationID(name)
		if !ok {
			t.Fatalf("no operation %s", name)
		}
		return n
	}
	m := p.Node(int(p.OpTable[id("iokit-open-user-client")]))
	if m.Decision() != "allow" || m.Flags != FlagInline || m.ModType != ModMessageFilter || int(m.ModArgID) != id("iokit-external-method") || m.ModValue != 0 {
		t.Errorf("message-filter terminal %+v", *m)
	}
	if got := p.Describe(voc, m); got != "allow inline-modifier [modifier 19 arg 192 value 0]" {
		t.Errorf("describe: %s", got)
	}
	for _, c := range []struct {
		op, filter string
		set        []int
		yes, no    int
	}{{"syscall-unix", "syscall-number", []int{1, 37}, 37, 2}, {"syscall-mach", "machtrap-number", []int{100}, 100, 99}} {
		n := p.Node(int(p.OpTable[id(c.op)]))
		a := p.FilterArg(voc, n)
		if FilterName(voc, n.Filter) != c.filter || !a.IntSet || !reflect.DeepEqual(a.Set, c.set) {
			t.Errorf("%s: %s %+v", c.op, FilterName(voc, n.Filter), a)
		}
		for v, want := range map[int]string{c.yes: "allow", c.no: "deny"} {
			if got := p.Evaluate(voc, id(c.op), Request{Ints: map[string]int{c.filter: v}}); got.Decision != want {
				t.Errorf("%s %s=%d: %+v, want %s", c.op, c.filter, v, got, want)
			}
		}
	}
}

// A corrupt message-filter blob is rejected with the part named.
func TestMessageFilterBlobCorruptions(t *testing.T) {
	orig, err := os.ReadFile("../testdata/groundtruth/blobs/mf_v2_deny_external_method.sb.bin")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		at   int
		val  byte
		want string
	}{
		{"policy root out of range", 14, 200, "policy 0 points to node 200"},
		{"message op inside the op table", 456 + 5, 63, "message-filter operations are numbered after it"},
		{"policy index out of range", 456 + 6, 3, "message filter policy 3, but the policy table has 1 entries"},
		{"set header", 480, 7, "integer-set item starts with 07 00"},
	} {
		b := append([]byte(nil), orig...)
		b[c.at] = c.val
		_, fs := DecodeAndVerify(b, DefaultLayout(), testVocab(t))
		if !fs.HasErrors() || !containsMessage(fs, c.want) {
			t.Errorf("%s: %v, want %q", c.name, fs, c.want)
		}
	}
}

func containsMessage(fs Findings, s string) bool {
	for _, f := range fs {
		if f.Severity >= diag.Error && strings.Contains(f.Message, s) {
			return true
		}
	}
	return false
}
