//go:build !darwin

package sandbox

// Native returns libsandbox's applier; on this system there is none, and
// applying fails (the child stage then exits 126 and COMMAND does not run).
func Native() Applier { return unsupported{} }

type unsupported struct{}

func (unsupported) Apply([]byte) error { return ErrUnsupported }
