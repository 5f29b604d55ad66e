package vpcdtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// vpcd cannot be bound to loopback. Its listening mode (DEVICENAME /dev/null:PORT,
// as Debian's /etc/reader.conf.d/vpcd has it) binds INADDR_ANY: vsmartcard's
// opensock takes no address, so anyone on the LAN could play the card or read the
// APDUs. Its other mode (DEVICENAME host:PORT, vpcd dials the card) aborts pcscd in
// vsmartcard-vpcd 3.3 ("bit out of range 0 - FD_SETSIZE on fd_set").
//
// So the pcscd Start runs gets a network namespace of its own (CLONE_NEWNET): its
// only interface is loopback, and vpcd's INADDR_ANY there is reachable from nowhere
// else. The bridge joins the emulator slot to it: the slot dials the bridge on this
// namespace's loopback, and the bridge dials vpcd from a thread that entered pcscd's
// namespace. pcscd's clients are unaffected: its socket is a file.
type bridge struct {
	port  int // vpcd's port in pcscd's namespace
	slot  net.Listener
	mu    sync.Mutex
	netns int // PID whose network namespace vpcd is in; 0 while pcscd is down
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

func newBridge(port int) (*bridge, error) {
	s, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("vpcd bridge: %w", err)
	}
	b := &bridge{port: port, slot: s, conns: map[net.Conn]bool{}}
	b.wg.Add(1)
	go b.accept()
	return b, nil
}

// SlotAddr is where the emulator slot dials.
func (b *bridge) SlotAddr() string { return b.slot.Addr().String() }

// sameNetns, given to setNetns, says vpcd listens in this process's namespace.
const sameNetns = -1

// setNetns says which process's network namespace vpcd listens in (0: none now,
// sameNetns: ours).
func (b *bridge) setNetns(pid int) {
	b.mu.Lock()
	b.netns = pid
	b.mu.Unlock()
}

func (b *bridge) accept() {
	defer b.wg.Done()
	for {
		card, err := b.slot.Accept()
		if err != nil {
			return
		}
		b.mu.Lock()
		pid := b.netns
		b.mu.Unlock()
		var v net.Conn
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(b.port))
		switch {
		case pid == sameNetns:
			v, err = net.DialTimeout("tcp", addr, 2*time.Second)
		case pid != 0:
			v, err = dialInNetns(pid, addr)
		}
		if v == nil || err != nil {
			card.Close() // pcscd is down: the slot dials again later
			continue
		}
		if !b.track(v, card) {
			return
		}
		b.wg.Add(1)
		go b.join(v, card)
	}
}

func (b *bridge) track(cs ...net.Conn) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.conns == nil { // closed
		for _, c := range cs {
			c.Close()
		}
		return false
	}
	for _, c := range cs {
		b.conns[c] = true
	}
	return true
}

// join copies both ways until either side closes, then closes both: a pulled card
// (the slot drops its connection) is a closed connection for vpcd too, and a pcscd
// that went away one for the slot, which then dials again.
func (b *bridge) join(v, card net.Conn) {
	defer b.wg.Done()
	done := make(chan struct{}, 2)
	cp := func(dst io.Writer, src io.Reader) {
		_, _ = io.CopyBuffer(dst, src, make([]byte, 64<<10))
		done <- struct{}{}
	}
	go cp(v, card)
	go cp(card, quickAcker{v})
	<-done
	v.Close()
	card.Close()
	<-done
	b.mu.Lock()
	delete(b.conns, v)
	delete(b.conns, card)
	b.mu.Unlock()
}

// Close stops listening and closes every connection.
func (b *bridge) Close() error {
	err := b.slot.Close()
	b.mu.Lock()
	for c := range b.conns {
		c.Close()
	}
	b.conns = nil
	b.mu.Unlock()
	b.wg.Wait()
	return err
}

// dialInNetns connects to addr from inside the network namespace of process pid.
// The socket keeps the namespace it was made in; the thread goes back to ours (or,
// if it cannot, is left locked so that Go discards it).
func dialInNetns(pid int, addr string) (net.Conn, error) {
	var conn net.Conn
	err := inNetns(pid, func() error {
		var err error
		d := net.Dialer{Timeout: 2 * time.Second}
		conn, err = d.DialContext(context.Background(), "tcp", addr)
		return err
	})
	return conn, err
}

// inNetns runs f on a thread that joined pid's network namespace.
func inNetns(pid int, f func() error) error {
	runtime.LockOSThread()
	self, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", syscall.Gettid()))
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer self.Close()
	target, err := os.Open(fmt.Sprintf("/proc/%d/ns/net", pid))
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer target.Close()
	if err := setns(target); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("entering pcscd's network namespace: %w", err)
	}
	ferr := f()
	if err := setns(self); err != nil {
		return errors.Join(ferr, fmt.Errorf("leaving pcscd's network namespace: %w", err)) // thread stays locked: discarded
	}
	runtime.UnlockOSThread()
	return ferr
}

func setns(f *os.File) error { return unix.Setns(int(f.Fd()), unix.CLONE_NEWNET) }

// loopbackUp brings up "lo" in pid's network namespace (a new one starts with it down).
func loopbackUp(pid int) error {
	return inNetns(pid, func() error {
		fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer syscall.Close(fd)
		ifr, err := unix.NewIfreq("lo")
		if err != nil {
			return err
		}
		if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
			return fmt.Errorf("lo flags: %w", err)
		}
		ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
		if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
			return fmt.Errorf("lo up: %w", err)
		}
		return nil
	})
}

// quickAcker acknowledges what it reads from vpcd at once. vpcd writes each message
// as two writes (length, then payload) with Nagle's algorithm on, so the payload
// waits for the ACK of the length; delayed ACKs made that ~45 ms per APDU through
// the bridge (100 APDUs: 4.9 s). TCP_QUICKACK is not sticky: set after every read.
type quickAcker struct{ c net.Conn }

func (q quickAcker) Read(p []byte) (int, error) {
	n, err := q.c.Read(p)
	if tc, ok := q.c.(*net.TCPConn); ok {
		if rc, rerr := tc.SyscallConn(); rerr == nil {
			rc.Control(func(fd uintptr) {
				_ = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_QUICKACK, 1)
			})
		}
	}
	return n, err
}
