package lint

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/policy"
	"github.com/sbplc/sbplc/source"
	"github.com/sbplc/sbplc/vocab"
)

var correctnessRules = []*Rule{
	{ID: "unknown-operation", Category: Correctness, Severity: diag.Error,
		Summary: "operation name that libsandbox does not know", Run: runUnknownOperation},
	{ID: "unknown-filter", Category: Correctness, Severity: diag.Error,
		Summary: "filter name that libsandbox does not know", Run: runUnknownFilter},
	{ID: "unknown-modifier", Category: Correctness, Severity: diag.Error,
		Summary: "(with NAME) modifier that libsandbox does not know", Run: runUnknownModifier},
	{ID: "unbound-identifier", Category: Correctness, Severity: diag.Error,
		Summary: "name that is not defined when the profile runs", Run: runUnboundIdentifier},
	{ID: "filter-operation-mismatch", Category: Correctness, Severity: diag.Error,
		Summary: "filter that cannot apply to the rule's operation", Run: runFilterOpMismatch},
	{ID: "modifier-not-applicable", Category: Correctness, Severity: diag.Error,
		Summary: "modifier that does not apply to the action or operation", Run: runModifierNotApplicable},
	{ID: "missing-version", Category: Correctness, Severity: diag.Error,
		Summary: "profile without a (version 1) form", Run: runMissingVersion},
	{ID: "duplicate-version", Category: Correctness, Severity: diag.Error,
		Summary: "more than one (version N) form", Run: runDuplicateVersion},
	{ID: "unsupported-version", Category: Correctness, Severity: diag.Error,
		Summary: "(version N) that libsandbox does not support", Run: runUnsupportedVersion},
	{ID: "remote-host-not-allowed", Category: Correctness, Severity: diag.Error,
		Summary: "network address host other than * or localhost", Run: runRemoteHost},
	{ID: "malformed-network-address", Category: Correctness, Severity: diag.Error,
		Summary: "network address that is not HOST:PORT", Run: runMalformedAddress},
	{ID: "local-filter-on-outbound", Category: Correctness, Severity: diag.Warning,
		Summary: "(local ...) filter on network-outbound never matches", Run: runLocalOnOutbound},
	{ID: "unbound-param", Category: Correctness, Severity: diag.Warning,
		Summary: "(param NAME) that the caller does not supply", Run: runUnboundParam},
	{ID: "invalid-regex", Category: Correctness, Severity: diag.Error,
		Summary: "regex outside the SBPL regex dialect", Run: runInvalidRegex},
	{ID: "non-sbpl-string-escape", Category: Correctness, Severity: diag.Error,
		Summary: "string escape that TinyScheme does not know", Run: runStringEscape},
	{ID: "no-op-operation", Category: Correctness, Severity: diag.Warning,
		Summary: "operation name bound to no-op: the rule is dropped", Run: runNoOpOperation},
	{ID: "alias-widens-operation", Category: Correctness, Severity: diag.Warning,
		Summary: "operation alias that names a wider wildcard", Run: runAliasWidens},
	{ID: "unsupported-debug-trace", Category: Correctness, Severity: diag.Warning,
		Summary: "(debug ...) or (trace ...) that modern macOS ignores", Run: runDebugTrace},
	{ID: "import-not-found", Category: Correctness, Severity: diag.Warning,
		Summary: "(import ...) of a file that cannot be found", Run: runImportNotFound},
	{ID: "socket-deny-via-file-ops", Category: Correctness, Severity: diag.Error,
		Summary: "socket denied with file operations only", Run: runSocketDenyFileOps},
}

// astPositions classifies the spans of symbols inside rule forms, so an
// unbound-identifier diagnostic can be re-reported as an unknown operation,
// filter or modifier.
type astPositions struct {
	op, filter, mod map[int]bool
	guarded         map[string]bool // params tested by if/when/unless/cond/and/or
}

