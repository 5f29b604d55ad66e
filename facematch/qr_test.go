package facematch

import (
	"context"
	"errors"
	"image"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"gocv.io/x/gocv"

	"github.com/macau-dsi/kiosk/kiosk"
)

// eidPayload has the shape and length of the back office's eID login code.
const eidPayload = "DSI1.L.eyJhY2MiOiJRbVZ2X2dKc1B6c2tYZzJ6bWN3S2xBIiwibiI6Ik1kV2M1cGZ2a3VxN3R3bEtrZ0ZqIiwiZXhwIjoxNzk2MDAwMDAwfQ.8uKjH3tYq2mQ0b3F1y9pXwZ4sV7cE6rN5aD2gL1hJ0kT8oU3iM7nB4vC9xS6zR1eQ2wA5yP0fG3hK8jL7mN4oB"

// photoBackground is a photograph (a man with a camera, skimage's test image) at
// w×h: a picture with edges and texture, as a kiosk camera sees behind a phone.
func photoBackground(t *testing.T, w, h int) gocv.Mat {
	t.Helper()
	src := gocv.IMRead("testdata/faces/skimage_camera.png", gocv.IMReadColor)
	if src.Empty() {
		t.Fatal("testdata/faces/skimage_camera.png unreadable")
	}
	defer src.Close()
	out := gocv.NewMat()
	gocv.Resize(src, &out, image.Pt(w, h), 0, 0, gocv.InterpolationLinear)
	return out
}

// phoneFrame is a camera frame of a phone showing payload, held at a slant in front
// of a photograph: the phone picture warped by a perspective transform onto the
// quadrilateral quad of a w×h background, then blurred (focus, motion) and darkened
// by dim (1 = as is).
func phoneFrame(t *testing.T, payload string, w, h int, quad []image.Point, blur int, dim float64) gocv.Mat {
	t.Helper()
	pic, err := PhonePicture(payload, 720, 960)
	if err != nil {
		t.Fatal(err)
	}
	phone, err := gocv.ImageToMatRGB(pic)
	if err != nil {
		t.Fatal(err)
	}
	defer phone.Close()
	b := pic.Bounds()
	from := gocv.NewPointVectorFromPoints([]image.Point{{0, 0}, {b.Dx(), 0}, {b.Dx(), b.Dy()}, {0, b.Dy()}})
	defer from.Close()
	to := gocv.NewPointVectorFromPoints(quad)
	defer to.Close()
	tr := gocv.GetPerspectiveTransform(from, to)
	defer tr.Close()
	warped := gocv.NewMat()
	defer warped.Close()
	gocv.WarpPerspective(phone, &warped, tr, image.Pt(w, h))
	// The mask of where the phone is: the same warp of an all-white picture.
	white := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(255, 0, 0, 0), b.Dy(), b.Dx(), gocv.MatTypeCV8UC1)
	defer white.Close()
	mask := gocv.NewMat()
	defer mask.Close()
	gocv.WarpPerspective(white, &mask, tr, image.Pt(w, h))
	frame := photoBackground(t, w, h)
	warped.CopyToWithMask(&frame, mask)
	if blur > 0 {
		gocv.GaussianBlur(frame, &frame, image.Pt(blur, blur), 0, 0, gocv.BorderDefault)
	}
	if dim != 1 {
		frame.ConvertToWithParams(&frame, gocv.MatTypeCV8UC3, float32(dim), 0)
	}
	return frame
}

