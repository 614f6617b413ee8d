package parser

import (
	"fmt"
	"io"
	"sync"

	"github.com/alecthomas/participle/v2"
	plexer "github.com/alecthomas/participle/v2/lexer"
)

// The grammar is a superset of SBPL's datum syntax ("parse loosely, legalise
// later"): a quote mark may lack its datum, and a list is closed by ")" or by
// the lexer's zero-width Missing token. Because the lexer balances
// parentheses, every token stream is accepted: participle never reports an
// error and never stops early.
//
//	File  = Item* .
//	Item  = Atom Atom* | List | Quote .  (a run of adjacent atoms, or one compound datum)
//	List  = Open Item* Close .
//	Quote = Mark Mark* Datum? .          (each mark quotes what follows it: ''x is '('x))
//	Datum = Atom | List .
//
// Participle sees four token categories: Atom, Open ("(" or "#("), Close
// (")" or Missing) and Mark ("'", "`", "," or ",@"). Participle tries the
// alternatives of a choice one at a time, at the cost of a parse-context
// copy each, and allocates for every match, so the grammar keeps choices
// few: one category per position instead of one of ten atom kinds, and a
// run of atoms or of quote marks as one item instead of one item (or one
// level of nesting) per token. This keeps the parse within its budget
// (BenchmarkParse). Which kind of atom a token is (symbol, string, number,
// ...) stays in the lexer's token list, where the converter looks it up by
// offset; the text of a structural token says which one it is.
//
// Participle fills each item's Tokens with the tokens it matched: the atoms
// of a run; a list from its Open to its Close token; a quote's marks
// followed by its datum's tokens. Items and X are the captured children.

type gFile struct {
	Items []*gItem `parser:"@@*"`
}

type gItem struct {
	Tokens []plexer.Token
	Items  []*gItem `parser:"  Atom Atom* | Open @@* Close"`
	X      *gDatum  `parser:"| Mark Mark* @@?"`
}

type gDatum struct {
	Tokens []plexer.Token
	Items  []*gItem `parser:"Atom | Open @@* Close"`
}

// Token categories, the token types participle sees.
const (
	cAtom plexer.TokenType = iota + 1
	cOpen
	cClose
	cMark
)

var categoryNames = map[string]plexer.TokenType{"EOF": plexer.EOF, "Atom": cAtom, "Open": cOpen, "Close": cClose, "Mark": cMark}

// category returns the grammar's category of a lexer token kind.
func category(k kind) plexer.TokenType {
	switch k {
	case tLParen, tVecOpen:
		return cOpen
	case tRParen, tMissing:
		return cClose
	case tQuote, tQuasi, tUnquote, tSplice:
		return cMark
	}
	return cAtom
}

// grammar is built on first use.
var grammar = sync.OnceValue(func() *participle.Parser[gFile] {
	// A run of atoms, the top level and a list are repetitions, which
	// participle caps at MaxIterations (a million by default). No
	// repetition can be longer than the number of tokens, which is at most
	// one per input byte plus the Missing tokens (at most one per "(").
	participle.MaxIterations = 2*MaxInputSize + 1
	return participle.MustBuild[gFile](participle.Lexer(definition{}), participle.UseLookahead(1))
})

// parseTokens runs the grammar over the lexer's tokens.
func parseTokens(toks []token, text string) (*gFile, error) {
	peek, err := plexer.Upgrade(&tokenStream{toks: toks, text: text})
	if err != nil {
		return nil, err
	}
	return grammar().ParseFromLexer(peek)
}

// tokenStream feeds the lexer's tokens to participle: one participle token
// per lexer token, with its category, its text and its byte offset.
type tokenStream struct {
	toks []token
	text string
	i    int
}

// Next implements participle's lexer.Lexer.
func (s *tokenStream) Next() (plexer.Token, error) {
	if s.i >= len(s.toks) {
		return plexer.Token{Type: plexer.EOF, Pos: plexer.Position{Offset: len(s.text)}}, nil
	}
	t := s.toks[s.i]
	s.i++
	return plexer.Token{Type: category(t.typ), Value: s.text[t.start:t.end], Pos: plexer.Position{Offset: t.start}}, nil
}

// definition names the token categories for the grammar. Tokens come from
// the lexer in lexer.go through parseTokens, which needs the source.File
// and the diagnostics sink; Lex itself is never called.
type definition struct{}

func (definition) Symbols() map[string]plexer.TokenType { return categoryNames }

func (definition) Lex(filename string, r io.Reader) (plexer.Lexer, error) {
	return nil, fmt.Errorf("sbplc lexer: use parser.Parse")
}
