package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sbplc/sbplc/eval"
	"github.com/sbplc/sbplc/internal/testutil"
	"github.com/sbplc/sbplc/source"
	"github.com/sbplc/sbplc/vocab"
)

// evalSrc evaluates SBPL text with HOME bound as the tests expect.
func evalSrc(t testing.TB, name, text string) *eval.Result {
	t.Helper()
	return eval.Run(source.NewFile(name, []byte(text)), eval.Options{Params: map[string]string{"HOME": "/Users/me"}})
}

// TestModel runs the chunked profiles in testdata/*.sb: every chunk is one
// profile whose `; expect` lines must hold and whose diagnostics must be
// wanted with `; want`.
func TestModel(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.sb")
	if len(files) == 0 {
		t.Fatal("no testdata")
	}
	total := 0
	for _, file := range files {
		chunks, err := testutil.ReadChunks(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range chunks {
			if strings.TrimSpace(c.Text) == "" {
				continue
			}
			t.Run(filepath.Base(file)+"/"+c.Name, func(t *testing.T) {
				src := source.NewFile(c.Name, []byte(c.Text))
				res := eval.Run(src, eval.Options{Params: map[string]string{"HOME": "/Users/me"}})
				e, ds := New(res.Profile, Options{Home: "/Users/me"})
				var got []testutil.Got
				for _, d := range append(res.Diags, ds...) {
					got = append(got, testutil.Got{Line: d.Span.StartPos().Line, Text: d.Message + " [" + d.Code + "]"})
				}
				testutil.CheckWants(t, c, got)
				xs, xd := ParseExpectations(src, "/Users/me", false)
				for _, d := range xd {
					t.Errorf("%s:%d: %s", file, c.StartLine+d.Span.StartPos().Line-1, d.Message)
				}
				if len(xs) == 0 {
					t.Fatalf("chunk has no expectations")
				}
				for _, x := range xs {
					total++
					r := e.Check(x)
					if !r.Pass {
						t.Errorf("%s:%d: %s: %s (%s)", file, c.StartLine+x.Span.StartPos().Line-1,
							strings.TrimSpace(x.Span.Text()), r.Problem, r.Decision.Reason)
					}
				}
			})
		}
	}
	if total < 100 {
		t.Errorf("only %d expectations ran", total)
	}
}

// TestModelSwitch pins the one switch for the wildcard precedence question.
func TestModelSwitch(t *testing.T) {
	res := evalSrc(t, "m.sb", `(version 1)
(deny default)
(allow file-read-data (subpath "/x"))
(deny file-read* (subpath "/x"))
(allow file-read* (subpath "/y"))
(deny file-read-data (subpath "/y"))
`)
	m := DefaultModel()
	m.SpecificBeatsWildcard = false
	e, _ := New(res.Profile, Options{Model: &m})
	for _, c := range []struct {
		op, res string
		want    Result
	}{
		{"file-read-data", "/x/a", Deny}, // the later wildcard deny wins
		{"file-read-data", "/y/a", Deny}, // the later specific deny wins
		{"file-read-metadata", "/y/a", Allow},
		{"file-read-data", "/z", Deny},
	} {
		d, err := e.QueryText(c.op, c.res)
		if err != nil || d.Result != c.want {
			t.Errorf("expansion model: %s %s = %v (%v), want %v", c.op, c.res, d.Result, err, c.want)
		}
	}
	if err := m.Set("specific-beats-wildcard=true"); err != nil || !m.SpecificBeatsWildcard {
		t.Errorf("Set: %v", err)
	}
	for _, bad := range []string{"nope=1", "specific-beats-wildcard=maybe", "x"} {
		if err := m.Set(bad); err == nil {
			t.Errorf("Set(%q) accepted", bad)
		}
	}
	// Every switch parses its documented default back to DefaultModel and
	// is documented in the user docs.
	doc, err := os.ReadFile("../docs/query-test-audit.md")
	if err != nil {
		t.Fatal(err)
	}
	var fromDefaults Model
	for _, c := range Choices() {
		if err := fromDefaults.Set(c.Key + "=" + c.Default); err != nil {
			t.Errorf("%s=%s: %v", c.Key, c.Default, err)
		}
		if !strings.Contains(string(doc), "`"+c.Key+"`") {
			t.Errorf("switch %s is not documented in docs/query-test-audit.md", c.Key)
		}
	}
	if fromDefaults != DefaultModel() {
		t.Errorf("documented defaults %+v differ from DefaultModel %+v", fromDefaults, DefaultModel())
	}
}

// TestGuessedFallbacks: with trust-guessed-fallbacks=false an answer that
// crosses a fallback link the vocabulary inferred is unknown; one decided
// before the link stands.
func TestGuessedFallbacks(t *testing.T) {
	o, ok := vocab.LookupOperation("file-graft")
	if !ok || !o.Guessed {
		t.Skip("vocabulary no longer guesses file-graft's parent")
	}
	res := evalSrc(t, "g.sb", "(version 1)\n(deny default)\n(allow file* (subpath \"/a\"))\n(allow file-graft (subpath \"/b\"))\n")
	for _, c := range []struct {
		trust    bool
		res      string
		want     Result
		reasonIn string
	}{
		{true, "/a/x", Allow, ""},
		// file-graft is allowed by its built-in default whatever the
		// (deny default) says (measured on 26.x, semantics §1.5).
		{true, "/c", Allow, "built-in default of file-graft"},
		{false, "/a/x", Unknown, "file-graft -> file*"},
		{false, "/c", Unknown, "trust-guessed-fallbacks"},
		{false, "/b/x", Allow, ""}, // decided by file-graft's own rule
	} {
		m := DefaultModel()
		m.TrustGuessedFallbacks = c.trust
		e, _ := New(res.Profile, Options{Model: &m})
		d, err := e.QueryText("file-graft", c.res)
		if err != nil || d.Result != c.want || !strings.Contains(d.Reason, c.reasonIn) {
			t.Errorf("trust=%v %s: %v (%s), want %v", c.trust, c.res, d.Result, d.Reason, c.want)
		}
	}
	// Verified chains are unaffected.
	m := DefaultModel()
	m.TrustGuessedFallbacks = false
	e, _ := New(res.Profile, Options{Model: &m})
	if d, _ := e.QueryText("file-read-data", "/a/x"); d.Result != Allow {
		t.Errorf("file-read-data: %v (%s)", d.Result, d.Reason)
	}
}

func TestUnsupportedRegexDiagnostic(t *testing.T) {
	res := evalSrc(t, "r.sb", "(version 1)\n(deny default)\n(allow file-read* (regex #\"^/a{2}$\"))\n")
	e, ds := New(res.Profile, Options{})
	if len(ds) != 1 || ds[0].Code != "policy/unsupported-regex" || ds[0].Span.StartPos().Line != 3 {
		t.Fatalf("diagnostics = %v", ds)
	}
	if !strings.Contains(ds[0].Message, "interval") {
		t.Errorf("message %q", ds[0].Message)
	}
	d, _ := e.QueryText("file-read-data", "/aa")
	if d.Result != Unknown {
		t.Errorf("query through an unsupported regex = %v, want unknown", d.Result)
	}
}

func TestParseExpectations(t *testing.T) {
	f := source.NewFile("t.txt", []byte(`# comment
; another comment
expect allow file-read-data /x
; expect deny rule=3 vnode=DIRECTORY file-read-data ~/Library/Application Support/x
expect unknown mach-lookup "  spaced  "
bogus line
expect maybe file-read-data /x
expect allow rule=zero file-read-data /x
expect allow
expect allow vnode=FOLDER file-read-data /x
`))
	xs, ds := ParseExpectations(f, "/Users/u", true)
	if len(xs) != 3 {
		t.Fatalf("got %d expectations: %+v", len(xs), xs)
	}
	if xs[1].Rule != "3" || xs[1].Vnode != "DIRECTORY" || xs[1].Resource != "/Users/u/Library/Application Support/x" || xs[1].Want != Deny {
		t.Errorf("second = %+v", xs[1])
	}
	if xs[2].Resource != "  spaced  " {
		t.Errorf("quoted resource = %q", xs[2].Resource)
	}
	var lines []int
	for _, d := range ds {
		lines = append(lines, d.Span.StartPos().Line)
	}
	if len(lines) != 5 || lines[0] != 6 || lines[1] != 7 || lines[2] != 8 || lines[3] != 9 || lines[4] != 10 {
		t.Errorf("diagnostic lines = %v (%v)", lines, ds)
	} else if !strings.Contains(ds[4].Message, `unknown file type "FOLDER"`) {
		t.Errorf("bad vnode= message: %s", ds[4].Message)
	}
	if _, ds := ParseExpectations(source.NewFile("h", []byte("expect deny file-read-data ~/.ssh/x\n")), "", true); len(ds) != 1 || !strings.Contains(ds[0].Message, "--home") {
		t.Errorf("~ without home: %v", ds)
	}
	// In a profile only comments count, and code lines are ignored.
	p := source.NewFile("p.sb", []byte("(version 1)\n;; expect deny file-read-data /x\n(allow default) ; expect allow x y\n"))
	xs, ds = ParseExpectations(p, "", false)
	if len(xs) != 1 || len(ds) != 0 {
		t.Errorf("profile: %d expectations, %v", len(xs), ds)
	}
}

func TestRulesForAndRuleText(t *testing.T) {
	res := evalSrc(t, "r.sb", `(version 1)
(deny default)
(allow file-read*
    (subpath "/a"))
(deny file-read* (subpath "/a/b"))
(allow file-read*)
(allow file-read-data (literal "/x"))
`)
	e, _ := New(res.Profile, Options{})
	rl := e.RulesFor("file-read*")
	if len(rl.Filtered) != 2 || rl.Filtered[0].Index != 2 || rl.Filtered[1].Index != 1 || rl.Bottom == nil || rl.Bottom.Index != 3 || rl.Parent != "file*" {
		t.Errorf("RulesFor(file-read*) = %+v", rl)
	}
	if rl := e.RulesFor("process-info*"); rl.Parent != "" || rl.Terminal != "allow" {
		t.Errorf("RulesFor(process-info*) = %+v", rl)
	}
	if rl := e.RulesFor("signal"); len(rl.Filtered) != 1 || rl.Filtered[0].Origin.Span.IsValid() {
		t.Errorf("implicit rule missing from RulesFor(signal): %+v", rl)
	}
	d, _ := e.QueryText("file-read-data", "/a/c")
	if got := RuleText(d); got != `(allow file-read* (subpath "/a"))` {
		t.Errorf("RuleText = %q", got)
	}
	if RuleRef(d) != "3" {
		t.Errorf("RuleRef = %q", RuleRef(d))
	}
	d, _ = e.QueryText("signal", "self")
	if got := RuleText(d); !strings.Contains(got, "implicit") || RuleRef(d) != "implicit" {
		t.Errorf("implicit RuleText = %q, ref %q", got, RuleRef(d))
	}
	if e.Version() != 1 || !e.Model().SpecificBeatsWildcard {
		t.Error("Version/Model")
	}
	if !subpathMatch("/x", "/") || subpathMatch("/ab", "/a") || !subpathMatch("/a/b", "/a") {
		t.Error("subpathMatch")
	}
}

// TestChainTerminalOnce: a chain that ends in a built-in default lists its
// last operation once, with the terminal outcome on that step.
func TestChainTerminalOnce(t *testing.T) {
	res := evalSrc(t, "c.sb", "(version 1)\n(deny default)\n")
	e, _ := New(res.Profile, Options{})
	for _, q := range []struct {
		op, res string
		want    []string
		result  Result
	}{
		{"process-info-pidinfo", "self", []string{"process-info-pidinfo", "process-info*"}, Allow},
		{"job-creation", "", []string{"job-creation"}, Deny},
		{"file-clone", "/a", []string{"file-clone"}, Allow},
	} {
		d, err := e.QueryText(q.op, q.res)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range d.Chain {
			got = append(got, s.Op)
		}
		if strings.Join(got, " ") != strings.Join(q.want, " ") || d.Result != q.result {
			t.Errorf("%s %s: %s via %v, want %s via %v", q.op, q.res, d.Result, got, q.result, q.want)
		}
		if last := d.Chain[len(d.Chain)-1]; last.How != HowTerminal {
			t.Errorf("%s: last step %s, want terminal", q.op, last.How)
		}
	}
}
