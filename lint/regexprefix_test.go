package lint

import "testing"

func TestRegexLiteralPrefix(t *testing.T) {
	for _, tc := range []struct {
		in       string
		pre      string
		anchored bool
	}{
		{"/usr/lib", "", false},
		{"^/usr/lib/", "/usr/lib/", true},
		{"^/usr/lib/[^/]+$", "/usr/lib/", true},
		{"^/private/var/db/mds\\.lock$", "/private/var/db/mds.lock", true},
		{"^/a\\.b\\-c/x*", "/a.b-c/", true}, // quantifier drops the last byte
		{"^/a\\.b?", "/a.", true},
		{"^/ab{2}", "/a", true},
		{"^/a\\d", "/a", true}, // \d is not a literal escape
		{"^", "", true},
		{"^*", "", true},
		{"^/tmp\\/x(/|$)", "/tmp/x", true},
	} {
		pre, anch := regexLiteralPrefix(tc.in)
		if pre != tc.pre || anch != tc.anchored {
			t.Errorf("regexLiteralPrefix(%q) = %q, %v; want %q, %v", tc.in, pre, anch, tc.pre, tc.anchored)
		}
	}
}
