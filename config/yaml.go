package config

import (
	"fmt"
	"strconv"
	"strings"
)

// The YAML subset read by sbplc: block mappings, block sequences ("- x"),
// flow sequences ("[a, b]"), the empty flow mapping "{}", plain, 'single'
// and "double" quoted scalars, and "#" comments. Anchors, tags, multi-line
// scalars and multiple documents are rejected with a positioned error.

// nodeKind classifies a YAML node.
type nodeKind int

const (
	scalarNode nodeKind = iota
	mapNode
	seqNode
)

// node is one parsed YAML value.
type node struct {
	kind   nodeKind
	line   int // 1-based
	col    int // 1-based
	value  string
	quoted bool
	keys   []*node // mapNode: keys in order (scalars)
	vals   []*node // mapNode: values, parallel to keys; seqNode: items
}

func (n *node) kindName() string {
	switch n.kind {
	case mapNode:
		return "a mapping"
	case seqNode:
		return "a list"
	}
	return "a scalar"
}

// yamlError is a positioned parse or decode error.
type yamlError struct {
	Line, Col int
	Msg       string
}

func (e *yamlError) Error() string { return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg) }

func errAt(line, col int, format string, args ...any) *yamlError {
	return &yamlError{Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

// yline is one significant line: its indentation and content without the comment.
type yline struct {
	num    int
	indent int
	text   string
}

const maxYAMLDepth = 64

// parseYAML parses data into a node tree (a nil node for an empty document).
func parseYAML(data []byte) (*node, error) {
	var lines []yline
	for i, raw := range strings.Split(string(data), "\n") {
		raw = strings.TrimRight(raw, "\r")
		num := i + 1
		if i == 0 {
			raw = strings.TrimPrefix(raw, "\ufeff")
		}
		indent := 0
		for indent < len(raw) && raw[indent] == ' ' {
			indent++
		}
		if indent < len(raw) && raw[indent] == '\t' {
			return nil, errAt(num, indent+1, "tab in indentation: indent with spaces")
		}
		text, err := stripComment(raw[indent:], num, indent+1)
		if err != nil {
			return nil, err
		}
		text = strings.TrimRight(text, " \t")
		if text == "" {
			continue
		}
		if indent == 0 && (text == "---" || text == "...") {
			if len(lines) > 0 && text == "---" {
				return nil, errAt(num, 1, "multiple YAML documents are not supported")
			}
			continue
		}
		lines = append(lines, yline{num: num, indent: indent, text: text})
	}
	if len(lines) == 0 {
		return nil, nil
	}
	p := &yparser{lines: lines}
	n, err := p.block(lines[0].indent, 0)
	if err != nil {
		return nil, err
	}
	if p.i < len(p.lines) {
		l := p.lines[p.i]
		return nil, errAt(l.num, l.indent+1, "unexpected indentation")
	}
	return n, nil
}

// stripComment removes a "#" comment that is outside quotes and starts the
// text or follows a space.
func stripComment(s string, line, col0 int) (string, error) {
	inS, inD := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inD:
			if c == '\\' {
				i++
			} else if c == '"' {
				inD = false
			}
		case inS:
			if c == '\'' {
				if i+1 < len(s) && s[i+1] == '\'' {
					i++
				} else {
					inS = false
				}
			}
		case c == '"' && (i == 0 || strings.ContainsRune(" [,:-", rune(s[i-1]))):
			inD = true
		case c == '\'' && (i == 0 || strings.ContainsRune(" [,:-", rune(s[i-1]))):
			inS = true
		case c == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t'):
			return s[:i], nil
		}
	}
	if inD || inS {
		return "", errAt(line, col0, "unterminated quoted string")
	}
	return s, nil
}

type yparser struct {
	lines []yline
	i     int
}

// block parses the mapping or sequence whose lines are indented exactly ind.
func (p *yparser) block(ind, depth int) (*node, error) {
	if depth > maxYAMLDepth {
		l := p.lines[p.i]
		return nil, errAt(l.num, l.indent+1, "nesting deeper than %d levels", maxYAMLDepth)
	}
	l := p.lines[p.i]
	if isSeqItem(l.text) {
		return p.seq(ind, depth)
	}
	return p.mapping(ind, depth)
}

