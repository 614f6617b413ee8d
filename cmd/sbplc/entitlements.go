package main

import (
	"fmt"
	"github.com/sbplc/sbplc/format"
	"github.com/sbplc/sbplc/internal/driver"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/entitlements"
	"github.com/sbplc/sbplc/eval"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/source"
)

func init() { register("entitlements", newEntitlementsCmd) }

func newEntitlementsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "entitlements",
		Short: "show what a profile's entitlement tests do (list, diff)",
		Long: `A sandboxed app's policy is application.sb evaluated with the app's
entitlements: the profile tests each key while it runs and emits rules only
for the keys present. These commands answer what an entitlement does.

  list   every entitlement key the profile tests, with the rules each one gates
  diff   the rules that change when entitlements are added or removed

Both take the evaluation flags (--entitlements for the app's own set,
--app-sandbox for the App Sandbox's parameters, -D, --target, -I).`,
		Args: argsUsage(0, 0),
	}
	c.AddCommand(newEntitlementsListCmd(), newEntitlementsDiffCmd())
	return c
}

func newEntitlementsListCmd() *cobra.Command {
	var ef evalFlags
	c := &cobra.Command{
		Use:   "list [flags] PROFILE",
		Short: "list the entitlement keys a profile tests and the rules each gates",
		Long: `list evaluates PROFILE with the app's entitlements (--entitlements, else
none) and records every key it tests. For each key it evaluates the profile
again with that key toggled (added as true when absent, removed when
present; a key that gates nothing as true is tried as a one-string array,
the shape of the path and name lists) and prints the rules that change,
with their positions in PROFILE. Keys tested with (require-entitlement ...)
are checked by the kernel when the app runs: their rules are listed as they
stand.`,
		Example: `  sbplc entitlements list --app-sandbox application.sb
  sbplc entitlements list --app-sandbox --entitlements app.plist --target macos14 application.sb`,
		Args: argsUsage(1, 1, "PROFILE"),
		RunE: func(c *cobra.Command, args []string) error {
			p, err := newProbe(c, &ef, args[0])
			if err != nil {
				return err
			}
			if err := p.problems(p.base); err != nil {
				return err
			}
			base := p.run(p.base)
			w := c.OutOrStdout()
			keys := p.keys(base)
			if len(keys) == 0 {
				fmt.Fprintf(w, "%s tests no entitlement\n", p.src.Name)
				return nil
			}
			for _, u := range keys {
				if u.Runtime {
					fmt.Fprintf(w, "%s  (checked when the app runs: require-entitlement at %s)\n", u.Key, u.At)
					for _, r := range base.Profile.Rules {
						if requiresEntitlement(r.Filter, u.Key) {
							fmt.Fprintf(w, "    %s: %s\n", r.Origin.Primary(), indentRule(eval.FormatRule(r)))
						}
					}
					continue
				}
				fmt.Fprintf(w, "%s  (tested at %s)\n", u.Key, u.At)
				how, d := p.toggle(base, u.Key)
				if d.empty() {
					fmt.Fprintf(w, "  %s: no rule changes\n", how)
					continue
				}
				fmt.Fprintf(w, "  %s:\n", how)
				d.write(w, "    ")
			}
			return nil
		},
	}
	ef.add(c)
	return c
}

