package kiosk_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
)

// eidSubject is the subject the (fake) back office knows the eID resident by: not a
// hash of any card number, since no card is read.
const eidSubject = "0123456789abcdef0123456789abcdef"

// eidHarness is a kiosk with the eID start, whose back office knows one resident with
// a bound eID and a passport expiring in 4 months (so the passport is on offer).
func eidHarness(t *testing.T) (*kiosktest.Harness, *kiosk.CardRead) {
	h := kiosktest.NewHarness(t)
	h.EID, h.QR = kiosktest.NewEID(), kiosktest.NewQR()
	h.BackOffice.Set(eidSubject, kiosk.ResidentRecord{Nationality: kiosk.ChineseNationality,
		Passport: &kiosk.TravelDocument{Expiry: kiosk.Date{Year: 2026, Month: 9, Day: 14}}})
	rec := kiosktest.Resident("", kiosktest.Day(1985, 3, 2), kiosktest.Day(2021, 6, 1), kiosktest.Day(2031, 6, 1))
	return h, rec
}

// toEIDScan goes from the attract screen to the eID scan screen.
func toEIDScan(t *testing.T, h *kiosktest.Harness) kiosk.Snapshot {
	t.Helper()
	h.Post(kiosk.Event{Kind: kiosk.EvStart, Language: kiosk.LangEN})
	s := h.WaitState(kiosk.StateInsertCard)
	if !s.EIDOffered {
		t.Fatal("the insert-card screen does not offer the eID")
	}
	h.Press(kiosk.EvEIDStart)
	return h.Wait("scan with a preview", func(s kiosk.Snapshot) bool {
		return s.State == kiosk.StateEIDScan && s.EID != nil && s.EID.Frame != nil
	})
}

// TestEIDStart: a code held to the camera is verified by the back office, and only a
// valid, fresh, unused one leads to the face step; every refusal says why and lets the
// resident try a fresh code.
func TestEIDStart(t *testing.T) {
	cases := []struct {
		name    string
		prepare func(h *kiosktest.Harness, code string) string // returns what the camera sees
		reason  kiosk.MsgKey
		asked   bool // the back office was asked
	}{
		{"accepted", func(h *kiosktest.Harness, code string) string { return code }, "", true},
		{"replayed", func(h *kiosktest.Harness, code string) string {
			if _, err := h.EID.VerifyEID(context.Background(), code); err != nil { // someone used it already
				panic(err)
			}
			return code
		}, kiosk.ReasonEIDReplayed, true},
		{"expired", func(h *kiosktest.Harness, code string) string { h.EID.Expire(code); return code }, kiosk.ReasonEIDExpired, true},
		{"forged", func(h *kiosktest.Harness, code string) string { return code[:len(code)-1] + "X" }, kiosk.ReasonEIDInvalid, true},
		{"back office down", func(h *kiosktest.Harness, code string) string {
			h.EID.Down = fmt.Errorf("%w: connection refused", kiosk.ErrBackOfficeUnavailable)
			return code
		}, kiosk.ReasonEIDUnavailable, true},
		{"not text", func(h *kiosktest.Harness, code string) string { return "DSI1\x00\x01" }, kiosk.ReasonEIDInvalid, false},
		{"too long", func(h *kiosktest.Harness, code string) string { return strings.Repeat("A", kiosk.MaxEIDCode+1) }, kiosk.ReasonEIDInvalid, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, rec := eidHarness(t)
			h.Start()
			code := h.EID.Issue(eidSubject, rec)
			toEIDScan(t, h)
			seen := c.prepare(h, code)
			calls := h.EID.Calls()
			h.QR.Show(seen)
			if c.reason == "" {
				h.WaitState(kiosk.StateFace)
				h.WaitState(kiosk.StateFaceResult)
				h.Press(kiosk.EvContinue)
				menu := h.WaitIdle(kiosk.StateServiceMenu)
				checkEIDMenu(t, h, menu)
				return
			}
			p := h.WaitState(kiosk.StateEIDProblem)
			if p.Message != c.reason {
				t.Fatalf("refused with %q, want %q", p.Message, c.reason)
			}
			if asked := h.EID.Calls() > calls; asked != c.asked {
				t.Errorf("back office asked: %t, want %t", asked, c.asked)
			}
			if h.Face.Calls() != 0 {
				t.Error("the face step ran after a refused code")
			}
			// Try again with a fresh code from the app.
			h.EID.Down = nil
			h.Press(kiosk.EvContinue)
			h.WaitState(kiosk.StateEIDScan)
			h.QR.Show(h.EID.Issue(eidSubject, rec))
			h.WaitState(kiosk.StateFace)
		})
	}
}

