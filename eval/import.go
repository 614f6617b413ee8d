package eval

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sbplc/sbplc/ast"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/internal/fsutil"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/parser"
	"github.com/sbplc/sbplc/source"
	"github.com/sbplc/sbplc/syslib"
)

// SystemProfileDirs are libsandbox's import search path on macOS.
var SystemProfileDirs = []string{"/System/Library/Sandbox/Profiles", "/usr/share/sandbox"}

func rel(sp source.Span, msg string) diag.Related { return diag.Related{Span: sp, Message: msg} }

// readFile reads the import candidate path with the one bounded reader,
// fsutil.ReadRegular, or Options.ReadFile. A path that is not a regular
// file on disk never reaches ReadFile: fsutil refuses it, because a FIFO
// would block, /dev/stdin is the caller's own input (the editor's protocol
// stream) and /dev/zero never ends.
func (ev *evaluator) readFile(path string) ([]byte, error) {
	if ev.opts.ReadFile != nil {
		if st, err := os.Stat(path); err != nil || st.Mode().IsRegular() {
			return ev.opts.ReadFile(path)
		}
	}
	return fsutil.ReadRegular(path, fsutil.MaxInputSize)
}

// candidates lists the files (import NAME) may refer to, in search order.
func (ev *evaluator) candidates(name string) []string {
	if filepath.IsAbs(name) {
		return []string{filepath.Clean(name)}
	}
	var out []string
	if ev.cur != nil && ev.cur.Name != "" && !strings.HasPrefix(ev.cur.Name, "<") {
		out = append(out, filepath.Join(filepath.Dir(ev.cur.Name), name))
	} else {
		out = append(out, filepath.Clean(name))
	}
	for _, d := range ev.opts.ImportDirs {
		out = append(out, filepath.Join(d, name))
	}
	if ev.opts.SystemDirs {
		for _, d := range SystemProfileDirs {
			out = append(out, filepath.Join(d, name))
		}
	}
	return out
}

