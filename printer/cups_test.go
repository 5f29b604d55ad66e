package printer

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/printer/cupstest"
)

// A real print job through a private cupsd (printer/cupstest) and the cups-pdf
// backend: the adapter's lp job comes out as a PDF that is the receipt, and a stopped
// queue or a printer out of paper is an error wrapping kiosk.ErrNoPrinter, with no
// job left behind to print later. Skips without CUPS; fails without it when CI=true.
func TestRealCUPS(t *testing.T) {
	srv := cupstest.Start(t)
	tr := translator(t)
	printed := srv.AddPDFQueue("receipt")
	stoppedOut := srv.AddPDFQueue("stopped")
	srv.AddNoPaperQueue("nopaper", false)
	srv.AddNoPaperQueue("waiting", true)
	adapter := func(queue string) *CUPS {
		return &CUPS{Queue: queue, Timeout: 30 * time.Second, Renderer: Renderer{Words: tr}, TempDir: t.TempDir()}
	}

	for _, l := range kiosk.Languages {
		t.Run("prints/"+string(l), func(t *testing.T) {
			r := receipt(l, kiosk.ServicePassport)
			r.Demo = true // the demo prints through CUPS too, and its mark must survive it
			start := time.Now()
			want, err := (Renderer{Words: tr}).Render(r)
			if err != nil {
				t.Fatal(err)
			}
			renderTime := time.Since(start)
			start = time.Now()
			if err := adapter("receipt").PrintReceipt(context.Background(), r); err != nil {
				t.Fatalf("%v\n%s", err, srv.Log())
			}
			returned := time.Since(start)
			// The adapter returns once CUPS has finished the job, so the PDF is there.
			path := srv.WaitPDF(printed, time.Second)
			t.Logf("render %v; PrintReceipt (lp, until the job is done and cups-pdf wrote the PDF) %v",
				renderTime.Round(time.Millisecond), returned.Round(time.Millisecond))
			pdf, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			if d := os.Getenv("PRINTER_SAMPLES_DIR"); d != "" {
				if err := os.WriteFile(filepath.Join(d, "cups-pdf-"+string(l)+".pdf"), pdf, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			// cups-pdf makes its PDF again from PostScript (pdftops, then Ghostscript),
			// which keeps the glyphs but not their Unicode text: pdftotext cannot read
			// it back. What came out is checked as a scanner and an eye see it: both
			// codes read back, and the page is the rendered receipt, pixel for pixel.
			img := cupstest.Rasterise(t, pdf, 300)
			if gotQR, gotBars := cupstest.Decode(t, img); gotQR != r.VerifyURL || gotBars != r.Reference {
				t.Errorf("printed codes read %q and %q, want %q and %q", gotQR, gotBars, r.VerifyURL, r.Reference)
			}
			// The same receipt for another application differs more than the
			// printing system's own changes: the comparison can tell them apart.
			o := r
			o.Reference = "260514-7KQ2M4PU-A"
			o.VerifyURL = kiosk.VerifyURL(verifyBase, o.Reference)
			other, err := (Renderer{Words: tr}).Render(o)
			if err != nil {
				t.Fatal(err)
			}
			same, differ := cupstest.InkDiff(img, cupstest.Rasterise(t, want, 300)), cupstest.InkDiff(img, cupstest.Rasterise(t, other, 300))
			t.Logf("printed page's ink differs from the receipt's in %.2f%%, from another application's in %.2f%%", 100*same, 100*differ)
			if same > 0.01 || differ < 0.05 {
				t.Errorf("the printed page differs from the receipt in %.2f%% of its ink, want < 1%% (another receipt: %.2f%%, want > 5%%)", 100*same, 100*differ)
			}
			if jobs := srv.Jobs("receipt"); jobs != "" {
				t.Errorf("jobs left: %s", jobs)
			}
		})
	}

	for _, tc := range []struct {
		name, queue string
		prepare     func()
		want        string
	}{
		{name: "stopped queue", queue: "stopped", prepare: func() { srv.Run("cupsdisable", "-r", "Paper jam", "stopped") },
			want: `queue "stopped" is stopped (Paper jam)`},
		// The driver reports media-empty-error, then stops the queue: the adapter may
		// see either first.
		{name: "no paper, the driver stops the queue", queue: "nopaper", want: `queue "nopaper" is stopped (Out of paper)|printer of queue "nopaper" reports media-empty-error`},
		{name: "no paper, the driver waits for it", queue: "waiting", want: `printer of queue "waiting" reports media-empty-error`},
		{name: "unknown queue", queue: "nowhere", want: `unknown CUPS queue "nowhere"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.prepare != nil {
				tc.prepare()
			}
			start := time.Now()
			err := adapter(tc.queue).PrintReceipt(context.Background(), receipt(kiosk.LangEN, kiosk.ServiceIDRenewal))
			took := time.Since(start)
			if !errors.Is(err, kiosk.ErrNoPrinter) || !slices.ContainsFunc(strings.Split(tc.want, "|"), func(w string) bool { return strings.Contains(fmtErr(err), w) }) {
				t.Fatalf("got %v, want ErrNoPrinter saying %q\n%s", err, tc.want, srv.Log())
			}
			// Told at once, not at the 30 s deadline: the resident is waiting.
			if took > 10*time.Second {
				t.Errorf("took %v to fail", took)
			}
			t.Logf("%v after %v", err, took.Round(time.Millisecond))
			if tc.queue != "nowhere" {
				// Nothing left to print when the paper is back.
				if jobs := srv.Jobs(tc.queue); jobs != "" {
					t.Errorf("jobs left on %s: %s", tc.queue, jobs)
				}
			}
		})
	}
	if m, _ := filepath.Glob(filepath.Join(stoppedOut, "*")); len(m) != 0 {
		t.Errorf("the stopped queue printed %v", m)
	}
}

// The harness skips without CUPS, but not in CI: CI installs it, and a CUPS test that
// quietly skips there proves nothing.
func TestCUPSHarnessFailsInCI(t *testing.T) {
	if os.Getenv("CUPSTEST_CHILD") == "1" {
		cupstest.Start(t) // with no cupsd: "cupsd not installed"
		return
	}
	for _, ci := range []string{"", "true"} {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestCUPSHarnessFailsInCI$", "-test.v")
		cmd.Env = append(os.Environ(), "CUPSTEST_CHILD=1", "CI="+ci, "CUPSTEST_CUPSD=/nonexistent/cupsd")
		out, err := cmd.CombinedOutput()
		skipped := strings.Contains(string(out), "--- SKIP") && err == nil
		failed := strings.Contains(string(out), "--- FAIL") && err != nil
		if ci == "true" && !failed || ci == "" && !skipped {
			t.Errorf("CI=%q: want the CUPS test to %s:\n%s", ci, map[bool]string{true: "fail", false: "skip"}[ci == "true"], out)
		}
		if !strings.Contains(string(out), "cupsd not installed") {
			t.Errorf("CI=%q: no reason given:\n%s", ci, out)
		}
	}
}
