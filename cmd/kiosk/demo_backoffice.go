package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/macau-dsi/kiosk/backoffice"
	"github.com/macau-dsi/kiosk/config"
	"github.com/macau-dsi/kiosk/facematch"
	"github.com/macau-dsi/kiosk/payterm"
)

// The demo's back office is the reference one (cmd/kiosk-backoffice) run as a child
// process: `kiosk-backoffice serve` on 127.0.0.1 with a port the system picks, its
// CA and certificates made on first run in the demo folder, the demo cards' records
// seeded under the demo's subject key. The kiosk's own client and payments talk to
// it over mutual TLS, as they would to DSI's. It dies with the kiosk (Pdeathsig) and
// is stopped by its PID.

// backOfficeBinEnv names the kiosk-backoffice binary to run (tests set it).
const backOfficeBinEnv = "KIOSK_BACKOFFICE_BIN"

// backOfficeStart bounds the child's start (certificates are made on first run).
const backOfficeStart = 60 * time.Second

var listeningLine = regexp.MustCompile(`^listening on https://(\S+) `)

// demoBackOffice is the running child.
type demoBackOffice struct {
	bin, dir, addr, kioskID string
	cmd                     *exec.Cmd
	exited                  chan struct{}
	once                    sync.Once
}

// demoBackOfficeDir is the reference back office's folder inside the demo's.
func demoBackOfficeDir(cfg config.Config) string {
	return filepath.Join(filepath.Dir(cfg.Store.Path), "backoffice")
}

// findBackOfficeBinary looks for kiosk-backoffice: $KIOSK_BACKOFFICE_BIN, next to
// this binary (make build puts both in bin/), the repository's bin/, then $PATH.
func findBackOfficeBinary() (string, error) {
	if p := os.Getenv(backOfficeBinEnv); p != "" {
		return p, nil
	}
	var tried []string
	if exe, err := os.Executable(); err == nil {
		tried = append(tried, filepath.Join(filepath.Dir(exe), "kiosk-backoffice"))
	}
	if wd, err := os.Getwd(); err == nil {
		if root, ok := moduleRoot(wd); ok {
			tried = append(tried, filepath.Join(root, "bin", "kiosk-backoffice"))
		}
	}
	for _, p := range tried {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	if p, err := exec.LookPath("kiosk-backoffice"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("demo: no kiosk-backoffice binary (looked at %s and $PATH); `make build` makes it", strings.Join(tried, ", "))
}

// demoProfiles are the card profiles to seed from: the repository's, when the demo
// runs in it; else the binary's defaults.
func demoProfiles() []string {
	wd, err := os.Getwd()
	if err != nil {
		return nil
	}
	root, ok := moduleRoot(wd)
	if !ok {
		return nil
	}
	return []string{filepath.Join(root, "cardio", "emulator", "profiles", "*.yaml"), filepath.Join(root, "cardio", "emulator", "testdata", "*.yaml")}
}

// startDemoBackOffice starts `kiosk-backoffice serve` and waits until it listens.
func startDemoBackOffice(ctx context.Context, dir, subjectKeyFile, kioskID string) (*demoBackOffice, error) {
	bin, err := findBackOfficeBinary()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("demo back office: %w", err)
	}
	logPath := filepath.Join(dir, "serve.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("demo back office: %w", err)
	}
	defer logFile.Close() // the child holds its own descriptor
	args := []string{"serve", "--dir", dir, "--listen", "127.0.0.1:0", "--kiosk-id", kioskID, "--subject-key", subjectKeyFile}
	if ps := demoProfiles(); ps != nil {
		args = append(args, "--profiles", strings.Join(ps, ","))
	}
	cmd := exec.Command(bin, args...)
	cmd.Stderr = logFile
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("demo back office: %w", err)
	}
	// Own process group (a Ctrl-C at the terminal reaches the kiosk, which stops it
	// in order); SIGKILL when the kiosk dies however it dies, so none outlives it.
	// (Pdeathsig follows the forking thread; Go ends a thread only when a goroutine
	// exits locked to it, which nothing here does.)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("demo back office: starting %s: %w", bin, err)
	}
	d := &demoBackOffice{bin: bin, dir: dir, kioskID: kioskID, cmd: cmd, exited: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		found := false
		for sc.Scan() {
			if m := listeningLine.FindStringSubmatch(sc.Text()); m != nil && !found {
				found = true
				addr <- m[1]
			}
		}
		io.Copy(io.Discard, out)
	}()
	go func() {
		cmd.Wait()
		close(d.exited)
	}()
	select {
	case d.addr = <-addr:
	case <-d.exited:
		return nil, fmt.Errorf("demo back office exited at start (%s): %s", cmd.ProcessState, tail(logPath))
	case <-time.After(backOfficeStart):
		d.close()
		return nil, fmt.Errorf("demo back office did not listen within %s: %s", backOfficeStart, tail(logPath))
	case <-ctx.Done():
		d.close()
		return nil, ctx.Err()
	}
	slog.Info("demo: back office started", "pid", cmd.Process.Pid, "addr", d.addr, "dir", dir)
	return d, nil
}