func (p *Pass) positions() *astPositions {
	return p.run.facts.positions.get(func() *astPositions {
		n := len(p.Profile.Rules) // about one operation and filter per rule
		ps := &astPositions{op: make(map[int]bool, n), filter: make(map[int]bool, n), mod: map[int]bool{}, guarded: map[string]bool{}}
		if p.File == nil {
			return ps
		}
		var filterList func(l *ast.List, depth int)
		filterList = func(l *ast.List, depth int) {
			if depth > 100 || len(l.Elems) == 0 {
				return
			}
			h, ok := l.Elems[0].(*ast.Symbol)
			if !ok {
				return
			}
			switch h.Name {
			case "with":
				if len(l.Elems) > 1 {
					if s, ok := l.Elems[1].(*ast.Symbol); ok {
						ps.mod[s.Sp.Start] = true
					}
				}
				return
			case "require-all", "require-any", "require-not":
				for _, e := range l.Elems[1:] {
					if c, ok := e.(*ast.List); ok {
						filterList(c, depth+1)
					}
				}
				return
			}
			ps.filter[h.Sp.Start] = true
		}
		for _, l := range p.scan().lists {
			switch l.HeadSymbol() {
			case "if", "when", "unless", "and", "or", "not":
				for _, e := range l.Elems[1:min(len(l.Elems), 2+boolIndex(l.HeadSymbol()))] {
					if name, ok := paramCall(e); ok {
						ps.guarded[name] = true
					}
				}
			case "cond":
				for _, e := range l.Elems[1:] {
					if cl, ok := e.(*ast.List); ok && len(cl.Elems) > 0 {
						if name, ok := paramCall(cl.Elems[0]); ok {
							ps.guarded[name] = true
						}
					}
				}
			}
			if hs := l.HeadSymbol(); hs == "allow" || hs == "deny" {
				for _, e := range l.Elems[1:] {
					switch e := e.(type) {
					case *ast.Symbol:
						ps.op[e.Sp.Start] = true
					case *ast.List:
						filterList(e, 0)
					}
				}
			}
		}
		return ps
	})
}

// boolIndex is how many leading arguments of a form are tests: one for
// if/when/unless, all for and/or/not.
func boolIndex(head string) int {
	switch head {
	case "and", "or", "not":
		return 1 << 20
	}
	return 0
}

// paramCall reports whether n is (param "NAME").
func paramCall(n ast.Node) (string, bool) {
	l, ok := n.(*ast.List)
	if !ok || l.HeadSymbol() != "param" || len(l.Elems) != 2 {
		return "", false
	}
	s, ok := l.Elems[1].(*ast.String)
	if !ok {
		return "", false
	}
	return s.Value, true
}

// unboundName extracts NAME from "unbound variable: NAME...".
func unboundName(d *diag.Diagnostic) string {
	m := strings.TrimPrefix(d.Message, "unbound variable: ")
	if m == d.Message {
		return d.Span.Text()
	}
	if i := strings.IndexAny(m, ";, "); i >= 0 {
		m = m[:i]
	}
	return m
}

// claimUnbound turns the evaluator's unbound-identifier errors at the
// positions pos selects into findings of the running rule. pos and names
// are only called when there is such an error (the common case has none).
func claimUnbound(p *Pass, pos func(*astPositions) map[int]bool, what string, names func() []string) {
	var at map[int]bool
	var known []string
	for _, d := range p.EvalDiags() {
		if d.Code != "unbound-identifier" || !d.Span.IsValid() {
			continue
		}
		if at == nil {
			at, known = pos(p.positions()), names()
		}
		if !at[d.Span.Start] {
			continue
		}
		name := unboundName(d)
		nd := diag.Diagnostic{Span: d.Span, Notes: d.Notes, Severity: p.Rule.Severity}
		opaqueNote(p, &nd)
		nd.Message = fmt.Sprintf("unknown %s %s: libsandbox fails with \"unbound variable: %s\"", what, name, name)
		if sug := vocab.Suggest(name, known); sug != "" {
			nd.Message += fmt.Sprintf("; did you mean %s?", sug)
			nd.Fixes = []diag.Fix{{Title: "replace with " + sug, Edits: []diag.Edit{{Span: d.Span, NewText: sug}}}}
		}
		p.Claim(d, nd)
	}
}

