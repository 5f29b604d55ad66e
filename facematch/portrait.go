package facematch

import (
	"fmt"
	"image"
	"math"

	"gocv.io/x/gocv"

	"github.com/macau-dsi/kiosk/kiosk"
)

// Portrait checks for a new document photo taken at the kiosk, modelled on ICAO 9303
// Part 3 and ISO/IEC 19794-5 (full frontal image), with measures in the spirit of
// BSI's OFIQ (ISO/IEC 29794-5). Every check has one measure, its limit(s) and the
// guidance the resident sees when it fails. docs/portrait-checks.md says why each
// limit is what it is and shows the results on the test images.

// The document photo is 35×45 mm with the head (chin to crown) 32–36 mm high (ICAO
// 9303 Part 3): portraitHeadShare is the middle of that range, portraitCrownTop the
// margin above the crown (4 mm of 45), so the eye line lands at 46.75% of the height
// from the top, inside ISO/IEC 19794-5's 30–50%.
const (
	portraitAspect    = 35.0 / 45.0
	portraitHeadShare = 34.0 / 45.0
	portraitCrownTop  = 4.0 / 45.0
	// The crop is encoded at 12 px/mm (about 300 dpi, what ICAO 9303 asks of a
	// printed portrait), JPEG quality 92.
	PortraitWidth, PortraitHeight = 420, 540
	portraitJPEGQuality           = 92
	// measureW×measureH is the size the crop is scaled to for the background, light
	// and colour measures, so they do not depend on the camera's resolution.
	measureW, measureH = 210, 270
)

// PortraitLimits are the thresholds of the portrait checks.
type PortraitLimits struct {
	MinHeadShare, MaxHeadShare float64 // chin-to-crown height / frame height
	MaxCentreOffset            float64 // |eye midpoint − crop centre| / crop width
	MinEyeLine, MaxEyeLine     float64 // eye line from the crop's top / crop height
	MinInterocular             float64 // pixels between the eye centres
	MaxYaw, MaxPitch, MaxRoll  float64 // degrees
	MinEyesOpen                float64 // fr_eye probability
	MaxMouthOpening            float64 // inner lip gap / mouth width
	MinSharpness               float64 // variance of the Laplacian, face at 112 px wide
	MinExposure, MaxExposure   float64 // mean grey level of the face
	MaxGlare                   float64 // share of the eye regions that is blown out
	MinLightBalance            float64 // darker / brighter half of the face
	MinBackground              float64 // background mean grey level
	MaxBackgroundStd           float64 // background grey standard deviation
	MaxBackgroundEdges         float64 // share of background pixels on an edge
	MinSkinHue, MaxSkinHue     float64 // degrees, CIELAB hue of the face
	MinSkinChroma              float64 // CIELAB chroma of the face
}

// DefaultPortraitLimits are the limits the kiosk uses; docs/portrait-checks.md gives
// the reason for each.
func DefaultPortraitLimits() PortraitLimits {
	return PortraitLimits{
		MinHeadShare: 0.35, MaxHeadShare: 0.80,
		MaxCentreOffset: 0.05,
		MinEyeLine:      0.30, MaxEyeLine: 0.50,
		MinInterocular: 60,
		MaxYaw:         10, MaxPitch: 12, MaxRoll: 8,
		MinEyesOpen:     eyeOpenProb,
		MaxMouthOpening: 0.20,
		MinSharpness:    100,
		MinExposure:     70, MaxExposure: 190,
		MaxGlare:           0.02,
		MinLightBalance:    0.75,
		MinBackground:      160,
		MaxBackgroundStd:   18,
		MaxBackgroundEdges: 0.02,
		MinSkinHue:         30, MaxSkinHue: 75,
		MinSkinChroma: 10,
	}
}

