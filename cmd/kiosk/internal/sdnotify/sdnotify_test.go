package sdnotify

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// listen is a fake systemd: a unixgram socket that collects what the kiosk sends.
func listen(t *testing.T, name string) (*net.UnixConn, string) {
	t.Helper()
	addr := name
	if !strings.HasPrefix(name, "@") {
		addr = filepath.Join(t.TempDir(), name)
	}
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, addr
}

func recv(t *testing.T, c *net.UnixConn) []string {
	t.Helper()
	var got []string
	buf := make([]byte, 4096)
	for {
		c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		n, err := c.Read(buf)
		if err != nil {
			return got
		}
		got = append(got, string(buf[:n]))
	}
}

func TestNew(t *testing.T) {
	_, sock := listen(t, "notify.sock")
	tests := []struct {
		name         string
		env          map[string]string
		wantErr      string
		wantEnabled  bool
		wantWatchdog time.Duration
		wantInterval time.Duration
	}{
		{"not under systemd", nil, "", false, 0, time.Second},
		{"notify only", map[string]string{EnvSocket: sock}, "", true, 0, time.Second},
		{"watchdog 30s", map[string]string{EnvSocket: sock, EnvWatchdogUS: "30000000"}, "", true, 30 * time.Second, 7500 * time.Millisecond},
		{"watchdog for this pid", map[string]string{EnvSocket: sock, EnvWatchdogUS: "2000000", EnvWatchdogPID: "42"}, "", true, 2 * time.Second, 500 * time.Millisecond},
		{"watchdog of the compositor that runs the kiosk", map[string]string{EnvSocket: sock, EnvWatchdogUS: "2000000", EnvWatchdogPID: "41"}, "", true, 2 * time.Second, 500 * time.Millisecond},
		{"watchdog of another process (inherited)", map[string]string{EnvSocket: sock, EnvWatchdogUS: "2000000", EnvWatchdogPID: "7"}, "", true, 0, time.Second},
		{"relative socket", map[string]string{EnvSocket: "notify.sock"}, "absolute socket path", false, 0, 0},
		{"bad watchdog", map[string]string{EnvSocket: sock, EnvWatchdogUS: "30s"}, "microseconds", false, 0, 0},
		{"zero watchdog", map[string]string{EnvSocket: sock, EnvWatchdogUS: "0"}, "microseconds", false, 0, 0},
		{"bad watchdog pid", map[string]string{EnvSocket: sock, EnvWatchdogUS: "1000000", EnvWatchdogPID: "x"}, "process id", false, 0, 0},
		{"nobody listening", map[string]string{EnvSocket: filepath.Join(t.TempDir(), "none")}, "notify socket", false, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := New(func(k string) string { return tc.env[k] }, 42, 41)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer n.Close()
			if n.Enabled() != tc.wantEnabled || n.Watchdog() != tc.wantWatchdog || n.BeatInterval() != tc.wantInterval {
				t.Errorf("enabled %v watchdog %v interval %v, want %v %v %v", n.Enabled(), n.Watchdog(), n.BeatInterval(),
					tc.wantEnabled, tc.wantWatchdog, tc.wantInterval)
			}
		})
	}
}

// TestBeat: the first beat says READY=1, each beat WATCHDOG=1 (only with a watchdog),
// Stopping says STOPPING=1; path and abstract sockets both work.
func TestBeat(t *testing.T) {
	tests := []struct {
		name     string
		sock     string
		watchdog string
		want     []string
	}{
		{"path socket with watchdog", "notify.sock", "1000000", []string{"READY=1\nSTATUS=kiosk window running", "WATCHDOG=1", "WATCHDOG=1", "WATCHDOG=1", "STOPPING=1"}},
		{"abstract socket with watchdog", "@dsi-kiosk-sdnotify-test", "1000000", []string{"READY=1\nSTATUS=kiosk window running", "WATCHDOG=1", "WATCHDOG=1", "WATCHDOG=1", "STOPPING=1"}},
		{"no watchdog: ready only", "notify.sock", "", []string{"READY=1\nSTATUS=kiosk window running", "STOPPING=1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, addr := listen(t, tc.sock)
			env := map[string]string{EnvSocket: addr, EnvWatchdogUS: tc.watchdog}
			n, err := New(func(k string) string { return env[k] }, 1, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer n.Close()
			for range 3 {
				n.Beat()
			}
			n.Stopping()
			got := recv(t, l)
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestOutsideSystemd: a kiosk started by hand sends nothing and does not fail.
func TestOutsideSystemd(t *testing.T) {
	n, err := New(func(string) string { return "" }, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	n.Beat()
	n.Stopping()
	if err := n.Notify("READY=1"); err == nil {
		t.Error("Notify outside systemd: want an error")
	}
	if err := n.Close(); err != nil {
		t.Error(err)
	}
}
