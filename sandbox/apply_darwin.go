//go:build darwin

package sandbox

import (
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/sbplc/sbplc/compile"
)

// Native returns libsandbox's applier: sandbox_apply of the compiled
// profile, through purego (no cgo). The private API (sandbox_compile_*,
// sandbox_apply, struct sandbox_profile) is declared in WebKit's
// SandboxSPI.h; compile/compile_darwin.go binds the compiler the same way.
func Native() Applier { return native{} }

type native struct{}

// sandboxProfile mirrors struct sandbox_profile (24 bytes on LP64):
// builtin name or NULL, the compiled blob and its size.
type sandboxProfile struct {
	builtin unsafe.Pointer
	data    unsafe.Pointer
	size    uintptr
}

type applyLib struct {
	apply  func(profile unsafe.Pointer) int32
	malloc func(n uintptr) unsafe.Pointer
	free   func(p unsafe.Pointer)
	errno  func() *int32 // __error
}

var loadApply = sync.OnceValues(func() (*applyLib, error) {
	h, err := purego.Dlopen(compile.LibsandboxPath, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %v", compile.LibsandboxPath, err)
	}
	c, err := purego.Dlopen("/usr/lib/libSystem.B.dylib", purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		return nil, fmt.Errorf("loading libSystem: %v", err)
	}
	l := &applyLib{}
	for _, f := range []struct {
		fn     any
		handle uintptr
		name   string
	}{
		{&l.apply, h, "sandbox_apply"},
		{&l.malloc, c, "malloc"},
		{&l.free, c, "free"},
		{&l.errno, c, "__error"},
	} {
		if _, err := purego.Dlsym(f.handle, f.name); err != nil {
			return nil, fmt.Errorf("symbol %s not found: %v", f.name, err)
		}
		purego.RegisterLibFunc(f.fn, f.handle, f.name)
	}
	return l, nil
})

// Apply applies the compiled profile to this process, irreversibly.
func (native) Apply(bytecode []byte) error {
	if len(bytecode) == 0 {
		return fmt.Errorf("empty compiled profile")
	}
	l, err := loadApply()
	if err != nil {
		return err
	}
	// The profile and the blob live in C memory for the call; errno is
	// read on the same thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p := l.malloc(unsafe.Sizeof(sandboxProfile{}))
	data := l.malloc(uintptr(len(bytecode)))
	if p == nil || data == nil {
		return fmt.Errorf("out of memory")
	}
	defer l.free(p)
	defer l.free(data)
	copy(unsafe.Slice((*byte)(data), len(bytecode)), bytecode)
	*(*sandboxProfile)(p) = sandboxProfile{data: data, size: uintptr(len(bytecode))}
	if rc := l.apply(p); rc != 0 {
		errno := syscall.Errno(*l.errno())
		if errno == 0 {
			return fmt.Errorf("sandbox_apply returned %d", rc)
		}
		return fmt.Errorf("sandbox_apply: %w", errno)
	}
	return nil
}
