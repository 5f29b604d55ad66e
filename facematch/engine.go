package facematch

import (
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"
	"sync"

	"gocv.io/x/gocv"
)

// Model input sizes and output layouts, from the reference JS and checked at load.
const (
	detectW, detectH = 320, 240
	numPriors        = 4420
	landmarkSize     = 64
	alignSize        = 112
	EmbeddingSize    = 512
	livenessSize     = 128
	eyeSize          = 24
	poseSize         = 224
	poseBins         = 66
)

// engineThreads is OpenCV's thread count for every engine: one per call, the second
// core is used by running independent models in parallel (see Engine).
const engineThreads = 1

// Engine owns the six loaded networks. OpenCV's dnn.Net is not safe for concurrent
// use, so each network has its own lock (netLocks), taken for the forward pass; the
// engine's read lock is held by every call and its write lock by Close. Independent
// networks therefore run in parallel (Analyze runs pose and passive liveness beside
// landmarks and eyes), and one OpenCV thread per call is enough (SetOpenCVThreads).
type Engine struct {
	mu       sync.RWMutex
	nets     map[string]gocv.Net
	netLocks map[string]*sync.Mutex
	opts     Options
	closed   bool
}

// NewEngine verifies and loads every model in dir (see CheckModels). A missing or
// altered model is a *ModelError naming the file and the fix.
func NewEngine(dir string, opts Options) (*Engine, error) {
	return newEngine(dir, opts, nil)
}

// NewMatchEngine loads only what matching photos needs (detector, landmarks,
// embedding), for `kiosk face compare` and the evaluation: the other three models
// cost about 57 ms to load and test-run for nothing. Liveness calls on it fail with
// ErrModelMissing.
func NewMatchEngine(dir string, opts Options) (*Engine, error) {
	return newEngine(dir, opts, []string{ModelDetect, ModelLandmark, ModelFeature})
}

func newEngine(dir string, opts Options, only []string) (*Engine, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	SetOpenCVThreads(engineThreads)
	e := &Engine{nets: map[string]gocv.Net{}, netLocks: map[string]*sync.Mutex{}, opts: opts}
	for _, spec := range modelSpecs {
		e.netLocks[spec.File] = &sync.Mutex{}
	}
	for _, spec := range modelSpecs {
		if only != nil && !slices.Contains(only, spec.File) {
			continue
		}
		path := dir + "/" + spec.File
		data, err := readVerified(path, spec)
		if err == nil {
			var net gocv.Net
			net, err = loadNet(path, spec, data)
			if err == nil {
				e.nets[spec.File] = net
			}
		}
		if err != nil {
			e.Close()
			return nil, fmt.Errorf("loading face models: %w", err)
		}
	}
	return e, nil
}

// Options returns the engine's options.
func (e *Engine) Options() Options { return e.opts }

// Close frees the networks. Safe to call more than once.
func (e *Engine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for k, n := range e.nets {
		n.Close()
		delete(e.nets, k)
	}
	e.closed = true
	return nil
}

// net returns a network locked for the caller, who must call unlock. The caller
// holds e.mu for reading.
func (e *Engine) net(name string) (net gocv.Net, unlock func(), err error) {
	if e.closed {
		return gocv.Net{}, nil, ErrClosed
	}
	n, ok := e.nets[name]
	if !ok {
		return gocv.Net{}, nil, &ModelError{Model: name, Detail: "not loaded by this engine (NewMatchEngine)", Err: ErrModelMissing}
	}
	l := e.netLocks[name]
	l.Lock()
	return n, l.Unlock, nil
}

// Face is one detected face.
type Face struct {
	Box   Box     // squared as fr_detect.js does, clipped to the frame
	Raw   Box     // the detector's own box
	Score float64 // detector confidence
}

