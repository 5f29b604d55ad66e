package facematch

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"slices"
	"time"

	"gocv.io/x/gocv"

	"github.com/macau-dsi/kiosk/kiosk"
)

// RunOptions configure one liveness attempt.
type RunOptions struct {
	// Challenge is the action asked for; ChallengeAny accepts any (recordings).
	Challenge kiosk.Challenge
	// Sequence, when set, is the whole plan (see PlanChallenge); its first action must
	// be Challenge. Unset: the single step Challenge.
	Sequence []Step
	// Progress receives the preview frame, guidance, challenge and time left. May be nil.
	Progress func(kiosk.FaceProgress)
	// Templates keeps the embeddings of the gate frame and of a frontal frame after the
	// challenge, for matching. Zero them with LivenessOutcome.Zero.
	Templates bool
	// Production makes recordings and virtual cameras fail the source check.
	Production bool
	// SysfsRoot describes video devices (default "/sys").
	SysfsRoot string
	// Injection tunes the injected-video checks (zero: their defaults).
	Injection InjectionConfig
	// DetectEvery runs the detector on every n-th frame and tracks the face in
	// between (0: the package's DetectEvery; 1: detect on every frame).
	DetectEvery int
}

// Timings of one attempt: stream time for the phases, wall time for the analysis.
type Timings struct {
	Gate        time.Duration `json:"gate_ns"`
	Challenge   time.Duration `json:"challenge_ns"`
	Total       time.Duration `json:"total_ns"`
	FrameMedian time.Duration `json:"frame_median_ns"` // analysis time per frame
	FrameP95    time.Duration `json:"frame_p95_ns"`
	Frames      int           `json:"frames"`
}

// LivenessOutcome is the result of RunLiveness.
type LivenessOutcome struct {
	Live      bool             `json:"live"`
	Reason    string           `json:"reason"`
	Challenge kiosk.Challenge  `json:"challenge"`
	Sequence  []Step           `json:"sequence"`
	Checks    []kiosk.Check    `json:"checks"`
	Passive   float64          `json:"passive"` // mean passive "live" score, -1 if never measured
	Injection InjectionVerdict `json:"injection"`
	Timings   Timings          `json:"timings"`

	gateTemplate, postTemplate *Template
}

// Zero wipes the templates the outcome holds.
func (o *LivenessOutcome) Zero() {
	o.gateTemplate.Zero()
	o.postTemplate.Zero()
	o.gateTemplate, o.postTemplate = nil, nil
}

// Templates returns the kept templates (gate frame first); nil entries are left out.
func (o *LivenessOutcome) Templates() []*Template {
	var ts []*Template
	for _, t := range []*Template{o.gateTemplate, o.postTemplate} {
		if t != nil {
			ts = append(ts, t)
		}
	}
	return ts
}

// Continuity rules during the challenge: the face may vanish for this long (a blink
// or a turn can cost the detector a frame or two) and may move this far between
// frames, in face widths. Past either, another face could have been swapped in.
const (
	maxFaceGap     = 500 * time.Millisecond
	maxFaceJump    = 0.5
	postWindow     = 3 * time.Second
	passiveEvery   = 5
	minPassiveRuns = 1
)

type phase int

const (
	phaseGate phase = iota
	phaseChallenge
	phasePost
	phaseDone
)

