//go:build darwin

package bytecode

import (
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// hostDarwin returns the running kernel's Darwin major version.
func hostDarwin() (int, bool) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return 0, false
	}
	rel := unix.ByteSliceToString(u.Release[:])
	major, _, _ := strings.Cut(rel, ".")
	n, err := strconv.Atoi(major)
	return n, err == nil
}
