package lsp

import (
	"errors"
	"math/rand"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/source"
)

// squeeze is a stand-in formatter: it collapses runs of spaces.
var squeeze = FormatterFunc(func(src *source.File) ([]byte, error) {
	text := string(src.Text)
	if strings.Contains(text, "\"") && strings.Count(text, "\"")%2 == 1 {
		return nil, errors.New("1:1: unterminated string")
	}
	for strings.Contains(text, "  ") {
		text = strings.ReplaceAll(text, "  ", " ")
	}
	return []byte(text), nil
})

func TestFormatting(t *testing.T) {
	c := initialized(t, Options{Formatter: squeeze})
	const uri = "file:///f.sb"
	for _, tc := range []struct{ in, want string }{
		{"(version 1)\n(allow   file-read*  (literal \"/é😀\"))\n", "(version 1)\n(allow file-read* (literal \"/é😀\"))\n"},
		{"(version 1)\n", "(version 1)\n"},
		{"😀  😀", "😀 😀"},
	} {
		c.open(uri, tc.in)
		var edits []TextEdit
		c.callInto("textDocument/formatting", map[string]any{"textDocument": map[string]any{"uri": uri}, "options": map[string]any{"tabSize": 2, "insertSpaces": true}}, &edits)
		if got := applyEdits(t, tc.in, edits); got != tc.want {
			t.Errorf("formatting %q gives %q, want %q", tc.in, got, tc.want)
		}
		if tc.in == tc.want && len(edits) != 0 {
			t.Errorf("formatted text got edits %+v", edits)
		}
	}
	c.open(uri, "(allow \"oops)")
	_, err := c.call("textDocument/formatting", map[string]any{"textDocument": map[string]any{"uri": uri}})
	if err == nil || err.Code != CodeRequestFailed || !strings.Contains(err.Message, "unterminated string") {
		t.Fatalf("formatting broken text: %v", err)
	}
}

func TestFormattingUnavailable(t *testing.T) {
	c := initialized(t, Options{})
	c.open("file:///f.sb", "(version 1)")
	if _, err := c.call("textDocument/formatting", map[string]any{"textDocument": map[string]any{"uri": "file:///f.sb"}}); err == nil || err.Code != CodeMethodNotFound {
		t.Fatalf("formatting without a formatter: %v", err)
	}
}

// TestMinimalEdit checks on random texts that the edit turns a into b and
// never splits a UTF-8 sequence.
func TestMinimalEdit(t *testing.T) {
	alphabet := []string{"a", "(", ")", " ", "\n", "é", "😀", "\r\n"}
	rnd := rand.New(rand.NewSource(1))
	gen := func() string {
		var b strings.Builder
		for i := rnd.Intn(12); i > 0; i-- {
			b.WriteString(alphabet[rnd.Intn(len(alphabet))])
		}
		return b.String()
	}
	for i := 0; i < 3000; i++ {
		a, b := gen(), gen()
		e, ok := minimalEdit(source.NewFile("t", []byte(a)), []byte(b))
		if !ok {
			if a != b {
				t.Fatalf("%q -> %q: no edit", a, b)
			}
			continue
		}
		if got := applyEdits(t, a, []TextEdit{e}); got != b {
			t.Fatalf("%q -> %q: edit %+v gives %q", a, b, e, got)
		}
	}
}
