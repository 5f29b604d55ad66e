package kiosk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"
)

// The new-photo step (issue 11 §2). A renewal, passport or travel permit needs a
// document photo: after the data check the resident is photographed at the kiosk, free,
// with the portrait checks (facematch) guiding them live; the crop is shown to accept
// or retake, at most MaxPhotoTries times, or the "My Photo" portrait the resident has
// on file with One Account is used instead. The accepted photo goes with the
// application and nowhere else: never a log, never an audit row.

// States of the photo step.
const (
	StatePhoto       State = "photo"        // live camera with portrait guidance until a picture passes
	StatePhotoReview State = "photo_review" // the crop taken (or why none): accept, retake, My Photo
)

// MaxPhotoTries is how many photos a resident may have taken in one application, as
// other government kiosks allow.
const MaxPhotoTries = 6

// Photo events. EvPhotoProgress carries Event.Face (the preview and the guidance).
const (
	EvPhotoProgress EventKind = "photo_progress" // Event.Face
	EvPhotoTaken    EventKind = "photo_taken"    // Event.Photo: nil when none passed the checks in time
	EvPhotoError    EventKind = "photo_error"    // Event.Err: the camera or the checker failed
	EvRetakePhoto   EventKind = "retake_photo"   // "take another"
	EvUseMyPhoto    EventKind = "use_my_photo"   // "use my My Photo"
)

// Photo guards and actions.
const (
	GuardPhotoStep     Guard = "photo_step"       // the chosen service needs a photo and the kiosk has a camera for it
	GuardPhotoTaken    Guard = "photo_taken"      // a photo is on the review screen
	GuardPhotoTryLeft  Guard = "photo_try_left"   // fewer than MaxPhotoTries photos taken
	GuardMyPhotoOnFile Guard = "my_photo_on_file" // the back office has a My Photo for the resident

	ActStartPhoto    Action = "start_photo"    // next try: run the camera with the portrait checks
	ActPhotoProgress Action = "photo_progress" //
	ActPhotoTaken    Action = "photo_taken"    // keep the photo for review (or note that none was taken)
	ActPhotoError    Action = "photo_error"    //
	ActAcceptPhoto   Action = "accept_photo"   // the reviewed photo goes with the application
	ActUseMyPhoto    Action = "use_my_photo"   // the My Photo on file goes with the application
)

// Photo messages.
const (
	MsgPhotoNone        MsgKey = "msg.photo_none"         // no picture passed the checks in time
	ReasonPhotoCounter  MsgKey = "reason.photo_counter"   // every try used, nothing accepted
	SummaryPhoto        MsgKey = "summary.photo"          // the summary line's label
	SummaryPhotoKiosk   MsgKey = "summary.photo_kiosk"    // taken at the kiosk
	SummaryPhotoMyPhoto MsgKey = "summary.photo_my_photo" // My Photo on file
)

// Where an application's photo comes from (ApplicationPhoto.Source).
const (
	PhotoSourceKiosk   = "kiosk"
	PhotoSourceMyPhoto = "my_photo"
)

// NeedsPhoto says whether a service's application carries a new document photo.
func NeedsPhoto(s ServiceID) bool {
	return s == ServiceIDRenewal || s == ServicePassport || s == ServiceTravelPermit
}

// NewPhoto is a document photo taken at the kiosk: the JPEG crop and the portrait
// checks of the frame it was cut from (measures only).
type NewPhoto struct {
	JPEG   []byte
	Checks []Check
}

// Wipe overwrites the photo's bytes.
func (p *NewPhoto) Wipe() {
	if p == nil {
		return
	}
	clear(p.JPEG)
	p.JPEG = nil
}

// PortraitCamera is the port to the camera with the portrait checks. Implemented by
// facematch.
type PortraitCamera interface {
	// TakePortrait watches the camera and posts guidance from the portrait checks
	// until a frame passes them all and shows the person of reference (the card
	// photo the resident was verified against), and returns its document crop. It
	// returns ctx's error when none passed in time.
	TakePortrait(ctx context.Context, reference FacePhoto, progress func(FaceProgress)) (*NewPhoto, error)
}

