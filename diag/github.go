package diag

import (
	"fmt"
	"io"
	"strings"
)

// WriteGitHub writes diagnostics as GitHub Actions workflow commands
// (::error file=F,line=L,col=C,endLine=..,endColumn=..,title=CODE::MESSAGE),
// which the runner turns into annotations. Info findings become notices.
// File names, codes and messages are escaped as in WriteText, except that
// a line break in a message stays one (%0A).
func WriteGitHub(w io.Writer, ds []Diagnostic) error {
	var b strings.Builder
	for _, d := range ds {
		cmd := "notice"
		switch d.Severity {
		case Error:
			cmd = "error"
		case Warning:
			cmd = "warning"
		}
		var props []string
		if d.Span.IsValid() {
			s, e := d.Span.StartPos(), d.Span.EndPos()
			props = append(props, "file="+ghProp(escapeText(d.Span.File.Name)), fmt.Sprintf("line=%d", s.Line), fmt.Sprintf("col=%d", s.Col))
			if e.Line >= s.Line {
				props = append(props, fmt.Sprintf("endLine=%d", e.Line))
				if e.Line == s.Line {
					props = append(props, fmt.Sprintf("endColumn=%d", e.Col))
				}
			}
		}
		if d.Code != "" {
			props = append(props, "title="+ghProp(escapeText(d.Code)))
		}
		b.WriteString("::")
		b.WriteString(cmd)
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
