package kiosk_test

import (
	"strings"
	"testing"

	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
)

// TestUnverifiedStaffCardRefused: a card whose read failed passive authentication
// never opens staff mode, whatever staff id it states (cardio reads a forged staff id
// as it is written; only EF.SOD tells it is forged). The session refuses it as not
// genuine before it looks at StaffID, and nothing of the claimed id is audited.
func TestUnverifiedStaffCardRefused(t *testing.T) {
	h := kiosktest.NewHarness(t)
	forged := kiosktest.Resident("S-CARD-2", kiosktest.Day(1980, 1, 1), kiosktest.Day(2020, 1, 1), kiosktest.Day(2030, 1, 1))
	forged.Holder.StaffID = "S0001"
	forged.Verified = false
	forged.PassiveAuth = []kiosk.Check{{Name: "dg12_hash", OK: false, Detail: "hash mismatch"}}
	h.Card.SetRead(forged, nil)
	h.Start()
	h.Card.Insert()
	s := h.Wait("card problem or staff PIN", func(s kiosk.Snapshot) bool {
		return s.State == kiosk.StateCardProblem || s.State == kiosk.StateStaffPIN
	})
	if s.State != kiosk.StateCardProblem || s.Message != kiosk.ReasonCardNotGenuine || s.StaffPIN != nil {
		t.Fatalf("unverified staff card: %s %q %+v", s.State, s.Message, s.StaffPIN)
	}
	for _, e := range h.Store.Events() {
		if strings.Contains(e.Actor+e.Detail, "S0001") || strings.HasPrefix(e.Action, "staff.") {
			t.Errorf("audited %s %s %s", e.Actor, e.Action, e.Detail)
		}
	}
}
