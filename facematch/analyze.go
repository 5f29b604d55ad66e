package facematch

import (
	"fmt"
	"image"
	"math"
	"sync"

	"gocv.io/x/gocv"

	"github.com/macau-dsi/kiosk/kiosk"
)

// Observation is what one frame says about the main (largest) face.
type Observation struct {
	Face      Face
	Landmarks Landmarks
	Pose      Pose
	// EAR is the mean eye aspect ratio of both eyes (landmarks).
	EAR float64
	// EyesOpen is fr_eye's mean probability that the eyes are open, or -1 when the
	// eye model was not run on this frame.
	EyesOpen float64
	// Passive is fr_liveness's "live" probability, or -1 when not run.
	Passive float64
	// Sharpness is the variance of the Laplacian of the grey face scaled to 112 px
	// wide; Brightness its mean grey level.
	Sharpness, Brightness float64
}

// Analysis is the result of one frame.
type Analysis struct {
	Width, Height int
	// Faces counts faces large enough to matter (see Options.MinFaceWidth); the main
	// face is always counted.
	Faces int
	Main  *Observation // nil when no face was found
	// Track lets the next frame be tracked instead of detected (nil: no face).
	Track *Track
	// Tracked is true when this frame's face was tracked, not detected.
	Tracked bool
	// Normalised is true when the face was only found after the frame's light was
	// normalised (see normaliseLight); landmarks and models then ran on that copy.
	Normalised bool
}

// AnalyzeOptions choose the optional models for a frame.
type AnalyzeOptions struct {
	Pose    bool // fr_pose; otherwise yaw is estimated from the landmarks
	Eyes    bool // fr_eye
	Passive bool // fr_liveness
	// Track, when set (the previous frame's Analysis.Track), skips the detector: the
	// landmarks are found in the previous box and the box follows them. An implausible
	// move falls back to detection within the same call.
	Track *Track
}

