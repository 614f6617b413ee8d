package policy

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Model holds the decision-model choices that semantics.md marks [guess]
// or unverified. Every switch is listed in Choices with its default and
// evidence; DefaultModel returns the defaults.
type Model struct {
	// SpecificBeatsWildcard: a rule on a specific operation beats a rule
	// on its wildcard parent regardless of order (the fallback-jump model
	// of semantics §1.4, verified in the 10.9.5 compiler, unmeasured on
	// 14+). false selects the expansion model: wildcard rules are copied
	// into each child at the point where they are written, so the last
	// written rule wins across a child and its wildcard ancestors (not
	// default). Default true.
	SpecificBeatsWildcard bool

	// NewerVersionDefaults is what the operations allowed by default under
	// (version 1) (file-clone, process-info*, ...; semantics §1.5) give
	// under (version 2) or later, where the per-version sets are not
	// verified: Unknown (default), Allow (keep the version 1 set) or Deny.
	NewerVersionDefaults Result

	// LocalhostMatchesAny: whether (remote ... "localhost:P") covers the
	// unspecified address 0.0.0.0 / :: (one 26.x measurement says yes,
	// semantics §4). Unknown (default), Allow (= matches) or Deny (= does
	// not match).
	LocalhostMatchesAny Result

	// TrustGuessedFallbacks: whether to follow fallback links the
	// vocabulary inferred from operation names rather than read from an
	// operation table (vocab.Operation.Guessed: operations new in 14.x such
	// as iokit-open-user-client -> iokit-open*, file-graft -> file*). false
	// makes every answer that depends on such a link Unknown. Default true.
	TrustGuessedFallbacks bool
}

// DefaultModel returns the documented defaults.
func DefaultModel() Model {
	return Model{
		SpecificBeatsWildcard: true,
		NewerVersionDefaults:  Unknown,
		LocalhostMatchesAny:   Unknown,
		TrustGuessedFallbacks: true,
	}
}

// Choice documents one Model switch.
type Choice struct {
	Key      string // as used by --model KEY=VALUE
	Default  string
	Values   string
	Doc      string
	Evidence string
}

// Choices is the one table of model switches, in the order the
// documentation lists them.
func Choices() []Choice {
	return []Choice{
		{"specific-beats-wildcard", "true", "true|false",
			"a rule on a specific operation (file-read-data) beats a rule on its wildcard parent (file-read*) whatever their order; false = last written wins across child and wildcard",
			"semantics §1.4: verified in the 10.9.5 compiler; not measured on macOS 14+"},
		{"newer-version-defaults", "unknown", "unknown|allow|deny",
			"what the operations allowed by default under (version 1) give under (version 2) or later",
			"semantics §1.5: WebKit re-allows them under version 2; exact sets unverified"},
		{"localhost-matches-any", "unknown", "unknown|allow|deny",
			"whether a localhost network rule covers the unspecified address 0.0.0.0 / ::",
			"semantics §4: one 26.x measurement"},
		{"trust-guessed-fallbacks", "true", "true|false",
			"follow fallback links the vocabulary inferred from operation names (operations new in 14.x); false = answers that depend on one are unknown",
			"semantics §1.4: parents of names new in 14.x are inferred; STRANDS lists file-graft and sandbox-check as allowed by default on 26.x"},
	}
}

// Set changes one switch from its KEY=VALUE text (see Choices).
func (m *Model) Set(kv string) error {
	k, v, ok := strings.Cut(kv, "=")
	if !ok {
		return fmt.Errorf("model setting %q: write KEY=VALUE (keys: %s)", kv, choiceKeys())
	}
	k, v = strings.TrimSpace(k), strings.ToLower(strings.TrimSpace(v))
	switch k {
	case "specific-beats-wildcard", "trust-guessed-fallbacks":
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("model setting %s: want true or false, got %q", k, v)
		}
		if k == "specific-beats-wildcard" {
			m.SpecificBeatsWildcard = b
		} else {
			m.TrustGuessedFallbacks = b
		}
	case "newer-version-defaults", "localhost-matches-any":
		r, err := ParseResult(v)
		if err != nil {
			return fmt.Errorf("model setting %s: %v", k, err)
		}
		if k == "newer-version-defaults" {
			m.NewerVersionDefaults = r
		} else {
			m.LocalhostMatchesAny = r
		}
	default:
		return fmt.Errorf("unknown model setting %q (keys: %s)", k, choiceKeys())
	}
	return nil
}

func choiceKeys() string {
	var ks []string
	for _, c := range Choices() {
		ks = append(ks, c.Key)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

// ParseResult parses allow, deny or unknown.
func ParseResult(s string) (Result, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "allow", "allowed":
		return Allow, nil
	case "deny", "denied":
		return Deny, nil
	case "unknown":
		return Unknown, nil
	}
	return Unknown, fmt.Errorf("want allow, deny or unknown, got %q", s)
}
