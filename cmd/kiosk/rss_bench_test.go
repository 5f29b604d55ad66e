package main

// Memory of the real process: BenchmarkDemoProcessRSS starts the whole demo kiosk
// (runKiosk with --demo: the Fyne window under Xvfb, OpenCV's face pipeline on the
// recording, the emulated card behind pcscd + vpcd, SQLite, the background workers)
// as a child process, plays resident sessions in it and reads the child's
// /proc/PID/status after each one. The Go heap on fakes (kiosk's and app's checks)
// cannot see OpenCV's buffers, Mesa's textures or glibc's arenas; this can.
//
// The child is this test binary run again with rssChildEnv set: TestMain then calls
// runKiosk on the main goroutine (GLFW needs the main thread) with sessionHook
// driving the sessions through the same helpers as the in-process demo test.

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	kioskapp "github.com/macau-dsi/kiosk/app"
	"github.com/macau-dsi/kiosk/cardio/vpcdtest"
	"github.com/macau-dsi/kiosk/config"
	"github.com/macau-dsi/kiosk/kiosk"
)

// rssSessions is how many sessions the benchmark plays. 100 (the default, what
// `make bench` runs) takes about as many times one demo session (~5–10 s each on
// the 2-core build machine); -rss.sessions=N shortens it while investigating.
var (
	rssSessions = flag.Int("rss.sessions", 100, "resident sessions BenchmarkDemoProcessRSS plays in the child kiosk")
	rssCSV      = flag.String("rss.csv", "", "file to write BenchmarkDemoProcessRSS's per-session samples to (CSV)")
	rssHeap     = flag.String("rss.heapprofile", "", "file the child kiosk writes its Go heap profile to after the last session")
)

const (
	rssChildEnv         = "DSI_KIOSK_RSS_CHILD"          // "1": this process is the benchmark's child kiosk
	rssChildSessionsEnv = "DSI_KIOSK_RSS_CHILD_SESSIONS" // how many sessions the child plays
	rssChildHeapEnv     = "DSI_KIOSK_RSS_CHILD_HEAP"     // where the child writes its heap profile, if set
)

func TestMain(m *testing.M) {
	if os.Getenv(rssChildEnv) == "1" {
		os.Exit(rssChild())
	}
	if phase := os.Getenv(crashKioskEnv); phase != "" {
		os.Exit(crashKiosk(phase)) // crash_e2e_test.go
	}
	os.Exit(m.Run())
}

// rssSample is one reading of the child's /proc/PID/status (kB) and its Go heap.
type rssSample struct {
	session                   int // 0: the attract screen before the first card
	rss, hwm, anon, file, shm int64
	goHeap, goSys, goReleased int64 // from the child's runtime.MemStats, bytes
	smapsAnon, smapsPrivDirty int64 // smaps_rollup, kB
	threads                   int64
	applied, matched          bool
	uiLag                     time.Duration // longest wait of work handed to Fyne's goroutine during the session
}

// rssResult is a finished run: the samples and how long the sessions took.
type rssResult struct {
	samples []rssSample
	elapsed time.Duration
	err     error
}

// The benchmark runs its child once, however many times the testing package calls
// it (once with b.N = 1, again with -benchtime's count): 100 sessions take minutes.
var (
	rssOnce sync.Once
	rssRun  rssResult
)

