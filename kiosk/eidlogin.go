package kiosk

// Starting with the eID instead of the card (issue 11 §4). On the insert-card screen
// the resident may hold the One Account app's dynamic eID code (a QR) to the camera:
// the kiosk decodes it (QRScanner, facematch), the back office verifies it (signature,
// freshness, one device: EIDVerifier) and answers the resident's identification record
// and reference photo, and the session goes on with the SAME face step as with a card,
// matched against that photo instead of the chip's DG2.
//
// What is known without a card: the back office's record stands in for what the chip
// would say (names, sex, birth date, the current card's issue and expiry dates,
// residency, nationality) and for its photo, so the menu's rules (Eligibility) decide
// exactly as with a card. What is not there: the card number (the session's subject is
// the back office's), passive authentication (the back office's signature on the code
// takes its place), and the card PIN: a resident whose face does not match after every
// attempt is sent to the counter (or to insert the card) instead of to the PIN.
// There is no card to take out at the end: the session ends on the attract screen.

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"
)

// The eID start's screens.
const (
	StateEIDScan    State = "eid_scan"    // "hold your eID code up to the camera", live preview
	StateEIDCheck   State = "eid_check"   // the back office verifies the code (busy)
	StateEIDProblem State = "eid_problem" // refused: the reason, try again or use the card
)

// Events of the eID start.
const (
	EvEIDStart    EventKind = "eid_start"    // "show your eID" on the insert-card screen
	EvEIDFrame    EventKind = "eid_frame"    // Event.Face.Frame: the camera's picture for the preview
	EvEIDScanned  EventKind = "eid_scanned"  // Event.Value: the text of the QR code the camera saw
	EvEIDVerified EventKind = "eid_verified" // Event.Read: the back office's record (Access "eID"), Event.Value: the subject
	EvEIDFailed   EventKind = "eid_failed"   // Event.Reason (Event.Err): refused or could not be checked
)

// Reasons the eID start gives, on the eID problem screen and the counter screen.
const (
	ReasonEIDReplayed    MsgKey = "reason.eid_replayed"     // this code was already used
	ReasonEIDExpired     MsgKey = "reason.eid_expired"      // the code's time ran out
	ReasonEIDInvalid     MsgKey = "reason.eid_invalid"      // not an eID code, forged, or no bound eID
	ReasonEIDUnavailable MsgKey = "reason.eid_unavailable"  // the back office could not be asked
	ReasonEIDNoCode      MsgKey = "reason.eid_no_code"      // no code seen before the scan's time ran out
	ReasonEIDCamera      MsgKey = "reason.eid_camera"       // the camera failed
	ReasonEIDFaceCounter MsgKey = "reason.eid_face_counter" // face not matched: no PIN without a card
	ReasonEIDFaceBroken  MsgKey = "reason.eid_face_broken"  // the face check failed to run: no PIN without a card
	// FaceFailNoMatchEID: the face did not match the back office's photo (there is
	// no card photo in an eID session).
	FaceFailNoMatchEID MsgKey = "face_fail.no_match_eid"
)

// EIDReasons lists them (translation tests).
var EIDReasons = []MsgKey{ReasonEIDReplayed, ReasonEIDExpired, ReasonEIDInvalid, ReasonEIDUnavailable,
	ReasonEIDNoCode, ReasonEIDCamera, ReasonEIDFaceCounter, ReasonEIDFaceBroken, FaceFailNoMatchEID}

// eidFaceFailure: the words of a failed face attempt in an eID session, where the
// photo is the back office's, not the card's.
func eidFaceFailure(k MsgKey) MsgKey {
	if k == FaceFailNoMatch {
		return FaceFailNoMatchEID
	}
	return k
}

// Errors an EIDVerifier gives, by what the resident is told. Adapters wrap them; an
// error that wraps none (nor ErrBackOfficeUnavailable) is told as "cannot be checked".
var (
	ErrEIDReplayed = errors.New("eID code already used")
	ErrEIDExpired  = errors.New("eID code expired")
	ErrEIDInvalid  = errors.New("not a valid eID code")
)

// MaxEIDCode bounds the text of an eID code (the contract's qr_payload): anything
// longer is not one, and is refused without asking the back office.
const MaxEIDCode = 1024

// EIDIdentity is a verified eID: the subject the back office knows the resident by
// and the holder data a card would have given, with the reference photo.
type EIDIdentity struct {
	Subject string
	Holder  CardHolder // no DocumentNumber: the back office does not send it
}

