package parser

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/source"
)

// kind is the lexer's token kind. The lexer is total: every byte of the
// input becomes part of a token or of trivia, and lexical problems become
// tError/tUnterminated tokens plus diagnostics, never a failure. It also
// balances parentheses: a ")" with no open list becomes tStray, and every
// list left open gets a zero-width tMissing token, so the participle grammar
// (grammar.go) can never fail.
type kind uint8

// Token kinds.
const (
	tLParen kind = iota + 1
	tVecOpen
	tRParen
	tMissing
	tStray
	tQuote
	tQuasi
	tUnquote
	tSplice
	tString
	tRawString
	tUnterminated
	tNumber
	tSymbol
	tBool
	tChar
	tDot
	tError
	tDeep // balance's mark for a too-deep "(" (becomes tError)
)

// token is the lexer's own token: its kind and its byte range.
type token struct {
	typ        kind
	start, end int
}

type lexState struct {
	src      []byte
	file     *source.File
	toks     []token
	comments []*ast.Comment
	sink     *errSink // shared by all stages of one parse

	deepReported bool // the too-deep error was reported

	// runaway is the start of the first closed string whose text runs
	// into a line starting with "(": when a later string is unterminated,
	// that one is probably the string missing its closing quote (its quote
	// paired up with the next string's opening one). -1 when there is none.
	runaway int
}

// cppDirectives are recognised at the start of a line (after optional blanks).
var cppDirectives = []string{"ifdef", "ifndef", "if", "elif", "else", "endif", "include", "define", "undef", "pragma", "error", "warning", "import"}

func isDelim(c byte) bool { return delimChar[c] }

func (lx *lexState) span(a, b int) source.Span { return source.Span{File: lx.file, Start: a, End: b} }

func (lx *lexState) errorf(a, b int, code, format string, args ...any) {
	lx.sink.errorf(lx.span(a, b), code, format, args...)
}

// atLineStart reports whether only blanks precede offset i on its line.
func (lx *lexState) atLineStart(i int) bool {
	for j := i - 1; j >= 0; j-- {
		switch lx.src[j] {
		case ' ', '\t':
			continue
		case '\n':
			return true
		default:
			return false
		}
	}
	return true
}

// lex scans the whole input.
func (lx *lexState) lex() {
	src := lx.src
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == ';':
			j := lineEnd(src, i)
			lx.comment(i, j, ast.LineComment)
			i = j
		case c == '(':
			lx.toks = append(lx.toks, token{tLParen, i, i + 1})
			i++
		case c == ')':
			lx.toks = append(lx.toks, token{tRParen, i, i + 1})
			i++
		case c == '\'':
			lx.toks = append(lx.toks, token{tQuote, i, i + 1})
			i++
		case c == '`':
			lx.toks = append(lx.toks, token{tQuasi, i, i + 1})
			i++
		case c == ',':
			if i+1 < len(src) && src[i+1] == '@' {
				lx.toks = append(lx.toks, token{tSplice, i, i + 2})
				i += 2
			} else {
				lx.toks = append(lx.toks, token{tUnquote, i, i + 1})
				i++
			}
		case c == '"':
			i = lx.lexString(i, i+1, false)
		case c == '#':
			i = lx.lexHash(i)
		case c == '/' && i+1 < len(src) && src[i+1] == '/':
			j := lineEnd(src, i)
			lx.comment(i, j, ast.SlashComment)
			i = j
		default:
			i = lx.lexAtom(i)
		}
	}
}

func lineEnd(src []byte, i int) int {
	for i < len(src) && src[i] != '\n' {
		i++
	}
	// do not include a CR before the newline in the comment text
	if i > 0 && i <= len(src) && i-1 >= 0 && src[i-1] == '\r' {
		return i - 1
	}
	return i
}

func (lx *lexState) comment(a, b int, k ast.CommentKind) {
	if b < a {
		b = a
	}
	lx.comments = append(lx.comments, &ast.Comment{Sp: lx.span(a, b), Kind: k})
}

// lexString scans an ordinary string (raw=false) or #"..." (raw=true)
// starting with the opening quote at open; body starts at i.
func (lx *lexState) lexString(open, i int, raw bool) int {
	src := lx.src
	for i < len(src) {
		switch src[i] {
		case '"':
			typ := tString
			if raw {
				typ = tRawString
			}
			lx.toks = append(lx.toks, token{typ, open, i + 1})
			if lx.runaway < 0 && bytes.Contains(src[open:i], []byte("\n(")) {
				lx.runaway = open
			}
			return i + 1
		case '\\':
			if !raw {
				i += 2
				continue
			}
		}
		i++
	}
	// Unterminated: end the token at the end of its first line so the rest
	// of the file is still read (better recovery than swallowing the file).
	end := open
	for end < len(src) && src[end] != '\n' {
		end++
	}
	lx.toks = append(lx.toks, token{tUnterminated, open, end})
	lx.sink.report(open, func() diag.Diagnostic {
		d := diag.Diagnostic{Severity: diag.Error, Code: "syntax-error", Span: lx.span(open, open+1),
			Message: "unterminated string: add the closing '\"'"}
		if lx.runaway >= 0 {
			d.Related = []diag.Related{{Span: lx.span(lx.runaway, lx.runaway+1),
				Message: "this string runs on into the lines below; it may be the one missing its closing '\"'"}}
		}
		return d
	})
	return end
}

