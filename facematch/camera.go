package facematch

// Camera sources: a webcam, a video file or a folder of images behind one Source
// interface. A goroutine per source reads frames, validates and normalises them to
// 8-bit BGR, and hands them over through a small queue that drops the OLDEST frame
// when full, so a slow consumer always gets the newest picture and the capture side
// never waits for the UI.
//
// Ownership rule: Next transfers the Frame (and its gocv.Mat) to the caller, who must
// call Frame.Close exactly once when done. Frames still queued when the source is
// closed, and frames dropped by the queue, are closed by the source.

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"sync"
	"time"

	"gocv.io/x/gocv"

	"github.com/macau-dsi/kiosk/kiosk"
)

// SourceKind names the kind of a camera source.
type SourceKind string

const (
	SourceWebcam SourceKind = "webcam"
	SourceVideo  SourceKind = "video"
	SourceImages SourceKind = "images"
)

// Frame sanity bounds. A frame outside them is skipped (and counted in
// SourceStats.Invalid) before any other code sees it: a 1×1 or a 20000-pixel-wide
// "frame" is a driver or file fault, never a face.
const (
	MinFrameWidth  = 64
	MinFrameHeight = 48
	MaxFrameWidth  = 4096
	MaxFrameHeight = 4096
)

// Sentinel errors. Every error from this file wraps one of them in a *SourceError.
var (
	// ErrSourceNotFound: the device, file or folder does not exist.
	ErrSourceNotFound = errors.New("camera source not found")
	// ErrSourceOpen: it exists but could not be opened (busy, unsupported, no permission).
	ErrSourceOpen = errors.New("camera source cannot be opened")
	// ErrSourceRefused: a file, folder or virtual camera in a production configuration.
	ErrSourceRefused = errors.New("camera source refused in production")
	// ErrNoFrames: the source opened but delivered no usable frame.
	ErrNoFrames = errors.New("camera source delivers no usable frames")
	// ErrEndOfStream: a video file or folder was played to its end (and Loop is off).
	ErrEndOfStream = errors.New("end of recording")
	// ErrSourceClosed: Next was called after Close.
	ErrSourceClosed = errors.New("camera source closed")
	// ErrDisconnected: the webcam went away and did not come back within MaxReconnects.
	ErrDisconnected = errors.New("camera disconnected")
	// ErrBadFrame: a frame failed validation (empty, wrong type, absurd size).
	ErrBadFrame = errors.New("invalid frame")
)

// SourceError says which source failed and why. It unwraps to one of the sentinels
// above (and to the underlying cause when there is one).
type SourceError struct {
	Kind SourceKind
	Name string // device path, file or folder: never personal data
	Err  error  // a sentinel
	Why  error  // the underlying cause, if any
}

func (e *SourceError) Error() string {
	s := fmt.Sprintf("%s %q: %v", e.Kind, e.Name, e.Err)
	if e.Why != nil {
		s += ": " + e.Why.Error()
	}
	return s
}

func (e *SourceError) Unwrap() []error {
	if e.Why != nil {
		return []error{e.Err, e.Why}
	}
	return []error{e.Err}
}

// Frame is one validated camera picture.
//
// Mat is always non-empty 8-bit 3-channel BGR within the sanity bounds. Whoever
// receives a Frame from Source.Next owns it and must call Close exactly once; copy
// the Mat (Clone) to keep pixels beyond that. Do not Close a copy of the struct too.
type Frame struct {
	Mat gocv.Mat
	// Seq counts frames read from the device since the source opened, from 1.
	// Gaps between consecutive frames a consumer sees are frames the queue dropped.
	Seq uint64
	// At is the wall-clock time (injected clock) at which the frame was captured.
	At time.Time
	// PTS is the frame's time on the stream: the media position for video files,
	// index/fps for image folders, time since open for webcams. Liveness timing and
	// the injected-video checks use PTS, so a recording played as fast as possible
	// still has its real timing.
	PTS time.Duration
}

// Close releases the frame's pixels. Safe on a zero Frame.
func (f *Frame) Close() error {
	if f.Mat.Ptr() == nil {
		return nil
	}
	return f.Mat.Close()
}

// Size is the frame's width and height.
func (f *Frame) Size() image.Point { return image.Pt(f.Mat.Cols(), f.Mat.Rows()) }