func biImport(ev *evaluator, c *call) value {
	s := c.str(ev, 0)
	name := s.S
	im := ir.Import{Name: name, Index: len(ev.prof.Rules), Origin: ev.origin(c.Sp)}
	if ev.msg != nil {
		ev.fail(c.Sp, "import", "import is not allowed inside apply-message-filter")
	}
	var data []byte
	var path string
	var lastErr error
	for _, p := range ev.candidates(name) {
		b, err := ev.readFile(p)
		if err == nil && len(b) > fsutil.MaxInputSize {
			err = &fsutil.ReadError{Name: p, Err: fsutil.ErrTooLarge, Reason: fmt.Sprintf("larger than %d bytes, the limit for an input", fsutil.MaxInputSize)}
		}
		if errors.Is(err, fsutil.ErrNotRegular) || errors.Is(err, fsutil.ErrTooLarge) {
			// Not a profile to read: refuse it, and leave its rules unknown.
			im.Path = p
			ev.prof.Imports = append(ev.prof.Imports, im)
			what := "import a regular profile file"
			if errors.Is(err, fsutil.ErrTooLarge) {
				what = "profiles are kilobytes: check that the import names one"
			}
			d := ev.errDiag(c.Sp, "import", fmt.Sprintf("cannot import %s: %v; %s", quote(name), err, what))
			ev.abort(&ImportRefused{problem: problem{d}, Name: name, Path: p, At: c.Sp, Err: err})
		}
		if err == nil {
			data, path = b, p
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			lastErr = err
		}
	}
	if path == "" && lastErr == nil && !ev.opts.NoSystemModels {
		if m, ok := syslib.Lookup(name, ev.opts.Target); ok {
			ev.importModel(c, im, m)
			return theUnspec
		}
	}
	if path == "" {
		ev.prof.Imports = append(ev.prof.Imports, im)
		searched := ev.candidates(name)
		d := diag.Diagnostic{Severity: diag.Warning, Code: "import-not-found", Span: c.Sp,
			Message: "cannot find imported profile " + quote(name) + "; its rules are unknown to the analysis"}
		if lastErr != nil {
			d.Message = "cannot read imported profile " + quote(name) + ": " + lastErr.Error() + "; its rules are unknown to the analysis"
		}
		d.Notes = append(d.Notes, "searched: "+strings.Join(searched, ", "))
		if !ev.opts.SystemDirs {
			d.Notes = append(d.Notes, "add -I DIR to search a directory holding Apple's system profiles")
		}
		ev.addChain(&d, c.Sp)
		nf := &ImportNotFound{problem: problem{d}, Name: name, At: c.Sp, Searched: searched}
		ev.missing[name] = nf
		ev.add(nf)
		return theUnspec
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	for _, p := range ev.importStack {
		if p == abs {
			chain := append(append([]string(nil), ev.importStack...), abs)
			for i := range chain {
				chain[i] = filepath.Base(chain[i])
			}
			ev.fail(c.Sp, "import-cycle", "import cycle: %s", strings.Join(chain, " imports "))
		}
	}
	ev.nImports++
	if ev.nImports > ev.lim.Imports {
		ev.fatal(c.Sp, "eval-limit", "more than %d imports; is there an import loop?", ev.lim.Imports)
	}
	im.Path, im.Resolved = path, true
	ev.prof.Imports = append(ev.prof.Imports, im)
	src := source.NewFile(path, data)
	f, ds := parser.Parse(src)
	ev.addDiags(ds)
	if ev.cur != nil && len(ev.importStack) == 0 {
		if a, err := filepath.Abs(ev.cur.Name); err == nil {
			ev.importStack = append(ev.importStack, a)
			defer func() { ev.importStack = ev.importStack[:0] }()
		}
	}
	ev.evalImported(c, f, abs, path)
	return theUnspec
}

// evalImported evaluates the imported file f (key identifies it on the
// import stack) in the global environment, with *import-path* bound to
// path while it runs.
func (ev *evaluator) evalImported(c *call, f *ast.File, key, path string) {
	ev.importStack = append(ev.importStack, key)
	n := len(ev.importStack)
	saveChain := ev.chain
	ev.chain = &frameNode{F: ir.Frame{Name: "import", Call: ev.origin(c.Sp).Primary()}, Parent: nil, N: 1, Stmt: true}
	ip := ev.intern("*import-path*")
	saveIP := ip.gval
	if ip.gbound {
		ip.gval = &strV{S: path}
	}
	ev.evalFileForms(f)
	ip.gval = saveIP
	ev.chain = saveChain
	ev.importStack = ev.importStack[:n-1]
}

// importModel evaluates sbplc's model m of the system profile the
// import names, which no search directory holds.
func (ev *evaluator) importModel(c *call, im ir.Import, m *syslib.Profile) {
	key := m.Src.Name
	for _, p := range ev.importStack {
		if p == key {
			ev.fail(c.Sp, "import-cycle", "import cycle through %s", m.Description())
		}
	}
	ev.nImports++
	if ev.nImports > ev.lim.Imports {
		ev.fatal(c.Sp, "eval-limit", "more than %d imports; is there an import loop?", ev.lim.Imports)
	}
	im.Path, im.Resolved, im.Model = m.Src.Name, true, m.Description()
	ev.prof.Imports = append(ev.prof.Imports, im)
	ev.models[m.Src] = m
	ev.modelByName[m.Name] = m
	if _, ok := ev.modelImport[m]; !ok {
		ev.modelImport[m] = modelImport{at: c.Sp, searched: ev.candidates(im.Name)}
	}
	f, ds := parser.Parse(m.Src)
	ev.addDiags(ds) // none: TestModelsEvaluate
	if ev.cur != nil && len(ev.importStack) == 0 {
		if a, err := filepath.Abs(ev.cur.Name); err == nil {
			ev.importStack = append(ev.importStack, a)
			defer func() { ev.importStack = ev.importStack[:0] }()
		}
	}
	ev.evalImported(c, f, key, m.Src.Name)
}

func quote(s string) string { return `"` + s + `"` }

// opaqueUse is a statement that stopped at the name used at at, which one
// of the unresolved imports in effect may define.
type opaqueUse struct {
	name    string
	at      source.Span
	imports []string // as written, in import order
}

// opaqueBlock records the statement at sp that stopped at use as an
// opaque block, and adds it to the import-not-found warning of the import
// most likely to define the name (one warning per import, whatever the
// number of names and statements).
func (ev *evaluator) opaqueBlock(use *opaqueUse, sp source.Span) {
	imp := use.imports[len(use.imports)-1]
	for _, im := range use.imports {
		base := strings.TrimSuffix(filepath.Base(im), ".sb")
		if strings.Contains(base, use.name) || strings.Contains(use.name, base) {
			imp = im // (corefoundation) and com.apple.corefoundation.sb
		}
	}
	if m := ev.modelByName[imp]; m != nil {
		ev.modelUnknown(m, use.name, fmt.Sprintf("%s is not defined; %s, which stands in for %s, may lack it", use.name, m.Description(), quote(imp)), sp)
		return
	}
	o := ev.origin(sp)
	ev.prof.OpaqueBlocks = append(ev.prof.OpaqueBlocks, ir.OpaqueBlock{Index: len(ev.prof.Rules), Name: use.name, Import: imp, Origin: o,
		Reason: fmt.Sprintf("%s is not defined; the import %s, which was not found, may define it", use.name, quote(imp))})
	nf := ev.missing[imp]
	if nf == nil {
		return // refused rather than missing: its error says so
	}
	if len(nf.Uses) == 0 {
		nf.d.Notes = append(nf.d.Notes, fmt.Sprintf("the profile uses names it may define, so those statements are unknown rules: pass -I DIR with the directory that holds %s", imp))
	}
	nf.Uses = append(nf.Uses, o.Primary())
	nf.d.Related = append(nf.d.Related, rel(o.Primary(), "unknown rules: "+use.name+" may come from "+quote(imp)))
}
