package diag

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sbplc/sbplc/source"
)

// SARIFSchemaURI is the OASIS SARIF 2.1.0 (errata 01) schema the log names.
const SARIFSchemaURI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

// FingerprintKey names sbplc's entry in result.partialFingerprints. Bump
// the version when the fingerprint's inputs change, so that old and new
// alerts are not matched by accident.
const FingerprintKey = "sbplcFinding/v1"

// SARIFRule describes one rule for the SARIF tool.driver.rules array.
type SARIFRule struct {
	ID       string
	Summary  string   // one line: shortDescription
	Help     string   // Markdown help text (the rule's document)
	HelpURI  string   // optional: an absolute URI of the rule's document
	Level    Severity // default level
	Category string
	// SecuritySeverity, when set, marks a security rule: a score from
	// "0.0" to "10.0" written as properties.security-severity, with the
	// tag "security" (GitHub code scanning ranks security alerts by it).
	SecuritySeverity string
	// Precision is properties.precision: "very-high", "high", "medium" or
	// "low" (how often the rule's results are true problems).
	Precision string
}

// SARIFTool names the producing tool. Version must start with a digit
// ("0.1.0", "0.0.0-devel"): SARIF viewers compare versions numerically.
// SemanticVersion, when set, is a Semantic Versioning 2.0 form of it.
type SARIFTool struct {
	Name, Version, SemanticVersion, InformationURI string
}

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool       sarifToolJSON `json:"tool"`
	ColumnKind string        `json:"columnKind"`
	Results    []sarifResult `json:"results"`
}

type sarifToolJSON struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name            string          `json:"name"`
	Version         string          `json:"version,omitempty"`
	SemanticVersion string          `json:"semanticVersion,omitempty"`
	InformationURI  string          `json:"informationUri,omitempty"`
	Rules           []sarifRuleJSON `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRuleJSON struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name,omitempty"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      *sarifText     `json:"fullDescription,omitempty"`
	Help                 *sarifText     `json:"help,omitempty"`
	HelpURI              string         `json:"helpUri,omitempty"`
	DefaultConfiguration sarifConfig    `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties,omitempty"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID       string            `json:"ruleId"`
	RuleIndex    int               `json:"ruleIndex"`
	Level        string            `json:"level"`
	Message      sarifText         `json:"message"`
	Locations    []sarifLocation   `json:"locations"`
	Fingerprints map[string]string `json:"partialFingerprints,omitempty"`
	Fixes        []sarifFix        `json:"fixes,omitempty"`
	Related      []sarifLocation   `json:"relatedLocations,omitempty"`
}

type sarifLocation struct {
	ID               *int                  `json:"id,omitempty"`
	PhysicalLocation sarifPhysicalLocation `json:"physicalLocation"`
	Message          *sarifText            `json:"message,omitempty"`
}

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

// sarifArtifact is an artifactLocation: a URI reference, or for a text
// that is not a file (standard input) a description instead.
type sarifArtifact struct {
	URI         string     `json:"uri,omitempty"`
	Description *sarifText `json:"description,omitempty"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn"`
	EndLine     int `json:"endLine"`
	EndColumn   int `json:"endColumn"`
	CharOffset  int `json:"charOffset"`
	CharLength  int `json:"charLength"`
}

type sarifFix struct {
	Description     sarifText             `json:"description"`
	ArtifactChanges []sarifArtifactChange `json:"artifactChanges"`
}

type sarifArtifactChange struct {
	ArtifactLocation sarifArtifact      `json:"artifactLocation"`
	Replacements     []sarifReplacement `json:"replacements"`
}

type sarifReplacement struct {
	DeletedRegion   sarifRegion `json:"deletedRegion"`
	InsertedContent *sarifText  `json:"insertedContent,omitempty"`
}

// SARIFLevel maps a severity to a SARIF level.
func SARIFLevel(s Severity) string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "note"
}

