// Command gen makes the synthetic test recordings in facematch/testdata/video from the
// public-domain portraits in ../source, and verifies them with the face models.
//
//	go run ./facematch/testdata/video/gen            # regenerate and verify
//	go run ./facematch/testdata/video/gen -verify    # only verify what is there
//
// Everything is deterministic (fixed seeds, single-threaded x264) so a rerun gives the
// same files on the same ffmpeg. See ../PROVENANCE.md for what each recording is.
package main

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"gocv.io/x/gocv"
)

const (
	W, H = 640, 480
	FPS  = 30
)

// recording is one output file and how it is made.
type recording struct {
	File      string `json:"file"`
	Source    string `json:"source"`
	Challenge string `json:"challenge"` // the challenge it satisfies: blink, turn-left, turn-right, none
	Live      bool   `json:"live"`      // whether a correct pipeline should call it live
	Still     bool   `json:"still"`     // whether the injected-video checks must flag it
	Note      string `json:"note"`
	Frames    int    `json:"frames"`
	// Measured by -verify with the models (independent of facematch/).
	Measured *measure `json:"measured,omitempty"`

	render func(g *geom, base gocv.Mat, i int, rng *rand.Rand) gocv.Mat
	// n is the number of frames to make (0: nFrames, 3 s).
	n int
}

type measure struct {
	FaceFrames   int     `json:"face_frames"`
	YawFirst     float64 `json:"yaw_first"`
	YawMin       float64 `json:"yaw_min"`
	YawMax       float64 `json:"yaw_max"`
	EyeOpenMin   float64 `json:"eye_open_min"` // min over frames of the mean fr_eye "open" probability
	EyeOpenFirst float64 `json:"eye_open_first"`
	ClosedFrames int     `json:"closed_frames"` // frames with both eyes' open probability < 0.5
	EARFirst     float64 `json:"ear_first"`
	EARMin       float64 `json:"ear_min"`
	Bytes        int64   `json:"bytes"`
}

// geom is what is known of the face in the composed base frame.
type geom struct {
	face box
	lm   [68]pt
}

