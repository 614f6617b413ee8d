package compile

import "sync"

// Fake is a Backend for tests and for systems without libsandbox: it
// records requests and returns Blob, or a libsandbox-style error.
type Fake struct {
	// Blob is returned as the compiled profile.
	Blob []byte
	// ErrText, when set, is returned as libsandbox's error message
	// (parsed like the real one, e.g. "unbound variable: x at <input
	// string>, line 3, column 2").
	ErrText string
	// Err, when set, is returned as a non-compile failure.
	Err error

	mu       sync.Mutex
	requests []Request
}

// Name implements Backend.
func (f *Fake) Name() string { return "fake libsandbox" }

// Compile implements Backend.
func (f *Fake) Compile(req Request) (*Result, error) {
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.mu.Unlock()
	if err := req.Params.Validate(); err != nil {
		return nil, err
	}
	if f.Err != nil {
		return nil, f.Err
	}
	if f.ErrText != "" {
		return nil, ParseError(f.ErrText)
	}
	return &Result{Bytecode: append([]byte(nil), f.Blob...)}, nil
}

// Requests returns the requests seen so far.
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.requests...)
}
