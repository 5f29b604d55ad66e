package sdnotify

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"

	kioskapp "github.com/macau-dsi/kiosk/app"
)

// childEnv makes the test binary the harness's kiosk: a real Fyne window (GLFW under
// Xvfb) fed to systemd exactly as `kiosk run` does it (app.Heartbeat on Fyne's
// goroutine calling Notifier.Beat), that freezes its UI goroutine on SIGUSR1.
const childEnv = "DSI_KIOSK_WATCHDOG_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(watchdogChild())
	}
	os.Exit(m.Run())
}

func watchdogChild() int {
	n, err := New(os.Getenv, os.Getpid(), os.Getppid())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer n.Close()
	a := fyneapp.NewWithID("mo.gov.dsi.kiosk.watchdogtest")
	w := a.NewWindow("kiosk")
	w.SetContent(widget.NewLabel("kiosk"))
	w.Resize(fyne.NewSize(640, 480))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	freeze := make(chan os.Signal, 1)
	signal.Notify(freeze, syscall.SIGUSR1)
	go func() {
		<-freeze
		// A draw that never returns: the process lives, the screen is dead.
		fyne.Do(func() { time.Sleep(time.Hour) })
	}()
	go func() { <-ctx.Done(); fyne.Do(a.Quit) }()
	go kioskapp.Heartbeat(ctx, n.BeatInterval(), nil, n.Beat)
	w.ShowAndRun()
	n.Stopping()
	return 0
}

// datagram is one message from the kiosk and when it came.
type datagram struct {
	at  time.Time
	msg string
}

