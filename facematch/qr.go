package facematch

// QR decoding from the kiosk camera (issue 11 §4: start with the eID). The resident
// holds the One Account app's dynamic eID code to the camera; OpenCV's QRCodeDetector
// (objdetect, in OpenCV 4.6's main modules: no contrib) finds it. Debian's OpenCV 4.6
// is built without the quirc library, so its QRCodeDetector locates codes but decodes
// none ("Library QUIRC is not linked. No decoding is performed"): the kiosk asks
// OpenCV's own decoder first (a build with quirc answers there), and otherwise
// straightens the code OpenCV located (a perspective warp onto a square with a quiet
// zone) and reads its modules with gozxing's QR reader (pure Go). A frame in which
// OpenCV locates nothing is given whole to gozxing, which has its own finder.
//
// Every frame is validated before OpenCV sees it, decoding runs on a bounded number of
// frames a second (tens of milliseconds a frame on a kiosk's CPU, and the preview must
// stay smooth), and nothing of what is decoded is logged: the code is a bearer
// credential for its minute.

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/boombuler/barcode/qr"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"gocv.io/x/gocv"

	"github.com/macau-dsi/kiosk/kiosk"
)

// ErrNoQR: the frame holds no QR code OpenCV could decode.
var ErrNoQR = errors.New("no QR code in the frame")

// MaxQRText bounds what a decoded code may be: longer text is no eID code (the
// contract's qr_payload is at most 1024 characters) and is treated as no code.
const MaxQRText = kiosk.MaxEIDCode

// qrWorkWidth: frames wider than this are decoded at this width. A phone held at
// 20 cm fills a good part of the picture, so a 1280-wide picture has pixels to spare,
// and the detector's time grows with the area.
const qrWorkWidth = 1280

// QRDecoder decodes QR codes in camera frames with OpenCV. It holds native memory:
// Close it. Not safe for concurrent use.
type QRDecoder struct {
	det  gocv.QRCodeDetector
	gray gocv.Mat
	work gocv.Mat
	via  string // how the last code was read: "opencv", "located" or "whole" (tests)
}

// NewQRDecoder makes a decoder.
func NewQRDecoder() *QRDecoder {
	return &QRDecoder{det: gocv.NewQRCodeDetector(), gray: gocv.NewMat(), work: gocv.NewMat()}
}

// Close releases the decoder's native memory.
func (d *QRDecoder) Close() {
	d.det.Close()
	d.gray.Close()
	d.work.Close()
}

// Decode returns the text of the QR code in m. m is validated first (ValidateFrame):
// an empty, absurdly sized or non-8-bit picture is an ErrBadFrame error and never
// reaches the detector. A frame without a readable code is ErrNoQR; so is a code
// whose text is not UTF-8 or longer than MaxQRText.
func (d *QRDecoder) Decode(m gocv.Mat) (string, error) {
	if err := ValidateFrame(m); err != nil {
		return "", err
	}
	switch m.Channels() {
	case 3:
		gocv.CvtColor(m, &d.gray, gocv.ColorBGRToGray)
	case 4:
		gocv.CvtColor(m, &d.gray, gocv.ColorBGRAToGray)
	default:
		m.CopyTo(&d.gray)
	}
	src := d.gray
	if w := d.gray.Cols(); w > qrWorkWidth {
		h := d.gray.Rows() * qrWorkWidth / w
		gocv.Resize(d.gray, &d.work, image.Pt(qrWorkWidth, max(1, h)), 0, 0, gocv.InterpolationArea)
		src = d.work
	}
	d.via = ""
	text := d.detect(src)
	if text == "" {
		// Not located (blur, glare, a steep angle): gozxing's own finder on the frame.
		if text = readModules(src); text != "" {
			d.via = "whole"
		}
	}
	if text == "" || len(text) > MaxQRText || !utf8.ValidString(text) {
		return "", ErrNoQR
	}
	return text, nil
}

// qrSide is the side of the straightened code, without its quiet zone: a version 10
// code (57 modules, an eID code's size) gets 7 pixels a module.
const qrSide = 400

// detect locates a code with OpenCV and reads it: OpenCV's decoder when the build has
// one, else the straightened code's modules. "" when there is none.
func (d *QRDecoder) detect(src gocv.Mat) string {
	points := gocv.NewMat()
	defer points.Close()
	if !d.det.Detect(src, &points) || points.Empty() || points.Total() != 4 || points.Type() != gocv.MatTypeCV32FC2 {
		return ""
	}
	if openCVDecodesQR() {
		straight := gocv.NewMat()
		defer straight.Close()
		if text := d.det.Decode(src, points, &straight); text != "" {
			d.via = "opencv"
			return text
		}
	}
	corners := make([]gocv.Point2f, 4)
	for i := range corners {
		v := points.GetVecfAt(0, i)
		corners[i] = gocv.Point2f{X: v[0], Y: v[1]}
	}
	q := float32(qrSide / 8) // quiet zone
	from := gocv.NewPoint2fVectorFromPoints(corners)
	defer from.Close()
	to := gocv.NewPoint2fVectorFromPoints([]gocv.Point2f{{X: q, Y: q}, {X: q + qrSide, Y: q}, {X: q + qrSide, Y: q + qrSide}, {X: q, Y: q + qrSide}})
	defer to.Close()
	m := gocv.GetPerspectiveTransform2f(from, to)
	defer m.Close()
	side := int(2*q) + qrSide
	gocv.WarpPerspectiveWithParams(src, &d.work, m, image.Pt(side, side), gocv.InterpolationLinear, gocv.BorderConstant, color.RGBA{255, 255, 255, 255})
	text := readModules(d.work)
	if text != "" {
		d.via = "located"
	}
	return text
}

