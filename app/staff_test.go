package app

import (
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/macau-dsi/kiosk/i18n"
	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
)

// tapTitle taps the kiosk's name in the top bar n times, waiting pause between taps:
// the hidden staff gesture (app/staff.go) when quick enough.
func (r *kioskRun) tapTitle(n int, pause time.Duration) {
	r.t.Helper()
	for i := 0; i < n; i++ {
		if i > 0 {
			time.Sleep(pause)
		}
		b := findButton(r.w.Canvas().Content(), r.tr("app.title"))
		if b == nil {
			r.t.Fatalf("screen %s: the title is not tappable", r.h.Last().State)
		}
		test.Tap(b)
		r.sync()
	}
}

// seesKeys checks the screen shows each key's words in the current language.
func (r *kioskRun) seesKeys(keys ...string) {
	r.t.Helper()
	for _, k := range keys {
		r.sees(r.tr(k))
	}
}

// inEachLanguage switches the kiosk to Portuguese, Chinese and back to English with
// the top bar's buttons, and runs check in each.
func (r *kioskRun) inEachLanguage(check func(kiosk.Language)) {
	r.t.Helper()
	for _, l := range []kiosk.Language{kiosk.LangPT, kiosk.LangZhHant, kiosk.LangEN} {
		r.tap(r.u.tr.T(l, i18n.LangKey(l), nil))
		if got := r.sync().Language; got != l {
			r.t.Fatalf("language %s after tapping it, want %s", got, l)
		}
		check(l)
	}
}

// staffWords are the words of each staff page (title, tabs, buttons) as keys.
var staffWords = map[string][]string{
	kiosk.StaffPageHealth: {"staff.page_health", "staff.page_audit", "staff.page_face", "staff.health", "staff.today",
		"staff.export", "staff.restart", "staff.health.card_reader", "staff.leave"},
	kiosk.StaffPageAudit: {"staff.page_health", "staff.page_audit", "staff.page_face", "staff.refresh", "staff.leave"},
	kiosk.StaffPageFace: {"staff.page_health", "staff.page_audit", "staff.page_face", "staff.save", "staff.face_note",
		"keypad.delete", "staff.leave"},
}

// checkStaffPage checks the page's title and words in every language.
func (r *kioskRun) checkStaffPage(page string) {
	r.t.Helper()
	en := map[string]string{}
	r.inEachLanguage(func(l kiosk.Language) {
		s := r.sync()
		if s.Staff == nil || s.Staff.Page != page {
			r.t.Fatalf("%s: staff view %+v, want page %s", l, s.Staff, page)
		}
		r.sees(r.u.tr.T(l, "staff.title", map[string]any{"ID": s.Staff.ID}))
		r.seesKeys(staffWords[page]...)
		maint := "staff.maintenance_on"
		if s.Staff.Overview.Maintenance {
			maint = "staff.maintenance_off"
		}
		r.seesKeys(maint)
		if page == kiosk.StaffPageAudit {
			r.sees(r.u.tr.T(l, "staff.audit_ok", map[string]any{"Rows": s.Staff.Check.Rows}))
		}
		if page == kiosk.StaffPageFace {
			r.sees(r.u.tr.T(l, "staff.face_match", map[string]any{"Min": "0.30", "Max": "0.70"}))
		}
		if l == kiosk.LangEN {
			for _, k := range staffWords[page] {
				en[k] = r.tr(k)
			}
		}
	})
	// The page is really translated: its tab names differ between languages.
	for _, k := range []string{"staff.page_health", "staff.page_audit", "staff.page_face", "staff.leave"} {
		if pt, zh := r.u.tr.T(kiosk.LangPT, k, nil), r.u.tr.T(kiosk.LangZhHant, k, nil); pt == en[k] || zh == en[k] || pt == zh {
			r.t.Errorf("%s is not translated: en %q, pt %q, zh-Hant %q", k, en[k], pt, zh)
		}
	}
}

