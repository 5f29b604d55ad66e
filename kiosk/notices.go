package kiosk

import "strings"

// What the take-card screen says when a session ended before its natural end (the
// resident pressed End, or the time ran out): plainly whether anything was submitted,
// so that nobody walks away believing an application went in when it did not.
const (
	MsgEndedNothingSubmitted    MsgKey = "msg.ended_nothing_submitted"
	MsgEndedSubmitted           MsgKey = "msg.ended_submitted"
	MsgTimedOutNothingSubmitted MsgKey = "msg.timed_out_nothing_submitted"
	MsgTimedOutSubmitted        MsgKey = "msg.timed_out_submitted"
)

// EndNotice is the take-card message after a session ended on kind (EvCancel or
// EvTimeout) with submitted applications already in; "" for other ends (Finish, a
// card problem: their screens said it already).
func EndNotice(kind EventKind, submitted int) MsgKey {
	switch {
	case kind == EvTimeout && submitted > 0:
		return MsgTimedOutSubmitted
	case kind == EvTimeout:
		return MsgTimedOutNothingSubmitted
	case kind == EvCancel && submitted > 0:
		return MsgEndedSubmitted
	case kind == EvCancel:
		return MsgEndedNothingSubmitted
	}
	return ""
}

// Why a face attempt failed, in words a resident can act on. The verifier's reasons
// are free text for the audit log; the screen shows one of these few keys.
const (
	FaceFailNoBlink     MsgKey = "face_fail.no_blink"
	FaceFailNoTurn      MsgKey = "face_fail.no_turn"
	FaceFailNoMatch     MsgKey = "face_fail.no_match"
	FaceFailNotLive     MsgKey = "face_fail.not_live"
	FaceFailFaceChanged MsgKey = "face_fail.face_changed"
	FaceFailNotSeen     MsgKey = "face_fail.not_seen"
)

// FaceFailures lists the keys FaceFailure returns.
var FaceFailures = []MsgKey{FaceFailNoBlink, FaceFailNoTurn, FaceFailNoMatch, FaceFailNotLive, FaceFailFaceChanged, FaceFailNotSeen}

// FaceFailure maps a failed decision to the words on the result screen; "" when the
// decision is a match. The checks decide first (they are structured), the reason text
// only tells the challenge and the face swap apart.
func FaceFailure(d FaceDecision) MsgKey {
	if d.Live && d.Match {
		return ""
	}
	if d.Live {
		return FaceFailNoMatch
	}
	reason := strings.ToLower(d.Reason)
	switch {
	case strings.Contains(reason, "not the face"):
		return FaceFailFaceChanged
	case strings.Contains(reason, "screen"), strings.Contains(reason, "injected"),
		strings.Contains(reason, "not trusted"), strings.Contains(reason, "passive"):
		return FaceFailNotLive
	case strings.Contains(reason, "challenge"):
		if d.Challenge == ChallengeBlink {
			return FaceFailNoBlink
		}
		if d.Challenge == ChallengeTurnLeft || d.Challenge == ChallengeTurnRight {
			return FaceFailNoTurn
		}
	}
	for _, c := range d.Checks {
		switch {
		case c.OK:
		case c.Name == "same_person_after_challenge":
			return FaceFailFaceChanged
		case c.Name == "screen_replay", c.Name == "passive", c.Name == "camera", strings.HasPrefix(c.Name, "injection"):
			return FaceFailNotLive
		}
	}
	return FaceFailNotSeen
}
