package main

// The real kiosk process killed between payment and submission: the whole demo kiosk
// (runKiosk with --demo: the Fyne window under Xvfb, the emulated card behind pcscd +
// vpcd, the recorded camera, SQLite, the reference back office over mutual TLS as its
// child process) takes a passport application to the wallet's QR; the test freezes it
// (SIGSTOP), pays the order in the back office's simulated wallet, and kills it
// (SIGKILL): the kiosk never saw the payment. The kiosk is started again on the same
// folders; at start-up it settles what the dead process held, and the back office ends
// with exactly one application and one paid order.
//
// The kiosk process is this test binary run again with crashKioskEnv set: TestMain
// (rss_bench_test.go) then runs crashKiosk, which calls runKiosk on the main
// goroutine with sessionHook driving the session through the demo test's helpers.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	kioskapp "github.com/macau-dsi/kiosk/app"
	"github.com/macau-dsi/kiosk/cardio/vpcdtest"
	"github.com/macau-dsi/kiosk/config"
	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/store"
)

// crashKioskEnv makes this test binary TestKioskKilledBetweenPaymentAndSubmission's
// kiosk: "pay" takes the demo card's passport application to the wallet QR and
// prints PENDING; "settle" only starts (prints UP). Both quit at the end of stdin.
const crashKioskEnv = "DSI_KIOSK_CRASH_KIOSK"

// crashKiosk is `kiosk run --demo --windowed` with the session driven for phase.
func crashKiosk(phase string) int {
	sessionHook = func(m *kiosk.Machine, demo kioskapp.DemoControls, quit func()) {
		go func() {
			defer quit()
			tb := &childTB{}
			s := &demoSession{tb: tb, devs: devices{demo: demo}, m: m, faces: &decisionLog{}, snaps: newSnapRecorder()}
			m.Subscribe(s.snaps.add)
			played := make(chan struct{})
			go func() { // childTB's Fatalf ends this goroutine
				defer close(played)
				s.waitState(kiosk.StateAttract, waitScreen)
				if phase == "eid" { // TestEIDInTheDemoWindow (demo_eid_test.go)
					s.eidByBannerToMenu(demo)
					fmt.Println("MENU")
					return
				}
				if phase != "pay" {
					fmt.Println("UP")
					return
				}
				s.toMenu()
				if next := s.confirm(kiosk.ServicePassport); next.State != kiosk.StatePayment {
					tb.Fatalf("the passport went to %s, not to payment", next.State)
				}
				s.walletQR()
				fmt.Println("PENDING")
			}()
			<-played
			if tb.failed != "" {
				fmt.Printf("FAIL %s\n", tb.failed)
				return
			}
			io.Copy(io.Discard, os.Stdin) // the test closes it to end the run
		}()
	}
	cfg := config.Default()
	cfg.Kiosk.Mode = config.ModeDemo
	if err := runKiosk(context.Background(), cfg, runOptions{demo: true, windowed: true, camera: -1}); err != nil {
		fmt.Printf("FAIL %s\n", oneLine(err.Error()))
		return 1
	}
	return 0
}

// crashChild is one run of the kiosk process.
type crashChild struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	exited chan struct{}
	log    string
}

func startCrashChild(t *testing.T, env []string, phase, log string) *crashChild {
	t.Helper()
	logFile, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close() // the child has its own descriptor
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(env, crashKioskEnv+"="+phase)
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	c := &crashChild{t: t, cmd: cmd, lines: make(chan string, 16), exited: make(chan struct{}), log: log}
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
	}()
	go func() { cmd.Wait(); close(c.exited) }()
	t.Cleanup(func() { // a failed test leaves nothing running
		select {
		case <-c.exited:
		default:
			cmd.Process.Kill()
			<-c.exited
		}
	})
	return c
}

// expect waits for a line starting with word; FAIL lines, an exit or the timeout fail
// the test with the end of the child's log.
func (c *crashChild) expect(word string, timeout time.Duration) {
	c.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case l := <-c.lines:
			if strings.HasPrefix(l, "FAIL") {
				c.t.Fatalf("the kiosk process: %s\n%s", l, tailFile(c.log, 30))
			}
			if strings.HasPrefix(l, word) {
				return
			}
		case <-c.exited:
			c.t.Fatalf("the kiosk process exited (%v) before %s:\n%s", c.cmd.ProcessState, word, tailFile(c.log, 30))
		case <-deadline:
			c.t.Fatalf("no %s from the kiosk process within %v:\n%s", word, timeout, tailFile(c.log, 30))
		}
	}
}

