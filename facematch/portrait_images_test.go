package facematch

import (
	"image"
	"image/color"
	"math"
	"testing"

	"gocv.io/x/gocv"
)

// The portrait test images. Each is made here, in the test, from the repository's
// synthetic recordings of Grace Hopper's portrait (testdata/video, see its
// PROVENANCE.md: still, blink and turn are the same 640×480 composition), by the
// transformation its maker states. docs/portrait-checks.md lists them with the
// results.

// plainBG is the kiosk's backdrop: a plain light grey wall (BGR).
var plainBG = gocv.NewScalar(222, 222, 222, 0)

// videoFrame decodes frame i of a test recording.
func videoFrame(t testing.TB, file string, i int) gocv.Mat {
	t.Helper()
	vc, err := gocv.VideoCaptureFileWithAPI("testdata/video/"+file, gocv.VideoCaptureFFmpeg)
	if err != nil {
		t.Fatal(err)
	}
	defer vc.Close()
	m := gocv.NewMat()
	for k := 0; k <= i; k++ {
		if !vc.Read(&m) || m.Empty() {
			m.Close()
			t.Fatalf("%s: no frame %d", file, k)
		}
	}
	return m
}

// headMask is 255 on the head and body of the frame's face: an ellipse around the
// head (centred on the eyes, 1.2× half the jaw width across, 1.08× the eye–chin
// distance up and down) and, below the chin, the neck and shoulders as far as the
// frame's bottom. Everything else is background, replaced by the test's backdrop.
func headMask(t testing.TB, e *Engine, frame gocv.Mat) gocv.Mat {
	t.Helper()
	a, err := e.Analyze(frame, AnalyzeOptions{})
	if err != nil || a.Main == nil {
		t.Fatalf("no face to mask: %v", err)
	}
	g := portraitGeometry(&a.Main.Landmarks, frame.Cols(), frame.Rows())
	mask := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(0, 0, 0, 0), frame.Rows(), frame.Cols(), gocv.MatTypeCV8UC1)
	white := color.RGBA{255, 255, 255, 255}
	c := image.Pt(int(g.eyes.X), int(g.eyes.Y))
	gocv.Ellipse(&mask, c, image.Pt(int(0.5*g.jawW*1.2), int(g.eyeChin*1.08)), 0, 0, 360, white, -1)
	nw := int(0.5 * g.jawW * 0.6)
	gocv.Rectangle(&mask, image.Rect(c.X-nw, int(g.chin.Y)-5, c.X+nw, int(g.chin.Y)+int(0.3*g.eyeChin)), white, -1)
	gocv.Rectangle(&mask, image.Rect(c.X-int(1.6*g.jawW), int(g.chin.Y)+int(0.3*g.eyeChin), c.X+int(1.6*g.jawW), frame.Rows()), white, -1)
	gocv.GaussianBlur(mask, &mask, image.Pt(0, 0), 2, 2, gocv.BorderDefault)
	return mask
}

// composite puts the masked person of frame on bg (same size, BGR).
func composite(frame, mask, bg gocv.Mat) gocv.Mat {
	out := bg.Clone()
	fp, _ := frame.DataPtrUint8()
	mp, _ := mask.DataPtrUint8()
	op, _ := out.DataPtrUint8()
	for i, a := range mp {
		f := float64(a) / 255
		for c := 0; c < 3; c++ {
			op[3*i+c] = uint8(math.Round(float64(fp[3*i+c])*f + float64(op[3*i+c])*(1-f)))
		}
	}
	return out
}

func plain(w, h int, s gocv.Scalar) gocv.Mat {
	return gocv.NewMatWithSizeFromScalar(s, h, w, gocv.MatTypeCV8UC3)
}

// perPixel applies f to every BGR pixel of m with its weight w (0..1) from mask
// (nil: weight 1) and its position.
func perPixel(m gocv.Mat, mask *gocv.Mat, f func(x, y int, w float64, px []uint8)) {
	p, _ := m.DataPtrUint8()
	var mp []uint8
	if mask != nil {
		mp, _ = mask.DataPtrUint8()
	}
	W := m.Cols()
	for i := 0; i < m.Rows()*W; i++ {
		w := 1.0
		if mp != nil {
			w = float64(mp[i]) / 255
		}
		f(i%W, i/W, w, p[3*i:3*i+3])
	}
}

func sat(v float64) uint8 { return uint8(math.Max(0, math.Min(255, math.Round(v)))) }
