package kiosk_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
)

// toPhoto runs a session with a photo camera to the photo step of svc.
func toPhoto(t *testing.T, ph *kiosktest.Photos, rec *kiosk.ResidentRecord, svc kiosk.ServiceID) *kiosktest.Harness {
	h := kiosktest.NewHarness(t)
	h.Photo = ph
	if rec != nil {
		h.BackOffice.Set(h.Subject("1234567(8)"), *rec)
	}
	h.Start()
	h.ToMenu()
	h.Post(kiosk.Event{Kind: kiosk.EvChooseService, Service: svc})
	h.WaitState(kiosk.StateCheckData)
	h.Press(kiosk.EvContinue)
	h.WaitState(kiosk.StatePhoto)
	return h
}

// applyWithPhoto goes on from the photo step to the done screen (renewal form,
// summary with the photo line want, payment) and returns the saved application.
func applyWithPhoto(t *testing.T, h *kiosktest.Harness, want kiosk.MsgKey) (kiosk.ApplicationMessage, string) {
	t.Helper()
	h.WaitState(kiosk.StateServiceForm)
	h.Fill(kiosk.FieldCollectionOffice, "office_central", kiosk.FieldPhoneNumber, "66123456")
	h.Press(kiosk.EvContinue)
	sum := h.WaitState(kiosk.StateSummary)
	if !slices.Contains(sum.Summary.Lines, kiosk.SummaryLine{Label: kiosk.SummaryPhoto, Value: string(want), ValueIsKey: true}) {
		t.Errorf("summary lines %+v", sum.Summary.Lines)
	}
	h.Press(kiosk.EvConfirm)
	h.Pay(kiosk.PaymentQR)
	h.WaitState(kiosk.StateDone)
	return h.OnlyApplication()
}

func photoAudit(h *kiosktest.Harness) []string {
	var out []string
	for _, e := range h.Store.Events() {
		if strings.HasPrefix(e.Action, "photo.") {
			out = append(out, e.Action+" "+e.Detail)
		}
	}
	return out
}

// TestNewPhotoGoesWithTheApplication: renewal, passport and travel permit take a photo
// after the data check; the live screen shows the checker's guidance, the review
// screen the crop; accepted, it goes in the application (and only there).
func TestNewPhotoGoesWithTheApplication(t *testing.T) {
	ph := kiosktest.NewPhotos()
	h := toPhoto(t, ph, nil, kiosk.ServiceIDRenewal)
	live := h.Wait("guidance shown", func(s kiosk.Snapshot) bool {
		return s.Photo != nil && s.Photo.Guidance == kiosk.GuidePlainBackground
	})
	if live.Photo.Try != 1 || live.Photo.MaxTries != kiosk.MaxPhotoTries || live.Photo.MyPhoto {
		t.Errorf("live photo view %+v", live.Photo)
	}
	s := h.WaitState(kiosk.StatePhotoReview)
	if s.Photo == nil || !bytes.Equal(s.Photo.JPEG, kiosktest.SamplePhoto) || s.Photo.TriesLeft != kiosk.MaxPhotoTries-1 || s.Message != "" {
		t.Fatalf("review %+v message %q", s.Photo, s.Message)
	}
	h.Press(kiosk.EvContinue)
	msg, _ := applyWithPhoto(t, h, kiosk.SummaryPhotoKiosk)
	if msg.Photo == nil || msg.Photo.Source != kiosk.PhotoSourceKiosk || !bytes.Equal(msg.Photo.JPEG, kiosktest.SamplePhoto) {
		t.Fatalf("application photo %+v", msg.Photo)
	}
	audit := photoAudit(h)
	if !slices.Equal(audit, []string{"photo.take try=1 taken", "photo.accept source=kiosk try=1"}) {
		t.Errorf("audit %q", audit)
	}
	for _, e := range h.Store.Events() {
		if strings.Contains(e.Detail, "\xff\xd8") {
			t.Errorf("audit row holds the photo: %+v", e)
		}
	}
	// The session's copy is gone when it ends.
	h.Press(kiosk.EvContinue)
	h.WaitState(kiosk.StateTakeCard)
	for _, p := range ph.Given() {
		if p.JPEG != nil {
			t.Errorf("a photo the session was given is still held: %d bytes", len(p.JPEG))
		}
	}
}

