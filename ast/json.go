package ast

// JSONNode is the stable JSON shape of a syntax node (sbplc parse --format json).
type JSONNode struct {
	Type     string      `json:"type"` // list, vector, symbol, string, raw-string, number, bool, char, quote, quasiquote, unquote, unquote-splicing, error
	Start    int         `json:"start"`
	End      int         `json:"end"`
	Line     int         `json:"line"`
	Column   int         `json:"column"`
	Value    any         `json:"value,omitempty"`
	Elems    []*JSONNode `json:"elems,omitempty"`
	Tail     *JSONNode   `json:"tail,omitempty"`
	Unclosed bool        `json:"unclosed,omitempty"` // a list without its ")" or a string without its closing quote
	Comments []string    `json:"comments,omitempty"` // leading, then trailing
	Dangling []string    `json:"dangling,omitempty"` // inside a list after its last element
}

// JSONFile is the JSON shape of a File.
type JSONFile struct {
	File     string      `json:"file"`
	Forms    []*JSONNode `json:"forms"`
	Trailing []string    `json:"trailing_comments,omitempty"` // after the last form
}

// ToJSON converts a file to its JSON shape.
func ToJSON(f *File) *JSONFile {
	out := &JSONFile{Forms: []*JSONNode{}}
	if f.Src != nil {
		out.File = f.Src.Name
	}
	for _, n := range f.Forms {
		out.Forms = append(out.Forms, nodeJSON(n))
	}
	for _, c := range f.Trailing {
		out.Trailing = append(out.Trailing, c.Text())
	}
	return out
}

func nodeJSON(n Node) *JSONNode {
	if n == nil {
		return nil
	}
	sp := n.Span()
	j := &JSONNode{Start: sp.Start, End: sp.End}
	if sp.IsValid() {
		p := sp.StartPos()
		j.Line, j.Column = p.Line, p.Col
	}
	if n.HasComments() {
		t := n.Trivia()
		for _, c := range t.Leading {
			j.Comments = append(j.Comments, c.Text())
		}
		for _, c := range t.Trailing {
			j.Comments = append(j.Comments, c.Text())
		}
	}
	switch n := n.(type) {
	case *List:
		j.Type = "list"
		if n.Vector {
			j.Type = "vector"
		}
		j.Unclosed = !n.Closed
		for _, c := range n.Dangling() {
			j.Dangling = append(j.Dangling, c.Text())
		}
		for _, e := range n.Elems {
			j.Elems = append(j.Elems, nodeJSON(e))
		}
		j.Tail = nodeJSON(n.Tail())
	case *Symbol:
		j.Type, j.Value = "symbol", n.Name
	case *String:
		j.Type, j.Value = "string", n.Value
		if n.Raw {
			j.Type = "raw-string"
		}
		j.Unclosed = n.Unterminated
	case *Number:
		j.Type = "number"
		if n.IsFloat {
			j.Value = n.Float
		} else {
			j.Value = n.Int
		}
	case *Bool:
		j.Type, j.Value = "bool", n.Value
	case *Char:
		j.Type, j.Value = "char", string(n.Value)
	case *Quote:
		j.Type = n.Kind.Name()
		if n.X != nil {
			j.Elems = []*JSONNode{nodeJSON(n.X)}
		}
	case *Bad:
		j.Type, j.Value = "error", n.Text
	}
	return j
}