// enterStaff makes the gesture on the current screen and signs in with the staff PIN
// typed on the keypad; it returns on the staff home page.
func (r *kioskRun) enterStaff() kiosk.Snapshot {
	r.t.Helper()
	r.tapTitle(staffGestureTaps, 0)
	s := r.until(kiosk.StateStaffPIN)
	if s.StaffPIN == nil || s.StaffPIN.ByCard {
		r.t.Fatalf("staff PIN screen %+v", s.StaffPIN)
	}
	r.tapKeys(strings.Split(kiosktest.DefaultStaffPIN, "")...)
	if s := r.sync(); s.PINLength != len(kiosktest.DefaultStaffPIN) {
		r.t.Fatalf("%d digits typed, want %d", s.PINLength, len(kiosktest.DefaultStaffPIN))
	}
	r.tap(r.tr("keypad.ok"))
	r.h.Wait("staff home", func(s kiosk.Snapshot) bool {
		return s.State == kiosk.StateStaff && !s.Busy && s.Staff != nil && len(s.Staff.Overview.Health) > 0
	})
	return r.sync()
}

// TestStaffDeskOnScreen: issue 13 §1 by touch, as staff do it. Five quick taps on the
// kiosk's name on the attract screen, the staff PIN on the keypad, the health page,
// the audit and face pages, a threshold typed with the keypad's "." and saved,
// maintenance switched on, leave (out of service); then back in from the
// out-of-service screen the same way to switch it off. Every page's words are checked
// in the three languages.
func TestStaffDeskOnScreen(t *testing.T) {
	r := newRun(t, nil)
	if s := r.sync(); s.State != kiosk.StateAttract {
		t.Fatalf("starts in %s", s.State)
	}
	r.tapTitle(staffGestureTaps, 0)
	r.until(kiosk.StateStaffPIN)
	r.inEachLanguage(func(kiosk.Language) {
		r.seesKeys("screen.staff_pin", "staff.pin_hint", "keypad.ok", "keypad.delete", "staff.leave")
	})
	r.tapKeys(strings.Split(kiosktest.DefaultStaffPIN, "")...)
	r.tap(r.tr("keypad.ok"))
	s := r.h.Wait("staff home", func(s kiosk.Snapshot) bool {
		return s.State == kiosk.StateStaff && !s.Busy && s.Staff != nil && len(s.Staff.Overview.Health) > 0
	})
	r.sync()
	if s.Staff.ID != kiosktest.DefaultStaffID || s.Staff.Page != kiosk.StaffPageHealth {
		t.Fatalf("staff home %+v", s.Staff)
	}
	r.sees("Staff mode · " + kiosktest.DefaultStaffID)
	r.sees("Card reader")
	r.checkStaffPage(kiosk.StaffPageHealth)

	r.tap(r.tr("staff.page_audit"))
	r.h.Wait("audit page", func(s kiosk.Snapshot) bool {
		return s.Staff != nil && s.Staff.Page == kiosk.StaffPageAudit && !s.Busy && s.Staff.Check.Rows > 0
	})
	r.sync()
	r.sees("Audit chain verified: 42 rows intact.")
	r.checkStaffPage(kiosk.StaffPageAudit)

	r.tap(r.tr("staff.page_face"))
	r.h.Wait("face page", func(s kiosk.Snapshot) bool {
		return s.Staff != nil && s.Staff.Page == kiosk.StaffPageFace && !s.Busy
	})
	r.checkStaffPage(kiosk.StaffPageFace)
	// The match threshold (the field in focus): erase "0.40", type 0.45 with the ".".
	if d := r.sync().Staff.Draft["match"]; d != "0.40" {
		t.Fatalf("match draft %q, want 0.40", d)
	}
	for range "0.40" {
		r.tap(r.tr("keypad.delete"))
	}
	r.tapKeys("0", ".", "4", "5")
	if d := r.sync().Staff.Draft["match"]; d != "0.45" {
		t.Fatalf("match draft %q after typing 0.45", d)
	}
	r.sees("0.45")
	r.tap(r.tr("staff.save"))
	r.h.Wait("saved", func(s kiosk.Snapshot) bool {
		return s.Staff != nil && s.Staff.Result == kiosk.MsgStaffSaved && !s.Busy
	})
	r.sync()
	r.sees("Saved.")
	if f, _ := r.h.Staff.Overview(t.Context()); f.Face.Match != 0.45 || f.Face.Detect != 0.60 {
		t.Errorf("desk thresholds %+v, want match 0.45, detect 0.60", f.Face)
	}

	// Maintenance on: staff stay in, and the button now puts the kiosk back in service.
	r.tap(r.tr("staff.maintenance_on"))
	r.h.Wait("maintenance saved", func(s kiosk.Snapshot) bool {
		return s.Staff != nil && s.Staff.Result == kiosk.MsgStaffSaved && !s.Busy && s.Staff.Overview.Maintenance
	})
	r.h.Press(kiosk.EvMaintenanceOn) // the store's switch, as cmd/kiosk's poller posts it
	if s := r.sync(); s.State != kiosk.StateStaff {
		t.Fatalf("maintenance threw staff out: %s", s.State)
	}
	r.seesKeys("staff.maintenance_off")
	r.tap(r.tr("staff.page_health"))
	r.h.Wait("health page", func(s kiosk.Snapshot) bool {
		return s.Staff != nil && s.Staff.Page == kiosk.StaffPageHealth && !s.Busy
	})
	r.sync()
	r.seesKeys("staff.under_maintenance")

	// Leave: out of service for residents.
	r.tap(r.tr("staff.leave"))
	s = r.until(kiosk.StateOutOfService)
	if s.Message != kiosk.ReasonMaintenance || s.Staff != nil {
		t.Fatalf("after leaving: %s %+v", s.Message, s.Staff)
	}
	r.seesKeys("reason.maintenance")

	// Back in from the out-of-service screen, maintenance off, leave: attract.
	r.enterStaff()
	r.tap(r.tr("staff.maintenance_off"))
	r.h.Wait("maintenance off", func(s kiosk.Snapshot) bool {
		return s.Staff != nil && s.Staff.Result == kiosk.MsgStaffSaved && !s.Busy && !s.Staff.Overview.Maintenance
	})
	r.h.Press(kiosk.EvMaintenanceOff)
	r.sync()
	r.tap(r.tr("staff.leave"))
	// Attract, with nothing of staff mode left on screen or in the UI.
	r.leavesNoTrace(kiosktest.DefaultStaffPIN, "Staff mode")

	want := []string{"face by " + kiosktest.DefaultStaffID, "maintenance on by " + kiosktest.DefaultStaffID, "maintenance off by " + kiosktest.DefaultStaffID}
	if got := r.h.Staff.Log(); !slices.Equal(got, want) {
		t.Errorf("desk calls %v, want %v", got, want)
	}
	var audit []string
	for _, e := range r.h.Store.Events() {
		if strings.HasPrefix(e.Action, "staff.") {
			audit = append(audit, e.Actor+" "+e.Action+" "+e.Detail)
		}
	}
	if n := strings.Count(strings.Join(audit, "\n"), "staff.enter by=gesture"); n != 2 {
		t.Errorf("%d gesture entries audited, want 2:\n%s", n, strings.Join(audit, "\n"))
	}
}