// RunLiveness runs one attempt on a camera source: the quality gate (StableFrames
// good frames in a row, one of them with a model pose), then the challenge within
// ChallengeTimeout with face continuity, then (with Templates) a frontal frame to
// embed again. The injected-video monitor sees every frame. It returns an error only
// when the camera or a model fails; a person who does not pass gets Live false and a
// Reason.
func (e *Engine) RunLiveness(ctx context.Context, src Source, ro RunOptions) (*LivenessOutcome, error) {
	opts := e.opts
	if ro.Challenge == "" {
		return nil, errors.New("liveness: no challenge chosen")
	}
	if ro.SysfsRoot == "" {
		ro.SysfsRoot = "/sys"
	}
	if len(ro.Sequence) == 0 {
		ro.Sequence = []Step{{Action: ro.Challenge}}
	}
	if ro.Sequence[0].Action != ro.Challenge {
		return nil, errors.New("liveness: the sequence does not start with the challenge")
	}
	out := &LivenessOutcome{Challenge: ro.Challenge, Sequence: ro.Sequence, Passive: -1}
	mon := NewInjectionMonitor(ro.Injection)
	defer mon.Close()
	var screen screenMonitor
	var track *Track
	detectEvery := ro.DetectEvery
	if detectEvery <= 0 {
		detectEvery = DetectEvery
	}
	minFrames := ro.Injection.withDefaults().MinFrames

	var (
		ph                      = phaseGate
		started                 bool
		t0, tGate, chalDur, now time.Duration
		streak                  int
		streakModel             bool
		lastGuide               = kiosk.GuideNoFace
		lastPose                *Pose
		prev                    *Observation
		gateChecks              []kiosk.Check
		tracker                 *sequenceTracker
		lastSeen                time.Duration
		passives                []float64
		frameTimes              []time.Duration
		idx                     int
		fail                    string
	)
	finish := func(reason string) {
		if fail == "" {
			fail = reason
		}
		ph = phaseDone
	}
	for ph != phaseDone {
		if err := ctx.Err(); err != nil {
			out.Zero()
			return nil, err
		}
		f, err := src.Next(ctx)
		if err != nil {
			if errors.Is(err, ErrEndOfStream) {
				switch ph {
				case phaseGate:
					finish("the recording ended before the quality gate passed (" + string(lastGuide) + ")")
				case phaseChallenge:
					_, _, d := tracker.state()
					finish("the recording ended before the challenge was done: " + d)
				default:
					ph = phaseDone
				}
				break
			}
			out.Zero()
			return nil, fmt.Errorf("liveness: camera: %w", err)
		}
		if !started {
			t0, started = f.PTS, true
		}
		now = f.PTS - t0
		if _, err := mon.Observe(&f); err != nil {
			f.Close()
			out.Zero()
			return nil, fmt.Errorf("liveness: %w", err)
		}
		ao := AnalyzeOptions{}
		switch ph {
		case phaseGate:
			ao.Pose = idx%opts.PoseEvery == 0
		case phaseChallenge:
			ao.Pose, ao.Eyes = tracker.needs(idx)
			ao.Passive = idx%passiveEvery == 0
		case phasePost:
			ao.Pose = true
		}
		if track != nil && idx%detectEvery != 0 {
			ao.Track = track
		}
		idx++
		st := time.Now()
		a, err := e.Analyze(f.Mat, ao)
		frameTimes = append(frameTimes, time.Since(st))
		if err != nil {
			f.Close()
			out.Zero()
			return nil, fmt.Errorf("liveness: %w", err)
		}
		track = a.Track
		if a.Main != nil {
			screen.observe(idx, f.Mat, a.Main.Face.Raw)
		}
		if a.Main != nil {
			if a.Main.Pose.Model {
				p := a.Main.Pose
				lastPose = &p
			} else if lastPose != nil {
				// Between pose-model frames the last measured pose is a better
				// estimate than the landmark geometry, which exaggerates yaw.
				a.Main.Pose = Pose{Yaw: lastPose.Yaw, Pitch: lastPose.Pitch, Roll: lastPose.Roll}
			}
			if a.Main.Passive >= 0 {
				passives = append(passives, a.Main.Passive)
			}
		}
		guide, checks := opts.Assess(a, prev)
		remaining := time.Duration(0)

		switch ph {
		case phaseGate:
			lastGuide = guide
			if guide == kiosk.GuideOK {
				streak++
				streakModel = streakModel || ao.Pose
			} else {
				streak, streakModel = 0, false
			}
			if streak >= opts.StableFrames && streakModel {
				tGate, gateChecks = now, checks
				if ro.Templates {
					if out.gateTemplate, err = e.TemplateFromObservation(f.Mat, a.Main); err != nil {
						f.Close()
						out.Zero()
						return nil, fmt.Errorf("liveness: %w", err)
					}
				}
				tracker = newSequenceTracker(ro.Sequence, opts, now)
				lastSeen = now
				ph = phaseChallenge
				remaining = opts.ChallengeTimeout
			} else if now > opts.QualityTimeout {
				finish("the quality gate did not pass in time (" + string(guide) + ")")
			}
		case phaseChallenge:
			// The challenge asks for a turn or a blink: only guidance that stops it
			// (no face, a second person) is shown, not "face the camera".
			if guide != kiosk.GuideNoFace && guide != kiosk.GuideOnePerson {
				guide = kiosk.GuideOK
			}
			switch {
			case a.Main == nil:
				if now-lastSeen > maxFaceGap {
					finish("the face was lost during the challenge")
				}
			case a.Faces > 1:
				finish("another face appeared during the challenge")
			case prev != nil && faceJump(prev, a.Main) > maxFaceJump:
				finish("the face jumped during the challenge")
			default:
				lastSeen = now
				tracker.observe(now, a.Main)
			}
			tracker.tick(now)
			remaining = tracker.remaining(now)
			if ph == phaseChallenge {
				if passed, failed, d := tracker.state(); passed {
					ph = phasePost
					if !ro.Templates && idx >= minFrames {
						ph = phaseDone
					}
					chalDur = now - tGate
				} else if failed && tracker.timedOut {
					finish("the challenge timed out: " + d)
				} else if failed {
					finish("challenge failed: " + d)
				}
			}
		case phasePost:
			if ro.Templates && out.postTemplate == nil && guide == kiosk.GuideOK && a.Main != nil && a.Main.Pose.Model {
				if out.postTemplate, err = e.TemplateFromObservation(f.Mat, a.Main); err != nil {
					f.Close()
					out.Zero()
					return nil, fmt.Errorf("liveness: %w", err)
				}
			}
			// A quick action on a slow machine (frames dropped while analysing) can be
			// over before the injected-video checks have seen enough frames to judge;
			// keep watching for them, within the post window.
			if ((!ro.Templates || out.postTemplate != nil) && idx >= minFrames) || now-tGate-chalDur > postWindow {
				ph = phaseDone
			}
		}
		if ro.Progress != nil {
			shown := ro.Challenge
			if tracker != nil && tracker.multi() {
				// Between two steps (and after the last) no action is asked: the
				// resident faces the camera.
				if shown = tracker.current(); shown == "" && ph == phaseChallenge && guide == kiosk.GuideOK && !tracker.frontal {
					guide = kiosk.GuideFaceCamera
				}
			}
			ro.Progress(progressFor(&f, guide, ph, shown, remaining))
		}
		if a.Main != nil {
			prev = a.Main
		} else if ph != phaseChallenge {
			prev = nil
		}
		f.Close()
	}

	// Checks and decision.
	out.Timings = frameTimings(frameTimes)
	out.Timings.Total = now
	out.Timings.Gate = tGate
	gateOK := tracker != nil
	out.Checks = append(out.Checks, kiosk.Check{Name: "quality_gate", OK: gateOK, Detail: gateDetail(gateOK, gateChecks, lastGuide)})
	chalOK := false
	if tracker != nil {
		var d string
		chalOK, _, d = tracker.state()
		if chalOK {
			out.Timings.Challenge = chalDur
		}
		if len(ro.Sequence) > 1 {
			d = PlanString(ro.Sequence) + ": " + d
		}
		out.Checks = append(out.Checks, kiosk.Check{Name: checkName(ro.Sequence), OK: chalOK, Detail: d})
	} else {
		out.Checks = append(out.Checks, kiosk.Check{Name: checkName(ro.Sequence), OK: false, Detail: "not started"})
	}
	if ro.Templates && chalOK {
		out.Checks = append(out.Checks, kiosk.Check{Name: "frontal_after_challenge", OK: out.postTemplate != nil})
	}
	passiveOK := true
	if len(passives) >= minPassiveRuns {
		var s float64
		for _, p := range passives {
			s += p
		}
		out.Passive = s / float64(len(passives))
		passiveOK = opts.PassiveMin == 0 || out.Passive >= opts.PassiveMin
		detail := fmt.Sprintf("mean live score %.2f over %d frames", out.Passive, len(passives))
		if opts.PassiveMin == 0 {
			detail += " (recorded only)"
		} else {
			detail += fmt.Sprintf(" (need %.2f)", opts.PassiveMin)
		}
		out.Checks = append(out.Checks, kiosk.Check{Name: "passive", OK: passiveOK, Detail: detail})
	} else if opts.PassiveMin > 0 && chalOK {
		passiveOK = false
		out.Checks = append(out.Checks, kiosk.Check{Name: "passive", OK: false, Detail: "not measured"})
	}
	out.Injection = mon.Verdict()
	injOK := true
	if opts.InjectionChecks {
		out.Checks = append(out.Checks, out.Injection.Checks()...)
		injOK = !out.Injection.Suspicious
	}
	screenCheck := screen.check()
	out.Checks = append(out.Checks, screenCheck)
	srcCheck := SourceCheck(src.Info(), ro.Production, ro.SysfsRoot)
	out.Checks = append(out.Checks, srcCheck)

	out.Live = gateOK && chalOK && passiveOK && injOK && screenCheck.OK && srcCheck.OK && fail == ""
	switch {
	case out.Live:
		out.Reason = "live: challenge " + string(ro.Challenge) + " passed"
		if len(ro.Sequence) > 1 {
			out.Reason = "live: challenge sequence " + PlanString(ro.Sequence) + " passed"
		}
	case fail != "":
		out.Reason = fail
	case !chalOK:
		out.Reason = "challenge not passed"
	case !screenCheck.OK:
		out.Reason = "a screen held up to the camera suspected: " + screenCheck.Detail
	case !injOK:
		out.Reason = "injected video suspected: " + fmt.Sprint(out.Injection.Reasons)
	case !srcCheck.OK:
		out.Reason = "camera not trusted: " + srcCheck.Detail
	case !passiveOK:
		out.Reason = "passive liveness too low"
	}
	if !out.Live {
		out.Zero()
	}
	return out, nil
}

