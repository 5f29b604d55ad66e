package kiosk_test

import (
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
)

// TestEndNoticeSaysWhatWasSubmitted: a session ended by End or by the timer says on
// the take-card screen whether an application went in, and the next session does not
// inherit the words.
func TestEndNoticeSaysWhatWasSubmitted(t *testing.T) {
	cases := []struct {
		name    string
		at      kiosk.State
		another bool // "another service" after the first application, then end
		end     kiosk.EventKind
		want    kiosk.MsgKey
	}{
		{"cancel at the menu", kiosk.StateServiceMenu, false, kiosk.EvCancel, kiosk.MsgEndedNothingSubmitted},
		{"cancel at the summary", kiosk.StateSummary, false, kiosk.EvCancel, kiosk.MsgEndedNothingSubmitted},
		{"timeout at the summary", kiosk.StateSummary, false, kiosk.EvTimeout, kiosk.MsgTimedOutNothingSubmitted},
		{"timeout at the PIN", kiosk.StatePIN, false, kiosk.EvTimeout, kiosk.MsgTimedOutNothingSubmitted},
		{"timeout on the receipt", kiosk.StateDone, false, kiosk.EvTimeout, kiosk.MsgTimedOutSubmitted},
		{"cancel on the menu after an application", kiosk.StateDone, true, kiosk.EvCancel, kiosk.MsgEndedSubmitted},
		{"timeout on the menu after an application", kiosk.StateDone, true, kiosk.EvTimeout, kiosk.MsgTimedOutSubmitted},
		{"finish", kiosk.StateDone, false, kiosk.EvContinue, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := kiosktest.NewHarness(t).Start()
			driveTo(t, h, c.at)
			if c.another {
				h.Press(kiosk.EvAnotherService)
				h.WaitIdle(kiosk.StateServiceMenu)
			}
			if c.end == kiosk.EvTimeout {
				h.Tick(60 * time.Second)
				h.Tick(20 * time.Second)
			} else {
				h.Press(c.end)
			}
			s := h.WaitState(kiosk.StateTakeCard)
			if s.Message != c.want {
				t.Errorf("take card says %q, want %q", s.Message, c.want)
			}
			// Still said while the card stays in (the screen re-arms its own timer).
			h.Tick(60 * time.Second)
			if s = h.Tick(20 * time.Second); s.State == kiosk.StateTakeCard && s.Message != c.want {
				t.Errorf("after waiting for the card: %q, want %q", s.Message, c.want)
			}
			h.Card.Remove()
			s = h.WaitState(kiosk.StateAttract)
			h.Press(kiosk.EvStart)
			h.WaitState(kiosk.StateInsertCard)
			h.Card.Insert()
			h.WaitState(kiosk.StateFaceResult)
			h.Press(kiosk.EvCancel)
			if s = h.WaitState(kiosk.StateTakeCard); s.Message != kiosk.MsgEndedNothingSubmitted {
				t.Errorf("next session's end says %q", s.Message)
			}
		})
	}
}

// TestFaceFailure maps the verifier's reasons to the few keys the screen can say.
func TestFaceFailure(t *testing.T) {
	cases := []struct {
		d    kiosk.FaceDecision
		want kiosk.MsgKey
	}{
		{kiosk.FaceDecision{Live: true, Match: true}, ""},
		{kiosk.FaceDecision{Live: true, Match: false, Reason: "live, but the face does not match the card photo"}, kiosk.FaceFailNoMatch},
		{kiosk.FaceDecision{Challenge: kiosk.ChallengeBlink, Reason: "challenge not passed"}, kiosk.FaceFailNoBlink},
		{kiosk.FaceDecision{Challenge: kiosk.ChallengeTurnLeft, Reason: "challenge not passed"}, kiosk.FaceFailNoTurn},
		{kiosk.FaceDecision{Challenge: kiosk.ChallengeTurnRight, Reason: "challenge not passed"}, kiosk.FaceFailNoTurn},
		{kiosk.FaceDecision{Reason: "a screen held up to the camera suspected: moire"}, kiosk.FaceFailNotLive},
		{kiosk.FaceDecision{Reason: "injected video suspected: [timing]"}, kiosk.FaceFailNotLive},
		{kiosk.FaceDecision{Reason: "passive liveness too low"}, kiosk.FaceFailNotLive},
		{kiosk.FaceDecision{Reason: "the face after the challenge is not the face that was matched"}, kiosk.FaceFailFaceChanged},
		{kiosk.FaceDecision{Reason: "no face found in time", Checks: []kiosk.Check{{Name: "same_person_after_challenge", OK: false}}}, kiosk.FaceFailFaceChanged},
		{kiosk.FaceDecision{Reason: "x", Checks: []kiosk.Check{{Name: "quality_gate", OK: false}, {Name: "screen_replay", OK: false}}}, kiosk.FaceFailNotLive},
		{kiosk.FaceDecision{Reason: "no face found in time", Checks: []kiosk.Check{{Name: "quality_gate", OK: false}}}, kiosk.FaceFailNotSeen},
	}
	for _, c := range cases {
		if got := kiosk.FaceFailure(c.d); got != c.want {
			t.Errorf("%q: %q, want %q", c.d.Reason, got, c.want)
		}
	}
}

// TestFaceResultSaysWhy: the result screen's snapshot carries the failure's words.
func TestFaceResultSaysWhy(t *testing.T) {
	h := kiosktest.NewHarness(t)
	h.Face.Script(nil, kiosktest.NoMatch, kiosktest.Match)
	h.Start()
	h.Card.Insert()
	s := h.WaitState(kiosk.StateFaceResult)
	if s.Face.Failure != kiosk.FaceFailNoMatch {
		t.Errorf("failure %q", s.Face.Failure)
	}
	h.Press(kiosk.EvContinue)
	s = h.Wait("second result", func(s kiosk.Snapshot) bool { return s.State == kiosk.StateFaceResult && s.Face.Attempt == 2 })
	if s.Face.Failure != "" {
		t.Errorf("a match has failure %q", s.Face.Failure)
	}
}

// endAndStartAgain ends the session with End, takes the card and starts the next one.
func endAndStartAgain(h *kiosktest.Harness) {
	h.Press(kiosk.EvCancel)
	h.WaitState(kiosk.StateTakeCard)
	h.Card.Remove()
	h.WaitState(kiosk.StateAttract)
	h.Press(kiosk.EvStart)
	h.WaitState(kiosk.StateInsertCard)
}

// TestSnapshotCountsSubmitted: the snapshot says how many applications the session
// already submitted, so that End's confirmation can say they are kept; none before
// the first, one on the menu after "another service", and none in the next session.
func TestSnapshotCountsSubmitted(t *testing.T) {
	h := kiosktest.NewHarness(t).Start()
	if s := driveTo(t, h, kiosk.StateSummary); s.Submitted != 0 {
		t.Fatalf("before any application: Submitted = %d", s.Submitted)
	}
	endAndStartAgain(h)
	if s := driveTo(t, h, kiosk.StateDone); s.Submitted != 1 {
		t.Fatalf("on the receipt: Submitted = %d, want 1", s.Submitted)
	}
	h.Press(kiosk.EvAnotherService)
	if s := h.WaitIdle(kiosk.StateServiceMenu); s.Submitted != 1 {
		t.Errorf("on the menu after an application: Submitted = %d, want 1", s.Submitted)
	}
	endAndStartAgain(h)
	h.Card.Insert()
	if s := h.WaitState(kiosk.StateFaceResult); s.Submitted != 0 {
		t.Errorf("the next session starts with Submitted = %d", s.Submitted)
	}
}
