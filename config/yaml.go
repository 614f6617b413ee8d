package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// The file is YAML, read by go.yaml.in/yaml/v3 into its node tree (which
// keeps every value's line and column) and converted here into a tree of
// nodes for Parse: aliases are expanded (the copy takes the alias's
// position), "<<" merge keys are applied and duplicate keys are rejected.
// What aliases add is bounded, so an alias bomb fails fast. Every value is
// text: Parse decides what it means.

// Limits on the converted tree.
const (
	maxDepth       = 64      // nesting of mappings and lists
	maxAliasValues = 1 << 16 // values copied by expanding aliases
	maxAliasText   = 1 << 20 // bytes of scalar text copied by expanding aliases
)

// nodeKind classifies a node.
type nodeKind int

const (
	scalarNode nodeKind = iota
	mapNode
	seqNode
)

// node is one value of the file.
type node struct {
	kind  nodeKind
	line  int // 1-based
	col   int // 1-based, in runes
	value string
	null  bool    // a plain empty value, "~" or "null": the key is present but says nothing
	keys  []*node // mapNode: keys in order (scalars)
	vals  []*node // mapNode: values, parallel to keys; seqNode: items
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

// yamlError is a positioned syntax or structure error.
type yamlError struct {
	Line, Col int
	Msg       string
}

func (e *yamlError) Error() string { return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg) }

func errAt(line, col int, format string, args ...any) *yamlError {
	return &yamlError{Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

// parseYAML parses data into a node tree (nil for an empty document).
func parseYAML(data []byte) (root *node, err error) {
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, errAt(1, 1, "the YAML reader failed on this file (%v): please report it", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, syntaxError(err, data)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		return nil, errAt(next.Line, next.Column, "a second YAML document: the configuration is one document, remove the \"---\"")
	case !errors.Is(err, io.EOF):
		return nil, syntaxError(err, data)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	c := &converter{open: map[*yaml.Node]bool{}}
	root, err = c.convert(doc.Content[0], 0)
	if err != nil {
		return nil, err
	}
	if root.kind == scalarNode && root.null {
		return nil, nil
	}
	return root, nil
}

// syntaxError positions an error of the YAML reader. The reader names a
// line ("yaml: line 3: mapping values are not allowed in this context") or
// none (line 1) but no column; the column is that of the line's first
// character after its indentation.
func syntaxError(err error, data []byte) *yamlError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 1
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, text, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil && n > 0 {
				line, msg = n, text
			}
		}
	}
	text := lineOf(data, line)
	indent := text[:len(text)-len(strings.TrimLeft(text, " \t"))]
	if i := strings.IndexByte(indent, '\t'); i >= 0 {
		return errAt(line, i+1, "tab in indentation: indent with spaces")
	}
	if h := syntaxHints[msg]; h != "" {
		msg += ": " + h
	}
	return errAt(line, utf8.RuneCountInString(indent)+1, "%s", msg)
}

// syntaxHints say what to do about the reader's commonest messages.
var syntaxHints = map[string]string{
	"found unexpected end of stream":                 "the file ends inside a quoted value or an open [ or {; close it",
	"mapping values are not allowed in this context": "quote a value that holds \": \", or indent the key like the keys beside it",
	"did not find expected key":                      "keys of one mapping start in the same column",
	"found character that cannot start any token":    "quote a value that starts with @ or `",
	"found unknown escape character":                 "write \\\\ for a backslash in double quotes, or use single quotes",
	"could not find expected ':'":                    "write \"key: value\"",
}

// lineOf returns line n (1-based) of data, or "" past the end.
func lineOf(data []byte, n int) string {
	for ; n > 1; n-- {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return ""
		}
		data = data[i+1:]
	}
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		data = data[:i]
	}
	return string(data)
}