// ApplicationPhoto is the photo of an application as the back office receives it.
type ApplicationPhoto struct {
	// Source is PhotoSourceKiosk (JPEG holds the photo) or PhotoSourceMyPhoto (the
	// back office uses the portrait it has on file; no bytes are sent).
	Source string `json:"source"`
	JPEG   []byte `json:"jpeg,omitempty"`
}

// PhotoView is what the photo screens show.
type PhotoView struct {
	Try, MaxTries int
	Guidance      Guidance // live guidance ("guide.<g>")
	// The live preview travels in Snapshot.Face.Frame, as on the face screen: the UI
	// updates it without rebuilding the screen.
	// JPEG is the crop taken, on the review screen; nil when none could be taken.
	JPEG []byte
	// MyPhoto: the resident has a My Photo on file and may use it instead.
	MyPhoto bool
	// TriesLeft is how many more photos may be taken.
	TriesLeft int
}

// photoState is the session's side of the photo step.
type photoState struct {
	tries    int
	guidance Guidance
	frame    *Frame
	taken    *NewPhoto // on the review screen
	accepted *ApplicationPhoto
	myPhoto  bool // from the back office's record
}

func (p *photoState) wipe() {
	p.taken.Wipe()
	if p.accepted != nil {
		clear(p.accepted.JPEG)
	}
	*p = photoState{}
}

func (m *Machine) photoGuard(g Guard) bool {
	switch g {
	case GuardPhotoStep:
		return m.deps.Photo != nil && NeedsPhoto(m.service)
	case GuardPhotoTaken:
		return m.photo.taken != nil
	case GuardPhotoTryLeft:
		return m.photo.tries < MaxPhotoTries
	case GuardMyPhotoOnFile:
		return m.photo.myPhoto
	}
	m.report(fmt.Errorf("session: unknown photo guard %q", g))
	return false
}

func (m *Machine) photoDo(now time.Time, a Action, ev Event) {
	p := &m.photo
	switch a {
	case ActStartPhoto:
		m.startPhoto()
	case ActPhotoProgress:
		p.guidance = ev.Face.Guidance
		if ev.Face.Frame.Image != nil {
			f := ev.Face.Frame
			p.frame = &f
		}
	case ActPhotoTaken:
		p.frame = nil
		p.taken.Wipe()
		p.taken = ev.Photo
		result := "taken"
		if ev.Photo == nil {
			m.message = MsgPhotoNone
			result = "none guidance=" + string(p.guidance)
		}
		m.audit(now, "system", "photo.take", fmt.Sprintf("try=%d %s", p.tries, result))
	case ActPhotoError:
		p.frame = nil
		m.message = MsgPhotoNone
		m.audit(now, "system", "photo.take", fmt.Sprintf("try=%d error=%s", p.tries, errText(ev.Err)))
	case ActAcceptPhoto:
		if p.taken == nil {
			return
		}
		p.accepted = &ApplicationPhoto{Source: PhotoSourceKiosk, JPEG: p.taken.JPEG}
		p.taken.JPEG = nil // moved, not copied: one copy to wipe
		p.taken = nil
		m.audit(now, "resident", "photo.accept", fmt.Sprintf("source=%s try=%d", PhotoSourceKiosk, p.tries))
	case ActUseMyPhoto:
		p.taken.Wipe()
		p.taken, p.frame = nil, nil
		p.accepted = &ApplicationPhoto{Source: PhotoSourceMyPhoto}
		m.audit(now, "resident", "photo.accept", "source="+PhotoSourceMyPhoto)
	default:
		m.report(fmt.Errorf("session: unknown photo action %q", a))
	}
}

