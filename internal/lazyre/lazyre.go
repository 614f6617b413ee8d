// Package lazyre compiles a package's regular expressions on first use
// instead of at package initialisation, so that starting sbplc for a
// command that never matches one (sbplc version, a pre-commit lint of a
// small profile) does not pay for compiling every regular expression that
// any command might need.
package lazyre

import (
	"regexp"
	"sync"
)

// New returns a function that compiles expr on its first call and returns
// the same *regexp.Regexp on every call. Like regexp.MustCompile it panics
// when expr does not compile, on the first call instead of at
// initialisation; a package's tests call each one.
func New(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
