package app

import (
	"fmt"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/macau-dsi/kiosk/kiosk"
)

// The staff screens: entered with a staff card and its PIN, or with the hidden gesture
// (five quick taps on the kiosk's name in the top bar, on the attract or out-of-service
// screen) and the staff PIN. Their words follow the kiosk's language like every screen.

// staffGestureTaps within staffGestureWindow open the staff PIN screen.
const (
	staffGestureTaps   = 5
	staffGestureWindow = 3 * time.Second
)

// withStaffGesture makes the title count taps where the gesture is allowed. The button
// is invisible (a plain title to residents) and needs five taps, so a resident touching
// it by chance changes nothing.
func (u *UI) withStaffGesture(s kiosk.Snapshot, title fyne.CanvasObject) fyne.CanvasObject {
	if s.State != kiosk.StateAttract && s.State != kiosk.StateOutOfService {
		return title
	}
	tap := widget.NewButton("", func() {
		now := time.Now()
		keep := u.gestureTaps[:0]
		for _, t := range u.gestureTaps {
			if now.Sub(t) < staffGestureWindow {
				keep = append(keep, t)
			}
		}
		u.gestureTaps = append(keep, now)
		if len(u.gestureTaps) >= staffGestureTaps {
			u.gestureTaps = u.gestureTaps[:0]
			u.post(kiosk.Event{Kind: kiosk.EvStaffGesture})
		}
	})
	tap.Importance = widget.LowImportance
	return container.NewStack(tap, title)
}

func (u *UI) staffPIN(s kiosk.Snapshot) fyne.CanvasObject {
	v := s.StaffPIN
	if v == nil {
		return u.busyScreen(s)
	}
	hint := "staff.pin_hint"
	if v.ByCard {
		hint = "staff.pin_hint_card"
	}
	left := []fyne.CanvasObject{heading(u.t(s, string(kiosk.ScreenKey(s.State)))), body(u.t(s, hint)),
		dots(s.PINLength, max(s.PINDigits, s.PINLength))}
	if !v.LockedUntil.IsZero() {
		left = append(left, warning(u.tf(s, "staff.locked_until", map[string]any{"Time": v.LockedUntil.In(kiosk.MacauTime).Format("15:04")})))
	} else {
		left = append(left, subheading(u.tr.N(s.Language, "staff.tries_left", v.TriesLeft, nil)))
	}
	if s.Notice != "" {
		left = append(left, warning(u.t(s, string(s.Notice))))
	}
	if s.Busy {
		left = append(left, subheading(u.t(s, "chrome.busy")))
	}
	kp := keypad{
		OnDigit:  func(d string) { u.post(kiosk.Event{Kind: kiosk.EvPINDigit, Value: d}) },
		OnDelete: func() { u.post(kiosk.Event{Kind: kiosk.EvPINBackspace}) },
		OnOK:     func() { u.post(kiosk.Event{Kind: kiosk.EvPINSubmit}) },
		OKOn:     s.PINLength > 0 && !s.Busy && v.LockedUntil.IsZero(),
	}
	u.action(u.t(s, "staff.leave"), widget.MediumImportance, 320, kiosk.Event{Kind: kiosk.EvCancel})
	return container.NewGridWithColumns(2,
		container.NewCenter(container.New(minSize{760, 0}, container.NewVBox(left...))),
		container.NewCenter(kp.build(u.keypadLabels(s))))
}

// staffHome: tabs for the pages, the page, the result of the last action, and the
// actions in the bottom bar.
func (u *UI) staffHome(s kiosk.Snapshot) fyne.CanvasObject {
	v := s.Staff
	if v == nil {
		return u.busyScreen(s)
	}
	var tabs []fyne.CanvasObject
	for _, p := range []struct{ page, key string }{
		{kiosk.StaffPageHealth, "staff.page_health"}, {kiosk.StaffPageAudit, "staff.page_audit"}, {kiosk.StaffPageFace, "staff.page_face"},
	} {
		p := p
		b := touchButton(u.t(s, p.key), widget.MediumImportance, func() {
			u.post(kiosk.Event{Kind: kiosk.EvStaffPage, Value: p.page})
		})
		if v.Page == p.page {
			b.Importance = widget.HighImportance
		}
		tabs = append(tabs, touchW(b, 300))
	}
	// One row for who and where, one for the result: the page keeps the height.
	title := widget.NewLabel(u.tf(s, "staff.title", map[string]any{"ID": v.ID}))
	title.SizeName = theme.SizeNameHeadingText
	title.TextStyle = fyne.TextStyle{Bold: true}
	items := []fyne.CanvasObject{container.NewBorder(nil, nil, title, container.NewHBox(tabs...))}
	// The result of the last action sits above the page, where it is seen.
	if v.Result != "" {
		line := u.t(s, string(v.Result))
		if v.Detail != "" {
			line += " " + v.Detail
		}
		if v.Result == kiosk.MsgStaffFailed || v.Result == kiosk.MsgStaffInvalid {
			items = append(items, warning(line))
		} else {
			items = append(items, subheading(line))
		}
	}
	switch v.Page {
	case kiosk.StaffPageAudit:
		items = append(items, u.staffAudit(s, v))
	case kiosk.StaffPageFace:
		items = append(items, u.staffFace(s, v))
	default:
		items = append(items, u.staffHealth(s, v))
	}
	maint := kiosk.Event{Kind: kiosk.EvStaffAction, Value: kiosk.StaffActMaintenanceOn}
	maintKey := "staff.maintenance_on"
	if v.Overview.Maintenance {
		maint.Value, maintKey = kiosk.StaffActMaintenanceOff, "staff.maintenance_off"
	}
	u.action(u.t(s, maintKey), widget.HighImportance, 380, maint)
	u.action(u.t(s, "staff.leave"), widget.MediumImportance, 300, kiosk.Event{Kind: kiosk.EvStaffExit})
	return container.NewPadded(container.NewVBox(items...))
}