func main() {
	here := flag.String("dir", "facematch/testdata/video", "recordings folder (source/ inside it holds the portraits)")
	modelsDir := flag.String("models", defaultModels(), "face models folder")
	verifyOnly := flag.Bool("verify", false, "only verify existing recordings")
	only := flag.String("only", "", "regenerate only this recording (e.g. demo_hopper.mp4); all are still verified")
	replays := flag.Bool("replays", false, "only (re)make the screen-replay attacks replay_*.mp4 from the genuine recordings (no models needed)")
	flag.Parse()
	log.SetFlags(0)
	if *replays {
		if err := makeReplays(*here); err != nil {
			log.Fatal(err)
		}
		return
	}

	m, err := loadModels(*modelsDir)
	if err != nil {
		log.Fatal(err)
	}
	recs := recordings()
	if !*verifyOnly {
		for i := range recs {
			if *only != "" && recs[i].File != *only {
				continue
			}
			if err := generate(m, *here, &recs[i]); err != nil {
				log.Fatalf("%s: %v", recs[i].File, err)
			}
		}
	}
	for i := range recs {
		ms, err := verify(m, filepath.Join(*here, recs[i].File))
		if err != nil {
			log.Fatalf("%s: %v", recs[i].File, err)
		}
		recs[i].Measured = ms
		recs[i].Frames = ms.FaceFrames
		fmt.Printf("%-22s %7d B  face %3d  yaw first %6.1f min %6.1f max %6.1f  eye-open first %.2f min %.2f closed %2d  EAR first %.3f min %.3f\n",
			recs[i].File, ms.Bytes, ms.FaceFrames, ms.YawFirst, ms.YawMin, ms.YawMax, ms.EyeOpenFirst, ms.EyeOpenMin, ms.ClosedFrames, ms.EARFirst, ms.EARMin)
	}
	b, _ := json.MarshalIndent(recs, "", "  ")
	if err := os.WriteFile(filepath.Join(*here, "manifest.json"), append(b, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
}

func defaultModels() string {
	if d := os.Getenv("KIOSK_MODELS_DIR"); d != "" {
		return d
	}
	d, _ := os.UserCacheDir()
	return filepath.Join(d, "dsi-kiosk", "models")
}

const nFrames = 3 * FPS

func recordings() []recording {
	return []recording{
		{
			File: "still_hopper.mp4", Source: "grace_hopper.jpg", Challenge: "none", Live: false, Still: true,
			Note: "one portrait repeated for 3 s, no noise or motion: a still image played as video; must fail every challenge",
			render: func(_ *geom, base gocv.Mat, _ int, _ *rand.Rand) gocv.Mat {
				return base.Clone()
			},
		},
		{
			File: "natural_hopper.mp4", Source: "grace_hopper.jpg", Challenge: "none", Live: false, Still: false,
			Note: "portrait with sensor-like noise, slow sway, breathing scale and light flicker: camera-like footage for quality and guidance tests; does no challenge action",
			render: func(g *geom, base gocv.Mat, i int, rng *rand.Rand) gocv.Mat {
				t := float64(i) / FPS
				cx, cy := (g.face.X1+g.face.X2)/2, (g.face.Y1+g.face.Y2)/2
				out := affine(base, cx, cy, 3*math.Sin(2*math.Pi*t/2.3)+rng.NormFloat64()*0.3, 2*math.Sin(2*math.Pi*t/3.1+1), 0.8*math.Sin(2*math.Pi*t/2.7), 1+0.01*math.Sin(2*math.Pi*t/3.7))
				shade(out, 1+0.015*math.Sin(2*math.Pi*t/1.9), 2.0, rng)
				return out
			},
		},
		{
			File: "turn_left_astronaut.mp4", Source: "astronaut.png", Challenge: "turn-left", Live: true, Still: false,
			Note:   "frontal portrait warped on a head-shaped depth map to a yaw of about 36° (nose to the image's right, the subject's own left) and back, with jitter and noise",
			render: turnRender(+1),
		},
		{
			File: "turn_right_astronaut.mp4", Source: "astronaut.png", Challenge: "turn-right", Live: true, Still: false,
			Note:   "as turn_left but mirrored in direction: nose to the image's left, the subject's own right",
			render: turnRender(-1),
		},
		{
			File: "blink_astronaut.mp4", Source: "astronaut.png", Challenge: "blink", Live: true, Still: false,
			Note:   "eyes open, lids painted down over 3 frames, closed 6 frames (200 ms), up over 3 frames, open again; twice; with jitter and noise",
			render: blinkRender,
		},
		{
			File: "turn_left_hopper.mp4", Source: "grace_hopper.jpg", Challenge: "turn-left", Live: true, Still: false,
			Note:   "a second face (older, glasses, cap) for turn-left, made as turn_left_astronaut",
			render: turnRender(+1),
		},
		{
			File: "still_astronaut.mp4", Source: "astronaut.png", Challenge: "none", Live: false, Still: true,
			Note: "a second face as a still image played as video",
			render: func(_ *geom, base gocv.Mat, _ int, _ *rand.Rand) gocv.Mat {
				return base.Clone()
			},
		},
		{
			File: "photo_tilt_astronaut.mp4", Source: "astronaut.png", Challenge: "none", Live: false, Still: false,
			Note: "attack: a flat printed photo held up and rotated about its vertical axis to 35° and back (perspective, no depth), with hand shake and noise; must fail every challenge even though it moves",
			render: func(g *geom, base gocv.Mat, i int, rng *rand.Rand) gocv.Mat {
				t := float64(i) / FPS
				cx, cy := (g.face.X1+g.face.X2)/2, (g.face.Y1+g.face.Y2)/2
				tilted := planarTilt(base, cx, cy, yawAt(i)*35.0/36.0*math.Pi/180)
				out := affine(tilted, cx, cy, 2*math.Sin(2*math.Pi*t/1.3)+rng.NormFloat64()*0.8, 1.5*math.Sin(2*math.Pi*t/1.7)+rng.NormFloat64()*0.8, 1.2*math.Sin(2*math.Pi*t/2.1), 1)
				tilted.Close()
				shade(out, 1, 2.0, rng)
				return out
			},
		},
		{
			File: "blink_hopper.mp4", Source: "grace_hopper.jpg", Challenge: "blink", Live: true, Still: false,
			Note:   "a second face (glasses) for blink, made as blink_astronaut",
			render: blinkRender,
		},
		{
			File: "demo_hopper.mp4", Source: "grace_hopper.jpg", Challenge: "any", Live: true, Still: false,
			Note:   demoNote(),
			render: demoRender,
			n:      demoFrames,
		},
	}
}

// yawAt is the turn timeline in degrees for frame i: 0.5 s frontal, 1 s turning,
// 1 s held, 0.5 s coming back part way.
func yawAt(i int) float64 {
	const peak = 36.0
	t := float64(i) / FPS
	switch {
	case t < 0.5:
		return 0
	case t < 1.5:
		return peak * smoothstep((t-0.5)/1.0)
	case t < 2.5:
		return peak
	default:
		return peak * (1 - 0.6*smoothstep((t-2.5)/0.5))
	}
}

func smoothstep(x float64) float64 {
	x = math.Max(0, math.Min(1, x))
	return x * x * (3 - 2*x)
}

func turnRender(dir float64) func(*geom, gocv.Mat, int, *rand.Rand) gocv.Mat {
	return func(g *geom, base gocv.Mat, i int, rng *rand.Rand) gocv.Mat {
		turned := yawWarp(base, g, dir*yawAt(i)*math.Pi/180)
		cx, cy := (g.face.X1+g.face.X2)/2, (g.face.Y1+g.face.Y2)/2
		out := affine(turned, cx, cy, rng.NormFloat64()*0.6, rng.NormFloat64()*0.6, rng.NormFloat64()*0.2, 1)
		turned.Close()
		shade(out, 1, 2.0, rng)
		return out
	}
}

// lidAt is how far the lids are closed (0 open, 1 shut) at frame i.
func lidAt(i int) float64 {
	for _, start := range []int{27, 63} {
		switch d := i - start; {
		case d < 0:
		case d < 3:
			return float64(d+1) / 4
		case d < 9:
			return 1
		case d < 12:
			return float64(12-d) / 4
		}
	}
	return 0
}

func blinkRender(g *geom, base gocv.Mat, i int, rng *rand.Rand) gocv.Mat {
	painted := base.Clone()
	if t := lidAt(i); t > 0 {
		closeEyes(painted, g.lm, t)
	}
	cx, cy := (g.face.X1+g.face.X2)/2, (g.face.Y1+g.face.Y2)/2
	out := affine(painted, cx, cy, rng.NormFloat64()*0.6, rng.NormFloat64()*0.6, rng.NormFloat64()*0.2, 1)
	painted.Close()
	shade(out, 1, 2.0, rng)
	return out
}

func generate(m *models, dir string, r *recording) error {
	src := gocv.IMRead(filepath.Join(dir, "source", r.Source), gocv.IMReadColor)
	if src.Empty() {
		return fmt.Errorf("cannot read source/%s", r.Source)
	}
	defer src.Close()
	fb, ok := m.face(src)
	if !ok {
		return fmt.Errorf("no face in source/%s", r.Source)
	}
	base := compose(src, fb)
	defer base.Close()
	g := &geom{}
	if g.face, ok = m.face(base); !ok {
		return fmt.Errorf("no face in the composed frame")
	}
	if g.lm, ok = m.landmarks(base, g.face); !ok {
		return fmt.Errorf("no landmarks in the composed frame")
	}
	tmp, err := os.MkdirTemp("", "gen-video-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	// Seeded per file so each recording is reproducible on its own.
	seed := uint64(0)
	for _, c := range r.File {
		seed = seed*31 + uint64(c)
	}
	rng := rand.New(rand.NewPCG(seed, 4))
	n := r.n
	if n == 0 {
		n = nFrames
	}
	for i := 0; i < n; i++ {
		f := r.render(g, base, i, rng)
		ok := gocv.IMWrite(filepath.Join(tmp, fmt.Sprintf("%04d.png", i)), f)
		f.Close()
		if !ok {
			return fmt.Errorf("writing frame %d", i)
		}
	}
	out := filepath.Join(dir, r.File)
	cmd := exec.Command("ffmpeg", "-loglevel", "error", "-y", "-framerate", fmt.Sprint(FPS), "-i", filepath.Join(tmp, "%04d.png"),
		"-c:v", "libx264", "-preset", "slow", "-crf", "27", "-threads", "1", "-pix_fmt", "yuv420p",
		"-fflags", "+bitexact", "-map_metadata", "-1", "-movflags", "+faststart", "-an", out)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("ffmpeg: %w", err)
	}
	r.Frames = n
	return nil
}

// compose scales and places the portrait so the face box is 42% of the frame height,
// centred a little above the middle, on a 640×480 frame (edges replicated).
func compose(src gocv.Mat, fb box) gocv.Mat {
	s := 0.42 * H / fb.h()
	cx, cy := (fb.X1+fb.X2)/2, (fb.Y1+fb.Y2)/2
	return warp(src, [6]float64{s, 0, W/2 - s*cx, 0, s, 0.46*H - s*cy})
}

func warp(src gocv.Mat, a [6]float64) gocv.Mat {
	m := gocv.NewMatWithSize(2, 3, gocv.MatTypeCV64F)
	defer m.Close()
	for k, v := range a {
		m.SetDoubleAt(k/3, k%3, v)
	}
	out := gocv.NewMat()
	gocv.WarpAffineWithParams(src, &out, m, image.Pt(W, H), gocv.InterpolationLinear, gocv.BorderReplicate, color.RGBA{})
	return out
}

// affine moves the frame by (tx, ty) pixels, rotates it by rot degrees and scales it
// about (cx, cy): small camera or body motion.
func affine(src gocv.Mat, cx, cy, tx, ty, rot, scale float64) gocv.Mat {
	r := rot * math.Pi / 180
	c, s := scale*math.Cos(r), scale*math.Sin(r)
	return warp(src, [6]float64{c, -s, cx - c*cx + s*cy + tx, s, c, cy - s*cx - c*cy + ty})
}

// shade multiplies brightness by gain and adds Gaussian noise of sigma grey levels,
// as a camera sensor does.
func shade(m gocv.Mat, gain, sigma float64, rng *rand.Rand) {
	b, _ := m.DataPtrUint8()
	for i := range b {
		v := float64(b[i])*gain + rng.NormFloat64()*sigma
		b[i] = uint8(math.Max(0, math.Min(255, math.Round(v))))
	}
}

// yawWarp turns the head by theta radians (positive: nose to the image's right). The
// face is given a depth map (a paraboloid over an ellipse around the head plus a bump
// at the nose) and each point is rotated about the vertical axis and projected back
// orthographically; the displacement is inverted by fixed-point iteration for Remap.
func yawWarp(src gocv.Mat, g *geom, theta float64) gocv.Mat {
	if theta == 0 {
		return src.Clone()
	}
	fx, fy := (g.face.X1+g.face.X2)/2, (g.face.Y1+g.face.Y2)/2
	a, b := 0.62*g.face.w(), 0.85*g.face.h() // head half-axes: the box is a tight face crop
	nose := g.lm[30]
	ns := 0.14 * g.face.w()
	depth := 0.75 * a
	ct, st := math.Cos(theta), math.Sin(theta)
	dx := func(x, y float64) float64 {
		u, v := (x-fx)/a, (y-fy)/b
		r2 := u*u + v*v
		var z, mk float64
		if r2 < 1 {
			z = depth * (1 - r2)
			mk = 1
		} else if r2 < 2.25 {
			mk = 1 - smoothstep((math.Sqrt(r2)-1)/0.5)
		}
		nd := ((x-nose.X)*(x-nose.X) + (y-nose.Y)*(y-nose.Y)) / (2 * ns * ns)
		z += 0.35 * a * math.Exp(-nd) * mk
		return mk*(x-fx)*(ct-1) + z*st
	}
	mapX := make([]byte, W*H*4)
	mapY := make([]byte, W*H*4)
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			xs := float64(x)
			for k := 0; k < 12; k++ {
				xs = float64(x) - dx(xs, float64(y))
			}
			binary.LittleEndian.PutUint32(mapX[(y*W+x)*4:], math.Float32bits(float32(xs)))
			binary.LittleEndian.PutUint32(mapY[(y*W+x)*4:], math.Float32bits(float32(y)))
		}
	}
	mx, _ := gocv.NewMatFromBytes(H, W, gocv.MatTypeCV32FC1, mapX)
	my, _ := gocv.NewMatFromBytes(H, W, gocv.MatTypeCV32FC1, mapY)
	defer mx.Close()
	defer my.Close()
	out := gocv.NewMat()
	gocv.Remap(src, &out, &mx, &my, gocv.InterpolationLinear, gocv.BorderReplicate, color.RGBA{})
	return out
}

