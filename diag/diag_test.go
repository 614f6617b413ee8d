package diag_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/source"
)

var testFile = source.NewFile("p.sb", []byte("(version 1)\n(allow\tfile-read* (subpath \"/tmp\"))\n(deny default\n  (with message \"é\"))\n"))

func sp(a, b int) source.Span { return source.Span{File: testFile, Start: a, End: b} }

func TestString(t *testing.T) {
	d := diag.Diagnostic{Severity: diag.Warning, Code: "unresolved-symlink-path", Message: "write /private/tmp: Seatbelt matches resolved paths", Span: sp(39, 45)}
	want := "p.sb:2:28: warning: write /private/tmp: Seatbelt matches resolved paths [unresolved-symlink-path]"
	if d.String() != want || d.Error() != want {
		t.Errorf("String() = %q, want %q", d.String(), want)
	}
	noSpan := diag.Diagnostic{Severity: diag.Error, Message: "no input"}
	if noSpan.String() != "error: no input" {
		t.Errorf("without span or code: %q", noSpan.String())
	}
}

func TestSeverity(t *testing.T) {
	for in, want := range map[string]diag.Severity{"error": diag.Error, " Warning ": diag.Warning, "warn": diag.Warning, "info": diag.Info, "style": diag.Info, "note": diag.Info, "hint": diag.Info} {
		got, err := diag.ParseSeverity(in)
		if err != nil || got != want {
			t.Errorf("ParseSeverity(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := diag.ParseSeverity("fatal"); err == nil || !strings.Contains(err.Error(), "want error, warning or info") {
		t.Errorf("bad severity: %v", err)
	}
	if diag.Error.String() != "error" || diag.Severity(7).String() != "severity(7)" {
		t.Error("severity names")
	}
	if !(diag.Error > diag.Warning && diag.Warning > diag.Info) {
		t.Error("severities are ordered")
	}
}

func TestList(t *testing.T) {
	var l diag.List
	if l.HasErrors() || l.Max() != diag.Info || l.CountAtLeast(diag.Info) != 0 {
		t.Error("empty list")
	}
	l.Warnf(sp(12, 18), "b", "second %d", 2)
	l.Errorf(sp(0, 1), "a", "first")
	l.Add(diag.Diagnostic{Severity: diag.Info, Code: "c", Message: "third", Span: sp(12, 18)})
	l.Warnf(sp(12, 18), "b", "second %d", 2) // exact duplicate
	l.Add(diag.Diagnostic{Severity: diag.Error, Message: "other file", Span: source.Span{File: source.NewFile("a.sb", nil)}})
	if !l.HasErrors() || l.Max() != diag.Error || l.CountAtLeast(diag.Warning) != 4 {
		t.Errorf("counts: %v %v %d", l.HasErrors(), l.Max(), l.CountAtLeast(diag.Warning))
	}
	s := l.Sort()
	var got []string
	for _, d := range s {
		got = append(got, d.Message)
	}
	want := "other file|first|second 2|third" // by file, offset, then most severe first; duplicate removed
	if strings.Join(got, "|") != want {
		t.Errorf("Sort: %s, want %s", strings.Join(got, "|"), want)
	}
}

func TestWriteText(t *testing.T) {
	ds := []diag.Diagnostic{
		{Severity: diag.Warning, Code: "unresolved-symlink-path", Message: "write /private/tmp", Span: sp(39, 45),
			Notes: []string{"/tmp is a symlink"}, Fixes: []diag.Fix{{Title: "spell the resolved path"}},
			Related: []diag.Related{{Span: sp(0, 11), Message: "version declared here"}}},
		{Severity: diag.Error, Code: "syntax-error", Message: "list is never closed", Span: sp(48, 80)},
		{Severity: diag.Info, Message: "no position"},
	}
	var plain bytes.Buffer
	if err := diag.WriteText(&plain, ds, diag.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	wantPlain := `p.sb:2:28: warning: write /private/tmp [unresolved-symlink-path]
p.sb:3:1: error: list is never closed [syntax-error]
info: no position
`
	if plain.String() != wantPlain {
		t.Errorf("plain text:\n%s\nwant:\n%s", plain.String(), wantPlain)
	}
	var snip bytes.Buffer
	diag.WriteText(&snip, ds[:2], diag.TextOptions{Snippet: true})
	// The tab is shown as one space so the caret lines up; a span running
	// over several lines is underlined to the end of its first line.
	wantSnip := `p.sb:2:28: warning: write /private/tmp [unresolved-symlink-path]
 2 | (allow file-read* (subpath "/tmp"))
   |                            ^^^^^^
      = related: p.sb:1:1: version declared here
      = note: /tmp is a symlink
      = fix: spell the resolved path
p.sb:3:1: error: list is never closed [syntax-error]
 3 | (deny default
   | ^^^^^^^^^^^^^
`
	if snip.String() != wantSnip {
		t.Errorf("snippet text:\n%s\nwant:\n%s", snip.String(), wantSnip)
	}
	var color bytes.Buffer
	diag.WriteText(&color, ds[1:2], diag.TextOptions{Color: true})
	if !strings.Contains(color.String(), "\x1b[31merror:\x1b[0m") {
		t.Errorf("colour output: %q", color.String())
	}
	// A zero-width span still gets one caret.
	var zero bytes.Buffer
	diag.WriteText(&zero, []diag.Diagnostic{{Severity: diag.Error, Message: "m", Span: sp(11, 11)}}, diag.TextOptions{Snippet: true})
	if !strings.HasSuffix(zero.String(), " 1 | (version 1)\n   |            ^\n") {
		t.Errorf("zero-width span:\n%s", zero.String())
	}
}

func TestWriteJSON(t *testing.T) {
	var empty bytes.Buffer
	diag.WriteJSON(&empty, nil)
	if strings.TrimSpace(empty.String()) != "[]" {
		t.Errorf("no diagnostics: %q, want []", empty.String())
	}
	d := diag.Diagnostic{Severity: diag.Warning, Code: "c", Message: "m é", Span: sp(39, 45),
		Notes:   []string{"n"},
		Related: []diag.Related{{Span: sp(0, 1), Message: "r"}},
		Fixes:   []diag.Fix{{Title: "f", Edits: []diag.Edit{{Span: sp(39, 45), NewText: "/private/tmp"}}}}}
	var out bytes.Buffer
	if err := diag.WriteJSON(&out, []diag.Diagnostic{d}); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	g := got[0]
	for k, want := range map[string]any{"code": "c", "severity": "warning", "message": "m é", "file": "p.sb",
		"line": 2.0, "column": 28.0, "end_line": 2.0, "end_column": 34.0} {
		if g[k] != want {
			t.Errorf("%s = %v, want %v", k, g[k], want)
		}
	}
	edit := g["fixes"].([]any)[0].(map[string]any)["edits"].([]any)[0].(map[string]any)
	if edit["new_text"] != "/private/tmp" || edit["start_offset"] != 39.0 || edit["end_offset"] != 45.0 || edit["line"] != 2.0 {
		t.Errorf("edit: %v", edit)
	}
	if r := g["related"].([]any)[0].(map[string]any); r["message"] != "r" || r["line"] != 1.0 {
		t.Errorf("related: %v", r)
	}
	// fixes is always an array; related and notes are left out when empty.
	var bare bytes.Buffer
	diag.WriteJSON(&bare, []diag.Diagnostic{{Severity: diag.Error, Message: "x"}})
	if !strings.Contains(bare.String(), `"fixes": []`) || strings.Contains(bare.String(), "related") || strings.Contains(bare.String(), "notes") {
		t.Errorf("bare diagnostic JSON: %s", bare.String())
	}
}

// TestWriteTextOddSpans renders spans outside the text, reversed or on the
// last line without a newline: no panic, one caret at least.
func TestWriteTextOddSpans(t *testing.T) {
	short := source.NewFile("s.sb", []byte("(a\n(b"))
	for _, s := range []source.Span{
		{File: short, Start: -3, End: 1},
		{File: short, Start: 5, End: 99},
		{File: short, Start: 4, End: 2},
		{File: short, Start: 99, End: 99},
		{File: source.NewFile("e.sb", nil), Start: 0, End: 0},
	} {
		var b bytes.Buffer
		diag.WriteText(&b, []diag.Diagnostic{{Severity: diag.Error, Message: "m", Span: s}}, diag.TextOptions{Snippet: true})
		if !strings.Contains(b.String(), "^") {
			t.Errorf("span %d-%d: no caret in\n%s", s.Start, s.End, b.String())
		}
	}
}

// snippet renders one error at [start, end) of text with a snippet.
func snippet(text string, start, end int) string {
	f := source.NewFile("x.sb", []byte(text))
	var b bytes.Buffer
	diag.WriteText(&b, []diag.Diagnostic{{Severity: diag.Error, Message: "m", Span: source.Span{File: f, Start: start, End: end}}}, diag.TextOptions{Snippet: true})
	return b.String()
}

// TestSnippetClipsLongLines checks that a long line is clipped to a window
// around the caret with "…" marks, and that the caret stays under the span
// (QA #2: one 5 MB line used to be printed whole for every diagnostic).
func TestSnippetClipsLongLines(t *testing.T) {
	long := strings.Repeat("a", 100000) + "BAD" + strings.Repeat("b", 100000)
	got := snippet(long, 100000, 100003)
	want := "x.sb:1:100001: error: m\n" +
		" 1 | …" + strings.Repeat("a", 60) + "BAD" + strings.Repeat("b", 57) + "…\n" +
		"   | " + strings.Repeat(" ", 61) + "^^^\n"
	if got != want {
		t.Errorf("long line:\n%q\nwant\n%q", got, want)
	}
	// Near the start: no leading mark.
	got = snippet("(x "+strings.Repeat("y", 500), 1, 2)
	if !strings.HasPrefix(strings.Split(got, "\n")[1], " 1 | (x yyy") || !strings.HasSuffix(strings.Split(got, "\n")[1], "y…") {
		t.Errorf("start of long line:\n%s", got)
	}
	if strings.Split(got, "\n")[2] != "   |  ^" {
		t.Errorf("caret: %q", strings.Split(got, "\n")[2])
	}
	// A span longer than the window is underlined to the window's end.
	got = snippet(strings.Repeat("z", 1000), 0, 1000)
	if c := strings.Count(got, "^"); c != 60 {
		t.Errorf("long span: %d carets, want 60:\n%s", c, got)
	}
	if len(got) > 300 {
		t.Errorf("excerpt of a 1000-byte line is %d bytes", len(got))
	}
}

// TestSnippetEscapes checks that control characters, invalid UTF-8 and
// bidirectional overrides are escaped in excerpts, with the caret still
// under the span (QA #2/#4b: raw bytes reached the terminal).
func TestSnippetEscapes(t *testing.T) {
	got := snippet("(a \x1b[31m\x00\xff\u202e \"x\")", 14, 17)
	lines := strings.Split(got, "\n")
	if lines[1] != ` 1 | (a \x1b[31m\x00\xff\u202e "x")` {
		t.Errorf("escaped line: %q", lines[1])
	}
	if lines[2] != "   | "+strings.Repeat(" ", strings.Index(lines[1][5:], `"x"`))+"^^^" {
		t.Errorf("caret line: %q (line %q)", lines[2], lines[1])
	}
	for _, c := range got {
		if c < 0x20 && c != '\n' || c == 0x7f || c == 0x202e {
			t.Errorf("raw control character %U in output %q", c, got)
		}
	}
	// A 16 MB line of NUL bytes gives a short excerpt.
	got = snippet(strings.Repeat("\x00", 1<<20), 0, 1)
	if len(got) > 400 || !strings.Contains(got, `\x00\x00`) {
		t.Errorf("NUL line excerpt: %d bytes: %.200q", len(got), got)
	}
}

// TestSnippetGutter checks that one batch of diagnostics uses the width of
// its largest line number, so carets line up (QA #19a).
func TestSnippetGutter(t *testing.T) {
	f := source.NewFile("g.sb", []byte(strings.Repeat("(a)\n", 12)))
	at := func(line int) diag.Diagnostic {
		off := f.LineStart(line)
		return diag.Diagnostic{Severity: diag.Warning, Message: "m", Span: source.Span{File: f, Start: off + 1, End: off + 2}}
	}
	var b bytes.Buffer
	diag.WriteText(&b, []diag.Diagnostic{at(9), at(10)}, diag.TextOptions{Snippet: true})
	want := "g.sb:9:2: warning: m\n  9 | (a)\n    |  ^\ng.sb:10:2: warning: m\n 10 | (a)\n    |  ^\n"
	if b.String() != want {
		t.Errorf("gutter:\n%s\nwant\n%s", b.String(), want)
	}
}

// TestWritersLongLineLinear writes findings on a 4 MB profile written four
// forms per line and as one line, as text with excerpts and as GitHub
// annotations. The one-line form must not cost more than 4 times the
// other: excerpts once searched the whole line for its end, and columns
// counted runes from the line start, for every finding (hundreds of times
// slower at this size).
func TestWritersLongLineLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	const form = `(allow file-read* (literal "/é")) `
	const n, every = 120000, 12
	findings := func(perLine int) []diag.Diagnostic {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteString(strings.TrimSpace(form))
			if (i+1)%perLine == 0 {
				b.WriteByte('\n')
			} else {
				b.WriteByte(' ')
			}
		}
		f := source.NewFile("p.sb", []byte(b.String()))
		var ds []diag.Diagnostic
		for i := 0; i < n; i += every {
			at := i * len(form)
			ds = append(ds, diag.Diagnostic{Severity: diag.Warning, Code: "c", Message: "m",
				Span: source.Span{File: f, Start: at + 18, End: at + 33}})
		}
		return ds
	}
	write := func(ds []diag.Diagnostic) time.Duration {
		start := time.Now()
		var b bytes.Buffer
		if err := diag.WriteText(&b, ds, diag.TextOptions{Snippet: true}); err != nil {
			t.Fatal(err)
		}
		if err := diag.WriteGitHub(&b, ds); err != nil {
			t.Fatal(err)
		}
		return time.Since(start)
	}
	// Four forms per line: excerpts are clipped to the same width as on one line.
	lines, one := findings(4), findings(n)
	var tLines, tOne time.Duration
	for range 3 { // interleaved, best of three
		if d := write(lines); tLines == 0 || d < tLines {
			tLines = d
		}
		if d := write(one); tOne == 0 || d < tOne {
			tOne = d
		}
	}
	t.Logf("four forms per line %v, one line %v", tLines, tOne)
	if tOne > 4*tLines {
		t.Errorf("one line took %v, %.1f times the %v for four forms per line", tOne, float64(tOne)/float64(tLines), tLines)
	}
}

// hostile holds the sequences no text output may print raw: ESC, a CSI
// colour sequence, a right-to-left override, a left-to-right isolate, a
// BOM, NUL, DEL, a C1 control, invalid UTF-8 and a tab.
var hostile = []struct{ raw, escaped string }{
	{"\x1b", `\x1b`},
	{"\x1b[35mred", `\x1b[35mred`},
	{"\u202e", `\u202e`},
	{"\u2066", `\u2066`},
	{"\ufeff", `\ufeff`},
	{"\x00", `\x00`},
	{"\x7f", `\x7f`},
	{"\u009b", `\u009b`},
	{"\xff\xfe", `\xff\xfe`},
	{"\xe2\x82", `\xe2\x82`}, // a truncated sequence
	{"\t", `\x09`},
	{"\r\n", `\x0d\x0a`},
}

// rawControl returns the first character of out that must not reach a
// terminal (a newline ends a line of output and is allowed), or -1.
func rawControl(out string) rune {
	for i, r := range out {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(out[i:]); size == 1 {
				return r
			}
		}
		if r < 0x20 && r != '\n' || r == 0x7f || r >= 0x80 && r < 0xa0 || r >= 0x202a && r <= 0x202e ||
			r >= 0x2066 && r <= 0x2069 || r == 0xfeff {
			return r
		}
	}
	return -1
}

