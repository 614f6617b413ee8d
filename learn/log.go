package learn

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
)

// MaxLine is the longest log line the reader looks at. A longer line is
// skipped (and counted as unparseable) without being held in memory.
const MaxLine = 1 << 20

// maxText bounds the report text kept for examples and listings.
const maxText = 400

// maxSamples bounds the unparseable lines kept for --verbose; the count is
// not bounded.
const maxSamples = 100

// Report is one sandbox report read from a log: a denial, or an allow
// report of a rule with (with report).
type Report struct {
	Line int    // the input line the report starts on (1-based)
	Text string // the payload as logged ("Sandbox: cat(1) deny(1) ..."), cut to 400 bytes
	// Process is the process name as logged ("" when the line names none).
	// The kernel truncates names to 16 or 32 bytes.
	Process string
	PID     int    // -1 when the line names none
	Action  string // "deny" or "allow"
	DenyN   int    // the number in deny(N); 0 when the line has none
	Op      string // the operation as logged (may be a wildcard such as file-write*)
	Target  string // the target as logged; "" when the report names none
	// Count is how many denials the line stands for: 1, or N for an
	// "N duplicate reports for ..." line.
	Count     int
	Duplicate bool
	// Policy is set for "System Policy:" reports: the platform policy, not
	// the process's profile, denied the access; no rule can fix it.
	Policy bool
	// Message is the (with message "...") text the rule attached, logged on
	// the line after the report.
	Message string
	// Style says where the report was found: "ndjson", "json" (log
	// --style json), "sandboxd" (the pre-10.12 daemon), "text" (any other
	// line: log show/stream default, compact and syslog styles, kernel
	// message buffers, pasted payloads).
	Style string
	// Note is set when a structured MetaData record disagrees with the
	// eventMessage payload (the payload is used).
	Note string
}

// Problem is one line the reader could not use.
type Problem struct {
	Line int
	Text string // the line, cut to 400 bytes
	Why  string
}

// Stats count what the reader saw.
type Stats struct {
	Lines       int // physical lines read
	Reports     int // reports yielded (allow and deny, System Policy included)
	Ignored     int // lines that are not sandbox reports (other log rows, headers, JSON structure)
	Unparseable int // lines that look like sandbox reports but could not be read
	// Samples are the first 100 unparseable lines.
	Samples []Problem
}

// Scanner reads reports from a log, one line at a time, detecting each
// line's format. It never fails on content: lines it cannot read are
// counted in Stats. Err reports only read errors of the underlying reader.
type Scanner struct {
	r       *bufio.Reader
	line    int
	pending *Report // the last report: a message line may still follow
	ready   []Report
	cur     Report
	stats   Stats
	err     error
	eof     bool
	// jsonMode is set inside a pretty-printed JSON array (log --style
	// json): its field lines are structure, not free text.
	jsonMode bool
}

// NewScanner returns a Scanner reading r.
func NewScanner(r io.Reader) *Scanner {
	return &Scanner{r: bufio.NewReaderSize(r, 64<<10)}
}

// Stats returns the counts so far.
func (s *Scanner) Stats() Stats { return s.stats }

// Err returns the first read error (nil at a clean end of input).
func (s *Scanner) Err() error { return s.err }

// Report returns the report the last Scan found.
func (s *Scanner) Report() Report { return s.cur }

// Scan advances to the next report. It returns false at the end of the
// input or on a read error.
func (s *Scanner) Scan() bool {
	for len(s.ready) == 0 {
		if s.eof {
			if s.pending != nil {
				s.ready = append(s.ready, *s.pending)
				s.pending = nil
				continue
			}
			return false
		}
		line, tooLong, ok := s.readLine()
		if !ok {
			s.eof = true
			continue
		}
		s.stats.Lines++
		if tooLong {
			s.flush()
			s.problem(line, "line longer than 1 MiB: skipped")
			continue
		}
		s.handle(line)
	}
	s.cur = s.ready[0]
	s.ready = s.ready[1:]
	s.stats.Reports++
	return true
}

func (s *Scanner) flush() {
	if s.pending != nil {
		s.ready = append(s.ready, *s.pending)
		s.pending = nil
	}
}