// detect runs fr_detect on a BGR frame. Like fr_detect.js, the frame is resized to
// 320×240 without keeping its aspect, pixels are (v-127)/128 in the BGR order the JS
// ends up feeding (cv.imread gives RGBA, then BGR2RGB swaps it to BGR), and the model's
// boxes come out already decoded as corners in 0..1 (the JS computes decodeBBox but
// uses the raw output). Caller holds e.mu for reading.
func (e *Engine) detect(frame gocv.Mat, minScore float64) ([]Face, error) {
	net, unlock, err := e.net(ModelDetect)
	if err != nil {
		return nil, err
	}
	defer unlock()
	blob := gocv.BlobFromImage(frame, 1.0/128, image.Pt(detectW, detectH), gocv.NewScalar(127, 127, 127, 0), false, false)
	defer blob.Close()
	net.SetInput(blob, "")
	outs := net.ForwardLayers([]string{"boxes", "scores"})
	defer func() {
		for _, o := range outs {
			o.Close()
		}
	}()
	boxes, err := outs[0].DataPtrFloat32()
	if err != nil {
		return nil, fmt.Errorf("detector output: %w", err)
	}
	scores, err := outs[1].DataPtrFloat32()
	if err != nil {
		return nil, fmt.Errorf("detector output: %w", err)
	}
	if len(boxes) != numPriors*4 || len(scores) != numPriors*2 {
		return nil, fmt.Errorf("detector output: %d boxes, %d scores: %w", len(boxes), len(scores), ErrModelInvalid)
	}
	w, h := float64(frame.Cols()), float64(frame.Rows())
	var cands []Face
	for i := 0; i < numPriors; i++ {
		s := float64(scores[i*2+1])
		if s < minScore {
			continue
		}
		b := Box{float64(boxes[i*4]), float64(boxes[i*4+1]), float64(boxes[i*4+2]), float64(boxes[i*4+3])}.scaled(w, h)
		if b.W() <= 1 || b.H() <= 1 || math.IsNaN(b.X1+b.Y1+b.X2+b.Y2) {
			continue
		}
		cands = append(cands, Face{Raw: b, Score: s})
	}
	// Greedy NMS by score (the JS sorts by y2, which keeps a worse box when two overlap).
	slices.SortFunc(cands, func(a, b Face) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0
	})
	var faces []Face
	for _, c := range cands {
		keep := true
		for _, f := range faces {
			if c.Raw.iou(f.Raw) >= nmsIoU {
				keep = false
				break
			}
		}
		if keep {
			// Square the box on its height around its centre, as scaleResult does.
			cx, cy := c.Raw.Centre()
			s := c.Raw.H()
			c.Box = Box{cx - s/2, cy - s/2, cx + s/2, cy + s/2}.clip(w-1, h-1)
			faces = append(faces, c)
		}
	}
	return faces, nil
}

const nmsIoU = 0.4

// landmarks runs fr_landmark on the face box: the box region, 64×64 grey, v/256, and
// the output scaled back by the crop's size. Caller holds e.mu for reading.
func (e *Engine) landmarks(frame gocv.Mat, f Face) (Landmarks, error) {
	var lm Landmarks
	net, unlock, err := e.net(ModelLandmark)
	if err != nil {
		return lm, err
	}
	defer unlock()
	r, ok := cropRect(f.Box, frame.Cols(), frame.Rows())
	if !ok {
		return lm, ErrNoFace
	}
	v, err := greyCropForward(net, frame, r, landmarkSize, 1.0/256, 136)
	if err != nil {
		return lm, fmt.Errorf("landmark output: %w", err)
	}
	for i := range lm {
		lm[i] = Point{float64(v[2*i])*float64(r.Dx()) + float64(r.Min.X), float64(v[2*i+1])*float64(r.Dy()) + float64(r.Min.Y)}
	}
	return lm, nil
}

// Pose is head orientation in degrees. Yaw is positive when the nose points towards
// the image's right (in an unmirrored camera frame: the resident turned to their own
// left); the sign is fixed by a test on mirrored images.
type Pose struct {
	Yaw, Pitch, Roll float64
	Model            bool // from fr_pose; false when estimated from the landmarks
}

