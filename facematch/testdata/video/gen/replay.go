package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"

	"gocv.io/x/gocv"
)

// replay is a synthesized screen-replay presentation attack (ISO/IEC 30107-3): a
// recording that passes liveness, played on a tablet held in front of the camera.
type replay struct {
	File      string `json:"file"`
	Of        string `json:"of"`        // the genuine recording played on the screen
	Challenge string `json:"challenge"` // the challenge the original passes
	Frames    int    `json:"frames"`
	Note      string `json:"note"`
}

// replaySources are the genuine recordings replayed; the demo is cut to its first
// 12 s (blink, turn left, blink, turn right).
var replaySources = []struct {
	file, challenge string
	frames          int
}{
	{"blink_astronaut.mp4", "blink", 0},
	{"blink_hopper.mp4", "blink", 0},
	{"turn_left_astronaut.mp4", "turn-left", 0},
	{"turn_left_hopper.mp4", "turn-left", 0},
	{"turn_right_astronaut.mp4", "turn-right", 0},
	{"demo_hopper.mp4", "any", 360},
}

const replayNote = "the original played on a tablet: screen 84% of the frame width with a 14 px black bezel, " +
	"seen at 3× through an RGB-stripe pixel grid (moiré where it aliases), blue cast, raised blacks and 80% contrast, " +
	"a glare spot fixed to the camera, rigid hand shake of the whole tablet (±8 px, ±1.5°, slight perspective), " +
	"a dim room behind, camera blur σ 0.8 and noise σ 2"

