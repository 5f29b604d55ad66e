package printer

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
)

const idle = "printer receipt is idle.  enabled since Thu 14 May 2026 10:00:00 AM CST\n"

// fakeCUPS answers lpstat, lp and cancel like CUPS would, and records what lp was
// given.
type fakeCUPS struct {
	mu       sync.Mutex
	calls    []string
	lpstat   func() ([]byte, []byte, error)                    // lpstat -l -p QUEUE
	lp       func(ctx context.Context) ([]byte, []byte, error) // lp -d QUEUE ...
	jobs     func(ctx context.Context) ([]byte, []byte, error) // lpstat -o QUEUE; nil: none left
	file     string                                            // the PDF lp was asked to print
	pdf      []byte                                            // its content when lp ran
	mode     os.FileMode                                       // its permissions when lp ran
	fileSeen bool
}

func (f *fakeCUPS) run(ctx context.Context, name string, args ...string) ([]byte, []byte, error) {
	f.mu.Lock()
	f.calls = append(f.calls, name+" "+strings.Join(args, " "))
	f.mu.Unlock()
	switch {
	case name == "lpstat" && args[0] == "-o":
		if f.jobs == nil {
			return nil, nil, nil
		}
		return f.jobs(ctx)
	case name == "lpstat":
		if f.lpstat == nil {
			return []byte(idle), nil, nil
		}
		return f.lpstat()
	case name == "lp":
		f.file = args[len(args)-1]
		if st, err := os.Stat(f.file); err == nil {
			f.fileSeen, f.mode = true, st.Mode().Perm()
			f.pdf, _ = os.ReadFile(f.file)
		}
		if f.lp == nil {
			return []byte("request id is receipt-42 (1 file(s))\n"), nil, nil
		}
		return f.lp(ctx)
	case name == "cancel":
		return nil, nil, nil
	}
	return nil, nil, &exec.Error{Name: name, Err: exec.ErrNotFound}
}

func exitErr(t *testing.T) error {
	t.Helper()
	err := exec.Command("/bin/sh", "-c", "exit 1").Run()
	if err == nil {
		t.Fatal("sh exit 1 succeeded")
	}
	return err
}

func TestCUPSPrints(t *testing.T) {
	fake := &fakeCUPS{}
	tmp := t.TempDir()
	c := &CUPS{Queue: "receipt", Renderer: Renderer{Words: translator(t)}, Run: fake.run, TempDir: tmp}
	if err := c.PrintReceipt(context.Background(), receipt(kiosk.LangPT, kiosk.ServiceIDRenewal)); err != nil {
		t.Fatal(err)
	}
	if len(fake.calls) != 3 || fake.calls[0] != "lpstat -l -p receipt" || fake.calls[2] != "lpstat -o receipt" {
		t.Fatalf("calls %q", fake.calls)
	}
	if want := "lp -d receipt -t dsi-receipt " + fake.file; fake.calls[1] != want {
		t.Errorf("lp called as %q, want %q", fake.calls[1], want)
	}
	if filepath.Dir(fake.file) != tmp || !fake.fileSeen {
		t.Errorf("lp got %s (seen %v), want a file in %s", fake.file, fake.fileSeen, tmp)
	}
	if fake.mode != 0o600 {
		t.Errorf("receipt file mode %v, want 0600", fake.mode)
	}
	if !bytes.HasPrefix(fake.pdf, []byte("%PDF-")) {
		t.Errorf("lp got %q..., not a PDF", fake.pdf[:min(8, len(fake.pdf))])
	}
	if _, err := os.Stat(fake.file); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("receipt file left behind: %v", err)
	}
}

