// Package vpcdtest puts an emulated resident card into pcscd's virtual reader, so
// that tests of any package (and `kiosk run --demo`) go through the real PC/SC stack:
// pcscd, the vpcd driver, and the card emulator behind it.
//
// pcscd is one per machine and vpcd listens on fixed ports, while `go test ./...` runs
// packages in parallel processes: Start takes a machine-wide lock (flock on LockFile)
// and holds it until Close. It uses the running pcscd if there is one, and otherwise
// starts its own (see startPcscd: no APDU log unless asked, dies with this process,
// vpcd kept on loopback through a bridge) and stops it, by PID, at Close.
package vpcdtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
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
	// APDULog starts pcscd with --debug --apdu and keeps its log, which holds every
	// APDU in clear (card number, birth date, PINs), in a private folder (0700, file
	// 0600) removed at Close. Only for a tester who asks (`card emulate --pcscd-log`);
	// ignored when a pcscd not started here is used.
	APDULog bool
	// WithoutPcscd takes the lock and readies the card without starting pcscd (none
	// may run: ErrUnavailable otherwise); StartPcscd starts it later. For tests of a
	// kiosk started before pcscd.
	WithoutPcscd bool
	// OnLockWait, if set, is called once when the lock is held by another process
	// (with that process's PID as written in LockFile), before waiting for it.
	OnLockWait func(holder string)
}

// Env is a running virtual card in pcscd's vpcd reader.
type Env struct {
	ReaderName string // PC/SC reader name, e.g. "Virtual PCD 00 00"
	TrustStore string // folder with the test CSCA certificate
	StateDir   string
	PcscdLog   string // pcscd's APDU log when asked for (Options.APDULog), else ""
	Profile    *emulator.Profile
	Card       *emulator.Card
	Slot       *emulator.Slot
	PKI        *testpki.PKI

	gate *gate // between the slot and the card: freezes it on demand

	timeout  time.Duration
	nowFn    func() time.Time
	lock     *os.File
	port     int
	apduLog  bool
	ownPcscd bool    // pcscd is this Env's to start and stop
	isolated bool    // and runs in its own network namespace
	bridge   *bridge // vpcd's loopback link to the slot, with our own pcscd
	pcscd    *exec.Cmd
	pcscdOut *tail // pcscd's output without APDULog
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

	e := &Env{ReaderName: emulator.ReaderNameForPort(opts.Port), timeout: opts.Timeout, nowFn: opts.Now, port: opts.Port, apduLog: opts.APDULog}
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
	if err := e.ensurePcscd(ctx, opts); err != nil {
		return nil, err
	}

	e.gate = &gate{icc: e.Card}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(opts.Port)) // a system pcscd's vpcd listens there
	if e.bridge != nil {
		addr = e.bridge.SlotAddr()
	}
	e.Slot = emulator.NewSlot(addr, e.gate)
	e.Slot.Pull() // inserted below, with the wait
	slotCtx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	e.slotDone = make(chan struct{})
	go func() {
		defer close(e.slotDone)
		e.Slot.Run(slotCtx)
	}()
	if opts.WithoutPcscd {
		e.Slot.Insert() // seen once StartPcscd runs pcscd
		return e, nil
	}
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

// ensurePcscd uses the running pcscd, or starts one of its own (with the bridge, so
// vpcd stays on loopback) unless opts.WithoutPcscd.
func (e *Env) ensurePcscd(ctx context.Context, opts Options) error {
	if pcscdRunning() {
		if opts.WithoutPcscd {
			return fmt.Errorf("%w: a pcscd this test did not start is running", ErrUnavailable)
		}
		return nil
	}
	var err error
	if e.bridge, err = newBridge(opts.Port); err != nil {
		return err
	}
	e.ownPcscd = true
	if opts.WithoutPcscd {
		return nil
	}
	return e.startPcscd(ctx)
}

// useNetns: pcscd gets its own network namespace when it may (false in a test of
// the fallback).
var useNetns = true

// vpcdConf is the reader.conf.d entry of the pcscd Start runs, as Debian's: vpcd
// listens on PORT (on every interface of pcscd's own network namespace, see bridge).
const vpcdConf = `FRIENDLYNAME "Virtual PCD"
DEVICENAME   /dev/null:0x%04X
LIBPATH      %s
CHANNELID    0x%04X
`

