package lint

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/policy"
	"github.com/sbplc/sbplc/ruletable"
	"github.com/sbplc/sbplc/source"
)

// Probe rules. The rule table's escape-vector probes (ruletable/probes.tsv)
// ask the decision engine concrete questions: may the process read
// ~/.ssh/id_rsa, write ~/.zshrc, look up launchservicesd? Every rule the
// table names reports the probes that name it, besides what its own Run
// finds: reportProbes runs after the rule's Run. The probes are evaluated
// once per run by policy's Engine.Audit, the evaluation `sbplc audit` uses,
// with the same home (policy.PickHome) and project directories
// (ProjectDirs), so lint and audit agree probe by probe: a probe audit
// reports as allowed is a finding of its rule, at the rule's severity.
//
// A finding points at the rule that decides the probe allow, or at the
// (deny default) rule (else the (version) form) when a built-in default
// or an implicit rule decides; its note lists the probe IDs, as audit
// names them. Probes whose answer is unknown (unevaluable filters,
// unresolved imports) are not reported, by audit or lint.

// The escape and secrets rules are probe rules only: their findings come
// from the probe table.
var escapeRules = []*Rule{
	{ID: "writable-launch-agents"},
	{ID: "writable-shell-startup"},
	{ID: "writable-git-hooks-config"},
	{ID: "writable-ssh-authorized-keys"},
	{ID: "writable-autoexec-config"},
	{ID: "writable-persistence-misc"},
	{ID: "launchservices-open"},
	{ID: "appleevent-send"},
	{ID: "docker-socket"},
	{ID: "agent-socket"},
	{ID: "pasteboard-access"},
	{ID: "security-service-access"},
	{ID: "exec-interpreter-escape"},
}

var secretsRules = []*Rule{
	{ID: "readable-ssh-keys"},
	{ID: "readable-cloud-credentials"},
	{ID: "readable-token-files"},
	{ID: "readable-keychain"},
	{ID: "readable-gnupg"},
	{ID: "readable-browser-data"},
	{ID: "readable-personal-data"},
}

// probeText is how a probe rule words its findings: what the access
// gives (the first probe's why when empty) and what to do. A rule with
// atDeny reports at the deny its probes get around (the deciding rule of
// the probe's precondition) with the message format(resource, deny rule).
type probeText struct {
	what, fix string
	atDeny    bool
	format    func(res string, deny *ir.Rule) string
}