// BenchmarkDemoProcessRSS reports the child kiosk's resident set after session 1,
// 10 and the last (100 by default), the attract screen before the first card, and
// the peak (VmHWM). b.N is not used: the figure is per run, not per operation.
func BenchmarkDemoProcessRSS(b *testing.B) {
	if err := vpcdtest.Available(); err != nil {
		b.Skipf("skipping: the demo card needs pcscd with the vpcd driver: %v", err)
	}
	xvfb, err := exec.LookPath("Xvfb")
	if err != nil {
		b.Skip("skipping: Xvfb is not installed (packaging/setup-debian.sh installs it)")
	}
	useBackOfficeBinary(b) // the demo's back office is a process of its own; the child finds it through the environment
	rssOnce.Do(func() { rssRun = runRSSChild(b, xvfb, *rssSessions) })
	if rssRun.err != nil {
		b.Fatal(rssRun.err)
	}
	s := rssRun.samples
	last := s[len(s)-1]
	mb := func(kb int64) float64 { return float64(kb) / 1024 }
	b.ReportMetric(0, "ns/op") // b.N loops are not what is measured
	b.ReportMetric(mb(s[0].rss), "MB-rss-start")
	for _, n := range []int{1, 10} {
		if n < len(s) {
			b.ReportMetric(mb(s[n].rss), fmt.Sprintf("MB-rss-%d", n))
		}
	}
	b.ReportMetric(mb(last.rss), fmt.Sprintf("MB-rss-%d", last.session))
	b.ReportMetric(mb(last.hwm), "MB-peak")
	b.ReportMetric(rssRun.elapsed.Seconds()/float64(last.session), "s/session")
	var lag time.Duration
	unmatched := 0
	for _, x := range s[1:] {
		lag = max(lag, x.uiLag)
		if !x.matched {
			unmatched++
		}
	}
	b.ReportMetric(float64(lag.Milliseconds()), "ms-ui-lag-max")
	b.ReportMetric(float64(unmatched), "face-unmatched")
	// A few unmatched faces on a busy machine are the recording's timing; most of
	// them means the sessions did not run what they should have.
	if unmatched > last.session/2 {
		b.Errorf("%d of %d sessions did not get past the face check", unmatched, last.session)
	}
}

