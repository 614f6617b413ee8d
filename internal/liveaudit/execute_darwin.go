//go:build darwin

package liveaudit

import (
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"unsafe"

	"github.com/ebitengine/purego"
	"golang.org/x/sys/unix"
)

func cloneFile(src, dst string) Outcome {
	return classify("clonefile", unix.Clonefile(src, dst, unix.CLONE_NOFOLLOW))
}

// libSystem's calls for the mach-lookup and pidinfo attempts.
type machLib struct {
	lookup     func(bp uint32, name *byte, sp *uint32) int32 // bootstrap_look_up
	deallocate func(task, name uint32) int32                 // mach_port_deallocate
	pidinfo    func(pid, flavor int32, arg uint64, buf *byte, size int32) int32
	errno      func() *int32
	bootstrap  uint32
	task       uint32
}

var loadMach = sync.OnceValues(func() (*machLib, error) {
	h, err := purego.Dlopen("/usr/lib/libSystem.B.dylib", purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		return nil, err
	}
	l := &machLib{}
	for _, f := range []struct {
		fn   any
		name string
	}{{&l.lookup, "bootstrap_look_up"}, {&l.deallocate, "mach_port_deallocate"}, {&l.pidinfo, "proc_pidinfo"}, {&l.errno, "__error"}} {
		if _, err := purego.Dlsym(h, f.name); err != nil {
			return nil, err
		}
		purego.RegisterLibFunc(f.fn, h, f.name)
	}
	// bootstrap_port and mach_task_self_ are variables of libSystem.
	for _, v := range []struct {
		dst  *uint32
		name string
	}{{&l.bootstrap, "bootstrap_port"}, {&l.task, "mach_task_self_"}} {
		addr, err := purego.Dlsym(h, v.name)
		if err != nil {
			return nil, err
		}
		*v.dst = **(**uint32)(unsafe.Pointer(&addr))
	}
	return l, nil
})

// Status codes of bootstrap_look_up (bootstrap.h).
const (
	bootstrapNotPrivileged  = 1100
	bootstrapUnknownService = 1102
)

// machLookup looks the service up and releases the send right at once:
// nothing is sent to it.
func machLookup(name string) Outcome {
	l, err := loadMach()
	if err != nil {
		return Outcome{Answer: Inconclusive, Detail: err.Error()}
	}
	cname := append([]byte(name), 0)
	var port uint32
	kr := l.lookup(l.bootstrap, &cname[0], &port)
	runtime.KeepAlive(cname)
	switch kr {
	case 0:
		l.deallocate(l.task, port)
		return Outcome{Answer: Allowed, Detail: "bootstrap_look_up succeeded (the port was released unused)"}
	case bootstrapNotPrivileged:
		return Outcome{Answer: Denied, Detail: "bootstrap_look_up: permission denied (1100)"}
	case bootstrapUnknownService:
		return Outcome{Answer: Inconclusive, Detail: "bootstrap_look_up: unknown service (1102): not running here, or hidden"}
	}
	return Outcome{Answer: Inconclusive, Detail: fmt.Sprintf("bootstrap_look_up: status %d", kr)}
}

// pidinfo reads the parent's BSD info (PROC_PIDTBSDINFO).
func pidinfo(pid int) Outcome {
	l, err := loadMach()
	if err != nil {
		return Outcome{Answer: Inconclusive, Detail: err.Error()}
	}
	const procPIDTBSDInfo, size = 3, 136 // struct proc_bsdinfo
	buf := make([]byte, size)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	n := l.pidinfo(int32(pid), procPIDTBSDInfo, 0, &buf[0], size)
	if n > 0 {
		return Outcome{Answer: Allowed, Detail: "proc_pidinfo succeeded"}
	}
	return classify("proc_pidinfo of the parent", syscall.Errno(*l.errno()))
}

// OSVersion names the running system for model-bug reports.
func OSVersion() string {
	v, err := unix.Sysctl("kern.osproductversion")
	if err != nil {
		return "macOS (version unknown)"
	}
	if b, err := unix.Sysctl("kern.osversion"); err == nil {
		return "macOS " + v + " (" + b + ")"
	}
	return "macOS " + v
}