// Names of the portrait checks, in the order a resident should fix things.
const (
	PCFaceFound       = "face_found"
	PCOneFace         = "one_face"
	PCHeadSize        = "head_size"
	PCCentred         = "head_centred"
	PCEyeLine         = "eye_line"
	PCResolution      = "resolution"
	PCYaw             = "yaw"
	PCPitch           = "pitch"
	PCRoll            = "roll"
	PCEyesOpen        = "eyes_open"
	PCMouthClosed     = "mouth_closed"
	PCSharpness       = "sharpness"
	PCExposure        = "face_exposure"
	PCGlare           = "eye_glare"
	PCLightBalance    = "light_balance"
	PCBackgroundLight = "background_light"
	PCBackgroundPlain = "background_plain"
	PCBackgroundEdges = "background_edges"
	PCSkinHue         = "skin_hue"
	PCSkinChroma      = "skin_chroma"
)

// PortraitCheck is one check: what was measured, the limits, the verdict and, when
// it fails, what to tell the resident.
type PortraitCheck struct {
	Name     string         `json:"name"`
	Measure  float64        `json:"measure"`
	Min      *float64       `json:"min,omitempty"`
	Max      *float64       `json:"max,omitempty"`
	Unit     string         `json:"unit,omitempty"`
	OK       bool           `json:"ok"`
	Guidance kiosk.Guidance `json:"guidance,omitempty"`
}

// Limit says the check's threshold in words, e.g. "≥ 60" or "0.35–0.80".
func (c PortraitCheck) Limit() string {
	switch {
	case c.Min != nil && c.Max != nil:
		return fmt.Sprintf("%s–%s", fmtMeasure(*c.Min), fmtMeasure(*c.Max))
	case c.Min != nil:
		return "≥ " + fmtMeasure(*c.Min)
	case c.Max != nil:
		return "≤ " + fmtMeasure(*c.Max)
	}
	return ""
}

func fmtMeasure(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e6 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

// PortraitReport is the outcome of the portrait checks on one picture. It holds
// measures only, no pixels.
type PortraitReport struct {
	Width  int             `json:"width"`
	Height int             `json:"height"`
	Checks []PortraitCheck `json:"checks"`
	OK     bool            `json:"ok"`
	// Guidance is the first failed check's guidance (kiosk.GuideOK when all pass).
	Guidance kiosk.Guidance `json:"guidance"`
	// Crop is where the document photo is cut from the picture (empty without a face).
	Crop image.Rectangle `json:"crop"`
}

// Failed lists the names of the failed checks.
func (r PortraitReport) Failed() []string {
	var out []string
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c.Name)
		}
	}
	return out
}

// Check returns the named check.
func (r PortraitReport) Check(name string) (PortraitCheck, bool) {
	for _, c := range r.Checks {
		if c.Name == name {
			return c, true
		}
	}
	return PortraitCheck{}, false
}

// PortraitFromImage validates and decodes an encoded image (see DecodeImage) and runs
// the portrait checks on it; the JPEG crop is returned only when every check passes.
func (e *Engine) PortraitFromImage(data []byte, lim PortraitLimits) (PortraitReport, []byte, error) {
	m, _, err := DecodeImage(data)
	if err != nil {
		return PortraitReport{}, nil, err
	}
	defer m.Close()
	return e.Portrait(m, lim)
}

// Portrait runs the portrait checks on one 8-bit BGR picture (a camera frame or a
// decoded photo) and, when every check passes, cuts the document photo from it
// (35:45, head placed as ICAO 9303 asks) and encodes it as JPEG. The caller owns the
// bytes: they are the resident's face and must not be logged or written to disk.
func (e *Engine) Portrait(frame gocv.Mat, lim PortraitLimits) (PortraitReport, []byte, error) {
	rep, err := e.CheckPortrait(frame, lim)
	if err != nil || !rep.OK {
		return rep, nil, err
	}
	jpeg, err := encodePortrait(frame, rep.Crop)
	if err != nil {
		return rep, nil, err
	}
	return rep, jpeg, nil
}

