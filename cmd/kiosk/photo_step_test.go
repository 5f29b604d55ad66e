package main

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"

	"github.com/macau-dsi/kiosk/config"
	"github.com/macau-dsi/kiosk/facematch"
	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
)

// TestPhotoStepWithTheRealChecker: the session's photo step on the real face
// pipeline (the ONNX models in OpenCV, the portrait checks, the match against the
// card photo), with a camera that shows the committed plain-background portrait
// (an image folder) and a card whose chip photo is the demo card's (the same person).
// The crop the resident accepts is the one in the application. Card, store and back
// office are the session's fakes: the real ones are TestServicesEndToEnd's, whose
// recorded camera has a backdrop the checks refuse.
func TestPhotoStepWithTheRealChecker(t *testing.T) {
	models := config.DefaultModelsDir()
	if _, err := os.Stat(filepath.Join(models, facematch.ModelDetect)); err != nil {
		t.Skipf("face models not fetched (run `make models`): %v", err)
	}
	eng, err := facematch.NewEngine(models, facematch.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	dir := t.TempDir()
	good, err := os.ReadFile("../../facematch/testdata/portrait/good.jpg")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 6; i++ {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%02d.jpg", i)), good, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	src, err := facematch.OpenImages(dir, 10, facematch.SourceOptions{Loop: true})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	cam, err := facematch.NewVerifier(eng, facematch.VerifierOptions{Source: src})
	if err != nil {
		t.Fatal(err)
	}
	chip, err := os.ReadFile("../../cardio/emulator/profiles/demo.jpg")
	if err != nil {
		t.Fatal(err)
	}

	h := kiosktest.NewHarness(t)
	read := kiosktest.Resident("1234567(8)", kiosktest.Day(1990, 5, 10), kiosktest.Day(2020, 1, 15), kiosktest.Day(2026, 9, 30))
	read.Holder.Photo = kiosk.FacePhoto{Format: "jpeg", Data: chip}
	h.Card = kiosktest.NewCard(read, kiosktest.DefaultPIN, 3)
	h.PhotoPort = cam
	h.Start()
	h.ToMenu()
	h.Post(kiosk.Event{Kind: kiosk.EvChooseService, Service: kiosk.ServiceIDRenewal})
	h.WaitState(kiosk.StateCheckData)
	h.Press(kiosk.EvContinue)
	h.WaitState(kiosk.StatePhoto)
	s := h.WaitState(kiosk.StatePhotoReview)
	if s.Photo == nil || len(s.Photo.JPEG) < 10_000 || s.Message != "" {
		t.Fatalf("review: %+v, message %q", s.Photo, s.Message)
	}
	shown := bytes.Clone(s.Photo.JPEG)
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(shown))
	if err != nil || cfg.Width != facematch.PortraitWidth || cfg.Height != facematch.PortraitHeight {
		t.Fatalf("the crop shown: %v %+v", err, cfg)
	}
	h.Press(kiosk.EvContinue)
	h.WaitState(kiosk.StateServiceForm)
	h.Fill(kiosk.FieldCollectionOffice, "office_central", kiosk.FieldPhoneNumber, "66123456")
	h.Press(kiosk.EvContinue)
	h.WaitState(kiosk.StateSummary)
	h.Press(kiosk.EvConfirm)
	h.Pay(kiosk.PaymentQR)
	h.WaitState(kiosk.StateDone)
	msg, _ := h.OnlyApplication()
	if msg.Photo == nil || msg.Photo.Source != kiosk.PhotoSourceKiosk || !bytes.Equal(msg.Photo.JPEG, shown) {
		t.Errorf("the application's photo is not the crop the resident accepted")
	}
}
