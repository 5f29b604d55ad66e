package facematch

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
)

// Step is one action of a challenge sequence. Its prompt is shown once the face is
// frontal again after the previous step, and has stayed so for Delay; the first
// step's prompt is shown when the quality gate passes. Turning during that pause
// (nothing was asked) fails the sequence: a recording acts on its own timeline, a
// person waits for the prompt. The action must be done within
// Options.ChallengeTimeout of its own prompt.
type Step struct {
	Action kiosk.Challenge `json:"action"`
	Delay  time.Duration   `json:"delay_ns"`
}

// Sequence bounds. A replayed recording answers one prompt at most by chance; with
// two or three actions in a random order, at random moments, and never the same action
// twice in a row, a recording that does not answer the prompts fails (a looped
// recording of one action can never pass the second step).
const (
	seqMinExtra  = 1                      // extra steps after the session's challenge
	seqMaxExtra  = 2                      //
	seqMinDelay  = 600 * time.Millisecond // pause before the next prompt
	seqDelayStep = 100 * time.Millisecond // 16 steps: 0.6 s to 2.1 s
)

// PlanChallenge turns the session's challenge into what the verifier runs: for
// ChallengeAny (the demo's recording) the single "any action" step; otherwise the
// session's challenge first, then one or two more actions (each different from the one
// before) with random pauses, all drawn from r (crypto/rand in production).
func PlanChallenge(first kiosk.Challenge, r io.Reader) ([]Step, error) {
	if first == kiosk.ChallengeAny {
		return []Step{{Action: first}}, nil
	}
	if _, err := ParseChallenge(string(first)); err != nil || first == "" {
		return nil, fmt.Errorf("challenge plan: %w", err)
	}
	var b [1]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return nil, fmt.Errorf("challenge plan: %w", err)
	}
	n := 1 + seqMinExtra + int(b[0])%(seqMaxExtra-seqMinExtra+1) // 256 is even: unbiased
	steps := []Step{{Action: first}}
	for len(steps) < n {
		// One of the two actions other than the previous one (256 is even: unbiased;
		// no redraw loop, so a stuck randomness source cannot hang the attempt).
		var others []kiosk.Challenge
		for _, c := range kiosk.Challenges {
			if c != steps[len(steps)-1].Action {
				others = append(others, c)
			}
		}
		var rb [2]byte
		if _, err := io.ReadFull(r, rb[:]); err != nil {
			return nil, fmt.Errorf("challenge plan: %w", err)
		}
		steps = append(steps, Step{Action: others[int(rb[0])%len(others)], Delay: seqMinDelay + time.Duration(rb[1]%16)*seqDelayStep})
	}
	return steps, nil
}

// PlanString describes a plan for logs and reports ("blink, +1.2s turn-left").
func PlanString(steps []Step) string {
	parts := make([]string, len(steps))
	for i, s := range steps {
		parts[i] = string(s.Action)
		if i > 0 {
			parts[i] = fmt.Sprintf("+%.1fs %s", s.Delay.Seconds(), s.Action)
		}
	}
	return strings.Join(parts, ", ")
}

// sequenceTracker runs the steps of a plan over observations. Like challengeTracker it
// never sees pixels, so its timing rules are tested without models. Time is stream
// time. A single-step plan behaves exactly as the step's own tracker did before
// sequences existed (the recordings' verdicts must not change).
type sequenceTracker struct {
	steps []Step
	opts  Options

	i        int
	prompted bool
	at       time.Duration // when the current prompt was shown, or the pause began
	frontal  bool          // the latest model pose in the pause was frontal
	settled  bool          // the face has been frontal since the pause began
	calmFrom time.Duration // when the face became frontal in this pause
	pauseYaw challengeTracker
	cur      challengeTracker
	guard    challengeTracker // multi-step blink: turning instead is the wrong action
	done     []string
	failed   string
	timedOut bool
}

func newSequenceTracker(steps []Step, opts Options, now time.Duration) *sequenceTracker {
	s := &sequenceTracker{steps: steps, opts: opts}
	s.promptStep(now)
	return s
}

func (s *sequenceTracker) multi() bool { return len(s.steps) > 1 }

func (s *sequenceTracker) promptStep(now time.Duration) {
	a := s.steps[s.i].Action
	s.prompted, s.at = true, now
	s.cur = newTracker(a, s.opts)
	s.guard = nil
	if s.multi() && a == kiosk.ChallengeBlink {
		// Turn trackers in "either" mode pass on a turn either way: here that is the
		// wrong action, so a looped recording of turns cannot wait for its blink.
		s.guard = &anyTracker{ts: []challengeTracker{
			&turnTracker{dir: +1, yaw: s.opts.TurnYaw, either: true},
			&turnTracker{dir: -1, yaw: s.opts.TurnYaw, either: true},
		}}
	}
}