func newEntitlementsDiffCmd() *cobra.Command {
	var ef evalFlags
	var add, remove []string
	c := &cobra.Command{
		Use:   "diff [flags] [--add KEY[=VALUE]]... [--remove KEY]... PROFILE",
		Short: "print the rules that change when entitlements are added or removed",
		Long: `diff evaluates PROFILE twice: with the app's entitlements (--entitlements,
else none) and with the changes --add and --remove make to them, and prints
the rules the changes remove (-) and add (+), each with its position in
PROFILE. A VALUE is true or false, a number, a JSON array or object
(["group.a","group.b"]), or else a string; without one the key is true.`,
		Example: `  sbplc entitlements diff --app-sandbox --add com.apple.security.network.client application.sb
  sbplc entitlements diff --app-sandbox --entitlements app.plist --remove com.apple.security.print application.sb
  sbplc entitlements diff --app-sandbox --add 'com.apple.security.application-groups=["TEAM.group"]' application.sb`,
		Args: argsUsage(1, 1, "PROFILE"),
		RunE: func(c *cobra.Command, args []string) error {
			if len(add) == 0 && len(remove) == 0 {
				return usageErrorf("entitlements diff: nothing to compare: give --add KEY[=VALUE] or --remove KEY")
			}
			p, err := newProbe(c, &ef, args[0])
			if err != nil {
				return err
			}
			changed := p.base
			var what []string
			for _, kv := range add {
				k, text, hasValue := strings.Cut(kv, "=")
				if strings.TrimSpace(k) == "" {
					return usageErrorf("--add %q: expected KEY or KEY=VALUE", kv)
				}
				v := entitlements.True
				if hasValue {
					if v, err = entitlements.ParseValue(text); err != nil {
						return usageErrorf("--add %s: %v", k, err)
					}
				}
				changed = changed.With(k, v)
				what = append(what, "+"+k+"="+v.String())
			}
			for _, k := range remove {
				if _, ok := changed.Get(k); !ok {
					fmt.Fprintf(c.ErrOrStderr(), "sbplc: --remove %s: the entitlements do not have it (an absent key is false)\n", k)
				}
				changed = changed.Without(k)
				what = append(what, "-"+k)
			}
			if err := p.problems(p.base); err != nil {
				return err
			}
			if err := p.problems(changed); err != nil {
				return err
			}
			a, b := p.run(p.base), p.run(changed)
			d := diffRules(a.Profile, b.Profile)
			w := c.OutOrStdout()
			fmt.Fprintf(w, "%s: %s\n", p.src.Name, strings.Join(what, " "))
			if d.empty() {
				fmt.Fprintln(w, "no rule changes")
				return nil
			}
			d.write(w, "")
			return nil
		},
	}
	c.Flags().StringArrayVar(&add, "add", nil, "add the entitlement KEY (true) or KEY=VALUE (repeatable)")
	c.Flags().StringArrayVar(&remove, "remove", nil, "remove the entitlement KEY (repeatable)")
	ef.add(c)
	return c
}

// probe evaluates one profile under several entitlement sets.
type probe struct {
	c    *cobra.Command
	src  *source.File
	d    *driver.Driver
	opts eval.Options
	base *entitlements.Set
}

func newProbe(c *cobra.Command, ef *evalFlags, name string) (*probe, error) {
	do, err := ef.driverOptions()
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	d, err := newDriver(do)
	if err != nil {
		return nil, err
	}
	src, err := readSource(name, c.InOrStdin())
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	s, err := d.Setup(src.Name)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	base := do.Entitlements
	if base == nil {
		base = &entitlements.Set{Source: "no entitlements"}
	}
	return &probe{c: c, src: src, d: d, opts: s.Eval, base: base}, nil
}

func (p *probe) run(set *entitlements.Set) *eval.Result {
	o := p.opts
	o.Entitlements = set
	o.Context = p.c.Context()
	return eval.Run(p.src, o)
}

// problems checks the profile with the entitlements set, through the one
// workflow, and prints the problems that change what it means; an error
// among them stops the command (exit 1): the answer would describe a
// profile libsandbox refuses.
func (p *probe) problems(set *entitlements.Set) error {
	res, err := p.d.CheckWith(p.c.Context(), p.src, driver.CheckOptions{Entitlements: set})
	if err != nil {
		return usageErrorf("%v", err)
	}
	ps := res.Problems()
	if !ps.HasErrors() {
		return nil
	}
	diag.WriteText(p.c.ErrOrStderr(), ps, textOptions(p.c, p.c.ErrOrStderr()))
	return findings()
}

// maxKeys bounds the keys list follows: each costs an evaluation or two.
const maxKeys = 1000

// keys are the keys res tested, and those the profile tests only once
// another key is present (found by toggling each), in the order first
// tested.
func (p *probe) keys(res *eval.Result) []eval.EntitlementUse {
	var out []eval.EntitlementUse
	seen := map[string]bool{}
	add := func(us []eval.EntitlementUse) {
		for _, u := range us {
			k := u.Key + fmt.Sprint(u.Runtime)
			if !seen[k] && len(out) < maxKeys {
				seen[k] = true
				out = append(out, u)
			}
		}
	}
	add(res.Entitlements)
	for i := 0; i < len(out); i++ {
		if !out[i].Runtime {
			add(p.run(p.toggled(out[i].Key, entitlements.True)).Entitlements)
		}
	}
	return out
}

