package printer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
)

var (
	_ kiosk.Printer = (*CUPS)(nil)
	_ kiosk.Printer = (*PDFFile)(nil)
)

// DefaultTimeout bounds one print job (status check plus lp) when CUPS.Timeout is 0.
const DefaultTimeout = 10 * time.Second

// Error is a failed print. It unwraps to kiosk.ErrNoPrinter (so the session tells the
// resident to note the reference) and to the cause (exec.ErrNotFound,
// context.DeadlineExceeded, ...). Reason is safe to log: it holds no receipt data.
type Error struct {
	Reason string
	Err    error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return "printer: " + e.Reason
	}
	return "printer: " + e.Reason + ": " + e.Err.Error()
}

// Unwrap gives both kiosk.ErrNoPrinter and the cause to errors.Is / errors.As.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{kiosk.ErrNoPrinter}
	}
	return []error{kiosk.ErrNoPrinter, e.Err}
}

// Runner runs a command and returns what it wrote. ExecRunner is the real one; tests
// inject fakes so they do not need CUPS.
type Runner func(ctx context.Context, name string, args ...string) (stdout, stderr []byte, err error)

// ExecRunner runs the command with the C locale, so that CUPS' messages are the English
// ones the classification below expects, whatever the kiosk's locale.
func ExecRunner(ctx context.Context, name string, args ...string) ([]byte, []byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C")
	// Kill lp if it ignores the signal; never wait on its pipes after the deadline.
	cmd.WaitDelay = time.Second
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.Bytes(), errb.Bytes(), err
}

// CUPS prints receipts on a CUPS queue with lp.
type CUPS struct {
	Queue    string
	Timeout  time.Duration // 0: DefaultTimeout
	Renderer Renderer
	Run      Runner        // nil: ExecRunner
	TempDir  string        // where the PDF waits for lp; "": os.TempDir()
	Poll     time.Duration // how often a job is checked on; 0: 100 ms
}

// PrintReceipt renders the receipt, checks that the queue can print, submits the PDF
// with lp and waits until CUPS has printed it. The PDF is private (0600) and deleted
// once lp has it: lp copies the file into the spool before it returns.
//
// "Printed" means the job left CUPS' list of unfinished jobs: a queue that stops
// (the driver's answer to no paper or a jam) or a printer that reports an error
// (media-empty-error and the like, while the driver waits for paper) fails the
// receipt, and so does a job still unfinished at the deadline. Such a job is
// cancelled: a receipt that comes out later would be picked up by the next resident
// or by nobody, and this resident has been told to note the reference.
func (c *CUPS) PrintReceipt(ctx context.Context, r kiosk.Receipt) error {
	if c.Queue == "" {
		return &Error{Reason: "no CUPS queue configured"}
	}
	pdf, err := c.Renderer.Render(r)
	if err != nil {
		return &Error{Reason: "rendering the receipt", Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()

	// A stopped (disabled) queue accepts jobs and holds them: the resident would wait
	// for paper that never comes. Ask first.
	if err := c.ready(ctx); err != nil {
		return err
	}

	f, err := os.CreateTemp(c.TempDir, "dsi-receipt-*.pdf") // CreateTemp makes it 0600
	if err != nil {
		return &Error{Reason: "writing the receipt for lp", Err: err}
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(pdf); err != nil {
		f.Close()
		return &Error{Reason: "writing the receipt for lp", Err: err}
	}
	if err := f.Close(); err != nil {
		return &Error{Reason: "writing the receipt for lp", Err: err}
	}
	out, stderr, err := c.run(ctx, "lp", "-d", c.Queue, "-t", "dsi-receipt", f.Name())
	if err != nil {
		return c.fail(ctx, "lp", stderr, err)
	}
	job, ok := requestID(string(out))
	if !ok {
		// lp took the job but did not say which: nothing to follow. (CUPS' lp always
		// says, unless a site wrapper silences it.)
		return nil
	}
	return c.follow(ctx, job)
}

func (c *CUPS) run(ctx context.Context, name string, args ...string) ([]byte, []byte, error) {
	if c.Run == nil {
		return ExecRunner(ctx, name, args...)
	}
	return c.Run(ctx, name, args...)
}

// ready fails if the queue is stopped or its printer reports an error.
func (c *CUPS) ready(ctx context.Context) error {
	out, stderr, err := c.run(ctx, "lpstat", "-l", "-p", c.Queue)
	if err != nil {
		return c.fail(ctx, "lpstat", stderr, err)
	}
	if reason, stopped := disabled(string(out)); stopped {
		return &Error{Reason: fmt.Sprintf("queue %q is stopped (%s)", c.Queue, reason)}
	}
	if alert, bad := printerError(string(out)); bad {
		return &Error{Reason: fmt.Sprintf("printer of queue %q reports %s", c.Queue, alert)}
	}
	return nil
}

// follow waits until job has left the queue's unfinished jobs, and cancels it if the
// queue stops, the printer reports an error, or the deadline comes first.
func (c *CUPS) follow(ctx context.Context, job string) error {
	poll := c.Poll
	if poll <= 0 {
		poll = 100 * time.Millisecond
	}
	for {
		out, stderr, err := c.run(ctx, "lpstat", "-o", c.Queue)
		if err != nil {
			c.cancelJob(ctx, job)
			return c.fail(ctx, "lpstat", stderr, err)
		}
		if !hasJob(string(out), job) {
			return nil
		}
		if err := c.ready(ctx); err != nil {
			c.cancelJob(ctx, job)
			return err
		}
		select {
		case <-ctx.Done():
			c.cancelJob(ctx, job)
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return &Error{Reason: fmt.Sprintf("the printer did not print the receipt within %s", c.timeout()), Err: ctx.Err()}
			}
			return &Error{Reason: "printing was cancelled", Err: ctx.Err()}
		case <-time.After(poll):
		}
	}
}

// cancelJob removes a job that will not be printed now, with its own short deadline:
// the caller's may be the reason it is cancelled. A failure is not reported: the
// receipt has failed anyway, and staff see the job in CUPS.
func (c *CUPS) cancelJob(ctx context.Context, job string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	c.run(ctx, "cancel", job)
}

// requestID reads lp's "request id is receipt-42 (1 file(s))".
func requestID(out string) (string, bool) {
	_, rest, ok := strings.Cut(out, "request id is ")
	if !ok {
		return "", false
	}
	id, _, _ := strings.Cut(rest, " ")
	id = strings.TrimSpace(id)
	return id, id != ""
}

// hasJob reads `lpstat -o QUEUE`, one unfinished job per line, its id first.
func hasJob(out, job string) bool {
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == job {
			return true
		}
	}
	return false
}

// printerError reads the "Alerts:" line of `lpstat -l -p` (the printer-state-reasons)
// and reports the first that stops printing: IPP's "-error" severity, or a paper or
// cover problem a driver reports without a severity. Warnings (media-low-warning)
// and reports do not stop a receipt.
func printerError(out string) (string, bool) {
	for _, line := range strings.Split(out, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "Alerts:")
		if !ok {
			continue
		}
		for _, reason := range strings.Fields(rest) {
			switch reason {
			case "media-empty", "media-needed", "media-jam", "door-open", "cover-open":
				return reason, true
			}
			if strings.HasSuffix(reason, "-error") {
				return reason, true
			}
		}
	}
	return "", false
}