// TestPhotoTriesAreSix: a try without a passing picture says so; after six, the
// counter.
func TestPhotoTriesAreSix(t *testing.T) {
	ph := kiosktest.NewPhotos(kiosktest.PhotoResult{TimedOut: true})
	h := toPhoto(t, ph, nil, kiosk.ServiceIDRenewal)
	for try := 1; try <= kiosk.MaxPhotoTries; try++ {
		s := h.WaitState(kiosk.StatePhotoReview)
		if s.Photo.JPEG != nil || s.Message != kiosk.MsgPhotoNone || s.Photo.Try != try || s.Photo.TriesLeft != kiosk.MaxPhotoTries-try {
			t.Fatalf("try %d: review %+v message %q", try, s.Photo, s.Message)
		}
		if try < kiosk.MaxPhotoTries {
			h.Press(kiosk.EvRetakePhoto)
			h.WaitState(kiosk.StatePhoto)
		}
	}
	// A seventh is refused; "continue" then goes to the counter.
	h.Press(kiosk.EvRetakePhoto)
	if s := h.Sync(); s.State != kiosk.StatePhotoReview {
		t.Fatalf("seventh try: %s", s.State)
	}
	h.Press(kiosk.EvUseMyPhoto) // none on file: nothing happens
	if s := h.Sync(); s.State != kiosk.StatePhotoReview {
		t.Fatalf("My Photo without one on file: %s", s.State)
	}
	h.Press(kiosk.EvContinue)
	if s := h.WaitState(kiosk.StateCounter); s.Message != kiosk.ReasonPhotoCounter {
		t.Errorf("counter message %q", s.Message)
	}
	if ph.Calls() != kiosk.MaxPhotoTries {
		t.Errorf("%d tries", ph.Calls())
	}
}

// TestMyPhotoInsteadOfANewOne: with a My Photo on file the resident may use it, from
// the live screen or the review; the application then says so and carries no picture.
func TestMyPhotoInsteadOfANewOne(t *testing.T) {
	for _, from := range []kiosk.State{kiosk.StatePhoto, kiosk.StatePhotoReview} {
		t.Run(string(from), func(t *testing.T) {
			ph := kiosktest.NewPhotos()
			h := toPhoto(t, ph, &kiosk.ResidentRecord{Nationality: "CHN", MyPhoto: true}, kiosk.ServiceIDRenewal)
			s := h.WaitState(from)
			if s.Photo == nil || !s.Photo.MyPhoto {
				t.Fatalf("My Photo not offered: %+v", s.Photo)
			}
			h.Press(kiosk.EvUseMyPhoto)
			msg, raw := applyWithPhoto(t, h, kiosk.SummaryPhotoMyPhoto)
			if msg.Photo == nil || msg.Photo.Source != kiosk.PhotoSourceMyPhoto || msg.Photo.JPEG != nil || strings.Contains(raw, "jpeg") {
				t.Errorf("application photo %+v", msg.Photo)
			}
		})
	}
}

// TestPhotoStepOnlyWhereAPhotoIsNeeded: One Account has no photo; a kiosk without a
// photo camera sends the application without one; the camera failing is said and the
// resident may try again.
func TestPhotoStepOnlyWhereAPhotoIsNeeded(t *testing.T) {
	h := kiosktest.NewHarness(t)
	h.Photo = kiosktest.NewPhotos()
	h.Start()
	h.ToMenu()
	h.Post(kiosk.Event{Kind: kiosk.EvChooseService, Service: kiosk.ServiceOneAccount})
	h.WaitState(kiosk.StateOAPhone)
	if h.Photo.Calls() != 0 {
		t.Error("One Account took a photo")
	}

	ph := kiosktest.NewPhotos(kiosktest.PhotoResult{Err: errors.New("camera unplugged")}, kiosktest.PhotoResult{JPEG: kiosktest.SamplePhoto})
	h2 := toPhoto(t, ph, nil, kiosk.ServiceIDRenewal)
	s := h2.WaitState(kiosk.StatePhotoReview)
	if s.Message != kiosk.MsgPhotoNone || s.Photo.JPEG != nil {
		t.Fatalf("camera failure: %+v %q", s.Photo, s.Message)
	}
	h2.Press(kiosk.EvContinue) // "try again"
	h2.WaitState(kiosk.StatePhoto)
	s = h2.Wait("second try's photo", func(s kiosk.Snapshot) bool { return s.State == kiosk.StatePhotoReview && s.Photo.JPEG != nil })
	if s.Photo.Try != 2 {
		t.Errorf("try %d", s.Photo.Try)
	}
	if audit := photoAudit(h2); len(audit) != 2 || !strings.HasPrefix(audit[0], "photo.take try=1 error=") {
		t.Errorf("audit %q", audit)
	}

	// Card pulled on the review screen: everything of the photo goes.
	h2.Card.Remove()
	h2.WaitState(kiosk.StateAttract)
	for _, p := range ph.Given() {
		if p.JPEG != nil {
			t.Error("the photo on the review screen outlived the session")
		}
	}
}