// planarTilt shows the frame as a flat print rotated by theta about the vertical line
// through cx, seen in perspective from 1500 px away, on a grey room background.
func planarTilt(src gocv.Mat, cx, cy, theta float64) gocv.Mat {
	const dist = 1500.0
	proj := func(x, y float64) gocv.Point2f {
		X := (x - cx) * math.Cos(theta)
		Z := (x - cx) * math.Sin(theta)
		k := dist / (dist + Z)
		return gocv.Point2f{X: float32(cx + X*k), Y: float32(cy + (y-cy)*k)}
	}
	from := []gocv.Point2f{{X: 0, Y: 0}, {X: W, Y: 0}, {X: W, Y: H}, {X: 0, Y: H}}
	to := []gocv.Point2f{proj(0, 0), proj(W, 0), proj(W, H), proj(0, H)}
	fv, tv := gocv.NewPoint2fVectorFromPoints(from), gocv.NewPoint2fVectorFromPoints(to)
	defer fv.Close()
	defer tv.Close()
	m := gocv.GetPerspectiveTransform2f(fv, tv)
	defer m.Close()
	out := gocv.NewMat()
	gocv.WarpPerspectiveWithParams(src, &out, m, image.Pt(W, H), gocv.InterpolationLinear, gocv.BorderConstant, color.RGBA{90, 90, 90, 0})
	return out
}

