package bytecode

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/diag"
)

// layoutOps is the op count of the synthetic images: what libsandbox
// writes where the layout knows it, else a small table.
func layoutOps(l Layout) int {
	if l.OpCount > 0 {
		return l.OpCount
	}
	return 12
}

// synthImage builds a small image in layout l's single or collection form:
// a literal and a subpath path filter (filter byte 1 is path in every
// vocabulary sbplc has), allow and deny|report terminals, a regex and a
// pattern-variable table, and with policies a message-filter policy (the
// deny node) that an inline terminal applies.
func synthImage(t testing.TB, l Layout, collection, policies bool) *Image {
	t.Helper()
	ops := layoutOps(l)
	lit, err := EncodeLiteral("/private/tmp/x")
	if err != nil {
		t.Fatal(err)
	}
	sub, err := EncodeSubpath("/Library")
	if err != nil {
		t.Fatal(err)
	}
	im := &Image{}
	add := func(item []byte) uint16 {
		u := uint16(im.PoolUnit())
		im.Pool = append(im.Pool, item)
		return u
	}
	uLit, uSub := add(ProgramItem(lit)), add(ProgramItem(sub))
	im.Regex = []uint16{add(ProgramItem([]byte{0, 0, 0, 3, 0, 2, 0x19, 0x05}))}
	im.Vars = []uint16{add(ProgramItem([]byte("HOME\x00")))}
	im.Nodes = [][8]byte{
		FilterNodeBytes(1, uLit, 2, 1),
		FilterNodeBytes(1, uSub, 2, 3),
		TerminalBytes(0, 0, 0, 0),
		TerminalBytes(FlagDeny|FlagReport, 0, 0, 0),
	}
	if policies {
		im.Nodes = append(im.Nodes, TerminalBytes(FlagInline, ModMessageFilter, uint8(ops+2), 0))
		im.Policies = []uint16{3}
		im.PolicyExtra = []byte{0xa5, 0x5a}
	}
	table := func(def uint16, set map[int]uint16) []uint16 {
		out := make([]uint16, ops)
		for i := range out {
			out[i] = def
		}
		for k, v := range set {
			out[k] = v
		}
		return out
	}
	mf := map[int]uint16{1: 0}
	if policies {
		mf[5] = 4
	}
	if !collection {
		im.Ops = table(3, mf)
		if policies {
			im.Type = TypeMessageFilters
		}
		return im
	}
	im.Type = TypeBundle
	im.Profiles = []ImageProfile{
		{Name: "alpha", Fields: []uint16{1, 2, 3}, Ops: table(3, map[int]uint16{1: 0})},
		{Name: "beta", Fields: []uint16{7}, Ops: table(2, map[int]uint16{2: 1})},
		{Name: "gamma.service", Ops: table(3, mf)},
	}
	f := l.Collection
	for i := range im.Profiles {
		m := &im.Profiles[i]
		m.Fields = m.Fields[:min(len(m.Fields), f.RecordPrefix/2-1)]
	}
	return im
}

// imageOf rebuilds the image a decoded profile or collection was laid
// out from (a collection's names are the last pool items, as Bytes
// writes them).
func imageOf(p *Profile) *Image {
	im := &Image{Type: p.Header.Type, Regex: p.RegexTable, Vars: p.VarTable, Policies: p.PolicyTable, PolicyExtra: p.PolicyExtra}
	names := map[int]bool{}
	for _, r := range p.Records {
		names[int(r.NameUnit)] = true
		im.Profiles = append(im.Profiles, ImageProfile{Name: r.Name, Fields: r.Fields, Ops: r.OpTable})
	}
	if !p.IsCollection() {
		im.Ops = p.OpTable
	}
	for i := range p.Nodes {
		im.Nodes = append(im.Nodes, p.Nodes[i].Raw)
	}
	for _, it := range p.Items {
		if !names[it.Unit] {
			im.Pool = append(im.Pool, p.Data()[it.Pos:it.End])
		}
	}
	return im
}

func formOf(l Layout, collection bool) *Format {
	if collection {
		return l.Collection
	}
	return &l.Format
}

// forms lists every form of every layout: name, layout, collection.
func forms() []struct {
	name       string
	l          Layout
	collection bool
} {
	var out []struct {
		name       string
		l          Layout
		collection bool
	}
	for _, l := range Layouts() {
		if l.HeaderSize > 0 {
			out = append(out, struct {
				name       string
				l          Layout
				collection bool
			}{l.Name + "/single", l, false})
		}
		if l.Collection != nil {
			out = append(out, struct {
				name       string
				l          Layout
				collection bool
			}{l.Name + "/collection", l, true})
		}
	}
	return out
}

