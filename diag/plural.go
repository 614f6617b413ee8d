package diag

import "strconv"

// Plural counts n things in a message: "1 " + one, or n and many ("1
// probe is", "2 probes are").
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// Count counts n things named by a noun with a regular plural: "1 rule",
// "0 rules", "3 rules".
func Count(n int, noun string) string { return Plural(n, noun, noun+"s") }
