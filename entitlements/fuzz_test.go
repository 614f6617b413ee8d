package entitlements

import (
	"errors"
	"testing"

	"howett.net/plist"
)

// check is what every reader promises: an error or a set, never a panic;
// an error is an *Error with a position inside the input; a set is
// sorted and renders.
func check(t *testing.T, data []byte) {
	s, err := Parse("f", data)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error %T %v is not an *Error", err, err)
		}
		if e.Line < 0 || e.Offset < 0 || e.Offset > int64(len(data)) || e.Line > len(data)+1 {
			t.Fatalf("position out of range: %+v (input %d bytes)", e, len(data))
		}
		return
	}
	for i := 1; i < len(s.Entries); i++ {
		if s.Entries[i-1].Key > s.Entries[i].Key {
			t.Fatalf("entries not sorted: %q > %q", s.Entries[i-1].Key, s.Entries[i].Key)
		}
	}
	for _, e := range s.Entries {
		_ = e.Value.String()
	}
}

func FuzzPlist(f *testing.F) {
	var root any
	plist.Unmarshal([]byte(xmlPlist), &root)
	bin, _ := plist.Marshal(root, plist.BinaryFormat)
	f.Add([]byte(xmlPlist))
	f.Add(bin)
	f.Add([]byte("<plist><dict><key>a</key><array><true/><integer>1</integer><real>1.5</real><data>AAE=</data><date>2020-01-01T00:00:00Z</date></array></dict></plist>"))
	f.Fuzz(func(t *testing.T, data []byte) { check(t, data) })
}

func FuzzJSON(f *testing.F) {
	f.Add([]byte(`{"a": true, "b": ["x", 1, 2.5, {"c": false}]}`))
	f.Add([]byte(`{"a": 1e400}`))
	f.Fuzz(func(t *testing.T, data []byte) { check(t, data) })
}

func FuzzMachO(f *testing.F) {
	t := &testing.T{}
	f.Add(machO(t, []byte(xmlPlist), false))
	f.Add(machO(t, []byte(xmlPlist), true))
	f.Add(fat(machO(t, []byte(xmlPlist), false)))
	f.Fuzz(func(t *testing.T, data []byte) { check(t, data) })
}