// TestWritersEscapeUserText puts each hostile sequence in every
// user-derived field of a diagnostic (file name, message, code, note,
// related file and caption, fix title) and checks that the text and GitHub
// writers print it escaped and nothing raw, while JSON and SARIF keep the
// real string (QA #7: `(error "\033[35m...")`, fix texts and
// unbound-identifier names reached the terminal raw).
func TestWritersEscapeUserText(t *testing.T) {
	for _, h := range hostile {
		src := source.NewFile("dir/"+h.raw+"p.sb", []byte("(allow x)\n"))
		sp := source.Span{File: src, Start: 1, End: 6}
		d := diag.Diagnostic{Severity: diag.Error, Code: "code" + h.raw, Span: sp,
			Message: "unbound variable " + h.raw + "name",
			Notes:   []string{"note " + h.raw},
			Related: []diag.Related{{Span: sp, Message: "caption " + h.raw}},
			Fixes:   []diag.Fix{{Title: "write " + h.raw, Edits: []diag.Edit{{Span: sp, NewText: h.raw}}}}}
		var text, color, gh bytes.Buffer
		if err := diag.WriteText(&text, []diag.Diagnostic{d}, diag.TextOptions{Snippet: true}); err != nil {
			t.Fatal(err)
		}
		if err := diag.WriteText(&color, []diag.Diagnostic{d}, diag.TextOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := diag.WriteGitHub(&gh, []diag.Diagnostic{d}); err != nil {
			t.Fatal(err)
		}
		for name, out := range map[string]string{"text": text.String(), "text without excerpt": color.String(), "github": gh.String()} {
			if r := rawControl(out); r >= 0 {
				t.Errorf("%q: %s output holds raw %U:\n%q", h.raw, name, r, out)
			}
		}
		for _, want := range []string{
			"dir/" + h.escaped + "p.sb:1:2: error: unbound variable " + h.escaped + "name [code" + h.escaped + "]",
			"= related: dir/" + h.escaped + "p.sb:1:2: caption " + h.escaped + "\n",
			"= note: note " + h.escaped + "\n",
			"= fix: write " + h.escaped + "\n",
		} {
			if !strings.Contains(text.String(), want) {
				t.Errorf("%q: text output lacks %q:\n%s", h.raw, want, text.String())
			}
		}
		ghMessage := h.escaped // a line break in a message stays one, encoded
		if h.raw == "\r\n" {
			ghMessage = "%0D%0A"
		}
		for _, want := range []string{"file=dir/" + h.escaped + "p.sb,", "title=code" + h.escaped + "::",
			"::unbound variable " + ghMessage + "name [code" + h.escaped + "]\n"} {
			if !strings.Contains(gh.String(), want) {
				t.Errorf("%q: github output %q lacks %q", h.raw, gh.String(), want)
			}
		}

		var js bytes.Buffer
		if err := diag.WriteJSON(&js, []diag.Diagnostic{d}); err != nil {
			t.Fatal(err)
		}
		var got []diag.JSONDiagnostic
		if err := json.Unmarshal(js.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		// encoding/json turns each invalid byte into U+FFFD; everything else round-trips.
		wantRaw := string([]rune(h.raw))
		if len(got) != 1 || got[0].Message != "unbound variable "+wantRaw+"name" || got[0].Notes[0] != "note "+wantRaw ||
			got[0].Fixes[0].Title != "write "+wantRaw || got[0].File != "dir/"+wantRaw+"p.sb" {
			t.Errorf("%q: JSON does not keep the real strings: %+v", h.raw, got)
		}
		var sarif bytes.Buffer
		if err := diag.WriteSARIF(&sarif, []diag.Diagnostic{d}, diag.SARIFTool{Name: "sbplc"}, nil); err != nil {
			t.Fatal(err)
		}
		var log struct {
			Runs []struct {
				Results []struct {
					Message struct{ Text string } `json:"message"`
				} `json:"results"`
			} `json:"runs"`
		}
		if err := json.Unmarshal(sarif.Bytes(), &log); err != nil {
			t.Fatal(err)
		}
		if len(log.Runs) != 1 || len(log.Runs[0].Results) != 1 || log.Runs[0].Results[0].Message.Text != "unbound variable "+wantRaw+"name" {
			t.Errorf("%q: SARIF does not keep the real message: %s", h.raw, sarif.String())
		}
	}
	// Plain text is returned unchanged, including non-ASCII letters.
	d := diag.Diagnostic{Severity: diag.Warning, Message: "write /private/tmp: café ☕ …"}
	var b bytes.Buffer
	diag.WriteText(&b, []diag.Diagnostic{d}, diag.TextOptions{})
	if b.String() != "warning: write /private/tmp: café ☕ …\n" {
		t.Errorf("plain message changed: %q", b.String())
	}
}