func (u *UI) staffHealth(s kiosk.Snapshot, v *kiosk.StaffView) fyne.CanvasObject {
	act := func(key, what string) fyne.CanvasObject {
		return touchW(touchButton(u.t(s, key), widget.MediumImportance, func() {
			u.post(kiosk.Event{Kind: kiosk.EvStaffAction, Value: what})
		}), 300)
	}
	// Form layouts size each column to its content: equal-width grids of long
	// Portuguese labels would push the screen past 1920 px.
	health := container.New(layout.NewFormLayout())
	for _, h := range v.Overview.Health {
		state := widget.NewLabel(u.t(s, "staff.ok"))
		state.Importance = widget.SuccessImportance
		if !h.OK {
			state = widget.NewLabel(u.t(s, "staff.fail"))
			state.Importance = widget.DangerImportance
		}
		state.TextStyle = fyne.TextStyle{Bold: true}
		name := widget.NewLabel(u.t(s, "staff.health."+h.Name))
		detail := widget.NewLabel(h.Detail)
		detail.Truncation = fyne.TextTruncateEllipsis
		health.Add(name)
		health.Add(container.NewBorder(nil, nil, state, nil, detail))
	}
	counts := container.New(layout.NewFormLayout())
	for _, c := range v.Overview.Counts {
		counts.Add(widget.NewLabel(u.t(s, "staff.count."+c.Name)))
		n := widget.NewLabel(strconv.Itoa(c.Value))
		n.TextStyle = fyne.TextStyle{Bold: true, Monospace: true}
		counts.Add(n)
	}
	maint := u.t(s, "staff.in_service")
	if v.Overview.Maintenance {
		maint = u.t(s, "staff.under_maintenance")
	}
	status := widget.NewLabel(maint)
	status.TextStyle = fyne.TextStyle{Bold: true}
	return container.NewVBox(
		container.NewBorder(nil, nil, status, container.NewHBox(act("staff.export", kiosk.StaffActExport), act("staff.restart", kiosk.StaffActRestart))),
		container.NewGridWithColumns(2,
			container.NewVBox(subheading(u.t(s, "staff.health")), health),
			container.NewVBox(subheading(u.t(s, "staff.today")), counts)))
}

func (u *UI) staffAudit(s kiosk.Snapshot, v *kiosk.StaffView) fyne.CanvasObject {
	var check fyne.CanvasObject = subheading(u.tf(s, "staff.audit_ok", map[string]any{"Rows": v.Check.Rows}))
	if !v.Check.OK {
		check = warning(u.tf(s, "staff.audit_broken", map[string]any{"Problem": v.Check.Problem}))
	}
	rows := container.NewVBox()
	for _, e := range v.Audit {
		l := widget.NewLabel(fmt.Sprintf("%s  %-14s %-22s %s", e.At.In(kiosk.MacauTime).Format("01-02 15:04:05"), e.Actor, e.Action, e.Detail))
		l.TextStyle = fyne.TextStyle{Monospace: true}
		l.Truncation = fyne.TextTruncateEllipsis
		rows.Add(l)
	}
	refresh := touchButton(u.t(s, "staff.refresh"), widget.MediumImportance, func() {
		u.post(kiosk.Event{Kind: kiosk.EvStaffAction, Value: kiosk.StaffActRefresh})
	})
	return container.NewVBox(container.NewHBox(check, touchW(refresh, 260)), rows)
}

// staffFace edits the face thresholds with a keypad that has a decimal point.
func (u *UI) staffFace(s kiosk.Snapshot, v *kiosk.StaffView) fyne.CanvasObject {
	if u.focus != "match" && u.focus != "detect" {
		u.focus = "match"
	}
	field := func(name, label string, lo, hi float64) fyne.CanvasObject {
		l := widget.NewLabel(u.tf(s, label, map[string]any{"Min": fmt.Sprintf("%.2f", lo), "Max": fmt.Sprintf("%.2f", hi)}))
		val := widget.NewLabel(v.Draft[name])
		val.SizeName = theme.SizeNameSubHeadingText
		val.TextStyle = fyne.TextStyle{Monospace: true, Bold: true}
		imp := widget.LowImportance
		if u.focus == name {
			imp = widget.MediumImportance
		}
		tap := touchButton("", imp, func() { u.focus = name; u.rerender() })
		return container.NewVBox(l, container.NewStack(touch(tap), container.NewPadded(val)))
	}
	cur := func() string { return v.Draft[u.focus] }
	set := func(val string) { u.post(kiosk.Event{Kind: kiosk.EvStaffInput, Field: u.focus, Value: val}) }
	kp := keypad{
		OnDigit: func(d string) { set(cur() + d) },
		OnDelete: func() {
			if c := cur(); c != "" {
				set(c[:len(c)-1])
			}
		},
		OnClear: func() { set("") },
		Extra:   ".",
	}
	save := bigButton(u.t(s, "staff.save"), widget.HighImportance, func() {
		u.post(kiosk.Event{Kind: kiosk.EvStaffAction, Value: kiosk.StaffActSaveFace})
	})
	left := container.NewVBox(
		field("match", "staff.face_match", kiosk.MinMatchThreshold, kiosk.MaxMatchThreshold),
		field("detect", "staff.face_detect", kiosk.MinDetectThreshold, kiosk.MaxDetectThreshold),
		body(u.t(s, "staff.face_note")),
		container.New(minSize{360, minTouch}, save))
	return container.NewGridWithColumns(2, left, container.NewCenter(kp.build(u.keypadLabels(s))))
}
