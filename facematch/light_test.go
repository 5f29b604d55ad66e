package facematch

import (
	"testing"

	"gocv.io/x/gocv"

	"github.com/macau-dsi/kiosk/kiosk"
)

// dimmed returns m through a dim, noisy camera (the eval's live dim condition).
func dimmed(m gocv.Mat, exposure float64) gocv.Mat {
	return LiveDegradation{Exposure: exposure, Gamma: 1.5, Noise: 6, Blur: 7}.Apply(m, 1)
}

// A dim frame whose face the detector misses as it is: the live flow still finds the
// face and asks for more light (not "no face"), and a usable dim frame is kept.
func TestDimFrameIsNotThrownAway(t *testing.T) {
	e := testEngine(t)
	frame := benchFrame(t)
	defer frame.Close()
	o := e.Options()
	for _, tt := range []struct {
		exposure float64
		guide    kiosk.Guidance
	}{
		{0.18, kiosk.GuideTooDark},
		{0.15, kiosk.GuideTooDark},
	} {
		d := dimmed(frame, tt.exposure)
		e.mu.RLock()
		raw, err := e.detect(d, o.DetectConfidence)
		e.mu.RUnlock()
		if err != nil {
			t.Fatal(err)
		}
		a, err := e.Analyze(d, AnalyzeOptions{})
		d.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(raw) != 0 {
			t.Fatalf("×%.2f: the detector finds the face without help; the fallback is not exercised", tt.exposure)
		}
		if a.Main == nil {
			t.Fatalf("×%.2f: no face found", tt.exposure)
		}
		g, _ := o.Assess(a, nil)
		if g != tt.guide || (len(raw) == 0 && !a.Normalised) {
			t.Errorf("×%.2f: guidance %s (brightness %.0f), normalised %v; want %s", tt.exposure, g, a.Main.Brightness, a.Normalised, tt.guide)
		}
	}
}

// A dim photo (a file given to `face compare`) is matched, not refused.
func TestDimPhotoMatches(t *testing.T) {
	e := testEngine(t)
	m, _, err := DecodeImage(readTestFile(t, "testdata/faces/facedetect_grace_hopper.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ref, _, err := e.TemplateFromPhoto(m)
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Zero()
	d := LiveDegradation{Exposure: 0.15, Gamma: 1.5, Noise: 6, Blur: 7}.Apply(m, 1)
	defer d.Close()
	e.mu.RLock()
	raw, _ := e.detect(padForDetection(d), photoMinConfidence)
	e.mu.RUnlock()
	tm, _, err := e.TemplateFromPhoto(d)
	if err != nil {
		t.Fatalf("dim photo refused: %v (detector alone found %d faces)", err, len(raw))
	}
	defer tm.Zero()
	if s := ref.Cosine(tm); s < e.Options().MatchThreshold {
		t.Errorf("dim photo scores %.3f against its original", s)
	}
	if len(raw) != 0 {
		t.Error("the detector finds this dim face without help: the fallback is not exercised")
	}
}
