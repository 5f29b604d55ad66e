package facematch

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
)

// ParseChallenge accepts the command-line names of the challenges.
func ParseChallenge(s string) (kiosk.Challenge, error) {
	c := kiosk.Challenge(s)
	if c == kiosk.ChallengeAny || slices.Contains(kiosk.Challenges, c) {
		return c, nil
	}
	return "", fmt.Errorf("unknown challenge %q (blink, turn-left, turn-right or any)", s)
}

// challengeTracker watches the observations of one challenge and says when the asked
// action has been seen. It only ever looks at observations, never pixels, so its rules
// are tested without models. Time is stream time (frame PTS).
type challengeTracker interface {
	observe(t time.Duration, o *Observation)
	state() (passed, failed bool, detail string)
}

func newTracker(c kiosk.Challenge, opts Options) challengeTracker {
	switch c {
	case kiosk.ChallengeBlink:
		return &blinkTracker{ratio: opts.BlinkClosedRatio}
	case kiosk.ChallengeTurnLeft:
		return &turnTracker{dir: +1, yaw: opts.TurnYaw}
	case kiosk.ChallengeTurnRight:
		return &turnTracker{dir: -1, yaw: opts.TurnYaw}
	default:
		return &anyTracker{ts: []challengeTracker{
			&blinkTracker{ratio: opts.BlinkClosedRatio},
			&turnTracker{dir: +1, yaw: opts.TurnYaw, either: true},
			&turnTracker{dir: -1, yaw: opts.TurnYaw, either: true},
		}}
	}
}

// turnTracker passes when the fr_pose yaw reaches TurnYaw in the asked direction
// (absolute) and has moved at least 60% of that away from the baseline taken at the
// start of the challenge, on two model frames. Turning the other way past TurnYaw
// fails the challenge, so a recording of a random turn is not a coin toss. Frames
// whose yaw is only estimated from landmarks are ignored.
type turnTracker struct {
	dir    float64 // +1: resident's own left (nose to the image's right), -1: right
	yaw    float64
	either bool // for "any": the other direction is not a failure

	base      []float64
	hits      int
	peak      float64
	failed    bool
	wrongPeak float64
}

const (
	turnBaseFrames = 2   // model frames averaged (median) for the baseline
	turnHitFrames  = 2   // model frames that must reach the target
	turnRelative   = 0.6 // fraction of TurnYaw the head must move from the baseline
)

func (t *turnTracker) observe(_ time.Duration, o *Observation) {
	if o == nil || !o.Pose.Model || t.failed {
		return
	}
	y := o.Pose.Yaw
	if len(t.base) < turnBaseFrames {
		t.base = append(t.base, y)
		return
	}
	b := median(t.base)
	d := t.dir * y
	t.peak = math.Max(t.peak, d)
	if d >= t.yaw && d-t.dir*b >= turnRelative*t.yaw {
		t.hits++
	}
	if !t.either && -d >= t.yaw && -d+t.dir*b >= turnRelative*t.yaw {
		t.wrongPeak = math.Max(t.wrongPeak, -d)
		t.failed = true
	}
}

func (t *turnTracker) state() (bool, bool, string) {
	name := "left"
	if t.dir < 0 {
		name = "right"
	}
	switch {
	case t.failed:
		return false, true, fmt.Sprintf("asked to turn %s, turned %.0f° the other way", name, t.wrongPeak)
	case t.hits >= turnHitFrames:
		return true, false, fmt.Sprintf("turned %s: %.0f° (need %.0f°, baseline %.0f°)", name, t.peak, t.yaw, t.dir*median(t.base))
	case len(t.base) < turnBaseFrames:
		return false, false, "no head pose measured yet"
	}
	return false, false, fmt.Sprintf("turn %s: best %.0f° of %.0f°", name, t.peak, t.yaw)
}

// blinkTracker passes on open → closed → open. Closed means fr_eye gives both eyes
// under 0.5 "open" AND the eye aspect ratio is under BlinkClosedRatio of the person's
// own open value: two independent signals, so neither a landmark wobble on a still
// photo nor a misjudged eye crop makes a blink. The closed spell must be short
// (≤ 1 s): holding the eyes shut, or swapping in a photo with closed eyes, is not a
// blink.
type blinkTracker struct {
	ratio float64

	open        []float64 // EAR of recent open frames
	openFrames  int
	closedFrom  time.Duration
	closedCount int
	minRatio    float64
	done        bool
	stage       int // 0 waiting for open eyes, 1 open seen, 2 closed, 3 reopened
}

const (
	blinkOpenFrames = 2
	blinkMaxClosed  = time.Second
	eyeOpenProb     = 0.5
)

func (b *blinkTracker) observe(t time.Duration, o *Observation) {
	if o == nil || o.EyesOpen < 0 || b.done {
		return
	}
	if b.minRatio == 0 {
		b.minRatio = math.Inf(1)
	}
	isOpen := o.EyesOpen >= eyeOpenProb
	var base float64
	if len(b.open) > 0 {
		base = median(b.open)
	}
	switch b.stage {
	case 0, 1:
		if isOpen {
			b.open = append(b.open, o.EAR)
			if len(b.open) > 15 {
				b.open = b.open[1:]
			}
			b.openFrames++
			if b.openFrames >= blinkOpenFrames {
				b.stage = 1
			}
			return
		}
		if b.stage == 1 && base > 0 {
			r := o.EAR / base
			b.minRatio = math.Min(b.minRatio, r)
			if r <= b.ratio {
				b.stage, b.closedFrom, b.closedCount = 2, t, 1
			}
		}
	case 2:
		r := o.EAR / base
		b.minRatio = math.Min(b.minRatio, r)
		if t-b.closedFrom > blinkMaxClosed {
			// Eyes shut too long: start over, wanting open eyes first.
			b.stage, b.openFrames, b.open = 0, 0, b.open[:0]
			return
		}
		if isOpen && r >= (1+b.ratio)/2 {
			b.stage, b.done = 3, true
			return
		}
		if !isOpen {
			b.closedCount++
		}
	}
}

func (b *blinkTracker) state() (bool, bool, string) {
	if b.done {
		return true, false, fmt.Sprintf("blinked: %d closed frames, eye ratio down to %.2f (need %.2f)", b.closedCount, b.minRatio, b.ratio)
	}
	if math.IsInf(b.minRatio, 1) || b.minRatio == 0 {
		return false, false, "no blink seen"
	}
	return false, false, fmt.Sprintf("no blink seen (eye ratio down to %.2f, need %.2f with the eye model agreeing)", b.minRatio, b.ratio)
}

// anyTracker passes when any of its trackers passes (recordings: `--challenge any`).
type anyTracker struct{ ts []challengeTracker }

func (a *anyTracker) observe(t time.Duration, o *Observation) {
	for _, x := range a.ts {
		x.observe(t, o)
	}
}

func (a *anyTracker) state() (bool, bool, string) {
	var details []string
	for _, x := range a.ts {
		p, _, d := x.state()
		if p {
			return true, false, d
		}
		details = append(details, d)
	}
	return false, false, fmt.Sprint(details)
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
