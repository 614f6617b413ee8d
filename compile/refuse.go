package compile

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/ir"
)

// Placeholders returns the sorted names of unset params whose ${NAME}
// placeholder text is part of a value of p. Pattern variables the user
// wrote in a string ("${HOME}/Library") are libsandbox's and are not
// placeholders: only values the evaluator marked in ir.Value.Params count.
func Placeholders(p *ir.Profile) []string {
	if p == nil {
		return nil
	}
	set := map[string]bool{}
	var values func([]ir.Value)
	var filter func(*ir.FilterNode)
	var rules func([]*ir.Rule)
	values = func(vs []ir.Value) {
		for _, v := range vs {
			for _, n := range v.Params {
				set[n] = true
			}
			filter(v.Sub)
		}
	}
	filter = func(n *ir.FilterNode) {
		if n == nil {
			return
		}
		values(n.Args)
		for _, c := range n.Children {
			filter(c)
		}
	}
	rules = func(rs []*ir.Rule) {
		for _, r := range rs {
			filter(r.Filter)
			for _, m := range r.Modifiers {
				values(m.Args)
				rules(m.Rules)
			}
		}
	}
	rules(p.Rules)
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func unresolvedImports(p *ir.Profile) []ir.Import {
	var out []ir.Import
	for _, im := range p.Imports {
		// A system profile sbplc's model stood in for is not Apple's
		// file: compiling it would not build the real policy. (The
		// imports of a model count as the user's one import.)
		if im.Model != "" && len(out) > 0 && out[len(out)-1].Model != "" && out[len(out)-1].Origin.Primary() == im.Origin.Primary() {
			continue
		}
		if !im.Resolved || im.Model != "" {
			out = append(out, im)
		}
	}
	return out
}

// importDiag is the evaluator's diagnostic for an import that was not
// found, or a new one at the import form.
func importDiag(ds diag.List, im ir.Import) diag.Diagnostic {
	at := im.Origin.Primary()
	for _, d := range ds {
		if d.Code == "import-not-found" && d.Span.File == at.File && d.Span.Start == at.Start {
			return d
		}
	}
	return diag.Diagnostic{Severity: diag.Error, Code: "import-not-found", Span: at,
		Message: fmt.Sprintf("cannot find imported profile %q", im.Name)}
}

// promote makes d an error in ds: the diagnostic with the same code and
// position is raised to error severity (adding note), or d is appended.
func promote(ds diag.List, d diag.Diagnostic, note string) diag.List {
	for i := range ds {
		if ds[i].Code == d.Code && ds[i].Span.File == d.Span.File && ds[i].Span.Start == d.Span.Start {
			if ds[i].Severity < diag.Error {
				ds[i].Severity = diag.Error
				if note != "" {
					ds[i].Notes = append(append([]string(nil), ds[i].Notes...), note)
				}
			}
			return ds
		}
	}
	d.Severity = diag.Error
	if note != "" {
		d.Notes = append(append([]string(nil), d.Notes...), note)
	}
	return append(ds, d)
}

// incompleteImports explains a refusal because of unresolved imports.
func incompleteImports(missing []ir.Import) string {
	var names []string
	seen := map[string]bool{}
	for _, im := range missing {
		if !seen[im.Name] {
			seen[im.Name] = true
			names = append(names, fmt.Sprintf("%q", im.Name))
		}
	}
	what := "import " + names[0] + " was"
	if len(names) > 1 {
		what = "imports " + strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1] + " were"
	}
	return what + " not found, so the flattened profile would be incomplete: add -I DIR with the directory that holds " +
		them(len(names)) + " (Apple's system profiles are in /System/Library/Sandbox/Profiles on macOS), or compile with --emit bytecode on macOS, where libsandbox resolves imports itself"
}

func them(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// countErrors renders "the profile has 2 evaluation errors (first at
// p.sb:3:28: MESSAGE)".
func countErrors(errs diag.List, what string) string {
	s := fmt.Sprintf("the profile has %d %s", len(errs), what)
	if len(errs) != 1 {
		s += "s"
	}
	if len(errs) == 0 {
		return s
	}
	first := errs.Sort()[0]
	if first.Span.IsValid() {
		return fmt.Sprintf("%s (first at %s: %s)", s, first.Span, first.Message)
	}
	return fmt.Sprintf("%s (first: %s)", s, first.Message)
}

// noteUnsetParams adds an info for every unset param that no diagnostic
// mentions yet (the linter drops the warning for a param the profile tests
// with (if (param "X") ...)): the rules that depend on it are left out of
// the output, so the user should know which -D would bring them back.
func noteUnsetParams(ds diag.List, p *ir.Profile) diag.List {
	for _, pu := range p.Params {
		if pu.Bound {
			continue
		}
		at := pu.Origin.Primary()
		reported := false
		for _, d := range ds {
			if d.Code == "unbound-param" && d.Span.File == at.File && d.Span.Start == at.Start {
				reported = true
				break
			}
		}
		if !reported {
			ds = append(ds, diag.Diagnostic{Severity: diag.Info, Code: "unbound-param", Span: at,
				Message: fmt.Sprintf("param %q is not set, so it is #f, as in libsandbox: rules that depend on it are left out (pass -D %s=VALUE to include them)", pu.Name, pu.Name)})
		}
	}
	return ds.Sort()
}