// current is the action being prompted, "" during a pause or when finished.
func (s *sequenceTracker) current() kiosk.Challenge {
	if !s.prompted || s.finished() {
		return ""
	}
	return s.steps[s.i].Action
}

func (s *sequenceTracker) finished() bool { return s.failed != "" || s.i >= len(s.steps) }

// needs says which optional models the next frame should run.
func (s *sequenceTracker) needs(idx int) (pose, eyes bool) {
	switch a := s.current(); {
	case a == "":
		// Pausing: the next prompt waits for a frontal model pose.
		return idx%s.opts.PoseEvery == 0, false
	case a == kiosk.ChallengeAny:
		return true, true
	case a == kiosk.ChallengeBlink:
		return s.guard != nil && idx%s.opts.PoseEvery == 0, true
	default:
		return true, false
	}
}

// observe takes a frame with a face.
func (s *sequenceTracker) observe(now time.Duration, o *Observation) {
	if s.finished() {
		return
	}
	if !s.prompted {
		if o.Pose.Model {
			s.frontal = math.Abs(o.Pose.Yaw) <= s.opts.MaxYaw
			if s.frontal && !s.settled {
				// Back to the camera: the pause starts now, and from now on a turn
				// is an action nobody asked for.
				s.settled, s.calmFrom = true, now
				s.pauseYaw = &anyTracker{ts: []challengeTracker{
					&turnTracker{dir: +1, yaw: s.opts.TurnYaw, either: true},
					&turnTracker{dir: -1, yaw: s.opts.TurnYaw, either: true},
				}}
			}
		}
		if s.settled {
			s.pauseYaw.observe(now, o)
			if p, _, d := s.pauseYaw.state(); p {
				s.failed = fmt.Sprintf("step %d of %d (%s): %s before it was asked", s.i+1, len(s.steps), s.steps[s.i].Action, d)
				return
			}
		}
		if s.settled && s.frontal && now-s.calmFrom >= s.steps[s.i].Delay {
			s.promptStep(now)
		}
		return
	}
	s.cur.observe(now, o)
	if s.guard != nil {
		s.guard.observe(now, o)
		if p, _, d := s.guard.state(); p {
			s.failed = fmt.Sprintf("step %d of %d: asked to blink, %s", s.i+1, len(s.steps), d)
			return
		}
	}
	passed, failed, d := s.cur.state()
	switch {
	case failed:
		s.failed = s.stepLabel() + d
	case passed:
		s.done = append(s.done, fmt.Sprintf("%s%s in %.1fs", s.stepLabel(), d, (now-s.at).Seconds()))
		s.i++
		s.prompted, s.at, s.frontal, s.settled = false, now, false, false
	}
}

// tick applies the time limits; call it on every frame, with or without a face.
func (s *sequenceTracker) tick(now time.Duration) {
	if s.finished() {
		return
	}
	if s.prompted && now-s.at > s.opts.ChallengeTimeout {
		_, _, d := s.cur.state()
		s.failed, s.timedOut = s.stepLabel()+d, true
	}
	if !s.prompted && now-s.at > s.steps[s.i].Delay+s.opts.ChallengeTimeout {
		s.failed = fmt.Sprintf("step %d of %d: the face did not turn back to the camera", s.i+1, len(s.steps))
	}
}

// remaining is the time left for the current prompt.
func (s *sequenceTracker) remaining(now time.Duration) time.Duration {
	if !s.prompted {
		return 0
	}
	return max(0, s.opts.ChallengeTimeout-(now-s.at))
}

func (s *sequenceTracker) stepLabel() string {
	if !s.multi() {
		return ""
	}
	return fmt.Sprintf("step %d of %d (%s): ", s.i+1, len(s.steps), s.steps[min(s.i, len(s.steps)-1)].Action)
}

// state is the whole sequence's: passed when every step passed.
func (s *sequenceTracker) state() (passed, failed bool, detail string) {
	if s.failed != "" {
		return false, true, strings.Join(append(s.done, s.failed), "; ")
	}
	if s.i >= len(s.steps) {
		return true, false, strings.Join(s.done, "; ")
	}
	var d string
	if s.prompted {
		_, _, d = s.cur.state()
		d = s.stepLabel() + d
	} else {
		d = fmt.Sprintf("step %d of %d (%s) not prompted yet", s.i+1, len(s.steps), s.steps[s.i].Action)
	}
	return false, false, strings.Join(append(s.done, d), "; ")
}

// checkName names the liveness check of a plan: "challenge.blink" for one step (as
// before sequences), "challenge.sequence" for more.
func checkName(steps []Step) string {
	if len(steps) == 1 {
		return "challenge." + string(steps[0].Action)
	}
	return "challenge.sequence"
}