// converter turns the reader's nodes into nodes, counting what aliases
// copy.
type converter struct {
	inAlias      int                 // aliases being expanded around the current node
	values, text int                 // copied by aliases so far
	open         map[*yaml.Node]bool // anchored nodes being converted
}

func (c *converter) convert(y *yaml.Node, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, errAt(y.Line, y.Column, "nesting deeper than %d levels", maxDepth)
	}
	if c.inAlias > 0 {
		c.values++
		c.text += len(y.Value)
		if c.values > maxAliasValues || c.text > maxAliasText {
			return nil, errAt(y.Line, y.Column, "aliases expand to more than %d values or %d MiB of text: use fewer aliases", maxAliasValues, maxAliasText>>20)
		}
	}
	if y.Kind == yaml.AliasNode {
		if c.open[y.Alias] {
			return nil, errAt(y.Line, y.Column, "alias *%s is used inside the value it names", y.Value)
		}
		c.inAlias++
		n, err := c.convert(y.Alias, depth)
		c.inAlias--
		if err != nil {
			return nil, err
		}
		n.line, n.col = y.Line, y.Column
		return n, nil
	}
	if y.Anchor != "" {
		c.open[y] = true
		defer delete(c.open, y)
	}
	n := &node{line: y.Line, col: y.Column}
	switch tag := y.ShortTag(); tag {
	case "!!str", "!!int", "!!float", "!!bool", "!!null", "!!timestamp", "!!seq", "!!map", "!!merge":
	default:
		return nil, errAt(y.Line, y.Column, "tag %s is not supported: remove it", tag)
	}
	switch y.Kind {
	case yaml.ScalarNode:
		n.kind, n.value = scalarNode, y.Value
		if y.ShortTag() == "!!null" {
			n.value, n.null = "", true
		}
	case yaml.SequenceNode:
		n.kind = seqNode
		n.vals = make([]*node, 0, len(y.Content))
		for _, it := range y.Content {
			v, err := c.convert(it, depth+1)
			if err != nil {
				return nil, err
			}
			n.vals = append(n.vals, v)
		}
	case yaml.MappingNode:
		n.kind = mapNode
		if err := c.mapping(n, y, depth); err != nil {
			return nil, err
		}
	default:
		return nil, errAt(y.Line, y.Column, "unexpected YAML node")
	}
	return n, nil
}

// mapping fills n with the pairs of y. Keys must be scalars and unique;
// the pairs of "<<: *anchor" (or a list of anchors) are added after the
// mapping's own, each key only once, the mapping's own keys winning.
func (c *converter) mapping(n *node, y *yaml.Node, depth int) error {
	seen := map[string]bool{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(y.Content); i += 2 {
		yk, yv := y.Content[i], y.Content[i+1]
		if yk.Kind == yaml.ScalarNode && yk.ShortTag() == "!!merge" {
			merges = append(merges, yv)
			continue
		}
		k, err := c.convert(yk, depth+1)
		if err != nil {
			return err
		}
		if k.kind != scalarNode {
			return errAt(k.line, k.col, "a key must be a name, not %s", k.kindName())
		}
		if seen[k.value] {
			return errAt(k.line, k.col, "duplicate key %q", k.value)
		}
		seen[k.value] = true
		v, err := c.convert(yv, depth+1)
		if err != nil {
			return err
		}
		n.keys = append(n.keys, k)
		n.vals = append(n.vals, v)
	}
	for _, ym := range merges {
		m, err := c.convert(ym, depth+1)
		if err != nil {
			return err
		}
		srcs := []*node{m}
		if m.kind == seqNode {
			srcs = m.vals
		}
		for _, src := range srcs {
			if src.kind != mapNode {
				return errAt(src.line, src.col, "<< merges mappings, not %s", src.kindName())
			}
			for i, k := range src.keys {
				if !seen[k.value] {
					seen[k.value] = true
					n.keys = append(n.keys, k)
					n.vals = append(n.vals, src.vals[i])
				}
			}
		}
	}
	return nil
}
