package facematch

import (
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
)

// obsPose is an observation with a model-measured yaw.
func obsPose(yaw float64) *Observation {
	return &Observation{Pose: Pose{Yaw: yaw, Model: true}, EyesOpen: -1, Passive: -1}
}

// obsEyes is an observation with an eye-model reading and an eye aspect ratio.
func obsEyes(open, ear float64) *Observation {
	return &Observation{EyesOpen: open, EAR: ear, Passive: -1}
}

func runTracker(c kiosk.Challenge, obs []*Observation) (bool, bool, string) {
	tr := newTracker(c, DefaultOptions())
	for i, o := range obs {
		tr.observe(time.Duration(i)*33*time.Millisecond, o)
	}
	return tr.state()
}

func repeat(o *Observation, n int) []*Observation {
	out := make([]*Observation, n)
	for i := range out {
		out[i] = o
	}
	return out
}

func TestChallengeTrackers(t *testing.T) {
	turn := func(from, to float64) []*Observation {
		var obs []*Observation
		for i := 0; i <= 10; i++ {
			obs = append(obs, obsPose(from+(to-from)*float64(i)/10))
		}
		return append(obs, obsPose(to), obsPose(to))
	}
	blink := append(append(repeat(obsEyes(0.98, 0.30), 5), repeat(obsEyes(0.02, 0.17), 4)...), repeat(obsEyes(0.97, 0.30), 3)...)
	tests := []struct {
		name      string
		challenge kiosk.Challenge
		obs       []*Observation
		pass      bool
		fail      bool
	}{
		{"turn left passes", kiosk.ChallengeTurnLeft, turn(0, 32), true, false},
		{"turn left from a biased baseline passes", kiosk.ChallengeTurnLeft, turn(-7, 28), true, false},
		{"turn right passes", kiosk.ChallengeTurnRight, turn(5, -30), true, false},
		{"turn right asked, left done fails", kiosk.ChallengeTurnRight, turn(0, 32), false, true},
		{"turn left asked, right done fails", kiosk.ChallengeTurnLeft, turn(0, -32), false, true},
		{"small turn is not enough", kiosk.ChallengeTurnLeft, turn(0, 18), false, false},
		{"a still turned face is not a turn", kiosk.ChallengeTurnLeft, repeat(obsPose(35), 30), false, false},
		{"landmark-only yaw is ignored", kiosk.ChallengeTurnLeft, repeat(&Observation{Pose: Pose{Yaw: 40}, EyesOpen: -1}, 30), false, false},
		{"any accepts a right turn", kiosk.ChallengeAny, turn(0, -32), true, false},
		{"any accepts a blink", kiosk.ChallengeAny, blink, true, false},
		{"blink passes", kiosk.ChallengeBlink, blink, true, false},
		{"open eyes only", kiosk.ChallengeBlink, repeat(obsEyes(0.99, 0.30), 40), false, false},
		{"eye model closed but EAR steady (misjudged crop)", kiosk.ChallengeBlink,
			append(append(repeat(obsEyes(0.98, 0.30), 5), repeat(obsEyes(0.05, 0.29), 4)...), repeat(obsEyes(0.98, 0.30), 4)...), false, false},
		{"EAR dips but eye model says open (landmark wobble)", kiosk.ChallengeBlink,
			append(append(repeat(obsEyes(0.98, 0.30), 5), repeat(obsEyes(0.9, 0.15), 4)...), repeat(obsEyes(0.98, 0.30), 4)...), false, false},
		{"eyes closed from the start never blink", kiosk.ChallengeBlink,
			append(repeat(obsEyes(0.02, 0.15), 10), repeat(obsEyes(0.98, 0.30), 4)...), false, false},
		{"eyes shut for two seconds is not a blink", kiosk.ChallengeBlink,
			append(append(repeat(obsEyes(0.98, 0.30), 5), repeat(obsEyes(0.02, 0.15), 60)...), obsEyes(0.98, 0.30)), false, false},
		{"a turn does not satisfy blink", kiosk.ChallengeBlink, turn(0, 35), false, false},
		{"a blink does not satisfy a turn", kiosk.ChallengeTurnLeft, blink, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pass, fail, detail := runTracker(tt.challenge, tt.obs)
			if pass != tt.pass || fail != tt.fail {
				t.Errorf("passed=%v failed=%v (%s), want passed=%v failed=%v", pass, fail, detail, tt.pass, tt.fail)
			}
			if detail == "" {
				t.Error("empty detail")
			}
		})
	}
}