// startPcscd starts pcscd as a child that dies with this process (Pdeathsig), in its
// own process group and network namespace (vpcd reachable only through the bridge),
// with a private reader.conf.d and, only when a tester asked
// (Options.APDULog), a debug log with APDUs; otherwise its few error lines stay in
// memory. It returns once pcscd answers on its socket.
func (e *Env) startPcscd(ctx context.Context) error {
	// A pcscd that died leaves its PID file behind, and pcscd refuses to start over it.
	if b, err := os.ReadFile(pcscdPIDFile); err == nil {
		// pcscd writes its PID with a trailing NUL.
		if pid, err := strconv.Atoi(strings.Trim(string(b), " \t\r\n\x00")); err == nil && !pcscdAlive(pid) {
			os.Remove(pcscdPIDFile)
			os.Remove(pcscdSocket)
		}
	}
	if err := os.MkdirAll(filepath.Dir(pcscdSocket), 0o755); err != nil {
		return fmt.Errorf("%w: cannot create %s (pcscd needs root): %v", ErrUnavailable, filepath.Dir(pcscdSocket), err)
	}
	driver := ""
	for _, d := range vpcdDrivers {
		if _, err := os.Stat(d); err == nil {
			driver = d
			break
		}
	}
	// Private (0700) folder: the reader configuration, and the APDU log if asked.
	dir, err := os.MkdirTemp("", "dsi-kiosk-pcscd-*")
	if err != nil {
		return err
	}
	confDir := filepath.Join(dir, "reader.conf.d")
	if err := os.Mkdir(confDir, 0o700); err != nil {
		os.RemoveAll(dir)
		return err
	}
	conf := fmt.Sprintf(vpcdConf, e.port, driver, e.port)
	if err := os.WriteFile(filepath.Join(confDir, "vpcd"), []byte(conf), 0o600); err != nil {
		os.RemoveAll(dir)
		return err
	}
	args := []string{"--foreground", "--config", confDir}
	e.pcscdOut = &tail{max: 4096}
	var out io.Writer = e.pcscdOut
	if e.apduLog {
		args = append(args, "--debug", "--apdu")
		logf, err := os.OpenFile(filepath.Join(dir, "pcscd.log"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			os.RemoveAll(dir)
			return err
		}
		defer logf.Close()
		e.PcscdLog = logf.Name()
		e.tmpDirs = append(e.tmpDirs, dir)
		out = logf
	}
	start := func(netns bool) (*exec.Cmd, error) {
		cmd := exec.Command(pcscdPath(), args...)
		cmd.Stdout, cmd.Stderr = out, out
		// Own process group, so a Ctrl-C at the terminal reaches us, not pcscd
		// directly; SIGKILL when this process dies however it dies (even SIGKILL), so
		// that no pcscd outlives it. (Pdeathsig follows the thread that forked; Go ends
		// a thread only when a goroutine exits locked to it, which nothing here does.)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if netns {
			cmd.SysProcAttr.Cloneflags = syscall.CLONE_NEWNET
		}
		return cmd, cmd.Start()
	}
	cmd, err := start(useNetns)
	e.isolated = useNetns && err == nil
	if useNetns && errors.Is(err, syscall.EPERM) {
		// No right to make a network namespace (a container without CAP_SYS_ADMIN):
		// vpcd then listens on every interface, as in Debian's own set-up
		// (VPCDIsolated says so, and card emulate and the demo warn).
		cmd, err = start(false)
	}
	if err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("%w: starting pcscd: %v", ErrUnavailable, err)
	}
	e.pcscd = cmd
	end := make(chan struct{})
	e.pcscdEnd = end
	go func() {
		cmd.Wait() // reaps pcscd
		close(end)
	}()
	if e.isolated {
		if err := loopbackUp(cmd.Process.Pid); err != nil {
			e.stopPcscd(true)
			os.RemoveAll(dir)
			return fmt.Errorf("%w: pcscd's network namespace: %v", ErrUnavailable, err)
		}
		e.bridge.setNetns(cmd.Process.Pid)
	} else {
		e.bridge.setNetns(sameNetns)
	}
	for !pcscdRunning() {
		select {
		case <-end:
			os.RemoveAll(dir)
			return fmt.Errorf("%w: pcscd exited at start: %s", ErrUnavailable, lastLines(e.pcscdOutput(), 5))
		case <-ctx.Done():
			return fmt.Errorf("waiting for pcscd to start: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	if !e.apduLog {
		// pcscd has read its configuration: nothing of it needs to stay on disk.
		os.RemoveAll(dir)
	}
	return nil
}

// pcscdAlive says whether pid is a running pcscd. A killed pcscd whose parent died
// stays a zombie where nothing reaps orphans (a container's init): it counts as dead.
func pcscdAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return strings.Contains(s, "(pcscd)") && i >= 0 && len(s) > i+2 && s[i+2] != 'Z'
}

