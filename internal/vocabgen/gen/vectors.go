package gen

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// VectorPrefix selects the compiled-blob vectors whose op tables are
// measured: every ../shared/bytecode/vectors/<VectorPrefix>*/decoded.json.
const VectorPrefix = "sonoma14.4.1_"

// VectorOSKey is the op-table key the measured vectors belong to.
const VectorOSKey = "14.4.1"

// Measured holds what the compiled macOS 14.4.1 blobs prove
// (bytecode-format.md §2.3, §2.6): the op-table entries that point straight
// at a terminal node, and the integer encodings of named filter constants.
type Measured struct {
	// DenyDefault / AllowDefault name the vectors whose default
	// operation points at the deny / allow node.
	DenyDefault, AllowDefault []string
	// OpCount is the number of op-table entries (190 on 14.4.1).
	OpCount int
	// Terminal maps an operation to the decision it gets under both
	// (deny default) and (allow default) when no rule names it: "allow"
	// (54 ops on 14.4.1) or "deny" (4 ops). Operations absent from the map
	// follow the default.
	Terminal map[string]string
	// Conditional lists the operations libsandbox gives an injected filter
	// node under (deny default) (mach-task-name ... signal: target self).
	Conditional []string
	// Values maps filter -> constant -> integer encoding, and
	// ValueVectors filter -> constant -> the vectors that prove it.
	Values       map[string]map[string]int64
	ValueVectors map[string]map[string][]string
}

type decodedNode struct {
	I        int    `json:"i"`
	Kind     string `json:"kind"`
	Filter   int    `json:"filter"`
	Arg      int64  `json:"arg"`
	Decision string `json:"decision"`
}

type decodedBlob struct {
	Header struct {
		OpCount int `json:"op_count"`
	} `json:"header"`
	OpTable []int             `json:"op_table"`
	Nodes   []decodedNode     `json:"nodes"`
	Errors  []json.RawMessage `json:"errors"`
}

var (
	// ruleOpsRE captures the operation names of an (allow|deny OPS ...)
	// rule, up to its first filter or the closing paren.
	ruleOpsRE = regexp.MustCompile(`\((allow|deny)\s+([^()]*)`)
	// symArgRE captures (filter SYMBOL) and (filter 123) terms.
	symArgRE = regexp.MustCompile(`\(([a-z][a-z0-9-]*)\s+([A-Za-z_][A-Za-z0-9_]*|[0-9]+)\s*\)`)
)