// openCVDecodesQR: this OpenCV build can decode QR codes (has quirc). Asked once with
// a clean code: a build without prints its complaint on every Decode call, which would
// fill the kiosk's log five times a second while a resident scans.
var openCVDecodesQR = sync.OnceValue(func() bool {
	pic, err := PhonePicture("DSI", 480, 640)
	if err != nil {
		return false
	}
	img, err := gocv.ImageToMatRGB(pic)
	if err != nil {
		return false
	}
	defer img.Close()
	det := gocv.NewQRCodeDetector()
	defer det.Close()
	points, straight := gocv.NewMat(), gocv.NewMat()
	defer points.Close()
	defer straight.Close()
	return det.DetectAndDecode(img, &points, &straight) == "DSI"
})

// readModules reads a QR code's modules with gozxing. "" when it finds none.
func readModules(gray gocv.Mat) string {
	img, err := gray.ToImage()
	if err != nil {
		return ""
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return ""
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		return ""
	}
	return res.GetText()
}

// QROptions tune a QRScanner. Zero values take the defaults in parentheses.
type QROptions struct {
	// DecodesPerSecond bounds how many frames a second go to the detector (5): a code
	// held still is read within a fifth of a second, and the CPU stays free.
	DecodesPerSecond float64
	// PreviewFPS bounds the preview frames handed to the screen (10).
	PreviewFPS float64
	// PreviewWidth scales preview frames down to this width (640).
	PreviewWidth int
	// Clock paces decoding and previews (the system clock).
	Clock kiosk.Clock
}

func (o QROptions) withDefaults() QROptions {
	if o.DecodesPerSecond <= 0 {
		o.DecodesPerSecond = 5
	}
	if o.PreviewFPS <= 0 {
		o.PreviewFPS = 10
	}
	if o.PreviewWidth <= 0 {
		o.PreviewWidth = 640
	}
	if o.Clock == nil {
		o.Clock = kiosk.SystemClock{}
	}
	return o
}

// QRScanner reads QR codes from the kiosk camera: the kiosk's kiosk.QRScanner. It
// shares the camera with the face Verifier (the session runs one at a time) and never
// closes it.
type QRScanner struct {
	src  Source
	opts QROptions

	mu      sync.Mutex // one scan at a time: the camera has one reader
	frames  atomic.Uint64
	decodes atomic.Uint64
}

var _ kiosk.QRScanner = (*QRScanner)(nil)

// NewQRScanner reads from src.
func NewQRScanner(src Source, opts QROptions) (*QRScanner, error) {
	if src == nil {
		return nil, errors.New("facematch: a QR scanner needs a camera source")
	}
	return &QRScanner{src: src, opts: opts.withDefaults()}, nil
}

// QRStats counts what scans did: frames read from the camera, frames decoded.
type QRStats struct{ Frames, Decodes uint64 }

// Stats is what the scanner did so far.
func (s *QRScanner) Stats() QRStats {
	return QRStats{Frames: s.frames.Load(), Decodes: s.decodes.Load()}
}

// ScanQR reads frames until one holds a QR code and returns its text, or until ctx
// ends (its error). Camera failures end the scan with the camera's error. preview,
// if set, gets frames for the screen at PreviewFPS at most.
func (s *QRScanner) ScanQR(ctx context.Context, preview func(kiosk.Frame)) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	dec := NewQRDecoder()
	defer dec.Close()
	decodeEvery := time.Duration(float64(time.Second) / s.opts.DecodesPerSecond)
	previewEvery := time.Duration(float64(time.Second) / s.opts.PreviewFPS)
	var lastDecode, lastPreview time.Time
	for {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		f, err := s.src.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return "", ctx.Err()
			}
			return "", fmt.Errorf("camera: %w", err)
		}
		s.frames.Add(1)
		now := s.opts.Clock.Now()
		if preview != nil && (lastPreview.IsZero() || now.Sub(lastPreview) >= previewEvery) {
			if p, err := f.Preview(s.opts.PreviewWidth); err == nil {
				lastPreview = now
				preview(p)
			}
		}
		if !lastDecode.IsZero() && now.Sub(lastDecode) < decodeEvery {
			f.Close()
			continue
		}
		lastDecode = now
		s.decodes.Add(1)
		text, err := dec.Decode(f.Mat)
		f.Close()
		if err == nil {
			return text, nil
		}
	}
}

