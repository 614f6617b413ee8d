package lsp

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
)

// Framing limits. A header line longer than MaxHeaderLine, more than
// MaxHeaders header lines or a body larger than MaxBodySize is a framing
// error: the message is skipped and answered with an error response.
const (
	MaxHeaderLine = 1024
	MaxHeaders    = 32
	// MaxBodySize allows a 16 MiB profile (the parser's limit) even when
	// every byte is JSON-escaped, plus the envelope.
	MaxBodySize = 100 << 20
)

// JSON-RPC 2.0 and LSP error codes.
const (
	CodeParseError           = -32700
	CodeInvalidRequest       = -32600
	CodeMethodNotFound       = -32601
	CodeInvalidParams        = -32602
	CodeInternalError        = -32603
	CodeServerNotInitialized = -32002
	CodeRequestFailed        = -32803
	CodeRequestCancelled     = -32800
)

// ResponseError is a JSON-RPC error object.
type ResponseError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *ResponseError) Error() string { return fmt.Sprintf("%s (code %d)", e.Message, e.Code) }

// errorf builds a ResponseError.
func errorf(code int, format string, args ...any) *ResponseError {
	return &ResponseError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// message is any JSON-RPC message as read from the wire. Fields are raw so
// that validation can report exactly what is wrong.
type message struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id,omitempty"`
	Method  *string         `json:"method,omitempty"`
	Params  json.RawMessage `json:"params,omitempty"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   *ResponseError  `json:"error,omitempty"`
}

// isRequest reports whether the message expects a response.
func (m *message) isRequest() bool { return m.Method != nil && len(m.ID) > 0 }

// outgoing is a message the server writes.
type outgoing struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id,omitempty"`
	Method  string          `json:"method,omitempty"`
	Params  any             `json:"params,omitempty"`
	Result  any             `json:"result,omitempty"`
	Error   *ResponseError  `json:"error,omitempty"`
}

// response is written for a request; Result is always present (null
// included) unless Error is set, as JSON-RPC requires.
type response struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  json.RawMessage `json:"result"`
}

type errorResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Error   *ResponseError  `json:"error"`
}

var nullID = json.RawMessage("null")

// FrameError is a recoverable framing problem: the stream is still in sync
// and the next message can be read.
type FrameError struct{ Msg string }

func (e *FrameError) Error() string { return e.Msg }

// Reader reads Content-Length framed messages.
type Reader struct {
	r       *bufio.Reader
	maxBody int64
}

// NewReader returns a Reader on r that accepts bodies up to MaxBodySize.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, 64<<10), maxBody: MaxBodySize}
}

