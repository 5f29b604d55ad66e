package app

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/macau-dsi/kiosk/kiosk"
)

// The eID start's screens (issue 11 §4): the offer on the insert-card screen, the
// scan with the camera's preview, the check and the refusal with its reason.

// iconPhoneQR is a phone showing a QR code: "hold your eID code to the camera".
var iconPhoneQR = svgIcon("phone_qr", `<rect x="6" y="1.5" width="12" height="21" rx="2"/><path d="M10.5 20h3"/><rect x="8.5" y="5" width="3" height="3"/><rect x="12.5" y="5" width="3" height="3"/><rect x="8.5" y="10" width="3" height="3"/><path d="M12.5 10h1.5v1.5h1.5V13M12.5 12.5v.5"/>`)

// eidScreen draws the eID start's screens; ok is false for any other state.
func (u *UI) eidScreen(s kiosk.Snapshot) (fyne.CanvasObject, bool) {
	switch s.State {
	case kiosk.StateEIDScan:
		return u.eidScan(s), true
	case kiosk.StateEIDCheck:
		return u.eidCheck(s), true
	case kiosk.StateEIDProblem:
		return u.eidProblem(s), true
	}
	return nil, false
}

// eidOffer puts "use my eID instead" in the insert-card screen's bottom bar, when
// this kiosk has the eID start.
func (u *UI) eidOffer(s kiosk.Snapshot) {
	if s.EIDOffered {
		u.action(u.t(s, "insert.eid_offer"), widget.HighImportance, 380, kiosk.Event{Kind: kiosk.EvEIDStart})
	}
}

// useCardAction: back to the insert-card screen.
func (u *UI) useCardAction(s kiosk.Snapshot) {
	u.action(u.t(s, "eid.use_card"), widget.MediumImportance, 300, kiosk.Event{Kind: kiosk.EvBack})
}

// eidScan: the camera's picture (mirrored, as the face screen's, so the phone moves
// the way the resident moves it) beside what to do. The preview is the face screen's
// own canvas image (see facePictures): no second texture per frame.
func (u *UI) eidScan(s kiosk.Snapshot) fyne.CanvasObject {
	pics := u.faceObjects(primary())
	u.onLive(func(s kiosk.Snapshot) {
		if s.EID == nil || s.EID.Frame == nil {
			pics.show(nil)
			return
		}
		pics.show(s.EID.Frame.Image)
	})
	left := container.NewStack(canvas.NewRectangle(color.Black), pics.preview)
	// The title spans the width above (a title wrapped in the narrow column would
	// overlap the words under it); the preview and the instructions share the rest.
	right := []fyne.CanvasObject{body(u.t(s, "eid.scan_hint"))}
	if !s.LargeText {
		// The phone is a picture of the words; large text needs its room.
		right = append([]fyne.CanvasObject{container.NewCenter(bigIcon(iconPhoneQR.in(primary()), 160))}, right...)
	}
	u.useCardAction(s)
	return container.NewBorder(heading(u.t(s, string(kiosk.ScreenKey(s.State)))), nil, nil,
		container.NewCenter(container.New(minSize{520, 0}, container.NewVBox(right...))), left)
}

func (u *UI) eidCheck(s kiosk.Snapshot) fyne.CanvasObject {
	act := widget.NewActivity()
	act.Start()
	return column(1200,
		container.NewCenter(container.New(minSize{160, 160}, act)),
		heading(u.t(s, string(kiosk.ScreenKey(s.State)))),
		subheading(u.t(s, "eid.checking")))
}

// eidProblem says why the code was refused, and offers a fresh code or the card.
func (u *UI) eidProblem(s kiosk.Snapshot) fyne.CanvasObject {
	u.useCardAction(s)
	u.action(u.t(s, "eid.try_again"), widget.HighImportance, 380, kiosk.Event{Kind: kiosk.EvContinue})
	return u.message(s, theme.NewErrorThemedResource(theme.ErrorIcon()), string(s.Message), "")
}

// DemoEID is implemented by demo controls that can hold the One Account app's eID
// code up to the (recorded) camera: the DEMO banner then shows the button on the eID
// scan screen.
type DemoEID interface {
	ShowEID()
}

// demoEIDButton is that button, or nothing.
func (u *UI) demoEIDButton(s kiosk.Snapshot) []fyne.CanvasObject {
	d, ok := u.demo.(DemoEID)
	if !ok || s.State != kiosk.StateEIDScan {
		return nil
	}
	return []fyne.CanvasObject{touch(touchButton(u.t(s, "demo.show_eid"), widget.MediumImportance, d.ShowEID))}
}