// CheckPortrait runs the portrait checks on one 8-bit BGR picture.
func (e *Engine) CheckPortrait(frame gocv.Mat, lim PortraitLimits) (PortraitReport, error) {
	// Analyze validates the frame before OpenCV touches it (size, type, emptiness).
	a, err := e.Analyze(frame, AnalyzeOptions{Pose: true, Eyes: true})
	if err != nil {
		return PortraitReport{}, err
	}
	rep := PortraitReport{Width: a.Width, Height: a.Height}
	if a.Main == nil {
		rep.add(PortraitCheck{Name: PCFaceFound, Measure: 0, Min: ptr(1), OK: false, Guidance: kiosk.GuideNoFace})
		rep.finish()
		return rep, nil
	}
	o := a.Main
	rep.add(PortraitCheck{Name: PCFaceFound, Measure: 1, Min: ptr(1), OK: true})
	g := portraitGeometry(&o.Landmarks, a.Width, a.Height)
	rep.Crop = g.crop
	m := measurePortrait(frame, g, &o.Landmarks)
	rep.Checks = append(rep.Checks, lim.checks(a.Faces, g, o, m)...)
	rep.finish()
	return rep, nil
}

func ptr(v float64) *float64 { return &v }

func (r *PortraitReport) add(c PortraitCheck) { r.Checks = append(r.Checks, c) }

func (r *PortraitReport) finish() {
	r.OK, r.Guidance = true, kiosk.GuideOK
	for _, c := range r.Checks {
		if !c.OK {
			if r.OK {
				r.Guidance = c.Guidance
			}
			r.OK = false
		}
	}
}

// headGeometry is where the head is and where the document photo is cut.
type headGeometry struct {
	eyes, chin Point
	// eyeChin is the distance from the eye midpoint to the chin; the eyes sit about
	// halfway between chin and crown on an adult head, so the head (chin to crown)
	// is twice it.
	eyeChin, headH float64
	jawW           float64 // landmarks 0–16, the face's width at the ears
	roll           float64 // degrees, the eye line's tilt
	interocular    float64
	headShare      float64 // headH / frame height
	crop           image.Rectangle
	centreOffset   float64 // (eye midpoint − crop centre) / crop width
	eyeLine        float64 // (eye line − crop top) / crop height
}

// portraitGeometry places the 35:45 crop around the head as ICAO 9303 asks and then
// inside the frame; when it had to move, the head is off its place in the crop and
// the centring checks say so.
func portraitGeometry(lm *Landmarks, w, h int) headGeometry {
	var g headGeometry
	le, re := lm.leftEyeCentre(), lm.rightEyeCentre()
	g.eyes, g.chin = mid(le, re), lm[8]
	g.eyeChin = dist(g.eyes, g.chin)
	g.headH = 2 * g.eyeChin
	g.jawW = dist(lm[0], lm[16])
	g.roll = math.Atan2(re.Y-le.Y, re.X-le.X) * 180 / math.Pi
	g.interocular = lm.interocular()
	g.headShare = g.headH / float64(h)
	ch := g.headH / portraitHeadShare
	cw := ch * portraitAspect
	// A head too big for the frame: the crop is the largest 35:45 that fits (the
	// head-size check fails anyway).
	if ch > float64(h) {
		ch, cw = float64(h), float64(h)*portraitAspect
	}
	if cw > float64(w) {
		cw, ch = float64(w), float64(w)/portraitAspect
	}
	top := g.eyes.Y - g.eyeChin - portraitCrownTop*ch
	left := g.eyes.X - cw/2
	top = clamp(top, 0, float64(h)-ch)
	left = clamp(left, 0, float64(w)-cw)
	x0, y0 := int(math.Round(left)), int(math.Round(top))
	g.crop = image.Rect(x0, y0, x0+max(1, int(math.Round(cw))), y0+max(1, int(math.Round(ch)))).Intersect(image.Rect(0, 0, w, h))
	g.centreOffset = (g.eyes.X - (left + cw/2)) / cw
	g.eyeLine = (g.eyes.Y - top) / ch
	return g
}

