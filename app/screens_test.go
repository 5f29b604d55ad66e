package app

import (
	"image/png"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
)

// kioskSize is the kiosk panel: every screen is checked at full size.
var kioskSize = fyne.NewSize(1920, 1080)

// newTestUI draws flow into a 1920×1080 test window. Missing translations fail t.
func newTestUI(t testing.TB, flow kiosk.Flow) (*UI, fyne.Window) {
	t.Helper()
	a := sharedTestApp()
	tr := loadTranslator(t)
	tr.Missing = func(l kiosk.Language, key string) { t.Errorf("missing translation %s in %s", key, l) }
	w := test.NewTempWindow(t, nil)
	w.SetPadded(false)
	w.Resize(kioskSize)
	return New(a, w, tr, flow, nil), w
}

// sharedTestApp is one Fyne test app for the package: a new app per test parses the
// bundled CJK font again (some 40 MB of glyph tables each) and Fyne's caches keep the
// old apps' faces, so hundreds of screens would take gigabytes.
var sharedTestApp = sync.OnceValue(func() fyne.App { return test.NewApp() })

// savePNG writes the window to dir/name.png when dir is set (KIOSK_SCREENS_OUT), to
// look at screens without a display.
func savePNG(t testing.TB, w fyne.Window, name string) {
	dir := os.Getenv("KIOSK_SCREENS_OUT")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, name+".png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, w.Canvas().Capture()); err != nil {
		t.Fatal(err)
	}
}

// TestGoldenScreens renders one sample snapshot of every state in every language and
// compares the markup with testdata/screens/<lang>/<state>.xml.
func TestGoldenScreens(t *testing.T) {
	// One UI re-rendered for every sample (a new state rebuilds the screen and drops
	// its presentation state): a UI per sample sets a new theme each time and Fyne
	// keeps every theme's CJK faces, past 10 GB over the samples.
	var flow *kiosktest.Flow
	var u *UI
	var w fyne.Window
	for _, lang := range kiosk.Languages {
		for st, snap := range kiosktest.Samples(lang) {
			if u == nil {
				flow = kiosktest.NewFlow(snap)
				u, w = newTestUI(t, flow)
			}
			t.Run(string(lang)+"/"+string(st), func(t *testing.T) {
				flow.Set(snap)
				u.Render(flow.Snapshot())
				savePNG(t, w, string(lang)+"_"+string(st))
				test.AssertRendersToMarkup(t, filepath.Join("screens", string(lang), string(st)+".xml"), w.Canvas())
			})
		}
	}
}
