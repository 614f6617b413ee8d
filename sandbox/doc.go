// Package sandbox runs programs under a Seatbelt (SBPL) profile on macOS,
// fail-closed: a command made by this package either runs sandboxed or
// does not run at all. It is what `sbplc run` uses, for Go programs that
// would otherwise shell out to the deprecated sandbox-exec.
//
// # How it works
//
// A Go program cannot run code between fork and exec, so the profile is
// applied by a small child stage: the command this package returns
// re-executes a program whose main calls [Main] first (by default the
// calling program itself), with a marker argument. The stage reads the
// compiled profile from file descriptor 3, resolves COMMAND in its PATH,
// applies the profile to its own process (libsandbox's sandbox_apply) and
// then execve's COMMAND, so COMMAND inherits the sandbox exactly as under
// sandbox-exec. Environment, working directory and standard input, output
// and error pass through unchanged.
//
// Before the exec the stage reports on a close-on-exec pipe (descriptor
// 4): one byte just before execve, or a failure record. The parent
// therefore knows "COMMAND started" (the pipe closed after the byte) from
// "failed before exec" (a record, or the pipe closed without the byte). On
// every failure the stage prints what failed to standard error and exits
// 126 (127 when COMMAND is not found) without starting COMMAND, so even a
// caller that only looks at the exit status never runs COMMAND
// unsandboxed.
//
// # Which program runs the stage
//
// [Profile.Stage] chooses it. The default ("") is the calling program,
// found with os.Executable: nothing else needs to be installed and the
// stage always speaks this package's protocol version, but the program's
// main must call [Main] before anything else ([Profile.Command] refuses
// otherwise) and each command costs one extra start of the program. A
// path instead names another program whose main calls Main, such as the
// sbplc binary: the calling program then needs no hook in its main, but
// depends on that program being present and of the same protocol version
// (a different version refuses and exits 126). sbplc itself uses its own
// binary.
//
// # Using the command
//
// [Profile.Command] returns an *exec.Cmd. Set Stdin, Stdout, Stderr, Env
// and Dir as usual; do not change Path, Args or ExtraFiles (the stage's
// descriptors). [Start] starts it and waits until COMMAND has been
// exec'd, returning a *StageError with the reason when it was not; plain
// cmd.Run works too (exit status 126 or 127, message on standard error),
// and [Failure] then tells a stage failure from COMMAND's own status.
//
// Profiles are compiled by libsandbox in the calling process ([Compile],
// macOS only), or come compiled from `sbplc compile` ([FromBytecode]).
// Everything except compiling and applying is plain Go and is tested on
// every OS with a fake [Applier] ([MainWith]).
//
// # Example
//
//	func main() {
//		sandbox.Main() // first: this process may be the child stage
//		profile := []byte(`(version 1)
//	(allow default)
//	(deny network*)`)
//		cmd, err := sandbox.Command(context.Background(), profile, nil, "curl", "https://example.com")
//		if err != nil {
//			log.Fatal(err) // the profile did not compile: nothing ran
//		}
//		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
//		if err := sandbox.Start(cmd); err != nil {
//			log.Fatal(err) // e.g. applying failed: curl never started
//		}
//		err = cmd.Wait() // curl's own exit status
//		...
//	}
package sandbox