// LoadVectors reads dir/<VectorPrefix>*/decoded.json with the SBPL source
// beside it (*.sb or *.sb.INFERRED). ops is the 14.4.1 operation name list
// (index = op-table index) and filterID maps a 1-based blob filter id to
// its name; alias resolves an sbpl1.scm rebinding (process-exec ->
// process-exec*); chain returns an operation's fallback chain (a rule on a
// wildcard in it also decides the operation, so such vectors say nothing
// about its built-in default). Contradicting vectors are an error.
func LoadVectors(dir string, ops []string, filterID func(int) string, chain func(string) []string, alias func(string) string) (*Measured, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("bytecode vectors: %w", err)
	}
	type obs struct{ allow, deny, filtered []string }
	under := map[string]map[string]*obs{"deny": {}, "allow": {}}
	at := func(def, op string) *obs {
		o := under[def][op]
		if o == nil {
			o = &obs{}
			under[def][op] = o
		}
		return o
	}
	ms := &Measured{Terminal: map[string]string{}, Values: map[string]map[string]int64{}, ValueVectors: map[string]map[string][]string{}}
	for _, e := range ents {
		name := e.Name()
		if !e.IsDir() || !strings.HasPrefix(name, VectorPrefix) {
			continue
		}
		vdir := filepath.Join(dir, name)
		b, err := os.ReadFile(filepath.Join(vdir, "decoded.json"))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var d decodedBlob
		if err := json.Unmarshal(b, &d); err != nil {
			return nil, fmt.Errorf("%s/decoded.json: %w", name, err)
		}
		if len(d.Errors) > 0 {
			return nil, fmt.Errorf("%s/decoded.json: the decoding reports %d errors", name, len(d.Errors))
		}
		if len(d.OpTable) == 0 || len(d.OpTable) != d.Header.OpCount || len(d.OpTable) > len(ops) {
			return nil, fmt.Errorf("%s/decoded.json: op table of %d entries (header %d, %d names)", name, len(d.OpTable), d.Header.OpCount, len(ops))
		}
		if ms.OpCount != 0 && ms.OpCount != len(d.OpTable) {
			return nil, fmt.Errorf("%s/decoded.json: %d op-table entries, other vectors %d", name, len(d.OpTable), ms.OpCount)
		}
		ms.OpCount = len(d.OpTable)
		if err := checkOpNames(vdir, ops); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		nodes := map[int]decodedNode{}
		for _, n := range d.Nodes {
			nodes[n.I] = n
		}
		node := func(k int) (decodedNode, error) {
			n, ok := nodes[d.OpTable[k]]
			if !ok {
				return n, fmt.Errorf("%s/decoded.json: op %d points at missing node %d", name, k, d.OpTable[k])
			}
			return n, nil
		}
		root, err := node(0)
		if err != nil {
			return nil, err
		}
		if root.Kind != "terminal" || (root.Decision != "allow" && root.Decision != "deny") {
			return nil, fmt.Errorf("%s/decoded.json: the default operation does not point at a decision node", name)
		}
		def := root.Decision
		if def == "deny" {
			ms.DenyDefault = append(ms.DenyDefault, name)
		} else {
			ms.AllowDefault = append(ms.AllowDefault, name)
		}
		src, err := vectorSource(vdir)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		named := map[string]bool{}
		for _, sm := range ruleOpsRE.FindAllStringSubmatch(src, -1) {
			for _, op := range strings.Fields(sm[2]) {
				named[op] = true
				if a := alias(op); a != "" {
					named[a] = true
				}
			}
		}
		for k := 1; k < len(d.OpTable); k++ {
			op := ops[k]
			if coveredBy(named, op, chain) {
				continue // the profile's own rule decides it
			}
			n, err := node(k)
			if err != nil {
				return nil, err
			}
			o := at(def, op)
			switch {
			case n.Kind != "terminal":
				o.filtered = append(o.filtered, name)
			case n.Decision == "allow":
				o.allow = append(o.allow, name)
			case n.Decision == "deny":
				o.deny = append(o.deny, name)
			default:
				return nil, fmt.Errorf("%s/decoded.json: op %s: decision %q", name, op, n.Decision)
			}
		}
		if err := ms.values(name, src, d.Nodes, filterID); err != nil {
			return nil, err
		}
	}
	if len(ms.DenyDefault) == 0 || len(ms.AllowDefault) == 0 {
		return nil, fmt.Errorf("bytecode vectors in %s: need both a (deny default) and an (allow default) %s* vector (have %d and %d)", dir, VectorPrefix, len(ms.DenyDefault), len(ms.AllowDefault))
	}
	for k := 1; k < len(ops); k++ {
		op := ops[k]
		dd, ad := under["deny"][op], under["allow"][op]
		if dd == nil || ad == nil {
			continue // beyond op_count (message-filter ops) or always named
		}
		mixed := func(o *obs) bool {
			n := 0
			for _, l := range [][]string{o.allow, o.deny, o.filtered} {
				if len(l) > 0 {
					n++
				}
			}
			return n > 1
		}
		if mixed(dd) || mixed(ad) {
			return nil, fmt.Errorf("bytecode vectors disagree on %s: allow in %v, deny in %v, filtered in %v (deny default); allow in %v, deny in %v, filtered in %v (allow default)",
				op, dd.allow, dd.deny, dd.filtered, ad.allow, ad.deny, ad.filtered)
		}
		switch {
		case len(ad.filtered) > 0:
			return nil, fmt.Errorf("bytecode vectors: %s gets an injected filter under (allow default) in %v", op, ad.filtered)
		case len(dd.filtered) > 0:
			if len(ad.deny) > 0 {
				return nil, fmt.Errorf("bytecode vectors: %s is filtered under (deny default) and denied under (allow default)", op)
			}
			ms.Conditional = append(ms.Conditional, op)
		case len(dd.allow) > 0 && len(ad.allow) > 0:
			ms.Terminal[op] = "allow"
		case len(dd.deny) > 0 && len(ad.deny) > 0:
			ms.Terminal[op] = "deny"
		case len(dd.allow) > 0 && len(ad.deny) > 0:
			return nil, fmt.Errorf("bytecode vectors: %s is allowed under (deny default) and denied under (allow default)", op)
		}
	}
	sort.Strings(ms.Conditional)
	return ms, nil
}

