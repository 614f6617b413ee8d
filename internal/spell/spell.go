// Package spell suggests a known name for a misspelt one: the "did you
// mean" of every sbplc diagnostic (unknown operations, filters, modifiers,
// identifiers, rule IDs, configuration keys and levels).
//
// There is one policy. Names are compared byte by byte, ignoring ASCII
// case, by optimal-string-alignment distance: an insertion, a deletion, a
// substitution or a swap of two adjacent bytes is one edit. A candidate is
// close enough when its distance is at most
//
//	0 edits for names of 1 or 2 bytes (only a change of case),
//	1 edit  for 3 or 4 bytes,
//	2 edits for 5 to 8 bytes,
//	3 edits for longer names.
//
// Short names get few edits because every short name is a few edits from
// every other ("f" is one edit from "*"). Names longer than MaxLen bytes
// get no suggestion, which keeps the cost of a call at most
// MaxLen*(MaxLen+3) steps per candidate whatever the input.
package spell

// MaxLen is the longest name for which a suggestion is looked for.
const MaxLen = 128

// Nearest returns the candidate closest to x under the package's policy,
// or "" when none is close enough. x itself is never returned; ties go to
// the candidate that sorts first, so the answer does not depend on the
// order of candidates.
func Nearest(x string, candidates []string) string {
	if len(x) > MaxLen {
		return ""
	}
	limit := maxEdits(len(x))
	best, bestD := "", limit+1
	var rows []int
	for _, c := range candidates {
		if c == x {
			continue
		}
		if d := len(c) - len(x); d > limit || -d > limit {
			continue // the length difference alone needs too many edits
		}
		if need := 3 * (len(c) + 1); cap(rows) < need {
			rows = make([]int, need)
		}
		d := distance(x, c, bestD, rows[:3*(len(c)+1)])
		if d < bestD || (d == bestD && c < best) {
			best, bestD = c, d
		}
	}
	if bestD > limit {
		return ""
	}
	return best
}

// maxEdits is the largest distance at which a candidate is suggested for
// a name of n bytes.
func maxEdits(n int) int {
	switch {
	case n <= 2:
		return 0
	case n <= 4:
		return 1
	case n <= 8:
		return 2
	}
	return 3
}

// distance is the optimal-string-alignment distance of a and b, ignoring
// ASCII case, computed with three rows of len(b)+1 cells taken from
// rows. It stops as soon as every cell of a row exceeds bound and then
// returns bound+1, so a hopeless candidate costs little.
func distance(a, b string, bound int, rows []int) int {
	n := len(b) + 1
	prev2, prev, cur := rows[:n], rows[n:2*n], rows[2*n:3*n]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if lower(a[i-1]) == lower(b[j-1]) {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && lower(a[i-1]) == lower(b[j-2]) && lower(a[i-2]) == lower(b[j-1]) {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > bound {
			return bound + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
