package facematch

import (
	"context"
	"errors"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gocv.io/x/gocv"
)

func videoPath(name string) string { return filepath.Join("testdata", "video", name) }

// fakeClock advances only when Wait is called, so pacing and back-off are tested
// without sleeping and without timed assertions.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Wait(stop <-chan struct{}, d time.Duration) bool {
	select {
	case <-stop:
		return false
	default:
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	c.now = c.now.Add(d)
	return true
}

func (c *fakeClock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.waits...)
}

// drain reads until the source ends and returns the frames' sequence numbers and PTS.
func drain(t *testing.T, s Source) (seqs []uint64, pts []time.Duration, err error) {
	t.Helper()
	ctx := context.Background()
	for {
		f, err := s.Next(ctx)
		if err != nil {
			return seqs, pts, err
		}
		if f.Mat.Cols() != 640 || f.Mat.Rows() != 480 || f.Mat.Type() != gocv.MatTypeCV8UC3 {
			t.Errorf("frame %d: %dx%d type %v, want 640x480 BGR", f.Seq, f.Mat.Cols(), f.Mat.Rows(), f.Mat.Type())
		}
		seqs = append(seqs, f.Seq)
		pts = append(pts, f.PTS)
		f.Close()
	}
}

func TestVideoSourceDeliversEveryFrame(t *testing.T) {
	s, err := OpenVideo(videoPath("natural_hopper.mp4"), SourceOptions{Fast: true, Lossless: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	info := s.Info()
	if info.Kind != SourceVideo || info.FPS != 30 || info.Width != 640 || info.Height != 480 || info.Live {
		t.Errorf("info = %+v", info)
	}
	seqs, pts, err := drain(t, s)
	if !errors.Is(err, ErrEndOfStream) {
		t.Fatalf("end error = %v, want ErrEndOfStream", err)
	}
	var se *SourceError
	if !errors.As(err, &se) || se.Kind != SourceVideo {
		t.Errorf("end error %v is not a *SourceError for the video", err)
	}
	if len(seqs) != 90 {
		t.Fatalf("got %d frames, want 90", len(seqs))
	}
	for i, q := range seqs {
		if q != uint64(i+1) {
			t.Fatalf("frame %d has seq %d", i, q)
		}
		if i > 0 {
			if d := pts[i] - pts[i-1]; d < 30*time.Millisecond || d > 37*time.Millisecond {
				t.Fatalf("frame %d: PTS step %v, want ~33ms at 30 fps", i, d)
			}
		}
	}
	if st := s.Stats(); st.Read != 90 || st.Delivered != 90 || st.Dropped != 0 || st.Invalid != 0 {
		t.Errorf("stats = %+v", st)
	}
	// After the end, Next keeps saying so.
	if _, err := s.Next(context.Background()); !errors.Is(err, ErrEndOfStream) {
		t.Errorf("second Next after end = %v", err)
	}
}

func TestVideoSourcePacedAtFileRate(t *testing.T) {
	clk := newFakeClock()
	s, err := OpenVideo(videoPath("still_hopper.mp4"), SourceOptions{Lossless: true, Clock: clk, Wait: clk.Wait})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	seqs, _, err := drain(t, s)
	if !errors.Is(err, ErrEndOfStream) || len(seqs) != 90 {
		t.Fatalf("%d frames, end %v", len(seqs), err)
	}
	waits := clk.Waits()
	if len(waits) != 89 {
		t.Fatalf("paced with %d waits, want 89 (one between each pair of frames)", len(waits))
	}
	var total time.Duration
	for _, w := range waits {
		total += w
	}
	if total < 2900*time.Millisecond || total > 3000*time.Millisecond {
		t.Errorf("90 frames at 30 fps paced over %v, want ~2.97s", total)
	}
}

func TestQueueDropsOldFramesForSlowConsumer(t *testing.T) {
	s, err := OpenVideo(videoPath("natural_hopper.mp4"), SourceOptions{Fast: true, QueueSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// The slowest consumer: it reads nothing until the producer has finished.
	<-s.(*capture).done
	seqs, _, err := drain(t, s)
	if !errors.Is(err, ErrEndOfStream) {
		t.Fatalf("end = %v", err)
	}
	if len(seqs) != 2 || seqs[0] != 89 || seqs[1] != 90 {
		t.Fatalf("slow consumer got seqs %v, want the newest two [89 90]", seqs)
	}
	if st := s.Stats(); st.Dropped != 88 || st.Delivered != 2 || st.Read != 90 {
		t.Errorf("stats = %+v, want 88 dropped, 2 delivered", st)
	}
}

func TestFrameQueueKeepsNewest(t *testing.T) {
	tests := []struct {
		size, pushed int
		want         []uint64
	}{
		{1, 5, []uint64{5}},
		{2, 5, []uint64{4, 5}},
		{3, 2, []uint64{1, 2}},
	}
	for _, tc := range tests {
		q := newFrameQueue(tc.size, false)
		var mats []gocv.Mat
		for i := 1; i <= tc.pushed; i++ {
			m := gocv.NewMatWithSize(48, 64, gocv.MatTypeCV8UC3)
			mats = append(mats, m)
			if !q.push(Frame{Mat: m, Seq: uint64(i)}, nil) {
				t.Fatal("push refused")
			}
		}
		q.finish(ErrEndOfStream)
		var got []uint64
		for {
			f, err := q.pop(context.Background())
			if err != nil {
				if !errors.Is(err, ErrEndOfStream) {
					t.Fatalf("pop: %v", err)
				}
				break
			}
			got = append(got, f.Seq)
			f.Close()
		}
		if len(got) != len(tc.want) {
			t.Fatalf("size %d, %d pushed: got %v, want %v", tc.size, tc.pushed, got, tc.want)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Fatalf("size %d, %d pushed: got %v, want %v", tc.size, tc.pushed, got, tc.want)
			}
		}
		if d, dr := q.counts(); d != uint64(len(tc.want)) || dr != uint64(tc.pushed-len(tc.want)) {
			t.Errorf("counts delivered %d dropped %d", d, dr)
		}
		_ = mats // dropped and delivered mats were closed by the queue and the test
	}
}

func writePNG(t *testing.T, path string, w, h int, shade uint8) {
	t.Helper()
	m := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(float64(shade), 128, 200, 0), h, w, gocv.MatTypeCV8UC3)
	defer m.Close()
	gocv.Circle(&m, image.Pt(w/2, h/2), h/4, color.RGBA{20, 30, 40, 0}, -1)
	if !gocv.IMWrite(path, m) {
		t.Fatalf("writing %s", path)
	}
}

func TestImageFolderSource(t *testing.T) {
	dir := t.TempDir()
	writePNG(t, filepath.Join(dir, "b.png"), 400, 300, 10)
	writePNG(t, filepath.Join(dir, "a.png"), 320, 240, 20)
	writePNG(t, filepath.Join(dir, "d.jpg"), 640, 480, 30)
	writePNG(t, filepath.Join(dir, "e.png"), 20, 20, 40) // too small for a camera frame
	os.WriteFile(filepath.Join(dir, "c.png"), []byte("\x89PNG\r\n\x1a\n not really"), 0o644)
	os.WriteFile(filepath.Join(dir, "f.jpeg"), nil, 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("ignored"), 0o644)

	s, err := OpenImages(dir, 10, SourceOptions{Fast: true, Lossless: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	var sizes []image.Point
	var pts []time.Duration
	for {
		f, err := s.Next(ctx)
		if err != nil {
			if !errors.Is(err, ErrEndOfStream) {
				t.Fatalf("end = %v", err)
			}
			break
		}
		if f.Mat.Type() != gocv.MatTypeCV8UC3 {
			t.Errorf("type %v", f.Mat.Type())
		}
		sizes = append(sizes, f.Size())
		pts = append(pts, f.PTS)
		f.Close()
	}
	want := []image.Point{{320, 240}, {400, 300}, {640, 480}} // a, b, d by name
	if len(sizes) != len(want) {
		t.Fatalf("sizes %v, want %v", sizes, want)
	}
	for i := range want {
		if sizes[i] != want[i] {
			t.Fatalf("sizes %v, want %v (sorted by name)", sizes, want)
		}
	}
	// a=0, b=1, d=3 in the listing of 6 images: PTS follows the file's slot at 10 fps.
	if pts[0] != 0 || pts[1] != 100*time.Millisecond || pts[2] != 300*time.Millisecond {
		t.Errorf("pts %v", pts)
	}
	if st := s.Stats(); st.Invalid != 3 {
		t.Errorf("invalid = %d, want 3 (corrupt, empty, too small)", st.Invalid)
	}
}

func TestMissingOrBadSourcesAreClearErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.mp4")
	os.WriteFile(empty, nil, 0o644)
	junk := filepath.Join(dir, "junk.mp4")
	os.WriteFile(junk, []byte("this is not a video at all, just text pretending"), 0o644)
	emptyDir := filepath.Join(dir, "none")
	os.Mkdir(emptyDir, 0o755)

	tests := []struct {
		name string
		open func() (Source, error)
		want error
	}{
		{"webcam index absent", func() (Source, error) { return OpenWebcam("63", 640, 480, 30, SourceOptions{}) }, ErrSourceNotFound},
		{"webcam path absent", func() (Source, error) { return OpenWebcam("/dev/video-nope", 640, 480, 30, SourceOptions{}) }, ErrSourceNotFound},
		{"webcam not a device", func() (Source, error) { return OpenWebcam(junk, 640, 480, 30, SourceOptions{}) }, ErrSourceOpen},
		{"webcam lossless", func() (Source, error) { return OpenWebcam("0", 640, 480, 30, SourceOptions{Lossless: true}) }, ErrSourceOpen},
		{"video absent", func() (Source, error) { return OpenVideo(filepath.Join(dir, "nope.mp4"), SourceOptions{}) }, ErrSourceNotFound},
		{"video empty", func() (Source, error) { return OpenVideo(empty, SourceOptions{}) }, ErrNoFrames},
		{"video junk", func() (Source, error) { return OpenVideo(junk, SourceOptions{}) }, ErrSourceOpen},
		{"video is a folder", func() (Source, error) { return OpenVideo(dir, SourceOptions{}) }, ErrSourceOpen},
		{"images absent", func() (Source, error) { return OpenImages(filepath.Join(dir, "nope"), 10, SourceOptions{}) }, ErrSourceNotFound},
		{"images none", func() (Source, error) { return OpenImages(emptyDir, 10, SourceOptions{}) }, ErrNoFrames},
		{"video in production", func() (Source, error) {
			return OpenVideo(videoPath("still_hopper.mp4"), SourceOptions{Production: true})
		}, ErrSourceRefused},
		{"images in production", func() (Source, error) {
			return OpenSource(CameraOptions{Images: emptyDir, FPS: 10}, SourceOptions{Production: true})
		}, ErrSourceRefused},
		{"config video and images", func() (Source, error) {
			return OpenSource(CameraOptions{Images: emptyDir, Video: junk}, SourceOptions{})
		}, ErrSourceOpen},
		{"config webcam absent", func() (Source, error) {
			return OpenSource(CameraOptions{Index: 63, Width: 640, Height: 480, FPS: 30}, SourceOptions{})
		}, ErrSourceNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.open()
			if err == nil {
				s.Close()
				t.Fatalf("opened; want %v", tc.want)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			var se *SourceError
			if !errors.As(err, &se) || se.Name == "" {
				t.Errorf("err %v is not a *SourceError naming the source", err)
			}
		})
	}
}

func TestJunkVideoThatOpensButHasNoFrames(t *testing.T) {
	// A file ffmpeg accepts but that decodes to nothing usable must end with
	// ErrNoFrames, not hang. A 1×1 video: frames fail validation.
	tiny := filepath.Join(t.TempDir(), "tiny.avi")
	vw, err := gocv.VideoWriterFile(tiny, "MJPG", 10, 8, 8, true)
	if err != nil {
		t.Skipf("no MJPG writer in this OpenCV build: %v", err)
	}
	m := gocv.NewMatWithSize(8, 8, gocv.MatTypeCV8UC3)
	for i := 0; i < 5; i++ {
		vw.Write(m)
	}
	m.Close()
	vw.Close()
	s, err := OpenVideo(tiny, SourceOptions{Fast: true, Lossless: true})
	if err != nil {
		if errors.Is(err, ErrSourceOpen) {
			return // refusing at open is just as clear
		}
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Next(context.Background()); !errors.Is(err, ErrNoFrames) {
		t.Fatalf("Next = %v, want ErrNoFrames", err)
	}
	if st := s.Stats(); st.Invalid != 5 {
		t.Errorf("invalid = %d, want 5", st.Invalid)
	}
}

func TestOpenSourceFromConfig(t *testing.T) {
	s, err := OpenSource(CameraOptions{Video: videoPath("still_hopper.mp4"), Width: 640, Height: 480, FPS: 30}, SourceOptions{Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.Info().Kind != SourceVideo {
		t.Errorf("kind %s", s.Info().Kind)
	}
	s.Close()
	s, err = OpenSource(CameraOptions{Images: filepath.Join("testdata", "video", "source"), FPS: 5}, SourceOptions{Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.Info().Kind != SourceImages || s.Info().FPS != 5 {
		t.Errorf("info %+v", s.Info())
	}
	s.Close()
}

func TestLoopedVideoReconnectsAndKeepsCounting(t *testing.T) {
	s, err := OpenVideo(videoPath("still_hopper.mp4"), SourceOptions{Fast: true, Lossless: true, Loop: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var last Frame
	for i := 1; i <= 200; i++ {
		f, err := s.Next(context.Background())
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if f.Seq != uint64(i) || (i > 1 && f.PTS <= last.PTS) {
			t.Fatalf("frame %d: seq %d pts %v after pts %v", i, f.Seq, f.PTS, last.PTS)
		}
		last = Frame{Seq: f.Seq, PTS: f.PTS}
		f.Close()
	}
	if st := s.Stats(); st.Reconnects != 2 {
		t.Errorf("reconnects = %d after 200 frames of a 90-frame file, want 2", st.Reconnects)
	}
}

// fakeGrabber yields n good frames and then reports the device gone.
type fakeGrabber struct {
	n, i int
	pts  time.Duration
}

func (g *fakeGrabber) read(m *gocv.Mat) (time.Duration, bool) {
	if g.i >= g.n {
		return 0, false
	}
	g.i++
	g.pts += 33 * time.Millisecond
	src := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(float64(g.i), 0, 0, 0), 480, 640, gocv.MatTypeCV8UC3)
	src.CopyTo(m)
	src.Close()
	return g.pts, true
}
func (g *fakeGrabber) close() {}

// fakeDevice fails to open `failures` times, then opens a grabber of n frames.
type fakeDevice struct {
	mu       sync.Mutex
	failures int
	n        int
	opens    int
}

func (d *fakeDevice) open() (grabber, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.opens++
	if d.failures > 0 {
		d.failures--
		return nil, errors.New("no such device")
	}
	return &fakeGrabber{n: d.n}, nil
}

func TestWebcamUnplugReconnectsWithBackoff(t *testing.T) {
	clk := newFakeClock()
	dev := &fakeDevice{failures: 4, n: 3}
	opts := SourceOptions{Clock: clk, Wait: clk.Wait, ReconnectMin: 100 * time.Millisecond, ReconnectMax: 500 * time.Millisecond, ReadFailures: 3, QueueSize: 1}.withDefaults()
	c := startCapture(SourceInfo{Kind: SourceWebcam, Name: "/dev/fake0", Live: true, FPS: 30}, opts, &fakeGrabber{n: 3}, dev.open)
	defer c.Close()
	// 3 frames, unplug, 4 failed re-opens, re-open, more frames from seq 4 on. The
	// queue holds one frame and drops the older one when the reader is late (as on a
	// busy machine: once it saw 1 2 3 4 10 11), so wait for any frame from after the
	// re-open rather than for one given frame.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var seqs []uint64
	for len(seqs) == 0 || seqs[len(seqs)-1] <= 3 {
		f, err := c.Next(ctx)
		if err != nil {
			t.Fatalf("after %v: %v", seqs, err)
		}
		seqs = append(seqs, f.Seq)
		f.Close()
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] {
			t.Fatalf("seqs %v: not increasing across the re-open", seqs)
		}
	}
	waits := clk.Waits()
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 500 * time.Millisecond, 500 * time.Millisecond}
	if len(waits) < len(want) {
		t.Fatalf("back-off waits %v, want to start with %v", waits, want)
	}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("back-off waits %v, want to start with %v", waits, want)
		}
	}
	if st := c.Stats(); st.Reconnects < 1 {
		t.Errorf("stats %+v: want a reconnect", st)
	}
}

func TestWebcamGivesUpAfterMaxReconnects(t *testing.T) {
	clk := newFakeClock()
	dev := &fakeDevice{failures: 1 << 30}
	opts := SourceOptions{Clock: clk, Wait: clk.Wait, MaxReconnects: 3}.withDefaults()
	c := startCapture(SourceInfo{Kind: SourceWebcam, Name: "/dev/fake0", Live: true}, opts, &fakeGrabber{n: 1}, dev.open)
	defer c.Close()
	f, err := c.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = c.Next(context.Background())
	if !errors.Is(err, ErrDisconnected) {
		t.Fatalf("err = %v, want ErrDisconnected", err)
	}
	if dev.opens != 3 {
		t.Errorf("%d re-open attempts, want 3", dev.opens)
	}
	if st := c.Stats(); st.Connected {
		t.Error("stats say connected after giving up")
	}
}

func TestCloseUnblocksNextAndIsIdempotent(t *testing.T) {
	dev := &fakeDevice{failures: 1 << 30}
	// A real Wait that only returns when stopped: the source hangs "unplugged".
	block := func(stop <-chan struct{}, d time.Duration) bool { <-stop; return false }
	opts := SourceOptions{Wait: block}.withDefaults()
	c := startCapture(SourceInfo{Kind: SourceWebcam, Name: "/dev/fake0", Live: true}, opts, &fakeGrabber{n: 0}, dev.open)
	errc := make(chan error, 1)
	go func() {
		_, err := c.Next(context.Background())
		errc <- err
	}()
	c.Close()
	if err := <-errc; !errors.Is(err, ErrSourceClosed) {
		t.Fatalf("Next after Close = %v, want ErrSourceClosed", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestNextHonoursContext(t *testing.T) {
	block := func(stop <-chan struct{}, d time.Duration) bool { <-stop; return false }
	opts := SourceOptions{Wait: block}.withDefaults()
	c := startCapture(SourceInfo{Kind: SourceWebcam, Name: "/dev/fake0", Live: true}, opts, &fakeGrabber{n: 0}, (&fakeDevice{failures: 1 << 30}).open)
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestValidateAndNormaliseFrame(t *testing.T) {
	tests := []struct {
		name string
		mat  func() gocv.Mat
		ok   bool
	}{
		{"empty", func() gocv.Mat { return gocv.NewMat() }, false},
		{"tiny", func() gocv.Mat { return gocv.NewMatWithSize(10, 10, gocv.MatTypeCV8UC3) }, false},
		{"absurdly wide", func() gocv.Mat { return gocv.NewMatWithSize(100, 5000, gocv.MatTypeCV8UC3) }, false},
		{"float pixels", func() gocv.Mat { return gocv.NewMatWithSize(480, 640, gocv.MatTypeCV32FC3) }, false},
		{"16-bit", func() gocv.Mat { return gocv.NewMatWithSize(480, 640, gocv.MatTypeCV16UC3) }, false},
		{"bgr", func() gocv.Mat { return gocv.NewMatWithSize(480, 640, gocv.MatTypeCV8UC3) }, true},
		{"grey", func() gocv.Mat { return gocv.NewMatWithSize(480, 640, gocv.MatTypeCV8UC1) }, true},
		{"bgra", func() gocv.Mat { return gocv.NewMatWithSize(480, 640, gocv.MatTypeCV8UC4) }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.mat()
			defer m.Close()
			f, err := normaliseFrame(m)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if err != nil {
				if !errors.Is(err, ErrBadFrame) {
					t.Errorf("err %v does not unwrap to ErrBadFrame", err)
				}
				return
			}
			defer f.Close()
			if f.Mat.Type() != gocv.MatTypeCV8UC3 || f.Mat.Cols() != 640 || f.Mat.Rows() != 480 {
				t.Errorf("normalised to %v %dx%d", f.Mat.Type(), f.Mat.Cols(), f.Mat.Rows())
			}
		})
	}
	var zero Frame
	if err := zero.Close(); err != nil {
		t.Errorf("closing a zero frame: %v", err)
	}
}

// BenchmarkVideoFrameDelivery is the cost per delivered 640×480 frame of a video
// source: decode, validate, copy to BGR, queue, hand over.
func BenchmarkVideoFrameDelivery(b *testing.B) {
	s, err := OpenVideo(videoPath("natural_hopper.mp4"), SourceOptions{Fast: true, Lossless: true, Loop: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := s.Next(ctx)
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}

// BenchmarkQueueHandOver is the queue's own cost per 640×480 frame (normalise copy,
// push, pop), without decoding.
func BenchmarkQueueHandOver(b *testing.B) {
	src := gocv.NewMatWithSize(480, 640, gocv.MatTypeCV8UC3)
	defer src.Close()
	q := newFrameQueue(2, false)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := normaliseFrame(src)
		if err != nil {
			b.Fatal(err)
		}
		q.push(f, nil)
		g, err := q.pop(ctx)
		if err != nil {
			b.Fatal(err)
		}
		g.Close()
	}
}

func TestCameraProber(t *testing.T) {
	root := fakeSysfs(t, map[string][2]string{"video0": {"HD Pro Webcam C920", "uvcvideo"}}, nil)
	cams, err := CameraProber{SysfsRoot: root}.Cameras()
	if err != nil || len(cams) != 1 || cams[0].Path != "/dev/video0" || cams[0].Virtual {
		t.Fatalf("cameras %+v, %v", cams, err)
	}
	tests := []struct {
		name   string
		p      CameraProber
		ok     bool
		detail string
	}{
		{"recording outside production", CameraProber{Camera: CameraOptions{Video: videoPath("still_hopper.mp4")}}, true, "640x480"},
		{"recording in production", CameraProber{Camera: CameraOptions{Video: videoPath("still_hopper.mp4")}, Production: true}, false, "refused"},
		{"absent webcam", CameraProber{Camera: CameraOptions{Index: 63, Width: 640, Height: 480, FPS: 30}}, false, "not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			c := tc.p.Probe(ctx)
			if c.OK != tc.ok || !strings.Contains(c.Detail, tc.detail) || c.Name != "camera" {
				t.Fatalf("probe = %+v, want ok=%v detail containing %q", c, tc.ok, tc.detail)
			}
		})
	}
}

func TestFramePreview(t *testing.T) {
	s, err := OpenVideo(videoPath("natural_hopper.mp4"), SourceOptions{Fast: true, Lossless: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f, err := s.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := f.Preview(320)
	if err != nil {
		t.Fatal(err)
	}
	if b := p.Image.Bounds(); b.Dx() != 320 || b.Dy() != 240 || p.Seq != f.Seq {
		t.Fatalf("preview %v seq %d", b, p.Seq)
	}
	// The preview is in RGB order: the flag's blue field is bluer than it is red.
	r, g, b, _ := p.Image.At(300, 20).RGBA()
	_ = g
	if b <= r {
		t.Errorf("pixel at the blue sky: r=%d b=%d; channels swapped?", r>>8, b>>8)
	}
	var empty Frame
	if _, err := empty.Preview(0); !errors.Is(err, ErrBadFrame) {
		t.Errorf("preview of an empty frame: %v", err)
	}
}

// TestProductionWebcamMustBeAV4LDevice: a recording named as the webcam device was
// played as the camera of a production kiosk. OpenWebcam now refuses, in production,
// any path that is not a video4linux character device under /dev (facematch/v4l),
// judging the real file behind the name.
func TestProductionWebcamMustBeAV4LDevice(t *testing.T) {
	recording, err := filepath.Abs(videoPath("still_hopper.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "video0")
	if err := os.Symlink(recording, link); err != nil {
		t.Fatal(err)
	}
	devices := []string{recording, link, "/dev/null"}
	if shm, err := os.MkdirTemp("/dev/shm", "camtest"); err == nil {
		t.Cleanup(func() { os.RemoveAll(shm) })
		underDev := filepath.Join(shm, "video0")
		if err := os.Symlink(recording, underDev); err != nil {
			t.Fatal(err)
		}
		devices = append(devices, underDev)
	}
	for _, dev := range devices {
		t.Run(dev, func(t *testing.T) {
			s, err := OpenWebcam(dev, 640, 480, 30, SourceOptions{Production: true, SysfsRoot: t.TempDir()})
			if err == nil {
				s.Close()
				t.Fatal("a production kiosk opened it as its camera")
			}
			if !errors.Is(err, ErrSourceRefused) {
				t.Fatalf("err = %v, want ErrSourceRefused", err)
			}
		})
	}
}
