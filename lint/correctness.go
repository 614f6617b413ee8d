package lint

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/eval"
	"github.com/sbplc/sbplc/internal/spell"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/policy"
	"github.com/sbplc/sbplc/source"
	"github.com/sbplc/sbplc/vocab"
)

var correctnessRules = []*Rule{
	{ID: "unknown-operation", Run: runUnknownOperation},
	{ID: "unknown-filter", Run: runUnknownFilter},
	{ID: "unknown-modifier", Run: runUnknownModifier},
	{ID: "unbound-identifier", Run: runUnboundIdentifier},
	{ID: "filter-operation-mismatch", Run: runFilterOpMismatch},
	{ID: "modifier-not-applicable", Run: runModifierNotApplicable},
	{ID: "missing-version", Run: runMissingVersion},
	{ID: "duplicate-version", Run: runDuplicateVersion},
	{ID: "unsupported-version", Run: runUnsupportedVersion},
	{ID: "remote-host-not-allowed", Run: runRemoteHost},
	{ID: "malformed-network-address", Run: runMalformedAddress},
	{ID: "local-filter-on-outbound", Run: runLocalOnOutbound},
	{ID: "unbound-param", Run: runUnboundParam},
	{ID: "invalid-regex", Run: runInvalidRegex},
	{ID: "non-sbpl-string-escape", Run: runStringEscape},
	{ID: "no-op-operation", Run: runNoOpOperation},
	{ID: "alias-widens-operation", Run: runAliasWidens},
	{ID: "unsupported-debug-trace", Run: runDebugTrace},
	{ID: "import-not-found", Run: runImportNotFound},
	{ID: "socket-deny-via-file-ops", Run: runSocketDenyFileOps},
}

