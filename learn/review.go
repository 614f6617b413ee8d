package learn

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sbplc/sbplc/diag"
)

// ErrReviewEnded is returned by Review when its input ends before every
// proposal was answered: nothing should be written then.
var ErrReviewEnded = errors.New("review ended before every rule was answered (end of input); nothing written")

// Review asks, for each proposed rule, what to do with it, as aa-logprof
// does: accept it, widen it one level (none -> dir -> auto), keep it
// literal, deny the access quietly ((deny ... (with no-report)), so the
// denial stops being logged), or skip it; q accepts the rest as proposed.
// Prompts go to out, answers come from in, one line each.
func (p *Plan) Review(ctx context.Context, in io.Reader, out io.Writer) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 1024), 64<<10)
	for i, g := range p.Groups {
		if g.Skip {
			continue
		}
		for {
			p.show(out, g, i+1)
			fmt.Fprint(out, "[a]ccept, [w]iden, keep [l]iteral, [d]eny quietly, [s]kip, [q]uit reviewing (accept the rest)? ")
			if !sc.Scan() {
				fmt.Fprintln(out)
				if err := sc.Err(); err != nil {
					return err
				}
				return ErrReviewEnded
			}
			answer := strings.ToLower(strings.TrimSpace(sc.Text()))
			switch answer {
			case "a", "accept", "":
			case "w", "widen":
				if g.Level == WidenAuto {
					fmt.Fprintln(out, "  already at the widest level (auto)")
					continue
				}
				if err := p.Regroup(ctx, g, g.Level+1); err != nil {
					return err
				}
				continue
			case "l", "literal":
				if err := p.Regroup(ctx, g, WidenNone); err != nil {
					return err
				}
			case "d", "deny":
				g.Quiet = true
			case "s", "skip":
				g.Skip = true
			case "q", "quit":
				return nil
			default:
				fmt.Fprintf(out, "  %q: answer a, w, l, d, s or q\n", answer)
				continue
			}
			break
		}
	}
	return nil
}

// show prints one group's proposal.
func (p *Plan) show(out io.Writer, g *Group, n int) {
	rules := buildRules([]*Group{g})
	fmt.Fprintf(out, "\n(%d/%d) %s: %s (widening: %s)\n", n, len(p.Groups), g.Op, diag.Count(g.Denials(), "denial"), g.Level)
	for _, r := range rules {
		fmt.Fprintf(out, "  e.g. %s\n  allows %s\n", r.Example, strings.Join(r.Breadth, "; "))
		for _, note := range r.Notes {
			fmt.Fprintf(out, "  note: %s\n", note)
		}
		for _, f := range r.Flags {
			fmt.Fprintf(out, "  flagged: %s\n", f)
		}
		for _, text := range r.forms(p.params) {
			fmt.Fprintf(out, "  %s\n", text)
		}
	}
}
