package learn

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/parser"
)

// FuzzScanner feeds arbitrary bytes to the log reader. It must never
// panic or hang; every report must name a line that exists, an operation
// token and a positive count; and every rule made from a report must be
// valid SBPL (whatever bytes the target holds).
func FuzzScanner(f *testing.F) {
	files, _ := filepath.Glob("testdata/*")
	for _, fn := range files {
		if data, err := os.ReadFile(fn); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{
		"Sandbox: a(1) deny(1) file-read-data /x\nCMD64_x\n",
		`{"eventMessage":"Sandbox: a(1) deny(1) mach-lookup \"q\\\"","MetaData":{"operation":"file-read-data","target":"/\u0000"}}`,
		"[{\n  \"eventMessage\" : \"Sandbox: a(1) deny(1) file-ioctl path:/dev/tty ioctl-command:(_IO \\\"t\\\" 22)\",\n}]\n",
		"3 duplicate reports for Sandbox: x(2) deny(1) signal others [y(3)] signum:9\r\n",
		"Jul  1 09:29:02 h sandboxd[1] ([2]): n(2) deny network-bind local:[::1]:0\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := NewScanner(bytes.NewReader(data))
		lines := bytes.Count(data, []byte{'\n'}) + 1
		blocks := 0
		for s.Scan() {
			r := s.Report()
			if r.Line < 1 || r.Line > lines {
				t.Fatalf("report on line %d of %d", r.Line, lines)
			}
			if !isOpToken(r.Op) || r.Count < 1 || (r.Action != "deny" && r.Action != "allow") {
				t.Fatalf("bad report %+v", r)
			}
			e, ok := lookupOp(r.Op)
			if !ok {
				e = opEntry{op: r.Op, kind: tNone}
			}
			tg, err := readTarget(r.Op, e, r.Target)
			if err != nil {
				continue
			}
			params := []paramRef{{Name: "HOME", Value: "/Users/me"}}
			rule := &Rule{Ops: []string{r.Op}}
			if tg.filter.Name != "" {
				rule.Filters = []Filter{tg.filter}
			}
			if tg.path != "" && !tg.node {
				if cs := shapeOf(tg.path, true); variable(cs) {
					rule.Filters = append(rule.Filters, shapeFilter(cs, false), shapeFilter(cs[:len(cs)-1], true))
				}
			}
			forms := rule.forms(params)
			for _, form := range forms {
				if _, ds := parser.ParseString("rule.sb", form); ds.HasErrors() {
					t.Fatalf("rule for %q does not parse: %s\n%v", r.Target, form, ds)
				}
				if strings.Count(form, "\n") > 0 {
					t.Fatalf("rule text spans lines: %q", form)
				}
			}
			// The block quotes the log line in comments: nothing in it may
			// become code. (Formatting is the slow part: a few per input.)
			if blocks++; blocks > 4 {
				continue
			}
			rule.Example = Example{Source: "fuzz.log", Line: r.Line, Text: r.Text}
			rule.Notes = []string{r.Message}
			rule.finish()
			p := &Plan{params: params}
			block, _ := p.renderBlock([]*Rule{rule}, []string{"fuzz.log"}, false)
			f, ds := parser.ParseString("block.sb", block)
			if ds.HasErrors() || len(f.Forms) != len(forms) {
				t.Fatalf("block has %d forms, want %d (%v):\n%s", len(f.Forms), len(forms), ds, block)
			}
		}
		st := s.Stats()
		if st.Reports > st.Lines || st.Lines > lines || len(st.Samples) > maxSamples {
			t.Fatalf("stats %+v for %d lines", st, lines)
		}
	})
}