// TestQRDecode: the code on a phone held up in a photo-like frame is read, straight
// or slanted, blurred and in dim light; frames without a code, and pictures that
// are no frame, are refused without a code.
func TestQRDecode(t *testing.T) {
	d := NewQRDecoder()
	defer d.Close()
	w, h := 960, 720
	// The phone at about 20 cm fills most of the picture's height, as the app asks.
	straight := []image.Point{{250, 20}, {710, 20}, {710, 700}, {250, 700}}
	slanted := []image.Point{{190, 90}, {730, 20}, {760, 700}, {220, 660}} // turned and tilted
	cases := []struct {
		name  string
		quad  []image.Point
		blur  int
		dim   float64
		width int
	}{
		{"straight", straight, 0, 1, w},
		{"slanted and blurred", slanted, 5, 1, w},
		{"slanted, blurred, dim", slanted, 3, 0.55, w},
		{"1920 wide (decoded scaled down)", []image.Point{{450, 80}, {1450, 60}, {1480, 1400}, {430, 1380}}, 5, 1, 1920},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := phoneFrame(t, eidPayload, c.width, c.width*3/4, c.quad, c.blur, c.dim)
			defer f.Close()
			got, err := d.Decode(f)
			if err != nil || got != eidPayload {
				t.Fatalf("decoded %q, %v; want the payload", got, err)
			}
			// OpenCV located it (and decoded it, in a build with quirc).
			if d.via != "located" && d.via != "opencv" {
				t.Errorf("read by %q: OpenCV did not locate the code", d.via)
			}
		})
	}

	noise := gocv.NewMatWithSize(h, w, gocv.MatTypeCV8UC3)
	defer noise.Close()
	gocv.RandU(&noise, gocv.NewScalar(0, 0, 0, 0), gocv.NewScalar(255, 255, 255, 0))
	float := gocv.NewMatWithSize(h, w, gocv.MatTypeCV32FC3)
	defer float.Close()
	tiny := gocv.NewMatWithSize(10, 10, gocv.MatTypeCV8UC3)
	defer tiny.Close()
	background := photoBackground(t, w, h)
	defer background.Close()
	tooLong := phoneFrame(t, strings.Repeat("A", MaxQRText+1), w, h, straight, 0, 1)
	defer tooLong.Close()
	for _, c := range []struct {
		name string
		m    gocv.Mat
		want error
	}{
		{"photo without a code", background, ErrNoQR},
		{"noise", noise, ErrNoQR},
		{"a code too long to be an eID code", tooLong, ErrNoQR},
		{"empty", gocv.NewMat(), ErrBadFrame},
		{"10x10", tiny, ErrBadFrame},
		{"float pixels", float, ErrBadFrame},
	} {
		t.Run("refuses "+c.name, func(t *testing.T) {
			got, err := d.Decode(c.m)
			if !errors.Is(err, c.want) || got != "" {
				t.Errorf("decoded %q, %v; want %v", got, err, c.want)
			}
		})
	}
}

// fakeCamera plays one picture forever, as fast as it is asked.
type fakeCamera struct {
	pic  gocv.Mat
	seq  atomic.Uint64
	fail error
}

func (c *fakeCamera) Next(ctx context.Context) (Frame, error) {
	if err := ctx.Err(); err != nil {
		return Frame{}, err
	}
	if c.fail != nil {
		return Frame{}, c.fail
	}
	n := c.seq.Add(1)
	return Frame{Mat: c.pic.Clone(), Seq: n, At: time.Now(), PTS: time.Duration(n) * 33 * time.Millisecond}, nil
}
func (c *fakeCamera) Info() SourceInfo   { return SourceInfo{Kind: SourceImages, Name: "fake", FPS: 30} }
func (c *fakeCamera) Stats() SourceStats { return SourceStats{} }
func (c *fakeCamera) Close() error       { return nil }

// TestQRScanner: a scan returns the code the camera shows; with none, it decodes at
// most DecodesPerSecond frames a second however fast the camera delivers, and the
// preview is bounded too; a camera failure ends the scan with its error.
func TestQRScanner(t *testing.T) {
	t.Run("reads the code", func(t *testing.T) {
		f := phoneFrame(t, eidPayload, 960, 720, []image.Point{{250, 20}, {710, 20}, {710, 700}, {250, 700}}, 3, 1)
		defer f.Close()
		s, _ := NewQRScanner(&fakeCamera{pic: f}, QROptions{})
		var previews int
		got, err := s.ScanQR(context.Background(), func(p kiosk.Frame) {
			previews++
			if p.Image.Bounds().Dx() != 640 {
				t.Errorf("preview %d wide, want 640", p.Image.Bounds().Dx())
			}
		})
		if err != nil || got != eidPayload || previews != 1 {
			t.Fatalf("scan = %q, %v, %d previews", got, err, previews)
		}
	})
	t.Run("bounded decoding", func(t *testing.T) {
		bg := photoBackground(t, 640, 480)
		defer bg.Close()
		s, _ := NewQRScanner(&fakeCamera{pic: bg}, QROptions{DecodesPerSecond: 4, PreviewFPS: 10})
		var previews int
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := s.ScanQR(ctx, func(kiosk.Frame) { previews++ })
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("scan ended with %v, want the deadline", err)
		}
		st := s.Stats()
		t.Logf("1 s: %d frames read, %d decoded, %d previews", st.Frames, st.Decodes, previews)
		if st.Decodes > 5 || st.Decodes < 2 {
			t.Errorf("%d frames decoded in 1 s, want at most 4 (+1)", st.Decodes)
		}
		if st.Frames < 3*st.Decodes {
			t.Errorf("only %d frames read for %d decoded: the test does not show the bound", st.Frames, st.Decodes)
		}
		if previews > 11 {
			t.Errorf("%d previews in 1 s, want at most 10 (+1)", previews)
		}
	})
	t.Run("camera fails", func(t *testing.T) {
		s, _ := NewQRScanner(&fakeCamera{fail: ErrDisconnected}, QROptions{})
		if _, err := s.ScanQR(context.Background(), nil); !errors.Is(err, ErrDisconnected) {
			t.Errorf("scan ended with %v, want the camera's error", err)
		}
	})
}