// checkEIDMenu: the menu of an eID session is decided from the back office's record
// (the passport is offered, as its expiry and the resident's age allow), greets the
// resident by the record's name, the face was matched against the record's photo,
// and the audit log names the back office's subject and nothing personal.
func checkEIDMenu(t *testing.T, h *kiosktest.Harness, menu kiosk.Snapshot) {
	t.Helper()
	if menu.Holder == nil || menu.Holder.NameChinese != "陳大文" {
		t.Errorf("greeting %+v, want the record's name", menu.Holder)
	}
	eligible := map[kiosk.ServiceID]bool{}
	for _, s := range menu.Services {
		eligible[s.ID] = s.Eligible
	}
	if !eligible[kiosk.ServicePassport] {
		t.Errorf("passport not offered: %+v", menu.Services)
	}
	if h.Face.Calls() != 1 {
		t.Errorf("%d face attempts, want 1", h.Face.Calls())
	}
	var login bool
	for _, e := range h.Store.Events() {
		noPersonalData(t, "audit "+e.Action, e.Detail)
		if e.Action == "eid.login" && e.Detail == "ok" {
			login = true
			if e.Subject != eidSubject {
				t.Errorf("eid.login audited under %q, want the back office's subject", e.Subject)
			}
		}
		if strings.Contains(e.Detail, "DSI1.") {
			t.Errorf("audit %s holds the eID code: %s", e.Action, e.Detail)
		}
	}
	if !login {
		t.Error("no eid.login audit row")
	}
}

// TestEIDSessionEnds: an eID session has no card in the reader and no PIN: a face
// that does not match after every attempt goes to the counter, and every end of the
// session (counter, cancel, timeout, done) comes back to the attract screen instead
// of waiting for a card to be taken.
func TestEIDSessionEnds(t *testing.T) {
	t.Run("face not matched", func(t *testing.T) {
		h, rec := eidHarness(t)
		h.Face.Script(nil, kiosktest.NoMatch)
		h.Start()
		toEIDScan(t, h)
		h.QR.Show(h.EID.Issue(eidSubject, rec))
		for i := 1; i <= 3; i++ {
			r := h.WaitState(kiosk.StateFaceResult)
			if !r.Face.NoPIN || r.Face.Failure != kiosk.FaceFailNoMatchEID {
				t.Errorf("attempt %d: no PIN %t, failure %q; want no PIN, %q", i, r.Face.NoPIN, r.Face.Failure, kiosk.FaceFailNoMatchEID)
			}
			h.Press(kiosk.EvContinue)
		}
		c := h.WaitState(kiosk.StateCounter)
		if c.Message != kiosk.ReasonEIDFaceCounter {
			t.Errorf("counter says %q, want %q", c.Message, kiosk.ReasonEIDFaceCounter)
		}
		h.Press(kiosk.EvContinue)
		a := h.WaitState(kiosk.StateAttract)
		if a.Message != kiosk.MsgSessionEnded {
			t.Errorf("attract says %q, want %q", a.Message, kiosk.MsgSessionEnded)
		}
		if h.Card.Verifies() != 0 {
			t.Error("a PIN was asked of a card that is not there")
		}
	})
	t.Run("face check broken", func(t *testing.T) {
		h, rec := eidHarness(t)
		h.Face.Script([]error{errors.New("camera unplugged")}, kiosktest.Match)
		h.Start()
		toEIDScan(t, h)
		h.QR.Show(h.EID.Issue(eidSubject, rec))
		if c := h.WaitState(kiosk.StateCounter); c.Message != kiosk.ReasonEIDFaceBroken {
			t.Errorf("counter says %q, want %q", c.Message, kiosk.ReasonEIDFaceBroken)
		}
	})
	for _, end := range []kiosk.EventKind{kiosk.EvCancel, kiosk.EvTimeout} {
		t.Run("menu "+string(end), func(t *testing.T) {
			h, rec := eidHarness(t)
			h.Start()
			toEIDScan(t, h)
			h.QR.Show(h.EID.Issue(eidSubject, rec))
			h.WaitState(kiosk.StateFaceResult)
			h.Press(kiosk.EvContinue)
			h.WaitIdle(kiosk.StateServiceMenu)
			want := kiosk.MsgEndedNothingSubmitted
			if end == kiosk.EvTimeout {
				h.Tick(2 * time.Minute) // "need more time?"
				h.Tick(time.Minute)     // no answer
				want = kiosk.MsgTimedOutNothingSubmitted
			} else {
				h.Press(end)
			}
			a := h.WaitState(kiosk.StateAttract)
			if a.Message != want {
				t.Errorf("attract says %q, want %q", a.Message, want)
			}
			if a.Holder != nil || a.EID != nil {
				t.Error("resident data on the attract screen")
			}
		})
	}
	t.Run("scan timeout", func(t *testing.T) {
		h, _ := eidHarness(t)
		h.Start()
		toEIDScan(t, h)
		h.Tick(2 * time.Minute)
		h.Tick(time.Minute)
		h.WaitState(kiosk.StateAttract)
	})
	t.Run("card after all", func(t *testing.T) {
		h, _ := eidHarness(t)
		h.Face.Script(nil, kiosktest.NoMatch)
		h.Start()
		toEIDScan(t, h)
		h.Card.Insert()
		h.WaitState(kiosk.StateReading)
		for range 3 {
			h.WaitState(kiosk.StateFaceResult)
			h.Press(kiosk.EvContinue)
		}
		// A card session keeps its PIN fallback.
		h.WaitState(kiosk.StatePIN)
	})
}

