package app

import (
	"image"
	"image/color"
	"slices"
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
			if _, ok := x.Image.(*image.RGBA); ok || (x.Resource == nil && x.File == "" && x.Image == nil) {
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
	white := color.RGBA{0xff, 0xff, 0xff, 0xff}
	frame.SetRGBA(1, 1, white)
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
			if img, ok := preview.Image.(*image.RGBA); !ok || img.RGBAAt(62, 1) != white {
				t.Fatalf("%s/%s: the preview shows %T, want the camera frame mirrored into an *image.RGBA", st.guidance, st.challenge, preview.Image)
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
	if buf := u.facePics.buf; buf == nil || slices.ContainsFunc(buf.Pix, func(b byte) bool { return b != 0 }) {
		t.Error("after the face screen the preview's buffer still holds the last frame")
	}
	next := base
	next.Seq = seq
	u.Render(next)
	if _, previews := facePicturesOn(w); len(previews) != 1 || previews[0].Image != nil {
		t.Errorf("the next face screen, before any frame, shows %v", previews)
	}
}

func TestMirrorInto(t *testing.T) {
	// A 3×2 picture with a different grey in every pixel, as any image type.
	src := func(set func(x, y int, c color.Color), min image.Point) {
		for y := 0; y < 2; y++ {
			for x := 0; x < 3; x++ {
				set(min.X+x, min.Y+y, color.RGBA{uint8(10*y + x), 0, 0, 0xff})
			}
		}
	}
	rgba := image.NewRGBA(image.Rect(0, 0, 3, 2))
	src(func(x, y int, c color.Color) { rgba.Set(x, y, c) }, image.Point{})
	big := image.NewRGBA(image.Rect(0, 0, 10, 10)) // a sub-image: bounds not at 0,0, stride wider
	src(func(x, y int, c color.Color) { big.Set(x, y, c) }, image.Pt(4, 5))
	nrgba := image.NewNRGBA(image.Rect(2, 3, 5, 5))
	src(func(x, y int, c color.Color) { nrgba.Set(x, y, c) }, image.Pt(2, 3))
	for _, tc := range []struct {
		name string
		img  image.Image
	}{
		{"RGBA", rgba},
		{"RGBA sub-image", big.SubImage(image.Rect(4, 5, 7, 7))},
		{"NRGBA off the origin", nrgba},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := image.NewRGBA(image.Rect(0, 0, 3, 2))
			mirrorInto(dst, tc.img)
			for y := 0; y < 2; y++ {
				for x := 0; x < 3; x++ {
					if got, want := dst.RGBAAt(x, y).R, uint8(10*y+2-x); got != want {
						t.Errorf("(%d,%d) = %d, want %d (the pixel mirrored from the other side)", x, y, got, want)
					}
				}
			}
		})
	}
}
