package facematch

import (
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // DecodeConfig of folder images before OpenCV decodes them
	_ "image/png"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"gocv.io/x/gocv"

	"github.com/macau-dsi/kiosk/facematch/v4l"
)

// MaxImageFileBytes bounds one image of a folder source: a bigger file is skipped
// unread rather than handed to the decoder.
const MaxImageFileBytes = 32 << 20

// OpenWebcam opens a V4L2 camera by device path ("/dev/video0") or index ("0"),
// asking for width×height at fps (0 keeps the device's default). A missing device is
// an ErrSourceNotFound error at once, never a hang. After an unplug the source
// re-opens the same device with exponential back-off.
func OpenWebcam(device string, width, height, fps int, opts SourceOptions) (Source, error) {
	opts = opts.withDefaults()
	path := device
	if n, err := strconv.Atoi(device); err == nil {
		path = fmt.Sprintf("/dev/video%d", n)
	}
	fail := func(sentinel, why error) error {
		return &SourceError{Kind: SourceWebcam, Name: path, Err: sentinel, Why: why}
	}
	if opts.Lossless {
		return nil, fail(ErrSourceOpen, errors.New("a webcam cannot run lossless"))
	}
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fail(ErrSourceNotFound, errors.New("no such device: is the camera plugged in? (kiosk doctor lists cameras)"))
		}
		return nil, fail(ErrSourceOpen, err)
	}
	if opts.Production {
		// What the path is, not what the configuration called it: a recording
		// named as the device must not reach OpenCV (which would play it).
		if err := v4l.CheckDevice(path); err != nil {
			return nil, fail(ErrSourceRefused, err)
		}
		if dev, err := DescribeVideoDevice(opts.SysfsRoot, path); err == nil && dev.Virtual {
			return nil, fail(ErrSourceRefused, fmt.Errorf("%q looks like a virtual camera (%s)", dev.Name, dev.Why))
		}
	}
	var started time.Time
	open := func() (grabber, error) {
		if _, err := os.Stat(path); err != nil {
			return nil, err // unplugged: the node is gone until the camera is back
		}
		if opts.Production {
			// Again on every re-open: what comes back at that path after an unplug
			// must be a camera too.
			if err := v4l.CheckDevice(path); err != nil {
				return nil, err
			}
		}
		vc, err := gocv.VideoCaptureFileWithAPI(path, gocv.VideoCaptureV4L2)
		if err != nil || !vc.IsOpened() {
			vc.Close()
			if err == nil {
				err = errors.New("backend did not open the device")
			}
			return nil, err
		}
		if width > 0 && height > 0 {
			vc.Set(gocv.VideoCaptureFrameWidth, float64(width))
			vc.Set(gocv.VideoCaptureFrameHeight, float64(height))
		}
		if fps > 0 {
			vc.Set(gocv.VideoCaptureFPS, float64(fps))
		}
		// One buffered frame: the newest picture, not one from a second ago.
		vc.Set(gocv.VideoCaptureBufferSize, 1)
		return &webcamGrabber{vc: vc, clock: opts.Clock, started: &started}, nil
	}
	g, err := open()
	if err != nil {
		return nil, fail(ErrSourceOpen, err)
	}
	wg := g.(*webcamGrabber)
	info := SourceInfo{
		Kind:   SourceWebcam,
		Name:   path,
		FPS:    fpsOr(wg.vc.Get(gocv.VideoCaptureFPS), fpsOr(float64(fps), 30)),
		Width:  int(wg.vc.Get(gocv.VideoCaptureFrameWidth)),
		Height: int(wg.vc.Get(gocv.VideoCaptureFrameHeight)),
		Live:   true,
	}
	return startCapture(info, opts, g, open), nil
}

type webcamGrabber struct {
	vc      *gocv.VideoCapture
	clock   interface{ Now() time.Time }
	started *time.Time // shared across re-opens so PTS keeps counting
}

func (w *webcamGrabber) read(m *gocv.Mat) (time.Duration, bool) {
	ok := w.vc.Read(m)
	now := w.clock.Now()
	if w.started.IsZero() {
		*w.started = now
	}
	return now.Sub(*w.started), ok
}

func (w *webcamGrabber) close() { w.vc.Close() }

// OpenVideo opens a recording (.mp4, .avi, … through OpenCV's ffmpeg backend) as a
// camera, paced at the file's frame rate unless opts.Fast. Refused in production.
func OpenVideo(path string, opts SourceOptions) (Source, error) {
	opts = opts.withDefaults()
	fail := func(sentinel, why error) error {
		return &SourceError{Kind: SourceVideo, Name: path, Err: sentinel, Why: why}
	}
	if opts.Production {
		return nil, fail(ErrSourceRefused, errors.New("a recording can never be the camera of a production kiosk"))
	}
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fail(ErrSourceNotFound, nil)
	case err != nil:
		return nil, fail(ErrSourceOpen, err)
	case st.IsDir():
		return nil, fail(ErrSourceOpen, errors.New("is a folder (use the images source)"))
	case st.Size() == 0:
		return nil, fail(ErrNoFrames, errors.New("empty file"))
	}
	open := func() (grabber, error) {
		vc, err := gocv.VideoCaptureFileWithAPI(path, gocv.VideoCaptureFFmpeg)
		if err != nil || !vc.IsOpened() {
			vc.Close()
			if err == nil {
				err = errors.New("backend did not open the file")
			}
			return nil, fmt.Errorf("not a readable video: %w", err)
		}
		return &videoGrabber{vc: vc, fps: fpsOr(vc.Get(gocv.VideoCaptureFPS), 25)}, nil
	}
	g, err := open()
	if err != nil {
		return nil, fail(ErrSourceOpen, err)
	}
	vg := g.(*videoGrabber)
	info := SourceInfo{
		Kind:     SourceVideo,
		Name:     path,
		FPS:      vg.fps,
		Width:    int(vg.vc.Get(gocv.VideoCaptureFrameWidth)),
		Height:   int(vg.vc.Get(gocv.VideoCaptureFrameHeight)),
		Lossless: opts.Lossless,
	}
	return startCapture(info, opts, g, open), nil
}

