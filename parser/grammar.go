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
// end to end. Participle's per-alternative branching allocates for every
// token (about 4.6 MB/s on the corpus), so production parsing uses gFastFile:
// the same grammar at the top level, with lists read by a participle
// Parseable hook (fastList) that follows the rules above without
// backtracking. A differential test checks that both give identical trees.

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

// gFastFile is the production root: top-level nodes are parsed by participle,
// lists by the fastList hook.
type gFastFile struct {
	Items []*gFastNode `parser:"@@*"`
}

type gFastNode struct {
	Atom  plexer.Token `parser:"@(Symbol | Number | String | RawString | Unterminated | Bool | Char | Dot | Error | Stray)"`
	List  *fastList    `parser:"| @@"`
	Quote *gFastQuote  `parser:"| @@"`
}

type gFastQuote struct {
	Mark plexer.Token `parser:"@(Quote | Quasi | Unquote | Splice)"`
	X    *gFastNode   `parser:"@@?"`
}

// fastList implements participle.Parseable: it reads one list (and all lists
// nested in it) from the token stream into the declarative gList shape.
type fastList struct{ l *gList }

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

// Parse implements participle.Parseable.
func (f *fastList) Parse(lex *plexer.PeekingLexer) error {
	t := lex.Peek()
	if t.Type != tLParen && t.Type != tVecOpen {
		return participle.NextMatch
	}
	f.l = readList(lex)
	return nil
}

// readList reads a list starting at an open parenthesis. The token stream is
// balanced by the lexer, so the loop always ends at ")" or Missing.
func readList(lex *plexer.PeekingLexer) *gList {
	l := &gList{Open: *lex.Next()}
	for {
		t := lex.Peek()
		switch {
		case t.Type == tRParen || t.Type == tMissing:
			l.Close = *lex.Next()
			return l
		case t.EOF():
			l.Close = plexer.Token{Type: tMissing, Pos: t.Pos}
			return l
		}
		l.Items = append(l.Items, readNode(lex))
	}
}

// readNode reads one Node; the caller guarantees the next token starts one.
func readNode(lex *plexer.PeekingLexer) *gNode {
	t := lex.Peek()
	switch {
	case t.Type == tLParen || t.Type == tVecOpen:
		return &gNode{List: readList(lex)}
	case isQuoteTok(t.Type):
		q := &gQuote{Mark: *lex.Next()}
		nt := lex.Peek()
		if isAtomTok(nt.Type) || isQuoteTok(nt.Type) || nt.Type == tLParen || nt.Type == tVecOpen {
			q.X = readNode(lex)
		}
		return &gNode{Quote: q}
	default:
		return &gNode{Atom: *lex.Next()}
	}
}

// toDecl converts the fast root to the declarative shape for the converter.
func (f *gFastFile) toDecl() *gFile {
	out := &gFile{Items: make([]*gNode, 0, len(f.Items))}
	for _, n := range f.Items {
		out.Items = append(out.Items, n.toDecl())
	}
	return out
}

func (n *gFastNode) toDecl() *gNode {
	switch {
	case n.List != nil:
		return &gNode{List: n.List.l}
	case n.Quote != nil:
		q := &gQuote{Mark: n.Quote.Mark}
		if n.Quote.X != nil {
			q.X = n.Quote.X.toDecl()
		}
		return &gNode{Quote: q}
	}
	return &gNode{Atom: n.Atom}
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
