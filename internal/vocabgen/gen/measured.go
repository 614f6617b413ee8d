package gen

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// applyMeasured reads the compiled 14.4.1 vectors and makes the model agree
// with them:
//
//   - Defaults[VectorOSKey][1] is the measured (version 1) set: every op-table
//     entry that points at the allow node under (deny default) and under
//     (allow default), or at the deny node under both, plus "default".
//   - An operation of the 14.4.1 op table whose Fallback chain gives another
//     answer becomes terminal with the measured decision (its old parent is
//     kept as Family); wildcard parents are fixed first, so a child whose
//     chain then ends at the right terminal keeps its parent.
//   - Named filter constants the blobs encode (IPPROTO_TCP = 6) are merged
//     into the filters' Values.
func (m *Model) applyMeasured() error {
	filterID := func(id int) string {
		if id < 1 || id > len(m.SonomaFilters) {
			return ""
		}
		return m.SonomaFilters[id-1] // blob filter ids are 1-based
	}
	chain := func(op string) []string {
		if o := m.op(op); o != nil {
			return o.Chain
		}
		return nil
	}
	alias := func(op string) string {
		if o := m.op(op); o != nil {
			return o.AliasOf
		}
		return ""
	}
	ms, err := LoadVectors(m.VectorsDir, m.SonomaOps, filterID, chain, alias)
	if err != nil {
		return err
	}
	m.Measured = ms
	for op := range ms.Terminal {
		if o := m.op(op); o == nil || o.IDs[VectorOSKey] != indexOf(m.SonomaOps, op) {
			return fmt.Errorf("bytecode vectors: %s is not a 14.4.1 operation", op)
		}
	}

	// Retarget the operations whose chain disagrees, parents first.
	var ops []*Op
	for _, o := range m.Ops {
		if _, ok := o.IDs[VectorOSKey]; ok {
			ops = append(ops, o)
		}
	}
	sort.SliceStable(ops, func(i, k int) bool { return len(ops[i].Chain) < len(ops[k].Chain) })
	m.Retargeted = map[string]string{}
	result := func(o *Op) string { // "" when the chain ends at default
		last := o.Chain[len(o.Chain)-1]
		if last == "default" {
			return ""
		}
		return m.op(last).Terminal
	}
	for _, o := range ops {
		want, measured := ms.Terminal[o.Name]
		got := result(o)
		if !measured || got == want {
			if !measured && got != "" && o.Name != "default" && measuredOp(ms, m.SonomaOps, o.Name) {
				return fmt.Errorf("bytecode vectors: %s follows the default in every 14.4.1 vector, but operations.json makes it %s (chain %s)",
					o.Name, got, strings.Join(o.Chain, " -> "))
			}
			continue
		}
		m.Retargeted[o.Name] = o.Fallback
		if o.Family == "" && o.Fallback != "default" {
			o.Family = o.Fallback
		}
		o.Fallback, o.Terminal, o.Guessed = "", want, false
		o.Confidence = strings.TrimPrefix(o.Confidence+"; ", "; ") + "terminal measured on 14.4.1 (compiled bytecode vectors)"
		for _, x := range m.Ops {
			if err := m.chain(x); err != nil {
				return err
			}
		}
	}

	// The measured (version 1) set.
	v1 := map[string]Default{
		"default": m.Defaults[LegacyDefaultsKey][1]["default"],
	}
	nd, na := len(ms.DenyDefault), len(ms.AllowDefault)
	for op, a := range ms.Terminal {
		basis := fmt.Sprintf("measured: its 14.4.1 op-table entry points at the allow node under (deny default) in %d compiled vectors and under (allow default) in %d", nd, na)
		if a == "deny" {
			basis = fmt.Sprintf("measured: its 14.4.1 op-table entry points at the deny node under (allow default) in %d compiled vectors and under (deny default) in %d", na, nd)
		}
		v1[op] = Default{Action: a, Verified: true, Measured: true, Basis: basis}
	}
	m.Defaults[VectorOSKey] = map[int]map[string]Default{1: v1}

	// Filter constants.
	for fname, vals := range ms.Values {
		f := m.filter(fname)
		if f == nil || f.Form != "base-filter" {
			return fmt.Errorf("bytecode vectors: filter %s is not a base filter", fname)
		}
		syms := slices.Sorted(maps.Keys(vals))
		vs := append([]Value(nil), f.Values...)
		var proved []string
		for _, s := range syms {
			v := vals[s]
			i := 0
			for i < len(vs) && vs[i].Name != s {
				i++
			}
			if i == len(vs) {
				vs = append(vs, Value{Name: s})
			}
			if vs[i].HasValue && vs[i].Value != v {
				return fmt.Errorf("bytecode vectors encode (%s %s) as %d, filters.json says %d", fname, s, v, vs[i].Value)
			}
			vs[i].Value, vs[i].HasValue = v, true
			proved = append(proved, fmt.Sprintf("%s=%d (%d vectors)", s, v, len(ms.ValueVectors[fname][s])))
		}
		old := f.Values
		f.Values = vs
		f.Notes = strings.TrimSpace(f.Notes + "; encodings measured in the compiled 14.4.1 vectors: " + strings.Join(proved, ", "))
		for _, g := range m.Filters {
			if g != f && g.Form == "alias" && sameSlice(g.Values, old) && g.Canonical == f.Name {
				g.Values = vs
			}
		}
	}
	return nil
}

// measuredOp reports whether op has an entry in the vectors' op tables
// (the 190 entries; the six message-filter operations have none).
func measuredOp(ms *Measured, ops []string, op string) bool {
	i := indexOf(ops, op)
	return i >= 1 && i < ms.OpCount
}

func indexOf(l []string, s string) int {
	for i, x := range l {
		if x == s {
			return i
		}
	}
	return -1
}

func sameSlice(a, b []Value) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// AllVectors returns the names of every measured vector, sorted.
func (ms *Measured) AllVectors() []string {
	l := append(append([]string(nil), ms.DenyDefault...), ms.AllowDefault...)
	sort.Strings(l)
	return l
}