// values binds the (filter SYMBOL) terms of src to the integer arguments of
// the blob's nodes for that filter: a filter written with exactly one
// argument whose nodes all carry one value.
func (ms *Measured) values(vector, src string, nodes []decodedNode, filterID func(int) string) error {
	written := map[string]map[string]bool{}
	for _, sm := range symArgRE.FindAllStringSubmatch(src, -1) {
		if written[sm[1]] == nil {
			written[sm[1]] = map[string]bool{}
		}
		written[sm[1]][sm[2]] = true
	}
	args := map[string]map[int64]bool{}
	for _, n := range nodes {
		if n.Kind != "filter" {
			continue
		}
		f := filterID(n.Filter)
		if f == "" {
			return fmt.Errorf("%s/decoded.json: node %d: unknown filter id %d", vector, n.I, n.Filter)
		}
		if args[f] == nil {
			args[f] = map[int64]bool{}
		}
		args[f][n.Arg] = true
	}
	for f, w := range written {
		if len(w) != 1 || len(args[f]) != 1 {
			continue
		}
		var sym string
		for s := range w {
			sym = s
		}
		var v int64
		for a := range args[f] {
			v = a
		}
		if n, err := strconv.ParseInt(sym, 10, 64); err == nil {
			if n != v {
				return fmt.Errorf("%s: (%s %d) compiled to argument %d", vector, f, n, v)
			}
			continue
		}
		if ms.Values[f] == nil {
			ms.Values[f] = map[string]int64{}
			ms.ValueVectors[f] = map[string][]string{}
		}
		if old, ok := ms.Values[f][sym]; ok && old != v {
			return fmt.Errorf("bytecode vectors disagree on (%s %s): %d in %v, %d in %s", f, sym, old, ms.ValueVectors[f][sym], v, vector)
		}
		ms.Values[f][sym] = v
		ms.ValueVectors[f][sym] = append(ms.ValueVectors[f][sym], vector)
	}
	return nil
}

// vectorSource returns the SBPL source of a vector without comments.
func vectorSource(vdir string) (string, error) {
	ents, err := os.ReadDir(vdir)
	if err != nil {
		return "", err
	}
	for _, e := range ents {
		n := e.Name()
		if strings.HasSuffix(n, ".sb") || strings.HasSuffix(n, ".sb.INFERRED") {
			b, err := os.ReadFile(filepath.Join(vdir, n))
			if err != nil {
				return "", err
			}
			var out []string
			for _, l := range strings.Split(string(b), "\n") {
				if i := strings.Index(l, ";"); i >= 0 {
					l = l[:i]
				}
				out = append(out, l)
			}
			return strings.Join(out, "\n"), nil
		}
	}
	return "", fmt.Errorf("no .sb source")
}

// checkOpNames compares the vector's ops_sonoma14.4.1.txt (when present)
// with the operation name list the ids come from.
func checkOpNames(vdir string, ops []string) error {
	b, err := os.ReadFile(filepath.Join(vdir, "ops_sonoma14.4.1.txt"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	names := strings.Fields(string(b))
	if len(names) != len(ops) {
		return fmt.Errorf("ops_sonoma14.4.1.txt: %d names, raw list %d", len(names), len(ops))
	}
	for i, n := range names {
		if n != ops[i] {
			return fmt.Errorf("ops_sonoma14.4.1.txt: op %d is %s, raw list says %s", i, n, ops[i])
		}
	}
	return nil
}

// coveredBy reports whether a rule on one of the named operations applies
// to op: op itself or an operation on its fallback chain.
func coveredBy(named map[string]bool, op string, chain func(string) []string) bool {
	if named[op] {
		return true
	}
	for _, c := range chain(op) {
		if c != "default" && named[c] {
			return true
		}
	}
	return false
}