func isSeqItem(t string) bool { return t == "-" || strings.HasPrefix(t, "- ") }

func (p *yparser) seq(ind, depth int) (*node, error) {
	first := p.lines[p.i]
	n := &node{kind: seqNode, line: first.num, col: first.indent + 1}
	for p.i < len(p.lines) {
		l := p.lines[p.i]
		if l.indent < ind {
			break
		}
		if l.indent > ind {
			return nil, errAt(l.num, l.indent+1, "unexpected indentation")
		}
		if !isSeqItem(l.text) {
			break
		}
		rest := strings.TrimLeft(strings.TrimPrefix(l.text, "-"), " ")
		col := l.indent + 1 + (len(l.text) - len(rest))
		p.i++
		if rest == "" {
			if p.i < len(p.lines) && p.lines[p.i].indent > ind {
				v, err := p.block(p.lines[p.i].indent, depth+1)
				if err != nil {
					return nil, err
				}
				n.vals = append(n.vals, v)
				continue
			}
			n.vals = append(n.vals, &node{kind: scalarNode, line: l.num, col: col})
			continue
		}
		if k, _, ok := splitKey(rest); ok && k != "" {
			return nil, errAt(l.num, col, "mappings inside lists are not supported")
		}
		v, err := flowValue(rest, l.num, col)
		if err != nil {
			return nil, err
		}
		n.vals = append(n.vals, v)
	}
	return n, nil
}

func (p *yparser) mapping(ind, depth int) (*node, error) {
	first := p.lines[p.i]
	n := &node{kind: mapNode, line: first.num, col: first.indent + 1}
	seen := map[string]bool{}
	for p.i < len(p.lines) {
		l := p.lines[p.i]
		if l.indent < ind {
			break
		}
		if l.indent > ind {
			return nil, errAt(l.num, l.indent+1, "unexpected indentation")
		}
		if isSeqItem(l.text) {
			return nil, errAt(l.num, l.indent+1, "list item where a key was expected")
		}
		key, rest, ok := splitKey(l.text)
		if !ok {
			return nil, errAt(l.num, l.indent+1, "expected \"key: value\"")
		}
		kn, err := scalar(key, l.num, l.indent+1)
		if err != nil {
			return nil, err
		}
		if seen[kn.value] {
			return nil, errAt(l.num, l.indent+1, "duplicate key %q", kn.value)
		}
		seen[kn.value] = true
		p.i++
		var v *node
		if rest == "" {
			switch {
			case p.i < len(p.lines) && p.lines[p.i].indent > ind:
				v, err = p.block(p.lines[p.i].indent, depth+1)
			case p.i < len(p.lines) && p.lines[p.i].indent == ind && isSeqItem(p.lines[p.i].text):
				v, err = p.seq(ind, depth+1)
			default:
				v = &node{kind: scalarNode, line: l.num, col: l.indent + len(l.text) + 1}
			}
		} else {
			col := l.indent + 1 + strings.Index(l.text, rest)
			v, err = flowValue(rest, l.num, col)
		}
		if err != nil {
			return nil, err
		}
		n.keys = append(n.keys, kn)
		n.vals = append(n.vals, v)
	}
	return n, nil
}

// splitKey splits "key: rest" (the key may be quoted). ok is false when
// the text has no key separator.
func splitKey(t string) (key, rest string, ok bool) {
	if t == "" {
		return "", "", false
	}
	if t[0] == '"' || t[0] == '\'' {
		q := t[0]
		for i := 1; i < len(t); i++ {
			if q == '"' && t[i] == '\\' {
				i++
				continue
			}
			if t[i] == q {
				if q == '\'' && i+1 < len(t) && t[i+1] == '\'' {
					i++
					continue
				}
				after := t[i+1:]
				if after == ":" || strings.HasPrefix(after, ": ") {
					return t[:i+1], strings.TrimSpace(after[1:]), true
				}
				return "", "", false
			}
		}
		return "", "", false
	}
	if t[0] == '[' || t[0] == '{' {
		return "", "", false
	}
	for i := 0; i < len(t); i++ {
		if t[i] == ':' && (i+1 == len(t) || t[i+1] == ' ') {
			return strings.TrimSpace(t[:i]), strings.TrimSpace(t[i+1:]), true
		}
	}
	return "", "", false
}