// closeEyes paints both upper lids down by t (0..1) with skin colour sampled from the
// cheek under each eye, softened at the edges, with a dark lash line at the lid edge.
func closeEyes(m gocv.Mat, lm [68]pt, t float64) {
	for _, e := range [][6]int{{36, 37, 38, 39, 40, 41}, {42, 43, 44, 45, 46, 47}} {
		p := func(k int) pt { return lm[e[k]] }
		c := mean(p(0), p(1), p(2), p(3), p(4), p(5))
		wEye := dist(p(0), p(3))
		// Grow the landmark polygon: the visible eye is larger than its points.
		grow := func(q pt, sx, sy float64) pt { return pt{c.X + (q.X-c.X)*sx, c.Y + (q.Y-c.Y)*sy} }
		top1, top2 := grow(p(1), 1.15, 1.9), grow(p(2), 1.15, 1.9)
		bot1, bot2 := grow(p(5), 1.15, 1.5), grow(p(4), 1.15, 1.5)
		left, right := grow(p(0), 1.2, 1), grow(p(3), 1.2, 1)
		lerp := func(a, b pt) pt { return pt{a.X + (b.X-a.X)*t, a.Y + (b.Y-a.Y)*t} }
		lid1, lid2 := lerp(top1, bot1), lerp(top2, bot2)
		skin := sampleMean(m, image.Rect(int(c.X-wEye*0.3), int(c.Y+wEye*0.55), int(c.X+wEye*0.3), int(c.Y+wEye*0.85)))
		lidCol := [3]float64{skin[0] * 0.9, skin[1] * 0.9, skin[2] * 0.9}
		poly := []pt{left, top1, top2, right, lid2, lid1}
		paintPoly(m, poly, lidCol, 2.0)
		if t > 0.25 {
			lash := [3]float64{skin[0] * 0.35, skin[1] * 0.35, skin[2] * 0.35}
			paintPolyline(m, []pt{left, lid1, lid2, right}, lash, math.Max(1.5, wEye*0.05))
		}
	}
}