// opaqueNote downgrades an unbound-name finding to a warning when the
// profile has unresolved imports, which may define the name.
func opaqueNote(p *Pass, d *diag.Diagnostic) {
	if !p.Profile.Opaque() {
		return
	}
	if d.Severity > diag.Warning {
		d.Severity = diag.Warning
	}
	for _, n := range d.Notes {
		if strings.Contains(n, "could not be imported") || strings.Contains(n, "-I DIR") {
			return // the evaluator's note already names the unresolved imports
		}
	}
	for _, im := range p.Profile.Imports {
		if !im.Resolved {
			d.Notes = append(append([]string(nil), d.Notes...), fmt.Sprintf("the unresolved import %q may define it (add -I DIR)", im.Name))
			break
		}
	}
}

func runUnknownOperation(p *Pass) {
	claimUnbound(p, func(ps *astPositions) map[int]bool { return ps.op }, "operation", vocab.OperationNames)
	// Names the vocabulary knows but the selected OS table lacks.
	t, ok := targetOf(p)
	if !ok || !t.Verified {
		return // only verified operation tables can say a name is missing
	}
	for _, r := range p.Profile.Rules {
		for _, o := range r.Ops {
			op, known := vocab.ResolveOperation(o.Name)
			if !known || op.NoOp || o.Name == "default" {
				continue
			}
			if !t.HasOperation(op.Name) {
				sp := opSpan(r, o)
				// The evaluator's op-not-on-target warning says the same:
				// one finding per problem (this one, on a verified table).
				for _, d := range p.EvalDiags() {
					if d.Code == "op-not-on-target" && d.Span.File == sp.File && d.Span.Start == sp.Start {
						p.Drop(d)
					}
				}
				p.Reportf(sp, "operation %s is not in the %s operation table: libsandbox there fails with \"unbound variable: %s\"", o.Written, t.Name, o.Written)
			}
		}
	}
}

func targetOf(p *Pass) (vocab.Target, bool) {
	if p.Target() == "" {
		return vocab.Target{}, false // newest known: names from any table are accepted
	}
	return vocab.LookupTarget(p.Target())
}

func runUnknownFilter(p *Pass) {
	claimUnbound(p, func(ps *astPositions) map[int]bool { return ps.filter }, "filter", vocab.FilterNames)
}

func runUnknownModifier(p *Pass) {
	claimUnbound(p, func(ps *astPositions) map[int]bool { return ps.mod }, "modifier", vocab.ModifierNames)
	for _, r := range p.Profile.Rules {
		for _, m := range r.Modifiers {
			if _, ok := vocab.LookupModifier(m.Name); ok {
				continue
			}
			sp := m.Origin.Primary()
			if !sp.IsValid() {
				sp = ruleSpan(r)
			}
			d := diag.Diagnostic{Span: sp, Message: fmt.Sprintf("unknown modifier %s in (with ...)", m.Name)}
			if sug := vocab.Suggest(m.Name, vocab.ModifierNames()); sug != "" {
				d.Message += fmt.Sprintf("; did you mean %s?", sug)
			}
			p.Report(d)
		}
	}
}

// runUnboundIdentifier re-reports the evaluator's unbound-identifier
// diagnostics that no unknown-* rule claimed (so the rule's level and
// suppressions apply to them).
func runUnboundIdentifier(p *Pass) {
	for _, d := range p.EvalDiags() {
		if d.Code == "unbound-identifier" {
			nd := *d
			nd.Severity = p.Rule.Severity
			if p.Opts.Fragment || IsFragment(p.File) {
				// A fragment uses definitions of the profile that includes it.
				nd.Severity = diag.Warning
				nd.Notes = append(append([]string(nil), nd.Notes...), "this file is a fragment: the profile that includes it may define the name; lint the assembled profile to check")
			}
			opaqueNote(p, &nd)
			p.Claim(d, nd)
		}
	}
}

