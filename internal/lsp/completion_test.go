package lsp

import (
	"strings"
	"testing"
)

func TestCompletion(t *testing.T) {
	tests := []struct {
		text string   // | marks the cursor
		want []string // labels, in order; nil = no completions
		edit string   // text after applying the first item, when set
	}{
		{text: "(allow |", want: []string{"file-read*", "file-read-data", "file-write*", "network-outbound"}},
		{text: "(allow file-r|", want: []string{"file-read*", "file-read-data"}, edit: "(allow file-read*"},
		{text: "(deny file-read* |)", want: []string{"file-read*", "file-read-data", "file-write*", "network-outbound"}},
		{text: "(allow file-read-|data)", want: []string{"file-read-data"}, edit: "(allow file-read-data)"},
		{text: "(allow file-read* (|", want: []string{"literal", "regex", "require-all", "require-not", "subpath", "with"}},
		{text: "(allow file-read* (s|))", want: []string{"subpath"}, edit: "(allow file-read* (subpath))"},
		{text: "(allow file-read* (require-all (li| \"/a\")))", want: []string{"literal"}},
		{text: "(allow file-read* (with |))", want: []string{"report", "send-signal"}},
		{text: "(allow file-read* (with r|", want: []string{"report"}, edit: "(allow file-read* (with report"},
		{text: "(allow file-read* (with report |))", want: nil},
		{text: "(v|", want: []string{"version"}},
		{text: "(|)", want: []string{"allow", "define", "deny", "version", "with"}},
		{text: "(define (f) (|))", want: []string{"allow", "define", "deny", "version", "with", "literal", "regex", "require-all", "require-not", "subpath"}},
		{text: "(allow file-read* (literal \"/l|\"))", want: nil},
		{text: "; (allow |\n", want: nil},
		{text: "(version 1)|", want: nil},
		{text: "(allow file-read* (literal \"/a\")) ; é😀\n(allow file-w|", want: []string{"file-write*"}, edit: "(allow file-read* (literal \"/a\")) ; é😀\n(allow file-write*"},
		{text: "(allow file-read* (vnode-type |))", want: []string{"DIRECTORY", "REGULAR-FILE"}},
		{text: "(allow file-read* (require-not (vnode-type R|)))", want: []string{"REGULAR-FILE"}, edit: "(allow file-read* (require-not (vnode-type REGULAR-FILE)))"},
		{text: "(allow file-read* (literal |))", want: nil},
		{text: "(define (f) (vnode-type |))", want: nil},
		{text: "(allow x)\n(deny |\n(allow y)", want: []string{"file-read*", "file-read-data", "file-write*", "network-outbound"}},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			c := initialized(t, Options{Vocab: fakeVocab{}})
			list, text := c.completeAt("file:///c.sb", tc.text)
			var got []string
			for _, it := range list.Items {
				got = append(got, it.Label)
			}
			// Items are ordered by SortText.
			sortByText(list.Items)
			got = got[:0]
			for _, it := range list.Items {
				got = append(got, it.Label)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("completions %q, want %q", got, tc.want)
			}
			if tc.edit != "" {
				it := list.Items[0]
				if it.TextEdit == nil {
					t.Fatal("no text edit")
				}
				if out := applyEdits(t, text, []TextEdit{*it.TextEdit}); out != tc.edit {
					t.Fatalf("applying %q gives %q, want %q", it.Label, out, tc.edit)
				}
			}
		})
	}
}

func sortByText(items []CompletionItem) {
	for i := 1; i < len(items); i++ {
		for j := i; j > 0 && items[j].SortText < items[j-1].SortText; j-- {
			items[j], items[j-1] = items[j-1], items[j]
		}
	}
}

// TestCompletionEmbedded checks real vocabulary names in the three positions.
func TestCompletionEmbedded(t *testing.T) {
	c := initialized(t, Options{Vocab: EmbeddedVocabulary()})
	for _, tc := range []struct {
		text, want string
	}{
		{"(allow mach-look|", "mach-lookup"},
		{"(allow file-read* (subp|", "subpath"},
		{"(allow file-read* (with no-rep|", "no-report"},
		{"(allow file-read* (vnode-type DIR|", "DIRECTORY"},
	} {
		list, _ := c.completeAt("file:///e.sb", tc.text)
		found := false
		for _, it := range list.Items {
			found = found || it.Label == tc.want
		}
		if !found {
			t.Errorf("%q: %s not offered (%d items)", tc.text, tc.want, len(list.Items))
		}
	}
}
