package kiosk_test

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
)

func staffAudit(h *kiosktest.Harness) []string {
	var out []string
	for _, e := range h.Store.Events() {
		if strings.HasPrefix(e.Action, "staff.") {
			out = append(out, e.Actor+" "+e.Action+" "+e.Detail)
		}
	}
	return out
}

func typeStaff(h *kiosktest.Harness, pin string) {
	h.TypePIN(pin)
	h.Press(kiosk.EvPINSubmit)
}

func TestStaffGestureEntryActionsAndExit(t *testing.T) {
	h := kiosktest.NewHarness(t).Start()
	h.Press(kiosk.EvStaffGesture)
	s := h.WaitState(kiosk.StateStaffPIN)
	if s.StaffPIN == nil || s.StaffPIN.ByCard || s.StaffPIN.TriesLeft != kiosk.StaffMaxTries {
		t.Fatalf("staff PIN screen %+v", s.StaffPIN)
	}
	typeStaff(h, kiosktest.DefaultStaffPIN)
	s = h.Wait("staff home", func(s kiosk.Snapshot) bool {
		return s.State == kiosk.StateStaff && !s.Busy && s.Staff != nil && len(s.Staff.Overview.Health) > 0
	})
	if s.Staff.ID != kiosktest.DefaultStaffID || s.Staff.Page != kiosk.StaffPageHealth || s.PINLength != 0 {
		t.Fatalf("staff home %+v", s.Staff)
	}
	// Maintenance on, by this staff member; the kiosk stays in staff mode.
	h.Post(kiosk.Event{Kind: kiosk.EvStaffAction, Value: kiosk.StaffActMaintenanceOn})
	s = h.Wait("saved", func(s kiosk.Snapshot) bool { return s.Staff != nil && s.Staff.Result == kiosk.MsgStaffSaved && !s.Busy })
	h.Press(kiosk.EvMaintenanceOn) // the store's switch, as the poller posts it
	if s := h.Sync(); s.State != kiosk.StateStaff {
		t.Fatalf("maintenance threw staff out: %s", s.State)
	}
	// The audit page shows the chain's verification.
	h.Post(kiosk.Event{Kind: kiosk.EvStaffPage, Value: kiosk.StaffPageAudit})
	s = h.Wait("audit page", func(s kiosk.Snapshot) bool {
		return s.Staff != nil && s.Staff.Page == kiosk.StaffPageAudit && !s.Busy && s.Staff.Check.Rows > 0
	})
	if !s.Staff.Check.OK || len(s.Staff.Audit) == 0 {
		t.Errorf("audit page %+v", s.Staff)
	}
	h.Post(kiosk.Event{Kind: kiosk.EvStaffAction, Value: kiosk.StaffActExport})
	s = h.Wait("exported", func(s kiosk.Snapshot) bool { return s.Staff != nil && s.Staff.Result == kiosk.MsgStaffExported })
	if !strings.Contains(s.Staff.Detail, "/media/usb") {
		t.Errorf("export detail %q", s.Staff.Detail)
	}
	// Leaving with maintenance on: out of service for residents.
	h.Press(kiosk.EvStaffExit)
	s = h.WaitState(kiosk.StateOutOfService)
	if s.Staff != nil || s.Message != kiosk.ReasonMaintenance {
		t.Errorf("after staff mode: %+v", s)
	}
	want := []string{"maintenance on by S1234", "export by S1234"}
	if got := h.Staff.Log(); !slices.Equal(got, want) {
		t.Errorf("desk calls %v, want %v", got, want)
	}
	audit := strings.Join(staffAudit(h), "\n")
	for _, w := range []string{"system staff.gesture", "staff:S1234 staff.enter by=gesture", "staff:S1234 staff.exit why=button"} {
		if !strings.Contains(audit, w) {
			t.Errorf("audit lacks %q:\n%s", w, audit)
		}
	}
	if strings.Contains(audit, kiosktest.DefaultStaffPIN) {
		t.Error("the staff PIN is in the audit log")
	}
	// Staff can come back from out of service with the gesture and switch it off.
	h.Press(kiosk.EvStaffGesture)
	h.WaitState(kiosk.StateStaffPIN)
	typeStaff(h, kiosktest.DefaultStaffPIN)
	h.Wait("staff home", func(s kiosk.Snapshot) bool { return s.State == kiosk.StateStaff && !s.Busy && s.Staff != nil })
	h.Post(kiosk.Event{Kind: kiosk.EvStaffAction, Value: kiosk.StaffActMaintenanceOff})
	h.Wait("saved", func(s kiosk.Snapshot) bool { return s.Staff != nil && s.Staff.Result == kiosk.MsgStaffSaved && !s.Busy })
	h.Press(kiosk.EvMaintenanceOff)
	h.Press(kiosk.EvStaffExit)
	h.WaitState(kiosk.StateAttract)
}

