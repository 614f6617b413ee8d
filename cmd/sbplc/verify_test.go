package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVerifyVectors(t *testing.T) {
	blob := bcVectorFile(t, strict1, strict1+".sb.bin")
	stdout, stderr, code := runSbplc(t, "", "verify", blob)
	if code != 0 || !strings.Contains(stdout, "structure ok (macos14: 7 nodes, 190 operations, 2 pool items)") || stderr != "" {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	src := bcVectorFile(t, strict1, "strict_1.sb.INFERRED")
	stdout, stderr, code = runSbplc(t, "", "verify", "--profile", src, blob)
	if code != 0 || !strings.Contains(stdout, "0 disagree") {
		t.Fatalf("--profile: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	// Params reach the evaluator.
	pp := "sonoma14.4.1_param_path_root_private_tmp"
	stdout, stderr, code = runSbplc(t, "", "verify", "--profile", bcVectorFile(t, pp, "param_path.sb"), "-D", "ROOT=/private/tmp", bcVectorFile(t, pp, pp+".sb.bin"))
	if code != 0 || !strings.Contains(stdout, "0 disagree, 0 undecidable") {
		t.Fatalf("params: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	_, stderr, code = runSbplc(t, "", "verify", "--profile", bcVectorFile(t, pp, "param_path.sb"), "-D", "ROOT=/private/var", bcVectorFile(t, pp, pp+".sb.bin"))
	if code != 1 || !strings.Contains(stderr, "file-read* path=/private/tmp: blob says allow (node 5), ") {
		t.Fatalf("wrong param: exit %d\nstderr %s", code, stderr)
	}
}

func TestVerifyDisagreement(t *testing.T) {
	dir := t.TempDir()
	src := writeFile(t, filepath.Join(dir, "p.sb"), "(version 1)\n(deny default)\n(allow file-read* (subpath \"/private/tmp/strict_ok\"))\n(allow file-read* (literal \"/private/etc/hosts\"))\n")
	_, stderr, code := runSbplc(t, "", "verify", "--profile", src, bcVectorFile(t, strict1, strict1+".sb.bin"))
	if code != 1 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := "file-read-data path=/private/etc/hosts: blob says deny (node 6), " + src + " says allow [cross-check]"
	if !strings.Contains(stderr, want) || !strings.Contains(stderr, "note: a filtered rule matched at "+src+":4:1") {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
}

func TestVerifyCorruptBlobs(t *testing.T) {
	blob := bcReadVector(t, strict1, strict1+".sb.bin")
	dir := t.TempDir()
	cases := map[string][]byte{
		"truncated":   blob[:len(blob)-1],
		"tail":        append(append([]byte(nil), blob...), 0xde, 0xad, 0xbe, 0xef),
		"node count":  append([]byte{blob[0], blob[1], blob[2] + 1}, blob[3:]...),
		"empty":       {},
		"not a blob":  []byte("(version 1)\n(deny default)\n"),
		"legacy blob": bcReadVector(t, "snowleopard_xnusandbox_sample1", "sample1.sb.bin"),
	}
	for name, data := range cases {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".bin")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, cmd := range []string{"verify", "disasm"} {
			_, stderr, code := runSbplc(t, "", cmd, p)
			if code != 1 || !strings.Contains(stderr, p+": ") || !strings.Contains(stderr, ": error: ") {
				t.Errorf("%s %s: exit %d, stderr %q", cmd, name, code, stderr)
			}
		}
	}
}

func TestVerifyUsage(t *testing.T) {
	blob := bcVectorFile(t, strict1, strict1+".sb.bin")
	for _, args := range [][]string{
		{"verify"},
		{"verify", "/nonexistent/blob.bin"},
		{"verify", "--target", "macos9", blob},
		{"verify", "--profile", "/nonexistent.sb", blob},
		{"verify", t.TempDir()},
	} {
		if _, stderr, code := runSbplc(t, "", args...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, stderr)
		}
	}
	// An unverified layout is a warning. (A Sonoma blob read with the
	// 16-byte Sequoia header still passes the bounds checks: nothing in a
	// blob says which release wrote it, which is why --target exists.)
	_, stderr, code := runSbplc(t, "", "verify", "--target", "macos15", blob)
	if code != 0 || !strings.Contains(stderr, "warning: layout macos15 is unverified: no hash-verified blob confirms it") {
		t.Errorf("macos15: exit %d: %s", code, stderr)
	}
	// The 15.2+ vocabulary has no operation table: say that nothing was
	// cross-checked instead of claiming agreement.
	_, stderr, _ = runSbplc(t, "", "verify", "--target", "macos15", "--profile", bcVectorFile(t, strict1, "strict_1.sb.INFERRED"), blob)
	if !strings.Contains(stderr, "nothing was cross-checked") {
		t.Errorf("macos15 --profile: %s", stderr)
	}
}

func TestVerifyJSON(t *testing.T) {
	blob := bcVectorFile(t, strict1, strict1+".sb.bin")
	dir := t.TempDir()
	src := writeFile(t, filepath.Join(dir, "p.sb"), "(version 1)\n(deny default)\n(allow file-read* (subpath \"/private/tmp/strict_ok\"))\n(allow file-read* (literal \"/private/etc/hosts\"))\n")
	stdout, stderr, code := runSbplc(t, "", "verify", "--format", "json", "--profile", src, blob)
	if code != 1 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got struct {
		OK         bool `json:"ok"`
		Nodes      int  `json:"nodes"`
		CrossCheck struct {
			Operations    int `json:"operations"`
			Disagreements []struct {
				Op, Resource, Blob, Source string
			} `json:"disagreements"`
		} `json:"cross_check"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if got.OK || got.Nodes != 7 || got.CrossCheck.Operations != 190 || len(got.CrossCheck.Disagreements) == 0 {
		t.Errorf("%+v", got)
	}
	d := got.CrossCheck.Disagreements[0]
	if !strings.HasSuffix(d.Resource, "/etc/hosts") || !strings.HasPrefix(d.Blob, "deny") || d.Source != "allow" {
		t.Errorf("first disagreement %+v", d)
	}
	// A corrupt blob: ok false, the findings listed, exit 1.
	bad := writeFile(t, filepath.Join(dir, "bad.bin"), "\x00\x00\x07\x00")
	stdout, _, code = runSbplc(t, "", "verify", "--format", "json", bad)
	if code != 1 || !strings.Contains(stdout, `"ok": false`) || !strings.Contains(stdout, `"severity": "error"`) {
		t.Errorf("corrupt: exit %d\n%s", code, stdout)
	}
}

// Undecidable probes (an unset param) are counted, explained and do not
// fail verify unless --fail-on-unknown (QA #10).
func TestVerifyUndecidable(t *testing.T) {
	pp := "sonoma14.4.1_param_path_root_private_tmp"
	prof, blob := bcVectorFile(t, pp, "param_path.sb"), bcVectorFile(t, pp, pp+".sb.bin")
	stdout, stderr, code := runSbplc(t, "", "verify", "--profile", prof, blob)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "0 disagree, 20 undecidable (not compared): agrees on every decidable probe") {
		t.Errorf("summary: %s", stdout)
	}
	for _, want := range []string{
		"warning: 20 probes are undecidable: they were not compared (--strict makes this an error) [cross-check]",
		"note: 20 probes: value \"${ROOT}\" depends on unbound param \"ROOT\": pass -D ROOT=VALUE (first: file-read",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	_, stderr, code = runSbplc(t, "", "verify", "--strict", "--profile", prof, blob)
	if code != 1 || !strings.Contains(stderr, "error: 20 probes are undecidable") {
		t.Errorf("--fail-on-unknown: exit %d:\n%s", code, stderr)
	}
	if _, stderr, code := runSbplc(t, "", "verify", "--strict", blob); code != 2 || !strings.Contains(stderr, "--strict needs --profile") {
		t.Errorf("--fail-on-unknown without --profile: exit %d: %s", code, stderr)
	}
	// With the param, nothing is undecidable and the flag changes nothing.
	if _, stderr, code := runSbplc(t, "", "verify", "--fail-on-unknown", "--profile", prof, "-D", "ROOT=/private/tmp", blob); code != 0 {
		t.Errorf("with -D: exit %d:\n%s", code, stderr)
	}
	for _, flag := range []bool{false, true} {
		args := []string{"verify", "--format", "json", "--profile", prof, blob}
		if flag {
			args = append(args, "--fail-on-unknown")
		}
		stdout, _, code := runSbplc(t, "", args...)
		var got struct {
			OK         bool `json:"ok"`
			CrossCheck struct {
				Undecided int `json:"undecided"`
				Reasons   []struct {
					Reason  string `json:"reason"`
					Count   int    `json:"count"`
					Example string `json:"example"`
				} `json:"undecided_reasons"`
			} `json:"cross_check"`
		}
		if err := json.Unmarshal([]byte(stdout), &got); err != nil {
			t.Fatalf("%v\n%s", err, stdout)
		}
		if got.OK == flag || (code == 1) != flag || got.CrossCheck.Undecided != 20 || len(got.CrossCheck.Reasons) != 1 ||
			got.CrossCheck.Reasons[0].Count != 20 || !strings.Contains(got.CrossCheck.Reasons[0].Reason, "ROOT") {
			t.Errorf("json (--fail-on-unknown=%v): exit %d %+v", flag, code, got)
		}
	}
}

// The blob limit is the limit on every input (16 MiB), checked while
// reading a file or standard input: it was 64 MiB, and verifying a 16 MiB
// blob of empty pool items took gigabytes (issue 19).
func TestBlobSizeLimit(t *testing.T) {
	big := make([]byte, 16<<20+1)
	copy(big, bcReadVector(t, strict1, strict1+".sb.bin"))
	p := filepath.Join(t.TempDir(), "big.bin")
	if err := os.WriteFile(p, big, 0o644); err != nil {
		t.Fatal(err)
	}
	want := ": larger than 16 MiB, the limit for an input; not a compiled profile"
	for _, cmd := range []string{"verify", "disasm"} {
		if _, stderr, code := runSbplc(t, "", cmd, p); code != 2 || !strings.Contains(stderr, p+want) {
			t.Errorf("%s: exit %d, stderr %q", cmd, code, stderr)
		}
		if _, stderr, code := runSbplc(t, string(big), cmd, "-"); code != 2 || !strings.Contains(stderr, "<stdin>"+want) {
			t.Errorf("%s -: exit %d, stderr %q", cmd, code, stderr)
		}
	}
}

// Bytes after the end of the profile are an error at their offset, for
// every real vector and 1 to 8 appended bytes, zero or not: the docs
// says trailing bytes are caught, and 1-7 zero bytes used to pass (issue
// 19 item 2). libsandbox never pads the end of a blob.
func TestVerifyTrailingBytes(t *testing.T) {
	vectors := filepath.Dir(bcVectorFile(t, strict1, strict1+".sb.bin"))
	ents, err := os.ReadDir(filepath.Dir(vectors))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	checked := 0
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), "sonoma14.4.1_") {
			continue
		}
		orig := bcReadVector(t, e.Name(), e.Name()+".sb.bin")
		for n := 1; n <= 8; n++ {
			for _, fill := range []byte{0, 0xa5} {
				p := filepath.Join(tmp, "b.bin")
				if err := os.WriteFile(p, append(append([]byte(nil), orig...), bytes.Repeat([]byte{fill}, n)...), 0o644); err != nil {
					t.Fatal(err)
				}
				_, stderr, code := runSbplc(t, "", "verify", p)
				want := fmt.Sprintf("%s: offset 0x%x: error: %d trailing ", p, len(orig), n)
				if code != 1 || !strings.HasPrefix(stderr, want) || !strings.Contains(stderr, "after the end of the profile") ||
					!strings.HasSuffix(stderr, "[bytecode-trailing]\n") || strings.Count(stderr, "\n") != 1 {
					t.Errorf("%s + %d bytes 0x%02x: exit %d, stderr %q, want %q...", e.Name(), n, fill, code, stderr, want)
				}
				checked++
			}
		}
	}
	if checked < 45*16 {
		t.Errorf("checked %d blobs", checked)
	}
	for _, v := range [][2]string{{"snowleopard_xnusandbox_sample1", "sample1.sb.bin"}, {"ios13.0_17A577_bundle", "17A577-sb_bundle.bin"}} {
		p := filepath.Join(tmp, "legacy.bin")
		os.WriteFile(p, append(bcReadVector(t, v[0], v[1]), 0, 0, 0), 0o644)
		if _, stderr, code := runSbplc(t, "", "verify", p); code != 1 || !strings.Contains(stderr, ": error: ") {
			t.Errorf("%s + 3 bytes: exit %d, stderr %q", v[0], code, stderr)
		}
	}
}

// A blob with a problem every 8 bytes gets 100 findings and a count of the
// rest, not one line per problem (issue 19: 1M lines).
func TestVerifyFindingsCapped(t *testing.T) {
	var b []byte
	b = append(b, 0, 0, 3, 0, 190, 0, 0, 0, 0, 0, 0, 0, 0, 0)
	for op := 0; op < 190; op++ {
		e := byte(0)
		if op >= 21 && op <= 24 {
			e = 2
		}
		b = append(b, e, 0)
	}
	b = append(b, 0, 0, 0, 0, 0, 0) // to 400
	unit := 60000                   // the literal, after 60000 empty items
	b = append(b, 1, 5, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, byte(unit), byte(unit>>8), 1, 0, 0, 0)
	b = append(b, make([]byte, 8*unit)...)
	b = append(b, 7, 0, 0x41, '/', 'x', 0x0f, 0, 0x0f, 0x0a)
	p := filepath.Join(t.TempDir(), "many.bin")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"verify", "disasm"} {
		_, stderr, code := runSbplc(t, "", cmd, p)
		lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
		// The 2 warnings: node 2's edges go back to nodes 1 and 0.
		want := p + ": error: and 59902 more problems (59900 errors, 2 warnings) not listed: only the first 100 are reported [bytecode-limit]"
		if code != 1 || len(lines) != 101 || lines[100] != want {
			t.Errorf("%s: exit %d, %d lines, last %q", cmd, code, len(lines), lines[len(lines)-1])
		}
	}
	stdout, _, _ := runSbplc(t, "", "verify", "--format", "json", p)
	var got struct {
		Findings []struct{ Code string } `json:"findings"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || len(got.Findings) != 101 || got.Findings[100].Code != "bytecode-limit" {
		t.Errorf("json: %v, %d findings", err, len(got.Findings))
	}
}

// verify names the format it saw when it rejects a blob (issue 17).
func TestVerifyNamesForeignFormats(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		data []byte
		want string
	}{
		{bcReadVector(t, "snowleopard_xnusandbox_sample1", "sample1.sb.bin"), "offset 0x0: error: this looks like a Mac OS X 10.6 Snow Leopard"},
		{bcReadVector(t, "ios13.0_17A577_bundle", "17A577-sb_bundle.bin"), "offset 0x78720: error: profile bundle (type 0x8000): the macos14 collection layout puts a node at offset 493344, but its tag is 0x19; it fits the ios13 layout (218 profiles of 145 operations, 50559 nodes): use --target ios13"},
		{[]byte("(version 1)\n(deny default)\n"), "offset 0x0: error: SBPL source text, not a compiled profile: compile it first"},
	} {
		p := filepath.Join(dir, "x.bin")
		os.WriteFile(p, c.data, 0o644)
		for _, cmd := range []string{"verify", "disasm"} {
			if _, stderr, code := runSbplc(t, "", cmd, p); code != 1 || !strings.Contains(stderr, p+": "+c.want) {
				t.Errorf("%s: exit %d, stderr %q, want %q", cmd, code, stderr, c.want)
			}
		}
	}
}

// A rule on a name whose meaning on 14.4.1 is not measured makes the
// cross-check undecidable, and --strict fails (the older --fail-on-unknown
// spelling too); a rule on iokit-open, which libsandbox binds to
// iokit-open-user-client, is compared and disagrees with a blob without it.
func TestVerifyStrictAliases(t *testing.T) {
	dir := t.TempDir()
	blob := bcVectorFile(t, strict1, strict1+".sb.bin")
	src := string(bcReadVector(t, strict1, "strict_1.sb.INFERRED"))
	unknown := writeFile(t, filepath.Join(dir, "u.sb"), src+"(allow load-unsigned-code)\n")
	out, stderr, code := runSbplc(t, "", "verify", "--profile", unknown, blob)
	if code != 0 || !strings.Contains(stderr, "names load-unsigned-code, which is not in the 14.4.1 operation table") || !strings.Contains(out, "1 undecidable") {
		t.Errorf("exit %d\n%s\n%s", code, out, stderr)
	}
	for _, flag := range []string{"--strict", "--fail-on-unknown"} {
		if _, stderr, code := runSbplc(t, "", "verify", flag, "--profile", unknown, blob); code != 1 || !strings.Contains(stderr, "--strict is set") {
			t.Errorf("%s: exit %d %s", flag, code, stderr)
		}
	}
	alias := writeFile(t, filepath.Join(dir, "a.sb"), src+"(allow iokit-open (iokit-user-client-class \"X\"))\n")
	if _, stderr, code := runSbplc(t, "", "verify", "--profile", alias, blob); code != 1 || !strings.Contains(stderr, "error: iokit-open-user-client") {
		t.Errorf("iokit-open: exit %d %s", code, stderr)
	}
}
