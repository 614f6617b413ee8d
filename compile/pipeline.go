package compile

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sbplc/sbplc/bytecode"
	"github.com/sbplc/sbplc/diag"
	"github.com/sbplc/sbplc/eval"
	"github.com/sbplc/sbplc/format"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/source"
)

// Emit selects the output of Build.
type Emit string

// Outputs.
const (
	EmitBytecode Emit = "bytecode" // libsandbox's compiled profile (macOS only)
	EmitSBPL     Emit = "sbpl"     // the flattened profile, usable with sandbox-exec -f
	EmitJSON     Emit = "json"     // the rule IR with source positions
)

// ParseEmit checks an --emit value.
func ParseEmit(s string) (Emit, error) {
	switch e := Emit(s); e {
	case EmitBytecode, EmitSBPL, EmitJSON:
		return e, nil
	}
	return "", fmt.Errorf("unknown --emit %q: use bytecode, sbpl or json", s)
}

// Options configure Build.
type Options struct {
	Emit Emit
	Eval eval.Options
	// Lint runs the lint rules on the evaluated profile; nil means only the
	// evaluator's diagnostics are checked. Error-level findings stop the
	// build unless NoLint.
	Lint   func(*eval.Result) diag.List
	NoLint bool
	// NoVerify skips decoding, verifying and cross-checking the bytecode.
	NoVerify bool
	// Backend compiles to bytecode; nil means Native() (libsandbox);
	// NativeBackend is sbplc's own emitter.
	Backend Backend
	// Layout decodes the bytecode for verification (default: HostLayout).
	Layout *bytecode.Layout
}

// Output is the outcome of Build.
type Output struct {
	// Data is what to write; nil when the build failed.
	Data []byte
	// Diags are the evaluator's, the linter's and libsandbox's
	// diagnostics, at the user's positions.
	Diags diag.List
	// Findings and Report are the verification of the bytecode.
	Findings bytecode.Findings
	Report   *Report
	// Failed says why nothing is to be written ("" on success).
	Failed string
}