// EIDVerifier is the port to the back office's eID check (POST /v1/eid-logins).
type EIDVerifier interface {
	// VerifyEID checks one code. Each code verifies once: a second call with the same
	// code is ErrEIDReplayed. The identity's photo belongs to the caller.
	VerifyEID(ctx context.Context, code string) (*EIDIdentity, error)
}

// QRScanner is the port to the camera's QR decoding (facematch). It shares the
// camera with the face verifier; the session never runs both at once.
type QRScanner interface {
	// ScanQR reads camera frames until one holds a QR code and returns its text, or
	// until ctx ends. preview gets frames for the screen (at a bounded rate).
	ScanQR(ctx context.Context, preview func(Frame)) (string, error)
}

// EIDView is the eID scan screen.
type EIDView struct {
	// Frame is the camera's latest picture (shared, read-only), nil before the first.
	Frame *Frame
}

// eidCodeUsable: a code worth sending to the back office (printable text, not too
// long). Anything else the camera decoded is refused here.
func eidCodeUsable(code string) bool {
	if code == "" || len(code) > MaxEIDCode || !utf8.ValidString(code) {
		return false
	}
	return strings.IndexFunc(code, func(r rune) bool { return r < 0x20 || r == 0x7f }) < 0
}

// eidReason is what the resident is told about a failed check.
func eidReason(err error) MsgKey {
	switch {
	case errors.Is(err, ErrEIDReplayed):
		return ReasonEIDReplayed
	case errors.Is(err, ErrEIDExpired):
		return ReasonEIDExpired
	case errors.Is(err, ErrEIDInvalid):
		return ReasonEIDInvalid
	}
	return ReasonEIDUnavailable
}

// Guards and actions of the eID start.
const (
	GuardEIDAvailable     Guard = "eid_available"      // this kiosk has a camera QR scanner and the back office's eID check
	GuardEIDSession       Guard = "eid_session"        // the session started with the eID (no card in the reader)
	GuardEIDFaceExhausted Guard = "eid_face_exhausted" // eID session, not matched, no face attempt left

	ActStartEIDScan  Action = "start_eid_scan"  // read the camera for a QR code in the background
	ActEIDFrame      Action = "eid_frame"       //
	ActEIDScanned    Action = "eid_scanned"     // keep the code for the check
	ActStartEIDCheck Action = "start_eid_check" // ask the back office in the background
	ActAcceptEID     Action = "accept_eid"      // keep the record and photo, the subject
	ActEIDRefused    Action = "eid_refused"     // Snapshot.Message = Event.Reason, audited
	ActEndAsMessage  Action = "end_as_message"  // the attract screen says what ActAuditEnd found
)

// eidStates: the screens an eID session can be on once verified. No card is in the
// reader: ending, timing out or finishing goes to the attract screen, not to "take
// your card" (which waits for a card that is not there).
var eidStates = []State{
	StateFace, StateFaceResult, StateServiceMenu, StateCheckData, StateServiceForm,
	StateSummary, StatePayment, StateDone, StateCounter,
}

// eidRules are the eID start's rows of the transition table. They come before the
// card's rows, so that in an eID session (GuardEIDSession) they win.
func eidRules() []Rule {
	out := []Rule{
		{From: StateInsertCard, On: EvEIDStart, If: GuardEIDAvailable, To: StateEIDScan},

		{From: StateEIDScan, On: EvEIDFrame, Do: []Action{ActEIDFrame}},
		{From: StateEIDScan, On: EvEIDScanned, To: StateEIDCheck, Do: []Action{ActEIDScanned}},
		{From: StateEIDScan, On: EvEIDFailed, To: StateEIDProblem, Do: []Action{ActEIDRefused}},
		{From: StateEIDCheck, On: EvEIDVerified, To: StateFace, Do: []Action{ActAcceptEID}},
		{From: StateEIDCheck, On: EvEIDFailed, To: StateEIDProblem, Do: []Action{ActEIDRefused}},
		{From: StateEIDProblem, On: EvContinue, To: StateEIDScan}, // "try again" with a fresh code
	}
	for _, s := range []State{StateEIDScan, StateEIDCheck, StateEIDProblem} {
		out = append(out,
			// The resident chose the card after all.
			Rule{From: s, On: EvCardInserted, To: StateReading},
			Rule{From: s, On: EvBack, To: StateInsertCard},
			Rule{From: s, On: EvCancel, To: StateAttract},
			Rule{From: s, On: EvTimeout, To: StateAttract},
		)
	}
	// Without a card there is no PIN to fall back on.
	out = append(out,
		Rule{From: StateFaceResult, On: EvContinue, If: GuardEIDFaceExhausted, To: StateCounter, Message: ReasonEIDFaceCounter},
		Rule{From: StateFace, On: EvFaceError, If: GuardEIDSession, To: StateCounter, Do: []Action{ActFaceError}, Message: ReasonEIDFaceBroken},
		Rule{From: StateDone, On: EvContinue, If: GuardEIDSession, To: StateAttract, Message: MsgSessionEnded},
		Rule{From: StateCounter, On: EvContinue, If: GuardEIDSession, To: StateAttract, Message: MsgSessionEnded},
	)
	for _, s := range eidStates {
		for _, k := range []EventKind{EvCancel, EvTimeout} {
			out = append(out, Rule{From: s, On: k, If: GuardEIDSession, To: StateAttract, Do: []Action{ActAuditEnd, ActEndAsMessage}})
		}
	}
	return out
}

