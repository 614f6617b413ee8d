package diag

import "testing"

func TestPluralAndCount(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{Count(0, "rule"), "0 rules"},
		{Count(1, "rule"), "1 rule"},
		{Count(3, "filtered rule"), "3 filtered rules"},
		{Count(-1, "byte"), "-1 bytes"},
		{Plural(1, "probe is", "probes are"), "1 probe is"},
		{Plural(2, "probe is", "probes are"), "2 probes are"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
