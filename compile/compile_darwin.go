//go:build darwin

package compile

import (
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// LibsandboxPath is the library the native backend loads (it lives in the
// dyld shared cache; dlopen finds it there).
const LibsandboxPath = "/usr/lib/libsandbox.1.dylib"

const libSystemPath = "/usr/lib/libSystem.B.dylib"

// sandboxProfile mirrors struct sandbox_profile (24 bytes on LP64).
type sandboxProfile struct {
	builtin unsafe.Pointer // char *: name of a builtin profile, or NULL
	data    unsafe.Pointer // unsigned char *: compiled blob
	size    uintptr        // size_t
}

type libsandbox struct {
	createParams  func() unsafe.Pointer
	setParam      func(params, key, value unsafe.Pointer) int32
	freeParams    func(params unsafe.Pointer)
	compileString func(sbpl, params unsafe.Pointer, errp *unsafe.Pointer) unsafe.Pointer
	freeProfile   func(profile unsafe.Pointer)
	malloc        func(n uintptr) unsafe.Pointer
	free          func(p unsafe.Pointer)
}

var (
	libOnce sync.Once
	lib     *libsandbox
	libErr  error
	// libMu serialises compilation: libsandbox's compiler keeps global
	// Scheme state.
	libMu sync.Mutex
)

func loadLibsandbox() (*libsandbox, error) {
	libOnce.Do(func() {
		h, err := purego.Dlopen(LibsandboxPath, purego.RTLD_NOW|purego.RTLD_LOCAL)
		if err != nil {
			libErr = fmt.Errorf("loading %s: %v", LibsandboxPath, err)
			return
		}
		c, err := purego.Dlopen(libSystemPath, purego.RTLD_NOW|purego.RTLD_GLOBAL)
		if err != nil {
			libErr = fmt.Errorf("loading %s: %v", libSystemPath, err)
			return
		}
		l := &libsandbox{}
		for _, f := range []struct {
			fn     any
			handle uintptr
			name   string
		}{
			{&l.createParams, h, "sandbox_create_params"},
			{&l.setParam, h, "sandbox_set_param"},
			{&l.freeParams, h, "sandbox_free_params"},
			{&l.compileString, h, "sandbox_compile_string"},
			{&l.freeProfile, h, "sandbox_free_profile"},
			{&l.malloc, c, "malloc"},
			{&l.free, c, "free"},
		} {
			if _, err := purego.Dlsym(f.handle, f.name); err != nil {
				libErr = fmt.Errorf("%s: symbol %s not found: %v", LibsandboxPath, f.name, err)
				return
			}
			purego.RegisterLibFunc(f.fn, f.handle, f.name)
		}
		lib = l
	})
	return lib, libErr
}

// cstring copies s into malloc'd memory with a terminating NUL.
func (l *libsandbox) cstring(s string) unsafe.Pointer {
	p := l.malloc(uintptr(len(s) + 1))
	if p == nil {
		return nil
	}
	b := unsafe.Slice((*byte)(p), len(s)+1)
	copy(b, s)
	b[len(s)] = 0
	return p
}

// gostring copies a NUL-terminated C string (at most max bytes).
func gostring(p unsafe.Pointer, max int) string {
	if p == nil {
		return ""
	}
	n := 0
	for n < max && *(*byte)(unsafe.Add(p, n)) != 0 {
		n++
	}
	return string(unsafe.Slice((*byte)(p), n))
}

type native struct{ l *libsandbox }

// Native returns the libsandbox backend.
func Native() (Backend, error) {
	l, err := loadLibsandbox()
	if err != nil {
		return nil, err
	}
	return native{l}, nil
}

func (native) Name() string { return "libsandbox " + LibsandboxPath }

func (n native) Compile(req Request) (*Result, error) {
	if err := req.Params.Validate(); err != nil {
		return nil, err
	}
	l := n.l
	libMu.Lock()
	defer libMu.Unlock()

	// libsandbox stores the key and value pointers, so they live in C
	// memory until the compile call has returned.
	var owned []unsafe.Pointer
	defer func() {
		for _, p := range owned {
			l.free(p)
		}
	}()
	cstr := func(s string) (unsafe.Pointer, error) {
		p := l.cstring(s)
		if p == nil {
			return nil, fmt.Errorf("out of memory")
		}
		owned = append(owned, p)
		return p, nil
	}
	var params unsafe.Pointer
	if len(req.Params) > 0 {
		params = l.createParams()
		if params == nil {
			return nil, fmt.Errorf("sandbox_create_params failed")
		}
		defer l.freeParams(params)
		for _, p := range req.Params {
			k, err := cstr(p.Key)
			if err != nil {
				return nil, err
			}
			v, err := cstr(p.Value)
			if err != nil {
				return nil, err
			}
			if l.setParam(params, k, v) != 0 {
				return nil, fmt.Errorf("sandbox_set_param(%q) failed", p.Key)
			}
		}
	}
	src, err := cstr(string(req.Source))
	if err != nil {
		return nil, err
	}
	var errp unsafe.Pointer
	prof := l.compileString(src, params, &errp)
	runtime.KeepAlive(owned)
	if prof == nil {
		msg := "sandbox_compile_string failed without a message"
		if errp != nil {
			msg = gostring(errp, 1<<16)
			l.free(errp)
		}
		return nil, ParseError(msg)
	}
	defer l.freeProfile(prof)
	if errp != nil {
		l.free(errp)
	}
	sp := (*sandboxProfile)(prof)
	res := &Result{}
	if sp.builtin != nil {
		res.Builtin = gostring(sp.builtin, 4096)
	}
	if sp.data != nil && sp.size > 0 {
		if sp.size > 1<<30 {
			return nil, fmt.Errorf("libsandbox returned an implausible profile size %d", sp.size)
		}
		res.Bytecode = append([]byte(nil), unsafe.Slice((*byte)(sp.data), int(sp.size))...)
	}
	if res.Bytecode == nil && res.Builtin == "" {
		return nil, fmt.Errorf("libsandbox returned an empty profile")
	}
	return res, nil
}
