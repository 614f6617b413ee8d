package bytecode

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/internal/testutil"
)

var goldenVectors = []string{
	"sonoma14.4.1_golden_strict_1",
	"sonoma14.4.1_domain_af_inet",
	"sonoma14.4.1_param_path_root_private_tmp",
	"sonoma14.4.1_triple_all_inet_dgram_tcp",
	"sonoma14.4.1_allow_all",
}

func TestDisasmGolden(t *testing.T) {
	vs := map[string]vector{}
	for _, v := range sonomaVectors(t) {
		vs[v.Name] = v
	}
	voc := testVocab(t)
	for _, name := range goldenVectors {
		v, ok := vs[name]
		if !ok {
			t.Fatalf("vector %s missing", name)
		}
		p, err := Decode(v.Blob, DefaultLayout())
		if err != nil {
			t.Fatal(err)
		}
		fs := Verify(p, voc)
		file := name + ".sb.bin"
		for _, format := range []string{"text", "json", "dot"} {
			var b bytes.Buffer
			switch format {
			case "text":
				err = p.WriteText(&b, file, voc, false)
			case "json":
				err = p.WriteJSON(&b, file, voc, fs)
			case "dot":
				err = p.WriteDot(&b, file, voc, false)
			}
			if err != nil {
				t.Fatal(err)
			}
			testutil.Golden(t, filepath.Join("testdata", "disasm", name+"."+format), b.String())
			if format == "json" && !json.Valid(b.Bytes()) {
				t.Errorf("%s: invalid JSON", name)
			}
		}
	}
}

// The text disassembly of strict_1 shows the carved-out deny tested
// before the subpath allow, with decoded arguments and op names.
func TestDisasmTextContent(t *testing.T) {
	var v vector
	for _, x := range sonomaVectors(t) {
		if x.Name == "sonoma14.4.1_golden_strict_1" {
			v = x
		}
	}
	p, err := Decode(v.Blob, DefaultLayout())
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := p.WriteText(&b, "x", testVocab(t), true); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"node 3: (path (literal \"/etc/hosts\"))",
		"match -> node 6: deny report",
		"else  -> node 4: (path (subpath \"/private/tmp/strict_ok\"))\n",
		"             match -> node 5: allow\n",
		"file-read*, file-read-data, file-read-metadata, file-read-xattr, file-write*",
		"(target self)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text disassembly lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "file-write-setugid, file-write-times") {
		t.Errorf("file-write-setugid is listed with the file-write* group")
	}
}