func TestParseChallenge(t *testing.T) {
	for _, s := range []string{"blink", "turn-left", "turn-right", "any"} {
		if _, err := ParseChallenge(s); err != nil {
			t.Errorf("ParseChallenge(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", "nod", "LEFT"} {
		if _, err := ParseChallenge(s); err == nil {
			t.Errorf("ParseChallenge(%q) accepted", s)
		}
	}
}

func TestAssessGuidance(t *testing.T) {
	o := DefaultOptions()
	good := func() Analysis {
		return Analysis{Width: 640, Height: 480, Faces: 1, Main: &Observation{
			Face:       Face{Raw: Box{240, 140, 400, 340}, Score: 0.99},
			Pose:       Pose{Yaw: 2, Pitch: -3, Model: true},
			Sharpness:  200,
			Brightness: 120,
		}}
	}
	tests := []struct {
		name   string
		change func(a *Analysis)
		prev   *Observation
		want   kiosk.Guidance
	}{
		{"good", func(*Analysis) {}, nil, kiosk.GuideOK},
		{"no face", func(a *Analysis) { a.Main = nil }, nil, kiosk.GuideNoFace},
		{"two people", func(a *Analysis) { a.Faces = 2 }, nil, kiosk.GuideOnePerson},
		{"far away", func(a *Analysis) { a.Main.Face.Raw = Box{300, 200, 360, 270} }, nil, kiosk.GuideMoveCloser},
		{"too close", func(a *Analysis) { a.Main.Face.Raw = Box{20, 0, 620, 480} }, nil, kiosk.GuideMoveBack},
		{"off centre", func(a *Analysis) { a.Main.Face.Raw = Box{10, 140, 170, 340} }, nil, kiosk.GuideCentre},
		{"dark", func(a *Analysis) { a.Main.Brightness = 30 }, nil, kiosk.GuideTooDark},
		{"bright", func(a *Analysis) { a.Main.Brightness = 240 }, nil, kiosk.GuideTooBright},
		{"turned", func(a *Analysis) { a.Main.Pose.Yaw = -35 }, nil, kiosk.GuideFaceCamera},
		{"looking down", func(a *Analysis) { a.Main.Pose.Pitch = -30 }, nil, kiosk.GuideFaceCamera},
		{"blurred", func(a *Analysis) { a.Main.Sharpness = 5 }, nil, kiosk.GuideHoldStill},
		{"moving", func(*Analysis) {}, &Observation{Face: Face{Raw: Box{200, 140, 360, 340}}}, kiosk.GuideHoldStill},
		{"small steady movement is still", func(*Analysis) {}, &Observation{Face: Face{Raw: Box{245, 142, 405, 342}}}, kiosk.GuideOK},
		{"several problems: the first to fix wins", func(a *Analysis) { a.Faces = 3; a.Main.Brightness = 10 }, nil, kiosk.GuideOnePerson},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := good()
			tt.change(&a)
			g, checks := o.Assess(a, tt.prev)
			if g != tt.want {
				t.Errorf("guidance %q, want %q (checks %+v)", g, tt.want, checks)
			}
			if len(checks) == 0 {
				t.Error("no checks")
			}
		})
	}
}

func TestEqualErrorAndRates(t *testing.T) {
	gen := []float64{0.9, 0.8, 0.7, 0.45}
	imp := []float64{0.1, 0.2, 0.3, 0.5}
	r := RatesAt(gen, imp, 0.4)
	if r.FalseMatches != 1 || r.FalseNonMatches != 0 || r.FMR != 0.25 || r.FNMR != 0 {
		t.Errorf("RatesAt = %+v", r)
	}
	eer, th := EqualError(gen, imp)
	if eer != 0.25 || th != 0.5 {
		t.Errorf("EqualError = %v at %v, want 0.25 at 0.5", eer, th)
	}
	eer, th = EqualError([]float64{0.8, 0.6}, []float64{0.2, 0.4})
	if eer != 0 || th != 0.5 {
		t.Errorf("separated EqualError = %v at %v, want 0 at 0.5", eer, th)
	}
}

func TestSimilarityRecoversTransform(t *testing.T) {
	// A known rotation+scale+shift must be recovered exactly.
	c, s := 0.9*0.96, 0.9*0.28
	var src, dst []Point
	for _, p := range referencePoints {
		src = append(src, p)
		dst = append(dst, Point{c*p.X - s*p.Y + 12, s*p.X + c*p.Y - 7})
	}
	m := similarity(src, dst)
	want := [6]float64{c, -s, 12, s, c, -7}
	for i := range m {
		if d := m[i] - want[i]; d > 1e-9 || d < -1e-9 {
			t.Fatalf("similarity = %v, want %v", m, want)
		}
	}
}

func TestTemplateZero(t *testing.T) {
	var tm Template
	tm.v[3] = 0.5
	if tm.IsZero() {
		t.Fatal("template with a value reports zero")
	}
	if got := tm.Cosine(&tm); got != 0.25 {
		t.Errorf("cosine %v", got)
	}
	tm.Zero()
	if !tm.IsZero() {
		t.Error("Zero left values")
	}
	var nilT *Template
	nilT.Zero() // must not panic
}
