// Package sdnotify speaks systemd's notify protocol (sd_notify(3)) for `kiosk run`:
// READY=1 once the window's goroutine is running, WATCHDOG=1 from the UI's heartbeat,
// STOPPING=1 on the way out. The pings come only from the heartbeat, which runs on
// Fyne's goroutine (app.Heartbeat), so a kiosk whose screen froze stops pinging and
// systemd (WatchdogSec= in packaging/systemd/dsi-kiosk.service) kills and restarts it,
// where a ticker of its own would have kept a frozen kiosk "alive".
//
// It is the few lines of the protocol written out (a datagram to $NOTIFY_SOCKET), not
// a library: nothing else of systemd is needed.
package sdnotify

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"
)

// Environment variables systemd sets for a Type=notify service.
const (
	EnvSocket      = "NOTIFY_SOCKET"
	EnvWatchdogUS  = "WATCHDOG_USEC"
	EnvWatchdogPID = "WATCHDOG_PID"
)

// Notifier sends state changes to systemd. The zero of a Notifier made by New outside
// systemd (no NOTIFY_SOCKET) is valid and sends nothing.
type Notifier struct {
	mu       sync.Mutex
	conn     *net.UnixConn // nil: not started by systemd
	watchdog time.Duration // 0: no watchdog asked for
	ready    bool
	failed   bool // a send failed once: logged once, not on every beat
}

// New reads systemd's variables through getenv (os.Getenv in the kiosk). pid and ppid
// are this process's and its parent's ids: the watchdog is ours when WATCHDOG_PID names
// either (the parent is the kiosk compositor, `cage -- kiosk run`, which systemd
// started as the service's main process and which runs the kiosk as its child; the
// unit's NotifyAccess=all lets the child's pings count). Any other WATCHDOG_PID was
// inherited from further up and is not ours. A malformed variable is an error: systemd never
// writes one, so it is a unit file or a hand-made environment to fix.
func New(getenv func(string) string, pid, ppid int) (*Notifier, error) {
	n := &Notifier{}
	sock := getenv(EnvSocket)
	if sock == "" {
		return n, nil
	}
	if sock[0] != '/' && sock[0] != '@' {
		return nil, fmt.Errorf("%s=%q: an absolute socket path or @abstract name", EnvSocket, sock)
	}
	if us := getenv(EnvWatchdogUS); us != "" {
		v, err := strconv.ParseUint(us, 10, 63)
		if err != nil || v == 0 {
			return nil, fmt.Errorf("%s=%q: a positive number of microseconds", EnvWatchdogUS, us)
		}
		n.watchdog = time.Duration(v) * time.Microsecond
		if wp := getenv(EnvWatchdogPID); wp != "" {
			p, err := strconv.Atoi(wp)
			if err != nil || p <= 0 {
				return nil, fmt.Errorf("%s=%q: a process id", EnvWatchdogPID, wp)
			}
			if p != pid && p != ppid {
				n.watchdog = 0
			}
		}
	}
	// Go maps a leading '@' to Linux's abstract namespace, as systemd means it.
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("systemd notify socket: %w", err)
	}
	n.conn = conn
	return n, nil
}

// Enabled reports whether systemd is listening.
func (n *Notifier) Enabled() bool { return n != nil && n.conn != nil }

// Watchdog is systemd's WatchdogSec (0: none).
func (n *Notifier) Watchdog() time.Duration {
	if n == nil || n.conn == nil {
		return 0
	}
	return n.watchdog
}

// BeatInterval is how often the UI should beat: a quarter of WatchdogSec, so that one
// late beat (a long frame, a GC pause) is not a restart, while a UI stuck for the whole
// WatchdogSec is. Without a watchdog one beat a second still says READY=1 promptly.
func (n *Notifier) BeatInterval() time.Duration {
	if w := n.Watchdog(); w > 0 {
		return max(w/4, 10*time.Millisecond)
	}
	return time.Second
}

// Beat is the UI's heartbeat (call it on the UI goroutine): the first beat says
// READY=1, every beat WATCHDOG=1 when systemd watches.
func (n *Notifier) Beat() {
	if !n.Enabled() {
		return
	}
	n.mu.Lock()
	first := !n.ready
	n.ready = true
	n.mu.Unlock()
	if first {
		n.send("READY=1\nSTATUS=kiosk window running")
	}
	if n.watchdog > 0 {
		n.send("WATCHDOG=1")
	}
}

// Stopping tells systemd the kiosk is shutting down on purpose.
func (n *Notifier) Stopping() {
	if n.Enabled() {
		n.send("STOPPING=1")
	}
}

// Notify sends one message (newline-separated VAR=value lines).
func (n *Notifier) Notify(state string) error {
	if !n.Enabled() {
		return errors.New("not started by systemd")
	}
	// A datagram socket never blocks the UI for long: the deadline bounds a full queue.
	n.conn.SetWriteDeadline(time.Now().Add(time.Second))
	_, err := n.conn.Write([]byte(state))
	return err
}

func (n *Notifier) send(state string) {
	err := n.Notify(state)
	n.mu.Lock()
	defer n.mu.Unlock()
	switch {
	case err != nil && !n.failed:
		n.failed = true
		slog.Warn("systemd notify", "error", err)
	case err == nil && n.failed:
		n.failed = false
		slog.Info("systemd notify: sending again")
	}
}

// Close closes the socket.
func (n *Notifier) Close() error {
	if !n.Enabled() {
		return nil
	}
	return n.conn.Close()
}
