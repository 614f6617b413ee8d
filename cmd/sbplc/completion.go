package main

import (
	"github.com/sbplc/sbplc/templates"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sbplc/sbplc/bytecode"
	"github.com/sbplc/sbplc/policy"
	"github.com/sbplc/sbplc/ruletable"
	"github.com/sbplc/sbplc/vocab"
)

// Shell completion of flag values and arguments, for every shell cobra
// supports (the scripts of 'sbplc completion SHELL' call back into
// 'sbplc __complete ...', which runs the functions registered here).
// Subcommands, flags and file arguments complete without help from here.

// words is a completion source: the candidate values, computed when the
// shell asks, each optionally with a description (cobra.CompletionWithDesc).
type words func() []cobra.Completion

func fixed(vs ...string) words {
	return func() []cobra.Completion { return vs }
}

// severities are the values of --fail-on.
func severities() []cobra.Completion {
	return []cobra.Completion{
		cobra.CompletionWithDesc("error", "fail only on errors"),
		cobra.CompletionWithDesc("warning", "fail on warnings and errors"),
		cobra.CompletionWithDesc("info", "fail on any finding"),
	}
}

// ruleIDs are the lint rules, with their summaries.
func ruleIDs() []cobra.Completion {
	var out []cobra.Completion
	for _, r := range ruletable.Rules() {
		out = append(out, cobra.CompletionWithDesc(r.ID, r.Summary))
	}
	return out
}

// categories are the rule categories, with their descriptions.
func categories() []cobra.Completion {
	var out []cobra.Completion
	for _, c := range ruletable.Categories() {
		out = append(out, cobra.CompletionWithDesc(c.Name, c.Description))
	}
	return out
}

// ruleSelectors are what --enable and --disable take: rule IDs, category
// names and "all".
func ruleSelectors() []cobra.Completion {
	out := append(categories(), ruleIDs()...)
	return append(out, cobra.CompletionWithDesc("all", "every rule"))
}

// targets are the --target names of the evaluator and linter.
func targets() []cobra.Completion {
	var out []cobra.Completion
	for _, t := range vocab.Targets() {
		desc := "macOS " + t.OSKey
		if !t.Verified {
			desc += " (unverified)"
		}
		out = append(out, cobra.CompletionWithDesc(t.Name, desc))
	}
	return out
}

// valueCompletion completes one flag value from ws.
func valueCompletion(ws words) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return ws(), cobra.ShellCompDirectiveNoFileComp
	}
}