func (c *CUPS) timeout() time.Duration {
	if c.Timeout <= 0 {
		return DefaultTimeout
	}
	return c.Timeout
}

// fail turns a failed CUPS command into an Error that says why in words staff can act on.
func (c *CUPS) fail(ctx context.Context, cmd string, stderr []byte, err error) error {
	msg := firstLine(stderr)
	low := strings.ToLower(msg)
	switch {
	case errors.Is(err, exec.ErrNotFound):
		return &Error{Reason: cmd + " is not installed (install cups-client)", Err: err}
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return &Error{Reason: fmt.Sprintf("%s did not finish within %s", cmd, c.timeout()), Err: ctx.Err()}
	case ctx.Err() != nil:
		return &Error{Reason: cmd + " was cancelled", Err: ctx.Err()}
	case strings.Contains(low, "does not exist"), strings.Contains(low, "invalid destination"),
		strings.Contains(low, "unknown destination"):
		return &Error{Reason: fmt.Sprintf("unknown CUPS queue %q", c.Queue), Err: errors.New(msg)}
	case strings.Contains(low, "not accepting"):
		return &Error{Reason: fmt.Sprintf("queue %q is not accepting jobs", c.Queue), Err: errors.New(msg)}
	case strings.Contains(low, "scheduler is not running"), strings.Contains(low, "connection refused"):
		return &Error{Reason: "the CUPS scheduler is not running", Err: errors.New(msg)}
	case msg != "":
		return &Error{Reason: cmd + " failed: " + msg, Err: err}
	default:
		return &Error{Reason: cmd + " failed", Err: err}
	}
}

// disabled reads `lpstat -l -p` output: "printer Q disabled since ... -\n\treason".
func disabled(out string) (reason string, stopped bool) {
	first, rest, _ := strings.Cut(out, "\n")
	if !strings.Contains(first, " disabled") {
		return "", false
	}
	reason, _, _ = strings.Cut(strings.TrimSpace(rest), "\n")
	reason = strings.TrimSpace(reason)
	// With -l, a queue stopped without a message goes on with its "Form mounted:"
	// field: that is no reason.
	if reason == "" || strings.HasPrefix(reason, "Form mounted:") {
		reason = "disabled"
	}
	return reason, true
}

func firstLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}

// PDFFile "prints" by writing receipt-<reference>.pdf into Dir: the demo and testers
// see the exact page the kiosk would print, with no printer.
type PDFFile struct {
	Dir      string
	Renderer Renderer
}

// PrintReceipt writes the PDF atomically (temporary name, then rename), so a viewer
// watching the folder never opens half a file.
func (p *PDFFile) PrintReceipt(_ context.Context, r kiosk.Receipt) error {
	if p.Dir == "" {
		return &Error{Reason: "no receipt folder configured"}
	}
	pdf, err := p.Renderer.Render(r)
	if err != nil {
		return &Error{Reason: "rendering the receipt", Err: err}
	}
	if err := os.MkdirAll(p.Dir, 0o700); err != nil {
		return &Error{Reason: "receipt folder", Err: err}
	}
	f, err := os.CreateTemp(p.Dir, ".receipt-*.tmp")
	if err != nil {
		return &Error{Reason: "receipt folder", Err: err}
	}
	defer os.Remove(f.Name()) // no-op once renamed
	if _, err := f.Write(pdf); err != nil {
		f.Close()
		return &Error{Reason: "writing the receipt", Err: err}
	}
	if err := f.Close(); err != nil {
		return &Error{Reason: "writing the receipt", Err: err}
	}
	if err := os.Rename(f.Name(), filepath.Join(p.Dir, fileName(r.Reference))); err != nil {
		return &Error{Reason: "writing the receipt", Err: err}
	}
	return nil
}

// fileName keeps only the reference's own characters, so a bad reference can never
// name a path outside Dir.
func fileName(ref string) string {
	var b strings.Builder
	for _, c := range ref {
		if c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '-' {
			b.WriteRune(c)
		}
	}
	return "receipt-" + b.String() + ".pdf"
}