func sampleMean(m gocv.Mat, r image.Rectangle) [3]float64 {
	r = r.Intersect(image.Rect(0, 0, m.Cols(), m.Rows()))
	roi := m.Region(r)
	defer roi.Close()
	s := roi.Mean()
	return [3]float64{s.Val1, s.Val2, s.Val3}
}

// paintPoly blends col into m inside poly, with edges softened by a Gaussian of sigma px.
func paintPoly(m gocv.Mat, poly []pt, col [3]float64, sigma float64) {
	mask := gocv.NewMatWithSize(m.Rows(), m.Cols(), gocv.MatTypeCV8UC1)
	defer mask.Close()
	mask.SetTo(gocv.NewScalar(0, 0, 0, 0))
	pts := make([]image.Point, len(poly))
	for i, q := range poly {
		pts[i] = image.Pt(int(math.Round(q.X)), int(math.Round(q.Y)))
	}
	pv := gocv.NewPointsVectorFromPoints([][]image.Point{pts})
	defer pv.Close()
	gocv.FillPoly(&mask, pv, color.RGBA{255, 255, 255, 255})
	blend(m, mask, col, sigma)
}

func paintPolyline(m gocv.Mat, line []pt, col [3]float64, thick float64) {
	mask := gocv.NewMatWithSize(m.Rows(), m.Cols(), gocv.MatTypeCV8UC1)
	defer mask.Close()
	mask.SetTo(gocv.NewScalar(0, 0, 0, 0))
	for i := 0; i+1 < len(line); i++ {
		gocv.Line(&mask, image.Pt(int(line[i].X), int(line[i].Y)), image.Pt(int(line[i+1].X), int(line[i+1].Y)), color.RGBA{255, 255, 255, 255}, int(math.Round(thick)))
	}
	blend(m, mask, col, 0.8)
}