// Build evaluates src, checks it, and produces the requested output. An
// error return is a usage or environment problem (no libsandbox, bad
// params); problems with the profile are in Output.
func Build(src *source.File, opts Options) (*Output, error) {
	out := &Output{}
	if opts.Emit == "" {
		opts.Emit = EmitBytecode
	}
	backend := opts.Backend
	if opts.Emit == EmitBytecode && backend == nil {
		b, err := Native()
		if err != nil {
			return nil, err
		}
		backend = b
	}
	params := ParamsFromMap(opts.Eval.Params)
	if err := params.Validate(); err != nil {
		return nil, err
	}

	// compile produces what libsandbox would apply, so it evaluates with
	// libsandbox's semantics: an unset param is #f, never a ${NAME}
	// placeholder (which would turn into a literal path in the output).
	opts.Eval.StrictParams = true
	res := eval.Run(src, opts.Eval)
	out.Diags = append(out.Diags, res.Diags...)
	if !opts.NoLint && opts.Lint != nil {
		// The linter reports the evaluation diagnostics too.
		out.Diags = opts.Lint(res)
	}
	out.Diags = noteUnsetParams(out.Diags, res.Profile)
	if names := Placeholders(res.Profile); len(names) > 0 {
		// Cannot happen with StrictParams; refuse rather than write a
		// different policy if the evaluator ever regresses.
		out.Failed = fmt.Sprintf("internal error: the evaluated profile contains the placeholder ${%s} for an unset param", names[0])
		return out, nil
	}
	evalErrors := res.Diags.HasErrors()
	if opts.Emit == EmitSBPL || opts.Emit == EmitJSON {
		// libsandbox is not involved, so whatever sbplc could not
		// evaluate would be missing from (or wrong in) the output:
		// unresolved imports and evaluation errors stop the build even
		// with --no-lint.
		if missing := unresolvedImports(res.Profile); len(missing) > 0 {
			for _, im := range missing {
				out.Diags = promote(out.Diags, importDiag(res.Diags, im),
					"compile --emit "+string(opts.Emit)+" inlines imports: without this file the output would lack its rules")
			}
			out.Diags = out.Diags.Sort()
			out.Failed = incompleteImports(missing)
			return out, nil
		}
		if evalErrors {
			var errs diag.List
			for _, d := range res.Diags {
				if d.Severity >= diag.Error {
					errs = append(errs, d)
					out.Diags = promote(out.Diags, d, "")
				}
			}
			out.Diags = out.Diags.Sort()
			out.Failed = fmt.Sprintf("%s, so there is no complete profile to flatten; fix %s", countErrors(errs, "evaluation error"), them(len(errs)))
			return out, nil
		}
	}
	if !opts.NoLint && out.Diags.HasErrors() {
		var errs diag.List
		for _, d := range out.Diags {
			if d.Severity >= diag.Error {
				errs = append(errs, d)
			}
		}
		out.Failed = fmt.Sprintf("%s; fix %s, or use --no-lint to compile anyway", countErrors(errs, "error"), them(len(errs)))
		return out, nil
	}
	switch opts.Emit {
	case EmitSBPL:
		out.Data = FlatSBPL(res.Profile)
		return out, nil
	case EmitJSON:
		js, err := json.MarshalIndent(ir.ToJSON(res.Profile), "", "  ")
		if err != nil {
			return nil, err
		}
		out.Data = append(js, '\n')
		return out, nil
	}

	unit := NewUnit(opts.Eval.Preludes, src)
	r, err := backend.Compile(Request{Source: unit.Text, Params: params, Profile: res.Profile})
	if err != nil {
		var ue *UnsupportedError
		if errors.As(err, &ue) {
			out.Diags = append(out.Diags, diag.Diagnostic{Severity: diag.Error, Code: "native-unsupported", Span: ue.Span,
				Message: ue.Error() + "; compile on macOS 14 with --backend libsandbox"})
			out.Diags = out.Diags.Sort()
			out.Failed = "the native emitter cannot encode this profile"
			return out, nil
		}
		var ce *Error
		if errors.As(err, &ce) {
			out.Diags = append(out.Diags, unit.Diagnostic(err))
			out.Diags = out.Diags.Sort()
			out.Failed = "libsandbox rejected the profile"
			return out, nil
		}
		return nil, fmt.Errorf("%s: %v", backend.Name(), err)
	}
	if r.Bytecode == nil {
		out.Failed = fmt.Sprintf("libsandbox resolved the profile to the builtin profile %q; there is no bytecode to write", r.Builtin)
		return out, nil
	}
	if !opts.NoVerify {
		l := bytecode.DefaultLayout()
		_, native := backend.(NativeBackend)
		switch {
		case opts.Layout != nil:
			l = *opts.Layout
		case native:
			// The native emitter writes the macOS 14.4.1 format
			// whatever the host.
		default:
			if hl, ok := bytecode.HostLayout(); ok {
				l = hl
			}
		}
		voc := bytecode.VocabularyFor(l)
		p, fs := bytecode.DecodeAndVerify(r.Bytecode, l, voc)
		out.Findings = fs
		if fs.HasErrors() && !l.Verified {
			// libsandbox wrote the blob; sbplc's reading of this
			// release's layout is unconfirmed, so its errors say nothing
			// sure about the blob: write it, and say so.
			out.Diags = append(out.Diags, diag.Diagnostic{Severity: diag.Warning, Code: "cross-check", Span: source.Span{File: src},
				Message: fmt.Sprintf("the compiled profile was not verified: sbplc's %s layout is unverified (no hash-verified blob confirms it) and it does not read this blob; pass --no-verify to skip the check, or send the blob to sbplc's maintainers", l.Name)})
			out.Data = r.Bytecode
			return out, nil
		}
		if fs.HasErrors() {
			out.Failed = "the compiled profile failed verification (use --no-verify to write it anyway)"
			return out, nil
		}
		if !evalErrors && !res.Profile.Opaque() {
			out.Report = CrossCheck(p, voc, res.Profile, CrossCheckOptions{Target: l.Name})
			if len(out.Report.Disagreements) > 0 {
				out.Failed = "the compiled profile's decisions disagree with sbplc's model of the source (use --no-verify to write it anyway)"
				return out, nil
			}
		}
	}
	out.Data = r.Bytecode
	return out, nil
}

// FlatSBPL prints an evaluated profile as flat SBPL in sbplc fmt's
// canonical layout: `compile --emit sbpl` and `expand` output passes
// `sbplc fmt --check`.
func FlatSBPL(p *ir.Profile) []byte {
	text := []byte(eval.FormatSBPL(p))
	out, ds := format.Source(text, "<flat>", format.Options{})
	if out == nil || ds.HasErrors() {
		return text // cannot happen: the printer writes what the parser reads
	}
	return out
}