func (s *Scanner) problem(line, why string) {
	s.stats.Unparseable++
	if len(s.stats.Samples) < maxSamples {
		s.stats.Samples = append(s.stats.Samples, Problem{Line: s.line, Text: cut(line), Why: why})
	}
}

// readLine returns the next line without its line ending. A line longer
// than MaxLine is consumed to its end and returned cut, with tooLong set.
//
// opt: each line is copied into a new string (and the parse allocates per
// line); reusing one buffer would cut reading's time, which is within
// learn's budget as it is (BenchmarkScan100k measures it).
func (s *Scanner) readLine() (line string, tooLong, ok bool) {
	var buf []byte
	for {
		chunk, err := s.r.ReadSlice('\n')
		if len(buf)+len(chunk) > MaxLine {
			if !tooLong && len(buf) < maxText {
				buf = append(buf, chunk[:min(len(chunk), maxText)]...)
			}
			tooLong = true
		} else if !tooLong {
			buf = append(buf, chunk...)
		}
		switch {
		case err == nil:
			s.line++
			return strings.TrimRight(string(buf), "\r\n"), tooLong, true
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(buf) == 0 && !tooLong {
				return "", false, false
			}
			s.line++
			return strings.TrimRight(string(buf), "\r\n"), tooLong, true
		default:
			s.err = err
			return "", false, false
		}
	}
}

// handle classifies one line.
func (s *Scanner) handle(line string) {
	trim := strings.TrimSpace(line)
	// A (with message ...) tag arrives as its own line right after the
	// report in the text styles (denial-logs.md §2.5).
	if s.pending != nil && s.pending.Style == "text" && s.pending.Message == "" && isMessageLine(line) {
		s.pending.Message = cut(trim)
		s.stats.Ignored++
		return
	}
	s.flush()
	switch {
	case trim == "":
		s.stats.Ignored++
		return
	case strings.HasPrefix(trim, "{") && strings.HasSuffix(trim, "}") || strings.HasPrefix(trim, `{"`):
		s.jsonObject(line, trim)
		return
	case trim == "[{" || trim == "},{" || trim == "}]" || line == "[" || line == "]":
		// The top level of log --style json: [{ ... },{ ... }].
		s.jsonMode = trim != "}]" && line != "]"
		s.stats.Ignored++
		return
	case strings.HasPrefix(trim, "Filtering the log data using") || strings.HasPrefix(trim, "Timestamp "):
		s.stats.Ignored++ // the log command's own header lines
		return
	}
	if s.jsonMode || strings.HasPrefix(trim, `"`) {
		if k, v, ok := jsonField(trim); ok {
			if k == "eventMessage" {
				s.eventMessage(line, v, "json", nil)
			} else {
				s.stats.Ignored++
			}
			return
		}
		if s.jsonMode && isJSONStructure(trim) {
			s.stats.Ignored++
			return
		}
	}
	r, ok, why := parseText(trim)
	if ok {
		r.Line = s.line
		s.pending = &r
		return
	}
	if why != "" {
		s.problem(line, why)
		return
	}
	s.stats.Ignored++
}

// jsonObject reads one ndjson row.
func (s *Scanner) jsonObject(line, trim string) {
	var row struct {
		EventMessage *string         `json:"eventMessage"`
		MetaData     json.RawMessage `json:"MetaData"`
		Finished     *int            `json:"finished"`
	}
	if err := json.Unmarshal([]byte(trim), &row); err != nil {
		if looksLikeReport(trim) {
			s.problem(line, "malformed JSON row: "+err.Error())
		} else {
			s.stats.Ignored++
		}
		return
	}
	if row.EventMessage == nil {
		s.stats.Ignored++ // the {"count":N,"finished":1} trailer, other records
		return
	}
	s.eventMessage(line, *row.EventMessage, "ndjson", row.MetaData)
}

