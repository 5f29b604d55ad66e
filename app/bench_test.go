package app

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/macau-dsi/kiosk/assets"
	"github.com/macau-dsi/kiosk/i18n"
	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
)

// BenchmarkStartToAttract: from nothing to the attract screen drawn at 1920×1080 in
// the test driver (translations parsed, theme and font set, screen built and laid out).
func BenchmarkStartToAttract(b *testing.B) {
	snap := kiosktest.Samples(kiosk.LangZhHant)[kiosk.StateAttract]
	for b.Loop() {
		a := test.NewApp()
		tr, err := i18n.NewTranslator(assets.Translations())
		if err != nil {
			b.Fatal(err)
		}
		w := a.NewWindow("kiosk")
		w.Resize(kioskSize)
		flow := kiosktest.NewFlow(snap)
		u := New(a, w, tr, flow, nil)
		u.Render(flow.Snapshot())
		w.Canvas().Capture() // paint it, as the screen would
		w.Close()
	}
}

// BenchmarkCardInToMenu: machine time from the card going in to the service menu
// drawn, on the fakes (instant card read and face match): the UI's and the flow's
// share of the path, without device time.
func BenchmarkCardInToMenu(b *testing.B) {
	r := newRun(b, nil)
	for b.Loop() {
		r.tap("English")
		r.until(kiosk.StateInsertCard)
		r.h.Card.Insert()
		r.until(kiosk.StateFaceResult)
		r.tap("Continue")
		r.until(kiosk.StateServiceMenu)
		b.StopTimer()
		r.h.Card.Remove()
		r.until(kiosk.StateAttract)
		b.StartTimer()
	}
}

// session walks one resident through a renewal and out again.
func (r *kioskRun) session() {
	r.toMenu()
	r.tap("Identity card renewal")
	r.untilForm()
	fillOfficeAndPhone(r)
	r.tap("Continue")
	r.until(kiosk.StateSummary)
	r.tap("Confirm and submit")
	r.payWallet()
	r.until(kiosk.StateDone)
	r.tap("Finish")
	r.until(kiosk.StateTakeCard)
	r.h.Card.Remove()
	r.until(kiosk.StateAttract)
}

type memSample struct {
	heap       uint64
	goroutines int
}

func sampleMem() memSample {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memSample{heap: ms.HeapAlloc, goroutines: runtime.NumGoroutine()}
}

// TestMemoryFlatOver100Sessions runs 100 sessions in a row through the UI and checks
// that live heap and goroutines do not grow with them. Fyne keeps renderers and text
// measurements of old screens in caches that expire after FYNE_CACHE (default 1 min)
// at a paint; the check runs in a child process with FYNE_CACHE=2s (read at Fyne's
// init) and paints after the caches expired, so what remains is what the kiosk keeps.
// The fakes' in-memory store keeps its audit rows and applications: that is part of
// the small allowance.
func TestMemoryFlatOver100Sessions(t *testing.T) {
	if testing.Short() {
		t.Skip("100 sessions and two cache expiries (~30 s): not in -short")
	}
	if os.Getenv("KIOSK_MEMTEST") != "1" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMemoryFlatOver100Sessions$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), "KIOSK_MEMTEST=1", "FYNE_CACHE=2s")
		out, err := cmd.CombinedOutput()
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if strings.Contains(line, "heap") || strings.Contains(line, "grew") || strings.Contains(line, "FAIL") || strings.Contains(line, "panic") {
				t.Log(strings.TrimSpace(line))
			}
		}
		if err != nil {
			t.Fatalf("memory check failed: %v", err)
		}
		return
	}
	r := newRun(t, nil)
	settle := func() memSample {
		// Fyne cleans its caches at most every 10 s, at a paint.
		time.Sleep(11 * time.Second)
		r.w.Canvas().Capture()
		return sampleMem()
	}
	r.session() // warm caches: fonts, icons
	rest := settle()
	for i := 0; i < 100; i++ {
		r.session()
	}
	peak := sampleMem()
	after := settle()
	growth := int64(after.heap) - int64(rest.heap)
	t.Logf("heap at rest %.1f MiB; right after 100 more sessions %.1f MiB; after Fyne's cache expiry %.1f MiB (%+.2f MiB); goroutines %d -> %d",
		mib(rest.heap), mib(peak.heap), mib(after.heap), float64(growth)/(1<<20), rest.goroutines, after.goroutines)
	if growth > 2<<20 {
		t.Errorf("heap grew by %.1f MiB over 100 sessions", float64(growth)/(1<<20))
	}
	if after.goroutines > rest.goroutines+5 {
		t.Errorf("goroutines grew from %d to %d", rest.goroutines, after.goroutines)
	}
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// BenchmarkSession: one whole renewal session through the UI on fakes (memory over
// many sessions is TestMemoryFlatOver100Sessions's job).
func BenchmarkSession(b *testing.B) {
	r := newRun(b, nil)
	for b.Loop() {
		r.session()
	}
}