func runFilterOpMismatch(p *Pass) {
	all := p.Index().Leaves
	for i := 0; i < len(all); {
		// The leaves of one rule are contiguous.
		r, j := all[i].Rule, i+1
		for j < len(all) && all[j].Rule == r {
			j++
		}
		leaves := all[i:j]
		i = j
		var seen map[*ir.FilterNode]bool // leaves already reported
		for _, o := range r.Ops {
			for _, lr := range leaves {
				l := lr.Leaf
				if seen[l] {
					continue
				}
				name := l.Name
				ok, known := vocab.FilterAppliesTo(name, o.Name)
				if !known && l.Written != "" && l.Written != name {
					ok, known = vocab.FilterAppliesTo(l.Written, o.Name)
				}
				if known && !ok {
					if seen == nil {
						seen = map[*ir.FilterNode]bool{}
					}
					seen[l] = true
					p.Reportf(leafSpan(r, l), "filter %s does not apply to operation %s: the rule never matches (or fails to compile)", writtenName(l), o.Written)
				}
			}
		}
	}
}

func runModifierNotApplicable(p *Pass) {
	for _, r := range p.Profile.Rules {
		for _, m := range r.Modifiers {
			for _, o := range r.Ops {
				ok, known := vocab.ModifierAppliesTo(m.Name, r.Action.String(), o.Name)
				if known && !ok {
					sp := m.Origin.Primary()
					if !sp.IsValid() {
						sp = ruleSpan(r)
					}
					mod, _ := vocab.LookupModifier(m.Name)
					if mod != nil && mod.Action != "" && mod.Action != "allow+deny" && mod.Action != r.Action.String() {
						p.Reportf(sp, "%s modifier does not apply to %s action: libsandbox rejects the rule", m.Name, r.Action)
					} else {
						p.Reportf(sp, "%s modifier does not apply to %s operation: libsandbox rejects the rule", m.Name, o.Written)
					}
					break
				}
			}
		}
	}
}

func versionForms(f *ast.File) []*ast.List { return topForms(f, "version") }

// dropEval removes evaluator diagnostics with code whose message starts
// with prefix ("" = any): the AST-based rule reports them with a fix.
func dropEval(p *Pass, code, prefix string) {
	for _, d := range p.EvalDiags() {
		if d.Code == code && strings.HasPrefix(d.Message, prefix) {
			p.Drop(d)
		}
	}
}

func runMissingVersion(p *Pass) {
	dropEval(p, "missing-version", "")
	if p.File == nil || p.Src == nil || p.Profile.Version != 0 || len(versionForms(p.File)) > 0 {
		return
	}
	if p.Opts.Fragment || IsFragment(p.File) {
		return // included by a full profile that declares the version
	}
	insert := diag.Fix{Title: "insert (version 1)"}
	if len(p.File.Forms) == 0 {
		// An empty file (or only comments) is not a profile libsandbox
		// accepts either.
		at := source.Span{File: p.Src, Start: 0, End: 0}
		insert.Edits = []diag.Edit{{Span: at, NewText: "(version 1)\n"}}
		p.Report(diag.Diagnostic{Span: at,
			Message: "empty profile: libsandbox rejects it with \"no version specified\"; start it with (version 1) and the rules, or mark an included fragment with a \"; sbplc:fragment\" comment",
			Fixes:   []diag.Fix{insert}})
		return
	}
	first := p.File.Forms[0].Span()
	at := source.Span{File: p.Src, Start: first.Start, End: first.Start}
	insert.Edits = []diag.Edit{{Span: at, NewText: "(version 1)\n"}}
	p.Report(diag.Diagnostic{Span: at,
		Message: "profile has no (version 1) form: libsandbox rejects it with \"no version specified\"; add (version 1) as the first form, or mark a fragment that other profiles include with a \"; sbplc:fragment\" comment (or lint it with --fragment)",
		Fixes:   []diag.Fix{insert}})
}

// fragmentDirective marks a file as a fragment: a piece that full
// profiles include or concatenate (Chromium's per-process .sb files, Nix's
// sandbox-defaults.sb), which has no (version) form of its own.
const fragmentDirective = "sbplc:fragment"

