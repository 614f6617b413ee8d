//go:build unix

package liveaudit

import (
	"errors"
	"net"
	"os"
	"strconv"
	"syscall"
)

// Execute performs one attempt in this process (the sandboxed child
// stage) and says what it showed. Seatbelt refuses with EPERM; inside the
// scratch directory, which this process owns, nothing else gives EPERM
// for the file attempts. Errors that come from past the sandbox's check
// (ENOTEMPTY for rmdir, an unreachable network for a connect) mean
// allowed; anything else is inconclusive.
func Execute(a Attempt) Outcome {
	const ro, nb, nf = syscall.O_RDONLY, syscall.O_NONBLOCK, syscall.O_NOFOLLOW
	switch a.Kind {
	case KindOpenRead:
		return classify("open", closeFD(syscall.Open(a.Path, ro|nb|nf|syscall.O_CLOEXEC, 0)))
	case KindOpenWrite:
		return classify("open for writing", closeFD(syscall.Open(a.Path, syscall.O_WRONLY|nb|nf|syscall.O_CLOEXEC, 0)))
	case KindCreate:
		return classify("create", closeFD(syscall.Open(a.Path, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|nf|syscall.O_CLOEXEC, 0o600)))
	case KindMkdir:
		return classify("mkdir", syscall.Mkdir(a.Path, 0o700))
	case KindUnlink:
		return classify("unlink", syscall.Unlink(a.Path))
	case KindRmdir:
		// The directory is not empty: the kernel refuses only after the
		// sandbox let the request through.
		return classify("rmdir", syscall.Rmdir(a.Path), syscall.ENOTEMPTY, syscall.EEXIST)
	case KindLink:
		return classify("link", syscall.Link(a.Path, a.Dest))
	case KindClone:
		return cloneFile(a.Path, a.Dest)
	case KindConnectTCP, KindConnectUDP:
		return connectIP(a)
	case KindConnectUnx:
		return connectUnix(a.Path)
	case KindBind, KindListen:
		return bindIP(a)
	case KindSignal:
		return classify("kill SIGCONT of the parent", syscall.Kill(os.Getppid(), syscall.SIGCONT))
	case KindPidinfo:
		return pidinfo(os.Getppid())
	case KindMachLookup:
		return machLookup(a.Name)
	}
	return Outcome{Answer: Inconclusive, Detail: "unknown attempt " + a.Kind}
}

func closeFD(fd int, err error) error {
	if err == nil {
		syscall.Close(fd)
	}
	return err
}

// classify words the result of a system call; past are errors that come
// from past the sandbox's check.
func classify(what string, err error, past ...syscall.Errno) Outcome {
	if err == nil {
		return Outcome{Answer: Allowed, Detail: what + " succeeded"}
	}
	var e syscall.Errno
	if !errors.As(err, &e) {
		return Outcome{Answer: Inconclusive, Detail: what + ": " + err.Error()}
	}
	if e == syscall.EPERM {
		return Outcome{Answer: Denied, Detail: what + ": " + e.Error()}
	}
	for _, p := range past {
		if e == p {
			return Outcome{Answer: Allowed, Detail: what + ": " + e.Error() + " (past the sandbox's check)"}
		}
	}
	return Outcome{Answer: Inconclusive, Detail: what + ": " + e.Error()}
}

func sockaddr(addr string) (syscall.Sockaddr, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ip := net.ParseIP(host).To4()
	n, err := strconv.Atoi(port)
	if ip == nil || err != nil {
		return nil, errors.New("bad address " + addr)
	}
	sa := &syscall.SockaddrInet4{Port: n}
	copy(sa.Addr[:], ip)
	return sa, nil
}

// connectIP connects without waiting and closes at once: nothing is sent
// (a TCP connect that gets through sends its SYN to an address that does
// not answer, or to localhost).
func connectIP(a Attempt) Outcome {
	sa, err := sockaddr(a.Addr)
	if err != nil {
		return Outcome{Answer: Inconclusive, Detail: err.Error()}
	}
	typ := syscall.SOCK_STREAM
	if a.Kind == KindConnectUDP {
		typ = syscall.SOCK_DGRAM
	}
	fd, err := syscall.Socket(syscall.AF_INET, typ, 0)
	if err != nil {
		return classify("socket", err)
	}
	defer syscall.Close(fd)
	if err := syscall.SetNonblock(fd, true); err != nil {
		return classify("socket", err)
	}
	return classify("connect "+a.Addr, syscall.Connect(fd, sa), syscall.EINPROGRESS, syscall.ECONNREFUSED,
		syscall.ENETUNREACH, syscall.EHOSTUNREACH, syscall.ETIMEDOUT, syscall.EADDRNOTAVAIL)
}

func connectUnix(path string) Outcome {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		return classify("socket", err)
	}
	defer syscall.Close(fd)
	return classify("connect "+path, syscall.Connect(fd, &syscall.SockaddrUnix{Name: path}))
}

// bindIP binds (and for KindListen listens) and closes at once.
func bindIP(a Attempt) Outcome {
	sa, err := sockaddr(a.Addr)
	if err != nil {
		return Outcome{Answer: Inconclusive, Detail: err.Error()}
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		return classify("socket", err)
	}
	defer syscall.Close(fd)
	err = syscall.Bind(fd, sa)
	if a.Kind == KindBind {
		return classify("bind "+a.Addr, err, syscall.EADDRINUSE)
	}
	if err != nil {
		o := classify("bind "+a.Addr, err)
		return Outcome{Answer: Inconclusive, Detail: o.Detail + ", so listen was not reached"}
	}
	return classify("listen on "+a.Addr, syscall.Listen(fd, 1))
}