// portraitMeasures are the pixel measures of one picture.
type portraitMeasures struct {
	lightBalance                  float64
	bgMean, bgStd, bgEdges        float64
	bgPixels                      int
	skinHue, skinChroma, mouthGap float64
	glare                         float64
}

// measurePortrait takes the light, background and colour measures. The crop is scaled
// to measureW×measureH first so that the numbers do not depend on the resolution.
func measurePortrait(frame gocv.Mat, g headGeometry, lm *Landmarks) portraitMeasures {
	var m portraitMeasures
	m.mouthGap = mouthOpening(lm)
	W, H := frame.Cols(), frame.Rows()
	// Light balance: the two cheeks, from the eye line to the mouth, between the jaw
	// and the nose; the nose itself (which casts its own shadow) is left out.
	nose := lm[30]
	top, bottom := g.eyes.Y+0.15*g.eyeChin, lm[51].Y
	lw := (nose.X - lm[2].X) * 0.8
	rw := (lm[14].X - nose.X) * 0.8
	left, lok := cropRect(Box{nose.X - 0.15*lw - lw*0.85, top, nose.X - 0.15*lw, bottom}, W, H)
	right, rok := cropRect(Box{nose.X + 0.15*rw, top, nose.X + 0.15*rw + rw*0.85, bottom}, W, H)
	if lok && rok {
		l, _ := lightStats(frame, left)
		r, _ := lightStats(frame, right)
		if hi := math.Max(l, r); hi > 0 {
			m.lightBalance = math.Min(l, r) / hi
		}
	}
	m.glare = eyeGlare(frame, lm)
	// Skin colour: the face between the eyes' outer corners, from under the eyes to
	// the mouth, in CIELAB (OpenCV's 8-bit Lab: a and b are offset by 128).
	if r, ok := cropRect(Box{lm[36].X, top, lm[45].X, bottom}, W, H); ok {
		roi := frame.Region(r)
		lab := gocv.NewMat()
		gocv.CvtColor(roi, &lab, gocv.ColorBGRToLab)
		mean := lab.Mean()
		roi.Close()
		lab.Close()
		a, b := mean.Val2-128, mean.Val3-128
		m.skinHue = math.Atan2(b, a) * 180 / math.Pi
		m.skinChroma = math.Hypot(a, b)
	}
	// Background: the crop outside an ellipse around the head (wider than the head
	// for hair and ears) and above the chin (below it are the neck and clothes).
	if g.crop.Dx() < 2 || g.crop.Dy() < 2 {
		return m
	}
	roi := frame.Region(g.crop)
	defer roi.Close()
	small := gocv.NewMat()
	defer small.Close()
	gocv.Resize(roi, &small, image.Pt(measureW, measureH), 0, 0, gocv.InterpolationArea)
	grey := gocv.NewMat()
	defer grey.Close()
	gocv.CvtColor(small, &grey, gocv.ColorBGRToGray)
	edges := gocv.NewMat()
	defer edges.Close()
	gocv.Canny(grey, &edges, 50, 150)
	gp, err1 := grey.DataPtrUint8()
	ep, err2 := edges.DataPtrUint8()
	if err1 != nil || err2 != nil {
		return m
	}
	sx := float64(measureW) / float64(g.crop.Dx())
	sy := float64(measureH) / float64(g.crop.Dy())
	cx, cy := (g.eyes.X-float64(g.crop.Min.X))*sx, (g.eyes.Y-float64(g.crop.Min.Y))*sy
	ax, ay := 0.5*g.jawW*1.35*sx, g.eyeChin*1.15*sy
	chinY := (g.chin.Y - float64(g.crop.Min.Y)) * sy
	var sum, sum2 float64
	var n, ne int
	for y := 0; y < measureH && float64(y) < chinY; y++ {
		for x := 0; x < measureW; x++ {
			u, v := (float64(x)-cx)/ax, (float64(y)-cy)/ay
			if u*u+v*v <= 1 {
				continue
			}
			p := float64(gp[y*measureW+x])
			sum += p
			sum2 += p * p
			n++
			if ep[y*measureW+x] != 0 {
				ne++
			}
		}
	}
	if n > 0 {
		m.bgPixels = n
		m.bgMean = sum / float64(n)
		m.bgStd = math.Sqrt(math.Max(0, sum2/float64(n)-m.bgMean*m.bgMean))
		m.bgEdges = float64(ne) / float64(n)
	}
	return m
}