func (lx *lexState) lexHash(i int) int {
	src := lx.src
	if i+1 >= len(src) {
		lx.toks = append(lx.toks, token{tError, i, i + 1})
		lx.errorf(i, i+1, "syntax-error", "unexpected '#' at end of input")
		return i + 1
	}
	switch n := src[i+1]; n {
	case '"':
		return lx.lexString(i, i+2, true)
	case '|':
		return lx.blockComment(i)
	case ';':
		return lx.datumComment(i)
	case '(':
		lx.toks = append(lx.toks, token{tVecOpen, i, i + 2})
		return i + 2
	case '\\':
		// character literal: #\ followed by one rune, then any non-delimiters
		j := i + 2
		if j >= len(src) {
			lx.toks = append(lx.toks, token{tError, i, j})
			lx.errorf(i, j, "syntax-error", "incomplete character literal")
			return j
		}
		_, sz := utf8.DecodeRune(src[j:])
		j += sz
		for j < len(src) && !isDelim(src[j]) {
			j++
		}
		lx.toks = append(lx.toks, token{tChar, i, j})
		return j
	}
	if lx.atLineStart(i) {
		if j, ok := lx.cppLine(i); ok {
			return j
		}
	}
	j := i + 1
	for j < len(src) && !isDelim(src[j]) {
		j++
	}
	word := string(src[i:j])
	switch strings.ToLower(word) {
	case "#t", "#f", "#true", "#false":
		lx.toks = append(lx.toks, token{tBool, i, j})
		return j
	}
	if len(word) >= 2 && strings.ContainsRune("xXoObBdDeEiI", rune(word[1])) {
		lx.toks = append(lx.toks, token{tNumber, i, j})
		return j
	}
	lx.toks = append(lx.toks, token{tError, i, j})
	lx.errorf(i, j, "syntax-error", "unknown '#' syntax %q: SBPL has #t, #f, #\\c characters, #\"...\" raw strings, #x #o #b #d numbers, #|...|# and #; comments", word)
	return j
}

// cppLine recognises a C-preprocessor directive line (WebKit .sb.in files).
func (lx *lexState) cppLine(i int) (int, bool) {
	src := lx.src
	j := i + 1
	for j < len(src) && (src[j] == ' ' || src[j] == '\t') {
		j++
	}
	k := j
	for k < len(src) && src[k] >= 'a' && src[k] <= 'z' {
		k++
	}
	word := string(src[j:k])
	found := false
	for _, d := range cppDirectives {
		if word == d {
			found = true
			break
		}
	}
	if !found || (k < len(src) && !isDelim(src[k]) && src[k] != '<') {
		return i, false
	}
	// to end of line, following backslash continuations
	e := k
	for e < len(src) {
		if src[e] == '\n' {
			if e > 0 && src[e-1] == '\\' {
				e++
				continue
			}
			if e > 1 && src[e-1] == '\r' && src[e-2] == '\\' {
				e++
				continue
			}
			break
		}
		e++
	}
	end := e
	if end > i && src[end-1] == '\r' {
		end--
	}
	lx.comment(i, end, ast.CppLine)
	return e, true
}

func (lx *lexState) blockComment(i int) int {
	src := lx.src
	depth := 0
	j := i
	for j < len(src) {
		if src[j] == '#' && j+1 < len(src) && src[j+1] == '|' {
			depth++
			j += 2
			continue
		}
		if src[j] == '|' && j+1 < len(src) && src[j+1] == '#' {
			depth--
			j += 2
			if depth == 0 {
				lx.comment(i, j, ast.BlockComment)
				return j
			}
			continue
		}
		j++
	}
	lx.comment(i, j, ast.BlockComment)
	lx.errorf(i, i+2, "syntax-error", "unterminated block comment: add the closing '|#'")
	return j
}

