package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	kioskapp "github.com/macau-dsi/kiosk/app"
	"github.com/macau-dsi/kiosk/facematch"
)

// The DEMO banner's eID button: the resident holds the One Account app's code up to
// the camera. The code is a fresh one from the demo's reference back office
// (`kiosk-backoffice app eid-qr`, the app's side for testers) for the seeded eID
// resident, whose reference photo is the face of the demo's recording; the phone is
// held in front of the recording for demoHoldUp, then the face comes back for the
// face step.

// demoEIDResident is the card number of the seeded resident with a bound eID and the
// recordings' face (cardio/emulator/testdata/eid-hopper.yaml).
const demoEIDResident = "52468013"

// demoHoldUp is how long the phone stays in front of the camera: long enough for the
// scanner (5 decodes a second: the first frame is decoded at once), short enough to be
// gone soon after the face step starts, as a resident lowers the phone (the still
// picture's frames repeat exactly, which the injected-video checks count against a
// face attempt).
const demoHoldUp = 1200 * time.Millisecond

// eidCode asks the demo's back office for a fresh eID code of the demo's eID
// resident, valid for validFor.
func (h *demoHands) eidCode(ctx context.Context, validFor time.Duration) (string, error) {
	if h.bo == nil {
		return "", errors.New("demo: no back office")
	}
	out, err := h.bo.tool(ctx, "app", "eid-qr", "--resident", demoEIDResident, "--subject-key", h.subjectKey,
		"--valid-for", validFor.String())
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(out), nil
}

// holdUp shows code on a phone in front of the camera for d.
func (h *demoHands) holdUp(code string, d time.Duration) error {
	if h.heldUp == nil {
		return errors.New("demo: the camera is not the recording (--camera): hold a real phone up")
	}
	info := h.heldUp.Info()
	w, ht := info.Width, info.Height
	if w <= 0 || ht <= 0 {
		w, ht = 640, 480
	}
	pic, err := facematch.PhonePicture(code, w, ht)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	return h.heldUp.Show(pic, d)
}

// The DEMO banner shows the button because the demo's hands can do it.
var _ kioskapp.DemoEID = (*demoHands)(nil)

// ShowEID is the banner's button (app.DemoEID).
func (h *demoHands) ShowEID() {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		code, err := h.eidCode(ctx, time.Minute)
		if err == nil {
			err = h.holdUp(code, demoHoldUp)
		}
		if err != nil {
			slog.Warn("demo: eID code", "error", err) // the error names no code: the tool's output is not in it on success
		}
	}()
}