func TestKioskKilledBetweenPaymentAndSubmission(t *testing.T) {
	start := time.Now()
	// The demo's folders (database, subject key, back office, test PKI) and Fyne's
	// settings are under dir: the same for both runs, as a restarted kiosk finds its own.
	dir, env := demoWindowEnv(t)
	demoDir := filepath.Join(dir, "cache", "dsi-kiosk", "demo")
	bo := &demoBackOffice{dir: filepath.Join(demoDir, "backoffice")}
	ctx := context.Background()

	// 1. The resident is at the wallet's QR; the kiosk freezes, the wallet pays, the
	// kiosk dies without having seen the payment.
	k := startCrashChild(t, env, "pay", filepath.Join(dir, "kiosk-1.log"))
	k.expect("PENDING", 10*time.Minute) // the first start may wait for another test's pcscd
	if err := k.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(boBin, "pay", "approve", "latest", "--dir", bo.dir).CombinedOutput()
	if err != nil {
		t.Fatalf("the wallet: %v: %s", err, out)
	}
	if err := k.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-k.exited
	if apps, orders := backOfficeCounts(t, bo); apps != 0 || orders["paid"] != 1 || len(orders) != 1 {
		t.Fatalf("after the kill the back office holds %d applications, orders %v; want none and one paid order", apps, orders)
	}
	db, err := store.Open(ctx, filepath.Join(demoDir, "kiosk.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	held, err := db.HeldApplications(ctx, time.Now())
	db.Close()
	if err != nil || len(held) != 1 || held[0].Service != string(kiosk.ServicePassport) {
		t.Fatalf("the dead kiosk holds %+v, %v; want its one passport application", held, err)
	}
	ref := held[0].Reference
	killed := time.Now()

	// 2. Started again: it settles what the dead process held (the order is paid: the
	// application goes to the back office) and delivers it.
	k = startCrashChild(t, env, "settle", filepath.Join(dir, "kiosk-2.log"))
	k.expect("UP", 5*time.Minute)
	for apps := 0; apps == 0; {
		if time.Since(killed) > 2*time.Minute {
			t.Fatalf("the restarted kiosk did not deliver %s within 2 minutes:\n%s", ref, tailFile(k.log, 30))
		}
		time.Sleep(200 * time.Millisecond)
		apps, _ = backOfficeCounts(t, bo)
	}
	settled := time.Since(killed)
	k.stdin.Close()
	select {
	case <-k.exited:
	case <-time.After(time.Minute):
		t.Fatalf("the kiosk did not quit within a minute:\n%s", tailFile(k.log, 30))
	}
	if apps, orders := backOfficeCounts(t, bo); apps != 1 || orders["paid"] != 1 || len(orders) != 1 {
		t.Fatalf("the back office holds %d applications and orders %v; want exactly one application and one paid order", apps, orders)
	}
	db, err = store.Open(ctx, filepath.Join(demoDir, "kiosk.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if held, err := db.HeldApplications(ctx, time.Now()); err != nil || len(held) != 0 {
		t.Errorf("still held after the restart: %+v, %v", held, err)
	}
	if n, err := db.Pending(ctx); err != nil || n != 0 {
		t.Errorf("%d messages still in the outbox, %v", n, err)
	}
	if a, err := db.Application(ctx, ref); err != nil || a.Reference != ref {
		t.Errorf("the kiosk's application %s: %+v, %v", ref, a, err)
	}
	t.Logf("kill to delivered by the restarted kiosk %v; whole test %v", settled.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}

// TestSettleCutoff: a process settles every hold older than itself at once, and its
// own holds only once no payment try can still be running.
func TestSettleCutoff(t *testing.T) {
	started := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	live := paymentTimeout + settleMargin
	for _, tc := range []struct {
		name string
		now  time.Time
		want time.Time
	}{
		{"at start-up: everything from before the start", started, started},
		{"a minute in", started.Add(time.Minute), started},
		{"exactly one live try later", started.Add(live), started},
		{"later: holds older than a live try", started.Add(live + time.Minute), started.Add(time.Minute)},
	} {
		if got := settleCutoff(started, tc.now); !got.Equal(tc.want) {
			t.Errorf("%s: settleCutoff = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// demoWindowEnv prepares a real demo kiosk process's surroundings: pcscd with vpcd and
// Xvfb present (else the test is skipped), the reference back office binary, a private
// X display stopped with the test, and the environment that puts the demo's folders
// and Fyne's settings under the returned dir.
func demoWindowEnv(t *testing.T) (dir string, env []string) {
	t.Helper()
	if err := vpcdtest.Available(); err != nil {
		t.Skipf("skipping: the demo card needs pcscd with the vpcd driver: %v", err)
	}
	xvfb, err := exec.LookPath("Xvfb")
	if err != nil {
		t.Skip("skipping: Xvfb is not installed (packaging/setup-debian.sh installs it)")
	}
	useBackOfficeBinary(t) // the kiosk's back office, found through the environment
	dir = t.TempDir()
	display, stopX, err := startXvfb(xvfb, filepath.Join(dir, "xvfb.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stopX)
	env = append(os.Environ(), "DISPLAY="+display, "LIBGL_ALWAYS_SOFTWARE=1",
		"XDG_CACHE_HOME="+filepath.Join(dir, "cache"), "XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"KIOSK_MODELS_DIR="+config.DefaultModelsDir())
	return dir, env
}
