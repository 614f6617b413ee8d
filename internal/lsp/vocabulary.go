package lsp

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/sbplc/sbplc/vocab"
)

// embeddedVocab is the production Vocabulary over package vocab.
type embeddedVocab struct {
	once  sync.Once
	names [4][]Entry
}

// EmbeddedVocabulary returns the vocabulary compiled into sbplc.
func EmbeddedVocabulary() Vocabulary { return &embeddedVocab{} }

func (v *embeddedVocab) Lookup(k Kind, name string) (Entry, bool) {
	switch k {
	case KindOperation:
		if op, ok := vocab.LookupOperation(name); ok {
			return opEntry(op), true
		}
	case KindFilter:
		if f, ok := vocab.LookupFilter(name); ok {
			return filterEntry(f), true
		}
	case KindModifier:
		if m, ok := vocab.LookupModifier(name); ok {
			return modifierEntry(m), true
		}
	case KindKeyword:
		if f, ok := vocab.LookupForm(name); ok {
			return formEntry(f), true
		}
		if b, ok := vocab.LookupBuiltin(name); ok && b.Bound() {
			return builtinEntry(b), true
		}
	}
	return Entry{}, false
}

func (v *embeddedVocab) Names(k Kind) []Entry {
	if k < 0 || int(k) >= len(v.names) {
		return nil
	}
	v.once.Do(func() {
		for _, op := range vocab.Operations() {
			v.names[KindOperation] = append(v.names[KindOperation], opEntry(op))
		}
		for _, f := range vocab.Filters() {
			if f.Form == vocab.FormLegacy {
				continue // legacy symbols are not written as (name ...)
			}
			v.names[KindFilter] = append(v.names[KindFilter], filterEntry(f))
		}
		for _, m := range vocab.Modifiers() {
			v.names[KindModifier] = append(v.names[KindModifier], modifierEntry(m))
		}
		seen := map[string]bool{}
		for _, f := range vocab.Forms() {
			seen[f.Name] = true
			v.names[KindKeyword] = append(v.names[KindKeyword], formEntry(f))
		}
		for _, b := range vocab.Builtins() {
			if !seen[b.Name] && b.Bound() {
				v.names[KindKeyword] = append(v.names[KindKeyword], builtinEntry(b))
			}
		}
		for i := range v.names {
			sort.SliceStable(v.names[i], func(a, b int) bool { return v.names[i][a].Name < v.names[i][b].Name })
		}
	})
	return v.names[k]
}

func code(s string) string { return "`" + strings.ReplaceAll(s, "`", "'") + "`" }

func opEntry(op *vocab.Operation) Entry {
	var detail string
	switch {
	case op.NoOp:
		detail = "operation · no-op: rules naming it are dropped"
	case op.AliasOf != "":
		detail = "operation · alias of " + code(op.AliasOf)
	case op.TerminalDefault != "":
		detail = fmt.Sprintf("operation · terminal: %s when no rule matches", op.TerminalDefault)
	case len(op.Chain) > 1:
		parts := make([]string, len(op.Chain)-1)
		for i, c := range op.Chain[1:] {
			parts[i] = code(c)
		}
		detail = "operation · falls back to " + strings.Join(parts, " → ")
		if op.Guessed {
			detail += " (inferred)"
		}
	default:
		detail = "operation"
	}
	return Entry{Name: op.Name, Kind: KindOperation, Detail: detail, Doc: op.Doc}
}

func filterEntry(f *vocab.Filter) Entry {
	detail := "filter"
	if f.Form != "" && f.Form != vocab.FormBase {
		detail += " · " + f.Form
		if f.Base != "" && f.Base != f.Name {
			detail += " of " + code(f.Base)
		}
	}
	if f.ArgKind != "" {
		detail += " · argument: " + f.ArgKind
	}
	doc := f.Doc
	if len(f.Values) > 0 {
		names := make([]string, 0, len(f.Values))
		for i, nv := range f.Values {
			if i == 20 {
				names = append(names, "…")
				break
			}
			names = append(names, code(nv.Name))
		}
		doc = strings.TrimSpace(doc + "\n\nValues: " + strings.Join(names, ", "))
	}
	return Entry{Name: f.Name, Kind: KindFilter, Detail: detail, Doc: doc}
}

func modifierEntry(m *vocab.Modifier) Entry {
	detail := "modifier"
	if m.Kind == "deprecated-modifier" {
		detail += " · deprecated"
	}
	if m.AliasOf != "" {
		detail += " · alias of " + code(m.AliasOf)
	}
	if m.Action != "" {
		detail += " · on " + m.Action
	}
	if m.Arg != "" && m.Arg != "none" {
		detail += " · argument: " + m.Arg
	}
	doc := m.Doc
	if len(m.Values) > 0 && len(m.Values) <= 40 {
		doc = strings.TrimSpace(doc + "\n\nValues: " + strings.Join(m.Values, ", "))
	}
	return Entry{Name: m.Name, Kind: KindModifier, Detail: detail, Doc: doc}
}

func formEntry(f *vocab.Form) Entry {
	doc := f.Notes
	if f.Syntax != "" {
		doc = strings.TrimSpace("```scheme\n" + f.Syntax + "\n```\n\n" + doc)
	}
	return Entry{Name: f.Name, Kind: KindKeyword, Detail: "top-level form", Doc: doc}
}

func builtinEntry(b *vocab.Builtin) Entry {
	return Entry{Name: b.Name, Kind: KindKeyword, Detail: "builtin · " + b.Kind, Doc: b.Notes}
}

func (v *embeddedVocab) Values(filter string) []Entry {
	f, ok := vocab.LookupFilter(filter)
	if !ok {
		return nil
	}
	var out []Entry
	for _, nv := range f.Values {
		detail := "value of " + f.Name
		if nv.HasValue {
			detail += fmt.Sprintf(" (%d)", nv.Value)
		}
		out = append(out, Entry{Name: nv.Name, Kind: kindValue, Detail: detail})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
