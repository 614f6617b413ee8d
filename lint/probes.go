package lint

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/policy"
)

// Escape and secrets rules ask the decision engine about concrete probes
// (an operation and a resource under the probe home) instead of matching
// rule text, so (subpath (param "HOME")), helpers and regexes are all
// caught. A finding points at the rule that decides the probe allow.
// Probes whose answer is unknown (unevaluable filters, unresolved imports)
// are not reported.

// probe is one question: may op act on resource? "~" is the probe home,
// "$P" a project directory (see projectRoots).
type probe struct {
	op, res string
	vnode   string
}

// probeRule describes a rule decided by probes.
type probeRule struct {
	id       string
	cat      Category
	sev      diag.Severity
	summary  string
	probes   []probe
	what     string // what the access gives, for the message
	fix      string // what to do
	dynamic  func(p *Pass) []probe
	skipBare bool // skip probes decided by an unfiltered rule (reported by unfiltered-*)
}

func writes(paths ...string) []probe {
	var out []probe
	for _, s := range paths {
		out = append(out, probe{op: "file-write-create", res: s}, probe{op: "file-write-data", res: s})
	}
	return out
}

func reads(paths ...string) []probe {
	var out []probe
	for _, s := range paths {
		out = append(out, probe{op: "file-read-data", res: s})
	}
	return out
}

func lookups(names ...string) []probe {
	var out []probe
	for _, s := range names {
		out = append(out, probe{op: "mach-lookup", res: s})
	}
	return out
}

func connects(paths ...string) []probe {
	var out []probe
	for _, s := range paths {
		out = append(out, probe{op: "network-outbound", res: "unix:" + s})
	}
	return out
}

var escapeProbeRules = []*probeRule{
	{id: "writable-launch-agents", sev: diag.Warning, summary: "LaunchAgents or LaunchDaemons writable",
		probes: writes("~/Library/LaunchAgents/com.example.agent.plist", "/Library/LaunchAgents/com.example.agent.plist", "/Library/LaunchDaemons/com.example.daemon.plist"),
		what:   "a plist there runs unsandboxed code at the next login",
		fix:    "deny file-write* on (subpath HOME/Library/LaunchAgents) after the broad allow, or narrow the allow"},
	{id: "writable-shell-startup", sev: diag.Warning, summary: "shell startup files writable",
		probes: writes("~/.zshrc", "~/.zshenv", "~/.zprofile", "~/.bash_profile", "~/.bashrc", "~/.profile", "~/.config/fish/config.fish"),
		what:   "code written there runs unsandboxed in the user's next terminal",
		fix:    "deny file-write* on the startup files after the broad allow, or narrow the allow"},
	{id: "writable-git-hooks-config", sev: diag.Warning, summary: "git hooks or git config writable",
		probes: writes("~/.gitconfig", "~/.config/git/config", "$P/.git/hooks/pre-commit", "$P/.git/config"),
		what:   "hooks and config commands run unsandboxed the next time the user runs git",
		fix:    "deny file-write* on .git/hooks and .git/config, e.g. (deny file-write* (regex #\"/\\.git/(hooks|config)(/|$)\"))"},
	{id: "writable-ssh-authorized-keys", sev: diag.Warning, summary: "~/.ssh (authorized_keys, config) writable",
		probes: writes("~/.ssh/authorized_keys", "~/.ssh/config"),
		what:   "authorized_keys grants remote logins and ssh config's ProxyCommand runs commands",
		fix:    "deny file-write* on (subpath HOME/.ssh)"},
	{id: "writable-autoexec-config", sev: diag.Info, summary: "tool configs that run commands writable",
		probes: writes("~/.npmrc", "~/.cargo/config.toml", "~/Library/Application Support/Code/User/settings.json", "~/.config/direnv/direnvrc", "~/.vscode/tasks.json"),
		what:   "editors and package managers run commands from these files outside the sandbox",
		fix:    "deny file-write* on these files after the broad allow"},
	{id: "writable-persistence-misc", sev: diag.Warning, summary: "PATH directories or auto-run folders writable",
		probes: writes("/usr/local/bin/git", "/opt/homebrew/bin/python3", "~/Library/Services/x.workflow", "~/Library/Scripts/x.scpt", "/Library/StartupItems/x/x", "/Applications/Example.app/Contents/MacOS/Example"),
		what:   "binaries there run unsandboxed when the user next calls them",
		fix:    "remove the write grant on PATH directories, /Applications and auto-run folders"},
	{id: "launchservices-open", sev: diag.Warning, summary: "LaunchServices reachable: open runs apps unsandboxed",
		probes: append(lookups("com.apple.coreservices.launchservicesd", "com.apple.lsd.modifydb"), probe{op: "lsopen"}),
		what:   "LaunchServices asks launchd to start the app, outside the sandbox (open /tmp/x)",
		fix:    "do not grant LaunchServices; open URLs from the unsandboxed parent"},
	{id: "appleevent-send", sev: diag.Warning, summary: "Apple Events to other apps allowed",
		probes: []probe{{op: "appleevent-send", res: "com.apple.Terminal"}, {op: "appleevent-send", res: "com.apple.systemevents"}},
		what:   "tell application \"Terminal\" to do script runs arbitrary commands outside the sandbox",
		fix:    "remove the appleevent-send grant"},
	{id: "docker-socket", sev: diag.Warning, summary: "Docker socket connectable: host root",
		probes: connects("/private/var/run/docker.sock", "~/.docker/run/docker.sock", "~/.colima/default/docker.sock", "~/.orbstack/run/docker.sock"),
		what:   "the Docker API runs containers with the host file system mounted",
		fix:    "deny network-outbound (remote unix-socket (path-literal \"/private/var/run/docker.sock\")) after the broad allow"},
	{id: "agent-socket", sev: diag.Info, summary: "SSH, GPG or 1Password agent socket connectable",
		probes: connects("/private/tmp/com.apple.launchd.sbplc/Listeners", "~/.ssh/agent/s.sbplc", "~/.gnupg/S.gpg-agent", "~/Library/Group Containers/2BUA8C4S2C.com.1password/t/agent.sock"),
		what:   "the process can sign and authenticate with the user's keys without reading them",
		fix:    "deny network-outbound to the agent sockets unless git over ssh is required"},
	{id: "pasteboard-access", sev: diag.Info, summary: "pasteboard service reachable",
		probes: lookups("com.apple.pasteboard.1"),
		what:   "the clipboard holds copied passwords and can be rewritten with commands the user then pastes",
		fix:    "deny (global-name-regex #\"^com\\.apple\\.pasteboard\") after the broad allow"},
	{id: "security-service-access", sev: diag.Info, summary: "securityd or authd reachable",
		probes: lookups("com.apple.SecurityServer", "com.apple.authd"),
		what:   "keychain items and authorization rights are requested through these services, not the keychain files",
		fix:    "allow these services only when keychain access is required, and document it"},
	{id: "exec-interpreter-escape", sev: diag.Info, summary: "osascript, open, launchctl or security executable",
		probes: []probe{{op: "process-exec*", res: "/usr/bin/osascript"}, {op: "process-exec*", res: "/usr/bin/open"}, {op: "process-exec*", res: "/bin/launchctl"}, {op: "process-exec*", res: "/usr/bin/security"}},
		what:   "these binaries talk to services outside the sandbox", skipBare: true,
		fix: "leave them out of the exec allow-list"},
}