// IsFragment reports whether f carries a "; sbplc:fragment" comment line.
func IsFragment(f *ast.File) bool {
	if f == nil {
		return false
	}
	for _, c := range f.Comments {
		if c.Kind != ast.LineComment {
			continue
		}
		t := strings.TrimLeft(c.Text(), "; \t")
		if t == fragmentDirective || strings.HasPrefix(t, fragmentDirective+" ") {
			return true
		}
	}
	return false
}

func versionNumber(l *ast.List) (int64, source.Span, bool) {
	if len(l.Elems) != 2 {
		return 0, l.Sp, false
	}
	n, ok := l.Elems[1].(*ast.Number)
	if !ok || n.IsFloat {
		return 0, l.Elems[1].Span(), false
	}
	return n.Int, n.Sp, true
}

func runDuplicateVersion(p *Pass) {
	dropEval(p, "duplicate-version", "second (version) form with a different")
	// The evaluator knows when both branches of a C-preprocessor
	// conditional ran; its warning replaces ours for that form.
	cpp := map[int]bool{}
	for _, d := range p.EvalDiags() {
		if d.Code == "duplicate-version" && strings.HasPrefix(d.Message, "second version") {
			cpp[d.Span.Start] = true
			nd := *d
			nd.Severity = diag.Warning
			p.Claim(d, nd)
		}
	}
	vs := versionForms(p.File)
	if len(vs) < 2 {
		return
	}
	first, _, ok1 := versionNumber(vs[0])
	for _, v := range vs[1:] {
		if cpp[v.Sp.Start] {
			continue
		}
		n, _, ok := versionNumber(v)
		d := diag.Diagnostic{Span: v.Sp, Related: []diag.Related{{Span: vs[0].Sp, Message: "first (version) form"}}}
		if ok && ok1 && n == first {
			d.Message = "second (version) form: libsandbox accepts a repeat of the same version, but it usually means fragments were concatenated; remove it"
			d.Fixes = []diag.Fix{{Title: "remove the repeated (version) form", Edits: []diag.Edit{{Span: v.Sp}}}}
			p.ReportSev(diag.Warning, d)
			continue
		}
		d.Message = "second (version) form with a different version: libsandbox fails with \"only one version may be specified\""
		p.Report(d)
	}
}

func runUnsupportedVersion(p *Pass) {
	dropEval(p, "unsupported-version", "")
	for _, v := range versionForms(p.File) {
		n, sp, ok := versionNumber(v)
		if !ok {
			p.Reportf(sp, "(version N) takes one integer: libsandbox fails with \"unsupported version\"")
			continue
		}
		if n < 1 || n > 3 {
			p.Reportf(sp, "version %d is not supported: libsandbox fails with \"unsupported version\"; use (version 1)", n)
		}
	}
}

// networkAddrs calls fn for each string argument of (local ...) and
// (remote ...) filters.
func networkAddrs(p *Pass, fn func(r *ir.Rule, l *ir.FilterNode, v *ir.Value)) {
	for _, lr := range p.Index().Leaves {
		b := baseName(lr.Leaf)
		if b != "local" && b != "remote" {
			continue
		}
		for i := range lr.Leaf.Args {
			v := &lr.Leaf.Args[i]
			if v.Kind == ir.String && !v.Symbolic() {
				fn(lr.Rule, lr.Leaf, v)
			}
		}
	}
}

// splitAddr splits "HOST:PORT" (the last colon separates the port).
func splitAddr(s string) (host, port string, ok bool) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}

func looksLikePath(s string) bool { return strings.HasPrefix(s, "/") }

// claimAddress takes the evaluator's network-address failures reported
// under the rule's ID (the evaluator uses the rule's code and wording), at
// the rule's severity.
func claimAddress(p *Pass) {
	for _, d := range p.EvalDiags() {
		if d.Code == p.Rule.ID {
			nd := *d
			nd.Severity = p.Rule.Severity
			p.Claim(d, nd)
		}
	}
}