var probeTexts = map[string]probeText{
	"writable-launch-agents": {what: "a plist there runs unsandboxed code at the next login",
		fix: "deny file-write* on (subpath HOME/Library/LaunchAgents) after the broad allow, or narrow the allow"},
	"writable-shell-startup": {what: "code written there runs unsandboxed in the user's next terminal",
		fix: "deny file-write* on the startup files after the broad allow, or narrow the allow"},
	"writable-git-hooks-config": {what: "hooks and config commands run unsandboxed the next time the user runs git",
		fix: "deny file-write* on .git/hooks and .git/config, e.g. (deny file-write* (regex #\"/\\.git/(hooks|config)(/|$)\"))"},
	"writable-ssh-authorized-keys": {what: "authorized_keys grants remote logins and ssh config's ProxyCommand runs commands",
		fix: "deny file-write* on (subpath HOME/.ssh)"},
	"writable-autoexec-config": {what: "editors, agents and package managers run commands from these files outside the sandbox",
		fix: "deny file-write* on these files after the broad allow"},
	"writable-persistence-misc": {what: "binaries there run unsandboxed when the user next calls them",
		fix: "remove the write grant on PATH directories, /Applications and auto-run folders"},
	"launchservices-open": {what: "LaunchServices asks launchd to start the app, outside the sandbox (open /tmp/x)",
		fix: "do not grant LaunchServices; open URLs from the unsandboxed parent"},
	"appleevent-send": {what: "tell application \"Terminal\" to do script runs arbitrary commands outside the sandbox",
		fix: "remove the appleevent-send grant"},
	"docker-socket": {what: "the Docker API runs containers with the host file system mounted",
		fix: "deny network-outbound (remote unix-socket (path-literal \"/private/var/run/docker.sock\")) after the broad allow"},
	"agent-socket": {what: "the process can sign and authenticate with the user's keys without reading them",
		fix: "deny network-outbound to the agent sockets unless git over ssh is required"},
	"pasteboard-access": {what: "the clipboard holds copied passwords and can be rewritten with commands the user then pastes",
		fix: "deny (global-name-regex #\"^com\\.apple\\.pasteboard\") after the broad allow"},
	"security-service-access": {what: "keychain items, authorization rights and directory records are requested through these services, not files",
		fix: "allow these services only when keychain access is required, and document it"},
	"exec-interpreter-escape": {what: "these binaries talk to services outside the sandbox",
		fix: "leave them out of the exec allow-list"},
	"readable-ssh-keys": {what: "a private key is a direct credential",
		fix: "deny file-read-data on (subpath HOME/.ssh) after the broad allow"},
	"readable-cloud-credentials": {what: "long-lived cloud credentials give production access",
		fix: "deny file-read-data on ~/.aws, ~/.azure, ~/.config/gcloud, ~/.kube and ~/.docker after the broad allow"},
	"readable-token-files": {what: "these files hold API and publish tokens in plain text",
		fix: "deny file-read-data on the token files after the broad allow"},
	"readable-keychain": {what: "the keychain database can be attacked offline and leaks item metadata",
		fix: "allow the specific ~/Library subdirectories the program needs"},
	"readable-gnupg": {what: "signing and decryption keys",
		fix: "deny file-read-data on (subpath HOME/.gnupg)"},
	"readable-browser-data": {what: "session cookies bypass passwords and MFA",
		fix: "allow only the program's own Application Support directory"},
	"readable-personal-data": {what: "shell history routinely contains tokens, and mail and messages are private",
		fix: "deny file-read-data on these paths, or allow-list reads"},
	"implicit-preamble-allows": {
		fix: "deny file-link and file-clone outside the directories the program writes"},
	"unfiltered-mach-lookup": {
		fix: "allow only the services the program needs, by (global-name ...)"},
	"task-port-access": {
		fix: "remove it or restrict it with (target self)"},
	"system-privileged-ops": {
		fix: "remove it unless a privileged helper inside the sandbox needs it"},
	"unfiltered-process-exec": {
		fix: "allow the binaries the program needs by (literal ...), and nothing under the directories it writes"},
	"unfiltered-network": {
		fix: "allow the proxy only, e.g. (remote tcp \"localhost:PORT\")"},
	"unfiltered-network-inbound": {
		fix: "allow (local tcp \"localhost:PORT\")"},
	"signal-without-target": {
		fix: "write (target self) or (target children)"},
	"process-info-others": {
		fix: "write (target self)"},
	"sysctl-write": {
		fix: "programs need (allow sysctl-read) only"},
	"file-write-dev": {format: func(res string, _ *ir.Rule) string {
		return fmt.Sprintf("this rule allows writing %s: raw disks, kernel memory and packet filters must stay closed; allow /dev/null, /dev/zero, /dev/tty and /dev/dtracehelper by (literal ...)", res)
	}},
	"unfiltered-iokit": {
		fix: "allow specific classes with (iokit-user-client-class ...)"},
	"dns-exfil-channel": {format: func(res string, _ *ir.Rule) string {
		return fmt.Sprintf("this rule lets name lookups reach the resolver (%s) although other egress is closed: data encoded in host names (secret.attacker.example) leaves the sandbox; let the proxy resolve names instead", res)
	}},
	"case-variant-deny": {atDeny: true, format: func(res string, deny *ir.Rule) string {
		msg := fmt.Sprintf("this deny does not cover the spelling %s, which the default case-insensitive APFS volume opens as the same file; match both cases, e.g. [Ss][Ss][Hh] in a regex, or deny by allow-list", res)
		if deny != nil && !hasRegexLeaf(deny) {
			msg += " (literal and subpath matching may already fold case on macOS: unverified)"
		}
		return msg
	}},
	"read-deny-movable": {atDeny: true, format: func(res string, _ *ir.Rule) string {
		return fmt.Sprintf("this read deny can be walked around: renaming %s is allowed, and a renamed file is read under its new, allowed path; deny file-write* on the protected paths too", res)
	}},
}

// hasProbes reports whether the probe table names rule id.
var hasProbes = sync.OnceValue(func() map[string]bool {
	out := map[string]bool{}
	for _, p := range ruletable.Probes() {
		out[p.Rule] = true
	}
	return out
})