// pose runs fr_pose (Hopenet-style bins) on the face box grown by a quarter on each
// side, 224×224 RGB with ImageNet mean/std; each angle is the softmax expectation over
// 66 bins of 3°, minus 99. fr_pose.js feeds BGR here by accident (RGBA through
// BGR2RGB); RGB is what an ImageNet-normalised model was trained on, and a test checks
// the yaw flips sign on a mirrored face. Caller holds e.mu for reading.
func (e *Engine) pose(frame gocv.Mat, f Face) (Pose, error) {
	net, unlock, err := e.net(ModelPose)
	if err != nil {
		return Pose{}, err
	}
	defer unlock()
	b := f.Box
	dw, dh := b.W()/4, b.H()/4
	r, ok := cropRect(Box{b.X1 - dw, b.Y1 - dh, b.X2 + dw, b.Y2 + dh}, frame.Cols(), frame.Rows())
	if !ok {
		return Pose{}, ErrNoFace
	}
	roi := frame.Region(r)
	defer roi.Close()
	blob := gocv.BlobFromImage(roi, 1.0/255, image.Pt(poseSize, poseSize), gocv.NewScalar(0.485*255, 0.456*255, 0.406*255, 0), true, false)
	defer blob.Close()
	// BlobFromImage scales after subtracting the mean: (v - 255m)/255 = v/255 - m;
	// dividing each plane by its std completes the ImageNet normalisation.
	data, err := blob.DataPtrFloat32()
	if err != nil {
		return Pose{}, fmt.Errorf("pose input: %w", err)
	}
	plane := poseSize * poseSize
	for c, std := range []float32{0.229, 0.224, 0.225} {
		p := data[c*plane : (c+1)*plane]
		for i := range p {
			p[i] /= std
		}
	}
	net.SetInput(blob, "")
	outs := net.ForwardLayers([]string{"output", "617", "618"})
	defer func() {
		for _, o := range outs {
			o.Close()
		}
	}()
	var angles [3]float64
	for k, o := range outs {
		v, err := o.DataPtrFloat32()
		if err != nil || len(v) != poseBins {
			return Pose{}, fmt.Errorf("pose output: %w", ErrModelInvalid)
		}
		var exp float64
		for i, p := range softmax(v) {
			exp += p * float64(i)
		}
		angles[k] = exp*3 - 99
	}
	return Pose{Yaw: angles[0] * poseYawSign, Pitch: angles[1], Roll: angles[2], Model: true}, nil
}

// eyesOpen runs fr_eye on both eyes (24×24 grey, v/255, crops 1.6× the eye width
// around the eye centre as in getEyeBBox) and returns the probability each is open.
// Caller holds e.mu for reading.
func (e *Engine) eyesOpen(frame gocv.Mat, lm *Landmarks) (left, right float64, err error) {
	net, unlock, err := e.net(ModelEye)
	if err != nil {
		return 0, 0, err
	}
	defer unlock()
	one := func(c Point, width float64) (float64, error) {
		s := width * 1.6
		r, ok := cropRect(Box{c.X - s/2, c.Y - s/2, c.X + s/2, c.Y + s/2}, frame.Cols(), frame.Rows())
		if !ok || r.Dx() < 4 || r.Dy() < 4 {
			return 0, ErrNoFace
		}
		v, err := greyCropForward(net, frame, r, eyeSize, 1.0/255, 2)
		if err != nil {
			return 0, fmt.Errorf("eye output: %w", err)
		}
		return softmax(v)[eyeOpenClass], nil
	}
	if left, err = one(lm.leftEyeCentre(), lm[39].X-lm[36].X); err != nil {
		return 0, 0, err
	}
	right, err = one(lm.rightEyeCentre(), lm[45].X-lm[42].X)
	return left, right, err
}

// eyeOpenClass is the fr_eye output index meaning "open", found by measurement on the
// test portraits (all eyes open) and on eyes painted shut; see TestEyeModelClasses.
const eyeOpenClass = 1

// passiveLiveness runs fr_liveness on the box grown 2.7× (shifted to stay inside the
// frame, as alignLivenessImage does), 128×128, raw 0..255 values. It returns the
// probability of the "live" class. Caller holds e.mu for reading.
func (e *Engine) passiveLiveness(frame gocv.Mat, f Face) (float64, error) {
	net, unlock, err := e.net(ModelLiveness)
	if err != nil {
		return 0, err
	}
	defer unlock()
	w, h := float64(frame.Cols()), float64(frame.Rows())
	b := f.Box
	scale := math.Min(math.Min((h-1)/b.H(), (w-1)/b.W()), 2.7)
	nw, nh := b.W()*scale, b.H()*scale
	cx, cy := b.Centre()
	x1, y1 := cx-nw/2, cy-nh/2
	x1 = clamp(x1, 0, w-1-nw)
	y1 = clamp(y1, 0, h-1-nh)
	r, ok := cropRect(Box{x1, y1, x1 + nw, y1 + nh}, frame.Cols(), frame.Rows())
	if !ok {
		return 0, ErrNoFace
	}
	roi := frame.Region(r)
	defer roi.Close()
	blob := gocv.BlobFromImage(roi, 1, image.Pt(livenessSize, livenessSize), gocv.NewScalar(0, 0, 0, 0), livenessRGB, false)
	defer blob.Close()
	net.SetInput(blob, "")
	out := net.Forward("output")
	defer out.Close()
	v, err := out.DataPtrFloat32()
	if err != nil || len(v) != 3 {
		return 0, fmt.Errorf("liveness output: %w", ErrModelInvalid)
	}
	return softmax(v)[livenessLiveClass], nil
}