func runRemoteHost(p *Pass) {
	claimAddress(p)
	networkAddrs(p, func(r *ir.Rule, l *ir.FilterNode, v *ir.Value) {
		if looksLikePath(v.Str) {
			return
		}
		host, _, ok := splitAddr(v.Str)
		if !ok || host == "*" || host == "localhost" {
			return
		}
		d := diag.Diagnostic{Span: valueSpan(r, l, v),
			Message: fmt.Sprintf("host %q in network address: libsandbox fails with \"host must be * or localhost in network address\"; filter hosts with a local proxy and allow only localhost:PORT", host)}
		if host == "127.0.0.1" || host == "[::1]" || host == "::1" {
			if e, ok := p.literalEdit(v, 0, len(host), "localhost"); ok {
				d.Fixes = []diag.Fix{{Title: fmt.Sprintf("write %q", "localhost"+strings.TrimPrefix(v.Str, host)), Edits: []diag.Edit{e}}}
			}
		}
		p.Report(d)
	})
}

func runMalformedAddress(p *Pass) {
	claimAddress(p)
	networkAddrs(p, func(r *ir.Rule, l *ir.FilterNode, v *ir.Value) {
		if looksLikePath(v.Str) {
			return
		}
		sp := valueSpan(r, l, v)
		host, port, ok := splitAddr(v.Str)
		switch {
		case strings.Contains(v.Str, "/"):
			p.Reportf(sp, "network address %q: libsandbox fails with \"port missing in network address\"; addresses are HOST:PORT, no CIDR ranges", v.Str)
		case !ok:
			d := diag.Diagnostic{Span: sp, Message: fmt.Sprintf("network address %q has no port: libsandbox fails with \"port missing in network address\"; write %q", v.Str, v.Str+":*")}
			if e, ok := p.literalEdit(v, len(v.Str), len(v.Str), ":*"); ok {
				d.Fixes = []diag.Fix{{Title: fmt.Sprintf("write %q", v.Str+":*"), Edits: []diag.Edit{e}}}
			}
			p.Report(d)
		case host == "":
			p.Reportf(sp, "network address %q has no host: write *:%s or localhost:%s", v.Str, port, port)
		case port == "*":
		default:
			n, err := strconv.Atoi(port)
			if err != nil || n < 0 || n > 65535 {
				p.Reportf(sp, "invalid port %q in network address: libsandbox fails with \"invalid port in network address\"; use * or one number from 0 to 65535 (no ranges)", port)
			}
		}
	})
}

func runLocalOnOutbound(p *Pass) {
	for _, r := range p.Profile.Rules {
		if r.Action != ir.Allow {
			continue
		}
		out := false
		for _, o := range r.Ops {
			if o.Name == "network-outbound" {
				out = true
			}
		}
		if !out {
			continue
		}
		eachLeaf(r.Filter, false, func(l *ir.FilterNode, neg bool) {
			if baseName(l) != "local" || neg {
				return
			}
			for _, a := range l.Args {
				if a.Kind == ir.Symbol && (a.Str == "unix" || a.Str == "unix-socket") {
					return
				}
			}
			p.Reportf(leafSpan(r, l), "(local ...) on network-outbound: at connect() the local address is unbound, so the filter never matches; use (remote ip \"localhost:PORT\")")
		})
	}
}

// quotedName returns the first "..." word of a message.
func quotedName(msg string) (string, bool) {
	i := strings.IndexByte(msg, '"')
	if i < 0 {
		return "", false
	}
	j := strings.IndexByte(msg[i+1:], '"')
	if j < 0 {
		return "", false
	}
	return msg[i+1 : i+1+j], true
}

const paramFailNote = "libsandbox itself gives #f for an unset param, and a path filter given #f fails with \"invalid data type of path filter; expected pattern, got boolean\""

