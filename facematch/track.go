package facematch

import "math"

// Tracking between detections. Landmarks on the previous frame's box cost about a
// fifth of detection + landmarks (1.8 ms against 9.4 ms measured), so the live flow
// detects every DetectEvery-th frame and, in between, places the face box from the
// landmarks of the frame itself. The box is mapped from the landmarks' bounding box
// with the relation measured on the last detection frame, so the quality gate
// (size, centring, motion) sees the detector's convention on every frame. A track
// that jumps or changes size implausibly is dropped and the frame is detected.

// DetectEvery is how often the live flow runs the detector while it tracks a face:
// a face that leaves, or a second face that enters, is seen within this many frames.
const DetectEvery = 3

const (
	trackMaxShift = 0.25 // box centre shift between frames, in box widths
	trackMaxScale = 1.25 // box size change between frames (either way)
)

// Track is what a frame hands to the next one to be tracked instead of detected.
type Track struct {
	face  Face
	faces int
	rel   [4]float64 // detector box edges relative to the landmarks' bounding box
	age   int        // frames since the last detection
}

// landmarkBox is the bounding box of the 68 points.
func landmarkBox(l *Landmarks) Box {
	b := Box{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, p := range l {
		b.X1, b.Y1 = math.Min(b.X1, p.X), math.Min(b.Y1, p.Y)
		b.X2, b.Y2 = math.Max(b.X2, p.X), math.Max(b.Y2, p.Y)
	}
	return b
}

// newTrack records, on a detection frame, how the detector's box sits around the
// landmarks.
func newTrack(f Face, faces int, l *Landmarks) *Track {
	lb := landmarkBox(l)
	w, h := math.Max(1, lb.W()), math.Max(1, lb.H())
	return &Track{face: f, faces: faces, rel: [4]float64{(f.Raw.X1 - lb.X1) / w, (f.Raw.Y1 - lb.Y1) / h, (f.Raw.X2 - lb.X2) / w, (f.Raw.Y2 - lb.Y2) / h}}
}

// follow maps this frame's landmarks (found in the previous box) to the face box and
// says whether the move is plausible for one frame; fw, fh are the frame's size.
func (t *Track) follow(l *Landmarks, fw, fh float64) (Face, bool) {
	lb := landmarkBox(l)
	w, h := math.Max(1, lb.W()), math.Max(1, lb.H())
	raw := Box{lb.X1 + t.rel[0]*w, lb.Y1 + t.rel[1]*h, lb.X2 + t.rel[2]*w, lb.Y2 + t.rel[3]*h}
	prev := t.face.Raw
	px, py := prev.Centre()
	cx, cy := raw.Centre()
	shift := math.Hypot(cx-px, cy-py) / math.Max(1, prev.W())
	scale := raw.W() / math.Max(1, prev.W())
	if shift > trackMaxShift || scale > trackMaxScale || scale < 1/trackMaxScale || math.IsNaN(shift+scale) {
		return Face{}, false
	}
	s := raw.H()
	return Face{Raw: raw, Box: Box{cx - s/2, cy - s/2, cx + s/2, cy + s/2}.clip(fw-1, fh-1), Score: t.face.Score}, true
}
