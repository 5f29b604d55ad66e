package facematch

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"github.com/macau-dsi/kiosk/kiosk"
)

// portraitCase is one test image: how it is made and which checks must fail on it
// (all others must pass).
type portraitCase struct {
	name, made string
	build      func(t *testing.T, e *Engine) gocv.Mat
	fail       []string
}

// onPlain is a recording's frame with its background replaced by the plain backdrop.
func onPlain(t *testing.T, e *Engine, file string, i int) gocv.Mat {
	f := videoFrame(t, file, i)
	defer f.Close()
	mask := headMask(t, e, f)
	defer mask.Close()
	bg := plain(f.Cols(), f.Rows(), plainBG)
	defer bg.Close()
	return composite(f, mask, bg)
}

// onBackground is the still portrait on the backdrop that paint draws.
func onBackground(t *testing.T, e *Engine, paint func(x, y int) uint8) gocv.Mat {
	f := videoFrame(t, "still_hopper.mp4", 0)
	defer f.Close()
	mask := headMask(t, e, f)
	defer mask.Close()
	bg := plain(f.Cols(), f.Rows(), plainBG)
	defer bg.Close()
	perPixel(bg, nil, func(x, y int, _ float64, px []uint8) {
		v := paint(x, y)
		px[0], px[1], px[2] = v, v, v
	})
	return composite(f, mask, bg)
}

func base(t *testing.T, e *Engine) gocv.Mat { return onPlain(t, e, "still_hopper.mp4", 0) }

// moved is the base portrait moved by (dx, dy) and scaled by s about the frame's
// centre on a w×h plain frame.
func moved(t *testing.T, e *Engine, w, h int, dx, dy, s float64) gocv.Mat {
	b := base(t, e)
	defer b.Close()
	cx, cy := float64(b.Cols())/2, float64(b.Rows())/2
	m := gocv.NewMatWithSize(2, 3, gocv.MatTypeCV64F)
	defer m.Close()
	for k, v := range []float64{s, 0, float64(w)/2 - s*cx + dx, 0, s, float64(h)/2 - s*cy + dy} {
		m.SetDoubleAt(k/3, k%3, v)
	}
	out := gocv.NewMat()
	gocv.WarpAffineWithParams(b, &out, m, image.Pt(w, h), gocv.InterpolationArea, gocv.BorderConstant, color.RGBA{222, 222, 222, 0})
	return out
}

// onPerson is the good portrait with f applied to the person's pixels (not the
// wall's), weighted by the head-and-body mask.
func onPerson(t *testing.T, e *Engine, f func(x, y int, w float64, px []uint8)) gocv.Mat {
	m := base(t, e)
	still := videoFrame(t, "still_hopper.mp4", 0)
	defer still.Close()
	mask := headMask(t, e, still)
	defer mask.Close()
	perPixel(m, &mask, f)
	return m
}

// personScaled is the good portrait with the person's pixels multiplied by k and
// raised by add.
func personScaled(t *testing.T, e *Engine, k, add float64) gocv.Mat {
	return onPerson(t, e, func(_, _ int, w float64, px []uint8) {
		for c := range px {
			v := float64(px[c])
			px[c] = sat(v*(1-w) + (v*k+add)*w)
		}
	})
}