func runUnboundParam(p *Pass) {
	// Warning, as the evaluator reports it in every command (expand,
	// query, verify): one severity per problem. When the caller gave
	// other params, a note says this one is missing from them.
	var given []string
	if p.Opts.ParamsGiven {
		for k := range p.Opts.Eval.Params {
			given = append(given, k)
		}
		sort.Strings(given)
	}
	givenNote := func(name string) []string {
		if len(given) == 0 {
			return nil
		}
		return []string{fmt.Sprintf("params were given (%s) but not %s: add -D %s=VALUE", strings.Join(given, ", "), name, name)}
	}
	seen := map[int]bool{}
	var guarded map[string]bool
	for _, d := range p.EvalDiags() {
		if d.Code != "unbound-param" {
			continue
		}
		if guarded == nil {
			guarded = p.positions().guarded
		}
		seen[d.Span.Start] = true
		name, ok := quotedName(d.Message)
		if ok && guarded[name] {
			p.Drop(d) // the profile tests the param before using it
			continue
		}
		nd := *d
		nd.Severity = p.Rule.Severity
		nd.Notes = append(append([]string(nil), d.Notes...), paramFailNote)
		nd.Notes = append(nd.Notes, givenNote(name)...)
		p.Claim(d, nd)
	}
	for _, pu := range p.Profile.Params {
		if pu.Bound || seen[pu.Origin.Primary().Start] || guarded[pu.Name] {
			continue
		}
		sp := pu.Origin.Primary()
		msg := fmt.Sprintf("param %q is not supplied: (param %q) is #f, and a path filter given #f fails with \"invalid data type of path filter; expected pattern, got boolean\"; pass -D %s=VALUE", pu.Name, pu.Name, pu.Name)
		p.Report(diag.Diagnostic{Span: sp, Message: msg, Notes: givenNote(pu.Name)})
	}
}

// systemProfiles are profiles shipped in /System/Library/Sandbox/Profiles
// and /usr/share/sandbox that imports commonly name.
var systemProfiles = map[string]bool{"system.sb": true, "bsd.sb": true, "application.sb": true,
	"dyld-support.sb": true, "com.apple.corefoundation.sb": true, "com.apple.WebKit.sb": true, "opendirectory.sb": true}

func runImportNotFound(p *Pass) {
	for _, d := range p.EvalDiags() {
		if d.Code != "import-not-found" {
			continue
		}
		nd := *d
		nd.Severity = p.Rule.Severity
		for name := range systemProfiles {
			if strings.Contains(d.Message, "\""+name+"\"") {
				nd.Severity = diag.Info // present on macOS; missing only on this host
				nd.Notes = append(append([]string(nil), d.Notes...), name+" ships with macOS: lint on a Mac with --system-dirs, or pass -I with a copy, to analyse its rules")
			}
		}
		p.Claim(d, nd)
	}
}

func runInvalidRegex(p *Pass) {
	for _, lr := range p.Index().Leaves {
		r, l := lr.Rule, lr.Leaf
		if matchOf(l) != ir.MatchRegex {
			continue
		}
		for i := range l.Args {
			v := &l.Args[i]
			if v.Kind != ir.String || v.Symbolic() {
				continue
			}
			if err := checkRegex(v.Str); err != nil {
				p.Reportf(valueSpan(r, l, v), "invalid regex %s: %s", regexShown(v), err.msg)
			}
		}
	}
}

func runStringEscape(p *Pass) {
	if p.File == nil {
		return
	}
	for _, s := range p.scan().strings {
		if s.Raw {
			continue
		}
		for _, e := range s.Escapes {
			if e.Known {
				continue
			}
			sp := source.Span{File: s.Sp.File, Start: e.Offset, End: e.Offset + len(e.Seq)}
			var msg string
			var fix *diag.Fix
			switch {
			case strings.HasPrefix(e.Seq, `\u`) || strings.HasPrefix(e.Seq, `\U`):
				msg = fmt.Sprintf("%s is a JSON/JavaScript escape, not an SBPL one: TinyScheme drops the backslash; write the character itself (UTF-8)", e.Seq)
			case len(e.Seq) == 2:
				c := e.Seq[1:]
				msg = fmt.Sprintf("%s is not an SBPL string escape: TinyScheme drops the backslash, so the string reads %q; write %s, or use a raw string #\"...\"", e.Seq, c, `\\`+c)
				fix = &diag.Fix{Title: "escape the backslash", Edits: []diag.Edit{{Span: source.Span{File: s.Sp.File, Start: e.Offset, End: e.Offset + 1}, NewText: `\\`}}}
			default:
				msg = fmt.Sprintf("%s is not an SBPL string escape: TinyScheme drops the backslash", e.Seq)
			}
			d := diag.Diagnostic{Span: sp, Message: msg}
			if fix != nil {
				d.Fixes = []diag.Fix{*fix}
			}
			p.Report(d)
		}
	}
}

