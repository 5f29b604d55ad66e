package facematch

// Screen-replay detection: a second signal, independent of the challenge, against a
// recording played on a tablet or phone held in front of the camera (ISO/IEC 30107-3
// video replay). The signal is the device's edge: the panel ends in long straight
// lines (its bezel) that enclose the face on three or four sides. A live head in front
// of the kiosk has no straight edge that frames it on both sides and above or below;
// a door frame or a shelf behind it gives one side at most.
//
// Per sampled frame (about 2 ms on a 320×240 grey copy): Canny edges, probabilistic
// Hough segments at least 30% of the shorter side long and within 12° of horizontal or
// vertical; a segment frames the face on one side when it lies wholly beyond the face
// box on that side (left, right, above, below) and spans the face centre's line. The
// frame is "framed" when three sides are found. At decision time the replay is
// suspected when at least ScreenFramedRatio of the sampled frames were framed.
//
// What it does not catch (documented in docs/face-eval.md): a screen held so close
// that its edges are outside the camera picture, or a bezel-less display edge hidden
// by the hand on two sides. The random challenge sequence is the defence there.

import (
	"fmt"
	"image"
	"math"

	"gocv.io/x/gocv"

	"github.com/macau-dsi/kiosk/kiosk"
)

const (
	screenEvery       = 3    // sample one frame in this many
	screenMinFrames   = 5    // sampled frames with a face needed to judge
	screenFramedRatio = 0.5  // fraction of framed samples that means "screen"
	screenSides       = 3    // sides of the face that must be framed
	screenMinLen      = 0.30 // segment length, fraction of the frame's shorter side
	screenMaxTilt     = 12.0 // degrees from horizontal or vertical
	screenWork        = 320  // width the frame is analysed at
)

// screenMonitor accumulates the per-frame screen evidence of one attempt.
type screenMonitor struct {
	samples, framed int
	maxSides        int
}

// observe samples frame idx (every screenEvery-th) with the main face box.
func (s *screenMonitor) observe(idx int, frame gocv.Mat, face Box) {
	if idx%screenEvery != 0 {
		return
	}
	n := framedSides(frame, face)
	s.samples++
	s.maxSides = max(s.maxSides, n)
	if n >= screenSides {
		s.framed++
	}
}

// check is the liveness check: OK unless enough sampled frames were framed.
func (s *screenMonitor) check() kiosk.Check {
	ratio := 0.0
	if s.samples > 0 {
		ratio = float64(s.framed) / float64(s.samples)
	}
	suspect := s.samples >= screenMinFrames && ratio >= screenFramedRatio
	d := fmt.Sprintf("face framed by straight edges on %d+ sides in %d of %d sampled frames (%.0f%%, replay at %.0f%%); most sides %d",
		screenSides, s.framed, s.samples, 100*ratio, 100*screenFramedRatio, s.maxSides)
	if s.samples < screenMinFrames {
		d = fmt.Sprintf("too few sampled frames with a face (%d) to judge", s.samples)
	}
	return kiosk.Check{Name: "screen_replay", OK: !suspect, Detail: d}
}

// framedSides counts on how many sides (left, right, above, below) a long straight
// edge frames the face box.
func framedSides(frame gocv.Mat, face Box) int {
	w, h := frame.Cols(), frame.Rows()
	if w < 2 || h < 2 {
		return 0
	}
	k := float64(screenWork) / float64(w)
	sw, sh := screenWork, max(1, int(math.Round(float64(h)*k)))
	small := gocv.NewMat()
	defer small.Close()
	gocv.Resize(frame, &small, image.Pt(sw, sh), 0, 0, gocv.InterpolationArea)
	grey := gocv.NewMat()
	defer grey.Close()
	gocv.CvtColor(small, &grey, gocv.ColorBGRToGray)
	edges := gocv.NewMat()
	defer edges.Close()
	gocv.Canny(grey, &edges, 40, 120)
	lines := gocv.NewMat()
	defer lines.Close()
	minLen := screenMinLen * float64(min(sw, sh))
	gocv.HoughLinesPWithParams(edges, &lines, 1, math.Pi/180, 40, float32(minLen), 6)
	fb := Box{face.X1 * k, face.Y1 * k, face.X2 * k, face.Y2 * k}
	cx, cy := fb.Centre()
	var left, right, top, bottom bool
	for i := 0; i < lines.Rows(); i++ {
		v := lines.GetVeciAt(i, 0)
		x1, y1, x2, y2 := float64(v[0]), float64(v[1]), float64(v[2]), float64(v[3])
		ang := math.Abs(math.Atan2(y2-y1, x2-x1) * 180 / math.Pi) // 0..180
		switch {
		case ang <= screenMaxTilt || ang >= 180-screenMaxTilt: // horizontal
			if math.Min(x1, x2) > cx || math.Max(x1, x2) < cx {
				continue
			}
			if math.Max(y1, y2) < fb.Y1 {
				top = true
			} else if math.Min(y1, y2) > fb.Y2 {
				bottom = true
			}
		case math.Abs(ang-90) <= screenMaxTilt: // vertical
			if math.Min(y1, y2) > cy || math.Max(y1, y2) < cy {
				continue
			}
			if math.Max(x1, x2) < fb.X1 {
				left = true
			} else if math.Min(x1, x2) > fb.X2 {
				right = true
			}
		}
	}
	n := 0
	for _, b := range []bool{left, right, top, bottom} {
		if b {
			n++
		}
	}
	return n
}