// startPhoto starts the next try: the camera runs with the portrait checks until a
// frame passes, or the screen's time is up.
func (m *Machine) startPhoto() {
	p := &m.photo
	p.tries++
	p.taken.Wipe()
	p.taken, p.frame, p.guidance = nil, nil, ""
	cam := m.deps.Photo
	if cam == nil || m.read == nil {
		m.report(errors.New("session: photo step without a camera or a card read"))
		return
	}
	// The camera side gets its own copy of the card photo, wiped when it returns (as
	// the face verifier does).
	ref := FacePhoto{Format: m.read.Holder.Photo.Format, Data: bytes.Clone(m.read.Holder.Photo.Data)}
	m.goOp(m.cfg.PhotoTimeout, func(ctx context.Context, post func(Event)) {
		defer ref.Wipe()
		ph, err := cam.TakePortrait(ctx, ref, func(fp FaceProgress) { post(Event{Kind: EvPhotoProgress, Face: fp}) })
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			post(Event{Kind: EvPhotoTaken}) // none passed in time: a try used, not a broken camera
		case err != nil:
			ph.Wipe()
			post(Event{Kind: EvPhotoError, Err: err})
		default:
			post(Event{Kind: EvPhotoTaken, Photo: ph})
		}
	})
}

// photoView is the snapshot's copy of the photo step.
func (m *Machine) photoView() *PhotoView {
	p := &m.photo
	v := &PhotoView{Try: p.tries, MaxTries: MaxPhotoTries, Guidance: p.guidance,
		MyPhoto: p.myPhoto, TriesLeft: MaxPhotoTries - p.tries}
	if p.taken != nil {
		v.JPEG = bytes.Clone(p.taken.JPEG)
	}
	return v
}

// applicationPhoto is the photo to send with the application, if the service has one.
func (m *Machine) applicationPhoto() *ApplicationPhoto {
	if m.photo.accepted == nil || !NeedsPhoto(m.service) {
		return nil
	}
	return &ApplicationPhoto{Source: m.photo.accepted.Source, JPEG: bytes.Clone(m.photo.accepted.JPEG)}
}

// photoSummary is the summary's photo line, when a photo goes with the application.
func (m *Machine) photoSummary() []SummaryLine {
	if m.photo.accepted == nil || !NeedsPhoto(m.service) {
		return nil
	}
	v := SummaryPhotoKiosk
	if m.photo.accepted.Source == PhotoSourceMyPhoto {
		v = SummaryPhotoMyPhoto
	}
	return []SummaryLine{{Label: SummaryPhoto, Value: string(v), ValueIsKey: true}}
}

// photoKeys are the photo step's translation keys (AllMsgKeys).
func photoKeys() []MsgKey {
	return []MsgKey{MsgPhotoNone, ReasonPhotoCounter, SummaryPhoto, SummaryPhotoKiosk, SummaryPhotoMyPhoto}
}

// photoRules are the photo step's rows of the transition table.
func photoRules() []Rule {
	return []Rule{
		{From: StateCheckData, On: EvContinue, If: GuardPhotoStep, To: StatePhoto},

		{From: StatePhoto, On: EvPhotoProgress, Do: []Action{ActPhotoProgress}},
		{From: StatePhoto, On: EvPhotoTaken, To: StatePhotoReview, Do: []Action{ActPhotoTaken}},
		{From: StatePhoto, On: EvPhotoError, To: StatePhotoReview, Do: []Action{ActPhotoError}},
		{From: StatePhoto, On: EvUseMyPhoto, If: GuardMyPhotoOnFile, To: StateServiceForm, Do: []Action{ActUseMyPhoto}},
		{From: StatePhoto, On: EvBack, To: StateCheckData},

		{From: StatePhotoReview, On: EvContinue, If: GuardPhotoTaken, To: StateServiceForm, Do: []Action{ActAcceptPhoto}},
		{From: StatePhotoReview, On: EvRetakePhoto, If: GuardPhotoTryLeft, To: StatePhoto},
		{From: StatePhotoReview, On: EvUseMyPhoto, If: GuardMyPhotoOnFile, To: StateServiceForm, Do: []Action{ActUseMyPhoto}},
		// Every try used and nothing accepted, no My Photo: a photo is taken at the
		// counter (or brought).
		{From: StatePhotoReview, On: EvContinue, If: GuardPhotoTryLeft, To: StatePhoto},
		{From: StatePhotoReview, On: EvContinue, To: StateCounter, Message: ReasonPhotoCounter},
	}
}