// listCompletion completes the last element of a comma-separated list
// (--enable a,b,...), leaving out the elements already given.
func listCompletion(ws words) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		head, given := "", map[string]bool{}
		if i := strings.LastIndexByte(toComplete, ','); i >= 0 {
			head = toComplete[:i+1]
			for _, g := range strings.Split(toComplete[:i], ",") {
				given[g] = true
			}
		}
		var out []cobra.Completion
		for _, w := range ws() {
			word, _, _ := strings.Cut(w, "\t")
			if !given[word] {
				out = append(out, head+w)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// keyValueCompletion completes KEY=VALUE pairs: the keys (with '=' and no
// space after them), then the values of the key before '='.
func keyValueCompletion(keys func() map[string][]string, desc func() map[string]string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if k, _, ok := strings.Cut(toComplete, "="); ok {
			var out []cobra.Completion
			for _, v := range keys()[k] {
				out = append(out, k+"="+v)
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		ds := desc()
		for k := range keys() {
			out = append(out, cobra.CompletionWithDesc(k+"=", ds[k]))
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
}

// modelChoices are the --model keys and their values.
func modelChoices() map[string][]string {
	out := map[string][]string{}
	for _, ch := range policy.Choices() {
		out[ch.Key] = strings.Split(ch.Values, "|")
	}
	return out
}

func modelDocs() map[string]string {
	out := map[string]string{}
	for _, ch := range policy.Choices() {
		out[ch.Key] = "default " + ch.Default
	}
	return out
}

// dirCompletion completes directory names only.
func dirCompletion(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveFilterDirs
}

// flagCompletions maps each command name to the completion of its flags'
// values. The values duplicate each command's own check of the flag; a
// test runs every command with every completed value, so a value that the
// command would refuse fails it, and another fails when a --format,
// --fail-on, --target, --enable, --disable, --category or --emit flag has
// no completion.
func flagCompletions() map[string]map[string]cobra.CompletionFunc {
	format := func(vs ...string) cobra.CompletionFunc { return valueCompletion(fixed(vs...)) }
	failOn := valueCompletion(severities)
	target := valueCompletion(targets)
	dirs := cobra.CompletionFunc(dirCompletion)
	evalFlags := func(m map[string]cobra.CompletionFunc) map[string]cobra.CompletionFunc {
		m["target"], m["import-dir"] = target, dirs
		return m
	}
	model := keyValueCompletion(modelChoices, modelDocs)
	// verify and disasm read compiled profiles: their --target names a
	// blob layout.
	layouts := valueCompletion(func() []cobra.Completion { return bytecode.LayoutNames() })
	return map[string]map[string]cobra.CompletionFunc{
		"lint": evalFlags(map[string]cobra.CompletionFunc{
			"format": format(lintFormats...), "fail-on": failOn,
			"enable": listCompletion(ruleSelectors), "disable": listCompletion(ruleSelectors),
		}),
		"parse":   {"format": format(parseFormats...)},
		"expand":  evalFlags(map[string]cobra.CompletionFunc{"format": format("sbpl", "json")}),
		"query":   evalFlags(map[string]cobra.CompletionFunc{"format": format("text", "json"), "model": model}),
		"test":    evalFlags(map[string]cobra.CompletionFunc{"format": format("text", "json"), "model": model}),
		"audit":   evalFlags(map[string]cobra.CompletionFunc{"format": format("text", "json", "sarif"), "fail-on": failOn, "model": model, "project": dirs}),
		"compile": evalFlags(map[string]cobra.CompletionFunc{"emit": format("bytecode", "sbpl", "json")}),
		"verify":  {"format": format("text", "json"), "target": layouts, "import-dir": dirs},
		"disasm":  {"format": format("text", "json", "dot"), "target": layouts},
		"rules":   {"format": format("text", "json"), "category": valueCompletion(categories)},
		"init":    {"template": valueCompletion(func() []cobra.Completion { return templateNames() })},
		"run":     evalFlags(map[string]cobra.CompletionFunc{"template": valueCompletion(func() []cobra.Completion { return templateNames() })}),
		"trace":   evalFlags(map[string]cobra.CompletionFunc{"template": valueCompletion(func() []cobra.Completion { return templateNames() })}),
		"learn":   evalFlags(map[string]cobra.CompletionFunc{"format": format(learnFormats...), "widen": format("none", "dir", "auto")}),
	}
}

// completeFlagWords registers the completion of flag on c from values,
// computed when the shell asks; a command whose flag takes one of a few
// names (init --template, say) calls it from its constructor.
func completeFlagWords(c *cobra.Command, flag string, values func() []string) error {
	return c.RegisterFlagCompletionFunc(flag, valueCompletion(func() []cobra.Completion { return values() }))
}

// registerCompletions wires the completions of flagCompletions, --color,
// and explain's RULE-ID into the command tree. A flag a command does not
// have is skipped (the tests report it).
func registerCompletions(root *cobra.Command) {
	_ = root.RegisterFlagCompletionFunc("color", valueCompletion(fixed(colorModes...)))
	table := flagCompletions()
	for _, c := range root.Commands() {
		for flag, fn := range table[c.Name()] {
			if c.Flags().Lookup(flag) != nil {
				_ = c.RegisterFlagCompletionFunc(flag, fn)
			}
		}
		if c.Name() == "explain" {
			c.ValidArgsFunction = func(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
				if len(args) > 0 {
					return nil, cobra.ShellCompDirectiveNoFileComp
				}
				return ruleIDs(), cobra.ShellCompDirectiveNoFileComp
			}
		}
	}
}

// templateNames are the names sbplc init --template takes, with their
// one-line descriptions.
func templateNames() []cobra.Completion {
	var out []cobra.Completion
	for _, t := range templates.List() {
		out = append(out, cobra.CompletionWithDesc(t.Name, t.Summary))
	}
	return out
}
