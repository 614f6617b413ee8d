package policy

import (
	"github.com/sbplc/sbplc/vocab"
)

// Facts about libsandbox 14.4.1 that the compiled blobs of
// testdata/groundtruth settle and that the vocabulary tables (generated
// from ../shared/vocab) do not carry yet. Each is one table entry; the
// decision engine, the cross-check and the native emitter read them from
// here.

// AliasStatus says what is known of a name libsandbox may rebind.
type AliasStatus uint8

// Alias states.
const (
	// AliasVerified: compiled blobs show the name is bound to Target.
	AliasVerified AliasStatus = iota
	// AliasUnknown: older releases bound the name; whether libsandbox
	// 14.4.1 accepts it, and what it means there, is not measured.
	AliasUnknown
)

// Alias is one operation name that is not in the 14.4.1 op table but that
// profiles still write.
type Alias struct {
	Name     string
	Target   string // the operation it names (AliasVerified)
	Status   AliasStatus
	Evidence string
}

// aliases14 are the names libsandbox 14.4.1 binds to another operation,
// or may (semantics "Findings" item 10).
var aliases14 = []Alias{
	{Name: "iokit-open", Target: "iokit-open-user-client", Status: AliasVerified,
		Evidence: "(allow iokit-open ...) compiles to the same blob as (allow iokit-open-user-client ...) (sha256 1c810afb..., testdata/groundtruth)"},
	{Name: "process-codesigning-status*", Status: AliasUnknown, Evidence: "10.12-10.15 operation; 14.4.1 has process-codesigning and process-legacy-codesigning-status*"},
	{Name: "process-codesigning-status-get", Status: AliasUnknown, Evidence: "10.12-10.15 operation"},
	{Name: "process-codesigning-status-set", Status: AliasUnknown, Evidence: "10.12-10.15 operation"},
	{Name: "load-unsigned-code", Status: AliasUnknown, Evidence: "10.x operation, not in the 14.4.1 table"},
	{Name: "file-fsctl", Status: AliasUnknown, Evidence: "alias of system-fsctl in the 10.14/10.15 sbpl1.scm"},
}

// LookupAlias returns the 14.4.1 alias entry for name on t (macOS 14 and
// the newer, unmeasured targets that inherit its tables).
func LookupAlias(t vocab.Target, name string) (Alias, bool) {
	if !injectsTargetSelf(t) || activeMutation == mutNoAliases {
		return Alias{}, false
	}
	for _, a := range aliases14 {
		if a.Name == name {
			return a, true
		}
	}
	return Alias{}, false
}

// Aliases lists the alias table (for documentation and tests).
func Aliases() []Alias { return append([]Alias(nil), aliases14...) }

// version2Allowed14 are the operations libsandbox 14.4.1 allows by default
// under (version 2): measured in the (version 2) blobs of
// testdata/groundtruth (no default rule; every other entry points to the
// deny node). Under (version 1) it is the 54-operation set of the
// vocabulary.
var version2Allowed14 = []string{
	"file-lock", "mach-derive-port", "mach-kernel-endpoint", "mach-task-special-port*",
	"mach-task-special-port-get", "mach-task-special-port-set", "necp-client-open",
	"process-codesigning", "syscall-mig", "system-memorystatus-control",
	"system-necp-client-action", "system-privilege", "process-exec-update-label",
}

// Version2Evidence names the ground truth of version2Allowed14.
const Version2Evidence = "measured: (version 2) blobs compiled by libsandbox 14.4.1 (testdata/groundtruth, sha256 06162de7..., f8aaa1de...)"

// alwaysDenied14 are the operations that deny even under (allow default)
// in (version 1) (vocabulary, measured); under (version 2) they deny in
// every measured blob, which has no (allow default).
var alwaysDenied14 = []string{"file-write-setugid", "job-creation", "system-kas-info", "storage-class-map"}

// measuredDefaults returns the built-in defaults of t under (version N)
// when compiled blobs settle them beyond the vocabulary: macOS 14 (and the
// newer targets that inherit its tables) under (version 2). ok is false
// otherwise.
func measuredDefaults(t vocab.Target, version int) (map[string]vocab.DefaultRule, bool) {
	if version != 2 || !injectsTargetSelf(t) || activeMutation == mutV1DefaultsUnderV2 {
		return nil, false
	}
	verified := t.OSKey == "14.4.1"
	m := map[string]vocab.DefaultRule{
		"default": {Action: "deny", Verified: true, Basis: "the default operation starts as deny until (allow default) or (deny default) replaces it"},
	}
	for _, op := range version2Allowed14 {
		m[op] = vocab.DefaultRule{Action: "allow", Verified: verified, Basis: Version2Evidence}
	}
	for _, op := range alwaysDenied14 {
		m[op] = vocab.DefaultRule{Action: "deny", Verified: false,
			Basis: "denied in every measured (version 2) blob; whether (allow default) opens it under (version 2) is not measured"}
	}
	return m, true
}

// BuiltinDefaults returns the operations with a built-in decision on t
// under (version N) as the engine applies them: measured (version 2)
// defaults where the ground truth has them, else the vocabulary's
// (vocab.TerminalDefaultFor). The map is shared: do not modify it.
func BuiltinDefaults(t vocab.Target, version int) map[string]vocab.DefaultRule {
	return builtinDefaults(t, version)
}