// eventMessage reads the eventMessage of a JSON record: the payload, then
// (after a newline) the rule's message. A structured MetaData object, seen
// only in one tool's test data (denial-logs.md §2.6), is cross-checked
// against the payload, and used when the payload cannot be read.
func (s *Scanner) eventMessage(line, msg, style string, meta json.RawMessage) {
	payload, message, _ := strings.Cut(msg, "\n")
	r, ok, why := parseText(strings.TrimSpace(payload))
	md, hasMeta := metaData(meta)
	switch {
	case ok && hasMeta && (md.Op != r.Op || md.Target != "" && md.Target != r.Target):
		r.Note = "the MetaData record says " + strings.TrimSpace(md.Op+" "+md.Target) + "; the eventMessage payload is used"
	case !ok && hasMeta:
		r = Report{Process: "", PID: md.PID, Action: "deny", Op: md.Op, Target: md.Target, Count: 1, Text: cut("MetaData " + md.Op + " " + md.Target)}
		ok = true
	}
	if !ok {
		if why == "" {
			s.stats.Ignored++ // "Sandbox apply: ..." and other kernel messages
			return
		}
		s.problem(line, why)
		return
	}
	r.Line, r.Style = s.line, style
	r.Message = cut(strings.TrimSpace(message))
	s.ready = append(s.ready, r)
}

type meta struct {
	Op, Target string
	PID        int
}

func metaData(raw json.RawMessage) (meta, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return meta{}, false
	}
	var m struct {
		Operation string `json:"operation"`
		Target    string `json:"target"`
		Path      string `json:"path"`
		PID       *int   `json:"pid"`
	}
	if err := json.Unmarshal(raw, &m); err != nil || m.Operation == "" || !isOpToken(m.Operation) {
		return meta{}, false
	}
	out := meta{Op: m.Operation, Target: m.Target, PID: -1}
	if out.Target == "" {
		out.Target = m.Path
	}
	if m.PID != nil {
		out.PID = *m.PID
	}
	return out, true
}

// jsonField splits a pretty-printed JSON field line `"key" : value,`. For
// a string value, v is the decoded string.
func jsonField(s string) (k, v string, ok bool) {
	if !strings.HasPrefix(s, `"`) {
		return "", "", false
	}
	end := strings.Index(s[1:], `"`)
	if end < 0 {
		return "", "", false
	}
	k = s[1 : end+1]
	rest := strings.TrimSpace(s[end+2:])
	rest, ok = strings.CutPrefix(rest, ":")
	if !ok {
		return "", "", false
	}
	rest = strings.TrimSuffix(strings.TrimSpace(rest), ",")
	if strings.HasPrefix(rest, `"`) {
		if err := json.Unmarshal([]byte(rest), &v); err != nil {
			return k, "", k != "eventMessage"
		}
	}
	return k, v, true
}

// isJSONStructure reports whether s is a line of a pretty-printed JSON
// document that carries no field of its own: braces and brackets.
func isJSONStructure(s string) bool {
	return strings.Trim(s, "{}[], ") == ""
}

// isMessageLine reports whether line, following a text report, is the
// rule's (with message ...) text: a line that does not start a log row
// (no timestamp, no header, no JSON) and is not itself a report.
func isMessageLine(line string) bool {
	t := strings.TrimSpace(line)
	if t == "" || line[0] == ' ' || line[0] == '\t' || looksLikeReport(t) || startsRow(t) {
		return false
	}
	switch t[0] {
	case '{', '[', '}', ']', '"', '<', '#', ';':
		return false
	}
	return true
}

// startsRow reports whether s starts like a log row: a timestamp (2023-05-26
// ..., Jul  1 09:29:02 ...), a log header, or a bracketed prefix.
func startsRow(s string) bool {
	if s[0] >= '0' && s[0] <= '9' {
		return true
	}
	if len(s) > 4 && s[3] == ' ' && isMonth(s[:3]) {
		return true
	}
	for _, h := range []string{"Filtering the log data", "Timestamp ", "Process:", "Path:", "---", "==="} {
		if strings.HasPrefix(s, h) {
			return true
		}
	}
	return false
}

func isMonth(s string) bool {
	return strings.Contains("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec", s) && len(s) == 3 && s[0] >= 'A' && s[0] <= 'Z'
}

// looksLikeReport reports whether a line that could not be read is worth
// counting as unparseable: it mentions the sandbox and a decision.
func looksLikeReport(s string) bool {
	sandbox := strings.Contains(s, "Sandbox") || strings.Contains(s, "sandboxd") || strings.Contains(s, "System Policy")
	return sandbox && (strings.Contains(s, "deny") || strings.Contains(s, "duplicate report"))
}