func portraitCases() []portraitCase {
	return []portraitCase{
		{"good", "still_hopper.mp4 frame 0, background replaced by plain light grey (222) outside the head ellipse and body", base, nil},
		{"good_noisy", "turn_left_hopper.mp4 frame 0 (frontal, sensor noise σ=2), background replaced", func(t *testing.T, e *Engine) gocv.Mat {
			return onPlain(t, e, "turn_left_hopper.mp4", 0)
		}, nil},
		{"no_face", "plain light grey 640×480", func(t *testing.T, e *Engine) gocv.Mat { return plain(640, 480, plainBG) }, []string{PCFaceFound}},
		{"second_face", "good + John_Savage/000264_01099001.jpg scaled to 130 px pasted at the right edge, outside the crop", func(t *testing.T, e *Engine) gocv.Mat {
			m := base(t, e)
			o := decodeTestImage(t, "testdata/faces/John_Savage/000264_01099001.jpg")
			defer o.Close()
			s := gocv.NewMat()
			defer s.Close()
			gocv.Resize(o, &s, image.Pt(130, 130), 0, 0, gocv.InterpolationArea)
			dst := m.Region(image.Rect(495, 80, 625, 210))
			s.CopyTo(&dst)
			dst.Close()
			return m
		}, []string{PCOneFace}},
		{"small_head", "good in the middle of a plain frame 1.8× larger (1152×864), same pixels", func(t *testing.T, e *Engine) gocv.Mat {
			return moved(t, e, 1152, 864, 0, 0, 1)
		}, []string{PCHeadSize}},
		{"big_head", "good scaled 1.5× about the frame centre and moved 70 px down, cut to 640×480", func(t *testing.T, e *Engine) gocv.Mat {
			return moved(t, e, 640, 480, 0, 70, 1.5)
		}, []string{PCHeadSize}},
		{"off_centre", "good moved 215 px left", func(t *testing.T, e *Engine) gocv.Mat {
			return moved(t, e, 640, 480, -215, 0, 1)
		}, []string{PCCentred}},
		{"low_resolution", "good scaled to 0.6 (384×288)", func(t *testing.T, e *Engine) gocv.Mat {
			return moved(t, e, 384, 288, 0, 0, 0.6)
		}, []string{PCResolution}},
		{"turned", "turn_left_hopper.mp4 frame 35 (head warped to about 25° yaw), background replaced", func(t *testing.T, e *Engine) gocv.Mat {
			return onPlain(t, e, "turn_left_hopper.mp4", 35)
		}, []string{PCYaw}},
		{"tilted", "good rotated 14° about the frame centre, plain fill", func(t *testing.T, e *Engine) gocv.Mat {
			b := base(t, e)
			defer b.Close()
			m := gocv.GetRotationMatrix2D(image.Pt(320, 220), 14, 1)
			defer m.Close()
			out := gocv.NewMat()
			gocv.WarpAffineWithParams(b, &out, m, image.Pt(640, 480), gocv.InterpolationLinear, gocv.BorderConstant, color.RGBA{222, 222, 222, 0})
			return out
		}, []string{PCRoll}},
		{"eyes_closed", "blink_hopper.mp4 frame 32 (lids painted shut), background replaced", func(t *testing.T, e *Engine) gocv.Mat {
			return onPlain(t, e, "blink_hopper.mp4", 32)
		}, []string{PCEyesOpen}},
		{"blurred", "good, Gaussian blur σ=2.5", func(t *testing.T, e *Engine) gocv.Mat {
			m := base(t, e)
			gocv.GaussianBlur(m, &m, image.Pt(0, 0), 2.5, 2.5, gocv.BorderReplicate)
			return m
		}, []string{PCSharpness}},
		{"dark_face", "good, the person (not the wall) multiplied by 0.35", func(t *testing.T, e *Engine) gocv.Mat {
			return personScaled(t, e, 0.35, 0)
		}, []string{PCExposure}},
		{"bright_face", "good, the person (not the wall) raised by 70 grey levels", func(t *testing.T, e *Engine) gocv.Mat {
			return personScaled(t, e, 1, 70)
		}, []string{PCExposure}},
		{"glasses_glare", "good with a white (255) ellipse, 0.8×0.44 of the eye's width, feathered 1 px, on each lens above and outside the pupil", func(t *testing.T, e *Engine) gocv.Mat {
			m := base(t, e)
			a, err := e.Analyze(m, AnalyzeOptions{})
			if err != nil || a.Main == nil {
				t.Fatal(err)
			}
			lm := &a.Main.Landmarks
			spot := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(0, 0, 0, 0), m.Rows(), m.Cols(), gocv.MatTypeCV8UC1)
			defer spot.Close()
			for _, eye := range []struct {
				c   Point
				w   float64
				out float64
			}{{lm.leftEyeCentre(), lm[39].X - lm[36].X, -1}, {lm.rightEyeCentre(), lm[45].X - lm[42].X, 1}} {
				c := image.Pt(int(eye.c.X+eye.out*0.3*eye.w), int(eye.c.Y-0.35*eye.w))
				gocv.Ellipse(&spot, c, image.Pt(int(0.4*eye.w), int(0.22*eye.w)), -20*eye.out, 0, 360, color.RGBA{255, 255, 255, 255}, -1)
			}
			gocv.GaussianBlur(spot, &spot, image.Pt(0, 0), 1, 1, gocv.BorderDefault)
			perPixel(m, &spot, func(_, _ int, w float64, px []uint8) {
				for c := range px {
					px[c] = sat(float64(px[c])*(1-w) + 255*w)
				}
			})
			return m
		}, []string{PCGlare}},
		{"side_light", "good, the person (not the wall) multiplied by a ramp across the face from 1.0 at x=420 to 0.3 at x=220 (constant beyond)", func(t *testing.T, e *Engine) gocv.Mat {
			return onPerson(t, e, func(x, _ int, w float64, px []uint8) {
				k := 1 - w*(1-(0.3+0.7*clamp((float64(x)-220)/200, 0, 1)))
				for c := range px {
					px[c] = sat(float64(px[c]) * k)
				}
			})
		}, []string{PCLightBalance}},
		{"dark_wall", "the portrait on a plain mid-grey wall (110)", func(t *testing.T, e *Engine) gocv.Mat {
			return onBackground(t, e, func(int, int) uint8 { return 110 })
		}, []string{PCBackgroundLight}},
		{"shaded_wall", "the portrait on a light wall with soft light and shade: 200 + 45·sin(2πx/150), no edges", func(t *testing.T, e *Engine) gocv.Mat {
			return onBackground(t, e, func(x, _ int) uint8 { return sat(200 + 45*math.Sin(2*math.Pi*float64(x)/150)) })
		}, []string{PCBackgroundPlain}},
		{"slatted_wall", "the portrait on a light wall (225) with a 1 px line of 170 every 10 px", func(t *testing.T, e *Engine) gocv.Mat {
			return onBackground(t, e, func(x, _ int) uint8 {
				if x%10 == 0 {
					return 170
				}
				return 225
			})
		}, []string{PCBackgroundEdges}},
		{"flag_background", "still_hopper.mp4 frame 0 as recorded: the original flag and blue backdrop", func(t *testing.T, e *Engine) gocv.Mat {
			return videoFrame(t, "still_hopper.mp4", 0)
		}, []string{PCBackgroundLight, PCBackgroundPlain, PCBackgroundEdges}},
		{"blue_cast", "good with B+50, G+10, R−45 on every pixel (a cold white balance)", func(t *testing.T, e *Engine) gocv.Mat {
			m := base(t, e)
			perPixel(m, nil, func(_, _ int, _ float64, px []uint8) {
				px[0], px[1], px[2] = sat(float64(px[0])+50), sat(float64(px[1])+10), sat(float64(px[2])-45)
			})
			return m
		}, []string{PCSkinHue}},
		{"washed_out", "good with colour reduced to 20% (each pixel 80% of the way to its grey)", func(t *testing.T, e *Engine) gocv.Mat {
			m := base(t, e)
			perPixel(m, nil, func(_, _ int, _ float64, px []uint8) {
				g := 0.114*float64(px[0]) + 0.587*float64(px[1]) + 0.299*float64(px[2])
				for c := range px {
					px[c] = sat(g + 0.2*(float64(px[c])-g))
				}
			})
			return m
		}, []string{PCSkinChroma}},
	}
}

