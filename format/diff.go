package format

import (
	"fmt"
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// DiffContext is the number of unchanged lines shown around each change.
const DiffContext = 3

type diffLine struct {
	op   byte // ' ', '-' or '+'
	text string
}

// Diff returns a unified diff from a (named oldName) to b (named newName)
// with DiffContext lines of context, in the form read by patch(1) and git
// apply: "--- oldName", "+++ newName", then "@@ -l,n +l,n @@" hunks. It
// returns nil when a and b are equal. A last line without a newline is
// marked "\ No newline at end of file".
func Diff(oldName, newName string, a, b []byte) []byte {
	if string(a) == string(b) {
		return nil
	}
	dmp := diffmatchpatch.New()
	ra, rb, lines := dmp.DiffLinesToRunes(string(a), string(b))
	diffs := dmp.DiffCharsToLines(dmp.DiffMainRunes(ra, rb, false), lines)
	var all []diffLine
	for _, d := range diffs {
		op := byte(' ')
		switch d.Type {
		case diffmatchpatch.DiffDelete:
			op = '-'
		case diffmatchpatch.DiffInsert:
			op = '+'
		}
		for _, l := range splitLines(d.Text) {
			all = append(all, diffLine{op, l})
		}
	}
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", oldName, newName)
	// oldLine/newLine are the 1-based line numbers of all[i] in a and b.
	oldAt := make([]int, len(all)+1)
	newAt := make([]int, len(all)+1)
	o, n := 1, 1
	for i, l := range all {
		oldAt[i], newAt[i] = o, n
		if l.op != '+' {
			o++
		}
		if l.op != '-' {
			n++
		}
	}
	oldAt[len(all)], newAt[len(all)] = o, n
	i := 0
	for i < len(all) {
		// find the next change
		for i < len(all) && all[i].op == ' ' {
			i++
		}
		if i == len(all) {
			break
		}
		start := max(0, i-DiffContext)
		// extend the hunk while the gap between changes is at most 2*context
		end := i
		for {
			for end < len(all) && all[end].op != ' ' {
				end++
			}
			gap := end
			for gap < len(all) && all[gap].op == ' ' {
				gap++
			}
			if gap < len(all) && gap-end <= 2*DiffContext {
				end = gap
				continue
			}
			end = min(len(all), end+DiffContext)
			break
		}
		oldN, newN := 0, 0
		for _, l := range all[start:end] {
			if l.op != '+' {
				oldN++
			}
			if l.op != '-' {
				newN++
			}
		}
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(oldAt[start], oldN), hunkRange(newAt[start], newN))
		for _, l := range all[start:end] {
			out.WriteByte(l.op)
			out.WriteString(l.text)
			if !strings.HasSuffix(l.text, "\n") {
				out.WriteString("\n\\ No newline at end of file\n")
			}
		}
		i = end
	}
	return []byte(out.String())
}

// hunkRange renders "start,count" as diff(1) does: an empty range names the
// line before it, and a count of one is left out.
func hunkRange(start, count int) string {
	switch count {
	case 0:
		return fmt.Sprintf("%d,0", start-1)
	case 1:
		return fmt.Sprintf("%d", start)
	}
	return fmt.Sprintf("%d,%d", start, count)
}

// splitLines splits s after each newline; the last piece may lack one.
func splitLines(s string) []string {
	var out []string
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}
