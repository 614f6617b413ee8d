package parser

import (
	"sync"

	"github.com/alecthomas/participle/v2"
	plexer "github.com/alecthomas/participle/v2/lexer"
)

// The grammar is a superset of SBPL's datum syntax ("parse loosely, legalise
// later"): any token that is not a parenthesis is an atom, a quote mark may
// lack its datum, and a list is closed by ")" or by the lexer's zero-width
// Missing token. Because the lexer balances parentheses, every token stream
// is accepted: participle never reports an error and never stops early.
//
//	File  = Node* .
//	Node  = Atom | List | Quote .
//	List  = ( "(" | "#(" ) Node* ( ")" | Missing ) .
//	Quote = ( "'" | "`" | "," | ",@" ) Node? .
//	Atom  = Symbol | Number | String | RawString | Unterminated | Bool | Char | Dot | Error | Stray .
//
// Two parsers are built from it. The declarative one (gFile) is participle
// end to end: it sees every token, and it is the reference. Participle's
// reflective matching costs several allocations per node (about 1 MB/s on
// the corpus, see BenchmarkParseDeclarative), so production parsing uses
// gFastFile: the lexer hands participle one Form token per run of up to 64
// top-level data (naming a range of the lexer's token slice, see
// topTokens), participle reads that sequence
// through the gFastItems hook, and the converter builds each form with a
// recursive-descent reader that follows the same rules. A differential test
// checks that both parsers give identical trees and diagnostics.

type gFile struct {
	Items []*gNode `parser:"@@*"`
}

type gNode struct {
	Atom  plexer.Token `parser:"@(Symbol | Number | String | RawString | Unterminated | Bool | Char | Dot | Error | Stray)"`
	List  *gList       `parser:"| @@"`
	Quote *gQuote      `parser:"| @@"`
}

type gList struct {
	Open  plexer.Token `parser:"@(LParen | VecOpen)"`
	Items []*gNode     `parser:"@@*"`
	Close plexer.Token `parser:"@(RParen | Missing)"`
}

type gQuote struct {
	Mark plexer.Token `parser:"@(Quote | Quasi | Unquote | Splice)"`
	X    *gNode       `parser:"@@?"`
}

// gFastFile is the production root: the sequence of top-level data, grouped
// into Form tokens. A Form token's position holds the index range of its
// tokens in the lexer's slice (Pos.Line = first, Pos.Column = one past the
// last).
type gFastFile struct {
	Items gFastItems `parser:"@@"`
}

// gFastItems reads the top-level tokens (the File rule: Node*, where each
// token now stands for a run of Nodes). It implements participle.Parseable
// because participle's generic repetition costs a parse-context branch and
// about seven allocations per item, a third of the parse time.
type gFastItems struct{ toks []plexer.Token }

// Parse implements participle.Parseable.
func (it *gFastItems) Parse(lex *plexer.PeekingLexer) error {
	for {
		t := lex.Peek()
		if t.Type != tForm && !isAtomTok(t.Type) {
			break
		}
		it.toks = append(it.toks, *lex.Next())
	}
	return nil
}

func isAtomTok(t plexer.TokenType) bool {
	switch t {
	case tSymbol, tNumber, tString, tRawString, tUnterminated, tBool, tChar, tDot, tError, tStray:
		return true
	}
	return false
}

func isQuoteTok(t plexer.TokenType) bool {
	return t == tQuote || t == tQuasi || t == tUnquote || t == tSplice
}

// startsNode reports whether a token can begin a Node of the grammar.
func startsNode(t plexer.TokenType) bool {
	return t == tLParen || t == tVecOpen || isQuoteTok(t) || isAtomTok(t)
}

var grammarOptions = []participle.Option{participle.Lexer(definition{}), participle.UseLookahead(1)}

// declGrammar and fastGrammar are built on first use (after the token table
// is initialised).
var declGrammar = sync.OnceValue(func() *participle.Parser[gFile] {
	return participle.MustBuild[gFile](grammarOptions...)
})

var fastGrammar = sync.OnceValue(func() *participle.Parser[gFastFile] {
	return participle.MustBuild[gFastFile](grammarOptions...)
})