// runRSSChild starts Xvfb and the child kiosk, plays n sessions and samples the
// child after each. Everything it starts it stops, by PID, before returning.
func runRSSChild(b *testing.B, xvfb string, n int) (res rssResult) {
	b.Helper()
	if n < 1 {
		return rssResult{err: fmt.Errorf("-rss.sessions=%d: at least 1", n)}
	}
	dir := b.TempDir()

	display, stopX, err := startXvfb(xvfb, filepath.Join(dir, "xvfb.log"))
	if err != nil {
		return rssResult{err: err}
	}
	defer stopX()

	self, err := os.Executable()
	if err != nil {
		return rssResult{err: err}
	}
	logPath := filepath.Join(dir, "kiosk.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return rssResult{err: err}
	}
	defer logFile.Close()
	defer func() {
		if res.err != nil {
			res.err = fmt.Errorf("%w\nthe child kiosk's log ends with:\n%s", res.err, tailFile(logPath, 40))
		}
	}()

	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(),
		rssChildEnv+"=1",
		rssChildSessionsEnv+"="+strconv.Itoa(n),
		"DISPLAY="+display,
		"LIBGL_ALWAYS_SOFTWARE=1",
		// The demo's database, receipts and test PKI, and Fyne's settings, in a
		// folder of this run (the models stay where KIOSK_MODELS_DIR or the cache says).
		"XDG_CACHE_HOME="+filepath.Join(dir, "cache"),
		"XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"KIOSK_MODELS_DIR="+config.DefaultModelsDir(),
		rssChildHeapEnv+"="+*rssHeap,
	)
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	toChild, err := cmd.StdinPipe()
	if err != nil {
		return rssResult{err: err}
	}
	fromChild, err := cmd.StdoutPipe()
	if err != nil {
		return rssResult{err: err}
	}
	if err := cmd.Start(); err != nil {
		return rssResult{err: fmt.Errorf("starting the child kiosk: %w", err)}
	}
	pid := cmd.Process.Pid
	var waitErr error
	exited := make(chan struct{}) // closed when the child has exited (waitErr set)
	go func() { waitErr = cmd.Wait(); close(exited) }()
	defer func() {
		toChild.Close() // the child quits at EOF
		select {
		case <-exited:
		case <-time.After(60 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}()

	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(fromChild)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// The first line waits for the lock on pcscd (other packages' tests may hold it
	// for minutes), the others for one session.
	timeout := 15 * time.Minute
	exitedCh := exited // nil once seen
	var start time.Time
	for {
		var line string
		var ok bool
		stopped := func() rssResult {
			<-exited
			return rssResult{err: fmt.Errorf("the child kiosk stopped after %d of %d sessions: %v", max(len(res.samples)-1, 0), n, waitErr)}
		}
		select {
		case line, ok = <-lines:
		case <-exitedCh:
			// Its output may stay open in a process it started: read what it wrote
			// before it exited, but do not wait for an EOF.
			exitedCh, timeout = nil, 2*time.Second
			continue
		case <-time.After(timeout):
			if exitedCh == nil {
				return stopped()
			}
			return rssResult{err: fmt.Errorf("the child kiosk said nothing for %v", timeout)}
		}
		if !ok {
			return stopped()
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "FAIL":
			return rssResult{err: fmt.Errorf("child kiosk: %s", line)}
		case "DONE":
			res.elapsed = time.Since(start)
			if err := writeRSSCSV(*rssCSV, res.samples); err != nil {
				return rssResult{err: err}
			}
			return res
		case "SAMPLE":
			s, err := sampleChild(pid, f[1:])
			if err != nil {
				return rssResult{err: err}
			}
			if s.session == 0 {
				start = time.Now()
			}
			res.samples = append(res.samples, s)
			if s.session <= 10 || s.session%10 == 0 || s.session == n {
				// What Go holds from the OS (Sys − HeapReleased) against the anonymous
				// total tells the Go heap from C's (OpenCV, Mesa, glibc, SQLite).
				goRes := (s.goSys - s.goReleased) >> 20
				b.Logf("session %3d: VmRSS %4d MB VmHWM %4d MB (anon %4d: Go %3d, C %3d; file %3d) Go heap in use %3d MB, UI lag %v",
					s.session, s.rss>>10, s.hwm>>10, s.anon>>10, goRes, s.anon>>10-goRes, s.file>>10, s.goHeap>>20, s.uiLag)
			}
			if _, err := io.WriteString(toChild, "next\n"); err != nil {
				return rssResult{err: fmt.Errorf("telling the child to go on: %w", err)}
			}
			if exitedCh != nil {
				// Longer than the child's own bounded waits for one session (card in and
				// out up to 60 s each, the face result 120 s, screens 10 s), so that its
				// FAIL line, with what it waited for, comes first.
				timeout = 6 * time.Minute
			}
		}
	}
}

// sampleChild reads the child's /proc/PID/status and smaps_rollup; rest is the
// child's own line: session number, Go heap figures, whether it applied.
func sampleChild(pid int, rest []string) (rssSample, error) {
	var s rssSample
	kv := map[string]string{}
	for _, f := range rest {
		if k, v, ok := strings.Cut(f, "="); ok {
			kv[k] = v
		}
	}
	num := func(k string) int64 { v, _ := strconv.ParseInt(kv[k], 10, 64); return v }
	s.session = int(num("session"))
	s.goHeap, s.goSys, s.goReleased = num("heap"), num("sys"), num("released")
	s.applied, s.matched = kv["applied"] == "true", kv["matched"] == "true"
	s.uiLag = time.Duration(num("lag_ms")) * time.Millisecond

	status, err := procFields(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	s.rss, s.hwm, s.anon, s.file, s.shm, s.threads = status["VmRSS"], status["VmHWM"], status["RssAnon"], status["RssFile"], status["RssShmem"], status["Threads"]
	if s.rss == 0 {
		return s, fmt.Errorf("/proc/%d/status has no VmRSS", pid)
	}
	if rollup, err := procFields(fmt.Sprintf("/proc/%d/smaps_rollup", pid)); err == nil {
		s.smapsAnon, s.smapsPrivDirty = rollup["Anonymous"], rollup["Private_Dirty"]
	}
	return s, nil
}

// procFields reads "Name:   123 kB" lines into a map of the numbers.
func procFields(path string) (map[string]int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
			out[k] = n
		}
	}
	return out, nil
}