// pcscdOutput is what pcscd wrote (its log file, or the tail kept in memory).
func (e *Env) pcscdOutput() []byte {
	if e.PcscdLog != "" {
		b, _ := os.ReadFile(e.PcscdLog)
		return b
	}
	if e.pcscdOut != nil {
		return e.pcscdOut.Bytes()
	}
	return nil
}

// stopPcscd stops the pcscd Start started (SIGTERM, or SIGKILL when kill or when it
// does not stop within 10 s), waits until it is reaped and its socket is gone.
func (e *Env) stopPcscd(kill bool) {
	if e.pcscd == nil {
		return
	}
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	e.pcscd.Process.Signal(sig)
	select {
	case <-e.pcscdEnd:
	case <-time.After(10 * time.Second):
		e.pcscd.Process.Kill()
		<-e.pcscdEnd
	}
	e.pcscd = nil
	e.bridge.setNetns(0)
	// The next pcscd must not find this one's socket.
	for i := 0; i < 100 && pcscdRunning(); i++ {
		time.Sleep(20 * time.Millisecond)
	}
}

// PausePcscd stops the pcscd Start started (SIGSTOP): it still accepts connections
// but answers nothing, as a hung daemon. ResumePcscd lets it go on.
func (e *Env) PausePcscd() error { return e.signalPcscd(syscall.SIGSTOP) }

// ResumePcscd continues a pcscd PausePcscd stopped.
func (e *Env) ResumePcscd() error { return e.signalPcscd(syscall.SIGCONT) }

func (e *Env) signalPcscd(sig syscall.Signal) error {
	if e.pcscd == nil {
		return errors.New("vpcdtest: no pcscd of this test runs")
	}
	return e.pcscd.Process.Signal(sig)
}

// VPCDIsolated says whether vpcd's port is out of the network's reach: true when
// pcscd is this Env's own and runs in its own network namespace. False with a pcscd
// that was already running, or without the right to make a namespace: vpcd then
// listens on every interface.
func (e *Env) VPCDIsolated() bool { return e.ownPcscd && e.isolated }

// StartedPcscd says whether pcscd is this Env's own (started by Start), rather than
// one that was running already.
func (e *Env) StartedPcscd() bool { return e.ownPcscd }

// KillPcscd kills (SIGKILL, as a crash) the pcscd Start started, and returns once it
// is gone. Programs using PC/SC lose every reader until StartPcscd.
func (e *Env) KillPcscd() error {
	if !e.ownPcscd {
		return errors.New("vpcdtest: pcscd was not started by this test")
	}
	e.stopPcscd(true)
	return nil
}

// StartPcscd starts pcscd again (after KillPcscd, or for Options.WithoutPcscd) and
// returns once pcscd has seen the card, if it is inserted.
func (e *Env) StartPcscd() error {
	if !e.ownPcscd {
		return errors.New("vpcdtest: pcscd is not this test's to start")
	}
	if e.pcscd != nil {
		return errors.New("vpcdtest: pcscd already runs")
	}
	ctx, cancel := e.ctx()
	defer cancel()
	if err := e.startPcscd(ctx); err != nil {
		return err
	}
	if e.Slot.Inserted() {
		return e.waitPresent(ctx, true)
	}
	return nil
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

func (t *tail) Bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return bytes.Clone(t.b)
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
		e.pcscd.Process.Signal(syscall.SIGCONT) // a paused pcscd would not stop on SIGTERM
	}
	e.stopPcscd(false)
	if e.bridge != nil {
		e.bridge.Close()
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