// TestHeldUp: a picture held up replaces the camera's frames (at the camera's size)
// until it is hidden or its time is up; then the camera's own frames come back.
func TestHeldUp(t *testing.T) {
	bg := photoBackground(t, 640, 480)
	defer bg.Close()
	clock := &setClock{now: time.Unix(1_800_000_000, 0)}
	h := NewHeldUp(&fakeCamera{pic: bg}, clock)
	defer h.Close()
	d := NewQRDecoder()
	defer d.Close()
	read := func() (string, image.Point) {
		f, err := h.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		text, _ := d.Decode(f.Mat)
		return text, f.Size()
	}
	if text, _ := read(); text != "" {
		t.Fatal("a code before anything was held up")
	}
	pic, err := PhonePicture(eidPayload, 640, 480)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Show(pic, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	if text, size := read(); text != eidPayload || size != image.Pt(640, 480) {
		t.Fatalf("held up: %q at %v", text, size)
	}
	clock.now = clock.now.Add(3 * time.Second)
	if text, _ := read(); text != "" {
		t.Fatal("still held up after its time")
	}
	h.Show(pic, time.Hour)
	h.Hide()
	if text, _ := read(); text != "" {
		t.Fatal("still held up after Hide")
	}
}

type setClock struct{ now time.Time }

func (c *setClock) Now() time.Time { return c.now }

// BenchmarkQRDecode: the cost of one decode at the kiosk camera's 1280×720, with a
// phone held up and with none (the cost of every decode while the resident looks
// for the app): the scanner's DecodesPerSecond bounds their sum per second.
func BenchmarkQRDecode(b *testing.B) {
	t := &testing.T{}
	quad := []image.Point{{420, 40}, {840, 20}, {860, 700}, {440, 680}}
	for _, c := range []struct {
		name  string
		frame func() gocv.Mat
	}{
		{"phone", func() gocv.Mat { return phoneFrame(t, eidPayload, 1280, 720, quad, 3, 1) }},
		{"no code", func() gocv.Mat { return photoBackground(t, 1280, 720) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			f := c.frame()
			defer f.Close()
			d := NewQRDecoder()
			defer d.Close()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				text, _ := d.Decode(f)
				if (c.name == "phone") != (text == eidPayload) {
					b.Fatalf("decoded %q", text)
				}
			}
		})
	}
}

// FuzzQRDecode: whatever a camera (or a driver fault) hands over, from a few bytes to
// a frame of any shape and pixel type, the decoder never crashes; a frame that fails
// validation never reaches OpenCV's detector; text it returns is UTF-8 and at most
// MaxQRText long.
func FuzzQRDecode(f *testing.F) {
	f.Add(uint16(640), uint16(480), uint8(0), []byte{0, 255, 0, 255})
	f.Add(uint16(10), uint16(10), uint8(1), []byte("DSI1.L."))
	f.Add(uint16(64), uint16(48), uint8(2), []byte{})
	types := []gocv.MatType{gocv.MatTypeCV8UC3, gocv.MatTypeCV8UC1, gocv.MatTypeCV8UC4, gocv.MatTypeCV32FC1, gocv.MatTypeCV16UC3}
	d := NewQRDecoder()
	f.Fuzz(func(t *testing.T, w, h uint16, ti uint8, px []byte) {
		cols, rows := int(w%1400)+1, int(h%1100)+1
		m := gocv.NewMatWithSize(rows, cols, types[int(ti)%len(types)])
		defer m.Close()
		if len(px) > 0 {
			// Fill the frame with the fuzzed bytes, repeated.
			data, err := m.DataPtrUint8()
			if err == nil {
				for i := range data {
					data[i] = px[i%len(px)]
				}
			}
		}
		text, err := d.Decode(m)
		if err := ValidateFrame(m); err != nil && text != "" {
			t.Fatalf("an invalid frame decoded to %q", text)
		}
		if err == nil && (len(text) == 0 || len(text) > MaxQRText || !utf8.ValidString(text)) {
			t.Fatalf("decoded %d bytes %q", len(text), text)
		}
	})
}
