// Package ast defines the syntax tree of an SBPL file.
//
// SBPL is a Scheme dialect, so the tree is a tree of data: lists, symbols,
// strings, numbers, booleans, characters and quote forms. Every node carries a
// byte-offset span into its source.File. Comments (including C-preprocessor
// lines, `//` comments and `#;` datum comments) are kept as trivia attached
// to nodes, which is what the formatter needs; the File also keeps them as
// one ordered list.
//
// The ast package imports only source; it knows nothing of evaluation.
package ast

import (
	"github.com/sbplc/sbplc/source"
)

// Node is implemented by every syntax node. The set is sealed.
type Node interface {
	Span() source.Span
	Trivia() *Trivia
	HasComments() bool
	node()
}

// CommentKind classifies trivia.
type CommentKind int

// Comment kinds.
const (
	LineComment  CommentKind = iota // ; to end of line
	BlockComment                    // #| ... |# (nesting)
	DatumComment                    // #; followed by one datum
	CppLine                         // #if, #include, ... at the start of a line
	SlashComment                    // // to end of line (WebKit .sb.in files)
)

var commentKindNames = [...]string{"line", "block", "datum", "cpp", "slash"}

func (k CommentKind) String() string { return commentKindNames[k] }

// Comment is one piece of trivia.
type Comment struct {
	Sp   source.Span
	Kind CommentKind
}

// Text returns the raw comment text, including its markers.
func (c *Comment) Text() string { return c.Sp.Text() }

// Trivia holds the comments attached to a node.
type Trivia struct {
	Leading  []*Comment // comments on the lines before the node
	Trailing []*Comment // comments after the node on its last line
}

// base is embedded in every node.
type base struct {
	Sp source.Span
	x  *extra // nil for most nodes
}

// extra holds what few nodes have, so that the many without it stay small
// (a profile of 100,000 rules has 600,000 nodes): attached comments; for a
// list, a dotted tail and the comments before its ")"; for a string, its
// backslash escapes.
type extra struct {
	Trivia
	tail     Node
	dangling []*Comment
	escapes  []Escape
}

func (b *base) Span() source.Span { return b.Sp }

// ext returns the node's extra, allocating it on first use.
func (b *base) ext() *extra {
	if b.x == nil {
		b.x = &extra{}
	}
	return b.x
}

// Trivia returns the node's comments, allocating the holder on first use.
func (b *base) Trivia() *Trivia { return &b.ext().Trivia }

func (b *base) node() {}

// HasComments reports whether the node has attached comments, without allocating.
func (b *base) HasComments() bool {
	return b.x != nil && (len(b.x.Leading) > 0 || len(b.x.Trailing) > 0)
}

// List is a parenthesised form. A dotted pair (a b . c) has Tail() = c.
type List struct {
	base
	Elems  []Node
	Vector bool // #( ... )
	Closed bool // false when the closing parenthesis is missing
}

// Tail returns the datum after " . " of a dotted pair (a b . c), or nil.
func (l *List) Tail() Node {
	if l.x == nil {
		return nil
	}
	return l.x.tail
}

// SetTail sets the datum after " . " (the parser).
func (l *List) SetTail(n Node) {
	if n != nil || l.x != nil {
		l.ext().tail = n
	}
}

// Dangling returns the comments after the last element, before ")".
func (l *List) Dangling() []*Comment {
	if l.x == nil {
		return nil
	}
	return l.x.dangling
}

// SetDangling sets the comments after the last element (the parser).
func (l *List) SetDangling(cs []*Comment) {
	if len(cs) > 0 || l.x != nil {
		l.ext().dangling = cs
	}
}

// Head returns the list's first element, or nil.
func (l *List) Head() Node {
	if len(l.Elems) == 0 {
		return nil
	}
	return l.Elems[0]
}

// HeadSymbol returns the name of the list's first element when it is a symbol.
func (l *List) HeadSymbol() string {
	if len(l.Elems) == 0 {
		return ""
	}
	if s, ok := l.Elems[0].(*Symbol); ok {
		return s.Name
	}
	return ""
}

// Symbol is an identifier such as file-read* or string-prefix?.
type Symbol struct {
	base
	Name string
}

