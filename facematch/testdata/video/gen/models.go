package main

// A deliberately small, independent run of the face models, used only to place the
// synthetic edits (eye lids, head depth) and to verify that the recordings do what
// they claim (yaw really changes, eyes really close). It follows the reference
// pre-processing of npm faceplugin-face-recognition-js@0.0.1 (lib/fr_*.js). It is
// kept apart from facematch/ on purpose: the recordings are a yardstick for that
// package, so they must not be judged by the code under test alone.

import (
	"fmt"
	"image"
	"math"
	"path/filepath"

	"gocv.io/x/gocv"
)

type pt struct{ X, Y float64 }

type box struct{ X1, Y1, X2, Y2 float64 }

func (b box) w() float64 { return b.X2 - b.X1 }
func (b box) h() float64 { return b.Y2 - b.Y1 }

type models struct {
	detect, landmark, pose, eye gocv.Net
}

func loadModels(dir string) (*models, error) {
	m := &models{}
	for _, x := range []struct {
		net  *gocv.Net
		file string
	}{{&m.detect, "fr_detect.onnx"}, {&m.landmark, "fr_landmark.onnx"}, {&m.pose, "fr_pose.onnx"}, {&m.eye, "fr_eye.onnx"}} {
		n := gocv.ReadNetFromONNX(filepath.Join(dir, x.file))
		if n.Empty() {
			return nil, fmt.Errorf("loading %s from %s failed (run packaging/fetch-models.sh)", x.file, dir)
		}
		*x.net = n
	}
	return m, nil
}

// face finds the most confident face (squared box as fr_detect.js does).
func (m *models) face(img gocv.Mat) (box, bool) {
	blob := gocv.BlobFromImage(img, 1.0/128, image.Pt(320, 240), gocv.NewScalar(127, 127, 127, 0), false, false)
	defer blob.Close()
	m.detect.SetInput(blob, "")
	outs := m.detect.ForwardLayers([]string{"boxes", "scores"})
	defer func() {
		for _, o := range outs {
			o.Close()
		}
	}()
	boxes, _ := outs[0].DataPtrFloat32()
	scores, _ := outs[1].DataPtrFloat32()
	best, bestS := box{}, 0.65
	for i := 0; i < len(scores)/2 && 4*i+3 < len(boxes); i++ {
		if s := float64(scores[2*i+1]); s > bestS {
			bestS = s
			best = box{float64(boxes[4*i]), float64(boxes[4*i+1]), float64(boxes[4*i+2]), float64(boxes[4*i+3])}
		}
	}
	if bestS == 0.65 {
		return box{}, false
	}
	W, H := float64(img.Cols()), float64(img.Rows())
	b := box{best.X1 * W, best.Y1 * H, best.X2 * W, best.Y2 * H}
	cx, cy, s := (b.X1+b.X2)/2, (b.Y1+b.Y2)/2, b.h()
	return box{cx - s/2, cy - s/2, cx + s/2, cy + s/2}, true
}

func clipRect(b box, w, h int) image.Rectangle {
	r := image.Rect(int(b.X1), int(b.Y1), int(b.X2), int(b.Y2)).Intersect(image.Rect(0, 0, w, h))
	return r
}

// landmarks returns the 68 iBUG points in image pixels.
func (m *models) landmarks(img gocv.Mat, b box) ([68]pt, bool) {
	var lm [68]pt
	r := clipRect(b, img.Cols(), img.Rows())
	if r.Dx() < 16 || r.Dy() < 16 {
		return lm, false
	}
	roi := img.Region(r)
	defer roi.Close()
	small, grey := gocv.NewMat(), gocv.NewMat()
	defer small.Close()
	defer grey.Close()
	gocv.Resize(roi, &small, image.Pt(64, 64), 0, 0, gocv.InterpolationLinear)
	gocv.CvtColor(small, &grey, gocv.ColorBGRToGray)
	blob := gocv.BlobFromImage(grey, 1.0/256, image.Pt(64, 64), gocv.NewScalar(0, 0, 0, 0), false, false)
	defer blob.Close()
	m.landmark.SetInput(blob, "")
	out := m.landmark.Forward("output")
	defer out.Close()
	v, err := out.DataPtrFloat32()
	if err != nil || len(v) != 136 {
		return lm, false
	}
	for i := range lm {
		lm[i] = pt{float64(v[2*i])*float64(r.Dx()) + float64(r.Min.X), float64(v[2*i+1])*float64(r.Dy()) + float64(r.Min.Y)}
	}
	return lm, true
}

