// Package cupstest runs a private CUPS scheduler for tests: a real cupsd with its own
// configuration, spool, logs and a Unix socket in a temporary folder (never the
// system's port 631 or /etc/cups/printers.conf), queues on the cups-pdf backend
// whose output a test reads back, and failing queues that behave like a receipt
// printer out of paper.
//
// Only one test process on the machine runs it at a time (flock on LockFile), and
// Stop ends cupsd and every process it started, by PID, and checks that none is left.
//
// cupsd runs as root here: cups-pdf and the test backend are root-only backends
// (mode 0700), which cupsd runs as root; filters run as lp, so the private folder is
// world-readable (0755) though it holds nothing but test receipts.
package cupstest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// LockFile serialises every private cupsd on this machine.
const LockFile = "/tmp/dsi-kiosk-cups.lock"

// cupsPDFConfDir is where cups-pdf reads a queue's own configuration: the path is
// compiled into the backend (CP_CONFIG_PATH), and a device URI cups-pdf:/NAME makes it
// read cups-pdf-NAME.conf there instead of the system's cups-pdf.conf. That is the
// only way to send its output to a private folder; Stop removes the file.
const cupsPDFConfDir = "/etc/cups"

// Server is a running private cupsd.
type Server struct {
	Dir    string // private root, removed by Stop
	Socket string // the scheduler's Unix socket: CUPS_SERVER for clients

	t       testing.TB
	cmd     *exec.Cmd
	lock    *os.File
	confs   []string // cups-pdf configurations written in cupsPDFConfDir
	pdfPPD  string   // lpinfo -m name of the cups-pdf driver
	stopped bool
}

// failTB skips with the reason, or fails when CI=true: CI installs CUPS, so a
// missing piece there is a broken setup, not a reason to test less.
func failTB(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("cupstest: %s (CI=true: CUPS tests must run; packaging/setup-debian.sh installs cups and printer-driver-cups-pdf)", msg)
	}
	t.Skipf("cupstest: %s", msg)
}

// Available says what is missing to run a private cupsd with cups-pdf, or nil.
func Available() error {
	if _, err := cupsd(); err != nil {
		return err
	}
	for _, tool := range []string{"lpadmin", "lpinfo", "lpstat", "lp", "cancel", "cupsenable", "cupsdisable"} {
		if _, err := lookPath(tool); err != nil {
			return fmt.Errorf("%s not installed (Debian cups-client / cups)", tool)
		}
	}
	if _, err := os.Stat("/usr/lib/cups/backend/cups-pdf"); err != nil {
		return errors.New("cups-pdf backend not installed (Debian printer-driver-cups-pdf)")
	}
	if os.Geteuid() != 0 {
		return errors.New("not root: cupsd runs the cups-pdf backend only as root")
	}
	return nil
}

// cupsd finds the scheduler: $CUPSTEST_CUPSD if set (another build, or a path that
// does not exist to check the skip and CI rules), else cupsd on PATH or in sbin.
func cupsd() (string, error) {
	if p := os.Getenv("CUPSTEST_CUPSD"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("cupsd not installed (CUPSTEST_CUPSD=%s: %v)", p, err)
		}
		return p, nil
	}
	p, err := lookPath("cupsd")
	if err != nil {
		return "", errors.New("cupsd not installed (Debian cups)")
	}
	return p, nil
}

