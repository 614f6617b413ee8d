package diag

import (
	"encoding/json"
	"io"
	"path/filepath"
	"strings"

	"github.com/sbplc/sbplc/source"
)

// SARIFRule describes one rule for the SARIF tool.driver.rules array.
type SARIFRule struct {
	ID       string
	Summary  string   // one line: shortDescription
	Help     string   // Markdown help text (the rule's document)
	HelpURI  string   // optional
	Level    Severity // default level
	Category string
}

// SARIFTool names the producing tool.
type SARIFTool struct {
	Name, Version, InformationURI string
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
	Name           string          `json:"name"`
	Version        string          `json:"version,omitempty"`
	InformationURI string          `json:"informationUri,omitempty"`
	Rules          []sarifRuleJSON `json:"rules"`
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
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations"`
	Fixes     []sarifFix      `json:"fixes,omitempty"`
	Related   []sarifLocation `json:"relatedLocations,omitempty"`
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

type sarifArtifact struct {
	URI string `json:"uri"`
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

// sarifURI turns a file name into a relative URI with forward slashes.
func sarifURI(name string) string {
	if name == "" {
		return "<unknown>"
	}
	return strings.ReplaceAll(filepath.ToSlash(name), " ", "%20")
}

// WriteSARIF writes diagnostics as a SARIF 2.1.0 log with one run. rules
// lists the tool's rules (with help text); diagnostics whose code is not
// among them get a minimal rule entry so ruleIndex is always valid.
func WriteSARIF(w io.Writer, ds []Diagnostic, tool SARIFTool, rules []SARIFRule) error {
	driver := sarifDriver{Name: tool.Name, Version: tool.Version, InformationURI: tool.InformationURI, Rules: []sarifRuleJSON{}}
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
		if r.Category != "" {
			j.Properties = map[string]any{"tags": []string{r.Category}, "category": r.Category}
		}
		driver.Rules = append(driver.Rules, j)
	}
	for _, r := range rules {
		addRule(r)
	}
	results := []sarifResult{}
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
					sf.ArtifactChanges = append(sf.ArtifactChanges, sarifArtifactChange{ArtifactLocation: sarifArtifact{URI: sarifURI(name)}})
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
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{{Tool: sarifToolJSON{Driver: driver}, ColumnKind: "utf16CodeUnits", Results: results}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}

func sarifLoc(file string, reg *sarifRegion, msg *sarifText) sarifLocation {
	return sarifLocation{PhysicalLocation: sarifPhysicalLocation{ArtifactLocation: sarifArtifact{URI: sarifURI(file)}, Region: reg}, Message: msg}
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

// ruleName turns a kebab-case ID into the PascalCase name SARIF viewers show.
func ruleName(id string) string {
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