func writeRSSCSV(path string, samples []rssSample) error {
	if path == "" {
		return nil
	}
	var sb strings.Builder
	sb.WriteString("session,vmrss_kb,vmhwm_kb,rss_anon_kb,rss_file_kb,rss_shmem_kb,smaps_anon_kb,private_dirty_kb,go_heap_b,go_sys_b,go_released_b,threads,matched,applied,ui_lag_ms\n")
	for _, s := range samples {
		fmt.Fprintf(&sb, "%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%t,%t,%d\n", s.session, s.rss, s.hwm, s.anon, s.file, s.shm,
			s.smapsAnon, s.smapsPrivDirty, s.goHeap, s.goSys, s.goReleased, s.threads, s.matched, s.applied, s.uiLag.Milliseconds())
	}
	return os.WriteFile(path, []byte(sb.String()), 0o644)
}

// startXvfb starts a 1920×1080 X server on a display it picks itself (-displayfd),
// and returns the display and how to stop it (by its PID).
func startXvfb(bin, logPath string) (display string, stop func(), err error) {
	r, w, err := os.Pipe()
	if err != nil {
		return "", nil, err
	}
	defer r.Close()
	logFile, err := os.Create(logPath)
	if err != nil {
		w.Close()
		return "", nil, err
	}
	cmd := exec.Command(bin, "-displayfd", "3", "-screen", "0", "1920x1080x24", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		w.Close()
		logFile.Close()
		return "", nil, fmt.Errorf("starting Xvfb: %w", err)
	}
	w.Close()
	stop = func() {
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
	}
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		got <- strings.TrimSpace(line)
	}()
	select {
	case d := <-got:
		if _, err := strconv.Atoi(d); err != nil {
			stop()
			return "", nil, fmt.Errorf("Xvfb did not start (display %q):\n%s", d, tailFile(logPath, 20))
		}
		return ":" + d, stop, nil
	case <-time.After(30 * time.Second):
		stop()
		return "", nil, errors.New("Xvfb did not give its display within 30 s")
	}
}

func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// rssChild is the child kiosk: `kiosk run --demo --windowed`, with sessionHook
// playing sessions. After the attract screen first shows, and after each session's
// card is pulled, it prints a SAMPLE line and waits for the benchmark's "next".
func rssChild() int {
	n, err := strconv.Atoi(os.Getenv(rssChildSessionsEnv))
	if err != nil || n < 1 {
		fmt.Printf("FAIL %s=%q\n", rssChildSessionsEnv, os.Getenv(rssChildSessionsEnv))
		return 2
	}
	failed := make(chan string, 1)
	sessionHook = func(m *kiosk.Machine, demo kioskapp.DemoControls, quit func()) {
		go func() {
			defer quit()
			if msg := playSessions(m, demo, n); msg != "" {
				failed <- msg
			}
		}()
	}
	cfg := config.Default()
	cfg.Kiosk.Mode = config.ModeDemo
	runErr := runKiosk(context.Background(), cfg, runOptions{demo: true, windowed: true, camera: -1})
	select {
	case msg := <-failed:
		fmt.Printf("FAIL %s\n", msg)
		return 1
	default:
	}
	if runErr != nil {
		fmt.Printf("FAIL %v\n", oneLine(runErr.Error()))
		return 1
	}
	return 0
}

