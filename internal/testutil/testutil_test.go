package testutil

import "testing"

func TestSplitChunksAndWants(t *testing.T) {
	cs, err := SplitChunks("x.txt", "(a) ; want \"foo\" \"bar\"\n---  second\n\n; want-next \"baz\"\n(b)\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[1].Name != "second" || cs[1].StartLine != 3 {
		t.Fatalf("chunks %+v", cs)
	}
	if len(cs[0].Wants) != 2 || cs[0].Wants[1].Line != 1 {
		t.Fatalf("wants %+v", cs[0].Wants)
	}
	if w := cs[1].Wants; len(w) != 1 || w[0].Line != 3 || w[0].Re.String() != "baz" {
		t.Fatalf("want-next %+v", w)
	}
	// Met and unmet expectations.
	ft := &fakeT{}
	CheckWants(ft, cs[0], []Got{{1, "foo [x]"}, {1, "bar [y]"}})
	if ft.errs != 0 {
		t.Fatalf("met wants reported %d errors", ft.errs)
	}
	ft = &fakeT{}
	CheckWants(ft, cs[0], []Got{{1, "foo [x]"}, {2, "other"}})
	if ft.errs != 2 { // bar unmet, other unexpected
		t.Fatalf("got %d errors, want 2", ft.errs)
	}
}

type fakeT struct {
	testing.TB
	errs int
}

func (f *fakeT) Helper()               {}
func (f *fakeT) Errorf(string, ...any) { f.errs++ }