// datumComment skips "#;" and the datum after it, recording both as one
// piece of trivia. "#;" inside the skipped text asks for one more datum to
// be skipped ("#; #; a b" comments out a and b); this is counted rather
// than recursed into, so long chains cost linear time and constant stack.
func (lx *lexState) datumComment(i int) int {
	sub := &lexState{src: lx.src, file: lx.file, runaway: lx.runaway, sink: lx.sink}
	src := lx.src
	j := i + 2
	depth := 0 // list nesting inside the datum being skipped
	need := 1  // data still to skip at depth 0
	for j < len(src) && need > 0 {
		c := src[j]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' {
			j++
			continue
		}
		if c == '#' && j+1 < len(src) && src[j+1] == ';' {
			if depth == 0 {
				need++
			}
			j += 2
			continue
		}
		before := len(sub.toks)
		switch {
		case c == ';':
			j = lineEnd(src, j)
			continue
		case c == '(':
			sub.toks = append(sub.toks, token{tLParen, j, j + 1})
			j++
		case c == ')':
			if depth == 0 {
				goto done // the enclosing list ends: the datum is missing
			}
			sub.toks = append(sub.toks, token{tRParen, j, j + 1})
			j++
		case c == '\'' || c == '`':
			j++
			continue // a quote mark belongs to the next datum
		case c == ',':
			j++
			if j < len(src) && src[j] == '@' {
				j++
			}
			continue
		case c == '"':
			j = sub.lexString(j, j+1, false)
		case c == '#':
			j = sub.lexHash(j)
		default:
			j = sub.lexAtom(j)
		}
		if len(sub.toks) == before {
			continue // trivia (a block comment) inside the commented datum
		}
		switch sub.toks[len(sub.toks)-1].typ {
		case tLParen, tVecOpen:
			depth++
		case tRParen:
			depth--
		}
		if depth == 0 {
			need--
		}
	}
done:
	if need > 0 {
		lx.errorf(i, i+2, "syntax-error", "'#;' must be followed by a complete datum")
	}
	lx.comment(i, j, ast.DatumComment)
	return j
}

func (lx *lexState) lexAtom(i int) int {
	src := lx.src
	j := i
	for j < len(src) && !isDelim(src[j]) {
		j++
	}
	if j == i { // cannot happen: callers handle delimiters
		j = i + 1
	}
	text := src[i:j]
	if len(text) == 1 && text[0] == '.' {
		lx.toks = append(lx.toks, token{tDot, i, j})
		return j
	}
	if looksNumeric(text) {
		lx.toks = append(lx.toks, token{tNumber, i, j})
		return j
	}
	if off := invalidSymbolChar(text); off >= 0 {
		lx.toks = append(lx.toks, token{tError, i, j})
		lx.errorf(i+off, i+off+1, "syntax-error", "unexpected character %s", describeByte(text[off]))
		return j
	}
	lx.toks = append(lx.toks, token{tSymbol, i, j})
	return j
}

