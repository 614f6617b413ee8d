package lsp

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func frame(body string) string { return "Content-Length: " + itoa(len(body)) + "\r\n\r\n" + body }

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

// readAll reads messages until EOF, recording bodies and frame errors.
func readAll(t *testing.T, r *Reader) (bodies []string, frameErrs []string, final error) {
	t.Helper()
	for i := 0; i < 100; i++ {
		b, err := r.Read()
		var fe *FrameError
		switch {
		case err == nil:
			bodies = append(bodies, string(b))
		case errors.As(err, &fe):
			frameErrs = append(frameErrs, fe.Msg)
		default:
			return bodies, frameErrs, err
		}
	}
	t.Fatal("reader did not terminate")
	return
}

func TestReaderFraming(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		bodies []string
		errs   []string // substrings of frame errors, in order
		final  error
	}{
		{name: "two messages", in: frame(`{"a":1}`) + frame(`{"b":2}`), bodies: []string{`{"a":1}`, `{"b":2}`}, final: io.EOF},
		{name: "content-type and case", in: "content-length: 2\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{}", bodies: []string{"{}"}, final: io.EOF},
		{name: "bare LF line endings", in: "Content-Length: 2\n\n{}", bodies: []string{"{}"}, final: io.EOF},
		{name: "no content-length", in: "Content-Type: x\r\n\r\n" + frame("{}"), errs: []string{"no Content-Length"}, bodies: []string{"{}"}, final: io.EOF},
		{name: "malformed header", in: "Garbage\r\nContent-Length: 2\r\n\r\n{}" + frame(`[1]`), errs: []string{"malformed header line"}, bodies: []string{"[1]"}, final: io.EOF},
		{name: "negative length", in: "Content-Length: -5\r\n\r\n" + frame("{}"), errs: []string{"bad Content-Length"}, bodies: []string{"{}"}, final: io.EOF},
		{name: "huge line", in: strings.Repeat("X", 5000) + "\r\n\r\n" + frame("{}"), errs: []string{"header line longer"}, bodies: []string{"{}"}, final: io.EOF},
		{name: "too large body is skipped", in: "Content-Length: 40\r\n\r\n" + strings.Repeat("z", 40) + frame("{}"), errs: []string{"exceeds the limit of 32 bytes"}, bodies: []string{"{}"}, final: io.EOF},
		{name: "truncated body", in: "Content-Length: 10\r\n\r\n{}", final: io.ErrUnexpectedEOF},
		{name: "truncated headers", in: "Content-Length: 10\r\n", final: io.ErrUnexpectedEOF},
		{name: "too many headers", in: strings.Repeat("X-A: 1\r\n", 40) + "Content-Length: 2\r\n\r\n{}" + frame("{}"), errs: []string{"more than 32 header lines"}, bodies: []string{"{}"}, final: io.EOF},
		{name: "empty", in: "", final: io.EOF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(strings.NewReader(tc.in))
			r.maxBody = 32
			bodies, errs, final := readAll(t, r)
			if strings.Join(bodies, "|") != strings.Join(tc.bodies, "|") {
				t.Errorf("bodies = %q, want %q", bodies, tc.bodies)
			}
			if len(errs) != len(tc.errs) {
				t.Fatalf("frame errors = %q, want %q", errs, tc.errs)
			}
			for i := range errs {
				if !strings.Contains(errs[i], tc.errs[i]) {
					t.Errorf("frame error %q, want it to contain %q", errs[i], tc.errs[i])
				}
			}
			if !errors.Is(final, tc.final) {
				t.Errorf("final error %v, want %v", final, tc.final)
			}
		})
	}
}

func TestWriterRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	bodies := []string{`{"x":"é😀"}`, `{}`, strings.Repeat("a", 100000)}
	for _, b := range bodies {
		if err := w.Write([]byte(b)); err != nil {
			t.Fatal(err)
		}
	}
	got, errs, final := readAll(t, NewReader(&buf))
	if len(errs) != 0 || final != io.EOF || strings.Join(got, "|") != strings.Join(bodies, "|") {
		t.Fatalf("round trip: %d bodies, errs %q, final %v", len(got), errs, final)
	}
}

func TestDecodeMessage(t *testing.T) {
	tests := []struct {
		body string
		code int // 0 = valid
		id   string
	}{
		{`{"jsonrpc":"2.0","id":1,"method":"x"}`, 0, "1"},
		{`{"jsonrpc":"2.0","id":"a","method":"x"}`, 0, `"a"`},
		{`{"jsonrpc":"2.0","method":"x"}`, 0, "null"},
		{`{"jsonrpc":"2.0","id":1,"result":null}`, 0, "1"},
		{`{not json`, CodeParseError, "null"},
		{``, CodeParseError, "null"},
		{`[{"jsonrpc":"2.0","id":1,"method":"x"}]`, CodeInvalidRequest, "null"},
		{`{"jsonrpc":"1.0","id":7,"method":"x"}`, CodeInvalidRequest, "7"},
		{`{"id":7,"method":"x"}`, CodeInvalidRequest, "7"},
		{`{"jsonrpc":"2.0","id":{"a":1},"method":"x"}`, CodeInvalidRequest, "null"},
		{`{"jsonrpc":"2.0","id":true,"method":"x"}`, CodeInvalidRequest, "null"},
		{`{"jsonrpc":"2.0","id":3,"method":5}`, CodeInvalidRequest, "3"},
		{`{"jsonrpc":"2.0"}`, CodeInvalidRequest, "null"},
		{`"just a string"`, CodeInvalidRequest, "null"},
		{`null`, CodeInvalidRequest, "null"},
	}
	for _, tc := range tests {
		_, id, err := decodeMessage([]byte(tc.body))
		code := 0
		if err != nil {
			code = err.Code
		}
		if code != tc.code || string(id) != tc.id {
			t.Errorf("decode(%s) = code %d id %s, want code %d id %s (err %v)", tc.body, code, id, tc.code, tc.id, err)
		}
	}
}

// FuzzReader checks that framing never panics and always terminates.
func FuzzReader(f *testing.F) {
	f.Add([]byte(frame(`{"jsonrpc":"2.0","id":1,"method":"initialize"}`)))
	f.Add([]byte("Content-Length: 3\r\n\r\nabcContent-Length: x\r\n\r\n"))
	f.Add([]byte("\r\n\r\n\nContent-Length: 99999999999999999999\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data))
		r.maxBody = 1 << 16
		for i := 0; i <= len(data)+1; i++ {
			b, err := r.Read()
			var fe *FrameError
			if err != nil && !errors.As(err, &fe) {
				return
			}
			if len(b) > 1<<16 {
				t.Fatalf("body of %d bytes over the limit", len(b))
			}
		}
		t.Fatalf("reader did not reach the end of %d bytes", len(data))
	})
}
