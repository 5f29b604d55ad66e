package facematch

import "math"

// Landmarks are the 68 points of the iBUG 300-W layout in frame pixels.
type Landmarks [68]Point

// referencePoints are the 5 ArcFace-style points of a 112×112 aligned face (left eye,
// right eye, nose tip, left and right mouth corner), as in fr_feature.js.
var referencePoints = []Point{
	{38.29459953, 51.69630051},
	{73.53179932, 51.50139999},
	{56.02519989, 71.73660278},
	{41.54930115, 92.3655014},
	{70.72990036, 92.20410156},
}

// FivePoints reduces the 68 points to eye centres, nose tip and mouth corners the
// same way fr_feature.js does (convert68pts5pts).
func (l *Landmarks) FivePoints() []Point {
	return []Point{
		l.leftEyeCentre(),
		l.rightEyeCentre(),
		l[30],
		mid(l[48], l[60]),
		mid(l[54], l[64]),
	}
}

// "Left" and "right" are as seen in the image (iBUG: 36–41 is the eye on the image's
// left, the subject's right).
func (l *Landmarks) leftEyeCentre() Point  { return mid(l[37], l[38], l[40], l[41]) }
func (l *Landmarks) rightEyeCentre() Point { return mid(l[43], l[44], l[46], l[47]) }

// EyeAspectRatio is Soukupová and Čech's EAR for each eye: the eyelid opening over the
// eye width. About 0.25–0.35 open, under about 0.15 closed; it is used relative to the
// person's own open-eye value, never as an absolute.
func (l *Landmarks) EyeAspectRatio() (left, right float64) {
	ear := func(p []Point) float64 {
		w := dist(p[0], p[3])
		if w == 0 {
			return 0
		}
		return (dist(p[1], p[5]) + dist(p[2], p[4])) / (2 * w)
	}
	return ear(l[36:42]), ear(l[42:48])
}

// geometricYaw estimates yaw in degrees from where the nose tip sits between the jaw
// ends (points 0 and 16): centred is 0, a positive value means the nose moved towards
// the image's right. It is a cheap stand-in between fr_pose runs, not a measurement.
func (l *Landmarks) geometricYaw() float64 {
	w := l[16].X - l[0].X
	if w <= 0 {
		return 0
	}
	r := (l[30].X-l[0].X)/w*2 - 1 // -1..1
	return math.Asin(clamp(r, -1, 1)) * 180 / math.Pi
}

// interocular is the distance between the eye centres, the face's scale.
func (l *Landmarks) interocular() float64 { return dist(l.leftEyeCentre(), l.rightEyeCentre()) }