// playSessions plays n sessions (card in, face, menu, the first eligible service
// when there is one, card out); it returns why it stopped early, or "".
func playSessions(m *kiosk.Machine, demo kioskapp.DemoControls, n int) (failure string) {
	tb := &childTB{}
	defer func() {
		if tb.failed != "" {
			failure = tb.failed
		}
	}()
	s := &demoSession{tb: tb, devs: devices{demo: demo}, m: m, faces: &decisionLog{}, snaps: newSnapRecorder()}
	cancel := m.Subscribe(s.snaps.add)
	defer cancel()
	in := bufio.NewScanner(os.Stdin)
	lag := watchUILag()
	defer lag.stop()
	sample := func(session int, matched, applied bool) bool {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Printf("SAMPLE session=%d heap=%d sys=%d released=%d matched=%t applied=%t lag_ms=%d\n",
			session, ms.HeapInuse, ms.Sys, ms.HeapReleased, matched, applied, lag.takeMax().Milliseconds())
		return in.Scan() // EOF: the benchmark is gone
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		s.waitState(kiosk.StateAttract, waitScreen)
		time.Sleep(time.Second) // the first frame drawn
		if !sample(0, false, false) {
			return
		}
		for i := 1; i <= n; i++ {
			matched := playSession(s)
			time.Sleep(300 * time.Millisecond) // the attract screen drawn
			if !sample(i, matched, false) {
				return
			}
		}
		if path := os.Getenv(rssChildHeapEnv); path != "" {
			if err := writeHeapProfile(path); err != nil {
				tb.Errorf("heap profile: %v", err)
				return
			}
		}
		fmt.Println("DONE")
	}()
	<-done
	return ""
}

// uiLag measures how long work handed to Fyne's goroutine (fyne.Do, as the UI does
// with every snapshot) waits before it runs: a queue that grows keeps every snapshot
// in it, camera frames included, alive.
type uiLag struct {
	mu   sync.Mutex
	max  time.Duration
	quit chan struct{}
	done chan struct{}
}

func watchUILag() *uiLag {
	l := &uiLag{quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		for {
			start := time.Now()
			ran := make(chan struct{})
			fyne.Do(func() { close(ran) })
			select {
			case <-ran:
			case <-l.quit:
				return
			}
			l.mu.Lock()
			l.max = max(l.max, time.Since(start))
			l.mu.Unlock()
			select {
			case <-time.After(200 * time.Millisecond):
			case <-l.quit:
				return
			}
		}
	}()
	return l
}

// takeMax returns the longest wait since the last call.
func (l *uiLag) takeMax() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.max
	l.max = 0
	return m
}

func (l *uiLag) stop() {
	close(l.quit)
	<-l.done
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC() // the profile shows what is live, as of the last GC
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// playSession plays one resident: card in, the face step, and when the face matched
// the service menu; then the card comes out. (No application: the demo's payment
// step needs the DEMO banner's wallet and terminal buttons, and what an application
// keeps is the store's, measured by its own tests.) A face step that does not match
// (the recording plays in real time, and a busy machine can drop the frames of the
// blink or the turn) still ran the whole pipeline: the card is pulled and the run
// goes on. Anything else that goes wrong fails the run.
func playSession(s *demoSession) (matched bool) {
	s.devs.demo.InsertCard()
	res := s.wait("the face result", 2*waitDevice, func(x kiosk.Snapshot) bool { return x.State == kiosk.StateFaceResult && !x.Busy })
	if matched = res.Face.Matched; matched {
		s.m.Post(kiosk.Event{Kind: kiosk.EvContinue})
		s.wait("the service menu", waitScreen, func(x kiosk.Snapshot) bool {
			return x.State == kiosk.StateServiceMenu && !x.Busy && len(x.Services) > 0
		})
	}
	s.pull()
	return matched
}

// childTB lets the demo test's session helpers run in the child: a failure ends the
// driving goroutine (as t.Fatal does) and is reported on the FAIL line.
type childTB struct {
	testing.TB // nil: only the methods below are used
	mu         sync.Mutex
	failed     string
}

func (*childTB) Helper() {}

func (c *childTB) Fatalf(format string, args ...any) {
	c.mu.Lock()
	c.failed = oneLine(fmt.Sprintf(format, args...))
	c.mu.Unlock()
	runtime.Goexit()
}

func (c *childTB) Errorf(format string, args ...any) {
	c.mu.Lock()
	if c.failed == "" {
		c.failed = oneLine(fmt.Sprintf(format, args...))
	}
	c.mu.Unlock()
}

func (*childTB) Logf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " | ") }