// parseText reads a report from a text line: the payload anywhere in it,
// after whatever timestamp, process and sender columns the log style adds.
// ok is false when the line holds no report; why is then non-empty when the
// line looks like one (it is counted as unparseable).
//
// The payload grammar (denial-logs.md §2):
//
//	[N duplicate report[s] for ] [Sandbox: ] [System Policy: ] [NAME(PID) ]
//	    [System Policy: ] deny(N)|deny|allow OPERATION [TARGET]
//
// NAME may hold spaces and parentheses: the pid is the last (digits) before
// the decision. The pre-10.12 daemon writes `sandboxd[PID] ([VICTIM]): NAME(PID)
// deny OPERATION TARGET`, with no (N) after deny.
func parseText(s string) (Report, bool, string) {
	r := Report{PID: -1, Count: 1, Style: "text"}
	act, opStart, ok := findDecision(s)
	if !ok {
		if looksLikeReport(s) && !knownNonDenial(s) {
			return r, false, "no decision (deny OPERATION) found after the Sandbox marker"
		}
		return r, false, ""
	}
	head := strings.TrimRight(s[:act.start], " ")
	r.Action, r.DenyN = act.word, act.n
	rest := s[opStart:]
	op, target, _ := strings.Cut(rest, " ")
	r.Op = op
	r.Target = strings.TrimRight(target, " \t")
	marker := false
	if i := strings.Index(head, "duplicate report"); i >= 0 {
		n, after, ok := duplicateCount(head, i)
		if !ok {
			return r, false, "duplicate report without a count"
		}
		r.Count, r.Duplicate, marker = n, true, true
		head = strings.TrimLeft(head[after:], " ")
	}
	if i := strings.LastIndex(head, "Sandbox: "); i >= 0 {
		head, marker = head[i+len("Sandbox: "):], true
	} else if strings.HasSuffix(head, "Sandbox:") {
		head, marker = "", true
	}
	if i := strings.Index(head, "System Policy:"); i >= 0 {
		r.Policy, marker = true, true
		before, after := strings.TrimSpace(head[:i]), strings.TrimSpace(head[i+len("System Policy:"):])
		switch _, _, named := splitPID(before); {
		case after != "":
			head = after
		case named:
			head = before
		default:
			head = "" // "Violation:  System Policy: deny(1) ..." names no process
		}
	}
	if i := strings.Index(head, "sandboxd["); i >= 0 {
		if j := strings.Index(head[i:], ": "); j >= 0 {
			head, marker = head[i+j+2:], true
			r.Style = "sandboxd"
		}
	}
	// Without a marker the head may still carry columns: keep what follows
	// the last ": " (a syslog "process[pid]: " column).
	if !marker {
		if i := strings.LastIndex(head, ": "); i >= 0 {
			head = head[i+2:]
		}
	}
	head = strings.TrimSpace(head)
	if name, pid, ok := splitPID(head); ok {
		r.Process, r.PID = name, pid
	} else {
		r.Process = head
	}
	// A line with no sandbox marker is a report only when it has the
	// NAME(PID) shape the kernel and sandboxd write; anything else that
	// says "deny" (a firewall, an application) is not ours.
	if !marker && (r.PID < 0 || r.Process == "") {
		return r, false, ""
	}
	if act.word == "deny" && act.n < 0 && r.PID < 0 {
		return r, false, "deny without (N) needs the sandboxd NAME(PID) form"
	}
	if !isOpToken(r.Op) {
		return r, false, "operation name " + strconv.Quote(r.Op) + " is not an SBPL operation token"
	}
	if r.DenyN < 0 {
		r.DenyN = 0
	}
	r.Text = cut(strings.TrimSpace(s[payloadStart(s, head, act.start):]))
	return r, true, ""
}

