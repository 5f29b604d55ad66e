package emulator

import (
	"net"
	"syscall"
)

// quickAck acknowledges received data at once. vpcd sends each message as two
// writes (length, then payload) on a socket with Nagle's algorithm on, so the
// payload waits for the ACK of the length; with delayed ACKs that costs ~40 ms per
// APDU. TCP_QUICKACK is not sticky: it is set again after every read.
func quickAck(c net.Conn) {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
	})
}
