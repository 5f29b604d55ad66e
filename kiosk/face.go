package kiosk

import (
	"context"
	"fmt"
	"image"
	"io"
	"time"
)

// Frame is one camera picture handed to the UI for the live preview.
type Frame struct {
	Image image.Image
	Seq   uint64
	At    time.Time
}

// Guidance tells the resident how to present their face. The UI translates it.
type Guidance string

const (
	GuideOK         Guidance = "ok"
	GuideNoFace     Guidance = "no_face"
	GuideMoveCloser Guidance = "move_closer"
	GuideMoveBack   Guidance = "move_back"
	GuideCentre     Guidance = "centre_face"
	GuideFaceCamera Guidance = "face_camera"
	GuideTooDark    Guidance = "too_dark"
	GuideTooBright  Guidance = "too_bright"
	GuideOnePerson  Guidance = "one_person"
	GuideHoldStill  Guidance = "hold_still"

	// The portrait checks of a new document photo (facematch/portrait.go) add these.
	GuideStraightHead    Guidance = "head_straight"
	GuideOpenEyes        Guidance = "open_eyes"
	GuideGlassesGlare    Guidance = "glasses_glare"
	GuideCloseMouth      Guidance = "close_mouth"
	GuideEvenLight       Guidance = "even_light"
	GuidePlainBackground Guidance = "plain_background"
	GuideNaturalColour   Guidance = "natural_colour"
)

// Challenge is the active liveness action asked of the resident.
type Challenge string

const (
	ChallengeBlink     Challenge = "blink"
	ChallengeTurnLeft  Challenge = "turn-left"
	ChallengeTurnRight Challenge = "turn-right"
	ChallengeAny       Challenge = "any" // recordings: any action counts
)

// FaceProgress is posted while a face verification runs.
type FaceProgress struct {
	Frame     Frame
	Guidance  Guidance
	Challenge Challenge     // empty until the quality gate has passed
	Remaining time.Duration // time left for the challenge
}

// FaceDecision is the outcome of one verification attempt. It carries scores and
// checks only; no image or template.
type FaceDecision struct {
	Live      bool          `json:"live"`
	Match     bool          `json:"match"`
	Score     float64       `json:"score"`
	Threshold float64       `json:"threshold"`
	Challenge Challenge     `json:"challenge"`
	Reason    string        `json:"reason"`
	Checks    []Check       `json:"checks"`
	Elapsed   time.Duration `json:"elapsed_ns"`
}

// FaceVerifier is the port to the face pipeline. Implemented by facematch.
type FaceVerifier interface {
	// Verify runs the quality gate, the liveness challenge and the 1:1 match of
	// the live face against the card photo, posting progress for the UI.
	Verify(ctx context.Context, reference FacePhoto, challenge Challenge, progress func(FaceProgress)) (FaceDecision, error)
}

// Challenges a resident can be asked for at random (ChallengeAny is for recordings).
var Challenges = []Challenge{ChallengeBlink, ChallengeTurnLeft, ChallengeTurnRight}

// PickChallenge draws a challenge with crypto-quality randomness from r (crypto/rand in
// production), so a recording made for one attempt fits the next one only by chance.
// It is the one picker: the session and the face adapter's commands both use it.
func PickChallenge(r io.Reader) (Challenge, error) {
	var b [1]byte
	limit := 256 / len(Challenges) * len(Challenges) // reject the biased tail
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return "", fmt.Errorf("choosing a challenge: %w", err)
		}
		if int(b[0]) < limit {
			return Challenges[int(b[0])%len(Challenges)], nil
		}
	}
}