// toggled is the base set with key removed when present, else set to v.
func (p *probe) toggled(key string, v entitlements.Value) *entitlements.Set {
	if _, ok := p.base.Get(key); ok {
		return p.base.Without(key)
	}
	return p.base.With(key, v)
}

// toggle compares res with an evaluation where key is toggled, and says
// how it was toggled.
func (p *probe) toggle(res *eval.Result, key string) (string, ruleDiff) {
	if v, ok := p.base.Get(key); ok {
		return "without it (the entitlements have " + v.String() + ")", diffRules(res.Profile, p.run(p.base.Without(key)).Profile)
	}
	d := diffRules(res.Profile, p.run(p.base.With(key, entitlements.True)).Profile)
	if !d.empty() {
		return "with true", d
	}
	list := entitlements.Value{Kind: entitlements.Array, List: []entitlements.Value{{Kind: entitlements.String, Str: "VALUE"}}}
	if d2 := diffRules(res.Profile, p.run(p.base.With(key, list)).Profile); !d2.empty() {
		return `with ["VALUE"]`, d2
	}
	return "with true", d
}

// requiresEntitlement reports whether f tests key at run time.
func requiresEntitlement(f *ir.FilterNode, key string) bool {
	if f == nil {
		return false
	}
	if f.Kind == ir.Leaf && f.Name == "%entitlement-load" {
		for _, a := range f.Args {
			if a.Str == key {
				return true
			}
		}
	}
	for _, c := range f.Children {
		if requiresEntitlement(c, key) {
			return true
		}
	}
	return false
}

// ruleDiff is what changes between two evaluations: rules (and unknown
// rules) only in the first, and only in the second.
type ruleDiff struct {
	removed, added []diffItem
}

type diffItem struct {
	at   source.Span
	text string
}

func (d ruleDiff) empty() bool { return len(d.removed) == 0 && len(d.added) == 0 }

// diffRules compares the rules of a and b as multisets of their flat
// text (the order of rules that both have does not matter here).
func diffRules(a, b *ir.Profile) ruleDiff {
	items := func(p *ir.Profile) []diffItem {
		var out []diffItem
		for _, r := range p.Rules {
			out = append(out, diffItem{r.Origin.Primary(), eval.FormatRule(r)})
		}
		for _, ob := range p.OpaqueBlocks {
			out = append(out, diffItem{ob.Origin.Primary(), ";; unknown rules: " + ob.Reason})
		}
		return out
	}
	count := func(xs []diffItem) map[string]int {
		m := map[string]int{}
		for _, x := range xs {
			m[x.text]++
		}
		return m
	}
	ia, ib := items(a), items(b)
	ca, cb := count(ia), count(ib)
	var d ruleDiff
	for _, x := range ia {
		if cb[x.text] > 0 {
			cb[x.text]--
			continue
		}
		d.removed = append(d.removed, x)
	}
	for _, x := range ib {
		if ca[x.text] > 0 {
			ca[x.text]--
			continue
		}
		d.added = append(d.added, x)
	}
	return d
}

func (d ruleDiff) write(w io.Writer, indent string) {
	all := make([]struct {
		sign string
		diffItem
	}, 0, len(d.removed)+len(d.added))
	for _, x := range d.removed {
		all = append(all, struct {
			sign string
			diffItem
		}{"-", x})
	}
	for _, x := range d.added {
		all = append(all, struct {
			sign string
			diffItem
		}{"+", x})
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i].at, all[j].at
		if a.Filename() != b.Filename() {
			return a.Filename() < b.Filename()
		}
		return a.Start < b.Start
	})
	for _, x := range all {
		fmt.Fprintf(w, "%s%s %s: %s\n", indent, x.sign, x.at, indentRule(x.text))
	}
}

// indentRule indents the continuation lines of a multi-line rule.
// indentRule shows a rule in fmt's canonical layout, its continuation
// lines indented under the line's marker.
func indentRule(s string) string {
	if out, ds := format.Source([]byte(s), "<rule>", format.Options{}); out != nil && !ds.HasErrors() {
		s = strings.TrimRight(string(out), "\n")
	}
	return strings.ReplaceAll(s, "\n", "\n    ")
}
