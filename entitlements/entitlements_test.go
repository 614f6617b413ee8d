package entitlements

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"howett.net/plist"
)

const xmlPlist = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>com.apple.security.app-sandbox</key>
	<true/>
	<key>com.apple.security.application-groups</key>
	<array>
		<string>TEAM.group.one</string>
	</array>
	<key>com.apple.security.network.client</key>
	<false/>
	<key>com.apple.developer.team-identifier</key>
	<string>TEAM</string>
	<key>com.apple.security.scripting-targets</key>
	<dict>
		<key>com.apple.mail</key>
		<array><string>com.apple.mail.compose</string></array>
	</dict>
	<key>n</key>
	<integer>7</integer>
</dict>
</plist>
`

const wantRendering = `com.apple.developer.team-identifier="TEAM" com.apple.security.app-sandbox=true com.apple.security.application-groups=["TEAM.group.one"] com.apple.security.network.client=false com.apple.security.scripting-targets={"com.apple.mail":["com.apple.mail.compose"]} n=7`

func render(s *Set) string {
	var parts []string
	for _, e := range s.Entries {
		parts = append(parts, e.Key+"="+e.Value.String())
	}
	return strings.Join(parts, " ")
}

func TestFormats(t *testing.T) {
	var root any
	if _, err := plist.Unmarshal([]byte(xmlPlist), &root); err != nil {
		t.Fatal(err)
	}
	bin, err := plist.Marshal(root, plist.BinaryFormat)
	if err != nil {
		t.Fatal(err)
	}
	json := `{"com.apple.security.app-sandbox": true, "com.apple.security.application-groups": ["TEAM.group.one"],
  "com.apple.security.network.client": false, "com.apple.developer.team-identifier": "TEAM",
  "com.apple.security.scripting-targets": {"com.apple.mail": ["com.apple.mail.compose"]}, "n": 7}`
	for name, data := range map[string][]byte{
		"xml": []byte(xmlPlist), "binary": bin, "json": []byte(json),
		"macho64": machO(t, []byte(xmlPlist), false), "fat": fat(machO(t, []byte(xmlPlist), false)),
		"macho32": machO(t, []byte(xmlPlist), true),
	} {
		s, err := Parse(name, data)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := render(s); got != wantRendering {
			t.Errorf("%s:\n got %s\nwant %s", name, got, wantRendering)
		}
		if v, ok := s.Get("com.apple.security.app-sandbox"); !ok || v.Kind != Bool || !v.Bool {
			t.Errorf("%s: Get %v %v", name, v, ok)
		}
		if _, ok := s.Get("unknown.key"); ok {
			t.Errorf("%s: an unknown key is present", name)
		}
	}
}

// machO builds a minimal little-endian Mach-O image (64- or 32-bit) with an
// LC_CODE_SIGNATURE pointing at a SuperBlob that holds ents.
func machO(t *testing.T, ents []byte, is32 bool) []byte {
	t.Helper()
	le := binary.LittleEndian
	be := binary.BigEndian
	hdr := 32
	magic := uint32(0xfeedfacf)
	if is32 {
		hdr, magic = 28, 0xfeedface
	}
	var blob bytes.Buffer
	entBlob := make([]byte, 8+len(ents))
	be.PutUint32(entBlob, csMagicEntitlements)
	be.PutUint32(entBlob[4:], uint32(len(entBlob)))
	copy(entBlob[8:], ents)
	// SuperBlob: header, two index entries (a code directory slot we do not
	// read, then entitlements), the blobs.
	sb := make([]byte, 12+2*8)
	be.PutUint32(sb, csMagicEmbedded)
	be.PutUint32(sb[8:], 2)
	be.PutUint32(sb[12:], 0) // code directory
	be.PutUint32(sb[16:], uint32(len(sb)))
	be.PutUint32(sb[20:], csSlotEntitlements)
	be.PutUint32(sb[24:], uint32(len(sb)+8))
	cd := []byte{0xfa, 0xde, 0x0c, 0x02, 0, 0, 0, 8}
	blob.Write(sb)
	blob.Write(cd)
	blob.Write(entBlob)
	sig := blob.Bytes()
	be.PutUint32(sig[4:], uint32(len(sig)))
	sigOff := hdr + 16
	out := make([]byte, sigOff+len(sig))
	le.PutUint32(out, magic)
	le.PutUint32(out[4:], 0x01000007) // x86_64 (cputype, ignored)
	le.PutUint32(out[12:], 2)         // MH_EXECUTE
	le.PutUint32(out[16:], 1)         // ncmds
	le.PutUint32(out[20:], 16)        // sizeofcmds
	le.PutUint32(out[hdr:], lcCodeSignature)
	le.PutUint32(out[hdr+4:], 16)
	le.PutUint32(out[hdr+8:], uint32(sigOff))
	le.PutUint32(out[hdr+12:], uint32(len(sig)))
	copy(out[sigOff:], sig)
	return out
}

// fat wraps one image in a universal file.
func fat(img []byte) []byte {
	be := binary.BigEndian
	const off = 4096
	out := make([]byte, off+len(img))
	be.PutUint32(out, 0xcafebabe)
	be.PutUint32(out[4:], 1)
	be.PutUint32(out[8:], 0x01000007)
	be.PutUint32(out[16:], off)
	be.PutUint32(out[20:], uint32(len(img)))
	be.PutUint32(out[24:], 12)
	copy(out[off:], img)
	return out
}

func TestErrors(t *testing.T) {
	var root any
	plist.Unmarshal([]byte(xmlPlist), &root)
	bin, _ := plist.Marshal(root, plist.BinaryFormat)
	badBin := append([]byte(nil), bin...)
	badBin[len(badBin)-9] = 0xff // the top object index
	unsigned := machO(t, []byte(xmlPlist), false)
	binary.LittleEndian.PutUint32(unsigned[32:], 0x26) // LC_FUNCTION_STARTS, not a signature
	outside := machO(t, []byte(xmlPlist), false)
	binary.LittleEndian.PutUint32(outside[40:], 1<<30)
	badEnts := machO(t, []byte("<plist><dict><key>a</key></dict></plist>"), false)
	for _, c := range []struct {
		name, data, want string
	}{
		{"unclosed.plist", "<plist>\n<dict>\n<key>a</key>\n<true/>\n", "unclosed.plist:5: malformed XML property list: unexpected EOF"},
		{"mismatch.plist", "<plist>\n<dict>\n<key>a</key>\n<true/>\n</array>\n</plist>", "mismatch.plist:5: malformed XML property list: element <dict> closed by </array>"},
		{"novalue.plist", "<plist>\n<dict>\n<key>a</key>\n</dict>\n</plist>\n", "novalue.plist:4: malformed XML property list: missing value in dictionary"},
		{"array.plist", "<plist><array><true/></array></plist>", "array.plist:1: malformed XML property list: the top level is an array; entitlements are a dictionary of keys"},
		{"deep.plist", "<plist>" + strings.Repeat("<array>", 100), "deep.plist:1: malformed XML property list: nested more than 64 levels deep"},
		{"bad.bplist", string(badBin), "bad.bplist: offset"},
		{"short.bplist", "bplist00", "short.bplist: offset 0 (0x0): malformed binary property list"},
		{"bad.json", "{\n\"a\": tru\n}", "bad.json:2: malformed JSON: invalid character"},
		{"list.json", "[true]", "malformed entitlements file"},
		{"trailing.json", "{\"a\": true}\n{}", "trailing.json:2: malformed JSON: text after the top-level object"},
		{"null.json", `{"a": null}`, "null is not an entitlement value"},
		{"empty", "  \n", "empty: malformed entitlements file: the file is empty"},
		{"text", "hello", "text:1: malformed entitlements file: not a property list"},
		{"unsigned", string(unsigned), "unsigned: offset 0 (0x0): malformed Mach-O: the executable is not signed"},
		{"outside", string(outside), "lies outside the file"},
		{"badents", string(badEnts), "badents (code signature):1: malformed XML property list: missing value in dictionary (in the property list at offset"},
		{"truncated", string(machO(t, []byte(xmlPlist), false)[:40]), "malformed Mach-O"},
	} {
		_, err := Parse(c.name, []byte(c.data))
		var e *Error
		if err == nil || !errors.As(err, &e) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

func TestParseValue(t *testing.T) {
	for in, want := range map[string]string{
		"true": "true", "no": "false", "12": "12", "/path": `"/path"`,
		`["a","b"]`: `["a","b"]`, `{"*": true}`: `{"*":true}`,
	} {
		v, err := ParseValue(in)
		if err != nil || v.String() != want {
			t.Errorf("ParseValue(%q) = %v, %v; want %s", in, v, err, want)
		}
	}
	if _, err := ParseValue("[1,"); err == nil {
		t.Error("a broken JSON value was accepted")
	}
}

func TestWithWithout(t *testing.T) {
	s := &Set{Source: "x", Entries: []Entry{{Key: "b", Value: True}}}
	w := s.With("a", True).With("b", Value{Kind: String, Str: "v"})
	if render(w) != `a=true b="v"` || render(s) != "b=true" {
		t.Errorf("With: %s (original %s)", render(w), render(s))
	}
	if render(w.Without("a")) != `b="v"` || w.Without("a").Source != "x" {
		t.Errorf("Without: %s", render(w.Without("a")))
	}
	var none *Set
	if render(none.With("k", True)) != "k=true" || len(none.Keys()) != 0 {
		t.Error("nil set")
	}
}