// opSymbols returns the symbols in operation position of the file's
// allow and deny forms, in source order.
func (p *Pass) opSymbols() []*ast.Symbol {
	return p.run.facts.opSymbols.get(func() []*ast.Symbol {
		var out []*ast.Symbol
		if p.File == nil {
			return out
		}
		for _, l := range p.scan().lists {
			if hs := l.HeadSymbol(); hs == "allow" || hs == "deny" {
				for _, e := range l.Elems[1:] {
					if s, ok := e.(*ast.Symbol); ok {
						out = append(out, s)
					}
				}
			}
		}
		return out
	})
}

func runNoOpOperation(p *Pass) {
	for _, s := range p.opSymbols() {
		if op, ok := vocab.LookupOperation(s.Name); ok && op.NoOp {
			p.Reportf(s.Sp, "operation %s is bound to no-op in sbpl1.scm: libsandbox drops rules that name it; remove it or name a real operation", s.Name)
		}
	}
}

func runAliasWidens(p *Pass) {
	for _, r := range p.Profile.Rules {
		for _, o := range r.Ops {
			op, ok := vocab.LookupOperation(o.Written)
			if !ok || op.AliasOf == "" {
				continue
			}
			target := op.AliasOf
			if !strings.HasSuffix(target, "*") || target == o.Written+"*" {
				continue // process-exec -> process-exec*: the same family
			}
			if target == "sysctl*" && r.Action == ir.Allow {
				continue // sysctl-write reports it
			}
			d := diag.Diagnostic{Span: opSpan(r, o),
				Message: fmt.Sprintf("%s names %s (an sbpl1.scm rebinding), so this rule also covers the other %s operations; write %s to make that visible", o.Written, target, target, target)}
			if sp := opSpan(r, o); sp == o.Span && sp.Text() == o.Written {
				d.Fixes = []diag.Fix{{Title: "write " + target, Edits: []diag.Edit{{Span: sp, NewText: target}}}}
			}
			p.Report(d)
		}
	}
}

func runDebugTrace(p *Pass) {
	for _, name := range []string{"debug", "trace"} {
		for _, l := range topForms(p.File, name) {
			p.Reportf(l.Sp, "(%s ...) is a 10.5-era form that current macOS ignores: denials are logged to the unified log; use (with report) or log stream --predicate 'sender==\"Sandbox\"'", name)
		}
	}
}

// socketPath reports whether a path names a Unix socket by convention.
func socketPath(s string) bool {
	return strings.HasSuffix(s, ".sock") || strings.HasSuffix(s, "/Listeners") ||
		strings.Contains(s, "/S.gpg-agent") || strings.HasSuffix(s, "/mDNSResponder") ||
		strings.Contains(s, ".sock/")
}

func runSocketDenyFileOps(p *Pass) {
	e := p.engine()
	for _, pa := range p.Index().PathArgs {
		r := pa.Rule
		if r.Action != ir.Deny || pa.Neg || !socketPath(pa.Val.Str) {
			continue
		}
		fileOnly := true
		for _, o := range r.Ops {
			if !strings.HasPrefix(o.Name, "file") {
				fileOnly = false
			}
		}
		if !fileOnly {
			continue
		}
		if d, err := e.QueryText("network-outbound", "unix:"+pa.Val.Str); err == nil && d.Result != policy.Allow {
			continue // connect() is not allowed anyway
		}
		p.Reportf(valueSpan(r, pa.Leaf, pa.Val), "connect() to the socket %s is checked as network-outbound, so this file-operation deny never stops it; add (deny network-outbound (remote unix-socket (path-literal %q)))", pa.Val.Str, pa.Val.Str)
	}
}
