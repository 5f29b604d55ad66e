package app

import (
	"image"
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"

	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
)

// facePicturesOn finds the face screen's oval rasters and camera previews (the
// images showing a frame, or the empty one beside the oval) on the window.
func facePicturesOn(w fyne.Window) (rasters []*canvas.Raster, previews []*canvas.Image) {
	walk(w.Content(), func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *canvas.Raster:
			rasters = append(rasters, x)
		case *canvas.Image:
			if _, ok := x.Image.(mirror); ok || (x.Resource == nil && x.File == "" && x.Image == nil) {
				previews = append(previews, x)
			}
		}
	})
	return rasters, previews
}

// TestFaceScreenReusesItsPictures: the face screen is rebuilt whenever the guidance or
// the challenge changes, and Fyne keeps every object it drew, with its texture, for a
// minute (FYNE_CACHE). A new preview and oval per build each held a frame, a bitmap
// the size of the preview and their textures: the real kiosk's RSS doubled over its
// first sessions (BenchmarkDemoProcessRSS in cmd/kiosk). Every build must show the
// same two objects, and the preview must not keep a resident's face once the face
// screen is gone.
func TestFaceScreenReusesItsPictures(t *testing.T) {
	base := kiosktest.Samples(kiosk.LangEN)[kiosk.StateFace]
	frame := image.NewRGBA(image.Rect(0, 0, 64, 48))
	frame.Set(1, 1, color.White)
	flow := kiosktest.NewFlow(base)
	u, w := newTestUI(t, flow)

	steps := []struct {
		guidance  kiosk.Guidance
		challenge kiosk.Challenge
	}{
		{kiosk.GuideNoFace, ""},
		{kiosk.GuideMoveCloser, ""},
		{kiosk.GuideOK, ""},
		{kiosk.GuideOK, kiosk.ChallengeTurnLeft},
		{kiosk.GuideHoldStill, kiosk.ChallengeTurnLeft},
		{kiosk.GuideCentre, kiosk.ChallengeBlink},
	}
	var raster *canvas.Raster
	var preview *canvas.Image
	seq := uint64(1)
	for round := 0; round < 3; round++ {
		for _, st := range steps {
			s := base
			s.Seq = seq
			seq++
			s.Face.Guidance, s.Face.Challenge = st.guidance, st.challenge
			s.Face.Frame = &kiosk.Frame{Image: frame, Seq: seq}
			u.Render(s)
			rasters, previews := facePicturesOn(w)
			if len(rasters) != 1 || len(previews) != 1 {
				t.Fatalf("%s/%s: %d oval rasters and %d previews on the face screen, want one of each", st.guidance, st.challenge, len(rasters), len(previews))
			}
			if raster == nil {
				raster, preview = rasters[0], previews[0]
			}
			if rasters[0] != raster || previews[0] != preview {
				t.Fatalf("round %d, %s/%s: the face screen made a new oval or preview; Fyne keeps each old one (bitmap, frame, texture) for a minute", round, st.guidance, st.challenge)
			}
			if m, ok := preview.Image.(mirror); !ok || m.Image != frame {
				t.Fatalf("%s/%s: the preview shows %T, want the camera frame mirrored", st.guidance, st.challenge, preview.Image)
			}
		}
	}

	// The oval takes the guidance's colour: green when the face is right.
	ring := func() color.Color {
		img := raster.Generator(400, 300).(*image.NRGBA)
		for x := 0; x < 400; x++ {
			if c := img.NRGBAAt(x, 150); c.A == 0xff {
				return c
			}
		}
		t.Fatal("no ring drawn across the middle of the oval")
		return nil
	}
	same := func(a, b color.Color) bool {
		r1, g1, b1, _ := a.RGBA()
		r2, g2, b2, _ := b.RGBA()
		return r1 == r2 && g1 == g2 && b1 == b2
	}
	for _, g := range []kiosk.Guidance{kiosk.GuideOK, kiosk.GuideNoFace, kiosk.GuideHoldStill} {
		s := base
		s.Seq, s.Face.Guidance = seq, g
		seq++
		u.Render(s)
		if got := ring(); !same(got, guideColour(g)) {
			t.Errorf("guidance %s: ring %v, want %v", g, got, guideColour(g))
		}
	}

	// Leaving the face screen drops the frame, and the next resident's face screen
	// starts empty.
	res := kiosktest.Samples(kiosk.LangEN)[kiosk.StateFaceResult]
	res.Seq = seq
	seq++
	u.Render(res)
	if preview.Image != nil {
		t.Errorf("after the face screen the preview still holds %T", preview.Image)
	}
	next := base
	next.Seq = seq
	u.Render(next)
	if _, previews := facePicturesOn(w); len(previews) != 1 || previews[0].Image != nil {
		t.Errorf("the next face screen, before any frame, shows %v", previews)
	}
}