// TestStaffGestureNeedsFiveQuickTaps: a resident touching the kiosk's name does not
// open the staff PIN screen: four taps are not enough, nor five spread over more than
// the gesture's window.
func TestStaffGestureNeedsFiveQuickTaps(t *testing.T) {
	for _, tc := range []struct {
		name  string
		taps  int
		pause time.Duration
		opens bool
	}{
		// The numbers are the specification (issue 13: five taps), not staffGestureTaps.
		{"five quick taps", 5, 0, true},
		{"four taps", 4, 0, false},
		// Five taps, the first older than the window by the fifth.
		{"five slow taps", 5, staffGestureWindow/4 + 100*time.Millisecond, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRun(t, nil)
			r.tapTitle(tc.taps, tc.pause)
			s := r.sync()
			if opened := s.State == kiosk.StateStaffPIN; opened != tc.opens {
				t.Fatalf("%d taps %v apart: state %s", tc.taps, tc.pause, s.State)
			}
			if !tc.opens && strings.Contains(r.markup(), r.tr("screen.staff_pin")) {
				t.Errorf("the staff sign-in shows after %d taps %v apart", tc.taps, tc.pause)
			}
			var n int
			for _, e := range r.h.Store.Events() {
				if e.Action == "staff.gesture" {
					n++
				}
			}
			if (n == 1) != tc.opens {
				t.Errorf("%d staff.gesture rows audited", n)
			}
		})
	}
}
