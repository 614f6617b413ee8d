package bytecode

import (
	"strconv"
	"sync"

	"github.com/sbplc/sbplc/vocab"
)

// vocabVocabulary adapts package vocab to Vocabulary for one layout.
type vocabVocabulary struct {
	l Layout
	t vocab.Target

	once    sync.Once
	filters map[int]FilterInfo
}

// vocabularies holds one Vocabulary per layout (they are read only).
var vocabularies sync.Map // layout name + bias -> *vocabVocabulary

// VocabularyFor returns the embedded vocabulary of l's OS release. Filter
// ids are translated with l.FilterIDBias. The result is shared and safe
// for concurrent use.
func VocabularyFor(l Layout) Vocabulary {
	key := l.Name + "\x00" + l.OSKey + "\x00" + strconv.Itoa(l.FilterIDBias)
	if v, ok := vocabularies.Load(key); ok {
		return v.(*vocabVocabulary)
	}
	t, ok := vocab.LookupTarget(l.Name)
	if !ok {
		t = vocab.Target{Name: l.Name, OSKey: l.OSKey}
	}
	v, _ := vocabularies.LoadOrStore(key, &vocabVocabulary{l: l, t: t})
	return v.(*vocabVocabulary)
}

func (v *vocabVocabulary) OperationName(id int) (string, bool) { return vocab.OperationByID(v.t, id) }

func (v *vocabVocabulary) OperationID(name string) (int, bool) { return vocab.OperationID(v.t, name) }

func (v *vocabVocabulary) Filter(id int) (FilterInfo, bool) {
	v.once.Do(v.load)
	fi, ok := v.filters[id]
	return fi, ok
}

func (v *vocabVocabulary) load() {
	v.filters = map[int]FilterInfo{}
	for _, f := range vocab.Filters() {
		if f.Form != vocab.FormBase {
			continue
		}
		vid, ok := f.IDs.Get(v.t.OSKey)
		if !ok {
			continue
		}
		fi := FilterInfo{Name: f.Name, ArgKind: f.ArgKind, Kind: argKindOf(f.ArgKind)}
		for _, nv := range f.Values {
			if nv.HasValue {
				fi.Values = append(fi.Values, NamedValue{Name: nv.Name, Value: nv.Value})
			}
		}
		if len(fi.Values) == 0 {
			fi.Values = wellKnownValues[f.Name]
		}
		v.filters[vid-v.l.FilterIDBias] = fi
	}
}

// HasFilterTable reports whether the release has a filter table in the
// vocabulary: without one, filter ids name nothing and the verifier does
// not check them.
func (v *vocabVocabulary) HasFilterTable() bool {
	v.once.Do(v.load)
	return len(v.filters) > 0
}