// readLine reads one header line without its CRLF. Over-long lines are
// consumed and reported.
func (r *Reader) readLine() (string, bool, error) {
	var buf []byte
	tooLong := false
	for {
		frag, err := r.r.ReadSlice('\n')
		if len(buf)+len(frag) > MaxHeaderLine+2 {
			tooLong = true
		} else {
			buf = append(buf, frag...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if err == io.EOF && (len(buf) > 0 || tooLong) {
				return "", false, io.ErrUnexpectedEOF
			}
			return "", false, err
		}
		break
	}
	s := strings.TrimSuffix(strings.TrimSuffix(string(buf), "\n"), "\r")
	return s, tooLong, nil
}

// Read returns the next message body. A *FrameError means that one message
// was malformed and skipped; reading may continue. io.EOF means the stream
// ended cleanly between messages; any other error is fatal.
func (r *Reader) Read() ([]byte, error) {
	var length int64 = -1
	var problem string
	lines := 0
	for {
		line, tooLong, err := r.readLine()
		if err != nil {
			if err == io.EOF && lines > 0 {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		if line == "" && !tooLong {
			if lines == 0 {
				continue // tolerate stray blank lines between messages
			}
			break
		}
		lines++
		if msg := r.header(line, tooLong, lines, &length); msg != "" && problem == "" {
			problem = msg
		}
	}
	if problem == "" && length < 0 {
		problem = "message has no Content-Length header"
	}
	if problem != "" {
		if length > 0 {
			// Skip the body to stay in sync with the stream.
			if _, err := io.CopyN(io.Discard, r.r, length); err != nil {
				return nil, io.ErrUnexpectedEOF
			}
		}
		return nil, &FrameError{Msg: problem}
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(r.r, body); err != nil {
		return nil, io.ErrUnexpectedEOF
	}
	return body, nil
}

// header interprets one header line, recording Content-Length in length.
// It returns a problem description, or "".
func (r *Reader) header(line string, tooLong bool, n int, length *int64) string {
	if tooLong {
		return fmt.Sprintf("header line longer than %d bytes", MaxHeaderLine)
	}
	many := ""
	if n > MaxHeaders {
		// Reported, but Content-Length is still read so the body can be skipped.
		many = fmt.Sprintf("more than %d header lines", MaxHeaders)
	}
	name, value, ok := strings.Cut(line, ":")
	if !ok {
		return fmt.Sprintf("malformed header line %q: want Name: value", clip(line))
	}
	if !strings.EqualFold(strings.TrimSpace(name), "Content-Length") {
		return many // Content-Type and unknown headers are accepted and ignored
	}
	v, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
	if err != nil || v < 0 {
		return fmt.Sprintf("bad Content-Length %q", clip(strings.TrimSpace(value)))
	}
	if *length >= 0 && *length != v {
		return "conflicting Content-Length headers"
	}
	*length = v
	if v > r.maxBody {
		return fmt.Sprintf("message of %d bytes exceeds the limit of %d bytes", v, r.maxBody)
	}
	return many
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// Writer writes Content-Length framed messages; it is safe for concurrent use.
type Writer struct {
	mu sync.Mutex
	w  io.Writer
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write frames and writes one message body.
func (w *Writer) Write(body []byte) error {
	var b bytes.Buffer
	b.Grow(len(body) + 32)
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(body))
	b.Write(body)
	w.mu.Lock()
	defer w.mu.Unlock()
	_, err := w.w.Write(b.Bytes())
	return err
}

// WriteJSON marshals v and writes it.
func (w *Writer) WriteJSON(v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return w.Write(body)
}

// decodeMessage parses and validates one body. On failure it returns the
// error to send and the id to send it with (null when unknown).
func decodeMessage(body []byte) (*message, json.RawMessage, *ResponseError) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		return nil, nullID, errorf(CodeInvalidRequest, "batch messages are not supported by the language server protocol")
	}
	var m message
	if err := json.Unmarshal(body, &m); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) || !json.Valid(body) {
			return nil, nullID, errorf(CodeParseError, "invalid JSON: %v", err)
		}
		// Valid JSON, wrong shape (e.g. "method": 3).
		return nil, idOf(body), errorf(CodeInvalidRequest, "invalid message: %v", err)
	}
	id := m.ID
	if len(id) == 0 {
		id = nullID
	}
	if m.JSONRPC != "2.0" {
		return nil, id, errorf(CodeInvalidRequest, `invalid message: "jsonrpc" must be "2.0"`)
	}
	if len(m.ID) > 0 && !validID(m.ID) {
		return nil, nullID, errorf(CodeInvalidRequest, "invalid message: id must be a number or a string")
	}
	if m.Method == nil && len(m.ID) == 0 {
		return nil, nullID, errorf(CodeInvalidRequest, `invalid message: no "method" and no "id"`)
	}
	return &m, id, nil
}

// idOf extracts a valid id from a body that failed to decode, if any.
func idOf(body []byte) json.RawMessage {
	var probe struct {
		ID json.RawMessage `json:"id"`
	}
	if json.Unmarshal(body, &probe) == nil && validID(probe.ID) {
		return probe.ID
	}
	return nullID
}

func validID(id json.RawMessage) bool {
	if len(id) == 0 {
		return false
	}
	switch id[0] {
	case '"':
		var s string
		return json.Unmarshal(id, &s) == nil
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		var n json.Number
		return json.Unmarshal(id, &n) == nil
	}
	return false
}
