package bytecode

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// Pattern opcodes of the string/path matching programs stored in the pool
// (macOS 14; names after sandblaster's fsa_parser). Only literal, branch,
// MATCH, ASSERT_EOS and SUCCESS appear in verified blobs.
const (
	patAssertEOS  = 0x00
	patCallbackX  = 0x01
	patMatchByte  = 0x02
	patMatchSeq   = 0x03
	patLiteralX   = 0x04
	patRestorePos = 0x05
	patPushState  = 0x06
	patPopState   = 0x07
	patJneX       = 0x08
	patSuccess    = 0x0a
	patRange      = 0x0b
	patMatch      = 0x0f
)

// PatOpKind classifies one instruction of a matching program.
type PatOpKind uint8

// Instruction kinds.
const (
	PatLiteral    PatOpKind = iota // match Text
	PatJne                         // if the previous literal failed, jump to Target
	PatEOS                         // assert end of input
	PatSuccess                     // accept
	PatMatch                       // 0x0f (purpose unconfirmed; a no-op for evaluation)
	PatCallback                    // pattern variable number Arg
	PatMatchByte                   // 0x02 Arg
	PatMatchSeq                    // 0x03 Arg
	PatRange                       // character class
	PatPushState                   // 0x06
	PatPopState                    // 0x07
	PatRestorePos                  // 0x05
)

var patOpNames = [...]string{"lit", "jne", "eos", "success", "match", "var", "match-byte", "match-seq", "range", "push", "pop", "restore"}

// String names the instruction kind.
func (k PatOpKind) String() string {
	if int(k) < len(patOpNames) {
		return patOpNames[k]
	}
	return fmt.Sprintf("patop(%d)", uint8(k))
}

// PatOp is one decoded instruction.
type PatOp struct {
	Kind   PatOpKind
	At     int    // byte offset in the program
	Text   string // PatLiteral
	Target int    // PatJne: instruction index to jump to
	Arg    int    // PatCallback, PatMatchByte, PatMatchSeq
	// Ranges holds inclusive byte ranges for PatRange; Negated excludes them.
	Ranges  [][2]byte
	Negated bool
}

// String renders the instruction ("lit \"/x\"", "jne @4", "eos").
func (o PatOp) String() string {
	switch o.Kind {
	case PatLiteral:
		return "lit " + strconv.Quote(o.Text)
	case PatJne:
		return fmt.Sprintf("jne @%d", o.Target)
	case PatCallback, PatMatchByte, PatMatchSeq:
		return fmt.Sprintf("%s %d", o.Kind, o.Arg)
	case PatRange:
		var b strings.Builder
		b.WriteString("range ")
		if o.Negated {
			b.WriteString("^")
		}
		for _, r := range o.Ranges {
			fmt.Fprintf(&b, "%02x-%02x", r[0], r[1])
		}
		return b.String()
	}
	return o.Kind.String()
}

// PatternShape is what a matching program amounts to.
type PatternShape uint8

// Shapes. Exact and Subpath are verified on macOS 14; Prefix is inferred.
const (
	ShapeProgram PatternShape = iota // anything else: see the instructions
	ShapeExact                       // the whole input equals Text
	ShapeSubpath                     // Text, or Text followed by "/" and anything
	ShapePrefix                      // the input starts with Text
)

// String names the shape as the SBPL filter that produces it.
func (s PatternShape) String() string {
	if int(s) < len(shapeNames) {
		return shapeNames[s]
	}
	return fmt.Sprintf("shape(%d)", uint8(s))
}

var shapeNames = [...]string{"program", "literal", "subpath", "prefix"}

// Pattern is a decoded matching program.
type Pattern struct {
	Ops   []PatOp
	Shape PatternShape
	Text  string // Exact, Subpath, Prefix: the string matched
}

// String renders the pattern as SBPL-like text: (literal "x"), (subpath
// "x"), (prefix "x") or a program listing.
func (p *Pattern) String() string {
	switch p.Shape {
	case ShapeExact, ShapeSubpath, ShapePrefix:
		return fmt.Sprintf("(%s %s)", p.Shape, strconv.Quote(p.Text))
	}
	var parts []string
	for _, o := range p.Ops {
		parts = append(parts, o.String())
	}
	return "(program " + strings.Join(parts, "; ") + ")"
}

