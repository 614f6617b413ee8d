// Package learn turns recorded Seatbelt denial reports into SBPL rules, the
// way SELinux's audit2allow and AppArmor's aa-logprof turn audit records
// into policy.
//
// The work has four stages, each in its own file:
//
//   - log.go reads a log of any shape macOS writes (log show / log stream in
//     every --style, the old sandboxd syslog lines, kernel message buffers,
//     the com.apple.sandbox.reporting records) one line at a time and yields
//     Reports. Nothing is loaded whole: memory stays flat in the log size.
//   - targets.go maps each operation to the narrowest filter for its target
//     (one table, ops.go, with one entry per row of the research table in
//     denial-logs.md §7).
//   - synth.go collects the denials, canonicalises paths, substitutes params,
//     widens only with a reason and never into a secret or persistence
//     location, and merges the result into commented rules.
//   - profile.go places the rules in an existing profile where they take
//     effect, and proves the result with the decision engine and the linter.
//
// Everything that evaluates, lints or queries a profile goes through
// internal/driver and policy, so learn answers exactly as sbplc query,
// sbplc lint and sbplc audit do.
package learn