// ProjectDirs are the directories that stand for $P in probes: every
// directory in a home that the profile makes writable by subpath, plus
// HOME/src/project (so a home-wide grant is caught); at most 64, sorted.
// lint uses them, and `sbplc audit` when no --project is given, so the two
// run the same $P probes.
func ProjectDirs(prof *ir.Profile, home string) []string {
	return projectDirs(buildIndex(prof), home)
}

func projectRoots(p *Pass) []string {
	return p.run.facts.projectRoots.get(func() []string { return projectDirs(p.Index(), p.Home()) })
}

func projectDirs(ix *Index, home string) []string {
	roots := map[string]bool{home + "/src/project": true}
	for _, pa := range ix.PathArgs {
		r := pa.Rule
		if r.Action != ir.Allow || pa.Neg || matchOf(pa.Leaf) != ir.MatchSubpath || pa.Val.Symbolic() {
			continue
		}
		if !looksLikeProject(pa.Val.Str, home) {
			continue
		}
		if _, ok := allowsOp(r, []string{"file*", "file-write*", "file-write-create", "file-write-data"}); ok {
			roots[strings.TrimSuffix(subKey(pa.Val.Str), "/")] = true
		}
	}
	keys := make([]string, 0, len(roots))
	for k := range roots {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > 64 {
		keys = keys[:64]
	}
	return keys
}

// looksLikeProject reports whether a writable directory may be a project
// checkout: inside a home, not a dot directory and not under ~/Library
// (caches, logs and containers are not repositories).
func looksLikeProject(dir, home string) bool {
	var rest string
	switch {
	case strings.HasPrefix(dir, home+"/"):
		rest = strings.TrimPrefix(dir, home+"/")
	case strings.HasPrefix(dir, "/Users/"):
		parts := strings.SplitN(strings.TrimPrefix(dir, "/Users/"), "/", 2)
		if len(parts) < 2 {
			return false
		}
		rest = parts[1]
	default:
		return false
	}
	first := strings.SplitN(rest, "/", 2)[0]
	return first != "" && first != "Library" && !strings.HasPrefix(first, ".")
}

// auditResults runs the probe table once per run.
func (p *Pass) auditResults() []policy.ProbeResult {
	return p.run.facts.audit.get(func() []policy.ProbeResult {
		return p.engine().Audit(policy.AuditOptions{Home: p.Home(), Projects: projectRoots(p)})
	})
}

// fromProfile reports whether a rule of the profile (not a built-in
// default or an implicit rule) made decision d.
func fromProfile(d *policy.Decision) bool {
	return d.Rule != nil && !d.Implicit && ruleSpan(d.Rule).IsValid()
}

// probeGroup is the allowed probes one finding reports.
type probeGroup struct {
	at   *ir.Rule // the rule reported; nil for built-in defaults
	rs   []*policy.ProbeResult
	deny *ir.Rule // atDeny rules: the deny that is got around
}

// reportProbes reports the allowed probes of rule p.Rule: one finding per
// deciding rule (or per denied rule, for rules that report the deny their
// probes get around), and one for those a built-in default or an implicit
// rule allows.
func reportProbes(p *Pass) {
	text := probeTexts[p.Rule.ID]
	var groups []*probeGroup
	var builtin []*policy.ProbeResult
	byRule := map[*ir.Rule]*probeGroup{}
	rs := p.auditResults()
	for i := range rs {
		r := &rs[i]
		if r.Rule != p.Rule.ID || !r.Allowed() {
			continue
		}
		if !fromProfile(&r.Decision) {
			builtin = append(builtin, r)
			continue
		}
		at, deny := r.Decision.Rule, (*ir.Rule)(nil)
		if text.atDeny && r.Base != nil && fromProfile(r.Base) {
			at, deny = r.Base.Rule, r.Base.Rule
		}
		g := byRule[at]
		if g == nil {
			g = &probeGroup{at: at, deny: deny}
			byRule[at] = g
			groups = append(groups, g)
		}
		g.rs = append(g.rs, r)
	}
	sort.SliceStable(groups, func(i, j int) bool { return groups[i].at.Index < groups[j].at.Index })
	for _, g := range groups {
		reportProbeGroup(p, text, g)
	}
	// A file without a (version) form is a fragment (or has a
	// missing-version error): the profile that includes it chooses the
	// version and its built-in defaults, and audit refuses it.
	if len(builtin) > 0 && p.Profile.Version != 0 {
		reportBuiltinAllows(p, builtin)
	}
}

// probeNote lists the probe IDs of rs as audit names them.
func probeNote(rs []*policy.ProbeResult) string {
	var ids []string
	seen := map[string]bool{}
	for _, r := range rs {
		if !seen[r.ID] {
			seen[r.ID] = true
			ids = append(ids, r.ID)
		}
	}
	return probeNotePrefix + strings.Join(ids, ", ")
}

// probeNotePrefix starts the note that lists a finding's probes.
const probeNotePrefix = "`sbplc audit` probes: "

func reportProbeGroup(p *Pass, text probeText, g *probeGroup) {
	first := g.rs[0]
	res := strings.TrimPrefix(first.Resource, "unix:")
	span := ruleSpan(g.at)
	note := probeNote(g.rs)
	var msg string
	if text.format != nil {
		msg = text.format(res, g.deny)
	} else {
		more := ""
		if n := len(g.rs); n > 1 {
			more = fmt.Sprintf(" (and %d more probe(s))", n-1)
		}
		verb := "allows " + first.Op + " of"
		switch {
		case first.Op == "lsopen" || res == "":
			verb, res = "allows", first.Op
		case strings.HasPrefix(first.Op, "network"):
			verb = "allows connecting to"
		case first.Op == "mach-lookup":
			verb = "allows mach-lookup of"
		case first.Op == "appleevent-send":
			verb = "allows Apple Events to"
		}
		what := text.what
		if what == "" {
			what = first.Why
		}
		msg = fmt.Sprintf("this rule %s %s%s: %s; %s", verb, res, more, what, text.fix)
	}
	// The rule's own Run may have reported this rule already: the probes
	// join that finding.
	if mergeProbes(p, span, note) {
		return
	}
	d := diag.Diagnostic{Span: span, Message: msg, Notes: []string{note}}
	if g.deny != nil && fromProfile(&first.Decision) {
		what := "rule that allows the variant"
		if p.Rule.ID == "read-deny-movable" {
			what = "rule that allows the rename"
		}
		d.Related = relatedRules([]*ir.Rule{first.Decision.Rule}, what)
	}
	p.Report(d)
}

// mergeProbes adds note to a finding the current rule already made inside
// span at its default severity, and reports whether there was one.
func mergeProbes(p *Pass, span source.Span, note string) bool {
	sev := p.Rule.Severity
	if s, ok := configuredSeverity(p.Rule, p.Config); ok {
		sev = s
	}
	for i := range p.run.findings {
		f := &p.run.findings[i]
		sp := f.Span
		if f.Code != p.Rule.ID || sp.File != span.File || sp.Start < span.Start || sp.End > span.End {
			continue
		}
		// One finding per rule and span: the rule's own (perhaps milder)
		// finding takes the probe's note and the probe's severity.
		f.Notes = append(f.Notes, note)
		f.Severity = max(f.Severity, sev)
		return true
	}
	return false
}

func hasRegexLeaf(r *ir.Rule) bool {
	found := false
	eachLeaf(r.Filter, false, func(l *ir.FilterNode, neg bool) {
		if matchOf(l) == ir.MatchRegex {
			found = true
		}
	})
	return found
}

// Built-in allows: under (version 1) libsandbox allows some operations
// (file-link, file-clone, system-privilege, nvram*, process-info* ...) by a
// terminal default or an implicit rule, whatever the profile says, so
// (deny default) does not close them (semantics.md §1.5). Audit reports
// such probes as "allowed by the built-in default"; lint reports them at
// the profile's (deny default) rule, or at its (version) form when it has
// none, with the denies that close them.

// denyDefaultRule returns the user's unfiltered (deny default) rule, or nil.
func denyDefaultRule(p *Pass) *ir.Rule {
	var out *ir.Rule
	for _, r := range p.Profile.Rules {
		if r.Action != ir.Deny || r.Filter != nil || ruleSpan(r).File != p.Src || p.Src == nil {
			continue
		}
		for _, o := range r.Ops {
			if o.Name == "default" {
				out = r // the last one is the profile's default
			}
		}
	}
	return out
}

// reportBuiltinAllows reports, as rule p.Rule, the probes that a built-in
// default or an implicit rule allows: one finding listing the operations
// and the deny that closes them.
func reportBuiltinAllows(p *Pass, rs []*policy.ProbeResult) {
	var ops, plain, targeted []string
	seen := map[string]bool{}
	for _, r := range rs {
		op := r.Decision.Op
		if op == "" {
			op = r.Op
		}
		term := op
		if n := len(r.Decision.Chain); n > 0 {
			term = r.Decision.Chain[n-1].Op
		}
		if !seen[op] {
			seen[op] = true
			ops = append(ops, op)
		}
		if seen["deny "+term] {
			continue
		}
		seen["deny "+term] = true
		if r.Probe.Resource == "others" {
			targeted = append(targeted, term)
		} else {
			plain = append(plain, term)
		}
	}
	var denies []string
	if len(plain) > 0 {
		denies = append(denies, "(deny "+strings.Join(plain, " ")+")")
	}
	if len(targeted) > 0 {
		denies = append(denies, "(deny "+strings.Join(targeted, " ")+" (target others))")
	}
	fix := strings.Join(denies, " ")
	verb := "allow them"
	if len(ops) == 1 {
		verb = "allow it"
	}
	version := max(p.Profile.Version, 1)
	d := diag.Diagnostic{Notes: []string{probeNote(rs)}}
	var after source.Span // the form the fix inserts the denies after
	if dd := denyDefaultRule(p); dd != nil {
		d.Span = ruleSpan(dd)
		d.Message = fmt.Sprintf("(deny default) does not close %s: the built-in defaults of (version %d) %s whatever the profile says; add %s after (deny default)",
			joinAnd(ops), version, verb, fix)
		if len(dd.Origin.Chain) == 0 && strings.HasPrefix(d.Span.Text(), "(") {
			after = d.Span
		}
	} else {
		d.Span = source.Span{File: p.Src}
		if sp := p.Profile.VersionSpan; sp.IsValid() && sp.File == p.Src {
			d.Span = sp
			if strings.HasPrefix(sp.Text(), "(") {
				after = sp
			}
		}
		d.Message = fmt.Sprintf("the built-in defaults of (version %d) allow %s whatever the profile says; add %s near the top of the profile",
			version, joinAnd(ops), fix)
	}
	// The fix adds the denies as top-level forms after the one holding the
	// (deny default) or (version) form: never inside it (an (if ...)
	// choosing between two (deny default) forms takes no third argument).
	if after.IsValid() && after.File == p.Src && p.Src != nil {
		if e, ok := p.insertAfterTopLevel(after.Start, denies...); ok {
			d.Fixes = []diag.Fix{{Title: "add " + fix, Edits: []diag.Edit{e}}}
		}
	}
	if !d.Span.IsValid() {
		return // no file to point at (lint.Run without a source)
	}
	if mergeProbes(p, d.Span, d.Notes[0]) {
		return
	}
	p.Report(d)
}

// joinAnd joins words as "a", "a and b", "a, b and c".
func joinAnd(ws []string) string {
	switch len(ws) {
	case 0:
		return ""
	case 1:
		return ws[0]
	}
	return strings.Join(ws[:len(ws)-1], ", ") + " and " + ws[len(ws)-1]
}

// openVectors lists the escape and secrets rules whose probes the
// profile's unfiltered (allow default) allows, for allow-default's note.
func openVectors(p *Pass) []string {
	var out []string
	seen := map[string]bool{}
	rs := p.auditResults()
	for i := range rs {
		r := &rs[i]
		if !r.Allowed() || seen[r.Rule] || r.Decision.Rule == nil || !isAllowDefault(r.Decision.Rule) {
			continue
		}
		if row, ok := ruletable.Lookup(r.Rule); ok && (Category(row.Category) == Escape || Category(row.Category) == Secrets) {
			seen[r.Rule] = true
			out = append(out, r.Rule)
		}
	}
	return out
}

// isAllowDefault reports whether r is an unfiltered (allow default).
func isAllowDefault(r *ir.Rule) bool {
	if r.Action != ir.Allow || r.Filter != nil {
		return false
	}
	for _, o := range r.Ops {
		if o.Name == "default" {
			return true
		}
	}
	return false
}
