package ir

import "github.com/sbplc/sbplc/source"

// JSON forms of the IR, for `sbplc expand --format json` and tools. Every
// span is rendered as file, 1-based line and column, and byte offsets.

// JSONPos is a resolved source range.
type JSONPos struct {
	File      string `json:"file"`
	Line      int    `json:"line"`
	Column    int    `json:"column"`
	EndLine   int    `json:"end_line"`
	EndColumn int    `json:"end_column"`
	Offset    int    `json:"offset"`
	EndOffset int    `json:"end_offset"`
}

// PosJSON converts a span; nil for an invalid span.
func PosJSON(sp source.Span) *JSONPos {
	if !sp.IsValid() {
		return nil
	}
	a, b := sp.StartPos(), sp.EndPos()
	return &JSONPos{File: sp.Filename(), Line: a.Line, Column: a.Col, EndLine: b.Line, EndColumn: b.Col, Offset: sp.Start, EndOffset: sp.End}
}

// JSONFrame is one expansion step.
type JSONFrame struct {
	Name string   `json:"name,omitempty"`
	Call *JSONPos `json:"call"`
}

// JSONOrigin is an Origin.
type JSONOrigin struct {
	Span    *JSONPos    `json:"span"`
	Primary *JSONPos    `json:"primary"`
	Chain   []JSONFrame `json:"chain,omitempty"`
}

// JSONValue is a Value.
type JSONValue struct {
	Kind   string      `json:"kind"`
	Str    string      `json:"str,omitempty"`
	Int    *int64      `json:"int,omitempty"`
	Bool   *bool       `json:"bool,omitempty"`
	Filter *JSONFilter `json:"filter,omitempty"`
	Raw    bool        `json:"raw,omitempty"`
	Params []string    `json:"params,omitempty"`
	Origin *JSONOrigin `json:"origin,omitempty"`
}

// JSONFilter is a FilterNode.
type JSONFilter struct {
	Kind     string        `json:"kind"`
	Name     string        `json:"name,omitempty"`
	Written  string        `json:"written,omitempty"`
	Base     string        `json:"base,omitempty"`
	Match    string        `json:"match,omitempty"`
	Args     []JSONValue   `json:"args,omitempty"`
	Children []*JSONFilter `json:"children,omitempty"`
	Origin   *JSONOrigin   `json:"origin,omitempty"`
}

// JSONOp is an Op.
type JSONOp struct {
	Name    string   `json:"name"`
	Written string   `json:"written"`
	Pos     *JSONPos `json:"pos,omitempty"`
}

// JSONModifier is a Modifier.
type JSONModifier struct {
	Name   string      `json:"name"`
	Args   []JSONValue `json:"args,omitempty"`
	Rules  []*JSONRule `json:"rules,omitempty"`
	Origin *JSONOrigin `json:"origin,omitempty"`
}

// JSONRule is a Rule.
type JSONRule struct {
	Index     int            `json:"index"`
	Action    string         `json:"action"`
	Ops       []JSONOp       `json:"ops"`
	Filter    *JSONFilter    `json:"filter,omitempty"`
	Modifiers []JSONModifier `json:"modifiers,omitempty"`
	Origin    *JSONOrigin    `json:"origin"`
}

// JSONImport is an Import.
type JSONImport struct {
	Name     string      `json:"name"`
	Path     string      `json:"path,omitempty"`
	Resolved bool        `json:"resolved"`
	Index    int         `json:"index"`
	Model    string      `json:"model,omitempty"`
	Origin   *JSONOrigin `json:"origin"`
}

// JSONOpaqueBlock is an OpaqueBlock.
type JSONOpaqueBlock struct {
	Index  int         `json:"index"`
	Name   string      `json:"name"`
	Import string      `json:"import"`
	Reason string      `json:"reason"`
	Model  string      `json:"model,omitempty"`
	Origin *JSONOrigin `json:"origin"`
}

// JSONParam is a ParamUse.
type JSONParam struct {
	Name   string      `json:"name"`
	Bound  bool        `json:"bound"`
	Value  string      `json:"value,omitempty"`
	Origin *JSONOrigin `json:"origin"`
}