// flowValue parses an inline value: a flow sequence, "{}" or a scalar.
func flowValue(s string, line, col int) (*node, error) {
	switch {
	case strings.HasPrefix(s, "["):
		if !strings.HasSuffix(s, "]") {
			return nil, errAt(line, col, "unterminated flow list: close it with \"]\" on the same line")
		}
		n := &node{kind: seqNode, line: line, col: col}
		inner := s[1 : len(s)-1]
		if strings.TrimSpace(inner) == "" {
			return n, nil
		}
		items, err := splitFlow(inner, line, col+1)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			v, err := scalar(it.text, line, it.col)
			if err != nil {
				return nil, err
			}
			n.vals = append(n.vals, v)
		}
		return n, nil
	case strings.HasPrefix(s, "{"):
		if strings.TrimSpace(s[1:]) == "}" {
			return &node{kind: mapNode, line: line, col: col}, nil
		}
		return nil, errAt(line, col, "flow mappings are not supported: use one \"key: value\" per line")
	case strings.HasPrefix(s, "&"), strings.HasPrefix(s, "*"), strings.HasPrefix(s, "!"):
		return nil, errAt(line, col, "anchors, aliases and tags are not supported")
	case s == "|" || s == ">" || strings.HasPrefix(s, "|-") || strings.HasPrefix(s, ">-"):
		return nil, errAt(line, col, "multi-line scalars are not supported")
	}
	return scalar(s, line, col)
}

type flowItem struct {
	text string
	col  int
}

func splitFlow(s string, line, col int) ([]flowItem, error) {
	var out []flowItem
	start := 0
	inS, inD := false, false
	for i := 0; i <= len(s); i++ {
		if i < len(s) {
			c := s[i]
			switch {
			case inD:
				if c == '\\' {
					i++
				} else if c == '"' {
					inD = false
				}
				continue
			case inS:
				if c == '\'' {
					inS = false
				}
				continue
			case c == '"':
				inD = true
				continue
			case c == '\'':
				inS = true
				continue
			case c == '[' || c == '{':
				return nil, errAt(line, col+i, "nested flow collections are not supported")
			case c != ',':
				continue
			}
		}
		raw := s[start:i]
		trimmed := strings.TrimSpace(raw)
		if trimmed == "" {
			if i < len(s) || len(out) == 0 {
				return nil, errAt(line, col+start, "empty item in flow list")
			}
		} else {
			out = append(out, flowItem{text: trimmed, col: col + start + strings.Index(raw, trimmed)})
		}
		start = i + 1
	}
	return out, nil
}

// scalar decodes a plain or quoted scalar.
func scalar(s string, line, col int) (*node, error) {
	n := &node{kind: scalarNode, line: line, col: col}
	switch {
	case strings.HasPrefix(s, "\""):
		if len(s) < 2 || !strings.HasSuffix(s, "\"") {
			return nil, errAt(line, col, "unterminated quoted string")
		}
		v, err := strconv.Unquote(s)
		if err != nil {
			return nil, errAt(line, col, "bad escape in quoted string %s", s)
		}
		n.value, n.quoted = v, true
	case strings.HasPrefix(s, "'"):
		if len(s) < 2 || !strings.HasSuffix(s, "'") {
			return nil, errAt(line, col, "unterminated quoted string")
		}
		n.value, n.quoted = strings.ReplaceAll(s[1:len(s)-1], "''", "'"), true
	default:
		if s == "~" || s == "null" {
			s = ""
		}
		n.value = s
	}
	return n, nil
}
