package kiosk

import (
	"context"
	"image"
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