func TestStaffLockAfterFiveWrongPINs(t *testing.T) {
	h := kiosktest.NewHarness(t).Start()
	h.Press(kiosk.EvStaffGesture)
	h.WaitState(kiosk.StateStaffPIN)
	for i := 1; i <= kiosk.StaffMaxTries; i++ {
		typeStaff(h, "000000")
		s := h.Wait("wrong", func(s kiosk.Snapshot) bool { return s.Notice != "" && s.PINLength == 0 })
		if i < kiosk.StaffMaxTries && (s.Notice != kiosk.MsgStaffPINWrong || s.StaffPIN.TriesLeft != kiosk.StaffMaxTries-i) {
			t.Fatalf("try %d: %+v %+v", i, s.Notice, s.StaffPIN)
		}
		if i == kiosk.StaffMaxTries && (s.Notice != kiosk.MsgStaffLocked || s.StaffPIN.LockedUntil.IsZero()) {
			t.Fatalf("not locked after %d wrong PINs: %+v", i, s.StaffPIN)
		}
	}
	// Locked: even the right PIN does nothing, and leaving does not reset the lock.
	typeStaff(h, kiosktest.DefaultStaffPIN)
	if s := h.Sync(); s.State != kiosk.StateStaffPIN {
		t.Fatalf("right PIN accepted while locked: %s", s.State)
	}
	h.Press(kiosk.EvCancel)
	h.WaitState(kiosk.StateAttract)
	h.Press(kiosk.EvStaffGesture)
	s := h.WaitState(kiosk.StateStaffPIN)
	if s.StaffPIN.LockedUntil.IsZero() {
		t.Fatal("the lock did not survive leaving the screen")
	}
	// 15 minutes later the right PIN works.
	h.Clock.Advance(kiosk.StaffLockout)
	typeStaff(h, kiosktest.DefaultStaffPIN)
	h.WaitState(kiosk.StateStaff)
	locks := 0
	for _, a := range staffAudit(h) {
		if strings.Contains(a, "locked_until=") {
			locks++
		}
	}
	if locks != 1 {
		t.Errorf("%d lock rows in the audit", locks)
	}
}

func TestStaffCardAndIdleExit(t *testing.T) {
	h := kiosktest.NewHarness(t)
	staff := kiosktest.Resident("S-CARD-1", kiosktest.Day(1980, 1, 1), kiosktest.Day(2020, 1, 1), kiosktest.Day(2030, 1, 1))
	staff.Holder.StaffID = "S7001"
	h.Card.SetRead(staff, nil)
	h.Start()
	h.Card.Insert()
	s := h.WaitState(kiosk.StateStaffPIN)
	if !s.StaffPIN.ByCard || s.Holder != nil {
		t.Fatalf("staff card PIN screen %+v", s)
	}
	// The card's own PIN (the fake card's), verified by the card.
	typeStaff(h, kiosktest.DefaultPIN)
	s = h.WaitState(kiosk.StateStaff)
	if s.Staff.ID != "S7001" {
		t.Fatalf("staff id %q", s.Staff.ID)
	}
	// Two minutes without a touch: staff mode leaves by itself, and the card must go.
	h.Tick(kiosk.StaffIdle + time.Second)
	h.Tick(25 * time.Second)
	h.WaitState(kiosk.StateTakeCard)
	h.Card.Remove()
	h.WaitState(kiosk.StateAttract)
	audit := strings.Join(staffAudit(h), "\n")
	for _, w := range []string{"system staff.card staff=staff:S7001", "staff:S7001 staff.enter by=card", "staff:S7001 staff.exit why=idle"} {
		if !strings.Contains(audit, w) {
			t.Errorf("audit lacks %q:\n%s", w, audit)
		}
	}
	if len(h.Store.Applications()) != 0 || h.Face.Calls() != 0 {
		t.Error("a staff card went down the resident's path")
	}
}

