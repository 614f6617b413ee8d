package diag

import (
	"fmt"
	"io"
	"strings"
)

// GitHubAnnotationLimit is how many annotations of each kind (error,
// warning, notice) GitHub Actions shows for one step; it drops the rest
// from the annotation list, though they stay in the step's log.
const GitHubAnnotationLimit = 10

// WriteGitHub writes diagnostics as GitHub Actions workflow commands
// (::error file=F,line=L,col=C,endLine=..,endColumn=..,title=CODE::MESSAGE),
// which the runner turns into annotations. Info findings become notices.
//
// Columns count UTF-16 code units, 1-based, with endColumn just past the
// span: GitHub's workflow-command reference names no unit for col and
// endColumn, and UTF-16 is the unit of the SARIF that GitHub code scanning
// reads (columnKind utf16CodeUnits) and of the editor protocol, so the
// same finding has the same columns in --format github and --format sarif.
//
// When a kind has more than GitHubAnnotationLimit findings, the last
// annotation GitHub would show of that kind is a summary that says how
// many there are and where to see them; every finding is still written.
//
// File names, codes and messages are escaped as in WriteText, except that
// a line break in a message stays one (%0A).
func WriteGitHub(w io.Writer, ds []Diagnostic) error {
	total := map[string]int{}
	for _, d := range ds {
		total[ghKind(d.Severity)]++
	}
	seen := map[string]int{}
	var b strings.Builder
	for _, d := range ds {
		kind := ghKind(d.Severity)
		seen[kind]++
		if seen[kind] == GitHubAnnotationLimit && total[kind] > GitHubAnnotationLimit {
			ghSummary(&b, kind, total[kind])
		}
		var props []string
		if d.Span.IsValid() {
			f := d.Span.File
			l0, c0 := f.UTF16Col(d.Span.Start)
			el0, ec0 := f.UTF16Col(max(d.Span.End, d.Span.Start))
			props = append(props, "file="+ghProp(escapeText(f.Name)), fmt.Sprintf("line=%d", l0+1), fmt.Sprintf("col=%d", c0+1),
				fmt.Sprintf("endLine=%d", el0+1))
			if el0 == l0 {
				props = append(props, fmt.Sprintf("endColumn=%d", ec0+1))
			}
		}
		if d.Code != "" {
			props = append(props, "title="+ghProp(escapeText(d.Code)))
		}
		b.WriteString("::")
		b.WriteString(kind)
		if len(props) > 0 {
			b.WriteByte(' ')
			b.WriteString(strings.Join(props, ","))
		}
		b.WriteString("::")
		msg := escape(d.Message, true)
		if d.Code != "" {
			msg += " [" + escapeText(d.Code) + "]"
		}
		b.WriteString(ghData(msg))
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// ghKind is the workflow command for a severity.
func ghKind(s Severity) string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "notice"
}

// ghSummary writes the annotation that stands for the findings of kind
// that GitHub does not show.
func ghSummary(b *strings.Builder, kind string, total int) {
	noun := map[string]string{"error": "errors", "warning": "warnings", "notice": "notices"}[kind]
	msg := fmt.Sprintf("%d %s in all: GitHub shows %d annotations of each kind per step, so %d are only in this step's log; "+
		"upload --format sarif to code scanning to see every finding",
		total, noun, GitHubAnnotationLimit, total-GitHubAnnotationLimit+1)
	fmt.Fprintf(b, "::%s title=%s::%s\n", kind, ghProp("sbplc: "+noun+" not shown"), ghData(msg))
}

// ghData escapes a workflow command's message.
func ghData(s string) string {
	s = strings.ReplaceAll(s, "%", "%25")
	s = strings.ReplaceAll(s, "\r", "%0D")
	return strings.ReplaceAll(s, "\n", "%0A")
}

// ghProp escapes a workflow command property value.
func ghProp(s string) string {
	s = ghData(s)
	s = strings.ReplaceAll(s, ":", "%3A")
	return strings.ReplaceAll(s, ",", "%2C")
}