// guardedParams returns the params the profile tests with
// if/when/unless/cond/and/or/not before using them.
func (p *Pass) guardedParams() map[string]bool {
	return p.run.facts.guarded.get(func() map[string]bool {
		guarded := map[string]bool{}
		if p.File == nil {
			return guarded
		}
		for _, l := range p.scan().lists {
			switch l.HeadSymbol() {
			case "if", "when", "unless", "and", "or", "not":
				for _, e := range l.Elems[1:min(len(l.Elems), 2+boolIndex(l.HeadSymbol()))] {
					if name, ok := paramCall(e); ok {
						guarded[name] = true
					}
				}
			case "cond":
				for _, e := range l.Elems[1:] {
					if cl, ok := e.(*ast.List); ok && len(cl.Elems) > 0 {
						if name, ok := paramCall(cl.Elems[0]); ok {
							guarded[name] = true
						}
					}
				}
			}
		}
		return guarded
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

// claimUnknown turns the evaluator's problem about the unbound name u (an
// unknown operation, filter or modifier: the problem's type says which)
// into a finding of the running rule, with a guess among the vocabulary's
// names (what) when one is plausible.
func claimUnknown(p *Pass, pr eval.Problem, u *eval.Unbound, what string, names func() []string) {
	d := pr.Diagnostic()
	nd := diag.Diagnostic{Span: d.Span, Notes: d.Notes, Severity: p.Rule.Severity}
	nd.Message = fmt.Sprintf("unknown %s %s: libsandbox fails with \"unbound variable: %s\"", what, u.Name, u.Name)
	if u.Fragment {
		nd.Severity = diag.Warning // the including profile may define it
	} else if sug := spell.Nearest(u.Name, plausible(u.Name, names())); sug != "" {
		nd.Message += fmt.Sprintf("; did you mean %s?", sug)
		nd.Fixes = []diag.Fix{{Title: "replace with " + sug, Edits: []diag.Edit{{Span: u.At, NewText: sug}}, Guess: true}}
	}
	opaqueNote(p, u, &nd)
	p.Claim(pr, nd)
}

// plausible returns the names that could be what name was meant to be
// (eval.PlausibleTypo).
func plausible(name string, names []string) []string {
	var out []string
	for _, n := range names {
		if eval.PlausibleTypo(name, n) {
			out = append(out, n)
		}
	}
	return out
}

// opaqueNote downgrades an unbound-name finding to a warning when the
// profile has unresolved imports, which may define the name, and names
// one of them unless the evaluator's note already does.
func opaqueNote(p *Pass, u *eval.Unbound, d *diag.Diagnostic) {
	if !p.Profile.Opaque() {
		return
	}
	if d.Severity > diag.Warning {
		d.Severity = diag.Warning
	}
	if len(u.Imports) > 0 {
		return // the evaluator's note names the unresolved imports
	}
	for _, im := range p.Profile.Imports {
		if !im.Resolved {
			d.Notes = append(append([]string(nil), d.Notes...), fmt.Sprintf("the unresolved import %q may define it (add -I DIR)", im.Name))
			break
		}
	}
}

func runUnknownOperation(p *Pass) {
	for _, pr := range p.Problems() {
		if u, ok := pr.(*eval.UnknownOperation); ok {
			claimUnknown(p, pr, &u.Unbound, "operation", vocab.OperationNames)
		}
	}
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
				for _, pr := range p.Problems() {
					if o, ok := pr.(*eval.OpNotOnTarget); ok && o.At.File == sp.File && o.At.Start == sp.Start {
						p.Drop(pr)
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
	for _, pr := range p.Problems() {
		if u, ok := pr.(*eval.UnknownFilter); ok {
			claimUnknown(p, pr, &u.Unbound, "filter", vocab.FilterNames)
		}
	}
}

func runUnknownModifier(p *Pass) {
	for _, pr := range p.Problems() {
		if u, ok := pr.(*eval.UnknownModifier); ok {
			claimUnknown(p, pr, &u.Unbound, "modifier", vocab.ModifierNames)
		}
	}
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
			if sug := spell.Nearest(m.Name, vocab.ModifierNames()); sug != "" {
				d.Message += fmt.Sprintf("; did you mean %s?", sug)
			}
			p.Report(d)
		}
	}
}

// runUnboundIdentifier re-reports the evaluator's unbound names that are
// not an operation, filter or modifier (those are the unknown-* rules'
// problems), so the rule's level and suppressions apply to them.
func runUnboundIdentifier(p *Pass) {
	for _, pr := range p.Problems() {
		u, ok := pr.(*eval.UnboundName)
		if !ok {
			continue
		}
		nd := pr.Diagnostic()
		nd.Severity = p.Rule.Severity
		if u.Fragment || p.Opts.Fragment {
			nd.Severity = diag.Warning // the including profile may define it
		}
		opaqueNote(p, &u.Unbound, &nd)
		p.Claim(pr, nd)
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

// runMissingVersion reports the evaluator's missing-version problem (the
// evaluator decides it, fragments included) at the rule's level.
func runMissingVersion(p *Pass) {
	for _, pr := range p.Problems() {
		if _, ok := pr.(*eval.MissingVersion); ok {
			if p.Opts.Fragment {
				p.Drop(pr) // the caller says it is a fragment
				continue
			}
			nd := pr.Diagnostic()
			nd.Severity = p.Rule.Severity
			// The fix goes before the first top-level form, at the start
			// of its line and with its indentation (syntax-tree placement).
			if p.File != nil && p.Src != nil && len(p.File.Forms) > 0 && nd.Span.File == p.Src {
				nd.Fixes = []diag.Fix{{Title: "insert (version 1)", Edits: []diag.Edit{p.insertBeforeTopLevel(p.File.Forms[0], "(version 1)")}}}
			}
			p.Claim(pr, nd)
		}
	}
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
	// The evaluator reports a second version with a different number; when
	// both branches of a C-preprocessor conditional ran, as a warning. The
	// forms below add repeats of the same version, which libsandbox accepts.
	seen := map[int]bool{}
	for _, pr := range p.Problems() {
		if dv, ok := pr.(*eval.DuplicateVersion); ok {
			if dv.At.File == p.Src {
				seen[dv.At.Start] = true
			}
			nd := pr.Diagnostic()
			nd.Severity = p.Rule.Severity
			if dv.Cpp {
				nd.Severity = diag.Warning
			}
			p.Claim(pr, nd)
		}
	}
	vs := versionForms(p.File)
	if len(vs) < 2 {
		return
	}
	first, _, ok1 := versionNumber(vs[0])
	for _, v := range vs[1:] {
		if seen[v.Sp.Start] {
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
	// The forms are checked here, where a fix can point at them.
	for _, pr := range p.Problems() {
		if _, ok := pr.(*eval.UnsupportedVersion); ok {
			p.Drop(pr)
		}
	}
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

// claimAddress takes the evaluator's network-address problems of the
// rule's type (the evaluator uses the rule's code and wording), at the
// rule's severity.
func claimAddress(p *Pass, mine func(eval.Problem) bool) {
	for _, pr := range p.Problems() {
		if mine(pr) {
			nd := pr.Diagnostic()
			nd.Severity = p.Rule.Severity
			p.Claim(pr, nd)
		}
	}
}

func runRemoteHost(p *Pass) {
	claimAddress(p, func(pr eval.Problem) bool { _, ok := pr.(*eval.RemoteHostNotAllowed); return ok })
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
			if e, ok := p.literalEdit(l, v, 0, len(host), "localhost"); ok {
				d.Fixes = []diag.Fix{{Title: fmt.Sprintf("write %q", "localhost"+strings.TrimPrefix(v.Str, host)), Edits: []diag.Edit{e}}}
			}
		}
		p.Report(d)
	})
}

func runMalformedAddress(p *Pass) {
	claimAddress(p, func(pr eval.Problem) bool { _, ok := pr.(*eval.MalformedNetworkAddress); return ok })
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
			if e, ok := p.literalEdit(l, v, len(v.Str), len(v.Str), ":*"); ok {
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
	for _, pr := range p.Problems() {
		up, ok := pr.(*eval.UnboundParam)
		if !ok {
			continue
		}
		if guarded == nil {
			guarded = p.guardedParams()
		}
		d := pr.Diagnostic()
		seen[d.Span.Start] = true
		if guarded[up.Name] {
			p.Drop(pr) // the profile tests the param before using it
			continue
		}
		nd := d
		nd.Severity = p.Rule.Severity
		nd.Notes = append(append([]string(nil), d.Notes...), paramFailNote)
		nd.Notes = append(nd.Notes, givenNote(up.Name)...)
		p.Claim(pr, nd)
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
	for _, pr := range p.Problems() {
		in, ok := pr.(*eval.ImportNotFound)
		if !ok {
			continue
		}
		nd := pr.Diagnostic()
		nd.Severity = p.Rule.Severity
		if systemProfiles[in.Name] && len(in.Uses) == 0 {
			// Present on macOS, missing only on this host. (When the
			// profile uses names it may define, those statements are
			// unknown rules, and the warning stays.)
			nd.Severity = diag.Info
			nd.Notes = append(append([]string(nil), nd.Notes...), in.Name+" ships with macOS (sbplc searches /System/Library/Sandbox/Profiles there): on another system pass -I DIR with a copy to analyse its rules")
		}
		p.Claim(pr, nd)
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

// literalUses classifies the string literals of the user's file that are
// written as filter arguments: a regex argument, or another (a path or a
// name), by the literal's start offset.
func (p *Pass) literalUses() (regex, plain map[int]bool) {
	regex, plain = map[int]bool{}, map[int]bool{}
	for _, lr := range p.Index().Leaves {
		for i := range lr.Leaf.Args {
			v := &lr.Leaf.Args[i]
			if v.Kind != ir.String || !p.directArg(lr.Leaf, v) {
				continue
			}
			if matchOf(lr.Leaf) == ir.MatchRegex {
				regex[v.Origin.Span.Start] = true
			} else {
				plain[v.Origin.Span.Start] = true
			}
		}
	}
	return regex, plain
}

func runStringEscape(p *Pass) {
	if p.File == nil {
		return
	}
	var regex, plain map[int]bool // computed at the first bad escape
	for _, s := range p.scan().strings {
		if s.Raw {
			continue
		}
		for _, e := range s.Escapes() {
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
				if regex == nil {
					regex, plain = p.literalUses()
				}
				bs := source.Span{File: s.Sp.File, Start: e.Offset, End: e.Offset + 1}
				switch {
				case plain[s.Sp.Start] && !regex[s.Sp.Start]:
					// A path or a name: the backslash means nothing, and
					// dropping it keeps what libsandbox reads.
					msg = fmt.Sprintf("%s is not an SBPL string escape: TinyScheme drops the backslash, so the string reads %q; remove the backslash (a path or a name needs no escape)", e.Seq, c)
					fix = &diag.Fix{Title: "remove the backslash", Edits: []diag.Edit{{Span: bs}}}
				default:
					msg = fmt.Sprintf("%s is not an SBPL string escape: TinyScheme drops the backslash, so the string reads %q; write %s, or use a raw string #\"...\"", e.Seq, c, `\\`+c)
					// A regex argument meant the escape; elsewhere (a
					// string later joined into a regex, or not) it is a
					// guess.
					fix = &diag.Fix{Title: "escape the backslash", Edits: []diag.Edit{{Span: bs, NewText: `\\`}}, Guess: !regex[s.Sp.Start]}
				}
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
		// The suggested deny names the socket as Seatbelt sees it.
		canon := pa.Val.Str
		if c, err := policy.CanonicalPath(canon); err == nil {
			canon = c
		}
		p.Reportf(valueSpan(r, pa.Leaf, pa.Val), "connect() to the socket %s is checked as network-outbound, so this file-operation deny never stops it; add (deny network-outbound (remote unix-socket (path-literal %q)))", pa.Val.Str, canon)
	}
}