// looksNumeric reports whether an atom is a decimal number (TinyScheme reads
// such atoms as numbers): optional sign, digits, optional fraction/exponent.
func looksNumeric(t []byte) bool {
	i := 0
	if i < len(t) && (t[i] == '+' || t[i] == '-') {
		i++
	}
	digits := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
		digits++
	}
	if i < len(t) && t[i] == '.' {
		i++
		for i < len(t) && t[i] >= '0' && t[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(t) && (t[i] == 'e' || t[i] == 'E') {
		i++
		if i < len(t) && (t[i] == '+' || t[i] == '-') {
			i++
		}
		e := 0
		for i < len(t) && t[i] >= '0' && t[i] <= '9' {
			i++
			e++
		}
		if e == 0 {
			return false
		}
	}
	return i == len(t)
}

// invalidSymbolChar returns the offset of the first character that cannot
// appear in an SBPL symbol, or -1. "@" may not start a symbol (",@" is
// unquote-splicing); brackets, braces, "|", "\\" and control characters are
// not symbol characters.
func invalidSymbolChar(t []byte) int {
	if len(t) > 0 && t[0] == '@' {
		return 0
	}
	for i, c := range t {
		if notSymbolChar[c] {
			return i
		}
	}
	return -1
}

// notSymbolChar marks the bytes invalidSymbolChar rejects anywhere.
var notSymbolChar = func() (set [256]bool) {
	for c := 0; c < 0x20; c++ {
		set[c] = true
	}
	for _, c := range []byte("[]{}|\\\x7f") {
		set[c] = true
	}
	return set
}()

// delimChar marks the bytes that end an atom (isDelim).
var delimChar = func() (set [256]bool) {
	for _, c := range []byte(" \t\n\r\f\v()\";") {
		set[c] = true
	}
	return set
}()

// describeByte names a character for a message: '@' or a control character
// as U+0000.
func describeByte(c byte) string {
	if c < 0x20 || c == 0x7f {
		return fmt.Sprintf("U+%04X (a control character)", c)
	}
	return fmt.Sprintf("'%c'", c)
}

// balance classifies close parentheses and inserts tMissing tokens. When the
// file leaves lists open, a "(" in column 1 is taken as the start of a new
// top-level form, which closes the lists still open before it: this reports
// an unclosed list where it opened and keeps the rest of the file readable.
func (lx *lexState) balance() {
	depth, stray := 0, false
	for _, t := range lx.toks {
		switch t.typ {
		case tLParen, tVecOpen:
			depth++
		case tRParen:
			if depth > 0 {
				depth--
			} else {
				stray = true
			}
		}
	}
	if depth == 0 && !stray {
		return // balanced: nothing to do
	}
	needRecovery := depth > 0
	// Count the Missing tokens the loop below inserts (one per list closed
	// by recovery, at most MaxDepth per recovery point), so that out is
	// allocated once.
	missing, mid := 0, 0 // all Missing tokens; those before the end
	if needRecovery {
		d := 0
		for _, t := range lx.toks {
			switch t.typ {
			case tLParen, tVecOpen:
				if d > 0 && t.typ == tLParen && lx.atColumn1(t.start) {
					mid += min(d, MaxDepth)
					d = 0
				}
				d++
			case tRParen:
				d = max(d-1, 0)
			}
		}
		missing = mid + min(d, MaxDepth)
	}
	var out []token
	if mid == 0 {
		// Tokens are only retyped, and Missing tokens only appended at
		// the end: rewrite the slice in place (out never overtakes the
		// token being read), saving a copy of a large stream.
		out = lx.toks[:0]
	} else {
		out = make([]token, 0, len(lx.toks)+missing)
	}
	var open []int32 // indexes in out of the open lists' "(" tokens (input < 2 GiB)
	deep := false    // some tokens were made tDeep
	closeAll := func(at int) {
		if len(open) > MaxDepth {
			// A list more than MaxDepth lists deep is too deep however its
			// quote marks go: limitDepth would make it an error atom and
			// drop its Missing token, so do that here and do not build
			// millions of Missing tokens for "((((...".
			t := out[open[MaxDepth]]
			lx.reportDeep(t.start, t.end)
			for _, k := range open[MaxDepth:] {
				out[k].typ = tDeep
			}
			open = open[:MaxDepth]
			deep = true
		}
		for k := len(open) - 1; k >= 0; k-- {
			out = append(out, token{tMissing, at, at})
			if k == 0 {
				lx.errorf(out[open[k]].start, out[open[k]].start+1, "syntax-error", "list is never closed: add ')' to match this '('")
			}
		}
		open = open[:0]
	}
	// A run of adjacent stray ")" is one error: "))))" is one mistake.
	strayStart, strayEnd, strays := 0, 0, 0
	flushStrays := func() {
		switch {
		case strays == 1:
			lx.errorf(strayStart, strayEnd, "syntax-error", "unexpected ')' with no open list: remove it")
		case strays > 1:
			lx.errorf(strayStart, strayEnd, "syntax-error", "%d unexpected ')' with no open list: remove them", strays)
		}
		strays = 0
	}
	for _, t := range lx.toks {
		switch t.typ {
		case tLParen, tVecOpen:
			if needRecovery && len(open) > 0 && t.typ == tLParen && lx.atColumn1(t.start) {
				closeAll(lastEnd(out, t.start))
			}
			open = append(open, int32(len(out)))
		case tRParen:
			if len(open) == 0 {
				t.typ = tStray
				if strays > 0 && strayEnd == t.start {
					strays++
					strayEnd = t.end
				} else {
					flushStrays()
					strayStart, strayEnd, strays = t.start, t.end, 1
				}
			} else {
				open = open[:len(open)-1]
			}
		}
		out = append(out, t)
	}
	flushStrays()
	if len(open) > 0 {
		closeAll(len(lx.src))
	}
	out = mergeRuns(out, func(i int) bool { return out[i].typ == tStray || out[i].typ == tDeep })
	if deep {
		for i := range out {
			if out[i].typ == tDeep {
				out[i].typ = tError
			}
		}
	}
	lx.toks = out
}

// reportDeep reports, once per file, that data are nested too deep.
func (lx *lexState) reportDeep(start, end int) {
	if !lx.deepReported {
		lx.errorf(start, end, "syntax-error", "data are nested more than %d deep: simplify the expression", MaxDepth)
		lx.deepReported = true
	}
}

func lastEnd(out []token, dflt int) int {
	if len(out) == 0 {
		return dflt
	}
	return out[len(out)-1].end
}

func (lx *lexState) atColumn1(off int) bool { return off == 0 || lx.src[off-1] == '\n' }
