package policy

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/eval"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/source"
	"github.com/sbplc/sbplc/vocab"
)

// referenceQuery is semantics.md §1 written out directly, without the
// engine's plans, segments or indexes: follow the vocabulary's Fallback
// links from op; on each operation try the rules that name it newest
// first (filtered ones only), then its last unfiltered rule; at the end of
// the chain take the built-in default (version 1). Filters are evaluated
// with the engine's filter compiler, so this checks the precedence model,
// not filter matching. Unknown filters make the answer Unknown only when
// a guarded rule's action differs from the known outcome.
func referenceQuery(p *ir.Profile, op string, res Resource) Result {
	c := &compiler{opts: &Options{}}
	rules := append([]*ir.Rule(nil), p.Rules...)
	if p.Implicit {
		rules = append(rules, ImplicitRules()...)
	}
	names := func(r *ir.Rule, o string) bool {
		for _, x := range r.Ops {
			if x.Name == o {
				return true
			}
		}
		return false
	}
	q := query{res: res, model: &Model{}, remote: !strings.Contains(op, "inbound") && !strings.Contains(op, "bind"), nameDim: nameDimFor(op, res.NS)}
	var pending []Result
	decide := func(r Result) Result {
		for _, pr := range pending {
			if pr != r {
				return Unknown
			}
		}
		return r
	}
	for o := op; ; {
		for i := len(rules) - 1; i >= 0; i-- {
			r := rules[i]
			if r.Filter == nil || !names(r, o) {
				continue
			}
			switch c.compile(r.Filter, 0).eval(&q) {
			case yes:
				return decide(fromAction(r.Action))
			case maybe:
				pending = append(pending, fromAction(r.Action))
			}
		}
		for i := len(rules) - 1; i >= 0; i-- {
			if r := rules[i]; r.Filter == nil && names(r, o) {
				return decide(fromAction(r.Action))
			}
		}
		info, ok := vocab.LookupOperation(o)
		switch {
		case !ok || o == "default":
			return decide(Deny)
		case info.Fallback != "":
			o = info.Fallback
		case info.TerminalDefault == "allow":
			return decide(Allow)
		case info.TerminalDefault == "deny":
			return decide(Deny)
		default:
			o = "default"
		}
	}
}

// TestReferenceModel compares the engine with referenceQuery on random
// profiles (rules on operations at every level of the file chains, in any
// order, filtered and unfiltered, with unknown filters).
func TestReferenceModel(t *testing.T) {
	ops := []string{"file-read-data", "file-read*", "file*", "default", "file-write-data", "file-write*", "file-read-metadata", "file-clone", "file-write-setugid", "signal", "network-bind", "network-inbound"}
	filters := []string{`(subpath "/a")`, `(literal "/a/b")`, `(prefix "/a/b")`, `(regex #"b$")`,
		`(require-not (subpath "/a/b"))`, `(require-entitlement "e")`, `(require-any (subpath "/c") (require-entitlement "e"))`,
		`(require-all (subpath "/a") (extension "x"))`, `(target others)`, `(local tcp "*:80")`}
	queries := [][2]string{{"file-read-data", "/a/b"}, {"file-read-data", "/c"}, {"file-read-metadata", "/a/bb"},
		{"file-write-data", "/a"}, {"file-write-create", "/z"}, {"file-clone", "/a/b"}, {"file-write-setugid", "/a"},
		{"signal", "self"}, {"signal", "others"}, {"network-bind", "tcp:*:80"}, {"network-bind", "tcp:*:81"}, {"file-link", "/a"}}
	r := rand.New(rand.NewSource(7))
	compared := 0
	for i := 0; i < 300; i++ {
		text := "(version 1)\n"
		for n := r.Intn(8); n >= 0; n-- {
			action := [...]string{"allow", "deny"}[r.Intn(2)]
			op := ops[r.Intn(len(ops))]
			if r.Intn(4) == 0 {
				text += "(" + action + " " + op + ")\n"
				continue
			}
			text += "(" + action + " " + op + " " + filters[r.Intn(len(filters))] + ")\n"
		}
		res := eval.Run(source.NewFile("r.sb", []byte(text)), eval.Options{})
		if res.Diags.HasErrors() {
			t.Fatalf("profile does not evaluate:\n%s\n%v", text, res.Diags)
		}
		e, _ := New(res.Profile, Options{})
		for _, qq := range queries {
			rq, err := ParseResource(qq[0], qq[1])
			if err != nil {
				t.Fatal(err)
			}
			got := e.Query(Request{Op: qq[0], Resource: rq})
			want := referenceQuery(res.Profile, qq[0], rq)
			compared++
			if got.Result != want {
				t.Fatalf("%s %s: engine %v (%s), reference %v\n%s", qq[0], qq[1], got.Result, got.Reason, want, text)
			}
		}
	}
	t.Logf("%d comparisons", compared)
}