// configure points the kiosk's back-office client at the child, with the
// certificates it made, and takes payments by wallet QR and the simulated terminal.
func (d *demoBackOffice) configure(cfg *config.Config) {
	cfg.BackOffice.URL = "https://" + d.addr
	cfg.BackOffice.CertFile = filepath.Join(d.dir, "kiosk.crt")
	cfg.BackOffice.KeyFile = filepath.Join(d.dir, "kiosk.key")
	cfg.BackOffice.CAFile = filepath.Join(d.dir, "ca.crt")
	cfg.BackOffice.SealKeyFile = filepath.Join(d.dir, "seal.pub") // the public half of its seal key
	cfg.Payment.QR = true
	cfg.Payment.Terminal = config.TerminalSimulated
}

// close stops the child by its PID: SIGTERM (it shuts down its server), SIGKILL
// if it is still there after 5 s.
func (d *demoBackOffice) close() {
	d.once.Do(func() {
		p := d.cmd.Process
		p.Signal(syscall.SIGTERM)
		select {
		case <-d.exited:
		case <-time.After(5 * time.Second):
			p.Kill()
			<-d.exited
		}
	})
}

// tool runs one of the back office's testers' commands on the demo's database
// (`kiosk-backoffice pay approve latest --dir ...`) and returns its output.
func (d *demoBackOffice) tool(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, d.bin, append(args, "--dir", d.dir)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("kiosk-backoffice %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// client is a back-office client as the kiosk has it, for the demo's checks.
func (d *demoBackOffice) client() (*backoffice.Client, error) {
	return backoffice.New(backoffice.Options{BaseURL: "https://" + d.addr, CertFile: filepath.Join(d.dir, "kiosk.crt"),
		KeyFile: filepath.Join(d.dir, "kiosk.key"), CAFile: filepath.Join(d.dir, "ca.crt"), KioskID: d.kioskID, Timeout: 5 * time.Second})
}

// tail is the end of a log file, for an error message.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log)"
	}
	s := strings.TrimSpace(string(b))
	if len(s) > 600 {
		s = "…" + s[len(s)-600:]
	}
	if s == "" {
		return "(empty log " + path + ")"
	}
	return s
}

// demoHands are the DEMO banner's buttons: the card (insert, pull), the resident's
// wallet app and the card at the terminal. The wallet buttons run the reference back
// office's own testers' commands (`kiosk-backoffice pay approve|decline|expire
// latest`) on the demo's back-office folder: the newest wallet order waiting is the
// one on the screen. The terminal buttons act on the simulated terminal in this
// process.
type demoHands struct {
	*demoCard
	bo       *demoBackOffice
	terminal *payterm.Simulated
	// heldUp and subjectKey: the eID button (demo_eid.go).
	heldUp     *facematch.HeldUp
	subjectKey string
}

func (h *demoHands) wallet(verb string) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if _, err := h.bo.tool(ctx, "pay", verb, "latest"); err != nil {
			slog.Warn("demo: wallet", "action", verb, "error", err)
		}
	}()
}

// card acts at the terminal. The screen says "tap your card" as soon as the order
// exists, a moment before the terminal's sale starts: a press in that moment waits
// for it (2 s at most).
func (h *demoHands) card(a payterm.Action) {
	if h.terminal == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := h.terminal.WaitForSale(ctx); err != nil || !h.terminal.Act(a) {
		slog.Warn("demo: no card sale is waiting", "action", string(a))
	}
}

func (h *demoHands) WalletApprove()         { h.wallet("approve") }
func (h *demoHands) WalletDecline()         { h.wallet("decline") }
func (h *demoHands) WalletExpire()          { h.wallet("expire") }
func (h *demoHands) CardApprove()           { h.card(payterm.ActApprove) }
func (h *demoHands) CardDecline()           { h.card(payterm.ActDecline) }
func (h *demoHands) CardFailAfterApproval() { h.card(payterm.ActFailAfterApproval) }

// smsLine is `kiosk-backoffice sms last`'s answer: "code 123456 to ••••3333, ...".
var smsLine = regexp.MustCompile(`^code ([0-9]+) `)

// LastSMS is the resident's phone: the newest code the demo back office's simulated
// SMS gateway sent, for the DEMO banner only (never logged).
func (h *demoHands) LastSMS() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := h.bo.tool(ctx, "sms", "last")
	if err != nil {
		return "", errors.New("demo: no SMS code") // the tool's output has the code: not in the error
	}
	m := smsLine.FindStringSubmatch(strings.TrimSpace(out))
	if m == nil {
		return "", errors.New("demo: unexpected answer from sms last")
	}
	return m[1], nil
}

// AppScan is the One Account app scanning the binding QR on screen: the reference
// back office's own app side (`kiosk-backoffice app scan PAYLOAD`).
func (h *demoHands) AppScan(qr string) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if _, err := h.bo.tool(ctx, "app", "scan", qr); err != nil {
			slog.Warn("demo: app scan", "error", err)
		}
	}()
}