// The passive model's channel order and live class. MiniFASNet-style models are
// trained on BGR with class 1 = real; fr_liveness.js feeds RGB and reports class 0.
// Chosen by measurement on the test portraits (see docs/face-eval.md).
const (
	livenessRGB       = false
	livenessLiveClass = 1
)

// embed aligns the face to 112×112 with the 5-point similarity transform and runs
// fr_feature (RGB, (v-127)/128). The result is L2-normalised. Caller holds e.mu for reading.
func (e *Engine) embed(frame gocv.Mat, lm *Landmarks) (*Template, error) {
	net, unlock, err := e.net(ModelFeature)
	if err != nil {
		return nil, err
	}
	defer unlock()
	m := similarity(lm.FivePoints(), referencePoints)
	mb := make([]byte, 0, 48)
	for _, v := range m {
		mb = appendFloat64(mb, v)
	}
	tm, err := gocv.NewMatFromBytes(2, 3, gocv.MatTypeCV64F, mb)
	if err != nil {
		return nil, fmt.Errorf("alignment matrix: %w", err)
	}
	defer tm.Close()
	aligned := gocv.NewMat()
	defer aligned.Close()
	gocv.WarpAffineWithParams(frame, &aligned, tm, image.Pt(alignSize, alignSize), gocv.InterpolationLinear, gocv.BorderConstant, color.RGBA{})
	blob := gocv.BlobFromImage(aligned, 1.0/128, image.Pt(alignSize, alignSize), gocv.NewScalar(127, 127, 127, 0), true, false)
	defer blob.Close()
	net.SetInput(blob, "")
	out := net.Forward("output")
	defer out.Close()
	v, err := out.DataPtrFloat32()
	if err != nil || len(v) != EmbeddingSize {
		return nil, fmt.Errorf("feature output: %w", ErrModelInvalid)
	}
	t := &Template{}
	var n float64
	for i, x := range v {
		t.v[i] = x
		n += float64(x) * float64(x)
	}
	if n == 0 || math.IsNaN(n) {
		return nil, fmt.Errorf("feature output is degenerate: %w", ErrModelInvalid)
	}
	inv := float32(1 / math.Sqrt(n))
	for i := range t.v {
		t.v[i] *= inv
	}
	return t, nil
}

// appendFloat64 encodes in native order: NewMatFromBytes copies raw memory.
func appendFloat64(b []byte, v float64) []byte {
	return binary.NativeEndian.AppendUint64(b, math.Float64bits(v))
}

// poseYawSign makes fr_pose's yaw follow Pose's convention; see TestPoseYawSign.
const poseYawSign = -1

// greyCropForward runs a model that takes a size×size grey crop of frame (scaled by
// scale) and checks it gives want values; the values are copied out of OpenCV's memory.
func greyCropForward(net gocv.Net, frame gocv.Mat, r image.Rectangle, size int, scale float64, want int) ([]float32, error) {
	roi := frame.Region(r)
	defer roi.Close()
	small := gocv.NewMat()
	defer small.Close()
	gocv.Resize(roi, &small, image.Pt(size, size), 0, 0, gocv.InterpolationLinear)
	grey := gocv.NewMat()
	defer grey.Close()
	gocv.CvtColor(small, &grey, gocv.ColorBGRToGray)
	blob := gocv.BlobFromImage(grey, scale, image.Pt(size, size), gocv.NewScalar(0, 0, 0, 0), false, false)
	defer blob.Close()
	net.SetInput(blob, "")
	out := net.Forward("output")
	defer out.Close()
	v, err := out.DataPtrFloat32()
	if err != nil || len(v) != want {
		return nil, fmt.Errorf("%d values, want %d: %w", len(v), want, ErrModelInvalid)
	}
	return append([]float32(nil), v...), nil
}
