package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/cmd/kiosk/internal/sdnotify"
)

// TestSystemdNotifier: `kiosk run` takes systemd's variables out of its environment
// (pcscd and lp must not inherit them), and its heartbeat says READY=1 then WATCHDOG=1.
func TestSystemdNotifier(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify.sock")
	l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	t.Setenv(sdnotify.EnvSocket, sock)
	t.Setenv(sdnotify.EnvWatchdogUS, "400000")
	t.Setenv(sdnotify.EnvWatchdogPID, "")
	n := systemdNotifier()
	defer n.Close()
	for _, k := range []string{sdnotify.EnvSocket, sdnotify.EnvWatchdogUS, sdnotify.EnvWatchdogPID} {
		if v, ok := os.LookupEnv(k); ok {
			t.Errorf("%s=%q left in the environment", k, v)
		}
	}
	if !n.Enabled() || n.Watchdog() != 400*time.Millisecond {
		t.Fatalf("enabled %v watchdog %v", n.Enabled(), n.Watchdog())
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	startHeartbeat(ctx, n, func(f func()) { go f() })
	buf := make([]byte, 256)
	var got []string
	for len(got) < 3 {
		l.SetReadDeadline(time.Now().Add(2 * time.Second))
		k, err := l.Read(buf)
		if err != nil {
			t.Fatalf("after %q: %v", got, err)
		}
		got = append(got, string(buf[:k]))
	}
	if got[0] != "READY=1\nSTATUS=kiosk window running" || got[1] != "WATCHDOG=1" || got[2] != "WATCHDOG=1" {
		t.Errorf("got %q", got)
	}
}

// TestSystemdNotifierBadEnv: a broken NOTIFY_SOCKET does not stop the kiosk (systemd
// will restart it for never saying READY=1, and the journal says why).
func TestSystemdNotifierBadEnv(t *testing.T) {
	t.Setenv(sdnotify.EnvSocket, "relative.sock")
	n := systemdNotifier()
	if n.Enabled() {
		t.Error("enabled with a bad socket")
	}
	startHeartbeat(context.Background(), n, func(func()) { t.Error("heartbeat started without systemd") })
}