// glareLevel: a pixel of the eye regions at or above this grey level in every
// channel is a reflection (glasses, a wet eye's highlight is a few pixels only).
const glareLevel = 245

// eyeGlare is the share of blown-out pixels in the two eye regions: squares 1.6× the
// eye's width around each eye centre, the crops fr_eye looks at.
func eyeGlare(frame gocv.Mat, lm *Landmarks) float64 {
	var n, hot int
	for _, e := range []struct {
		c Point
		w float64
	}{{lm.leftEyeCentre(), lm[39].X - lm[36].X}, {lm.rightEyeCentre(), lm[45].X - lm[42].X}} {
		s := e.w * 1.6
		r, ok := cropRect(Box{e.c.X - s/2, e.c.Y - s/2, e.c.X + s/2, e.c.Y + s/2}, frame.Cols(), frame.Rows())
		if !ok {
			continue
		}
		roi := frame.Region(r)
		px := roi.Clone()
		roi.Close()
		b, err := px.DataPtrUint8()
		if err == nil {
			for i := 0; i+2 < len(b); i += 3 {
				n++
				if b[i] >= glareLevel && b[i+1] >= glareLevel && b[i+2] >= glareLevel {
					hot++
				}
			}
		}
		px.Close()
	}
	if n == 0 {
		return 0
	}
	return float64(hot) / float64(n)
}

// minBackgroundPixels: with less background than this in the scaled crop (1% of
// it) the background cannot be judged and its checks fail.
const minBackgroundPixels = measureW * measureH / 100

// mouthOpening is the gap between the inner lips (landmarks 62 and 66) over the
// inner mouth width (60 to 64): about 0 closed, 0.3 and more when speaking or
// smiling with open lips.
func mouthOpening(lm *Landmarks) float64 {
	w := dist(lm[60], lm[64])
	if w == 0 {
		return 0
	}
	return dist(lm[62], lm[66]) / w
}