// JSONProfile is a Profile.
type JSONProfile struct {
	Version    int          `json:"version"`
	VersionPos *JSONPos     `json:"version_pos,omitempty"`
	Implicit   bool         `json:"implicit_rules"`
	Opaque     bool         `json:"opaque"`
	Debug      []string     `json:"debug,omitempty"`
	Trace      string       `json:"trace,omitempty"`
	Params     []JSONParam  `json:"params"`
	Imports    []JSONImport `json:"imports"`
	// OpaqueBlocks is left out when there are none.
	OpaqueBlocks []JSONOpaqueBlock `json:"opaque_blocks,omitempty"`
	Rules        []*JSONRule       `json:"rules"`
}

// ToJSON converts a profile to its JSON form.
func ToJSON(p *Profile) *JSONProfile {
	out := &JSONProfile{Version: p.Version, VersionPos: PosJSON(p.VersionSpan), Implicit: p.Implicit, Opaque: p.Opaque(),
		Debug: p.Debug, Trace: p.Trace, Params: []JSONParam{}, Imports: []JSONImport{}, Rules: []*JSONRule{}}
	for _, pu := range p.Params {
		out.Params = append(out.Params, JSONParam{Name: pu.Name, Bound: pu.Bound, Value: pu.Value, Origin: originJSON(pu.Origin)})
	}
	for _, im := range p.Imports {
		out.Imports = append(out.Imports, JSONImport{Name: im.Name, Path: im.Path, Resolved: im.Resolved, Index: im.Index, Model: im.Model, Origin: originJSON(im.Origin)})
	}
	for _, b := range p.OpaqueBlocks {
		out.OpaqueBlocks = append(out.OpaqueBlocks, JSONOpaqueBlock{Index: b.Index, Name: b.Name, Import: b.Import, Reason: b.Reason, Model: b.Model, Origin: originJSON(b.Origin)})
	}
	for _, r := range p.Rules {
		out.Rules = append(out.Rules, ruleJSON(r))
	}
	return out
}

func originJSON(o Origin) *JSONOrigin {
	if !o.Span.IsValid() && len(o.Chain) == 0 {
		return nil
	}
	j := &JSONOrigin{Span: PosJSON(o.Span), Primary: PosJSON(o.Primary())}
	for _, f := range o.Chain {
		j.Chain = append(j.Chain, JSONFrame{Name: f.Name, Call: PosJSON(f.Call)})
	}
	return j
}

func ruleJSON(r *Rule) *JSONRule {
	j := &JSONRule{Index: r.Index, Action: r.Action.String(), Ops: []JSONOp{}, Filter: filterJSON(r.Filter), Origin: originJSON(r.Origin)}
	for _, op := range r.Ops {
		j.Ops = append(j.Ops, JSONOp{Name: op.Name, Written: op.Written, Pos: PosJSON(op.Span)})
	}
	for _, m := range r.Modifiers {
		jm := JSONModifier{Name: m.Name, Origin: originJSON(m.Origin)}
		for _, a := range m.Args {
			jm.Args = append(jm.Args, valueJSON(a))
		}
		for _, nr := range m.Rules {
			jm.Rules = append(jm.Rules, ruleJSON(nr))
		}
		j.Modifiers = append(j.Modifiers, jm)
	}
	return j
}

var kindNames = [...]string{"leaf", "require-all", "require-any", "require-not"}
var valueKindNames = [...]string{"string", "int", "bool", "symbol", "filter"}

func filterJSON(n *FilterNode) *JSONFilter {
	if n == nil {
		return nil
	}
	j := &JSONFilter{Kind: kindNames[n.Kind], Origin: originJSON(n.Origin)}
	if n.Kind == Leaf {
		j.Name, j.Written, j.Base, j.Match = n.Name, n.Written, n.Base, n.Match.String()
		for _, a := range n.Args {
			j.Args = append(j.Args, valueJSON(a))
		}
	}
	for _, c := range n.Children {
		j.Children = append(j.Children, filterJSON(c))
	}
	return j
}

func valueJSON(v Value) JSONValue {
	j := JSONValue{Kind: valueKindNames[v.Kind], Raw: v.Raw, Params: v.Params, Origin: originJSON(v.Origin)}
	switch v.Kind {
	case String, Symbol:
		j.Str = v.Str
		if v.Kind == Symbol && (v.HasInt || v.Int != 0) {
			n := v.Int
			j.Int = &n
		}
	case Int:
		n := v.Int
		j.Int = &n
	case Bool:
		b := v.Bool
		j.Bool = &b
	case Filter:
		j.Filter = filterJSON(v.Sub)
	}
	return j
}