// Every form of every layout: the encoder's image decodes to what was
// encoded, verifies with no finding but the unverified-layout warning,
// and encodes back to the same bytes.
func TestLayoutRoundTrip(t *testing.T) {
	for _, fm := range forms() {
		for _, policies := range []bool{false, true} {
			if _, ok := formOf(fm.l, fm.collection).table(TablePolicies); policies && !ok {
				continue
			}
			name := fmt.Sprintf("%s/policies=%v", fm.name, policies)
			im := synthImage(t, fm.l, fm.collection, policies)
			data, err := im.Bytes(fm.l)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			voc := VocabularyFor(fm.l)
			p, fs := DecodeAndVerify(data, fm.l, voc)
			if p == nil {
				t.Fatalf("%s: %v", name, fs)
			}
			f := p.Format()
			var want Findings
			if !f.Verified {
				want = Findings{{Severity: diag.Warning, Code: CodeHeader, Offset: -1, Message: unverifiedMessage(p)}}
			}
			if !reflect.DeepEqual(fs, want) {
				t.Errorf("%s: findings %v", name, fs)
			}
			if !strings.Contains(p.LayoutText(), map[bool]string{true: "unverified", false: " verified"}[!f.Verified]) {
				t.Errorf("%s: layout text %q", name, p.LayoutText())
			}
			if p.IsCollection() != fm.collection || len(p.Records) != len(im.Profiles) {
				t.Fatalf("%s: collection %v, %d records", name, p.IsCollection(), len(p.Records))
			}
			for i, r := range p.Records {
				if !r.NameOK || r.Name != im.Profiles[i].Name || !reflect.DeepEqual(r.OpTable, im.Profiles[i].Ops) {
					t.Errorf("%s: record %d = %+v", name, i, r)
				}
			}
			if fmt.Sprint(p.RegexTable, p.VarTable, p.PolicyTable) != fmt.Sprint(im.Regex, im.Vars, im.Policies) {
				t.Errorf("%s: tables %v %v %v", name, p.RegexTable, p.VarTable, p.PolicyTable)
			}
			if policies && f.PolicyExtra > 0 {
				if len(p.PolicyExtra) != f.PolicyExtra || !bytes.HasPrefix(p.PolicyExtra, im.PolicyExtra) {
					t.Errorf("%s: policy block %x", name, p.PolicyExtra)
				}
			} else if p.PolicyExtra != nil {
				t.Errorf("%s: policy block %x without one in the layout", name, p.PolicyExtra)
			}
			again, err := imageOf(p).Bytes(fm.l)
			if err != nil || !bytes.Equal(again, data) {
				t.Errorf("%s: re-encoding differs (%v)", name, err)
			}
		}
	}
}

// The members of a collection are profiles of their own: each evaluates
// its op table over the shared graph.
func TestCollectionMembers(t *testing.T) {
	for _, name := range []string{"macos14", "macos15"} { // the layouts with a path filter in the vocabulary
		l, _ := LookupLayout(name)
		data, err := synthImage(t, l, true, true).Bytes(l)
		if err != nil {
			t.Fatal(err)
		}
		voc := VocabularyFor(l)
		p, fs := DecodeAndVerify(data, l, voc)
		if fs.HasErrors() {
			t.Fatal(fs)
		}
		if _, ok := p.Member("delta"); ok {
			t.Errorf("%s: a member that is not there", name)
		}
		for _, c := range []struct {
			member string
			op     int
			path   string
			want   string
		}{
			{"alpha", 1, "/private/tmp/x", "allow"},
			{"alpha", 1, "/Library/y", "allow"},
			{"alpha", 1, "/etc", "deny"},
			{"alpha", 2, "/private/tmp/x", "deny"},
			{"beta", 0, "/etc", "allow"},
			{"beta", 2, "/Library", "allow"},
			{"beta", 2, "/etc", "deny"},
			{"gamma.service", 1, "/etc", "deny"},
		} {
			m, ok := p.Member(c.member)
			if !ok {
				t.Fatalf("%s: no member %s", name, c.member)
			}
			r, _ := m.MemberRecord()
			if r.Name != c.member || m.OpTableAt != r.OpTableAt {
				t.Errorf("%s: member %s shows record %+v", name, c.member, r)
			}
			o := m.Evaluate(voc, c.op, Request{Strings: map[string]string{"path": c.path}})
			if o.Decision != c.want {
				t.Errorf("%s: %s op %d on %s: %+v, want %s", name, c.member, c.op, c.path, o, c.want)
			}
		}
		// The collection itself has no op table; verifying a member
		// verifies the collection.
		if o := p.Evaluate(voc, 1, Request{}); o.Decision != "" {
			t.Errorf("%s: the collection evaluates: %+v", name, o)
		}
		m, _ := p.Member("beta")
		if got := Verify(m, voc); !reflect.DeepEqual(got, fs) {
			t.Errorf("%s: member verify %v, collection %v", name, got, fs)
		}
	}
}

