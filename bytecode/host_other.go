//go:build !darwin

package bytecode

func hostDarwin() (int, bool) { return 0, false }
