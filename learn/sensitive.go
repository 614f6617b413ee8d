package learn

import (
	"fmt"
	"path"
	"strings"

	"github.com/sbplc/sbplc/policy"
	"github.com/sbplc/sbplc/vocab"
)

// location is a place a learned rule must not open by accident: a secret
// (an SSH key, a keychain), a persistence location (LaunchAgents, shell
// start-up files, git hooks) or an escape service (Docker's socket,
// LaunchServices).
type location struct {
	ID       string // the probe's id (EV001)
	Group    string // secrets, persistence, ipc-escape, ...
	Op       string // the probe's operation
	Resource string // query syntax, ~ and $P expanded, paths canonical
	Path     string // the canonical path, for path and unix-socket probes
	Why      string
}

// probeTable is the one place learn reads the escape-vector probes from:
// the rule table's probes, which sbplc audit and lint's escape and secrets
// rules share.
func probeTable() ([]policy.Probe, error) { return policy.Probes(), nil }

// sensitiveLocations expands the probe table for home and project
// (project "" drops the project probes). Case-variant probes (~/.SSH, .ENV)
// are left out: they test how robust a deny is, not where secrets live.
func sensitiveLocations(home, project string) ([]location, error) {
	ps, err := probeTable()
	if err != nil {
		return nil, err
	}
	if home == "" {
		home = policy.DefaultHome
	}
	var out []location
	for _, p := range ps {
		if p.Rule == "case-variant-deny" || p.Resource == "" {
			continue
		}
		text := policy.ExpandHome(p.Resource, home)
		if strings.Contains(text, "$P") {
			if project == "" {
				continue
			}
			text = strings.ReplaceAll(text, "$P", strings.TrimSuffix(project, "/"))
		}
		r, err := policy.ParseResource(p.Op, text)
		if err != nil {
			continue
		}
		out = append(out, location{ID: p.ID, Group: p.Group, Op: p.Op, Resource: r.Canonical(), Path: r.Path, Why: p.Why})
	}
	return out, nil
}

// opClass sorts path operations into read, write and exec, for matching
// an observed operation with a probe's.
func opClass(op string) string {
	switch {
	case strings.HasPrefix(op, "file-read"):
		return "read"
	case strings.HasPrefix(op, "process-exec"):
		return "exec"
	case strings.HasPrefix(op, "file"):
		return "write" // file-write*, file-link, file-mount, file* ...
	}
	return op
}

// applies reports whether location l matters for a rule on op: the same
// operation for names, sockets and processes; for paths, a probe of the
// same class (a persistence probe for writes, an exec probe for
// executions), or a secret for any file operation.
func applies(op string, l location) bool {
	fam := policy.Family(op)
	if policy.Family(l.Op) != fam {
		return false
	}
	if fam != policy.KindPath {
		return l.Op == op || vocab.Covers(l.Op, op) || vocab.Covers(op, l.Op)
	}
	lc, oc := opClass(l.Op), opClass(op)
	return lc == oc || l.Group == "secrets" && lc != "exec" && oc != "exec"
}

// flagFor says why an observed target must stay literal, "" when it need
// not: the target is a sensitive location itself, or lies in the directory
// of a secret or persistence file (~/.ssh/known_hosts beside
// ~/.ssh/id_rsa). shared lists directories that are nobody's secret (home,
// the project, /private/tmp).
func flagFor(op string, t target, locs []location, shared map[string]bool) string {
	for _, l := range locs {
		if !applies(op, l) {
			continue
		}
		if t.path != "" && l.Path != "" {
			if t.path == l.Path {
				return fmt.Sprintf("%s is a sensitive location (%s: %s)", t.path, l.ID, l.Why)
			}
			if !strings.HasPrefix(l.Op, "file-") || (l.Group != "secrets" && l.Group != "persistence") {
				continue
			}
			dir := path.Dir(l.Path)
			if !shared[dir] && depth(dir) >= 2 && (t.path == dir || strings.HasPrefix(t.path, dir+"/")) {
				return fmt.Sprintf("%s is in the directory of %s (%s: %s)", t.path, l.Path, l.ID, l.Why)
			}
			continue
		}
		if t.query != "" && t.query == l.Resource {
			return fmt.Sprintf("%s %s is a sensitive target (%s: %s)", op, t.query, l.ID, l.Why)
		}
	}
	return ""
}

// depth counts the components of a canonical path ("/" is 0).
func depth(p string) int {
	if p == "/" {
		return 0
	}
	return strings.Count(p, "/")
}