// lookPath also searches the sbin folders, which a non-login PATH may lack.
func lookPath(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/bin"} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

// Start runs a private cupsd for the test and stops it in t.Cleanup. It sets
// CUPS_SERVER for the rest of the test (so the test must not be parallel), skips if
// CUPS is not installed and fails instead when CI=true.
func Start(t testing.TB) *Server {
	t.Helper()
	if err := Available(); err != nil {
		failTB(t, "%v", err)
	}
	bin, _ := cupsd()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	lock, err := lockMachine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, lock: lock}
	t.Cleanup(s.Stop)
	removeStale()

	if s.Dir, err = os.MkdirTemp("", "dsi-cupstest-"); err != nil {
		t.Fatal(err)
	}
	s.Socket = filepath.Join(s.Dir, "cups.sock")
	for _, d := range []string{"", "root", "spool", "cache", "state", "tmp", "log", "bin", "bin/backend"} {
		if err := os.MkdirAll(filepath.Join(s.Dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(s.Dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Filters run as lp and write their temporary files here, as in CUPS' own
	// /var/spool/cups/tmp (sticky, so they cannot touch each other's).
	if err := os.Chmod(filepath.Join(s.Dir, "tmp"), 0o1777); err != nil {
		t.Fatal(err)
	}
	// The system's filters and helpers, our own backend folder: cups-pdf and the
	// out-of-paper test backend.
	for _, d := range []string{"cgi-bin", "daemon", "driver", "filter", "monitor", "notifier"} {
		if err := os.Symlink(filepath.Join("/usr/lib/cups", d), filepath.Join(s.Dir, "bin", d)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/usr/lib/cups/backend/cups-pdf", filepath.Join(s.Dir, "bin/backend/cups-pdf")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Dir, "bin/backend/nopaper"), []byte(noPaperBackend), 0o700); err != nil {
		t.Fatal(err)
	}
	files := fmt.Sprintf(`ServerRoot %[1]s/root
RequestRoot %[1]s/spool
CacheDir %[1]s/cache
StateDir %[1]s/state
TempDir %[1]s/tmp
ServerBin %[1]s/bin
ErrorLog %[1]s/log/error_log
AccessLog %[1]s/log/access_log
PageLog %[1]s/log/page_log
SystemGroup root
User lp
Group lp
`, s.Dir)
	// Only the private socket; no browsing, no web interface. Every operation is
	// allowed without authentication: a test scheduler whose queues print test
	// receipts into its own folder.
	conf := fmt.Sprintf(`Listen %s
LogLevel info
Browsing No
WebInterface No
DefaultAuthType None
PreserveJobHistory No
<Policy default>
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
`, s.Socket)
	if err := os.WriteFile(filepath.Join(s.Dir, "cups-files.conf"), []byte(files), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Dir, "cupsd.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CUPS_SERVER", s.Socket)

	s.cmd = exec.Command(bin, "-f", "-c", filepath.Join(s.Dir, "cupsd.conf"), "-s", filepath.Join(s.Dir, "cups-files.conf"))
	s.cmd.Env = append(os.Environ(), "LC_ALL=C")
	var out bytes.Buffer
	s.cmd.Stdout, s.cmd.Stderr = &out, &out
	// Its own process group (its children with it), killed if the test process dies.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	start := time.Now()
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("cupstest: starting cupsd: %v", err)
	}
	for {
		o, _ := s.run("lpstat", "-r")
		if strings.Contains(o, "scheduler is running") {
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("cupstest: cupsd did not answer within 10 s: %s\n%s", out.String(), s.Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("cupstest: cupsd (PID %d) up in %v on %s", s.cmd.Process.Pid, time.Since(start).Round(time.Millisecond), s.Socket)
	return s
}

// removeStale removes what a killed test process left: its folder and its cups-pdf
// configurations. Its cupsd died with it (Pdeathsig); with the lock held, no other
// private cupsd is running, so every such leftover is stale.
func removeStale() {
	confs, _ := filepath.Glob(filepath.Join(cupsPDFConfDir, "cups-pdf-dsi-cupstest-*.conf"))
	for _, c := range confs {
		os.Remove(c)
	}
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "dsi-cupstest-*"))
	for _, d := range dirs {
		os.RemoveAll(d)
	}
}

// noPaperBackend is a receipt printer out of paper. Its device URI says how the
// driver reacts: nopaper:/stop stops the queue and keeps the job (CUPS_BACKEND_STOP,
// as a driver that gives up does), nopaper:/wait reports the error and waits for
// paper with the queue enabled (as the usb backend does).
const noPaperBackend = `#!/bin/sh
if [ $# -eq 0 ]; then
  echo 'direct nopaper "Unknown" "Receipt printer out of paper (test)"'
  exit 0
fi
echo "STATE: +media-empty-error" >&2
echo "ERROR: Out of paper" >&2
case "$DEVICE_URI" in
  nopaper:/wait) exec sleep 600 ;;
  *) exit 4 ;;
esac
`

// run runs a CUPS client against this scheduler and returns its combined output.
func (s *Server) run(name string, args ...string) (string, error) {
	p, err := lookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, p, args...)
	cmd.Env = append(os.Environ(), "CUPS_SERVER="+s.Socket, "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Run runs a CUPS client (lpstat, cupsdisable, ...) against this scheduler and fails
// the test if it fails.
func (s *Server) Run(name string, args ...string) string {
	s.t.Helper()
	out, err := s.run(name, args...)
	if err != nil {
		s.t.Fatalf("cupstest: %s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// AddPDFQueue adds an enabled queue on the cups-pdf backend and returns the folder
// where its jobs appear as PDF files.
func (s *Server) AddPDFQueue(name string) (outDir string) {
	s.t.Helper()
	outDir = filepath.Join(s.Dir, "pdf-"+name)
	for _, d := range []string{outDir, outDir + ".spool"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			s.t.Fatal(err)
		}
	}
	instance := filepath.Base(s.Dir) + "-" + name
	conf := filepath.Join(cupsPDFConfDir, "cups-pdf-"+instance+".conf")
	s.confs = append(s.confs, conf)
	body := fmt.Sprintf("Out %[1]s\nAnonDirName %[1]s\nSpool %[1]s.spool\nGrp lp\nLog %[2]s/log\nLogType 1\n", outDir, s.Dir)
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		s.t.Fatalf("cupstest: cups-pdf reads its queue's configuration only from %s: %v", cupsPDFConfDir, err)
	}
	s.Run("lpadmin", "-p", name, "-v", "cups-pdf:/"+instance, "-E", "-m", s.driver())
	return outDir
}

// driver is the cups-pdf PPD as this system's lpinfo -m names it.
func (s *Server) driver() string {
	s.t.Helper()
	if s.pdfPPD == "" {
		for _, line := range strings.Split(s.Run("lpinfo", "-m"), "\n") {
			if f := strings.Fields(line); len(f) > 0 && strings.HasSuffix(f[0], "CUPS-PDF_opt.ppd") {
				s.pdfPPD = f[0]
			}
		}
		if s.pdfPPD == "" {
			failTB(s.t, "lpinfo -m lists no CUPS-PDF_opt.ppd (Debian printer-driver-cups-pdf)")
		}
	}
	return s.pdfPPD
}

// AddNoPaperQueue adds an enabled queue whose printer is out of paper: with wait
// false the driver stops the queue at the first job; with wait true it reports
// media-empty-error and waits, the queue still enabled.
func (s *Server) AddNoPaperQueue(name string, wait bool) {
	s.t.Helper()
	uri := "nopaper:/stop"
	if wait {
		uri = "nopaper:/wait"
	}
	// Any PostScript driver does: the backend never looks at the data.
	s.Run("lpadmin", "-p", name, "-v", uri, "-E", "-m", s.driver())
}

// WaitPDF waits for the first PDF file in dir and returns its path.
func (s *Server) WaitPDF(dir string, timeout time.Duration) string {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if m, _ := filepath.Glob(filepath.Join(dir, "*.pdf")); len(m) > 0 {
			return m[0]
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("cupstest: no PDF in %s after %v\n%s", dir, timeout, s.Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Jobs lists the queue's unfinished jobs (lpstat -o), one a line.
func (s *Server) Jobs(queue string) string {
	s.t.Helper()
	return strings.TrimSpace(s.Run("lpstat", "-o", queue))
}

// Log returns the end of cupsd's error log, for failure messages.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "log/error_log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// Stop ends cupsd (SIGTERM, then SIGKILL after 5 s) and then any process it started
// that outlived it, each by PID; removes the private folder and the cups-pdf
// configurations; releases the lock. It fails the test if a process is left.
func (s *Server) Stop() {
	if s.stopped {
		return
	}
	s.stopped = true
	defer func() {
		for _, c := range s.confs {
			os.Remove(c)
		}
		if s.Dir != "" {
			os.RemoveAll(s.Dir)
		}
		if s.lock != nil {
			syscall.Flock(int(s.lock.Fd()), syscall.LOCK_UN)
			s.lock.Close()
		}
	}()
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	pid := s.cmd.Process.Pid
	children := descendants(pid)
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
	// A backend or filter that ignored cupsd's signals (e.g. a hung driver).
	children = append(children, descendants(pid)...)
	for _, c := range children {
		syscall.Kill(c, syscall.SIGKILL)
	}
	deadline := time.Now().Add(2 * time.Second)
	for _, c := range children {
		for alive(c) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if alive(c) {
			s.t.Errorf("cupstest: process %d started by cupsd is still running", c)
		}
	}
}

// descendants lists the processes under pid, from /proc.
func descendants(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	parent := map[int]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// "pid (comm) state ppid ...": comm may hold spaces and parentheses.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) > 1 {
			parent[p], _ = strconv.Atoi(f[1])
		}
	}
	var out []int
	var walk func(int)
	walk = func(p int) {
		for c, pp := range parent {
			if pp == p {
				out = append(out, c)
				walk(c)
			}
		}
	}
	walk(pid)
	return out
}

// alive says whether pid runs (a zombie has finished).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && len(b) > i+2 && b[i+2] != 'Z'
}

// lockMachine takes the machine-wide lock, waiting for it as long as ctx allows.
func lockMachine(ctx context.Context) (*os.File, error) {
	f, err := os.OpenFile(LockFile, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, fmt.Errorf("cupstest lock: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			f.Truncate(0)
			f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("cupstest lock: %w", err)
		}
		select {
		case <-ctx.Done():
			holder, _ := os.ReadFile(LockFile)
			f.Close()
			return nil, fmt.Errorf("cupstest lock %s held by process %s: %w", LockFile, strings.TrimSpace(string(holder)), ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