var secretsProbeRules = []*probeRule{
	{id: "readable-ssh-keys", sev: diag.Warning, summary: "SSH private keys readable",
		probes: reads("~/.ssh/id_rsa", "~/.ssh/id_ed25519", "~/.ssh/id_ecdsa"),
		what:   "a private key is a direct credential",
		fix:    "deny file-read-data on (subpath HOME/.ssh) after the broad allow"},
	{id: "readable-cloud-credentials", sev: diag.Warning, summary: "cloud and cluster credentials readable",
		probes: reads("~/.aws/credentials", "~/.config/gcloud/application_default_credentials.json", "~/.kube/config", "~/.docker/config.json", "~/.azure/accessTokens.json"),
		what:   "long-lived cloud credentials give production access",
		fix:    "deny file-read-data on ~/.aws, ~/.config/gcloud, ~/.kube and ~/.docker after the broad allow"},
	{id: "readable-token-files", sev: diag.Warning, summary: "plaintext token files readable",
		probes: reads("~/.netrc", "~/.git-credentials", "~/.config/gh/hosts.yml", "~/.npmrc", "~/.pypirc"),
		what:   "these files hold API and publish tokens in plain text",
		fix:    "deny file-read-data on the token files after the broad allow"},
	{id: "readable-keychain", sev: diag.Warning, summary: "keychain files readable",
		probes: reads("~/Library/Keychains/login.keychain-db"),
		what:   "the keychain database can be attacked offline and leaks item metadata",
		fix:    "allow the specific ~/Library subdirectories the program needs"},
	{id: "readable-gnupg", sev: diag.Warning, summary: "GnuPG private keys readable",
		probes: reads("~/.gnupg/private-keys-v1.d/sbplc.key", "~/.gnupg/secring.gpg"),
		what:   "signing and decryption keys",
		fix:    "deny file-read-data on (subpath HOME/.gnupg)"},
	{id: "readable-browser-data", sev: diag.Warning, summary: "browser cookies and profiles readable",
		probes: reads("~/Library/Application Support/Google/Chrome/Default/Cookies", "~/Library/Cookies/Cookies.binarycookies", "~/Library/Safari/History.db", "~/Library/Application Support/Firefox/Profiles/x.default/cookies.sqlite"),
		what:   "session cookies bypass passwords and MFA",
		fix:    "allow only the program's own Application Support directory"},
	{id: "readable-personal-data", sev: diag.Info, summary: "personal data (shell history, mail, messages) readable",
		probes: reads("~/.zsh_history", "~/.bash_history", "~/Library/Messages/chat.db", "~/Library/Mail/V10/MailData/Envelope Index"),
		what:   "shell history routinely contains tokens, and mail and messages are private",
		fix:    "deny file-read-data on these paths, or allow-list reads"},
}

