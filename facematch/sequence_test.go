package facematch

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
)

func TestPlanChallenge(t *testing.T) {
	if p, err := PlanChallenge(kiosk.ChallengeAny, constByte(0)); err != nil || len(p) != 1 || p[0].Action != kiosk.ChallengeAny {
		t.Errorf("any: %v %v, want the single any step (demo)", p, err)
	}
	for _, bad := range []kiosk.Challenge{"", "wink"} {
		if _, err := PlanChallenge(bad, constByte(0)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := PlanChallenge(kiosk.ChallengeBlink, bytes.NewReader(nil)); err == nil {
		t.Error("no randomness: no error")
	}
	// Byte 2 everywhere: 2+0 = 2 steps; the other actions after blink are turn-left,
	// turn-right: 2%2 picks turn-left; delay 0.6+0.2 s. A constant source must not hang.
	p, err := PlanChallenge(kiosk.ChallengeBlink, constByte(2))
	if err != nil {
		t.Fatal(err)
	}
	want := []Step{{Action: kiosk.ChallengeBlink}, {Action: kiosk.ChallengeTurnLeft, Delay: 800 * time.Millisecond}}
	if len(p) != len(want) || p[0] != want[0] || p[1] != want[1] {
		t.Errorf("plan %v, want %v", p, want)
	}
	// Byte 3: 3 steps, alternating (turn-right first: then blink, then turn-left... ) and
	// never the same action twice in a row.
	if p, err := PlanChallenge(kiosk.ChallengeTurnRight, constByte(3)); err != nil || len(p) != 3 || p[1].Action == p[0].Action || p[2].Action == p[1].Action {
		t.Errorf("constant 3: %v %v", p, err)
	}
	// Over many crypto/rand plans: 2 or 3 steps (both seen), no action twice in a row,
	// delays in range, every action in every later position.
	lens := map[int]int{}
	seen := map[kiosk.Challenge]bool{}
	for i := 0; i < 400; i++ {
		first := kiosk.Challenges[i%3]
		p, err := PlanChallenge(first, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		lens[len(p)]++
		if p[0].Action != first || p[0].Delay != 0 {
			t.Fatalf("first step %v, want %s at once", p[0], first)
		}
		for k := 1; k < len(p); k++ {
			if p[k].Action == p[k-1].Action {
				t.Fatalf("plan %v repeats an action", p)
			}
			if p[k].Delay < 600*time.Millisecond || p[k].Delay > 2100*time.Millisecond {
				t.Fatalf("delay %v out of range", p[k].Delay)
			}
			seen[p[k].Action] = true
		}
	}
	if lens[2] == 0 || lens[3] == 0 || lens[1]+lens[4] != 0 || len(seen) != 3 {
		t.Errorf("lengths %v, later actions %v", lens, seen)
	}
}

// timeline builds observations at 30 fps.
type timeline struct {
	t   time.Duration
	obs []timedObs
}

type timedObs struct {
	t time.Duration
	o *Observation // nil: no face
}

func (tl *timeline) add(d time.Duration, o func(f float64) *Observation) *timeline {
	n := int(d / (33 * time.Millisecond))
	for i := 0; i < n; i++ {
		tl.obs = append(tl.obs, timedObs{tl.t, o(float64(i) / float64(max(1, n-1)))})
		tl.t += 33 * time.Millisecond
	}
	return tl
}

// Actions as observations: model pose every frame, eyes every frame.
func still(yaw float64) func(float64) *Observation {
	return func(float64) *Observation {
		return &Observation{Pose: Pose{Yaw: yaw, Model: true}, EyesOpen: 0.97, EAR: 0.30, Passive: -1}
	}
}

func turnTo(from, to float64) func(float64) *Observation {
	return func(f float64) *Observation {
		return &Observation{Pose: Pose{Yaw: from + (to-from)*f, Model: true}, EyesOpen: 0.97, EAR: 0.30, Passive: -1}
	}
}

func shut(float64) *Observation {
	return &Observation{Pose: Pose{Model: true}, EyesOpen: 0.02, EAR: 0.17, Passive: -1}
}

func (tl *timeline) blink() *timeline {
	return tl.add(200*time.Millisecond, shut).add(200*time.Millisecond, still(0))
}

func (tl *timeline) turn(to float64) *timeline {
	return tl.add(500*time.Millisecond, turnTo(0, to)).add(300*time.Millisecond, still(to)).add(500*time.Millisecond, turnTo(to, 0))
}

func runSequence(steps []Step, tl *timeline) (*sequenceTracker, []kiosk.Challenge) {
	s := newSequenceTracker(steps, DefaultOptions(), 0)
	var prompts []kiosk.Challenge
	for _, x := range tl.obs {
		if x.o != nil {
			s.observe(x.t, x.o)
		}
		s.tick(x.t)
		if c := s.current(); c != "" && (len(prompts) == 0 || prompts[len(prompts)-1] != c) {
			prompts = append(prompts, c)
		}
		if s.finished() {
			break
		}
	}
	return s, prompts
}

func TestSequenceTracker(t *testing.T) {
	const sec = time.Second
	blinkLeft := []Step{{Action: kiosk.ChallengeBlink}, {Action: kiosk.ChallengeTurnLeft, Delay: sec}}
	leftBlinkRight := []Step{{Action: kiosk.ChallengeTurnLeft}, {Action: kiosk.ChallengeBlink, Delay: sec}, {Action: kiosk.ChallengeTurnRight, Delay: 700 * time.Millisecond}}
	tests := []struct {
		name     string
		steps    []Step
		tl       *timeline
		pass     bool
		fail     bool
		contains string
	}{
		{"each action after its prompt passes", blinkLeft,
			new(timeline).add(300*time.Millisecond, still(0)).blink().add(1500*time.Millisecond, still(0)).turn(32).add(sec, still(0)),
			true, false, "turned left"},
		{"three steps in order pass", leftBlinkRight,
			new(timeline).add(200*time.Millisecond, still(0)).turn(32).add(1500*time.Millisecond, still(0)).blink().add(1200*time.Millisecond, still(0)).turn(-32).add(sec, still(0)),
			true, false, "turned right"},
		{"turning when asked to blink fails", blinkLeft,
			new(timeline).add(300*time.Millisecond, still(0)).turn(32).add(sec, still(0)),
			false, true, "asked to blink"},
		{"turning in the pause, before the prompt, fails", blinkLeft,
			// Blink, then turn at once (during the pause: a recording's own timeline).
			new(timeline).add(300*time.Millisecond, still(0)).blink().turn(32).add(10*sec, still(0)),
			false, true, "before it was asked"},
		{"the pause counts from the return to the camera", blinkLeft,
			// Blink, stay frontal 0.5 s (the delay is 1 s): no prompt yet, nothing done.
			new(timeline).add(300*time.Millisecond, still(0)).blink().add(500*time.Millisecond, still(0)),
			false, false, "not prompted yet"},
		{"the wrong turn for the second step fails", blinkLeft,
			new(timeline).add(300*time.Millisecond, still(0)).blink().add(1500*time.Millisecond, still(0)).turn(-32),
			false, true, "the other way"},
		{"a face kept turned after a turn never gets the next prompt", leftBlinkRight,
			new(timeline).add(200*time.Millisecond, still(0)).add(500*time.Millisecond, turnTo(0, 32)).add(12*sec, still(32)),
			false, true, "did not turn back"},
		{"only the first action (a one-action recording) times out", blinkLeft,
			new(timeline).add(300*time.Millisecond, still(0)).blink().add(12*sec, still(0)),
			false, true, "step 2 of 2"},
		{"one step: a blink alone passes as before", []Step{{Action: kiosk.ChallengeBlink}},
			new(timeline).add(300*time.Millisecond, still(0)).blink(),
			true, false, "blinked"},
		{"one step: a turn when asked to blink is ignored, as before", []Step{{Action: kiosk.ChallengeBlink}},
			new(timeline).add(300*time.Millisecond, still(0)).turn(32).blink(),
			true, false, "blinked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, prompts := runSequence(tt.steps, tt.tl)
			pass, fail, d := s.state()
			if pass != tt.pass || fail != tt.fail || !strings.Contains(d, tt.contains) {
				t.Errorf("pass=%v fail=%v %q, want pass=%v fail=%v containing %q (prompts %v)", pass, fail, d, tt.pass, tt.fail, tt.contains, prompts)
			}
			if tt.pass && len(prompts) != len(tt.steps) {
				t.Errorf("prompts %v, want one per step", prompts)
			}
		})
	}
}

// The prompt of a later step is shown only after its delay and a frontal pose.
func TestSequencePromptTiming(t *testing.T) {
	steps := []Step{{Action: kiosk.ChallengeBlink}, {Action: kiosk.ChallengeTurnLeft, Delay: 1500 * time.Millisecond}}
	s := newSequenceTracker(steps, DefaultOptions(), 0)
	tl := new(timeline).add(300*time.Millisecond, still(0)).blink()
	var done time.Duration
	for _, x := range tl.obs {
		s.observe(x.t, x.o)
		if s.current() == "" {
			done = x.t // the blink passed here
			break
		}
	}
	if done == 0 || s.current() != "" || s.remaining(done) != 0 {
		t.Fatalf("after the blink: prompt %q", s.current())
	}
	// Turned away after the blink: the pause has not begun.
	s.observe(done+1000*time.Millisecond, still(30)(0))
	s.observe(done+1700*time.Millisecond, still(0)(0)) // back: the 1.5 s start here
	s.observe(done+3100*time.Millisecond, still(0)(0))
	if s.current() != "" {
		t.Error("prompted before the delay")
	}
	s.observe(done+3300*time.Millisecond, still(0)(0))
	if s.current() != kiosk.ChallengeTurnLeft || s.remaining(done+3300*time.Millisecond) != DefaultOptions().ChallengeTimeout {
		t.Errorf("prompt %q remaining %v after the delay", s.current(), s.remaining(done+3300*time.Millisecond))
	}
}
