package policy

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/eval"
	"github.com/sbplc/sbplc/source"
)

var (
	propOps     = []string{"file-read*", "file-read-data", "file-write*", "file-write-data", "file*", "default", "network-outbound", "mach-lookup", "file-read-metadata"}
	propFilters = []string{
		`(subpath "/a")`, `(subpath "/a/b")`, `(literal "/a/b/c")`, `(prefix "/a/b")`,
		`(regex #"^/a/[bc]")`, `(regex #"c$")`, `(literal "/tmp/x")`, `(subpath "/private/tmp")`,
		`(require-not (subpath "/a/b"))`, `(require-all (subpath "/a") (require-not (literal "/a/c")))`,
		`(require-any (literal "/a") (literal "/b"))`, `(home "/h")`, `(vnode-type DIRECTORY)`,
		`(remote tcp "*:443")`, `(remote ip "localhost:*")`, `(global-name "com.a")`, `(global-name-prefix "com.")`,
		`(literal (string-append "/a" "/b"))`, `(subpath (param "ROOT"))`,
	}
	propQueries = [][2]string{
		{"file-read-data", "/a"}, {"file-read-data", "/a/b"}, {"file-read-data", "/a/b/c"}, {"file-read-data", "/a/bc"},
		{"file-read-metadata", "/a/c"}, {"file-write-data", "/a/b/c"}, {"file-write-create", "/b"}, {"file-write-data", "/tmp/x"},
		{"file-read-data", "/h/x"}, {"file-mknod", "/a"}, {"network-outbound", "tcp:*:443"}, {"network-outbound", "udp:localhost:53"},
		{"mach-lookup", "com.a"}, {"mach-lookup", "com.b"}, {"file-read-data", "/r/x"}, {"file-ioctl", "/c"},
	}
)

// randomProfile writes a small profile with helpers, several filters per
// rule and modifiers.
func randomProfile(r *rand.Rand) string {
	var b strings.Builder
	b.WriteString("(version 1)\n(define (home p) (subpath (string-append \"/h\" p)))\n")
	b.WriteString("(define (both op f) (allow op f) (deny file-write-data f))\n")
	n := 1 + r.Intn(10)
	for i := 0; i < n; i++ {
		action := "allow"
		if r.Intn(2) == 0 {
			action = "deny"
		}
		op := propOps[r.Intn(len(propOps))]
		switch k := r.Intn(10); {
		case k == 0:
			fmt.Fprintf(&b, "(%s %s)\n", action, op)
		case k == 1:
			fmt.Fprintf(&b, "(both %s %s)\n", op, propFilters[r.Intn(len(propFilters))])
		default:
			var fs []string
			for j := 0; j < 1+r.Intn(3); j++ {
				fs = append(fs, propFilters[r.Intn(len(propFilters))])
			}
			mod := ""
			if r.Intn(5) == 0 {
				mod = " (with report)"
				if action == "deny" {
					mod = " (with no-report)"
				}
			}
			fmt.Fprintf(&b, "(%s %s %s%s)\n", action, op, strings.Join(fs, " "), mod)
		}
	}
	return b.String()
}

// naiveQuery is the model without indexes: every filtered rule of each
// segment in order.
func naiveQuery(e *Engine, op string, res Resource) Result {
	pl := e.planFor(op)
	q := query{res: res, model: &e.model, remote: pl.remote, nameDim: pl.nameDim}
	var pending []Result
	result := pl.terminal
	done := false
	for _, s := range pl.segs {
		for _, cr := range s.filtered {
			t := cr.f.eval(&q)
			if t == yes {
				result, done = cr.result, true
				break
			}
			if t == maybe {
				pending = append(pending, cr.result)
			}
		}
		if !done && s.bottom != nil {
			result, done = s.bottom.result, true
		}
		if done {
			break
		}
	}
	for i := len(pending) - 1; i >= 0; i-- {
		if pending[i] != result {
			result = Unknown
		}
	}
	return result
}