// TestEIDNotOffered: a kiosk without a QR scanner or eID check does not offer it, and
// the event does nothing.
func TestEIDNotOffered(t *testing.T) {
	h := kiosktest.NewHarness(t).Start()
	h.Post(kiosk.Event{Kind: kiosk.EvStart, Language: kiosk.LangEN})
	if s := h.WaitState(kiosk.StateInsertCard); s.EIDOffered {
		t.Error("eID offered without a scanner")
	}
	h.Press(kiosk.EvEIDStart)
	if s := h.Sync(); s.State != kiosk.StateInsertCard {
		t.Errorf("state %s, want insert_card", s.State)
	}
}

// TestEIDApplication: an application made in an eID session is the back office's
// resident's (its subject, not a hash of any card number), says it was proved by the
// eID, shows no card number on the data check, and finishing comes back to the start.
func TestEIDApplication(t *testing.T) {
	h, rec := eidHarness(t)
	h.Start()
	toEIDScan(t, h)
	h.QR.Show(h.EID.Issue(eidSubject, rec))
	h.WaitState(kiosk.StateFaceResult)
	h.Press(kiosk.EvContinue)
	h.WaitIdle(kiosk.StateServiceMenu)
	h.Post(kiosk.Event{Kind: kiosk.EvChooseService, Service: kiosk.ServicePassport})
	check := h.WaitState(kiosk.StateCheckData)
	if check.Data == nil || check.Data.CardNumber != "" || check.Data.NameChinese != "陳大文" {
		t.Fatalf("data check %+v", check.Data)
	}
	h.Press(kiosk.EvContinue)
	h.WaitState(kiosk.StateServiceForm)
	h.Fill(kiosk.FieldCollectionOffice, kiosk.CollectionOffices[0], kiosk.FieldPhoneNumber, "66123456")
	h.Press(kiosk.EvContinue)
	h.WaitState(kiosk.StateSummary)
	h.Press(kiosk.EvConfirm)
	h.Pay(kiosk.PaymentQR)
	h.WaitState(kiosk.StateDone)
	apps := h.Store.Applications()
	if len(apps) != 1 {
		t.Fatalf("%d applications", len(apps))
	}
	var msg kiosk.ApplicationMessage
	if err := json.Unmarshal(apps[0].Payload, &msg); err != nil {
		t.Fatal(err)
	}
	if apps[0].Subject != eidSubject || msg.Subject != eidSubject || msg.Verified != "eid" {
		t.Errorf("application subject %q / %q verified %q; want the back office's subject, verified by eid", apps[0].Subject, msg.Subject, msg.Verified)
	}
	h.Press(kiosk.EvContinue)
	if a := h.WaitState(kiosk.StateAttract); a.Message != kiosk.MsgSessionEnded {
		t.Errorf("after done: attract says %q", a.Message)
	}
}

// TestEIDCheckIsBusy: while the back office checks the code the screen is busy and
// untimed (the check has its own time limit), as reading a card is.
func TestEIDCheckIsBusy(t *testing.T) {
	h, rec := eidHarness(t)
	h.Start()
	toEIDScan(t, h)
	h.QR.Show(h.EID.Issue(eidSubject, rec))
	c := h.Wait("the check", func(s kiosk.Snapshot) bool { return s.State == kiosk.StateEIDCheck })
	if !c.Busy || c.TimerOn {
		t.Errorf("eID check: busy %t, timer %t; want busy and untimed", c.Busy, c.TimerOn)
	}
}
