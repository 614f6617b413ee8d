// Package policy is sbplc's decision engine: given an evaluated profile
// (package ir) it answers whether an operation on a resource is allowed,
// denied or unknown, and which rule decides. It is the single source of
// truth for Seatbelt's precedence model; `sbplc query`, `sbplc test`,
// `sbplc audit` and lint's ordering, escape and secrets rules use it.
//
// # Model (user documentation: docs/query-test-audit.md)
//
// For a request on operation O:
//
//  1. O's filtered rules are tried newest first; the first whose filter
//     matches decides (so among filtered rules the last written wins).
//  2. Then O's bottom rule: its own unfiltered rule if the profile wrote
//     one anywhere (the last such wins; filtered rules of O beat it in
//     either order), else the jump to O's parent from the vocabulary
//     (file-read-data -> file-read* -> file* -> default; network-bind ->
//     network-inbound ...), where the same steps repeat.
//  3. A chain that ends without a decision takes the built-in default on
//     Options.Target (vocab.TerminalDefaultFor) of its most specific
//     operation that has one: default is deny until (allow default) or
//     (deny default); operations such as process-info*, file-clone and
//     file-link are allowed under (version 1), job-creation and
//     file-write-setugid are denied even under (allow default). A chain
//     through such an operation never reaches default.
//
// Paths are checked as the kernel presents them (ResolvePath, the one
// canonicalisation, which lint uses too): /tmp, /var and /etc resolve to
// /private/..., /System/Volumes/Data/private/... is /private/..., and a
// lookup that crosses one of those symlinks is also checked as
// file-read-metadata on the link itself (Resource.Links): a deny of
// either check denies the request. file-read-metadata of a link itself
// (lstat("/tmp")) is checked on the link's own spelling.
//
// libsandbox's implicit rules (allow signal (target self)) and (allow
// mach-task-name (target self)), and on macOS 14 and newer the same for
// mach-task-inspect and mach-task-read (ImplicitRulesFor), are appended
// unless the profile set NO_IMPLICIT_RULES or Options.NoImplicit.
//
// Filters: literal/path exact; subpath the path itself or below it
// (component-bounded); prefix a raw string prefix; regex an unanchored
// search in SBPL's POSIX-ERE-like dialect (see TranslateRegex); several
// filters in a rule and several arguments of a filter are ORed;
// require-all/any/not nest. Name filters (global-name, sysctl-name,
// preference-domain, ...) compare the resource name; (local|remote PROTO
// "HOST:PORT") the network endpoint; (target ...) the process relation;
// (vnode-type ...) Resource.Vnode. A filter on a different kind of
// resource than the query's never matches.
//
// # Unknown answers
//
// The engine never guesses. A filter it cannot evaluate (entitlements,
// sandbox extensions, process and system attributes, a ${NAME} placeholder
// without a value, vnode-type without a file type) evaluates to "maybe":
// the answer stays known only if the rule it guards has the same action as
// the rest of the walk; otherwise it is Unknown with the reason.
// Options.Assume forces such filters. An unresolved import, and an opaque
// block (a statement that needs a name such an import may define; see
// ir.Profile.Opaque), may hold rules of any operation: an answer decided
// by a filtered rule of the queried operation's own list, written after
// the last of them, stands; every other answer is Unknown with the reason.
//
// # Unverified choices
//
// Model holds the choices semantics.md marks [guess]; Choices lists them
// with their defaults. The main one, SpecificBeatsWildcard (default
// true), decides whether a rule on file-read-data beats a later rule on
// file-read* (the fallback-jump model verified for 10.9.5) or the other
// way round (an expansion model).
//
// # Performance
//
// New compiles each filter once: regexes are translated and validated, and
// compiled to Go regexps only when a request first passes their literal
// pre-checks (anchored prefix, suffix, required substring), through a
// bounded process-wide cache; literal, subpath and prefix rules go into
// per-operation
// indexes (a hash lookup per path component instead of a rule scan).
// QueryInto with a reused Decision makes no allocations for path and name
// queries.
package policy