// SourceInfo describes an open source.
type SourceInfo struct {
	Kind SourceKind
	Name string
	// FPS is the nominal rate: the file's, the folder's pacing, or what the
	// webcam reports after the configured rate was requested.
	FPS float64
	// Width and Height are what the device or file reports (0 if unknown).
	Width, Height int
	// Live is true for webcams (false for recordings and folders).
	Live bool
	// Lossless is true when the queue blocks instead of dropping (tests, offline checks).
	Lossless bool
}

// SourceStats counts what the capture goroutine did.
type SourceStats struct {
	Read       uint64 // frames read from the device (== last Seq)
	Delivered  uint64 // frames handed out by Next
	Dropped    uint64 // frames the queue discarded because the consumer was slow
	Invalid    uint64 // frames that failed validation
	Reconnects uint64 // successful re-opens after an unplug (or a looped file)
	Connected  bool   // false while a webcam is unplugged and being retried
}

// Source is a camera. Next blocks until a frame newer than the last one returned is
// available, ctx ends, or the source fails or ends. Close stops the capture goroutine
// and releases the device; it is safe to call more than once and concurrently with
// Next (which then returns ErrSourceClosed).
type Source interface {
	Next(ctx context.Context) (Frame, error)
	Info() SourceInfo
	Stats() SourceStats
	Close() error
}

// SourceOptions tune how a source runs. The zero value is the production behaviour
// for a webcam: drop old frames, real-time pacing, default back-off.
type SourceOptions struct {
	// Production refuses video files, image folders and virtual cameras.
	Production bool
	// Fast plays files and folders as fast as the consumer takes them instead of at
	// their frame rate (tests, `kiosk face check --video`). Ignored for webcams.
	Fast bool
	// Lossless makes the queue block the producer instead of dropping frames, so every
	// frame of a recording is seen (tests, offline checks). Refused for webcams: a
	// camera cannot be paused.
	Lossless bool
	// Loop restarts a file or folder at its end (demo kiosk); it counts as a reconnect.
	Loop bool
	// QueueSize is the number of frames held for the consumer; default 2.
	QueueSize int
	// ReadFailures is how many consecutive failed or invalid reads mean "unplugged";
	// default 5.
	ReadFailures int
	// ReconnectMin and ReconnectMax bound the exponential back-off between re-open
	// attempts; defaults 250 ms and 5 s.
	ReconnectMin, ReconnectMax time.Duration
	// MaxReconnects gives up after that many failed re-open attempts in a row
	// (Next then returns ErrDisconnected); 0 means retry forever, as a kiosk must.
	MaxReconnects int
	// Clock stamps frames; default the system clock.
	Clock kiosk.Clock
	// Wait sleeps d or until stop is closed (returning false then). Injected so
	// tests can run back-off without sleeping; default a real timer.
	Wait func(stop <-chan struct{}, d time.Duration) bool
	// SysfsRoot is where video4linux devices are described (default "/sys"); used
	// to name the device and spot virtual cameras.
	SysfsRoot string
}

func (o SourceOptions) withDefaults() SourceOptions {
	if o.QueueSize <= 0 {
		o.QueueSize = 2
	}
	if o.ReadFailures <= 0 {
		o.ReadFailures = 5
	}
	if o.ReconnectMin <= 0 {
		o.ReconnectMin = 250 * time.Millisecond
	}
	if o.ReconnectMax < o.ReconnectMin {
		o.ReconnectMax = 5 * time.Second
		if o.ReconnectMax < o.ReconnectMin {
			o.ReconnectMax = o.ReconnectMin
		}
	}
	if o.Clock == nil {
		o.Clock = kiosk.SystemClock{}
	}
	if o.Wait == nil {
		o.Wait = realWait
	}
	if o.SysfsRoot == "" {
		o.SysfsRoot = "/sys"
	}
	return o
}

