// Package vpcdtest puts an emulated resident card into pcscd's virtual reader, so
// that tests of any package (and `kiosk run --demo`) go through the real PC/SC stack:
// pcscd, the vpcd driver, and the card emulator behind it.
//
// pcscd is one per machine and vpcd listens on fixed ports, while `go test ./...` runs
// packages in parallel processes: Start takes a machine-wide lock (flock on LockFile)
// and holds it until Close. It uses the running pcscd if there is one, and otherwise
// starts `pcscd --foreground --debug --apdu` itself (log in a temporary file) and
// stops it, by PID, at Close.
package vpcdtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/macau-dsi/kiosk/cardio/emulator"
	"github.com/macau-dsi/kiosk/cardio/emulator/profiles"
	"github.com/macau-dsi/kiosk/cardio/testpki"
)

// LockFile serialises every user of pcscd and the vpcd ports on this machine.
const LockFile = "/tmp/dsi-kiosk-vpcd.lock"

// Where pcscd and the vpcd driver live on Debian (packages pcscd, vsmartcard-vpcd).
var (
	pcscdSocket  = "/run/pcscd/pcscd.comm"
	pcscdPIDFile = "/run/pcscd/pcscd.pid"
	vpcdDrivers  = []string{"/usr/lib/pcsc/drivers/serial/libifdvpcd.so", "/usr/lib/x86_64-linux-gnu/pcsc/drivers/serial/libifdvpcd.so", "/usr/lib/aarch64-linux-gnu/pcsc/drivers/serial/libifdvpcd.so"}
)

// ErrUnavailable means pcscd or the vpcd driver is not installed or cannot be started
// here; tests skip on it.
var ErrUnavailable = errors.New("pcscd with the vpcd driver is not available")

// Options configure Start.
type Options struct {
	// Profile is a profile YAML file; empty means the embedded demo profile.
	Profile string
	// Port is the vpcd port: 35963 ("Virtual PCD 00 00", the default) or 35964.
	Port int
	// StateDir keeps the test PKI between runs (its trust-store folder is what
	// card.trust_store points at). Empty: a temporary folder removed at Close.
	StateDir string
	// Now is the clock for the PKI and EF.SOD; time.Now when nil.
	Now func() time.Time
	// Timeout bounds waiting for pcscd and each card insertion or removal (default 60s).
	Timeout time.Duration
	// LockTimeout bounds waiting for the machine lock (default 10 minutes: other test
	// packages may hold it while `go test ./...` runs them in parallel).
	LockTimeout time.Duration
	// OnLockWait, if set, is called once when the lock is held by another process
	// (with that process's PID as written in LockFile), before waiting for it.
	OnLockWait func(holder string)
}

// Env is a running virtual card in pcscd's vpcd reader.
type Env struct {
	ReaderName string // PC/SC reader name, e.g. "Virtual PCD 00 00"
	TrustStore string // folder with the test CSCA certificate
	StateDir   string
	PcscdLog   string // pcscd's log file when Start started pcscd, else ""
	Profile    *emulator.Profile
	Card       *emulator.Card
	Slot       *emulator.Slot
	PKI        *testpki.PKI

	gate *gate // between the slot and the card: freezes it on demand

	timeout  time.Duration
	nowFn    func() time.Time
	lock     *os.File
	pcscd    *exec.Cmd
	pcscdEnd chan struct{}
	tmpDirs  []string
	cancel   context.CancelFunc
	slotDone chan struct{}
	logMu    sync.Mutex
	logOff   int64
	closed   bool
}