// TestPortraitChecksOnImages runs the checker on every test image with the real
// models: each image fails exactly the checks it was made to fail.
// PORTRAIT_OUT=DIR writes the images and a Markdown results table there
// (docs/portrait-checks.md's table is that output).
func TestPortraitChecksOnImages(t *testing.T) {
	e := testEngine(t)
	lim := DefaultPortraitLimits()
	out := os.Getenv("PORTRAIT_OUT")
	var table strings.Builder
	for _, tc := range portraitCases() {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.build(t, e)
			defer m.Close()
			rep, crop, err := e.Portrait(m, lim)
			if err != nil {
				t.Fatal(err)
			}
			got := rep.Failed()
			if !slices.Equal(got, tc.fail) {
				t.Errorf("failed %v, want %v", got, tc.fail)
			}
			for _, c := range rep.Checks {
				t.Logf("%-17s %8.3f %-10s %v", c.Name, c.Measure, c.Limit(), c.OK)
			}
			if rep.OK != (len(tc.fail) == 0) || (crop != nil) != rep.OK {
				t.Errorf("ok %v, crop %d bytes", rep.OK, len(crop))
			}
			if len(tc.fail) > 0 {
				if c, _ := rep.Check(tc.fail[0]); rep.Guidance != c.Guidance || rep.Guidance == kiosk.GuideOK || rep.Guidance == "" {
					t.Errorf("guidance %q, want the first failure's %q", rep.Guidance, c.Guidance)
				}
			}
			if crop != nil {
				cfg, err := jpeg.DecodeConfig(bytes.NewReader(crop))
				if err != nil || cfg.Width != PortraitWidth || cfg.Height != PortraitHeight {
					t.Errorf("crop: %v %+v", err, cfg)
				}
			}
			if out != "" {
				if err := os.MkdirAll(out, 0o700); err != nil {
					t.Fatal(err)
				}
				gocv.IMWrite(filepath.Join(out, tc.name+".png"), m)
				if crop != nil {
					if err := os.WriteFile(filepath.Join(out, tc.name+"_crop.jpg"), crop, 0o600); err != nil {
						t.Fatal(err)
					}
				}
				fmt.Fprintf(&table, "| `%s` | %s | %s | %s |\n", tc.name, tc.made, failedOrPass(tc.fail), gotMeasures(rep))
			}
		})
	}
	if out != "" {
		if err := os.WriteFile(filepath.Join(out, "results.md"), []byte(table.String()), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// gotMeasures names the failed checks with their measure and limit.
func gotMeasures(r PortraitReport) string {
	var f []string
	for _, c := range r.Checks {
		if !c.OK {
			f = append(f, fmt.Sprintf("%s (%s, limit %s)", c.Name, fmtMeasure(math.Round(c.Measure*1000)/1000), c.Limit()))
		}
	}
	if len(f) == 0 {
		return "all pass"
	}
	return "fails " + strings.Join(f, ", ")
}

func failedOrPass(f []string) string {
	if len(f) == 0 {
		return "all pass"
	}
	return "fails " + strings.Join(f, ", ")
}

// TestPortraitMeasuresWithoutImages covers the checks no available image can fail
// alone: no test picture has an open mouth, and the pose model does not answer to a
// flat picture tipped back (measured: a 40° perspective tilt of the good portrait
// left fr_pose's pitch at 6.0°, the same as upright). Their measure functions and
// limits are fed synthetic input instead; every other check stays at a passing value.
func TestPortraitMeasuresWithoutImages(t *testing.T) {
	lim := DefaultPortraitLimits()
	// A face with landmarks laid out by hand: eyes level, mouth closed.
	var lm Landmarks
	for i := range lm {
		lm[i] = Point{300, 300}
	}
	for i := 36; i < 42; i++ {
		lm[i] = Point{260 + 2*float64(i-36), 200}
	}
	for i := 42; i < 48; i++ {
		lm[i] = Point{340 + 2*float64(i-42), 200}
	}
	lm[37].Y, lm[38].Y, lm[40].Y, lm[41].Y = 196, 196, 204, 204
	lm[43].Y, lm[44].Y, lm[46].Y, lm[47].Y = 196, 196, 204, 204
	lm[0], lm[16], lm[8] = Point{220, 220}, Point{400, 220}, Point{306, 340}
	lm[60], lm[64], lm[62], lm[66] = Point{280, 310}, Point{330, 310}, Point{305, 309}, Point{305, 311}
	openMouth := lm
	openMouth[62], openMouth[66] = Point{305, 296}, Point{305, 324} // lips 28 px apart over 50 px

	g := portraitGeometry(&lm, 640, 480)
	good := portraitMeasures{lightBalance: 0.95, bgMean: 220, bgStd: 3, bgEdges: 0.001, bgPixels: 5000, skinHue: 50, skinChroma: 25}
	obs := func(pitch float64) *Observation {
		return &Observation{Pose: Pose{Yaw: 1, Pitch: pitch}, EyesOpen: 0.99, Sharpness: 500, Brightness: 130}
	}
	tests := []struct {
		name string
		lm   Landmarks
		obs  *Observation
		fail []string
	}{
		{"closed mouth, level head", lm, obs(4), nil},
		{"mouth open", openMouth, obs(4), []string{PCMouthClosed}},
		{"head tipped back 20°", lm, obs(20), []string{PCPitch}},
		{"head tipped down 13°", lm, obs(-13), []string{PCPitch}},
		{"pitch at the limit", lm, obs(lim.MaxPitch), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := good
			m.mouthGap = mouthOpening(&tt.lm)
			var got []string
			for _, c := range lim.checks(1, g, tt.obs, m) {
				if !c.OK {
					got = append(got, c.Name)
				}
			}
			if !slices.Equal(got, tt.fail) {
				t.Errorf("failed %v, want %v (mouth opening %.3f, geometry %+v)", got, tt.fail, m.mouthGap, g)
			}
		})
	}
	if v := mouthOpening(&openMouth); math.Abs(v-28.0/50) > 1e-9 {
		t.Errorf("mouth opening %.3f, want 0.56", v)
	}
}

// TestPortraitBadInput: pictures OpenCV must not be handed are refused with the
// reason, before any model runs.
func TestPortraitBadInput(t *testing.T) {
	e := testEngine(t)
	lim := DefaultPortraitLimits()
	grey := gocv.NewMatWithSize(480, 640, gocv.MatTypeCV8UC1)
	defer grey.Close()
	tiny := gocv.NewMatWithSize(20, 20, gocv.MatTypeCV8UC3)
	defer tiny.Close()
	float := gocv.NewMatWithSize(480, 640, gocv.MatTypeCV32FC3)
	defer float.Close()
	for name, m := range map[string]gocv.Mat{"empty": gocv.NewMat(), "grey": grey, "tiny": tiny, "float": float} {
		if _, _, err := e.Portrait(m, lim); !errors.Is(err, ErrBadFrame) {
			t.Errorf("%s: %v, want ErrBadFrame", name, err)
		}
	}
	for name, tc := range map[string]struct {
		data []byte
		want error
	}{
		"not an image": {[]byte("hello, this is text"), ErrImageFormat},
		"empty":        {nil, ErrImageEmpty},
		"cut JPEG":     {readTestFile(t, "testdata/portrait/good.jpg")[:300], ErrImageCorrupt},
	} {
		if _, _, err := e.PortraitFromImage(tc.data, lim); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
}

// TestPortraitCommittedImages: the images in testdata/portrait (JPEG copies of three
// of the generated ones, for `kiosk face portrait` and its test) still give their
// verdicts after JPEG compression.
func TestPortraitCommittedImages(t *testing.T) {
	e := testEngine(t)
	for file, want := range map[string][]string{
		"good.jpg":            nil,
		"tilted.jpg":          {PCRoll},
		"flag_background.jpg": {PCBackgroundLight, PCBackgroundPlain, PCBackgroundEdges},
	} {
		rep, crop, err := e.PortraitFromImage(readTestFile(t, "testdata/portrait/"+file), DefaultPortraitLimits())
		if err != nil {
			t.Fatal(err)
		}
		if got := rep.Failed(); !slices.Equal(got, want) {
			t.Errorf("%s: failed %v, want %v", file, got, want)
		}
		if (crop != nil) != (want == nil) {
			t.Errorf("%s: crop of %d bytes", file, len(crop))
		}
	}
}

// TestPortraitMeasuresFollowDegradation steps each degradation from none to strong on
// the good portrait and checks that its measure moves one way only and crosses its
// limit once; the logged numbers are docs/portrait-checks.md's sweep table.
func TestPortraitMeasuresFollowDegradation(t *testing.T) {
	e := testEngine(t)
	lim := DefaultPortraitLimits()
	f := videoFrame(t, "still_hopper.mp4", 0)
	defer f.Close()
	mask := headMask(t, e, f)
	defer mask.Close()
	sweeps := []struct {
		check string
		steps []float64
		apply func(m gocv.Mat, v float64)
		down  bool // the measure falls from step to step
	}{
		{PCSharpness, []float64{0, 1, 1.5, 2, 2.5, 3}, func(m gocv.Mat, s float64) {
			if s > 0 {
				gocv.GaussianBlur(m, &m, image.Pt(0, 0), s, s, gocv.BorderReplicate)
			}
		}, true},
		{PCLightBalance, []float64{1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3}, func(m gocv.Mat, lo float64) {
			perPixel(m, &mask, func(x, _ int, w float64, px []uint8) {
				k := 1 - w*(1-(lo+(1-lo)*clamp((float64(x)-220)/200, 0, 1)))
				for c := range px {
					px[c] = sat(float64(px[c]) * k)
				}
			})
		}, true},
		{PCSkinHue, []float64{0, 10, 20, 30, 40, 50}, func(m gocv.Mat, k float64) {
			perPixel(m, nil, func(_, _ int, _ float64, px []uint8) {
				px[0], px[1], px[2] = sat(float64(px[0])+k), sat(float64(px[1])+k/5), sat(float64(px[2])-0.9*k)
			})
		}, true},
		{PCSkinChroma, []float64{1, 0.8, 0.6, 0.4, 0.3, 0.2, 0.1}, func(m gocv.Mat, k float64) {
			perPixel(m, nil, func(_, _ int, _ float64, px []uint8) {
				g := 0.114*float64(px[0]) + 0.587*float64(px[1]) + 0.299*float64(px[2])
				for c := range px {
					px[c] = sat(g + k*(float64(px[c])-g))
				}
			})
		}, true},
	}
	for _, sw := range sweeps {
		t.Run(sw.check, func(t *testing.T) {
			var vals []string
			prev := math.NaN()
			crossings, lastOK := 0, true
			for _, v := range sw.steps {
				m := composite(f, mask, plain(640, 480, plainBG))
				sw.apply(m, v)
				rep, err := e.CheckPortrait(m, lim)
				m.Close()
				if err != nil {
					t.Fatal(err)
				}
				c, ok := rep.Check(sw.check)
				if !ok {
					t.Fatalf("no %s check at %v", sw.check, v)
				}
				vals = append(vals, fmt.Sprintf("%v→%.3g", v, c.Measure))
				// A measure may plateau by a hair (compression, landmark jitter).
				if !math.IsNaN(prev) && ((sw.down && c.Measure > prev*1.02+0.5) || (!sw.down && c.Measure < prev*0.98-0.5)) {
					t.Errorf("%s went the wrong way at %v: %.3f after %.3f", sw.check, v, c.Measure, prev)
				}
				if c.OK != lastOK {
					crossings++
				}
				prev, lastOK = c.Measure, c.OK
			}
			if crossings != 1 || lastOK {
				t.Errorf("%s: crossed its limit %d times, passes at the strongest step: %v", sw.check, crossings, lastOK)
			}
			t.Logf("%s: %s", sw.check, strings.Join(vals, ", "))
		})
	}
}