func realWait(stop <-chan struct{}, d time.Duration) bool {
	if d <= 0 {
		select {
		case <-stop:
			return false
		default:
			return true
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-stop:
		return false
	case <-t.C:
		return true
	}
}

// CameraOptions choose the camera source (cmd/kiosk fills them from the
// configuration's face.camera section). Exactly one of Device/Index, Video or Images.
type CameraOptions struct {
	// Index is the webcam index (/dev/videoN) used when Device, Video and Images are empty.
	Index int
	// Device is a webcam device path such as /dev/video0; overrides Index.
	Device string
	// Video is a recording used as the camera (refused in production).
	Video string
	// Images is a folder of images used as the camera (refused in production).
	Images string
	// Width, Height and FPS are asked of a webcam (0 keeps its default); FPS also
	// paces an image folder (default 10).
	Width, Height, FPS int
}

// OpenSource opens the source the options name: Images if set, else Video,
// else the webcam at Device or Index. With opts.Production, files and folders are
// refused (the configuration refuses them too; this is the second lock).
func OpenSource(cfg CameraOptions, opts SourceOptions) (Source, error) {
	switch {
	case cfg.Images != "" && cfg.Video != "":
		return nil, &SourceError{Kind: SourceImages, Name: cfg.Images, Err: ErrSourceOpen, Why: errors.New("set only one of video and images")}
	case cfg.Images != "":
		fps := cfg.FPS
		if fps <= 0 {
			fps = 10
		}
		return OpenImages(cfg.Images, float64(fps), opts)
	case cfg.Video != "":
		return OpenVideo(cfg.Video, opts)
	case cfg.Device != "":
		return OpenWebcam(cfg.Device, cfg.Width, cfg.Height, cfg.FPS, opts)
	default:
		return OpenWebcam(fmt.Sprintf("/dev/video%d", cfg.Index), cfg.Width, cfg.Height, cfg.FPS, opts)
	}
}

// grabber is one open device or file. read fills m with the next raw picture and
// reports its stream time; ok=false means the device is gone or the stream ended.
type grabber interface {
	read(m *gocv.Mat) (pts time.Duration, ok bool)
	close()
}

// opener opens (or re-opens) the underlying device.
type opener func() (grabber, error)

// capture is the Source shared by all kinds: one producer goroutine, one queue.
type capture struct {
	info  SourceInfo
	opts  SourceOptions
	open  opener
	ended error // set by the producer only; handed to the queue when it stops

	q *frameQueue

	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once

	mu    sync.Mutex
	stats SourceStats
}

// startCapture runs the producer on an already opened grabber g (opening first lets
// constructors return a clear error instead of a source that never delivers).
func startCapture(info SourceInfo, opts SourceOptions, g grabber, open opener) *capture {
	c := &capture{
		info: info,
		opts: opts,
		open: open,
		q:    newFrameQueue(opts.QueueSize, opts.Lossless),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	c.stats.Connected = true
	go c.run(g)
	return c
}

func (c *capture) Info() SourceInfo { return c.info }

func (c *capture) Stats() SourceStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Delivered, s.Dropped = c.q.counts()
	return s
}

func (c *capture) Next(ctx context.Context) (Frame, error) {
	return c.q.pop(ctx)
}

func (c *capture) Close() error {
	c.stopOnce.Do(func() {
		close(c.stop)
		c.q.finish(&SourceError{Kind: c.info.Kind, Name: c.info.Name, Err: ErrSourceClosed})
	})
	<-c.done
	return nil
}

func (c *capture) stopped() bool {
	select {
	case <-c.stop:
		return true
	default:
		return false
	}
}

func (c *capture) fail(sentinel error, why error) {
	c.ended = &SourceError{Kind: c.info.Kind, Name: c.info.Name, Err: sentinel, Why: why}
}

// run is the producer. It owns g and raw; every exit path closes them and
// finishes the queue so a waiting Next returns.
func (c *capture) run(g grabber) {
	defer close(c.done)
	raw := gocv.NewMat()
	defer raw.Close()
	defer func() {
		if g != nil {
			g.close()
		}
		// ended must be set before finish: Next reads it after the queue says finished.
		if c.ended == nil {
			c.fail(ErrSourceClosed, nil)
		}
		c.q.finish(c.ended)
	}()

	var (
		failures  int // consecutive bad reads
		goodEver  bool
		seq       uint64
		paceStart time.Time // wall time of pts 0 of the current run of the file
		ptsBase   time.Duration
		lastPTS   time.Duration
	)
	for !c.stopped() {
		pts, ok := g.read(&raw)
		if ok {
			var err error
			var f Frame
			f, err = normaliseFrame(raw)
			if err == nil {
				failures = 0
				goodEver = true
				seq++
				pts += ptsBase
				lastPTS = pts
				if !c.info.Live && !c.opts.Fast {
					// Pace a recording at its own rate against the wall clock.
					if paceStart.IsZero() {
						paceStart = c.opts.Clock.Now().Add(-pts)
					}
					if d := paceStart.Add(pts).Sub(c.opts.Clock.Now()); d > 0 && !c.opts.Wait(c.stop, d) {
						f.Close()
						return
					}
				}
				f.Seq, f.PTS, f.At = seq, pts, c.opts.Clock.Now()
				c.mu.Lock()
				c.stats.Read = seq
				c.mu.Unlock()
				if !c.q.push(f, c.stop) {
					return
				}
				continue
			}
			c.mu.Lock()
			c.stats.Invalid++
			c.mu.Unlock()
		}
		failures++
		if ok && !c.info.Live {
			continue // an undecodable frame or image in a recording: skip it
		}
		// A recording that ends reads false once; a webcam may hiccup, so it needs
		// several failures in a row before we call it unplugged.
		if c.info.Live && failures < c.opts.ReadFailures {
			continue
		}
		if !c.info.Live && !c.opts.Loop {
			if !goodEver {
				c.fail(ErrNoFrames, nil)
			} else {
				c.fail(ErrEndOfStream, nil)
			}
			return
		}
		if !goodEver && !c.info.Live {
			c.fail(ErrNoFrames, nil) // looping a file without one good frame would spin
			return
		}
		// Unplugged (or a looped recording ended): close and re-open with back-off.
		g.close()
		g = nil
		c.mu.Lock()
		c.stats.Connected = false
		c.mu.Unlock()
		if !c.info.Live {
			// Continue the stream time after the last frame so PTS never goes back.
			ptsBase = lastPTS + c.frameInterval()
			paceStart = time.Time{}
		}
		var err error
		g, err = c.reopen()
		if err != nil {
			c.fail(ErrDisconnected, err)
			return
		}
		if g == nil {
			return // stopped while waiting
		}
		failures = 0
		c.mu.Lock()
		c.stats.Connected = true
		c.stats.Reconnects++
		c.mu.Unlock()
	}
}

// reopen retries the opener with exponential back-off until it works, the source
// is closed (nil, nil), or MaxReconnects attempts in a row failed.
func (c *capture) reopen() (grabber, error) {
	delay := c.opts.ReconnectMin
	if !c.info.Live {
		delay = 0 // a looped file reopens at once
	}
	var last error
	for attempt := 1; ; attempt++ {
		if !c.opts.Wait(c.stop, delay) {
			return nil, nil
		}
		g, err := c.open()
		if err == nil {
			return g, nil
		}
		last = err
		if c.opts.MaxReconnects > 0 && attempt >= c.opts.MaxReconnects {
			return nil, fmt.Errorf("%d attempts: %w", attempt, last)
		}
		if delay == 0 {
			delay = c.opts.ReconnectMin
		} else {
			delay = min(delay*2, c.opts.ReconnectMax)
		}
	}
}

func (c *capture) frameInterval() time.Duration {
	if c.info.FPS > 0 {
		return time.Duration(float64(time.Second) / c.info.FPS)
	}
	return time.Second / 30
}

// ValidateFrame checks a picture before any other OpenCV call uses it: non-empty,
// 8-bit with 1, 3 or 4 channels, and within the sanity bounds.
func ValidateFrame(m gocv.Mat) error {
	if m.Ptr() == nil || m.Empty() {
		return fmt.Errorf("%w: empty", ErrBadFrame)
	}
	w, h := m.Cols(), m.Rows()
	if w < MinFrameWidth || h < MinFrameHeight || w > MaxFrameWidth || h > MaxFrameHeight {
		return fmt.Errorf("%w: size %dx%d outside %dx%d..%dx%d", ErrBadFrame, w, h, MinFrameWidth, MinFrameHeight, MaxFrameWidth, MaxFrameHeight)
	}
	switch m.Type() {
	case gocv.MatTypeCV8UC1, gocv.MatTypeCV8UC3, gocv.MatTypeCV8UC4:
	default:
		return fmt.Errorf("%w: pixel type %v, want 8-bit grey, BGR or BGRA", ErrBadFrame, m.Type())
	}
	return nil
}

// normaliseFrame validates raw and returns a new 8-bit BGR Frame (raw is reused by
// the reader, so the frame always gets its own copy).
func normaliseFrame(raw gocv.Mat) (Frame, error) {
	if err := ValidateFrame(raw); err != nil {
		return Frame{}, err
	}
	out := gocv.NewMat()
	switch raw.Channels() {
	case 1:
		gocv.CvtColor(raw, &out, gocv.ColorGrayToBGR)
	case 4:
		gocv.CvtColor(raw, &out, gocv.ColorBGRAToBGR)
	default:
		raw.CopyTo(&out)
	}
	if out.Empty() {
		out.Close()
		return Frame{}, fmt.Errorf("%w: conversion to BGR failed", ErrBadFrame)
	}
	return Frame{Mat: out}, nil
}

// frameQueue holds at most size frames. push drops the oldest when full (or waits,
// when lossless); pop returns the oldest held frame, which under a slow consumer is
// at most size-1 frames behind the newest.
type frameQueue struct {
	mu        sync.Mutex
	frames    []Frame
	size      int
	lossless  bool
	finished  bool
	finishErr error
	delivered uint64
	dropped   uint64
	ready     chan struct{} // signalled when a frame is added or the queue finishes
	space     chan struct{} // signalled when a frame is taken (lossless mode)
}

func newFrameQueue(size int, lossless bool) *frameQueue {
	return &frameQueue{size: size, lossless: lossless, ready: make(chan struct{}, 1), space: make(chan struct{}, 1)}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// push adds f, taking ownership. It returns false (and closes f) if stop closed or
// the queue finished meanwhile.
func (q *frameQueue) push(f Frame, stop <-chan struct{}) bool {
	for {
		q.mu.Lock()
		if q.finished {
			q.mu.Unlock()
			f.Close()
			return false
		}
		if len(q.frames) < q.size {
			q.frames = append(q.frames, f)
			q.mu.Unlock()
			signal(q.ready)
			return true
		}
		if !q.lossless {
			old := q.frames[0]
			copy(q.frames, q.frames[1:])
			q.frames[len(q.frames)-1] = f
			q.dropped++
			q.mu.Unlock()
			old.Close()
			signal(q.ready)
			return true
		}
		q.mu.Unlock()
		select {
		case <-q.space:
		case <-stop:
			f.Close()
			return false
		}
	}
}

// pop takes the oldest held frame. Frames queued before an end of stream are still
// handed out; after them pop returns the finish error. Meant for one consumer.
func (q *frameQueue) pop(ctx context.Context) (Frame, error) {
	for {
		q.mu.Lock()
		if len(q.frames) > 0 {
			f := q.frames[0]
			copy(q.frames, q.frames[1:])
			q.frames[len(q.frames)-1] = Frame{}
			q.frames = q.frames[:len(q.frames)-1]
			q.delivered++
			q.mu.Unlock()
			signal(q.space)
			return f, nil
		}
		if q.finished {
			err := q.finishErr
			q.mu.Unlock()
			return Frame{}, err
		}
		q.mu.Unlock()
		select {
		case <-q.ready:
		case <-ctx.Done():
			return Frame{}, ctx.Err()
		}
	}
}

// finish stops the queue. A close (ErrSourceClosed) discards the held frames; an
// end of stream keeps them for the consumer. The first finish wins.
func (q *frameQueue) finish(err error) {
	q.mu.Lock()
	if q.finished {
		q.mu.Unlock()
		return
	}
	q.finished = true
	q.finishErr = err
	var drop []Frame
	if errors.Is(err, ErrSourceClosed) {
		drop = q.frames
		q.frames = nil
	}
	q.mu.Unlock()
	for i := range drop {
		drop[i].Close()
	}
	// Wake a waiting pop (ready) and a waiting lossless push (space).
	signal(q.ready)
	signal(q.space)
}

func (q *frameQueue) counts() (delivered, dropped uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.delivered, q.dropped
}

// fpsOr returns v when it is a plausible frame rate, else def. Backends report 0,
// NaN or absurd values for some files and devices.
func fpsOr(v, def float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 1 || v > 240 {
		return def
	}
	return v
}