func TestStaffFaceThresholds(t *testing.T) {
	h := kiosktest.NewHarness(t).Start()
	h.Press(kiosk.EvStaffGesture)
	h.WaitState(kiosk.StateStaffPIN)
	typeStaff(h, kiosktest.DefaultStaffPIN)
	h.WaitState(kiosk.StateStaff)
	h.Post(kiosk.Event{Kind: kiosk.EvStaffPage, Value: kiosk.StaffPageFace})
	s := h.Wait("face page", func(s kiosk.Snapshot) bool { return s.Staff != nil && s.Staff.Page == kiosk.StaffPageFace && !s.Busy })
	if s.Staff.Draft["match"] != "0.40" {
		t.Fatalf("draft %v", s.Staff.Draft)
	}
	for _, tc := range []struct {
		match string
		ok    bool
	}{{"0.2", false}, {"0.9", false}, {"NaN", false}, {"0.45", true}} {
		h.Post(kiosk.Event{Kind: kiosk.EvStaffInput, Field: "match", Value: tc.match})
		if d := h.Sync().Staff.Draft["match"]; d == "NaN" {
			t.Fatal("NaN typed into a threshold")
		}
		h.Post(kiosk.Event{Kind: kiosk.EvStaffAction, Value: kiosk.StaffActSaveFace})
		s = h.Wait("result", func(s kiosk.Snapshot) bool { return s.Staff != nil && s.Staff.Result != "" && !s.Busy })
		if (s.Staff.Result == kiosk.MsgStaffSaved) != tc.ok {
			t.Errorf("match %q: %s %s", tc.match, s.Staff.Result, s.Staff.Detail)
		}
		h.Post(kiosk.Event{Kind: kiosk.EvStaffAction, Value: kiosk.StaffActRefresh})
		h.Wait("refreshed", func(s kiosk.Snapshot) bool { return s.Staff != nil && s.Staff.Result == "" && !s.Busy })
	}
	if h.Staff.Face.Match != 0.45 {
		t.Errorf("threshold %v", h.Staff.Face.Match)
	}
	refused := 0
	for _, a := range staffAudit(h) {
		if strings.Contains(a, "staff.face_thresholds refused") {
			refused++
		}
	}
	// "NaN" never reaches the draft (letters cannot be typed in): the 0.9 before it is
	// refused a second time.
	if refused != 3 {
		t.Errorf("%d refused threshold changes audited, want 3", refused)
	}
	for _, bad := range []kiosk.FaceThresholds{{Match: math.NaN(), Detect: 0.6}, {Match: 0.4, Detect: math.Inf(1)}, {Match: 0.29, Detect: 0.6}} {
		if bad.Validate() == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestExpiredStaffCardOpensNothing(t *testing.T) {
	h := kiosktest.NewHarness(t)
	staff := kiosktest.Resident("S-CARD-2", kiosktest.Day(1980, 1, 1), kiosktest.Day(2016, 1, 1), kiosktest.Day(2026, 5, 13))
	staff.Holder.StaffID = "S7002"
	staff.Holder.Residency = "" // a staff card states no residency
	h.Card.SetRead(staff, nil)
	h.Start()
	h.Card.Insert()
	s := h.Wait("not the staff PIN", func(s kiosk.Snapshot) bool { return s.State != kiosk.StateAttract && s.State != kiosk.StateReading })
	if s.State == kiosk.StateStaffPIN {
		t.Fatal("an expired staff card opened the staff PIN screen")
	}
}

func TestNoStaffModeWithoutDesk(t *testing.T) {
	h := kiosktest.NewHarness(t)
	h.Staff = nil
	h.Start()
	h.Press(kiosk.EvStaffGesture)
	if s := h.Sync(); s.State != kiosk.StateAttract {
		t.Fatalf("staff gesture without staff mode: %s", s.State)
	}
}