func faceJump(a, b *Observation) float64 {
	ax, ay := a.Face.Raw.Centre()
	bx, by := b.Face.Raw.Centre()
	return math.Hypot(ax-bx, ay-by) / math.Max(1, a.Face.Raw.W())
}

func gateDetail(ok bool, checks []kiosk.Check, last kiosk.Guidance) string {
	if !ok {
		return "last guidance: " + string(last)
	}
	var ds []string
	for _, c := range checks {
		if c.Detail != "" {
			ds = append(ds, c.Name+" "+c.Detail)
		}
	}
	return fmt.Sprint(ds)
}

func frameTimings(ts []time.Duration) Timings {
	t := Timings{Frames: len(ts)}
	if len(ts) == 0 {
		return t
	}
	s := slices.Clone(ts)
	slices.Sort(s)
	t.FrameMedian = s[len(s)/2]
	t.FrameP95 = s[min(len(s)-1, int(math.Ceil(0.95*float64(len(s))))-1)]
	return t
}

// progressFor builds the UI's progress message. The preview is a copy, so the frame
// can be closed; it is never stored by this package.
func progressFor(f *Frame, g kiosk.Guidance, ph phase, c kiosk.Challenge, remaining time.Duration) kiosk.FaceProgress {
	p := kiosk.FaceProgress{Guidance: g, Remaining: remaining}
	if ph != phaseGate {
		p.Challenge = c
	}
	img, err := previewImage(f.Mat)
	if err == nil {
		p.Frame = kiosk.Frame{Image: img, Seq: f.Seq, At: f.At}
	}
	return p
}

func previewImage(m gocv.Mat) (image.Image, error) { return m.ToImage() }
