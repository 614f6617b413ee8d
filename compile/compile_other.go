//go:build !darwin

package compile

// Native returns the libsandbox backend; libsandbox exists only on macOS.
func Native() (Backend, error) { return nil, ErrUnsupported }
