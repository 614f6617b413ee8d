//go:build !unix

package testutil

import "testing"

// MakeFIFO skips the test: there are no FIFOs here.
func MakeFIFO(t testing.TB, path string) string {
	t.Helper()
	t.Skip("no FIFOs on this system")
	return path
}
