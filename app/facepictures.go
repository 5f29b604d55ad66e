package app

import (
	"image"
	"image/color"
	"image/draw"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
)

// facePictures are the face screen's two big canvas objects, the camera preview and
// the oval guide over it, made once per UI and reused by every build of the screen.
//
// The face screen is rebuilt whenever its guidance or challenge changes, many times a
// session, and Fyne keeps every object it has drawn, with its OpenGL texture, for a
// minute after it was last shown (FYNE_CACHE). A fresh preview and oval per build
// each held a camera frame, a full-size bitmap and their textures for that minute:
// the real kiosk's RSS doubled over its first sessions and stayed there
// (BenchmarkDemoProcessRSS in cmd/kiosk measures it). Only the preview's texture and
// one oval bitmap now exist, whatever the number of builds.
//
// Both are only touched on Fyne's goroutine (Render and painting).
type facePictures struct {
	preview *canvas.Image
	guide   *canvas.Raster
	oval    ovalGuide
	buf     *image.RGBA // the mirrored frame the preview shows
}

// faceObjects returns the UI's face-screen objects, making them on first use, with
// the preview empty and the oval in ring's colour.
func (u *UI) faceObjects(ring color.Color) *facePictures {
	p := u.facePics
	if p == nil {
		p = &facePictures{preview: canvas.NewImageFromImage(nil)}
		p.preview.FillMode = canvas.ImageFillContain
		p.preview.ScaleMode = canvas.ImageScaleFastest
		p.preview.SetMinSize(fyne.NewSize(640, 480)) // grows with the room; 640 leaves the guidance its column on a 1280 panel
		p.guide = canvas.NewRaster(p.oval.draw)
		u.facePics = p
	}
	if p.oval.setRing(ring) {
		p.guide.Refresh() // Fyne keeps the old texture until told
	}
	return p
}

// show puts frame (nil: nothing) in the preview, mirrored into the preview's own
// *image.RGBA. That type Fyne's painter uploads as it is; any other (a mirroring
// wrapper, say) it first copied into a new RGBA through At, pixel by pixel, for every
// frame: a frame's worth of garbage and ~300k interface calls 30 times a second. The
// buffer is reused: only the painter reads it, on this same goroutine.
func (p *facePictures) show(frame image.Image) {
	if frame == nil {
		p.clear()
		return
	}
	size := frame.Bounds().Size()
	if p.buf == nil || p.buf.Rect.Size() != size {
		p.buf = image.NewRGBA(image.Rectangle{Max: size})
	}
	mirrorInto(p.buf, frame)
	p.preview.Image = p.buf
	p.preview.Refresh()
}

// clear drops the preview's frame and wipes its buffer: a resident's face is not
// kept once the face screen is gone, nor shown to the next resident.
func (p *facePictures) clear() {
	if p == nil || p.preview.Image == nil {
		return
	}
	clear(p.buf.Pix)
	p.preview.Image = nil
	p.preview.Refresh()
}

// mirrorInto writes src flipped left to right into dst, which has src's size.
func mirrorInto(dst *image.RGBA, src image.Image) {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	s, ok := src.(*image.RGBA)
	if !ok {
		draw.Draw(dst, dst.Rect, mirror{src}, b.Min, draw.Src)
		return
	}
	for y := 0; y < h; y++ {
		from := s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):][:4*w]
		to := dst.Pix[y*dst.Stride:][:4*w]
		for x := 0; x < w; x++ {
			copy(to[4*x:4*x+4], from[4*(w-1-x):])
		}
	}
}

// ovalGuide draws where the face should be: a thick oval, the outside dimmed. The
// bitmap is redrawn only when the preview is resized or the ring changes colour, not
// for every frame.
type ovalGuide struct {
	ring  color.NRGBA
	cache *image.NRGBA // drawn in colour drawn
	drawn color.NRGBA
}

// setRing sets the ring's colour and reports whether it changed.
func (o *ovalGuide) setRing(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	n := color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 0xff}
	if n == o.ring {
		return false
	}
	o.ring = n
	return true
}

// draw is the raster's generator.
func (o *ovalGuide) draw(w, h int) image.Image {
	if o.cache != nil && o.cache.Rect.Dx() == w && o.cache.Rect.Dy() == h && o.drawn == o.ring {
		return o.cache
	}
	img := o.cache
	if img == nil || img.Rect.Dx() != w || img.Rect.Dy() != h {
		img = image.NewNRGBA(image.Rect(0, 0, w, h))
	} else {
		clear(img.Pix)
	}
	// The oval is sized on the shorter side so that it stays an upright face shape
	// whatever the preview's aspect.
	ry := float64(h) * 0.40
	rx := ry * 0.72
	cx, cy := float64(w)/2, float64(h)/2
	thick := math.Max(4, float64(h)/90)
	dim := color.NRGBA{0, 0, 0, 0x70}
	for y := 0; y < h; y++ {
		dy := (float64(y) - cy) / ry
		for x := 0; x < w; x++ {
			dx := (float64(x) - cx) / rx
			d := math.Sqrt(dx*dx+dy*dy) - 1 // 0 on the oval, <0 inside
			px := d * math.Min(rx, ry)      // roughly in pixels
			switch {
			case math.Abs(px) <= thick/2:
				img.SetNRGBA(x, y, o.ring)
			case d > 0:
				img.SetNRGBA(x, y, dim)
			}
		}
	}
	o.cache, o.drawn = img, o.ring
	return img
}