func blend(m, mask gocv.Mat, col [3]float64, sigma float64) {
	soft := gocv.NewMat()
	defer soft.Close()
	gocv.GaussianBlur(mask, &soft, image.Pt(0, 0), sigma, sigma, gocv.BorderDefault)
	a, _ := soft.DataPtrUint8()
	px, _ := m.DataPtrUint8()
	for i, al := range a {
		if al == 0 {
			continue
		}
		f := float64(al) / 255
		for c := 0; c < 3; c++ {
			v := float64(px[3*i+c])*(1-f) + col[c]*f
			px[3*i+c] = uint8(math.Round(v))
		}
	}
}

// verify decodes a recording and measures yaw, eye openness and EAR on every frame.
func verify(m *models, file string) (*measure, error) {
	st, err := os.Stat(file)
	if err != nil {
		return nil, err
	}
	vc, err := gocv.VideoCaptureFileWithAPI(file, gocv.VideoCaptureFFmpeg)
	if err != nil {
		return nil, err
	}
	defer vc.Close()
	ms := &measure{Bytes: st.Size(), YawMin: math.Inf(1), YawMax: math.Inf(-1), EyeOpenMin: math.Inf(1), EARMin: math.Inf(1)}
	img := gocv.NewMat()
	defer img.Close()
	var yaws []float64
	for n := 0; vc.Read(&img); n++ {
		if img.Empty() {
			continue
		}
		b, ok := m.face(img)
		if !ok {
			continue
		}
		lm, ok := m.landmarks(img, b)
		if !ok {
			continue
		}
		y, _ := m.yaw(img, b)
		l, r := m.eyeOpen(img, lm)
		e := ear(lm)
		if ms.FaceFrames == 0 {
			ms.YawFirst, ms.EyeOpenFirst, ms.EARFirst = y, (l+r)/2, e
		}
		ms.FaceFrames++
		yaws = append(yaws, y)
		ms.YawMin, ms.YawMax = math.Min(ms.YawMin, y), math.Max(ms.YawMax, y)
		ms.EyeOpenMin = math.Min(ms.EyeOpenMin, (l+r)/2)
		ms.EARMin = math.Min(ms.EARMin, e)
		if l < 0.5 && r < 0.5 {
			ms.ClosedFrames++
		}
		if os.Getenv("GEN_TRACE") != "" && strings.Contains(file, os.Getenv("GEN_TRACE")) {
			fmt.Printf("  %2d yaw %6.1f eye %.2f %.2f ear %.3f\n", n, y, l, r, e)
		}
	}
	if ms.FaceFrames == 0 {
		return nil, fmt.Errorf("no face in any frame")
	}
	sort.Float64s(yaws)
	round := func(v float64) float64 { return math.Round(v*1000) / 1000 }
	ms.YawFirst, ms.YawMin, ms.YawMax = round(ms.YawFirst), round(ms.YawMin), round(ms.YawMax)
	ms.EyeOpenMin, ms.EyeOpenFirst = round(ms.EyeOpenMin), round(ms.EyeOpenFirst)
	ms.EARFirst, ms.EARMin = round(ms.EARFirst), round(ms.EARMin)
	return ms, nil
}