func TestCUPSFailuresMeanNoPrinter(t *testing.T) {
	notFound := func(name string) error { return &exec.Error{Name: name, Err: exec.ErrNotFound} }
	for _, tc := range []struct {
		name      string
		queue     string
		fake      *fakeCUPS
		timeout   time.Duration
		want      string // in the error text
		cause     error  // errors.Is target besides kiosk.ErrNoPrinter
		lpRuns    bool   // whether lp was reached (a file was written)
		wantCalls int
	}{
		{name: "no queue", queue: "", fake: &fakeCUPS{}, want: "no CUPS queue"},
		{name: "lp missing", queue: "receipt", fake: &fakeCUPS{lpstat: func() ([]byte, []byte, error) { return nil, nil, notFound("lpstat") }},
			want: "not installed", cause: exec.ErrNotFound, wantCalls: 1},
		{name: "lp missing, lpstat present", queue: "receipt", fake: &fakeCUPS{lp: func(context.Context) ([]byte, []byte, error) { return nil, nil, notFound("lp") }},
			want: "lp is not installed", cause: exec.ErrNotFound, lpRuns: true, wantCalls: 2},
		{name: "unknown queue", queue: "nope", fake: &fakeCUPS{lpstat: func() ([]byte, []byte, error) {
			return nil, []byte("lpstat: Invalid destination name in list \"nope\".\n"), exitErr(t)
		}}, want: `unknown CUPS queue "nope"`, wantCalls: 1},
		{name: "stopped", queue: "receipt", fake: &fakeCUPS{lpstat: func() ([]byte, []byte, error) {
			return []byte("printer receipt disabled since Thu 14 May 2026 10:00:00 AM CST -\n\tMedia empty\n"), nil, nil
		}}, want: `queue "receipt" is stopped (Media empty)`, wantCalls: 1},
		{name: "not accepting", queue: "receipt", fake: &fakeCUPS{lp: func(context.Context) ([]byte, []byte, error) {
			return nil, []byte("lp: Destination \"receipt\" is not accepting jobs.\n"), exitErr(t)
		}}, want: "not accepting jobs", lpRuns: true, wantCalls: 2},
		{name: "lp fails with stderr", queue: "receipt", fake: &fakeCUPS{lp: func(context.Context) ([]byte, []byte, error) {
			return nil, []byte("lp: Error - unsupported document-format \"application/pdf\".\n"), exitErr(t)
		}}, want: `lp failed: lp: Error - unsupported document-format`, lpRuns: true, wantCalls: 2},
		{name: "scheduler down", queue: "receipt", fake: &fakeCUPS{lpstat: func() ([]byte, []byte, error) {
			return nil, []byte("lpstat: Scheduler is not running.\n"), exitErr(t)
		}}, want: "scheduler is not running", wantCalls: 1},
		{name: "timeout", queue: "receipt", timeout: 50 * time.Millisecond, fake: &fakeCUPS{lp: func(ctx context.Context) ([]byte, []byte, error) {
			<-ctx.Done() // a hung lp, killed by the context
			return nil, nil, errors.New("signal: killed")
		}}, want: "lp did not finish within 50ms", cause: context.DeadlineExceeded, lpRuns: true, wantCalls: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			c := &CUPS{Queue: tc.queue, Timeout: tc.timeout, Renderer: Renderer{Words: translator(t)}, Run: tc.fake.run, TempDir: tmp}
			err := c.PrintReceipt(context.Background(), receipt(kiosk.LangZhHant, kiosk.ServicePassport))
			if !errors.Is(err, kiosk.ErrNoPrinter) {
				t.Fatalf("error %v does not wrap kiosk.ErrNoPrinter", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to say %q", err, tc.want)
			}
			if tc.cause != nil && !errors.Is(err, tc.cause) {
				t.Errorf("error %v does not wrap %v", err, tc.cause)
			}
			var pe *Error
			if !errors.As(err, &pe) || pe.Reason == "" {
				t.Errorf("error %v is not a *printer.Error with a reason", err)
			}
			if len(tc.fake.calls) != tc.wantCalls {
				t.Errorf("calls %q, want %d", tc.fake.calls, tc.wantCalls)
			}
			if tc.lpRuns != tc.fake.fileSeen {
				t.Errorf("lp saw a file: %v, want %v", tc.fake.fileSeen, tc.lpRuns)
			}
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Errorf("files left behind after a failure: %v", left)
			}
		})
	}
}

func TestCUPSCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	fake := &fakeCUPS{lp: func(ctx context.Context) ([]byte, []byte, error) {
		cancel()
		<-ctx.Done()
		return nil, nil, errors.New("signal: killed")
	}}
	c := &CUPS{Queue: "receipt", Renderer: Renderer{Words: translator(t)}, Run: fake.run, TempDir: t.TempDir()}
	err := c.PrintReceipt(ctx, receipt(kiosk.LangEN, kiosk.ServicePassport))
	if !errors.Is(err, kiosk.ErrNoPrinter) || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "cancelled") {
		t.Errorf("got %v, want a cancelled ErrNoPrinter", err)
	}
}