// DecodePattern decodes a matching program (a pool item's bytes).
func DecodePattern(b []byte) (*Pattern, error) {
	ops := make([]PatOp, 0, 8)
	// startIdx maps a byte offset to its instruction index (-1: inside an
	// instruction).
	startIdx := make([]int32, len(b)+1)
	for i := range startIdx {
		startIdx[i] = -1
	}
	var jumps []int // instruction indexes of jne, Target is a byte offset until fixed up
	need := func(i, n int) error {
		if i+n > len(b) {
			return fmt.Errorf("pattern byte %d: instruction 0x%02x needs %d more bytes, program is %d bytes", i, b[i], n, len(b))
		}
		return nil
	}
	for i := 0; i < len(b); {
		op := b[i]
		o := PatOp{At: i}
		startIdx[i] = int32(len(ops))
		switch {
		case op >= 0x80:
			o.Kind, o.Target = PatJne, i+1+int(op&0x7f)+1
			jumps = append(jumps, len(ops))
			i++
		case op >= 0x40:
			n := int(op&0x3f) + 1
			if err := need(i, 1+n); err != nil {
				return nil, err
			}
			o.Kind, o.Text = PatLiteral, string(b[i+1:i+1+n])
			i += 1 + n
		case op >= 0x10 && op <= 0x1f:
			o.Kind, o.Arg = PatCallback, int(op&0x0f)
			i++
		default:
			switch op {
			case patAssertEOS:
				o.Kind = PatEOS
				i++
			case patCallbackX:
				if err := need(i, 3); err != nil {
					return nil, err
				}
				o.Kind, o.Arg = PatCallback, int(binary.LittleEndian.Uint16(b[i+1:]))
				i += 3
			case patMatchByte, patMatchSeq:
				if err := need(i, 2); err != nil {
					return nil, err
				}
				o.Kind, o.Arg = PatMatchByte, int(b[i+1])
				if op == patMatchSeq {
					o.Kind = PatMatchSeq
				}
				i += 2
			case patLiteralX:
				if err := need(i, 2); err != nil {
					return nil, err
				}
				n := int(b[i+1]) + 0x41
				if err := need(i, 2+n); err != nil {
					return nil, err
				}
				o.Kind, o.Text = PatLiteral, string(b[i+2:i+2+n])
				i += 2 + n
			case patRestorePos:
				o.Kind = PatRestorePos
				i++
			case patPushState:
				o.Kind = PatPushState
				i++
			case patPopState:
				o.Kind = PatPopState
				i++
			case patJneX:
				if err := need(i, 3); err != nil {
					return nil, err
				}
				o.Kind, o.Target = PatJne, i+3+int(binary.LittleEndian.Uint16(b[i+1:]))+0x81
				jumps = append(jumps, len(ops))
				i += 3
			case patSuccess:
				o.Kind = PatSuccess
				i++
			case patRange:
				if err := need(i, 2); err != nil {
					return nil, err
				}
				flags := b[i+1]
				n := int(flags&0x7f) + 1
				if err := need(i, 2+2*n); err != nil {
					return nil, err
				}
				o.Kind, o.Negated = PatRange, flags&0x80 != 0
				for j := 0; j < n; j++ {
					o.Ranges = append(o.Ranges, [2]byte{b[i+2+2*j], b[i+3+2*j]})
				}
				i += 2 + 2*n
			case patMatch:
				o.Kind = PatMatch
				i++
			default:
				return nil, fmt.Errorf("pattern byte %d: unknown instruction 0x%02x", i, op)
			}
		}
		ops = append(ops, o)
	}
	for _, j := range jumps {
		t := -1
		if tg := ops[j].Target; tg >= 0 && tg < len(b) {
			t = int(startIdx[tg])
		}
		if t < 0 {
			if ops[j].Target == len(b) {
				t = len(ops)
			} else {
				return nil, fmt.Errorf("pattern byte %d: jump to byte %d, which is not an instruction boundary", ops[j].At, ops[j].Target)
			}
		}
		ops[j].Target = t
	}
	if len(ops) == 0 || ops[len(ops)-1].Kind != PatSuccess {
		return nil, fmt.Errorf("pattern does not end in a success instruction (0x0a)")
	}
	p := &Pattern{Ops: ops}
	p.Shape, p.Text = classify(ops)
	return p, nil
}