// --- session ---------------------------------------------------------------

// eidGuard answers the eID start's guards; ok is false for any other guard.
func (m *Machine) eidGuard(g Guard) (answer, ok bool) {
	switch g {
	case GuardEIDAvailable:
		return m.deps.EID != nil && m.deps.QR != nil, true
	case GuardEIDSession:
		return m.eid, true
	case GuardEIDFaceExhausted:
		return m.eid && !m.face.Matched && m.faceAttempt >= m.cfg.FaceAttempts, true
	}
	return false, false
}

// eidDo runs the eID start's actions; ok is false for any other action.
func (m *Machine) eidDo(a Action, ev Event) bool {
	now := m.deps.Clock.Now()
	switch a {
	case ActStartEIDScan:
		m.startEIDScan()
	case ActEIDFrame:
		if ev.Face.Frame.Image != nil {
			f := ev.Face.Frame
			m.eidView.Frame = &f
		}
	case ActEIDScanned:
		m.eidCode = ev.Value
	case ActStartEIDCheck:
		m.startEIDCheck()
	case ActAcceptEID:
		m.read, m.subject, m.eid = ev.Read, ev.Value, true
		m.audit(now, "system", "eid.login", "ok")
	case ActEIDRefused:
		m.message = ev.Reason
		m.audit(now, "system", "eid.login", "refused reason="+string(ev.Reason))
	case ActEndAsMessage:
		m.message = m.endNotice
	default:
		return false
	}
	return true
}

// eidScanTimeout bounds one scan; the screen's own timer usually ends it first.
func (m *Machine) eidScanTimeout() time.Duration {
	return m.cfg.ScreenTimeout + m.cfg.MoreTimeGrace
}

func (m *Machine) startEIDScan() {
	m.eidView, m.eidCode = EIDView{}, ""
	qr := m.deps.QR
	if qr == nil {
		return
	}
	m.goOp(m.eidScanTimeout(), func(ctx context.Context, post func(Event)) {
		code, err := qr.ScanQR(ctx, func(f Frame) { post(Event{Kind: EvEIDFrame, Face: FaceProgress{Frame: f}}) })
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			post(Event{Kind: EvEIDFailed, Reason: ReasonEIDNoCode})
		case err != nil:
			post(Event{Kind: EvEIDFailed, Reason: ReasonEIDCamera, Err: err})
		case !eidCodeUsable(code):
			// A QR code, but not text the back office could know: no need to ask.
			post(Event{Kind: EvEIDFailed, Reason: ReasonEIDInvalid})
		default:
			post(Event{Kind: EvEIDScanned, Value: code})
		}
	})
}

func (m *Machine) startEIDCheck() {
	m.busy = true
	code := m.eidCode
	m.eidCode = "" // one try per code: a retry scans a fresh one
	m.eidView = EIDView{}
	eid := m.deps.EID
	if eid == nil {
		return
	}
	m.goOp(m.cfg.LookupTimeout, func(ctx context.Context, post func(Event)) {
		id, err := eid.VerifyEID(ctx, code)
		switch {
		case err != nil:
			post(Event{Kind: EvEIDFailed, Reason: eidReason(err), Err: err})
		case id == nil || id.Subject == "" || len(id.Holder.Photo.Data) == 0:
			if id != nil {
				id.Holder.Photo.Wipe()
			}
			post(Event{Kind: EvEIDFailed, Reason: ReasonEIDUnavailable, Err: errors.New("eID: the back office answered no subject or photo")})
		default:
			post(Event{Kind: EvEIDVerified, Value: id.Subject,
				Read: &CardRead{Holder: id.Holder, Access: "eID", Verified: true}})
		}
	})
}