// payloadStart returns where the payload text begins in s, for listings:
// at "N duplicate", "Sandbox:", "System Policy:" or the process name.
func payloadStart(s, head string, act int) int {
	best := act - len(head)
	for _, m := range []string{"duplicate report", "Sandbox: ", "System Policy:"} {
		if i := strings.Index(s[:act], m); i >= 0 && i < best {
			best = i
			if m == "duplicate report" {
				for best > 0 && (s[best-1] == ' ' || s[best-1] >= '0' && s[best-1] <= '9') {
					best--
				}
			}
		}
	}
	return max(best, 0)
}

// knownNonDenial reports the kernel's other Sandbox messages, which are
// not reports (denial-logs.md §1).
func knownNonDenial(s string) bool {
	for _, m := range []string{"Sandbox apply:", "hook..", "failed sandbox in process", "failed to assign builtin profile"} {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

type decision struct {
	start int    // index of the decision word
	word  string // deny or allow
	n     int    // the (N) number, -1 when absent
}

// findDecision finds the first "deny(N) OP", "deny OP" or "allow OP" in s
// whose OP is an operation token, preceded by the start of s, a space or a
// closing parenthesis.
func findDecision(s string) (decision, int, bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != 'd' && c != 'a' {
			continue
		}
		if i > 0 && s[i-1] != ' ' && s[i-1] != '\t' {
			continue
		}
		var word string
		switch {
		case strings.HasPrefix(s[i:], "deny"):
			word = "deny"
		case strings.HasPrefix(s[i:], "allow"):
			word = "allow"
		default:
			continue
		}
		j := i + len(word)
		n := -1
		if j < len(s) && s[j] == '(' {
			// (N) is a few digits: look no further, so that a line of
			// "deny(deny(deny(..." stays linear.
			k := strings.IndexByte(s[j:min(len(s), j+12)], ')')
			if k < 0 {
				continue
			}
			v, err := strconv.Atoi(s[j+1 : j+k])
			if err != nil || v < 0 {
				continue
			}
			n, j = v, j+k+1
		}
		if j >= len(s) || s[j] != ' ' {
			continue
		}
		j++
		end := strings.IndexByte(s[j:], ' ')
		if end < 0 {
			end = len(s) - j
		}
		if !isOpToken(s[j : j+end]) {
			continue
		}
		return decision{start: i, word: word, n: n}, j, true
	}
	return decision{}, 0, false
}

// duplicateCount reads "N duplicate report(s) for" ending at head[i:],
// returning N and the index after "for ".
func duplicateCount(head string, i int) (int, int, bool) {
	j := i
	for j > 0 && head[j-1] == ' ' {
		j--
	}
	k := j
	for k > 0 && head[k-1] >= '0' && head[k-1] <= '9' {
		k--
	}
	n, err := strconv.Atoi(head[k:j])
	if err != nil || n < 1 {
		return 0, 0, false
	}
	rest := head[i+len("duplicate report"):]
	rest = strings.TrimPrefix(rest, "s")
	rest, ok := strings.CutPrefix(rest, " for")
	if !ok {
		return 0, 0, false
	}
	return n, len(head) - len(rest), true
}

// splitPID splits "NAME(PID)" at the last parenthesised number.
func splitPID(s string) (string, int, bool) {
	if !strings.HasSuffix(s, ")") {
		return "", 0, false
	}
	i := strings.LastIndexByte(s, '(')
	if i < 0 {
		return "", 0, false
	}
	pid, err := strconv.Atoi(s[i+1 : len(s)-1])
	if err != nil || pid < 0 {
		return "", 0, false
	}
	return strings.TrimSpace(s[:i]), pid, true
}

// isOpToken reports whether s has the shape of an SBPL operation name:
// lower-case letters, digits and hyphens, optionally ending in "*".
func isOpToken(s string) bool {
	s = strings.TrimSuffix(s, "*")
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return !strings.HasSuffix(s, "-")
}

func cut(s string) string {
	if len(s) <= maxText {
		return s
	}
	b := []byte(s[:maxText])
	// Do not split a UTF-8 sequence.
	for len(b) > 0 && b[len(b)-1]&0xC0 == 0x80 {
		b = b[:len(b)-1]
	}
	if len(b) > 0 && b[len(b)-1] >= 0xC0 {
		b = b[:len(b)-1]
	}
	return string(bytes.TrimRight(b, " ")) + "..."
}