// classify recognises the literal, subpath and prefix programs. The MATCH
// markers (0x0f), whose role is not known, are ignored: the shapes are
// stated without them.
func classify(ops []PatOp) (PatternShape, string) {
	// Positions in ops of the instructions other than MATCH.
	var buf [16]int
	core := buf[:0]
	for i, o := range ops {
		if o.Kind != PatMatch {
			if len(core) == cap(core) && len(core) >= 64 {
				return ShapeProgram, ""
			}
			core = append(core, i)
		}
	}
	n := 0
	for n < len(core) && ops[core[n]].Kind == PatLiteral {
		n++
	}
	if n == 0 {
		return ShapeProgram, ""
	}
	rest := core[n:]
	join := func(m int) string {
		if m == 1 {
			return ops[core[0]].Text
		}
		var b strings.Builder
		for _, i := range core[:m] {
			b.WriteString(ops[i].Text)
		}
		return b.String()
	}
	is := func(ks ...PatOpKind) bool {
		if len(rest) != len(ks) {
			return false
		}
		for j, k := range ks {
			if ops[rest[j]].Kind != k {
				return false
			}
		}
		return true
	}
	switch {
	case is(PatEOS, PatSuccess): // S; eos; success
		return ShapeExact, join(n)
	case is(PatJne, PatSuccess, PatEOS, PatSuccess) && n >= 2 && ops[core[n-1]].Text == "/":
		// S; "/" else-> eos; success; eos; success
		if ops[rest[0]].Target == rest[2] {
			return ShapeSubpath, join(n - 1)
		}
	case is(PatSuccess): // S; success (inferred, not observed)
		return ShapePrefix, join(n)
	}
	return ShapeProgram, ""
}

// MatchResult is the outcome of running a pattern on an input.
type MatchResult uint8

// Match results. Unknown means the program uses instructions whose
// semantics are not established (pattern variables, ranges, ...).
const (
	NoMatch MatchResult = iota
	Matched
	Unknown
)

// String names the result.
func (r MatchResult) String() string {
	switch r {
	case NoMatch:
		return "no-match"
	case Matched:
		return "match"
	}
	return "unknown"
}

// MatchString runs the program on s. The machine: a literal that does not
// match jumps when the next instruction is a jne and fails otherwise;
// eos fails unless all input is consumed; success accepts. Programs with
// other instructions give Unknown.
func (p *Pattern) MatchString(s string) MatchResult {
	switch p.Shape {
	case ShapeExact:
		return boolResult(s == p.Text)
	case ShapeSubpath:
		return boolResult(s == p.Text || strings.HasPrefix(s, strings.TrimSuffix(p.Text, "/")+"/"))
	case ShapePrefix:
		return boolResult(strings.HasPrefix(s, p.Text))
	}
	pos := 0
	pc := 0
	for steps := 0; steps < 4*len(p.Ops)+16 && pc < len(p.Ops); steps++ {
		o := p.Ops[pc]
		switch o.Kind {
		case PatLiteral:
			if strings.HasPrefix(s[pos:], o.Text) {
				pos += len(o.Text)
				pc++
				if pc < len(p.Ops) && p.Ops[pc].Kind == PatJne {
					pc++
				}
				continue
			}
			if pc+1 < len(p.Ops) && p.Ops[pc+1].Kind == PatJne {
				pc = p.Ops[pc+1].Target
				continue
			}
			return NoMatch
		case PatJne, PatMatch:
			pc++
		case PatEOS:
			if pos != len(s) {
				return NoMatch
			}
			pc++
		case PatSuccess:
			return Matched
		default:
			return Unknown
		}
	}
	return Unknown
}

func boolResult(b bool) MatchResult {
	if b {
		return Matched
	}
	return NoMatch
}
