package app

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/macau-dsi/kiosk/kiosk"
)

// The new-photo step (kiosk/photo.go): the live camera with the portrait checks'
// guidance, then the crop to accept or retake, or the resident's My Photo instead.

// photoScreen draws the photo step's two screens.
func (u *UI) photoScreen(s kiosk.Snapshot) fyne.CanvasObject {
	if s.Photo == nil {
		return u.busyScreen(s)
	}
	if s.State == kiosk.StatePhotoReview {
		return u.photoReview(s)
	}
	return u.photoLive(s)
}

// photoLive: the mirrored preview under the oval, as on the face screen (the same
// reused picture objects), and beside it what to fix first.
func (u *UI) photoLive(s kiosk.Snapshot) fyne.CanvasObject {
	p := s.Photo
	g := p.Guidance
	pics := u.faceObjects(guideColour(g))
	u.onLive(func(s kiosk.Snapshot) {
		if s.Face.Frame == nil {
			pics.show(nil)
			return
		}
		pics.show(s.Face.Frame.Image)
	})
	left := container.NewStack(canvas.NewRectangle(color.Black), pics.preview, pics.guide)

	// No title here: the preview takes the room, as on the face screen, and the
	// words on the right are what to do now.
	right := []fyne.CanvasObject{body(u.tf(s, "photo.try", map[string]any{"Attempt": p.Try, "Max": p.MaxTries}))}
	if g == "" {
		right = append(right, subheading(u.t(s, "face.starting")))
	} else {
		if icon, ok := guidanceIcons[g]; ok {
			right = append(right, container.NewCenter(bigIcon(icon.in(guideColour(g)), 100)))
		}
		right = append(right, subheading(u.t(s, string(kiosk.GuidanceKey(g)))))
	}
	right = append(right, body(u.t(s, "photo.hint")))
	if p.MyPhoto {
		u.action(u.t(s, "photo.use_my_photo"), widget.MediumImportance, 380, kiosk.Event{Kind: kiosk.EvUseMyPhoto})
	}
	u.backAction(s)
	// column sets each line's width before asking its height: wrapped lines in a
	// plain box overlapped at large text.
	rightBox := container.New(minSize{560, 0}, column(560, right...))
	return container.NewBorder(nil, nil, nil, rightBox, left)
}

// photoReview shows the crop as it will be printed (35:45), or says that none could
// be taken, with the ways on: use it, take another, My Photo, or the counter.
func (u *UI) photoReview(s kiosk.Snapshot) fyne.CanvasObject {
	p := s.Photo
	var left fyne.CanvasObject
	var right []fyne.CanvasObject
	right = append(right, heading(u.t(s, string(kiosk.ScreenKey(s.State)))))
	img := decodePortrait(p.JPEG)
	if img != nil {
		pic := canvas.NewImageFromImage(img)
		pic.FillMode = canvas.ImageFillContain
		pic.SetMinSize(fyne.NewSize(280, 360)) // the document's 35:45
		left = pic
		right = append(right, subheading(u.t(s, "photo.question")))
	} else {
		left = bigIcon(theme.NewErrorThemedResource(theme.CancelIcon()), 200)
		right = append(right, subheading(u.t(s, string(s.Message))))
		if p.Guidance != "" && p.Guidance != kiosk.GuideOK {
			right = append(right, body(u.t(s, string(kiosk.GuidanceKey(p.Guidance)))))
		}
	}
	if p.TriesLeft > 0 {
		right = append(right, body(u.tf(s, "photo.tries_left", map[string]any{"Left": p.TriesLeft})))
	} else {
		right = append(right, body(u.t(s, "photo.no_tries")))
	}
	if p.MyPhoto {
		// Under the picture rather than in the bottom bar: with End, Take another and
		// Use this photo there, a fourth button does not fit the 1280 panel; and the
		// words' column is the taller one at large text.
		my := barButton(u.t(s, "photo.use_my_photo"), widget.MediumImportance, func() { u.post(kiosk.Event{Kind: kiosk.EvUseMyPhoto}) })
		left = container.NewVBox(left, container.NewCenter(container.New(minSize{380, minTouch}, my)))
	}
	switch {
	case img != nil:
		if p.TriesLeft > 0 {
			u.action(u.t(s, "photo.retake"), widget.MediumImportance, 300, kiosk.Event{Kind: kiosk.EvRetakePhoto})
		}
		u.continueAction(s, "photo.accept")
	case p.TriesLeft > 0:
		u.continueAction(s, "photo.try_again")
	default:
		u.continueAction(s, "chrome.continue") // to the counter
	}
	// The picture on the left, the words on the right, as the data check lays out its
	// two halves: wrapped lines keep their height in a grid column.
	return container.NewGridWithColumns(2, container.NewCenter(left), column(760, right...))
}

// decodePortrait decodes the crop for display; nil when there is none or it does not
// decode (the screen then says no photo was taken rather than show a broken one).
func decodePortrait(b []byte) image.Image {
	if len(b) == 0 {
		return nil
	}
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		return nil
	}
	return img
}