// makeReplays writes replay_<original> for each genuine recording and replays.json.
func makeReplays(dir string) error {
	var out []replay
	for _, s := range replaySources {
		r := replay{File: "replay_" + s.file, Of: s.file, Challenge: s.challenge, Note: replayNote}
		n, err := renderReplay(filepath.Join(dir, s.file), filepath.Join(dir, r.File), s.frames)
		if err != nil {
			return fmt.Errorf("%s: %w", r.File, err)
		}
		r.Frames = n
		out = append(out, r)
		fmt.Printf("%-30s %d frames\n", r.File, n)
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	return os.WriteFile(filepath.Join(dir, "replays.json"), append(b, '\n'), 0o644)
}

const screenScale = 3 // the screen is rendered at 3× before the camera sees it

func renderReplay(in, out string, limit int) (int, error) {
	vc, err := gocv.VideoCaptureFile(in)
	if err != nil {
		return 0, err
	}
	defer vc.Close()
	tmp, err := os.MkdirTemp("", "gen-replay-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	seed := uint64(0)
	for _, c := range out {
		seed = seed*31 + uint64(c)
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	grid := pixelGrid(W*screenScale, H*screenScale)
	defer grid.Close()
	room := roomBackground()
	defer room.Close()
	// Hand shake: smoothed random walks for x, y, rotation.
	var sx, sy, sr, vx, vy, vr float64
	frame := gocv.NewMat()
	defer frame.Close()
	n := 0
	for vc.Read(&frame) && !frame.Empty() {
		if limit > 0 && n >= limit {
			break
		}
		vx = 0.85*vx + rng.NormFloat64()*0.8
		vy = 0.85*vy + rng.NormFloat64()*0.8
		vr = 0.85*vr + rng.NormFloat64()*0.12
		sx = clampF(sx+vx, -8, 8)
		sy = clampF(sy+vy, -8, 8)
		sr = clampF(sr+vr, -1.5, 1.5)
		f := screenFrame(frame, grid, room, sx, sy, sr, rng)
		ok := gocv.IMWrite(filepath.Join(tmp, fmt.Sprintf("%04d.png", n)), f)
		f.Close()
		if !ok {
			return 0, fmt.Errorf("writing frame %d", n)
		}
		n++
	}
	cmd := exec.Command("ffmpeg", "-loglevel", "error", "-y", "-framerate", fmt.Sprint(FPS), "-i", filepath.Join(tmp, "%04d.png"),
		"-c:v", "libx264", "-preset", "slow", "-crf", "27", "-threads", "1", "-pix_fmt", "yuv420p",
		"-fflags", "+bitexact", "-map_metadata", "-1", "-movflags", "+faststart", "-an", out)
	cmd.Stderr = os.Stderr
	return n, cmd.Run()
}

func clampF(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

// pixelGrid is the screen's sub-pixel pattern at 3×: each screen pixel is three
// vertical stripes (B, G, R in BGR order) with a dark row gap, as an LCD looks close up.
func pixelGrid(w, h int) gocv.Mat {
	v := make([]float32, w*h*3)
	for y := 0; y < h; y++ {
		row := float32(1.0)
		if y%screenScale == screenScale-1 {
			row = 0.8
		}
		for x := 0; x < w; x++ {
			p := v[(y*w+x)*3 : (y*w+x)*3+3]
			for c := range p {
				p[c] = 0.7 * row
			}
			// Stripe x%3: 0 → R (BGR index 2), 1 → G, 2 → B.
			p[2-x%screenScale] = 1.35 * row
		}
	}
	return floatMat(v, w, h)
}

func floatMat(v []float32, w, h int) gocv.Mat {
	b := make([]byte, 0, len(v)*4)
	for _, f := range v {
		b = binary.NativeEndian.AppendUint32(b, math.Float32bits(f))
	}
	m, err := gocv.NewMatFromBytes(h, w, gocv.MatTypeCV32FC3, b)
	if err != nil {
		panic(err)
	}
	return m.Clone() // own the pixels
}

func roomBackground() gocv.Mat {
	m := gocv.NewMatWithSize(H, W, gocv.MatTypeCV8UC3)
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			v := 70 + 30*float64(y)/H - 15*float64(x)/W
			m.SetUCharAt(y, x*3, uint8(v*0.9))
			m.SetUCharAt(y, x*3+1, uint8(v))
			m.SetUCharAt(y, x*3+2, uint8(v*1.1))
		}
	}
	return m
}

// screenFrame shows one original frame as the camera sees it on the tablet.
func screenFrame(src, grid, room gocv.Mat, sx, sy, sr float64, rng *rand.Rand) gocv.Mat {
	// The display: colour cast and the panel's contrast, then its pixel grid at 3×.
	disp := gocv.NewMat()
	defer disp.Close()
	src.ConvertToWithParams(&disp, gocv.MatTypeCV32FC3, 0.8/255, 25.0/255)
	big := gocv.NewMat()
	defer big.Close()
	gocv.Resize(disp, &big, image.Pt(W*screenScale, H*screenScale), 0, 0, gocv.InterpolationNearestNeighbor)
	gocv.Multiply(big, grid, &big)
	cast := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(1.10, 1.0, 0.88, 0), big.Rows(), big.Cols(), gocv.MatTypeCV32FC3)
	defer cast.Close()
	gocv.Multiply(big, cast, &big)
	// The tablet's black bezel around the panel.
	const bezel = 14 * screenScale
	panel := gocv.NewMat()
	defer panel.Close()
	gocv.CopyMakeBorder(big, &panel, bezel, bezel, bezel, bezel, gocv.BorderConstant, color.RGBA{})
	// Projection: panel (at 3×) into the camera frame, 84% of its width, shaken.
	pw, ph := float64(panel.Cols()), float64(panel.Rows())
	s := 0.84 * W / (pw - 2*bezel)
	cx, cy := W/2+sx, H/2+sy
	r := sr * math.Pi / 180
	corners := [][2]float64{{-pw / 2, -ph / 2}, {pw / 2, -ph / 2}, {pw / 2, ph / 2}, {-pw / 2, ph / 2}}
	tilt := 0.015 * sx / 8 // a little perspective as the hand tilts the tablet
	dst := make([]image.Point, 4)
	dstF := make([]gocv.Point2f, 4)
	for i, c := range corners {
		x, y := c[0]*s, c[1]*s
		k := 1 + tilt*c[0]/(pw/2)
		x, y = x*k, y*k
		xr, yr := x*math.Cos(r)-y*math.Sin(r), x*math.Sin(r)+y*math.Cos(r)
		dstF[i] = gocv.Point2f{X: float32(cx + xr), Y: float32(cy + yr)}
		dst[i] = image.Pt(int(cx+xr), int(cy+yr))
	}
	srcF := []gocv.Point2f{{X: 0, Y: 0}, {X: float32(pw), Y: 0}, {X: float32(pw), Y: float32(ph)}, {X: 0, Y: float32(ph)}}
	sp := gocv.NewPoint2fVectorFromPoints(srcF)
	defer sp.Close()
	dp := gocv.NewPoint2fVectorFromPoints(dstF)
	defer dp.Close()
	hm := gocv.GetPerspectiveTransform2f(sp, dp)
	defer hm.Close()
	warped := gocv.NewMat()
	defer warped.Close()
	// Linear interpolation from 3×: the grid aliases into moiré as a camera's would.
	panel8 := gocv.NewMat()
	defer panel8.Close()
	panel.ConvertToWithParams(&panel8, gocv.MatTypeCV8UC3, 255, 0)
	gocv.WarpPerspectiveWithParams(panel8, &warped, hm, image.Pt(W, H), gocv.InterpolationLinear, gocv.BorderConstant, color.RGBA{})
	mask := gocv.NewMatWithSize(H, W, gocv.MatTypeCV8U)
	defer mask.Close()
	pv := gocv.NewPointsVectorFromPoints([][]image.Point{dst})
	defer pv.Close()
	gocv.FillPoly(&mask, pv, color.RGBA{255, 255, 255, 0})
	outM := room.Clone()
	warped.CopyToWithMask(&outM, mask)
	outF := gocv.NewMat()
	defer outF.Close()
	outM.ConvertTo(&outF, gocv.MatTypeCV32FC3)
	outM.Close()
	// Glare fixed to the camera (the room light), upper right, on the glass only.
	glare := gocv.NewMatWithSize(H, W, gocv.MatTypeCV32FC3)
	defer glare.Close()
	gf := glareField()
	gf.CopyToWithMask(&glare, mask)
	gocv.Add(outF, glare, &outF)
	gocv.GaussianBlur(outF, &outF, image.Pt(0, 0), 0.8, 0.8, gocv.BorderReplicate)
	res := gocv.NewMat()
	outF.ConvertTo(&res, gocv.MatTypeCV8UC3)
	shade(res, 1, 2, rng)
	return res
}

var glareMat *gocv.Mat

// glareField is a soft elliptical highlight, the same in every frame (the lamp does not
// move with the tablet).
func glareField() gocv.Mat {
	if glareMat != nil {
		return *glareMat
	}
	v := make([]float32, W*H*3)
	gx, gy, gs := 0.68*W, 0.26*H, 55.0
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			d := ((float64(x)-gx)*(float64(x)-gx) + (float64(y)-gy)*(float64(y)-gy)*2.2) / (2 * gs * gs)
			g := float32(70 * math.Exp(-d))
			copy(v[(y*W+x)*3:], []float32{g, g, g})
		}
	}
	g := floatMat(v, W, H)
	glareMat = &g
	return g
}
