// Package learn turns recorded Seatbelt denial reports into SBPL rules, the
// way SELinux's audit2allow and AppArmor's aa-logprof turn audit records
// into policy.
//
// The work has five stages, each in its own file:
//
//   - log.go reads a log of any shape macOS writes (log show / log stream in
//     every --style, the old sandboxd syslog lines, kernel message buffers,
//     the com.apple.sandbox.reporting records) one line at a time and yields
//     Reports. Nothing is loaded whole: memory stays flat in the log size.
//   - collect.go keeps the distinct denials (bounded by MaxTargets), after
//     the process selection and the noise table (noise.tsv).
//   - targets.go maps each operation to the narrowest filter for its target:
//     one table, opTable, with one entry per row of the research table in
//     denial-logs.md §7 (its uncertain rows decided there, once).
//   - synth.go canonicalises paths, widens only with a reason (--widen) and
//     merges the result into commented rules; filter.go renders them with
//     params; sensitive.go knows the secret and persistence locations.
//   - profile.go asks the decision engine which denials the profile still
//     denies, refuses widenings into sensitive locations, places the rules
//     where they take effect, and proves the result with the engine and
//     the linter. review.go is the interactive review (-i).
//
// Everything that evaluates, lints or queries a profile goes through
// internal/driver and policy, so learn answers exactly as sbplc query,
// sbplc lint and sbplc audit do.
package learn