// Escape records one backslash escape inside an ordinary string literal.
type Escape struct {
	Offset int    // byte offset of the backslash in the file
	Seq    string // the escape as written, e.g. `\.` or `\u00e9`
	Known  bool   // a TinyScheme escape (\" \\ \n \t \r \xNN;); false = backslash dropped
}

// String is a string literal. Raw strings (#"...") keep backslashes.
type String struct {
	base
	Value        string // the decoded value
	Raw          bool   // written as #"..."
	Unterminated bool
}

// Escapes returns the backslash escapes of an ordinary string, in order.
func (s *String) Escapes() []Escape {
	if s.x == nil {
		return nil
	}
	return s.x.escapes
}

// SetEscapes sets the string's escapes (the parser).
func (s *String) SetEscapes(es []Escape) {
	if len(es) > 0 || s.x != nil {
		s.ext().escapes = es
	}
}

// Number is a numeric literal (decimal, #x, #o, #b, #d).
type Number struct {
	base
	Text    string
	Int     int64
	Float   float64
	IsFloat bool
}

// Bool is #t or #f.
type Bool struct {
	base
	Value bool
}

// Char is a character literal such as #\a or #\space.
type Char struct {
	base
	Value rune
}

// QuoteKind is the reader abbreviation of a Quote.
type QuoteKind int

// Quote kinds.
const (
	QuoteQ           QuoteKind = iota // 'x
	QuasiQ                            // `x
	UnquoteQ                          // ,x
	UnquoteSplicingQ                  // ,@x
)

var quoteNames = [...]string{"quote", "quasiquote", "unquote", "unquote-splicing"}
var quoteMarks = [...]string{"'", "`", ",", ",@"}

// Name returns the long form, e.g. "quasiquote".
func (k QuoteKind) Name() string { return quoteNames[k] }

// Mark returns the reader abbreviation, e.g. ",@".
func (k QuoteKind) Mark() string { return quoteMarks[k] }

// Quote is 'x, `x, ,x or ,@x. X is nil when the datum is missing.
type Quote struct {
	base
	Kind QuoteKind
	X    Node
}

// Bad is text the parser could not read as a datum: an invalid character, a
// stray ")" or a misplaced ".". A diagnostic was reported for it.
type Bad struct {
	base
	Text string
}

// File is a parsed profile.
type File struct {
	Src      *source.File
	Forms    []Node
	Comments []*Comment // every comment, in source order
	Trailing []*Comment // comments after the last form
	// Clean is set by the parser when it reported no syntax error: no
	// node is Bad, unterminated or unclosed. False means unknown.
	Clean bool
}

// Constructors for other packages (the parser, tests, the formatter).

// NewList returns a list node.
func NewList(sp source.Span, elems []Node) *List {
	return &List{base: base{Sp: sp}, Elems: elems, Closed: true}
}

// NewSymbol returns a symbol node.
func NewSymbol(sp source.Span, name string) *Symbol { return &Symbol{base: base{Sp: sp}, Name: name} }

// NewString returns a string node.
func NewString(sp source.Span, v string, raw bool) *String {
	return &String{base: base{Sp: sp}, Value: v, Raw: raw}
}

// NewNumber returns an integer node.
func NewNumber(sp source.Span, text string, v int64) *Number {
	return &Number{base: base{Sp: sp}, Text: text, Int: v}
}

// NewBool returns a boolean node.
func NewBool(sp source.Span, v bool) *Bool { return &Bool{base: base{Sp: sp}, Value: v} }

// NewChar returns a character node.
func NewChar(sp source.Span, r rune) *Char { return &Char{base: base{Sp: sp}, Value: r} }

// NewQuote returns a quote node.
func NewQuote(sp source.Span, k QuoteKind, x Node) *Quote {
	return &Quote{base: base{Sp: sp}, Kind: k, X: x}
}

// NewBad returns an error node.
func NewBad(sp source.Span, text string) *Bad { return &Bad{base: base{Sp: sp}, Text: text} }

// SetSpan updates a node's span (used by the parser while building).
func SetSpan(n Node, sp source.Span) {
	switch n := n.(type) {
	case *List:
		n.Sp = sp
	case *Symbol:
		n.Sp = sp
	case *String:
		n.Sp = sp
	case *Number:
		n.Sp = sp
	case *Bool:
		n.Sp = sp
	case *Char:
		n.Sp = sp
	case *Quote:
		n.Sp = sp
	case *Bad:
		n.Sp = sp
	}
}