// Analyze runs detection, landmarks and the quality measures (and the optional
// models) on one 8-bit BGR frame.
func (e *Engine) Analyze(frame gocv.Mat, ao AnalyzeOptions) (Analysis, error) {
	if err := ValidateFrame(frame); err != nil {
		return Analysis{}, err
	}
	if frame.Type() != gocv.MatTypeCV8UC3 {
		return Analysis{}, fmt.Errorf("%w: analysis needs 8-bit BGR", ErrBadFrame)
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	a := Analysis{Width: frame.Cols(), Height: frame.Rows()}
	if ao.Track != nil {
		if ok, err := e.analyzeTracked(frame, ao, &a); ok || err != nil {
			return a, err
		}
		a = Analysis{Width: frame.Cols(), Height: frame.Rows()}
	}
	faces, err := e.detect(frame, e.opts.DetectConfidence)
	if err != nil {
		return a, fmt.Errorf("detecting faces: %w", err)
	}
	original := frame
	if len(faces) == 0 {
		// A dim frame is detected again with its light normalised: the face is then
		// found, and the quality gate (which measures the original's brightness) says
		// "more light" instead of "no face", or passes a frame that is usable.
		mean, std := lightStats(frame, image.Rectangle{})
		if !needsLight(mean, std) {
			return a, nil
		}
		n := normaliseLight(frame, image.Rectangle{})
		defer n.Close()
		if faces, err = e.detect(n, e.opts.DetectConfidence); err != nil {
			return a, fmt.Errorf("detecting faces: %w", err)
		}
		if len(faces) == 0 {
			return a, nil
		}
		frame = n
		a.Normalised = true
	}
	main := 0
	for i, f := range faces {
		if f.Raw.Area() > faces[main].Raw.Area() {
			main = i
		}
	}
	// A face counts as a second person when it is at least 60% of the smallest face
	// the gate accepts: people passing far behind do not stop the resident.
	minW := 0.6 * e.opts.MinFaceWidth * float64(a.Width)
	for i, f := range faces {
		if i == main || f.Raw.W() >= minW {
			a.Faces++
		}
	}
	o := &Observation{Face: faces[main], EyesOpen: -1, Passive: -1}
	if err := e.analyzeFace(frame, o, ao); err != nil {
		return a, err
	}
	if a.Normalised {
		// The gate judges the light the camera gave, not the corrected copy.
		o.Sharpness, o.Brightness = faceSharpness(original, o.Face.Box)
	}
	a.Main = o
	a.Track = newTrack(o.Face, a.Faces, &o.Landmarks)
	return a, nil
}

// analyzeTracked analyses a frame on the track: landmarks in the previous box, the
// box moved to follow them. It reports false when the track is lost.
func (e *Engine) analyzeTracked(frame gocv.Mat, ao AnalyzeOptions, a *Analysis) (bool, error) {
	t := ao.Track
	lm, err := e.landmarks(frame, t.face)
	if err != nil {
		return false, nil
	}
	f, ok := t.follow(&lm, float64(a.Width), float64(a.Height))
	if !ok {
		return false, nil
	}
	o := &Observation{Face: f, Landmarks: lm, EyesOpen: -1, Passive: -1}
	if err := e.analyzeFace(frame, o, ao); err != nil {
		return false, err
	}
	a.Main, a.Faces, a.Tracked = o, t.faces, true
	a.Track = &Track{face: f, faces: t.faces, rel: t.rel, age: t.age + 1}
	return true, nil
}

// analyzeFace runs everything after the face box is known: landmarks (unless already
// there), eyes, quality, and pose and passive liveness in parallel. Caller holds
// e.mu for reading.
func (e *Engine) analyzeFace(frame gocv.Mat, o *Observation, ao AnalyzeOptions) error {
	var err error
	// Pose and passive liveness need only the face box: they run on their own
	// goroutine, beside landmarks, eyes and the quality measures (each network has its
	// own lock; with one OpenCV thread per call this uses the second core on purpose).
	var side sync.WaitGroup
	var pose Pose
	var poseErr, passErr error
	if ao.Pose || ao.Passive {
		side.Add(1)
		go func() {
			defer side.Done()
			if ao.Pose {
				if pose, poseErr = e.pose(frame, o.Face); poseErr != nil {
					return
				}
			}
			if ao.Passive {
				o.Passive, passErr = e.passiveLiveness(frame, o.Face)
			}
		}()
	}
	err = e.analyzeLandmarks(frame, o, ao)
	side.Wait()
	switch {
	case err != nil:
		return err
	case poseErr != nil:
		return fmt.Errorf("head pose: %w", poseErr)
	case passErr != nil:
		return fmt.Errorf("passive liveness: %w", passErr)
	}
	if ao.Pose {
		o.Pose = pose
	} else {
		o.Pose = Pose{Yaw: o.Landmarks.geometricYaw()}
	}
	return nil
}

// analyzeLandmarks fills the landmarks, eye ratio, eye state and quality measures of
// o (not the pose or passive score). Caller holds e.mu for reading.
func (e *Engine) analyzeLandmarks(frame gocv.Mat, o *Observation, ao AnalyzeOptions) error {
	var err error
	if o.Landmarks == (Landmarks{}) {
		if o.Landmarks, err = e.landmarks(frame, o.Face); err != nil {
			return fmt.Errorf("landmarks: %w", err)
		}
	}
	l, r := o.Landmarks.EyeAspectRatio()
	o.EAR = (l + r) / 2
	if ao.Eyes {
		l, r, err := e.eyesOpen(frame, &o.Landmarks)
		if err == nil {
			o.EyesOpen = (l + r) / 2
		} else if err != ErrNoFace {
			return fmt.Errorf("eye state: %w", err)
		}
	}
	o.Sharpness, o.Brightness = faceSharpness(frame, o.Face.Box)
	return nil
}

// faceSharpness measures blur and exposure on the face region, scaled to a fixed
// width so that the blur measure does not depend on how far away the face is.
func faceSharpness(frame gocv.Mat, b Box) (sharp, bright float64) {
	r, ok := cropRect(b, frame.Cols(), frame.Rows())
	if !ok {
		return 0, 0
	}
	roi := frame.Region(r)
	defer roi.Close()
	grey := gocv.NewMat()
	defer grey.Close()
	gocv.CvtColor(roi, &grey, gocv.ColorBGRToGray)
	h := max(1, int(math.Round(float64(r.Dy())*alignSize/float64(r.Dx()))))
	small := gocv.NewMat()
	defer small.Close()
	gocv.Resize(grey, &small, image.Pt(alignSize, h), 0, 0, gocv.InterpolationArea)
	lap := gocv.NewMat()
	defer lap.Close()
	gocv.Laplacian(small, &lap, gocv.MatTypeCV64F, 1, 1, 0, gocv.BorderDefault)
	mean, std := gocv.NewMat(), gocv.NewMat()
	defer mean.Close()
	defer std.Close()
	gocv.MeanStdDev(lap, &mean, &std)
	s := std.GetDoubleAt(0, 0)
	return s * s, small.Mean().Val1
}

// Assess applies the quality gate to one analysed frame. prev is the main face of the
// previous analysed frame (nil if none) to judge whether the head is held still.
// It returns the guidance to show and the checks behind it.
func (o Options) Assess(a Analysis, prev *Observation) (kiosk.Guidance, []kiosk.Check) {
	if a.Main == nil {
		return kiosk.GuideNoFace, []kiosk.Check{{Name: "face_found", OK: false}}
	}
	m := a.Main
	W, H := float64(a.Width), float64(a.Height)
	fw := m.Face.Raw.W() / W
	cx, cy := m.Face.Raw.Centre()
	dx, dy := math.Abs(cx/W-0.5), math.Abs(cy/H-0.5)
	motion := 0.0
	if prev != nil {
		px, py := prev.Face.Raw.Centre()
		motion = math.Hypot(cx-px, cy-py) / math.Max(1, m.Face.Raw.W())
	}
	type gate struct {
		guide  kiosk.Guidance
		name   string
		ok     bool
		detail string
	}
	// In the order a resident should fix things: a later hint is pointless until the
	// earlier ones are satisfied.
	gates := []gate{
		{kiosk.GuideOnePerson, "one_person", a.Faces <= 1, fmt.Sprintf("faces=%d", a.Faces)},
		{kiosk.GuideMoveCloser, "face_size_min", fw >= o.MinFaceWidth, fmt.Sprintf("width=%.2f min=%.2f", fw, o.MinFaceWidth)},
		{kiosk.GuideMoveBack, "face_size_max", fw <= o.MaxFaceWidth, fmt.Sprintf("width=%.2f max=%.2f", fw, o.MaxFaceWidth)},
		{kiosk.GuideCentre, "centred", dx <= o.CentreTolerance && dy <= o.CentreTolerance, fmt.Sprintf("dx=%.2f dy=%.2f tol=%.2f", dx, dy, o.CentreTolerance)},
		{kiosk.GuideTooDark, "not_too_dark", m.Brightness >= o.MinBrightness, fmt.Sprintf("brightness=%.0f min=%.0f", m.Brightness, o.MinBrightness)},
		{kiosk.GuideTooBright, "not_too_bright", m.Brightness <= o.MaxBrightness, fmt.Sprintf("brightness=%.0f max=%.0f", m.Brightness, o.MaxBrightness)},
		{kiosk.GuideFaceCamera, "frontal", math.Abs(m.Pose.Yaw) <= o.MaxYaw && math.Abs(m.Pose.Pitch) <= o.MaxPitch, fmt.Sprintf("yaw=%.0f pitch=%.0f model=%v", m.Pose.Yaw, m.Pose.Pitch, m.Pose.Model)},
		{kiosk.GuideHoldStill, "sharp", m.Sharpness >= o.MinSharpness, fmt.Sprintf("sharpness=%.0f min=%.0f", m.Sharpness, o.MinSharpness)},
		{kiosk.GuideHoldStill, "still", motion <= o.MaxMotion, fmt.Sprintf("motion=%.3f max=%.3f", motion, o.MaxMotion)},
	}
	checks := make([]kiosk.Check, 0, len(gates)+1)
	checks = append(checks, kiosk.Check{Name: "face_found", OK: true, Detail: fmt.Sprintf("score=%.2f", m.Face.Score)})
	guide := kiosk.GuideOK
	for _, g := range gates {
		checks = append(checks, kiosk.Check{Name: g.name, OK: g.ok, Detail: g.detail})
		if !g.ok && guide == kiosk.GuideOK {
			guide = g.guide
		}
	}
	return guide, checks
}