// After lp, the adapter follows the job: printed when it leaves the unfinished jobs;
// a stopped queue, a printer error or the deadline fail the receipt and cancel the job.
func TestCUPSFollowsTheJob(t *testing.T) {
	const job = "receipt-42 root 3072 Thu 14 May 2026 10:32:07 AM CST\n"
	stoppedOut := "printer receipt disabled since Thu 14 May 2026 -\n\tOut of paper\n\tForm mounted:\n\tAlerts: media-empty-error paused\n"
	paperOut := "printer receipt now printing receipt-42.  enabled since Thu 14 May 2026\n\tWaiting for paper\n\tForm mounted:\n\tAlerts: media-empty-error\n"
	lowPaper := "printer receipt now printing receipt-42.  enabled since Thu 14 May 2026\n\tForm mounted:\n\tAlerts: media-low-warning cups-waiting-for-job-completed\n"
	// states gives lpstat -l -p answers in turn: the first is the check before lp.
	states := func(outs ...string) func() ([]byte, []byte, error) {
		i := 0
		return func() ([]byte, []byte, error) {
			o := outs[min(i, len(outs)-1)]
			i++
			return []byte(o), nil, nil
		}
	}
	pending := func(n int) func(context.Context) ([]byte, []byte, error) {
		return func(context.Context) ([]byte, []byte, error) {
			if n > 0 {
				n--
				return []byte(job), nil, nil
			}
			return nil, nil, nil
		}
	}
	for _, tc := range []struct {
		name       string
		fake       *fakeCUPS
		want       string // "" = printed
		cause      error
		cancelled  bool
		lpstatJobs int // lpstat -o calls
	}{
		{name: "printed at once", fake: &fakeCUPS{}, lpstatJobs: 1},
		{name: "printed after a while", fake: &fakeCUPS{jobs: pending(3), lpstat: states(idle, lowPaper)}, lpstatJobs: 4},
		{name: "queue stops", fake: &fakeCUPS{jobs: pending(100), lpstat: states(idle, idle, stoppedOut)},
			want: `queue "receipt" is stopped (Out of paper)`, cancelled: true, lpstatJobs: 2},
		{name: "printer out of paper", fake: &fakeCUPS{jobs: pending(100), lpstat: states(idle, paperOut)},
			want: `printer of queue "receipt" reports media-empty-error`, cancelled: true, lpstatJobs: 1},
		{name: "out of paper before", fake: &fakeCUPS{lpstat: states(paperOut)}, want: "reports media-empty-error"},
		{name: "never printed", fake: &fakeCUPS{jobs: pending(1 << 30)},
			want: "did not print the receipt within 300ms", cause: context.DeadlineExceeded, cancelled: true},
		{name: "lpstat fails", fake: &fakeCUPS{jobs: func(context.Context) ([]byte, []byte, error) {
			return nil, []byte("lpstat: Scheduler is not running.\n"), exitErr(t)
		}}, want: "scheduler is not running", cancelled: true, lpstatJobs: 1},
		{name: "no request id", fake: &fakeCUPS{lp: func(context.Context) ([]byte, []byte, error) { return nil, nil, nil }}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &CUPS{Queue: "receipt", Timeout: 300 * time.Millisecond, Poll: 5 * time.Millisecond,
				Renderer: Renderer{Words: translator(t)}, Run: tc.fake.run, TempDir: t.TempDir()}
			err := c.PrintReceipt(context.Background(), receipt(kiosk.LangEN, kiosk.ServicePassport))
			if tc.want == "" && err != nil {
				t.Fatalf("got %v, want printed", err)
			}
			if tc.want != "" && (!errors.Is(err, kiosk.ErrNoPrinter) || !strings.Contains(fmtErr(err), tc.want)) {
				t.Errorf("got %v, want ErrNoPrinter saying %q", err, tc.want)
			}
			if tc.cause != nil && !errors.Is(err, tc.cause) {
				t.Errorf("error %v does not wrap %v", err, tc.cause)
			}
			jobs, cancelled := 0, false
			for _, call := range tc.fake.calls {
				jobs += btoi(call == "lpstat -o receipt")
				cancelled = cancelled || call == "cancel receipt-42"
			}
			if tc.lpstatJobs > 0 && jobs != tc.lpstatJobs || tc.lpstatJobs == 0 && tc.want == "" && jobs != 0 {
				t.Errorf("lpstat -o called %d times, want %d: %q", jobs, tc.lpstatJobs, tc.fake.calls)
			}
			if cancelled != tc.cancelled {
				t.Errorf("job cancelled %v, want %v: %q", cancelled, tc.cancelled, tc.fake.calls)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestPrinterError(t *testing.T) {
	for _, tc := range []struct {
		alerts, want string
	}{
		{"none", ""},
		{"media-low-warning cups-waiting-for-job-completed", ""},
		{"offline-report", ""},
		{"media-empty-error paused", "media-empty-error"},
		{"paused media-jam", "media-jam"},
		{"media-needed", "media-needed"},
		{"cover-open-warning other-error", "other-error"},
	} {
		out := "printer receipt is idle.  enabled since today\n\tForm mounted:\n\tAlerts: " + tc.alerts + "\n\tLocation:\n"
		got, bad := printerError(out)
		if got != tc.want || bad != (tc.want != "") {
			t.Errorf("alerts %q: got %q, %v; want %q", tc.alerts, got, bad, tc.want)
		}
	}
}

func TestRequestID(t *testing.T) {
	for out, want := range map[string]string{
		"request id is receipt-42 (1 file(s))\n": "receipt-42",
		"request id is Q-7\n":                    "Q-7",
		"":                                       "",
		"request id is \n":                       "",
	} {
		if got, ok := requestID(out); got != want || ok != (want != "") {
			t.Errorf("requestID(%q) = %q, %v; want %q", out, got, ok, want)
		}
	}
}

func TestDisabled(t *testing.T) {
	for _, tc := range []struct {
		out, reason string
		stopped     bool
	}{
		{idle, "", false},
		{"printer receipt now printing receipt-12.  enabled since Thu 14 May 2026\n", "", false},
		{"printer receipt disabled since Thu 14 May 2026 -\n\tPaused\n", "Paused", true},
		{"printer receipt disabled since Thu 14 May 2026 -\n", "disabled", true},
		// lpstat -l: the message line, if any, then the fields.
		{"printer receipt disabled since Thu 14 May 2026 -\n\tOut of paper\n\tForm mounted:\n", "Out of paper", true},
		{"printer receipt disabled since Thu 14 May 2026 -\n\tForm mounted:\n\tAlerts: paused\n", "disabled", true},
	} {
		reason, stopped := disabled(tc.out)
		if reason != tc.reason || stopped != tc.stopped {
			t.Errorf("disabled(%q) = %q, %v; want %q, %v", tc.out, reason, stopped, tc.reason, tc.stopped)
		}
	}
}

// fakeBin puts shell scripts named lp and lpstat on PATH, so ExecRunner runs real
// processes (exit codes, stderr, kills) without CUPS.
func fakeBin(t *testing.T, lpstat, lp string) string {
	t.Helper()
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	dir := t.TempDir()
	for name, body := range map[string]string{"lpstat": lpstat, "lp": lp} {
		if body == "" {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", dir)
	return dir
}

func TestExecRunner(t *testing.T) {
	spool := t.TempDir()
	okStat := `echo "printer $2 is idle.  enabled since today"`
	for _, tc := range []struct {
		name, lpstat, lp string
		timeout          time.Duration
		want             string // "" = success
		cause            error
	}{
		{name: "prints", lpstat: okStat,
			// Copies the file as the CUPS spooler would, and checks the locale is C.
			lp: `[ "$LC_ALL" = C ] || { echo "lp: locale $LC_ALL" >&2; exit 3; }; /bin/cp "$5" ` + spool + `/job.pdf && echo "request id is $2-1 (1 file(s))"`},
		{name: "lp missing", lpstat: okStat, want: "lp is not installed", cause: exec.ErrNotFound},
		{name: "nothing installed", want: "lpstat is not installed", cause: exec.ErrNotFound},
		{name: "unknown queue", lpstat: `echo "lpstat: Invalid destination name in list \"$2\"." >&2; exit 1`, want: `unknown CUPS queue "receipt"`},
		{name: "exit 1 with stderr", lpstat: okStat, lp: `echo "lp: Error - out of paper" >&2; exit 1`, want: "lp failed: lp: Error - out of paper"},
		{name: "hangs", lpstat: okStat, lp: `exec /bin/sleep 30`, timeout: 300 * time.Millisecond, want: "lp did not finish within 300ms", cause: context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fakeBin(t, tc.lpstat, tc.lp)
			tmp := t.TempDir()
			c := &CUPS{Queue: "receipt", Timeout: tc.timeout, Renderer: Renderer{Words: translator(t)}, TempDir: tmp}
			start := time.Now()
			err := c.PrintReceipt(context.Background(), receipt(kiosk.LangEN, kiosk.ServiceOneAccount))
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				pdf, rerr := os.ReadFile(filepath.Join(spool, "job.pdf"))
				if rerr != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
					t.Errorf("spooled job: %v, %q", rerr, pdf[:min(8, len(pdf))])
				}
			} else {
				if !errors.Is(err, kiosk.ErrNoPrinter) || !strings.Contains(fmtErr(err), tc.want) {
					t.Errorf("got %v, want ErrNoPrinter saying %q", err, tc.want)
				}
				if tc.cause != nil && !errors.Is(err, tc.cause) {
					t.Errorf("error %v does not wrap %v", err, tc.cause)
				}
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v: the timeout did not stop lp", d) // a hang guard, not a speed test
			}
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Errorf("files left behind: %v", left)
			}
		})
	}
}

func fmtErr(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func TestPDFFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo", "receipts") // created on first receipt
	p := &PDFFile{Dir: dir, Renderer: Renderer{Words: translator(t)}}
	r := receipt(kiosk.LangZhHant, kiosk.ServiceTravelPermit)
	if err := p.PrintReceipt(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "receipt-260514-7KQ2M4PT-X.pdf" {
		t.Fatalf("folder holds %v, want just receipt-260514-7KQ2M4PT-X.pdf", entries)
	}
	got, err := os.ReadFile(filepath.Join(dir, entries[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	want, err := p.Renderer.Render(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("the file is not the rendered receipt")
	}
}

func TestPDFFileFailures(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tr := translator(t)
	for _, tc := range []struct {
		name string
		p    *PDFFile
		r    kiosk.Receipt
		want string
	}{
		{"no folder", &PDFFile{Renderer: Renderer{Words: tr}}, receipt(kiosk.LangEN, kiosk.ServicePassport), "no receipt folder"},
		{"folder is a file", &PDFFile{Dir: file, Renderer: Renderer{Words: tr}}, receipt(kiosk.LangEN, kiosk.ServicePassport), "receipt folder"},
		{"bad receipt", &PDFFile{Dir: t.TempDir(), Renderer: Renderer{Words: tr}}, kiosk.Receipt{}, "rendering"},
	} {
		err := tc.p.PrintReceipt(context.Background(), tc.r)
		if !errors.Is(err, kiosk.ErrNoPrinter) || !strings.Contains(fmtErr(err), tc.want) {
			t.Errorf("%s: got %v, want ErrNoPrinter saying %q", tc.name, err, tc.want)
		}
	}
}

func TestFileNameStaysInFolder(t *testing.T) {
	for ref, want := range map[string]string{
		"260514-7KQ2M4PT-X": "receipt-260514-7KQ2M4PT-X.pdf",
		"../../etc/passwd":  "receipt-etcpasswd.pdf",
	} {
		if got := fileName(ref); got != want {
			t.Errorf("fileName(%q) = %q, want %q", ref, got, want)
		}
	}
}

func TestNewFromOptions(t *testing.T) {
	tr := translator(t)
	if p, ok := New(Options{Queue: "receipt", Folder: "/ignored", Timeout: 3 * time.Second}, tr).(*CUPS); !ok || p.Queue != "receipt" || p.Timeout != 3*time.Second || p.Renderer.Words == nil {
		t.Errorf("queue set: got %#v", p)
	}
	if p, ok := New(Options{Folder: "/tmp/r"}, tr).(*PDFFile); !ok || p.Dir != "/tmp/r" || p.Renderer.Words == nil {
		t.Errorf("folder set: got %#v", p)
	}
	if _, ok := New(Options{Timeout: 10 * time.Second}, tr).(kiosk.NoPrinter); !ok {
		t.Error("no queue and no folder must mean no printer")
	}
}
