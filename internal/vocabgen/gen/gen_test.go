package gen

import (
	"slices"
	"testing"
)

func TestExpandNames(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"param", []string{"param"}},
		{"quasiquote / unquote / unquote-splicing", []string{"quasiquote", "unquote", "unquote-splicing"}},
		{"string-prefix? / string-tail", []string{"string-prefix?", "string-tail"}},
		{"syscall-group-* (open read write)", []string{"syscall-group-open", "syscall-group-read", "syscall-group-write"}},
		{"(each operation name)", nil},
		{"#o777 / #x1F / #t / #f / #\\c", nil},
		{"C preprocessor lines", nil},
	}
	for _, tt := range tests {
		if got := expandNames(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("expandNames(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestVersionLess(t *testing.T) {
	in := []string{"15.2+", "10.12", "14.4.1", "10.9.5", "10.15"}
	slices.SortFunc(in, func(a, b string) int {
		switch {
		case versionLess(a, b):
			return -1
		case versionLess(b, a):
			return 1
		}
		return 0
	})
	if want := []string{"10.9.5", "10.12", "10.15", "14.4.1", "15.2+"}; !slices.Equal(in, want) {
		t.Errorf("sorted = %v, want %v", in, want)
	}
}

func TestValuesFromNotes(t *testing.T) {
	sm := valuesRE.FindStringSubmatch("(local PROTO [ADDR...]); PROTO symbols ip ip4 tcp (values 3,1,7); ADDR")
	if sm == nil || sm[1] != "ip ip4 tcp" || sm[2] != "3,1,7" {
		t.Errorf("valuesRE = %q", sm)
	}
}
