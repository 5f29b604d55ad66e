package facematch

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
)

// VerifierOptions wire a Verifier. Source is required; the rest have defaults.
type VerifierOptions struct {
	// Source is the kiosk camera. The Verifier reads from it during Verify only and
	// never closes it.
	Source Source
	// Rand picks the challenge when Verify is not given one, through kiosk.PickChallenge
	// (default crypto/rand: a predictable challenge is one a recording can be made for).
	Rand io.Reader
	// Clock times the decision (default the system clock).
	Clock kiosk.Clock
	// Production refuses recordings and virtual cameras (the source check fails).
	Production bool
	// SysfsRoot describes video devices (default "/sys").
	SysfsRoot string
	// Injection tunes the injected-video checks.
	Injection InjectionConfig
}

// Verifier is the kiosk's face verifier: quality gate, active challenge, then the 1:1
// match of the live face against the card photo.
type Verifier struct {
	eng *Engine
	vo  VerifierOptions
}

var _ kiosk.FaceVerifier = (*Verifier)(nil)

// NewVerifier makes a Verifier over a loaded engine and an open camera.
func NewVerifier(eng *Engine, vo VerifierOptions) (*Verifier, error) {
	if eng == nil || vo.Source == nil {
		return nil, errors.New("facematch: a verifier needs an engine and a camera source")
	}
	if vo.Rand == nil {
		vo.Rand = rand.Reader
	}
	if vo.Clock == nil {
		vo.Clock = kiosk.SystemClock{}
	}
	return &Verifier{eng: eng, vo: vo}, nil
}

// Verify runs one attempt. An empty challenge is chosen at random. It returns an error
// (with a decision carrying the reason) when the card photo is unusable or the camera
// or a model fails; a person who is not live or does not match gets a decision and no
// error. Templates are zeroed before it returns; nothing is written to disk.
func (v *Verifier) Verify(ctx context.Context, reference kiosk.FacePhoto, challenge kiosk.Challenge, progress func(kiosk.FaceProgress)) (kiosk.FaceDecision, error) {
	start := v.vo.Clock.Now()
	if challenge == "" {
		c, err := kiosk.PickChallenge(v.vo.Rand)
		if err != nil {
			return kiosk.FaceDecision{Reason: err.Error()}, err
		}
		challenge = c
	}
	d := kiosk.FaceDecision{Challenge: challenge, Threshold: v.eng.opts.MatchThreshold}
	done := func() { d.Elapsed = v.vo.Clock.Now().Sub(start) }
	// The session's challenge is the first action; more follow at random moments, so
	// a recording (played on a screen) that does not answer the prompts fails.
	plan, err := PlanChallenge(challenge, v.vo.Rand)
	if err != nil {
		d.Reason = err.Error()
		done()
		return d, err
	}

	t0 := time.Now()
	ref, _, err := v.eng.TemplateFromImage(reference.Data)
	refTime := time.Since(t0)
	if err != nil {
		d.Reason = "card photo unusable: " + err.Error()
		d.Checks = append(d.Checks, kiosk.Check{Name: "card_photo", OK: false, Detail: err.Error()})
		done()
		return d, fmt.Errorf("card photo: %w", err)
	}
	defer ref.Zero()
	d.Checks = append(d.Checks, kiosk.Check{Name: "card_photo", OK: true, Detail: "face found"})

	o, err := v.eng.RunLiveness(ctx, v.vo.Source, RunOptions{
		Challenge:  challenge,
		Sequence:   plan,
		Progress:   progress,
		Templates:  true,
		Production: v.vo.Production,
		SysfsRoot:  v.vo.SysfsRoot,
		Injection:  v.vo.Injection,
	})
	if err != nil {
		d.Reason = "face check interrupted: " + err.Error()
		done()
		return d, err
	}
	defer o.Zero()
	d.Live = o.Live
	d.Checks = append(d.Checks, o.Checks...)
	var matchTime time.Duration
	if o.Live {
		t1 := time.Now()
		// The score is the gate frame's: it passed the quality gate, which is what
		// makes a fair comparison with a card photo. The frontal frame after the
		// challenge must be the same person as the gate frame (at the match
		// threshold), binding the person who did the challenge to the one matched.
		ts := o.Templates()
		score := ref.Cosine(ts[0])
		parts := []string{fmt.Sprintf("card vs gate frame %.3f", score)}
		bound := true
		if len(ts) > 1 {
			same := ts[0].Cosine(ts[1])
			bound = same >= d.Threshold
			parts = append(parts, fmt.Sprintf("card vs after challenge %.3f", ref.Cosine(ts[1])))
			d.Checks = append(d.Checks, kiosk.Check{Name: "same_person_after_challenge", OK: bound, Detail: fmt.Sprintf("gate vs after challenge %.3f", same)})
		} else {
			d.Checks = append(d.Checks, kiosk.Check{Name: "same_person_after_challenge", OK: true, Detail: "no frontal frame after the challenge; face continuity only"})
		}
		matchTime = time.Since(t1)
		d.Score = score
		d.Match = score >= d.Threshold && bound
		d.Checks = append(d.Checks, kiosk.Check{Name: "match", OK: d.Match, Detail: strings.Join(parts, ", ") + fmt.Sprintf(" (threshold %.2f)", d.Threshold)})
		switch {
		case d.Match:
			d.Reason = "live and matching the card photo"
		case !bound:
			d.Reason = "the face after the challenge is not the face that was matched"
		default:
			d.Reason = "live, but the face does not match the card photo"
		}
	} else {
		d.Reason = o.Reason
	}
	tm := o.Timings
	d.Checks = append(d.Checks, kiosk.Check{Name: "timings", OK: true, Detail: fmt.Sprintf(
		"card photo %s, gate %s, challenge %s, match %s, %d frames, analysis median %s p95 %s",
		refTime.Round(time.Millisecond), tm.Gate.Round(time.Millisecond), tm.Challenge.Round(time.Millisecond),
		matchTime.Round(time.Microsecond), tm.Frames, tm.FrameMedian.Round(time.Millisecond), tm.FrameP95.Round(time.Millisecond))})
	done()
	return d, nil
}