// --- the phone held up (demo and tests) -------------------------------------

// PhonePicture draws a phone, screen up, showing payload as a QR code on a light
// background: what the camera sees when a resident holds the One Account app's eID
// code up to it. For the demo's and the tests' recorded camera (HeldUp).
func PhonePicture(payload string, width, height int) (image.Image, error) {
	code, err := qr.Encode(payload, qr.M, qr.Auto)
	if err != nil {
		return nil, fmt.Errorf("QR code: %w", err)
	}
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(img, img.Bounds(), &image.Uniform{color.RGBA{0xc8, 0xc4, 0xbc, 0xff}}, image.Point{}, draw.Src)
	// The phone, held close (the app asks for about 20 cm): a dark body 0.95 of the
	// picture's height (or its width, if narrower), the screen inside it.
	ph := height * 95 / 100
	pw := ph * 55 / 100
	if pw > width*95/100 {
		pw = width * 95 / 100
		ph = pw * 100 / 55
	}
	x0, y0 := (width-pw)/2, (height-ph)/2
	draw.Draw(img, image.Rect(x0, y0, x0+pw, y0+ph), &image.Uniform{color.RGBA{0x20, 0x22, 0x26, 0xff}}, image.Point{}, draw.Src)
	m := max(1, pw/28)
	screen := image.Rect(x0+m, y0+5*m, x0+pw-m, y0+ph-5*m)
	draw.Draw(img, screen, image.White, image.Point{}, draw.Src)
	// The code as wide as the screen allows, with a quiet zone of 2 modules inside the
	// screen's white (the white around it makes up the rest of the standard's 4).
	n := code.Bounds().Dx()
	module := max(1, screen.Dx()/(n+4))
	side := n * module
	cx := screen.Min.X + (screen.Dx()-side)/2
	cy := screen.Min.Y + (screen.Dy()-side)/2
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			if c, _, _, _ := code.At(x, y).RGBA(); c == 0 {
				draw.Draw(img, image.Rect(cx+x*module, cy+y*module, cx+(x+1)*module, cy+(y+1)*module), image.Black, image.Point{}, draw.Src)
			}
		}
	}
	return img, nil
}

// HeldUp is a camera in front of which a picture can be held for a while: the demo's
// and the tests' recorded camera playing "a phone showing the eID code" before the
// resident's face. While a picture is held up, each frame of the underlying camera
// is replaced by it (at the camera's size and pace, with its timestamps); then the
// camera's own frames come back. Refused in production with the recordings it wraps.
type HeldUp struct {
	Source
	clock kiosk.Clock

	mu    sync.Mutex
	still gocv.Mat // BGR, as given; empty when nothing is held up
	sized gocv.Mat // still at the camera's frame size
	until time.Time
	done  bool
}

// NewHeldUp wraps src.
func NewHeldUp(src Source, clock kiosk.Clock) *HeldUp {
	if clock == nil {
		clock = kiosk.SystemClock{}
	}
	return &HeldUp{Source: src, clock: clock, still: gocv.NewMat(), sized: gocv.NewMat()}
}

// Show holds img up to the camera for d.
func (h *HeldUp) Show(img image.Image, d time.Duration) error {
	rgba := image.NewRGBA(img.Bounds())
	draw.Draw(rgba, rgba.Bounds(), img, img.Bounds().Min, draw.Src)
	m, err := gocv.ImageToMatRGBA(rgba)
	if err != nil {
		return fmt.Errorf("held-up picture: %w", err)
	}
	defer m.Close()
	if err := ValidateFrame(m); err != nil {
		return fmt.Errorf("held-up picture: %w", err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.done {
		return ErrSourceClosed
	}
	gocv.CvtColor(m, &h.still, gocv.ColorBGRAToBGR)
	h.sized.Close()
	h.sized = gocv.NewMat()
	h.until = h.clock.Now().Add(d)
	return nil
}

// Hide takes the picture away at once.
func (h *HeldUp) Hide() {
	h.mu.Lock()
	h.until = time.Time{}
	h.mu.Unlock()
}

// Next is the camera's next frame, or the held-up picture in its place.
func (h *HeldUp) Next(ctx context.Context) (Frame, error) {
	f, err := h.Source.Next(ctx)
	if err != nil {
		return f, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.done || h.until.IsZero() || !h.clock.Now().Before(h.until) || h.still.Empty() {
		return f, nil
	}
	if h.sized.Empty() || h.sized.Cols() != f.Mat.Cols() || h.sized.Rows() != f.Mat.Rows() {
		gocv.Resize(h.still, &h.sized, image.Pt(f.Mat.Cols(), f.Mat.Rows()), 0, 0, gocv.InterpolationArea)
	}
	h.sized.CopyTo(&f.Mat)
	return f, nil
}

// Close releases the picture and closes the camera.
func (h *HeldUp) Close() error {
	h.mu.Lock()
	if !h.done {
		h.done = true
		h.still.Close()
		h.sized.Close()
	}
	h.mu.Unlock()
	return h.Source.Close()
}