// A collection's text disassembly lists its profiles; a member's shows
// its graph; JSON lists the records; dot draws members only.
func TestCollectionDisasm(t *testing.T) {
	l, _ := LookupLayout("ios18")
	data, err := synthImage(t, l, true, true).Bytes(l)
	if err != nil {
		t.Fatal(err)
	}
	voc := VocabularyFor(l)
	p, fs := DecodeAndVerify(data, l, voc)
	if fs.HasErrors() {
		t.Fatal(fs)
	}
	var b strings.Builder
	if err := p.WriteText(&b, "c.bin", voc, false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"; c.bin: ios18 collection (iOS 18, Darwin 24, unverified), ",
		", 1 policies, 3 profiles\n",
		"; unknown header field at offset 14: 0\n",
		"; 72 bytes of unknown meaning after the policy table, at 22: a55a0000",
		"[3 profiles]\n",
		"  alpha: default deny report, 2 distinct entries, flags 1, policy_index 2, unknown 3\n",
		"  beta: default allow, 2 distinct entries, flags 7, policy_index 0, unknown 0\n",
		"  gamma.service: default deny report, 3 distinct entries, flags 0",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("collection text lacks %q:\n%s", want, b.String())
		}
	}
	if err := p.WriteDot(&strings.Builder{}, "c.bin", voc, false); err != ErrCollectionGraph {
		t.Errorf("dot of a collection: %v", err)
	}
	m, _ := p.Member("beta")
	b.Reset()
	if err := m.WriteText(&b, "c.bin", voc, false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"; c.bin: profile beta, 2 of 3 in the collection; ios18 collection (iOS 18, Darwin 24, unverified), ",
		"[1 operation] op#2\n  node 1: (filter#1 3 ; pool item (subpath \"/Library\"))\n",
		"[11 operations] op#0, op#1, op#3,",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("member text lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	if err := m.WriteDot(&b, "c.bin", voc, false); err != nil || !strings.Contains(b.String(), `label="c.bin: profile beta; ios18 collection`) {
		t.Errorf("member dot: %v\n%s", err, b.String())
	}
	var bb bytes.Buffer
	if err := m.WriteJSON(&bb, "c.bin", voc, fs); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Member     string `json:"member"`
		Verified   bool   `json:"layout_verified"`
		Operations []struct {
			Node int `json:"node"`
		} `json:"operations"`
		Profiles []struct {
			Name    string         `json:"name"`
			Fields  map[string]int `json:"fields"`
			OpTable []int          `json:"op_table"`
		} `json:"profiles"`
		PolicyBlock string `json:"policy_block"`
		Header      struct {
			Unknown []FieldValue `json:"unknown_fields"`
		} `json:"header"`
	}
	if err := json.Unmarshal(bb.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, bb.String())
	}
	if doc.Member != "beta" || doc.Verified || len(doc.Operations) != 12 || doc.Operations[2].Node != 1 ||
		len(doc.Profiles) != 3 || doc.Profiles[0].Fields["unknown"] != 3 || doc.Profiles[2].OpTable[1] != 0 ||
		!strings.HasPrefix(doc.PolicyBlock, "a55a00") || !reflect.DeepEqual(doc.Header.Unknown, []FieldValue{{Offset: 14}}) {
		t.Errorf("json: %+v", doc)
	}
}

// Hand-built blobs (not from the encoder) pin each source's field
// positions: a change to the layout table that moves a field fails here.
func TestLayoutFieldPositions(t *testing.T) {
	le := binary.LittleEndian
	// node: allow terminal; pool: the names.
	allow := []byte{1, 0, 0, 0, 0, 0, 0, 0}
	pad8 := func(b []byte) []byte {
		for len(b)%8 != 0 {
			b = append(b, 0)
		}
		return b
	}
	name := func(s string) []byte { // u16 length with the NUL, then the string and NUL
		b := le.AppendUint16(nil, uint16(len(s)+1))
		return append(append(b, s...), 0)
	}
	type want struct {
		names   []string
		fields  []uint16
		ops     int
		regex   int
		policy  []uint16
		extra   int
		unknown []FieldValue
	}
	cases := []struct {
		layout string
		blob   []byte
		want   want
	}{{
		// sandblaster_26 -r 18: policies u16@8, profiles u16@10, regex
		// u16@12, u16@14; tables from 16: regex, vars, states,
		// policies, 72 bytes; records {name, 3 words, ops}.
		"ios18", func() []byte {
			b := []byte{0x00, 0x80, 1, 0, 2, 0, 0, 0, 1, 0, 1, 0, 0, 0, 9, 0}
			b = append(b, 0, 0)                // policy 0 -> node 0
			b = append(b, make([]byte, 72)...) // the block
			b = append(b, 0, 0, 5, 0, 6, 0, 7, 0, 0, 0, 0, 0)
			b = append(pad8(b), allow...)
			return append(b, name("solo")...)
		}(), want{[]string{"solo"}, []uint16{5, 6, 7}, 2, 0, []uint16{0}, 72, []FieldValue{{Offset: 14, Value: 9}}},
	}, {
		// Cellebrite -r 17: the macOS 14 header (profiles u16@8, regex
		// u16@10, policies u16@12); tables from 14; records {name, word, ops}.
		"ios17", func() []byte {
			b := []byte{0x00, 0x80, 1, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0}
			b = append(b, 0, 0, 3, 0, 0, 0, 1, 0, 4, 0, 0, 0)
			b = append(pad8(b), allow...)
			return append(pad8(append(b, name("a")...)), name("b")...)
		}(), want{[]string{"a", "b"}, []uint16{3, 4}, 1, 0, nil, 0, nil},
	}, {
		// ipsw header16: profiles u16@8, regex u16@10, policies u16@12,
		// extension count u8@6, unknown count u16@14, u8@7; tables
		// regex, vars, policies, extension, unknown; records {name,
		// flags, policy index, ops}.
		"ios16", func() []byte {
			b := []byte{0x00, 0x80, 1, 0, 1, 0, 2, 0xee, 1, 0, 0, 0, 0, 0, 1, 0}
			b = append(b, 0x11, 0, 0x22, 0, 0x33, 0) // extension x2, unknown x1
			b = append(b, 0, 0, 8, 0, 9, 0, 0, 0)
			b = append(pad8(b), allow...)
			return append(b, name("ipsw")...)
		}(), want{[]string{"ipsw"}, []uint16{8, 9}, 1, 0, nil, 0,
			[]FieldValue{{Offset: 6, Name: "extension count", Value: 2}, {Offset: 14, Name: "unknown count", Value: 1}, {Offset: 7, Value: 0xee}}},
	}, {
		// Proteas iOS 13: profiles u16@6, regex u16@8, vars u8@10,
		// messages u8@11; tables regex, vars, messages; records {name,
		// version, ops}.
		"ios13", func() []byte {
			b := []byte{0x00, 0x80, 1, 0, 1, 0, 1, 0, 0, 0, 0, 1}
			b = append(b, 1, 0)                   // message 0 -> pool unit 1
			b = append(b, 0, 0, 2, 0, 0, 0, 0, 0) // one record, op table, padding
			b = append(pad8(b), allow...)
			return append(pad8(append(b, name("p13")...)), name("msg")...)
		}(), want{[]string{"p13"}, []uint16{2}, 1, 0, nil, 0, []FieldValue{{Offset: 5}}},
	}, {
		// 0x3c3e/sandblaster (macOS 15.2+) and sandblaster_26 -r 18: a
		// single profile with regex u16@12, policies u16@10, 72 bytes
		// after the policy table, then the op table.
		"macos15", func() []byte {
			b := []byte{0x00, 0x40, 1, 0, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0}
			b = append(b, 0, 0)
			b = append(b, make([]byte, 72)...)
			b = append(b, 0, 0, 0, 0)
			return append(pad8(b), allow...)
		}(), want{nil, nil, 2, 0, []uint16{0}, 72, []FieldValue{{Offset: 14}}},
	}, {
		// sandblaster_26 -r 26: the same with a 76-byte block.
		"macos26", func() []byte {
			b := []byte{0x00, 0x40, 1, 0, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0}
			b = append(b, 0, 0)
			b = append(b, make([]byte, 76)...)
			b = append(b, 0, 0, 0, 0)
			return append(pad8(b), allow...)
		}(), want{nil, nil, 2, 0, []uint16{0}, 76, []FieldValue{{Offset: 14}}},
	}}
	for _, c := range cases {
		l, _ := LookupLayout(c.layout)
		p, err := Decode(c.blob, l)
		if err != nil {
			t.Errorf("%s: %v", c.layout, err)
			continue
		}
		var names []string
		var fields []uint16
		for _, r := range p.Records {
			names = append(names, r.Name)
			fields = append(fields, r.Fields...)
		}
		got := want{names, fields, int(p.Header.OpCount), int(p.Header.RegexCount), p.PolicyTable, len(p.PolicyExtra), p.Header.Unknown}
		if len(got.policy) == 0 {
			got.policy = nil
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.layout, got, c.want)
		}
		if fs := Verify(p, VocabularyFor(l)); fs.HasErrors() {
			t.Errorf("%s: %v", c.layout, fs)
		}
		if c.layout == "ios16" {
			var b strings.Builder
			p.WriteText(&b, "x", nil, false)
			for _, want := range []string{"; extension count at offset 6: 2\n", "; extension table (meaning unknown) at 16: 17 34\n", "; unknown table (meaning unknown) at 20: 51\n"} {
				if !strings.Contains(b.String(), want) {
					t.Errorf("ios16 text lacks %q:\n%s", want, b.String())
				}
			}
		}
	}
}

// A collection read with another release's layout is an error that names
// the layouts it fits.
func TestCollectionInAnotherLayout(t *testing.T) {
	ios18, _ := LookupLayout("ios18")
	ios17, _ := LookupLayout("ios17")
	ios26, _ := LookupLayout("ios26")
	for _, c := range []struct {
		blob  Layout
		read  Layout
		hint  string
		fatal bool
	}{
		// The blob decodes, and does not verify.
		{ios18, ios17, "that does not verify in the ios17 layout; it fits the macos15 and ios18 layouts (3 profiles of 12 operations, 5 nodes): use --target macos15 or ios18", false},
		{ios17, ios18, "the ios18 collection layout puts a node at offset 168, but its tag is 0x11; it fits the ios17 layout (3 profiles of 12 operations, 5 nodes): use --target ios17", true}, // not macos14: 12 operations
		// Only the policy block differs.
		{ios26, ios18, "it fits the macos26 and ios26 layouts (3 profiles of 12 operations, 5 nodes): use --target macos26 or ios26", true},
	} {
		data, err := synthImage(t, c.blob, true, true).Bytes(c.blob)
		if err != nil {
			t.Fatal(err)
		}
		_, fs := DecodeAndVerify(data, c.read, VocabularyFor(c.read))
		if !fs.HasErrors() {
			t.Errorf("%s blob read as %s: no error: %v", c.blob.Name, c.read.Name, fs)
			continue
		}
		var hint *Finding
		for i := range fs {
			if strings.Contains(fs[i].Message, c.hint) {
				hint = &fs[i]
			}
		}
		switch {
		case hint == nil:
			t.Errorf("%s blob read as %s: %v, want %q", c.blob.Name, c.read.Name, fs, c.hint)
		case c.fatal && (len(fs) != 1 || hint.Code != CodeDecode || !strings.HasPrefix(hint.Message, "profile bundle (type 0x8000): ")):
			t.Errorf("%s blob read as %s: %v, want a decoding error", c.blob.Name, c.read.Name, fs)
		case !c.fatal && (hint.Code != CodeLayout || hint.Severity != diag.Error):
			t.Errorf("%s blob read as %s: hint %v", c.blob.Name, c.read.Name, hint)
		}
	}
	// A single profile with a collections-only layout, and a collection
	// with a layout that has no collection form.
	single, _ := synthImage(t, DefaultLayout(), false, false).Bytes(DefaultLayout())
	ios13, _ := LookupLayout("ios13")
	if _, err := Decode(single, ios13); err == nil || !strings.Contains(err.Error(), "a single compiled profile (type 0x0000), but the ios13 layout describes profile collections only") {
		t.Errorf("single as ios13: %v", err)
	}
	coll, _ := synthImage(t, ios18, true, false).Bytes(ios18)
	bare := ios18
	bare.Name, bare.Collection = "bare", nil
	if _, err := Decode(coll, bare); err == nil || !strings.Contains(err.Error(), "profile bundle (type 0x8000): a collection of named profiles, and the bare layout does not describe collections; "+
		"it fits the macos15 and macos26 and ios18 and ios26 layouts (3 profiles of 12 operations, 4 nodes): use --target macos15 or macos26 or ios18 or ios26") {
		t.Errorf("collection as bare: %v", err)
	}
}