// Start locks the machine's virtual reader, makes sure pcscd runs, builds the card
// from the profile (with a fresh or saved test PKI) and inserts it, returning once
// pcscd has seen the card. Close undoes everything Start did.
func Start(ctx context.Context, opts Options) (env *Env, err error) {
	if opts.Port == 0 {
		opts.Port = emulator.DefaultVPCDPort
	}
	if opts.Port != emulator.DefaultVPCDPort && opts.Port != emulator.DefaultVPCDPort+1 {
		return nil, fmt.Errorf("vpcd port %d: vpcd listens on %d and %d", opts.Port, emulator.DefaultVPCDPort, emulator.DefaultVPCDPort+1)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Timeout == 0 {
		opts.Timeout = 60 * time.Second
	}
	if opts.LockTimeout == 0 {
		opts.LockTimeout = 10 * time.Minute
	}
	if err := Available(); err != nil {
		return nil, err
	}

	e := &Env{ReaderName: emulator.ReaderNameForPort(opts.Port), timeout: opts.Timeout, nowFn: opts.Now}
	defer func() {
		if err != nil {
			e.Close()
			env = nil
		}
	}()

	// Profile and card first: a bad profile is reported before touching pcscd.
	if opts.Profile == "" {
		e.Profile, err = emulator.LoadProfileFS(profiles.FS, profiles.Demo)
	} else {
		e.Profile, err = emulator.LoadProfile(opts.Profile)
	}
	if err != nil {
		return nil, err
	}
	if e.StateDir = opts.StateDir; e.StateDir == "" {
		if e.StateDir, err = os.MkdirTemp("", "dsi-kiosk-card-*"); err != nil {
			return nil, err
		}
		e.tmpDirs = append(e.tmpDirs, e.StateDir)
	}
	if e.PKI, err = testpki.LoadOrCreate(e.StateDir, opts.Now()); err != nil {
		return nil, err
	}
	e.TrustStore = testpki.TrustStore(e.StateDir)
	if e.Card, err = emulator.NewCardFromProfile(e.Profile, e.PKI, opts.Now()); err != nil {
		return nil, fmt.Errorf("building the card: %w", err)
	}

	lockCtx, cancelLock := context.WithTimeout(ctx, opts.LockTimeout)
	e.lock, err = lockMachine(lockCtx, opts.OnLockWait)
	cancelLock()
	if err != nil {
		return nil, err
	}
	ctx, cancelStart := context.WithTimeout(ctx, opts.Timeout)
	defer cancelStart()
	if err := e.ensurePcscd(ctx); err != nil {
		return nil, err
	}

	e.gate = &gate{icc: e.Card}
	e.Slot = emulator.NewSlot(net.JoinHostPort("127.0.0.1", strconv.Itoa(opts.Port)), e.gate)
	e.Slot.Pull() // inserted below, with the wait
	slotCtx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	e.slotDone = make(chan struct{})
	go func() {
		defer close(e.slotDone)
		e.Slot.Run(slotCtx)
	}()
	if err := e.insert(ctx); err != nil {
		return nil, err
	}
	return e, nil
}

// Available says whether pcscd and the vpcd driver are installed (ErrUnavailable
// with the reason if not).
func Available() error {
	if _, err := exec.LookPath("pcscd"); err != nil {
		if _, err2 := os.Stat("/usr/sbin/pcscd"); err2 != nil {
			return fmt.Errorf("%w: pcscd not installed (Debian package pcscd)", ErrUnavailable)
		}
	}
	for _, d := range vpcdDrivers {
		if _, err := os.Stat(d); err == nil {
			return nil
		}
	}
	return fmt.Errorf("%w: vpcd driver not installed (Debian package vsmartcard-vpcd)", ErrUnavailable)
}

func pcscdPath() string {
	if p, err := exec.LookPath("pcscd"); err == nil {
		return p
	}
	return "/usr/sbin/pcscd"
}

// lockMachine takes the machine-wide lock, waiting for it as long as ctx allows.
func lockMachine(ctx context.Context, onWait func(holder string)) (*os.File, error) {
	f, err := os.OpenFile(LockFile, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, fmt.Errorf("vpcd lock: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			f.Truncate(0)
			fmt.Fprintf(f, "%d\n", os.Getpid())
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("vpcd lock: %w", err)
		}
		if onWait != nil {
			holder, _ := os.ReadFile(LockFile)
			onWait(strings.TrimSpace(string(holder)))
			onWait = nil
		}
		select {
		case <-ctx.Done():
			holder, _ := os.ReadFile(LockFile)
			f.Close()
			return nil, fmt.Errorf("vpcd lock %s held by process %s (another test, or `kiosk run --demo`): %w", LockFile, strings.TrimSpace(string(holder)), ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// pcscdRunning says whether a pcscd answers on its socket.
func pcscdRunning() bool {
	c, err := net.DialTimeout("unix", pcscdSocket, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func (e *Env) ensurePcscd(ctx context.Context) error {
	if pcscdRunning() {
		return nil
	}
	// A pcscd that died leaves its PID file behind, and pcscd refuses to start over it.
	if b, err := os.ReadFile(pcscdPIDFile); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && syscall.Kill(pid, 0) != nil {
			os.Remove(pcscdPIDFile)
			os.Remove(pcscdSocket)
		}
	}
	if err := os.MkdirAll(filepath.Dir(pcscdSocket), 0o755); err != nil {
		return fmt.Errorf("%w: cannot create %s (pcscd needs root): %v", ErrUnavailable, filepath.Dir(pcscdSocket), err)
	}
	logDir, err := os.MkdirTemp("", "dsi-kiosk-pcscd-*")
	if err != nil {
		return err
	}
	e.tmpDirs = append(e.tmpDirs, logDir)
	e.PcscdLog = filepath.Join(logDir, "pcscd.log")
	logf, err := os.Create(e.PcscdLog)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(pcscdPath(), "--foreground", "--debug", "--apdu")
	cmd.Stdout, cmd.Stderr = logf, logf
	// Own process group, so a Ctrl-C at the terminal reaches us, not pcscd directly.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%w: starting pcscd: %v", ErrUnavailable, err)
	}
	e.pcscd = cmd
	e.pcscdEnd = make(chan struct{})
	go func() {
		cmd.Wait() // reaps pcscd
		close(e.pcscdEnd)
	}()
	for !pcscdRunning() || !e.logContains("daemon ready") {
		select {
		case <-e.pcscdEnd:
			log, _ := os.ReadFile(e.PcscdLog)
			return fmt.Errorf("%w: pcscd exited at start: %s", ErrUnavailable, lastLines(log, 5))
		case <-ctx.Done():
			return fmt.Errorf("waiting for pcscd to start: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

func (e *Env) logContains(s string) bool {
	b, _ := os.ReadFile(e.PcscdLog)
	return bytes.Contains(b, []byte(s))
}

// waitLog waits for line to appear in pcscd's log after the current mark.
func (e *Env) waitLog(ctx context.Context, line string) error {
	e.logMu.Lock()
	from := e.logOff
	e.logMu.Unlock()
	for {
		b, err := os.ReadFile(e.PcscdLog)
		if err != nil {
			return err
		}
		if int64(len(b)) > from {
			if i := bytes.Index(b[from:], []byte(line)); i >= 0 {
				e.logMu.Lock()
				e.logOff = from + int64(i) + int64(len(line))
				e.logMu.Unlock()
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for pcscd to log %q: %w", line, ctx.Err())
		case <-e.pcscdEnd:
			return errors.New("pcscd exited")
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// markLog remembers the log's current end, so the next wait looks at new lines only.
func (e *Env) markLog() {
	if e.PcscdLog == "" {
		return
	}
	fi, err := os.Stat(e.PcscdLog)
	if err != nil {
		return
	}
	e.logMu.Lock()
	e.logOff = fi.Size()
	e.logMu.Unlock()
}

func (e *Env) insert(ctx context.Context) error {
	e.markLog()
	e.Slot.Insert()
	return e.waitPresent(ctx, true)
}

// waitPresent waits until pcscd reports the card in (or out of) the reader: from its
// log when Start started pcscd, otherwise through PC/SC itself.
//
// With its own pcscd it watches both the log and PC/SC and takes whichever answers
// first: a log line can be missed (pcscd's log format differs between versions, or a
// quick pull-insert merges into one line), the PC/SC state cannot.
func (e *Env) waitPresent(ctx context.Context, present bool) error {
	if e.PcscdLog == "" {
		return waitPCSCState(ctx, e.ReaderName, present)
	}
	line := "Card Removed From " + e.ReaderName
	if present {
		line = "Card inserted into " + e.ReaderName
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 2)
	go func() { done <- e.waitLog(ctx, line) }()
	go func() { done <- waitPCSCState(ctx, e.ReaderName, present) }()
	first := <-done
	if first == nil {
		return nil
	}
	// One watcher failed (e.g. PC/SC briefly unavailable): the other may still answer.
	return <-done
}

func (e *Env) now() time.Time { return e.nowFn() }

func (e *Env) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), e.timeout)
}

// Pull removes the card and returns once pcscd has seen it go.
func (e *Env) Pull() error {
	ctx, cancel := e.ctx()
	defer cancel()
	e.markLog()
	e.Slot.Pull()
	return e.waitPresent(ctx, false)
}

// Insert puts the card back (freshly powered, PIN counter kept) and returns once
// pcscd has seen it.
func (e *Env) Insert() error {
	ctx, cancel := e.ctx()
	defer cancel()
	return e.insert(ctx)
}

// Replace pulls the card, puts the card of another profile (same test PKI) into the
// reader, and returns once pcscd has seen it. Tests reading many profiles use one
// pcscd this way.
func (e *Env) Replace(profile string) error {
	p, err := emulator.LoadProfile(profile)
	if err != nil {
		return err
	}
	card, err := emulator.NewCardFromProfile(p, e.PKI, e.now())
	if err != nil {
		return fmt.Errorf("building the card: %w", err)
	}
	if e.Slot.Inserted() {
		if err := e.Pull(); err != nil {
			return err
		}
	}
	e.gate.set(card)
	e.Slot.SetICC(e.gate)
	e.Profile, e.Card = p, card
	return e.Insert()
}

// PullAfter pulls the card instead of answering the APDU after the next n.
func (e *Env) PullAfter(n int) {
	e.markLog()
	e.Slot.PullAfter(n)
}

// PullOnRead pulls the card at the n-th READ BINARY of file fid (n=2 on DG2: in the
// middle of the photo).
func (e *Env) PullOnRead(fid uint16, n int) {
	e.markLog()
	e.Card.PullOnRead(fid, n)
}

// WaitRemoved waits until pcscd has seen the card leave (after PullAfter/PullOnRead).
func (e *Env) WaitRemoved() error {
	ctx, cancel := e.ctx()
	defer cancel()
	return e.waitPresent(ctx, false)
}

// APDUs is the number of APDUs the card has answered.
func (e *Env) APDUs() int { return e.Slot.APDUs() }

// Close takes the card out, stops pcscd if Start started it (and waits until it is
// reaped), removes temporary folders and releases the lock. Safe to call twice.
func (e *Env) Close() error {
	if e == nil || e.closed {
		return nil
	}
	e.closed = true
	var errs []error
	if e.gate != nil {
		e.gate.Thaw() // a frozen card would keep the slot from stopping
	}
	if e.cancel != nil {
		e.cancel()
		<-e.slotDone
	}
	if e.pcscd != nil {
		e.pcscd.Process.Signal(syscall.SIGTERM)
		select {
		case <-e.pcscdEnd:
		case <-time.After(10 * time.Second):
			e.pcscd.Process.Kill()
			<-e.pcscdEnd
		}
		// The next pcscd must not find this one's socket.
		for i := 0; i < 100 && pcscdRunning(); i++ {
			time.Sleep(20 * time.Millisecond)
		}
	}
	for _, d := range e.tmpDirs {
		if err := os.RemoveAll(d); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if e.lock != nil {
		syscall.Flock(int(e.lock.Fd()), syscall.LOCK_UN)
		e.lock.Close()
	}
	return errors.Join(errs...)
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