func chainString(d Decision) string {
	var b strings.Builder
	for _, s := range d.Chain {
		fmt.Fprintf(&b, "%s/%d/%v ", s.Op, s.Tried, s.How)
	}
	return b.String()
}

// TestExpandProperty: for random small profiles, the answers on the
// flattened `expand` output equal the answers on the original, and the
// indexed walk equals the naive one.
func TestExpandProperty(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	opts := eval.Options{Params: map[string]string{"ROOT": "/r"}}
	checked := 0
	for i := 0; i < 150; i++ {
		text := randomProfile(r)
		a := eval.Run(source.NewFile("a.sb", []byte(text)), opts)
		if a.Diags.HasErrors() {
			t.Fatalf("random profile does not evaluate:\n%s\n%v", text, a.Diags)
		}
		flat := eval.FormatSBPL(a.Profile)
		b := eval.Run(source.NewFile("b.sb", []byte(flat)), eval.Options{})
		if b.Diags.HasErrors() {
			t.Fatalf("expand output does not evaluate:\n%s\n%v", flat, b.Diags)
		}
		for _, model := range []bool{true, false} {
			m := DefaultModel()
			m.SpecificBeatsWildcard = model
			ea, _ := New(a.Profile, Options{Model: &m})
			eb, _ := New(b.Profile, Options{Model: &m})
			for _, q := range propQueries {
				for _, vnode := range []string{"", "DIRECTORY"} {
					res, err := ParseResource(q[0], q[1])
					if err != nil {
						t.Fatal(err)
					}
					res.Vnode = vnode
					da := ea.Query(Request{Op: q[0], Resource: res})
					db := eb.Query(Request{Op: q[0], Resource: res})
					checked++
					if da.Result != db.Result || chainString(da) != chainString(db) {
						t.Fatalf("%s %s (vnode %q): original %v by %q, expanded %v by %q\noriginal:\n%s\nexpanded:\n%s",
							q[0], q[1], vnode, da.Result, RuleText(da), db.Result, RuleText(db), text, flat)
					}
					// The naive walk decides one check: compare it with the
					// check on the canonical path (QueryInto adds the link
					// checks of a lookup; TestLookupLinks covers them).
					one := res
					one.Links = nil
					if n, di := naiveQuery(ea, q[0], one), ea.Query(Request{Op: q[0], Resource: one}); n != di.Result && len(ea.opaque) == 0 {
						t.Fatalf("%s %s: indexed %v, naive %v\n%s", q[0], q[1], di.Result, n, text)
					}
				}
			}
		}
	}
	if checked < 1000 {
		t.Errorf("only %d comparisons", checked)
	}
}

// FuzzQuery: any profile text and any query never panics, and the answer
// is stable.
func FuzzQuery(f *testing.F) {
	f.Add("(version 1)(deny default)(allow file-read* (subpath \"/a\"))", "file-read-data", "/a/b")
	f.Add("(version 1)(allow network-outbound (remote tcp \"*:443\"))", "network-outbound", "tcp:*:443")
	f.Add("(version 1)(allow file-read* (regex #\"^/(a|b)*[^/]+$\"))", "file-read-data", "/ab")
	f.Add("(version 2)(import \"x.sb\")(allow signal (target others))", "signal", "children")
	f.Fuzz(func(t *testing.T, text, op, resource string) {
		if len(text) > 4096 {
			return
		}
		res := eval.Run(source.NewFile("f.sb", []byte(text)), eval.Options{Limits: eval.Limits{Steps: 100000}})
		e, _ := New(res.Profile, Options{Home: "/Users/u"})
		d1, err := e.QueryText(op, resource)
		if err != nil {
			return
		}
		d2, _ := e.QueryText(op, resource)
		if d1.Result != d2.Result || d1.Rule != d2.Rule {
			t.Fatalf("unstable answer: %v / %v", d1.Result, d2.Result)
		}
	})
}