func softmax(v []float32) []float64 {
	mx := math.Inf(-1)
	for _, x := range v {
		mx = math.Max(mx, float64(x))
	}
	out := make([]float64, len(v))
	var sum float64
	for i, x := range v {
		out[i] = math.Exp(float64(x) - mx)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

// yaw runs fr_pose (RGB, ImageNet normalisation, box grown by a quarter per side).
// Positive means the nose points towards the image's right.
func (m *models) yaw(img gocv.Mat, b box) (float64, bool) {
	dw, dh := b.w()/4, b.h()/4
	r := clipRect(box{b.X1 - dw, b.Y1 - dh, b.X2 + dw, b.Y2 + dh}, img.Cols(), img.Rows())
	if r.Dx() < 16 || r.Dy() < 16 {
		return 0, false
	}
	roi := img.Region(r)
	defer roi.Close()
	blob := gocv.BlobFromImage(roi, 1.0/255, image.Pt(224, 224), gocv.NewScalar(0.485*255, 0.456*255, 0.406*255, 0), true, false)
	defer blob.Close()
	data, _ := blob.DataPtrFloat32()
	for c, std := range []float32{0.229, 0.224, 0.225} {
		p := data[c*224*224 : (c+1)*224*224]
		for i := range p {
			p[i] /= std
		}
	}
	m.pose.SetInput(blob, "")
	out := m.pose.Forward("output")
	defer out.Close()
	v, err := out.DataPtrFloat32()
	if err != nil || len(v) != 66 {
		return 0, false
	}
	var e float64
	for i, p := range softmax(v) {
		e += p * float64(i)
	}
	return e*3 - 99, true
}

// eyeOpen returns fr_eye's probability of class 1 for the two eyes (crop 1.6× the eye
// width around its centre, 24×24 grey, v/255).
func (m *models) eyeOpen(img gocv.Mat, lm [68]pt) (float64, float64) {
	one := func(c pt, width float64) float64 {
		s := width * 1.6
		r := clipRect(box{c.X - s/2, c.Y - s/2, c.X + s/2, c.Y + s/2}, img.Cols(), img.Rows())
		if r.Dx() < 4 || r.Dy() < 4 {
			return math.NaN()
		}
		roi := img.Region(r)
		defer roi.Close()
		small, grey := gocv.NewMat(), gocv.NewMat()
		defer small.Close()
		defer grey.Close()
		gocv.Resize(roi, &small, image.Pt(24, 24), 0, 0, gocv.InterpolationLinear)
		gocv.CvtColor(small, &grey, gocv.ColorBGRToGray)
		blob := gocv.BlobFromImage(grey, 1.0/255, image.Pt(24, 24), gocv.NewScalar(0, 0, 0, 0), false, false)
		defer blob.Close()
		m.eye.SetInput(blob, "")
		out := m.eye.Forward("output")
		defer out.Close()
		v, err := out.DataPtrFloat32()
		if err != nil || len(v) != 2 {
			return math.NaN()
		}
		return softmax(v)[1]
	}
	l := one(mean(lm[37], lm[38], lm[40], lm[41]), lm[39].X-lm[36].X)
	r := one(mean(lm[43], lm[44], lm[46], lm[47]), lm[45].X-lm[42].X)
	return l, r
}

// ear is the mean eye aspect ratio of both eyes.
func ear(lm [68]pt) float64 {
	e := func(p []pt) float64 {
		w := dist(p[0], p[3])
		if w == 0 {
			return 0
		}
		return (dist(p[1], p[5]) + dist(p[2], p[4])) / (2 * w)
	}
	return (e(lm[36:42]) + e(lm[42:48])) / 2
}

func mean(ps ...pt) pt {
	var x, y float64
	for _, p := range ps {
		x += p.X
		y += p.Y
	}
	return pt{x / float64(len(ps)), y / float64(len(ps))}
}

func dist(a, b pt) float64 { return math.Hypot(a.X-b.X, a.Y-b.Y) }