// checks turns the measures into verdicts, in the order a resident should fix
// things.
func (l PortraitLimits) checks(faces int, g headGeometry, o *Observation, m portraitMeasures) []PortraitCheck {
	within := func(v float64, lo, hi *float64) bool {
		return (lo == nil || v >= *lo) && (hi == nil || v <= *hi)
	}
	c := func(name string, v float64, lo, hi *float64, unit string, guide kiosk.Guidance) PortraitCheck {
		ok := within(v, lo, hi) && !math.IsNaN(v)
		pc := PortraitCheck{Name: name, Measure: v, Min: lo, Max: hi, Unit: unit, OK: ok}
		if !ok {
			pc.Guidance = guide
		}
		return pc
	}
	exposureGuide := kiosk.GuideTooDark
	if o.Brightness > l.MaxExposure {
		exposureGuide = kiosk.GuideTooBright
	}
	headGuide := kiosk.GuideMoveCloser
	if g.headShare > l.MaxHeadShare {
		headGuide = kiosk.GuideMoveBack
	}
	bg := func(name string, v float64, lo, hi *float64, unit string) PortraitCheck {
		pc := c(name, v, lo, hi, unit, kiosk.GuidePlainBackground)
		if m.bgPixels < minBackgroundPixels {
			pc.OK, pc.Guidance = false, kiosk.GuidePlainBackground
		}
		return pc
	}
	return []PortraitCheck{
		c(PCOneFace, float64(faces), nil, ptr(1), "faces", kiosk.GuideOnePerson),
		c(PCHeadSize, g.headShare, ptr(l.MinHeadShare), ptr(l.MaxHeadShare), "of frame height", headGuide),
		c(PCCentred, math.Abs(g.centreOffset), nil, ptr(l.MaxCentreOffset), "of crop width", kiosk.GuideCentre),
		c(PCEyeLine, g.eyeLine, ptr(l.MinEyeLine), ptr(l.MaxEyeLine), "of crop height", kiosk.GuideCentre),
		c(PCResolution, g.interocular, ptr(l.MinInterocular), nil, "px", kiosk.GuideMoveCloser),
		c(PCYaw, math.Abs(o.Pose.Yaw), nil, ptr(l.MaxYaw), "°", kiosk.GuideFaceCamera),
		c(PCPitch, math.Abs(o.Pose.Pitch), nil, ptr(l.MaxPitch), "°", kiosk.GuideFaceCamera),
		c(PCRoll, math.Abs(g.roll), nil, ptr(l.MaxRoll), "°", kiosk.GuideStraightHead),
		c(PCGlare, m.glare, nil, ptr(l.MaxGlare), "of eye regions", kiosk.GuideGlassesGlare),
		c(PCEyesOpen, o.EyesOpen, ptr(l.MinEyesOpen), nil, "probability", kiosk.GuideOpenEyes),
		c(PCMouthClosed, m.mouthGap, nil, ptr(l.MaxMouthOpening), "of mouth width", kiosk.GuideCloseMouth),
		c(PCSharpness, o.Sharpness, ptr(l.MinSharpness), nil, "Laplacian variance", kiosk.GuideHoldStill),
		c(PCExposure, o.Brightness, ptr(l.MinExposure), ptr(l.MaxExposure), "grey level", exposureGuide),
		c(PCLightBalance, m.lightBalance, ptr(l.MinLightBalance), nil, "darker/brighter", kiosk.GuideEvenLight),
		bg(PCBackgroundLight, m.bgMean, ptr(l.MinBackground), nil, "grey level"),
		bg(PCBackgroundPlain, m.bgStd, nil, ptr(l.MaxBackgroundStd), "grey levels"),
		bg(PCBackgroundEdges, m.bgEdges, nil, ptr(l.MaxBackgroundEdges), "of pixels"),
		c(PCSkinHue, m.skinHue, ptr(l.MinSkinHue), ptr(l.MaxSkinHue), "°", kiosk.GuideNaturalColour),
		c(PCSkinChroma, m.skinChroma, ptr(l.MinSkinChroma), nil, "CIELAB", kiosk.GuideNaturalColour),
	}
}

// encodePortrait cuts r from frame, scales it to the document size and encodes it as
// JPEG. The bytes are copied out of OpenCV's buffer.
func encodePortrait(frame gocv.Mat, r image.Rectangle) ([]byte, error) {
	if r.Dx() < 2 || r.Dy() < 2 || !r.In(image.Rect(0, 0, frame.Cols(), frame.Rows())) {
		return nil, fmt.Errorf("%w: portrait crop %v outside the picture", ErrBadFrame, r)
	}
	roi := frame.Region(r)
	defer roi.Close()
	out := gocv.NewMat()
	defer out.Close()
	interp := gocv.InterpolationArea
	if r.Dx() < PortraitWidth {
		interp = gocv.InterpolationCubic
	}
	gocv.Resize(roi, &out, image.Pt(PortraitWidth, PortraitHeight), 0, 0, interp)
	buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, out, []int{gocv.IMWriteJpegQuality, portraitJPEGQuality})
	if err != nil {
		return nil, fmt.Errorf("encoding the portrait: %w", err)
	}
	defer buf.Close()
	return append([]byte(nil), buf.GetBytes()...), nil
}