var escapeRules = probeRules(escapeProbeRules, Escape)
var secretsRules = probeRules(secretsProbeRules, Secrets)

func probeRules(prs []*probeRule, cat Category) []*Rule {
	var out []*Rule
	for _, pr := range prs {
		pr := pr
		pr.cat = cat
		out = append(out, &Rule{ID: pr.id, Category: cat, Severity: pr.sev, Summary: pr.summary,
			Run: func(p *Pass) { runProbes(p, pr) }})
	}
	return out
}

// expandHome replaces a leading ~ (after an optional unix:) with home.
func expandHome(s, home string) string {
	pre := ""
	if rest, ok := strings.CutPrefix(s, "unix:"); ok {
		pre, s = "unix:", rest
	}
	if s == "~" || strings.HasPrefix(s, "~/") {
		s = home + s[1:]
	}
	return pre + s
}

// tableProbes returns the decision engine's built-in escape-vector probes
// (the ones `sbplc audit` runs) that name rule id, so lint and audit agree.
func tableProbes(id string) []probe {
	var out []probe
	for _, tp := range probesByLintRule()[id] {
		if strings.HasPrefix(tp.Op, "process-exec") && id != "exec-interpreter-escape" {
			continue // exec of /usr/bin/open alone runs inside the sandbox
		}
		out = append(out, probe{op: tp.Op, res: tp.Resource, vnode: tp.Vnode})
	}
	return out
}

// expandProbes substitutes the probe home for ~ and each project root for
// $P, and drops duplicates.
func expandProbes(p *Pass, in []probe) []probe {
	out := make([]probe, 0, len(in))
	seen := make(map[probe]bool, len(in))
	add := func(pb probe) {
		if !seen[pb] {
			seen[pb] = true
			out = append(out, pb)
		}
	}
	for _, pb := range in {
		pb.res = expandHome(pb.res, p.Home())
		if strings.Contains(pb.res, "$P") {
			for _, root := range projectRoots(p) {
				q := pb
				q.res = strings.ReplaceAll(pb.res, "$P", root)
				add(q)
			}
			continue
		}
		add(pb)
	}
	return out
}

func runProbes(p *Pass, pr *probeRule) {
	probes := append(append([]probe(nil), pr.probes...), tableProbes(pr.id)...)
	if pr.dynamic != nil {
		probes = append(probes, pr.dynamic(p)...)
	}
	probes = expandProbes(p, probes)
	type hit struct {
		rule  *ir.Rule
		first probe
		n     int
	}
	hits := map[*ir.Rule]*hit{}
	var order []*ir.Rule
	for _, pb := range probes {
		d, ok := p.queryVnode(pb.op, pb.res, pb.vnode)
		if !ok || d.Result != policy.Allow || d.Rule == nil || d.Implicit {
			continue
		}
		if !ruleSpan(d.Rule).IsValid() || (pr.skipBare && d.Rule.Filter == nil) {
			continue
		}
		if isAllowDefault(d.Rule) && p.run.enabled["allow-default"] {
			continue // one root cause: allow-default reports that rule
		}
		h := hits[d.Rule]
		if h == nil {
			h = &hit{rule: d.Rule, first: probe{op: pb.op, res: d.Canonical}}
			hits[d.Rule] = h
			order = append(order, d.Rule)
		}
		h.n++
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].Index < order[j].Index })
	for _, r := range order {
		h := hits[r]
		res := strings.TrimPrefix(h.first.res, "unix:")
		more := ""
		if h.n > 1 {
			more = fmt.Sprintf(" (and %d more probe(s))", h.n-1)
		}
		verb := "allows " + h.first.op + " of"
		switch {
		case h.first.op == "lsopen":
			verb, res = "allows", "lsopen"
		case strings.HasPrefix(h.first.op, "network"):
			verb = "allows connecting to"
		case h.first.op == "mach-lookup":
			verb = "allows mach-lookup of"
		case h.first.op == "appleevent-send":
			verb = "allows Apple Events to"
		}
		p.Reportf(ruleSpan(r), "this rule %s %s%s: %s; %s", verb, res, more, pr.what, pr.fix)
	}
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

// projectRoots are the directories standing for $P in probes: every
// directory in a home that the profile makes writable by subpath, plus
// ~/src/project (so a home-wide grant is caught). At most 64.
func projectRoots(p *Pass) []string {
	return p.run.facts.projectRoots.get(func() []string {
		roots := map[string]bool{p.Home() + "/src/project": true}
		for _, pa := range p.Index().PathArgs {
			r := pa.Rule
			if r.Action != ir.Allow || pa.Neg || matchOf(pa.Leaf) != ir.MatchSubpath || pa.Val.Symbolic() {
				continue
			}
			if !looksLikeProject(pa.Val.Str, p.Home()) {
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
	})
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
