package facematch

import (
	"image"
	"math"
)

// Box is a face box in frame pixels (float, x2/y2 exclusive).
type Box struct {
	X1, Y1, X2, Y2 float64
}

func (b Box) W() float64                 { return b.X2 - b.X1 }
func (b Box) H() float64                 { return b.Y2 - b.Y1 }
func (b Box) Area() float64              { return max(0, b.W()) * max(0, b.H()) }
func (b Box) Centre() (float64, float64) { return (b.X1 + b.X2) / 2, (b.Y1 + b.Y2) / 2 }
func (b Box) Rect() image.Rectangle      { return image.Rect(int(b.X1), int(b.Y1), int(b.X2), int(b.Y2)) }
func (b Box) clip(w, h float64) Box {
	return Box{clamp(b.X1, 0, w), clamp(b.Y1, 0, h), clamp(b.X2, 0, w), clamp(b.Y2, 0, h)}
}
func (b Box) scaled(sx, sy float64) Box { return Box{b.X1 * sx, b.Y1 * sy, b.X2 * sx, b.Y2 * sy} }
func (b Box) iou(o Box) float64 {
	in := Box{max(b.X1, o.X1), max(b.Y1, o.Y1), min(b.X2, o.X2), min(b.Y2, o.Y2)}
	i := in.Area()
	if i == 0 {
		return 0
	}
	return i / (b.Area() + o.Area() - i)
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

// Point is a 2-D point in frame pixels.
type Point struct{ X, Y float64 }

func mid(ps ...Point) Point {
	var m Point
	for _, p := range ps {
		m.X += p.X
		m.Y += p.Y
	}
	n := float64(len(ps))
	return Point{m.X / n, m.Y / n}
}

func dist(a, b Point) float64 { return math.Hypot(a.X-b.X, a.Y-b.Y) }

// cropRect returns the integer rectangle of b clipped to a w×h frame, or false when
// nothing of it is left (OpenCV's Region would throw on an empty or outside rect).
func cropRect(b Box, w, h int) (image.Rectangle, bool) {
	r := image.Rect(int(math.Floor(b.X1)), int(math.Floor(b.Y1)), int(math.Ceil(b.X2)), int(math.Ceil(b.Y2)))
	r = r.Intersect(image.Rect(0, 0, w, h))
	return r, r.Dx() >= 2 && r.Dy() >= 2
}

// similarity returns the 2×3 least-squares similarity transform (rotation, uniform
// scale, translation; no reflection or shear) taking src onto dst (Umeyama's method).
// The reference JS uses a 3-point affine transform instead; a 5-point similarity is
// what the ArcFace-style reference points were made for and is steadier when one
// landmark is off.
func similarity(src, dst []Point) [6]float64 {
	n := float64(len(src))
	var sm, dm Point
	for i := range src {
		sm.X += src[i].X / n
		sm.Y += src[i].Y / n
		dm.X += dst[i].X / n
		dm.Y += dst[i].Y / n
	}
	var a, b, norm float64
	for i := range src {
		sx, sy := src[i].X-sm.X, src[i].Y-sm.Y
		dx, dy := dst[i].X-dm.X, dst[i].Y-dm.Y
		a += sx*dx + sy*dy
		b += sx*dy - sy*dx
		norm += sx*sx + sy*sy
	}
	if norm == 0 {
		return [6]float64{1, 0, dm.X - sm.X, 0, 1, dm.Y - sm.Y}
	}
	c, s := a/norm, b/norm
	return [6]float64{c, -s, dm.X - (c*sm.X - s*sm.Y), s, c, dm.Y - (s*sm.X + c*sm.Y)}
}

func softmax(v []float32) []float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, float64(x))
	}
	out := make([]float64, len(v))
	var sum float64
	for i, x := range v {
		out[i] = math.Exp(float64(x) - m)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}
