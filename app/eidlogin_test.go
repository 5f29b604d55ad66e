package app

import (
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
)

// TestEIDFlowOnScreen: the resident taps "use my eID" on the insert-card screen, a
// refused code says why with "show a new code" and "use my card", a good code leads
// through the face step to the menu; with no face match there is no PIN to offer.
func TestEIDFlowOnScreen(t *testing.T) {
	const subject = "0123456789abcdef0123456789abcdef"
	rec := kiosktest.Resident("", kiosktest.Day(1985, 3, 2), kiosktest.Day(2021, 6, 1), kiosktest.Day(2031, 6, 1))
	r := newRun(t, func(h *kiosktest.Harness) {
		h.EID, h.QR = kiosktest.NewEID(), kiosktest.NewQR()
		h.Face.Script(nil, kiosktest.NoMatch, kiosktest.NoMatch, kiosktest.NoMatch)
	})
	r.tap("English")
	r.until(kiosk.StateInsertCard)
	r.tap(r.tr("insert.eid_offer"))
	r.until(kiosk.StateEIDScan)
	r.sees(r.tr("eid.scan_hint"))

	r.h.QR.Show("DSI1.L.forged")
	r.until(kiosk.StateEIDProblem)
	r.sees(r.tr("reason.eid_invalid"))
	r.tap(r.tr("eid.try_again"))
	r.until(kiosk.StateEIDScan)

	r.h.QR.Show(r.h.EID.Issue(subject, rec))
	for i := 0; i < 2; i++ {
		r.until(kiosk.StateFaceResult)
		r.tap(r.tr("face_result.try_again"))
	}
	r.until(kiosk.StateFaceResult)
	r.sees(r.tr("face_result.counter_next"))
	if b := findButton(r.w.Canvas().Content(), r.tr("face_result.use_pin")); b != nil {
		t.Error("an eID session offers the card PIN")
	}
	r.tap(r.tr("chrome.continue"))
	r.until(kiosk.StateCounter)
	r.sees(r.tr("reason.eid_face_counter"))

	// A kiosk without the eID start offers only the card.
	plain := newRun(t, nil)
	plain.tap("English")
	plain.until(kiosk.StateInsertCard)
	if b := findButton(plain.w.Canvas().Content(), plain.tr("insert.eid_offer")); b != nil {
		t.Error("the eID is offered by a kiosk that cannot read it")
	}
}

type demoEIDHands struct{ shown int }

func (d *demoEIDHands) InsertCard() {}
func (d *demoEIDHands) RemoveCard() {}
func (d *demoEIDHands) ShowEID()    { d.shown++ }

// TestDemoEIDButton: in the demo the banner holds the phone up on the eID scan
// screen only.
func TestDemoEIDButton(t *testing.T) {
	hands := &demoEIDHands{}
	for _, st := range []kiosk.State{kiosk.StateInsertCard, kiosk.StateEIDScan} {
		snap := kiosktest.Samples(kiosk.LangEN)[st]
		snap.Demo = true
		flow := kiosktest.NewFlow(snap)
		u, w := newTestUI(t, flow)
		u.demo = hands
		u.Render(snap)
		b := findButton(w.Content(), u.tr.T(kiosk.LangEN, "demo.show_eid", nil))
		if (b != nil) != (st == kiosk.StateEIDScan) {
			t.Fatalf("%s: banner button %v", st, b != nil)
		}
		if b != nil {
			test.Tap(b)
			if hands.shown != 1 {
				t.Errorf("ShowEID called %d times", hands.shown)
			}
		}
	}
}