// TestWatchdogRestartsFrozenUI plays systemd for the kiosk: Type=notify with
// WatchdogSec=2s over a real unixgram NOTIFY_SOCKET, and Restart=always. The kiosk
// says READY=1 and pings; its UI goroutine is frozen; the pings stop although the
// process is alive; the fake systemd sends SIGABRT (WatchdogSignal's default) when
// WatchdogSec passes without a ping, and starts it again; the new kiosk says READY=1
// and pings, and stops cleanly with STOPPING=1 on SIGTERM.
func TestWatchdogRestartsFrozenUI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Xvfb and two kiosk windows")
	}
	xvfb, err := exec.LookPath("Xvfb")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("Xvfb is not installed (packaging/setup-debian.sh installs it)")
		}
		t.Skip("Xvfb is not installed (packaging/setup-debian.sh installs it)")
	}
	dir := t.TempDir()
	display := startXvfb(t, xvfb, filepath.Join(dir, "xvfb.log"))
	const watchdog = 2 * time.Second

	sock := filepath.Join(dir, "notify.sock")
	l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	msgs := make(chan datagram, 1024)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := l.Read(buf)
			if err != nil {
				close(msgs)
				return
			}
			msgs <- datagram{time.Now(), string(buf[:n])}
		}
	}()
	// next waits for a message containing want, or fails after d.
	next := func(want string, d time.Duration) datagram {
		t.Helper()
		deadline := time.After(d)
		for {
			select {
			case m := <-msgs:
				if strings.Contains(m.msg, want) {
					return m
				}
			case <-deadline:
				t.Fatalf("no %s within %v", want, d)
			}
		}
	}

	start := func(run int) (*exec.Cmd, chan error) {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"=1", "DISPLAY="+display,
			EnvSocket+"="+sock, EnvWatchdogUS+"="+strconv.FormatInt(watchdog.Microseconds(), 10))
		logf, err := os.Create(filepath.Join(dir, fmt.Sprintf("kiosk-%d.log", run)))
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// done gets the exit once; gone closes then, for the cleanup to wait on.
		done, gone := make(chan error, 1), make(chan struct{})
		go func() { done <- cmd.Wait(); logf.Close(); close(gone) }()
		t.Cleanup(func() { cmd.Process.Kill(); <-gone })
		return cmd, done
	}

	// Run 1: READY=1, then pings over more than WatchdogSec (a live UI is never killed).
	started := time.Now()
	kiosk, exited := start(1)
	ready := next("READY=1", 60*time.Second)
	t.Logf("run 1: READY=1 %v after start", ready.at.Sub(started).Round(time.Millisecond))
	var pings []time.Time
	for time.Since(ready.at) < watchdog+time.Second {
		pings = append(pings, next("WATCHDOG=1", watchdog).at)
	}
	intervals := make([]time.Duration, 0, len(pings))
	for i := 1; i < len(pings); i++ {
		intervals = append(intervals, pings[i].Sub(pings[i-1]))
	}
	slices.Sort(intervals)
	median, longest := intervals[len(intervals)/2], intervals[len(intervals)-1]
	t.Logf("run 1: %d pings, interval median %v, longest %v (WatchdogSec %v)", len(pings), median.Round(time.Millisecond), longest.Round(time.Millisecond), watchdog)
	if median < watchdog/8 || median > watchdog/2 || longest >= watchdog {
		t.Errorf("ping interval median %v longest %v: want about WatchdogSec/4 and never WatchdogSec", median, longest)
	}

	// Freeze the UI goroutine; play systemd's watchdog until it fires.
	if err := kiosk.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	frozen := time.Now()
	last := pings[len(pings)-1]
	var killed time.Time
	lateBeats := 0
	giveUp := time.After(3 * watchdog)
	for killed.IsZero() {
		select {
		case <-giveUp:
			t.Fatalf("the kiosk kept pinging %v after its UI froze (%d late pings): systemd would never restart it", 3*watchdog, lateBeats)
		case m := <-msgs:
			if strings.Contains(m.msg, "WATCHDOG=1") {
				last = m.at
				if m.at.Sub(frozen) > 100*time.Millisecond {
					lateBeats++ // at most one already on its way when the UI froze
				}
			}
		case err := <-exited:
			t.Fatalf("the frozen kiosk exited by itself (%v): the test needs it alive", err)
		case <-time.After(time.Until(last.Add(watchdog))):
			killed = time.Now()
			kiosk.Process.Signal(syscall.SIGABRT)
		}
	}
	if lateBeats > 0 {
		t.Errorf("%d WATCHDOG=1 after the UI froze: the watchdog is fed by something other than the UI", lateBeats)
	}
	select {
	case err := <-exited:
		t.Logf("run 1: frozen at +0, last ping %v before, watchdog fired at +%v, process ended (%v)",
			frozen.Sub(last).Round(time.Millisecond), killed.Sub(frozen).Round(time.Millisecond), err)
	case <-time.After(10 * time.Second):
		kiosk.Process.Kill() // systemd's SIGKILL after TimeoutStopSec
		<-exited
		t.Logf("run 1: SIGABRT ignored, SIGKILLed")
	}
	if d := killed.Sub(frozen); d > watchdog+500*time.Millisecond {
		t.Errorf("frozen UI detected after %v, want within WatchdogSec %v", d, watchdog)
	}

	// Restart=always: the new kiosk comes up and pings again.
	restarted := time.Now()
	kiosk2, exited2 := start(2)
	ready2 := next("READY=1", 60*time.Second)
	for range 4 {
		next("WATCHDOG=1", watchdog)
	}
	t.Logf("run 2: READY=1 %v after the restart, pinging", ready2.at.Sub(restarted).Round(time.Millisecond))
	kiosk2.Process.Signal(syscall.SIGTERM)
	next("STOPPING=1", 10*time.Second)
	select {
	case err := <-exited2:
		if err != nil {
			t.Errorf("run 2 stopped with %v, want a clean exit", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("run 2 did not stop on SIGTERM")
	}
}

// startXvfb starts an X server on a display it picks itself (-displayfd) and stops it
// (by its PID) when the test ends.
func startXvfb(t *testing.T, bin, logPath string) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-displayfd", "3", "-screen", "0", "1024x768x24", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		logFile.Close()
	})
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		got <- strings.TrimSpace(line)
	}()
	select {
	case d := <-got:
		if _, err := strconv.Atoi(d); err != nil {
			b, _ := os.ReadFile(logPath)
			t.Fatalf("Xvfb did not start (display %q): %s", d, b)
		}
		return ":" + d
	case <-time.After(30 * time.Second):
		t.Fatal(errors.New("Xvfb did not give its display within 30 s"))
	}
	return ""
}