// sarifArtifactOf locates the file name as SARIF wants it: a relative path
// as a relative URI reference (forward slashes, percent-encoded), an
// absolute path as a file:// URI, and a name that is no path ("-",
// "<stdin>") as a description without a URI, since it has none.
func sarifArtifactOf(name string) sarifArtifact {
	if name == "" || name == "-" || strings.HasPrefix(name, "<") && strings.HasSuffix(name, ">") {
		if name == "" || name == "-" {
			name = "<stdin>"
		}
		return sarifArtifact{Description: &sarifText{Text: name}}
	}
	return sarifArtifact{URI: sarifURI(name)}
}

// sarifURI turns a file path into a URI reference (RFC 3986): an absolute
// path becomes a file:// URI, a relative one a relative reference; every
// byte other than an unreserved character and '/' is percent-encoded (in a
// relative reference, a ':' could otherwise read as a scheme).
func sarifURI(name string) string {
	p := filepath.ToSlash(name)
	if !filepath.IsAbs(name) {
		return escapePath(strings.TrimPrefix(filepath.ToSlash(filepath.Clean(name)), "./"), false)
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive: C:/x becomes file:///C:/x
	}
	return "file://" + escapePath(p, true)
}

// escapePath percent-encodes p for a URI path; keepColon leaves ':' as is
// (allowed in a path after the first segment of a relative reference).
func escapePath(p string, keepColon bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~', c == '/', c == ':' && keepColon:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

// WriteSARIF writes diagnostics as a SARIF 2.1.0 log with one run. rules
// lists the tool's rules (with help text); diagnostics whose code is not
// among them get a minimal rule entry so ruleIndex is always valid.
func WriteSARIF(w io.Writer, ds []Diagnostic, tool SARIFTool, rules []SARIFRule) error {
	driver := sarifDriver{Name: tool.Name, Version: tool.Version, SemanticVersion: tool.SemanticVersion,
		InformationURI: tool.InformationURI, Rules: []sarifRuleJSON{}}
	index := map[string]int{}
	addRule := func(r SARIFRule) {
		if _, ok := index[r.ID]; ok {
			return
		}
		index[r.ID] = len(driver.Rules)
		j := sarifRuleJSON{ID: r.ID, Name: ruleName(r.ID), ShortDescription: sarifText{Text: orDefault(r.Summary, r.ID)},
			HelpURI: r.HelpURI, DefaultConfiguration: sarifConfig{Level: SARIFLevel(r.Level)}}
		if r.Help != "" {
			j.Help = &sarifText{Text: r.Help, Markdown: r.Help}
			j.FullDescription = &sarifText{Text: orDefault(r.Summary, r.ID)}
		}
		props := map[string]any{}
		var tags []string
		if r.Category != "" {
			tags = append(tags, r.Category)
			props["category"] = r.Category
		}
		if r.SecuritySeverity != "" {
			tags = append(tags, "security")
			props["security-severity"] = r.SecuritySeverity
		}
		if r.Precision != "" {
			props["precision"] = r.Precision
		}
		if len(tags) > 0 {
			props["tags"] = tags
		}
		if len(props) > 0 {
			j.Properties = props
		}
		driver.Rules = append(driver.Rules, j)
	}
	for _, r := range rules {
		addRule(r)
	}
	results := []sarifResult{}
	fp := fingerprints{}
	for _, d := range ds {
		code := d.Code
		if code == "" {
			code = "sbplc"
		}
		if _, ok := index[code]; !ok {
			addRule(SARIFRule{ID: code, Summary: code, Level: d.Severity})
		}
		res := sarifResult{RuleID: code, RuleIndex: index[code], Level: SARIFLevel(d.Severity),
			Message: sarifText{Text: d.Message}, Locations: []sarifLocation{}}
		if d.Span.IsValid() {
			res.Locations = append(res.Locations, sarifLoc(d.Span.File.Name, regionOf(d.Span), nil))
			res.Fingerprints = map[string]string{FingerprintKey: fp.of(code, d.Span)}
		}
		for i, r := range d.Related {
			if !r.Span.IsValid() {
				continue
			}
			id := i + 1
			loc := sarifLoc(r.Span.File.Name, regionOf(r.Span), &sarifText{Text: r.Message})
			loc.ID = &id
			res.Related = append(res.Related, loc)
		}
		for _, f := range d.Fixes {
			sf := sarifFix{Description: sarifText{Text: f.Title}}
			byFile := map[string]int{}
			for _, e := range f.Edits {
				if !e.Span.IsValid() {
					continue
				}
				name := e.Span.File.Name
				k, ok := byFile[name]
				if !ok {
					k = len(sf.ArtifactChanges)
					byFile[name] = k
					sf.ArtifactChanges = append(sf.ArtifactChanges, sarifArtifactChange{ArtifactLocation: sarifArtifactOf(name)})
				}
				rep := sarifReplacement{DeletedRegion: *regionOf(e.Span)}
				if e.NewText != "" {
					rep.InsertedContent = &sarifText{Text: e.NewText}
				}
				sf.ArtifactChanges[k].Replacements = append(sf.ArtifactChanges[k].Replacements, rep)
			}
			if len(sf.ArtifactChanges) > 0 {
				res.Fixes = append(res.Fixes, sf)
			}
		}
		results = append(results, res)
	}
	log := sarifLog{
		Schema:  SARIFSchemaURI,
		Version: "2.1.0",
		Runs:    []sarifRun{{Tool: sarifToolJSON{Driver: driver}, ColumnKind: "utf16CodeUnits", Results: results}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}

func sarifLoc(file string, reg *sarifRegion, msg *sarifText) sarifLocation {
	return sarifLocation{PhysicalLocation: sarifPhysicalLocation{ArtifactLocation: sarifArtifactOf(file), Region: reg}, Message: msg}
}

// fingerprintText is how much of a finding's span its fingerprint reads:
// enough to tell findings apart, and bounded so that many findings on one
// long line cost linear work.
const fingerprintText = 256

// fingerprints computes result.partialFingerprints so that code scanning
// tracks an alert across edits that move it: the hash covers the rule, the
// file, the flagged text (its first line, blanks collapsed, at most
// fingerprintText bytes) and how many earlier findings of the same rule
// flagged the same text in the file, but not the line or column.
type fingerprints map[string]int

func (fp fingerprints) of(code string, sp source.Span) string {
	n := len(sp.File.Text)
	text := sp.File.Text[max(0, min(sp.Start, n)):max(0, min(sp.End, n))]
	if i := bytes.IndexByte(text, '\n'); i >= 0 {
		text = text[:i]
	}
	text = text[:min(len(text), fingerprintText)]
	key := code + "\x00" + sp.File.Name + "\x00" + strings.Join(strings.Fields(string(text)), " ")
	seen := fp[key]
	fp[key] = seen + 1
	sum := sha256.Sum256([]byte(key + "\x00" + strconv.Itoa(seen)))
	return hex.EncodeToString(sum[:16])
}

// regionOf converts a byte span to a SARIF region in UTF-16 code units,
// the run's columnKind (the SARIF default, which GitHub code scanning and
// editors use): columns are 1-based UTF-16 columns, charOffset and
// charLength count UTF-16 units from the start of the file.
func regionOf(sp source.Span) *sarifRegion {
	f := sp.File
	start, end := sp.Start, max(sp.End, sp.Start)
	l0, c0 := f.UTF16Col(start)
	el0, ec0 := f.UTF16Col(end)
	off := f.UTF16Offset(start)
	return &sarifRegion{StartLine: l0 + 1, StartColumn: c0 + 1, EndLine: el0 + 1, EndColumn: ec0 + 1, CharOffset: off, CharLength: f.UTF16Offset(end) - off}
}

// ruleName turns a kebab-case ID into the PascalCase name SARIF viewers
// show. A one-word ID has no name: SARIF wants the name to differ from the
// ID, and validators compare them ignoring case.
func ruleName(id string) string {
	if !strings.ContainsAny(id, "-_/") {
		return ""
	}
	var b strings.Builder
	up := true
	for _, r := range id {
		if r == '-' || r == '_' || r == '/' {
			up = true
			continue
		}
		if up && r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		up = false
		b.WriteRune(r)
	}
	return b.String()
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
