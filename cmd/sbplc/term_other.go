//go:build !linux && !darwin && !dragonfly && !freebsd && !netbsd && !openbsd

package main

// isTerminal reports whether fd is a terminal; on this platform sbplc does
// not tell, so --color=auto never colours (--color=always still does).
func isTerminal(fd uintptr) bool { return false }