type videoGrabber struct {
	vc   *gocv.VideoCapture
	fps  float64
	n    int
	last time.Duration
}

func (v *videoGrabber) read(m *gocv.Mat) (time.Duration, bool) {
	if !v.vc.Read(m) {
		return 0, false
	}
	// The container's timestamp when it is sane, else index/fps.
	pts := time.Duration(float64(v.n) / v.fps * float64(time.Second))
	if ms := v.vc.Get(gocv.VideoCapturePosMsec); ms > 0 && !isNaN(ms) {
		if p := time.Duration(ms * float64(time.Millisecond)); p > v.last || v.n == 0 {
			pts = p
		}
	}
	if v.n > 0 && pts <= v.last {
		pts = v.last + time.Duration(float64(time.Second)/v.fps)
	}
	v.n++
	v.last = pts
	return pts, true
}

func (v *videoGrabber) close() { v.vc.Close() }

func isNaN(f float64) bool { return f != f }

// imageExts are the formats a folder source plays. Go's decoders read their headers
// first, so a huge or truncated file is refused before OpenCV decodes it.
var imageExts = map[string]bool{".png": true, ".jpg": true, ".jpeg": true}

// OpenImages plays the images of a folder (PNG and JPEG, sorted by name) as a camera
// at fps. Unreadable or absurdly large images are skipped and counted as invalid.
// Refused in production.
func OpenImages(dir string, fps float64, opts SourceOptions) (Source, error) {
	opts = opts.withDefaults()
	fail := func(sentinel, why error) error {
		return &SourceError{Kind: SourceImages, Name: dir, Err: sentinel, Why: why}
	}
	if opts.Production {
		return nil, fail(ErrSourceRefused, errors.New("an image folder can never be the camera of a production kiosk"))
	}
	fps = fpsOr(fps, 10)
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fail(ErrSourceNotFound, nil)
	case err != nil:
		return nil, fail(ErrSourceOpen, err)
	}
	var files []string
	for _, e := range entries {
		if e.Type().IsRegular() && imageExts[strings.ToLower(filepath.Ext(e.Name()))] {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil, fail(ErrNoFrames, errors.New("no .png, .jpg or .jpeg files"))
	}
	open := func() (grabber, error) { return &imageGrabber{files: files, fps: fps}, nil }
	g, _ := open()
	info := SourceInfo{Kind: SourceImages, Name: dir, FPS: fps, Lossless: opts.Lossless}
	if w, h, err := imageSize(files[0]); err == nil {
		info.Width, info.Height = w, h
	}
	return startCapture(info, opts, g, open), nil
}

type imageGrabber struct {
	files []string
	fps   float64
	i     int
}

// read loads the next image into m; a bad image leaves m empty (ok=true) so the
// capture loop counts it as invalid and moves on.
func (g *imageGrabber) read(m *gocv.Mat) (time.Duration, bool) {
	if g.i >= len(g.files) {
		return 0, false
	}
	name := g.files[g.i]
	pts := time.Duration(float64(g.i) / g.fps * float64(time.Second))
	g.i++
	img, err := loadImageChecked(name)
	if err != nil {
		empty := gocv.NewMat()
		empty.CopyTo(m)
		empty.Close()
		return pts, true
	}
	img.CopyTo(m)
	img.Close()
	return pts, true
}

func (g *imageGrabber) close() {}

// imageSize reads only the header of a PNG or JPEG.
func imageSize(name string) (int, int, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(f)
	if err != nil {
		return 0, 0, err
	}
	return cfg.Width, cfg.Height, nil
}

// loadImageChecked refuses files that are too big, not PNG/JPEG, or whose header
// announces an absurd size, and only then lets OpenCV decode them.
func loadImageChecked(name string) (gocv.Mat, error) {
	st, err := os.Stat(name)
	if err != nil {
		return gocv.Mat{}, err
	}
	if st.Size() == 0 || st.Size() > MaxImageFileBytes {
		return gocv.Mat{}, fmt.Errorf("%w: file size %d", ErrBadFrame, st.Size())
	}
	w, h, err := imageSize(name)
	if err != nil {
		return gocv.Mat{}, fmt.Errorf("%w: %v", ErrBadFrame, err)
	}
	if w < MinFrameWidth || h < MinFrameHeight || w > MaxFrameWidth || h > MaxFrameHeight {
		return gocv.Mat{}, fmt.Errorf("%w: size %dx%d", ErrBadFrame, w, h)
	}
	m := gocv.IMRead(name, gocv.IMReadColor)
	if m.Empty() {
		m.Close()
		return gocv.Mat{}, fmt.Errorf("%w: undecodable", ErrBadFrame)
	}
	return m, nil
}
