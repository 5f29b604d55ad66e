package facematch

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gocv.io/x/gocv"
)

type manifestEntry struct {
	File      string `json:"file"`
	Challenge string `json:"challenge"`
	Live      bool   `json:"live"`
	Still     bool   `json:"still"`
	Frames    int    `json:"frames"`
}

func readManifest(t testing.TB) []manifestEntry {
	t.Helper()
	b, err := os.ReadFile(videoPath("manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m []manifestEntry
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if len(m) < 5 {
		t.Fatalf("manifest lists %d recordings", len(m))
	}
	return m
}

// observeFile runs every frame of a recording through a fresh monitor.
func observeFile(t *testing.T, name string) InjectionVerdict {
	t.Helper()
	s, err := OpenVideo(videoPath(name), SourceOptions{Fast: true, Lossless: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m := NewInjectionMonitor(InjectionConfig{})
	defer m.Close()
	for {
		f, err := s.Next(context.Background())
		if errors.Is(err, ErrEndOfStream) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Observe(&f); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	return m.Verdict()
}

func TestInjectionOnRecordings(t *testing.T) {
	for _, e := range readManifest(t) {
		t.Run(e.File, func(t *testing.T) {
			v := observeFile(t, e.File)
			t.Logf("%s: %+v", e.File, v)
			if v.Frames != e.Frames {
				t.Errorf("frames = %d, the manifest says %d", v.Frames, e.Frames)
			}
			if v.Still != e.Still || v.Suspicious != e.Still {
				t.Errorf("still=%v suspicious=%v (max motion %.2f), want %v: %v", v.Still, v.Suspicious, v.MaxMotion, e.Still, v.Reasons)
			}
			if !v.TimingOK {
				t.Errorf("timing of a 30 fps file judged implausible: %v", v.Reasons)
			}
			for _, c := range v.Checks() {
				if c.Name == "injection.still" && c.OK == e.Still {
					t.Errorf("check %+v disagrees with still=%v", c, e.Still)
				}
			}
		})
	}
}

// frameFrom makes a Frame owning a copy of m at stream time pts.
func frameFrom(m gocv.Mat, seq int, pts time.Duration) Frame {
	return Frame{Mat: m.Clone(), Seq: uint64(seq), PTS: pts}
}

func loadBase(t testing.TB) gocv.Mat {
	t.Helper()
	s, err := OpenVideo(videoPath("natural_hopper.mp4"), SourceOptions{Fast: true, Lossless: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f, err := s.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return f.Mat
}

func addNoise(m gocv.Mat, sigma float64, rng *rand.Rand) {
	b, _ := m.DataPtrUint8()
	for i := range b {
		v := float64(b[i]) + rng.NormFloat64()*sigma
		b[i] = uint8(max(0, min(255, v+0.5)))
	}
}

func TestExactRepeatsAreAReplay(t *testing.T) {
	base := loadBase(t)
	defer base.Close()
	m := NewInjectionMonitor(InjectionConfig{})
	defer m.Close()
	for i := 0; i < 20; i++ {
		f := frameFrom(base, i+1, time.Duration(i)*33*time.Millisecond)
		s, err := m.Observe(&f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if s.Repeat != (i > 0) {
			t.Fatalf("frame %d: repeat=%v", i, s.Repeat)
		}
	}
	v := m.Verdict()
	if v.Repeats != 19 || !v.Replay || !v.Still || !v.Suspicious {
		t.Fatalf("verdict %+v", v)
	}
}

// A still picture with fresh sensor noise on every frame never repeats exactly, but
// the tolerant measure still sees that nothing moves.
func TestNoisyStillIsStillButNotReplay(t *testing.T) {
	base := loadBase(t)
	defer base.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	m := NewInjectionMonitor(InjectionConfig{})
	defer m.Close()
	for i := 0; i < 60; i++ {
		f := frameFrom(base, i+1, time.Duration(i)*33*time.Millisecond)
		addNoise(f.Mat, 4, rng)
		m.Observe(&f)
		f.Close()
	}
	v := m.Verdict()
	if v.Replay || v.Repeats != 0 {
		t.Errorf("noisy frames counted as exact repeats: %+v", v)
	}
	if !v.Still || !v.Suspicious {
		t.Errorf("noisy still not flagged as still: %+v", v)
	}
}

func TestLoopedClipIsAReplay(t *testing.T) {
	s, err := OpenVideo(videoPath("natural_hopper.mp4"), SourceOptions{Fast: true, Lossless: true})
	if err != nil {
		t.Fatal(err)
	}
	var clip []gocv.Mat
	for len(clip) < 30 {
		f, err := s.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		clip = append(clip, f.Mat)
	}
	s.Close()
	defer func() {
		for _, c := range clip {
			c.Close()
		}
	}()
	m := NewInjectionMonitor(InjectionConfig{})
	defer m.Close()
	for i := 0; i < 90; i++ { // the 1 s clip played three times
		f := frameFrom(clip[i%30], i+1, time.Duration(i)*33*time.Millisecond)
		m.Observe(&f)
		f.Close()
	}
	v := m.Verdict()
	if v.Repeats != 60 || !v.Replay || v.Still {
		t.Fatalf("looped clip verdict %+v", v)
	}
}

func TestFrameTimingChecks(t *testing.T) {
	ms := time.Millisecond
	regular := func(i int) time.Duration { return time.Duration(i) * 33 * ms }
	tests := []struct {
		name   string
		pts    func(i int) time.Duration
		ok     bool
		reason string
	}{
		{"30 fps", regular, true, ""},
		{"15 fps with jitter", func(i int) time.Duration { return time.Duration(i)*66*ms + time.Duration(i%3)*5*ms }, true, ""},
		{"frozen timestamps", func(i int) time.Duration { return 0 }, false, "backwards or repeat"},
		{"1000 fps", func(i int) time.Duration { return time.Duration(i) * ms }, false, "faster than any camera"},
		{"runs backwards", func(i int) time.Duration { return time.Duration(40-i) * 33 * ms }, false, "backwards"},
		{"stalls", func(i int) time.Duration {
			if i >= 20 {
				return regular(i) + time.Duration(i-19)*3*time.Second
			}
			return regular(i)
		}, false, "froze"},
		{"one splice is tolerated", func(i int) time.Duration {
			if i >= 20 {
				return regular(i) + 5*time.Second
			}
			return regular(i)
		}, true, ""},
	}
	base := loadBase(t)
	defer base.Close()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewInjectionMonitor(InjectionConfig{})
			defer m.Close()
			for i := 0; i < 40; i++ {
				f := frameFrom(base, i+1, tc.pts(i))
				addNoise(f.Mat, 2, rng)
				m.Observe(&f)
				f.Close()
			}
			v := m.Verdict()
			if v.TimingOK != tc.ok {
				t.Fatalf("timing ok = %v, want %v (%d bad): %v", v.TimingOK, tc.ok, v.BadTiming, v.Reasons)
			}
			if tc.reason != "" && !strings.Contains(strings.Join(v.Reasons, "; "), tc.reason) {
				t.Errorf("reasons %v lack %q", v.Reasons, tc.reason)
			}
		})
	}
}

func TestTooFewFramesAndReset(t *testing.T) {
	base := loadBase(t)
	defer base.Close()
	m := NewInjectionMonitor(InjectionConfig{MinFrames: 10})
	defer m.Close()
	for i := 0; i < 3; i++ {
		f := frameFrom(base, i+1, time.Duration(i)*33*time.Millisecond)
		m.Observe(&f)
		f.Close()
	}
	v := m.Verdict()
	if !v.Suspicious || !strings.Contains(strings.Join(v.Reasons, ";"), "too few frames") {
		t.Fatalf("verdict %+v", v)
	}
	m.Reset()
	if v := m.Verdict(); v.Frames != 0 || v.Repeats != 0 || v.MaxMotion != 0 {
		t.Fatalf("after reset %+v", v)
	}
	for _, c := range m.Verdict().Checks() {
		if c.OK {
			t.Errorf("check %s passes with no frames", c.Name)
		}
	}
	var bad Frame
	if _, err := m.Observe(&bad); !errors.Is(err, ErrBadFrame) {
		t.Errorf("observing an empty frame: %v", err)
	}
}

// fakeSysfs builds sysfsRoot/class/video4linux/videoN entries.
func fakeSysfs(t *testing.T, devs map[string][2]string, virtualPath map[string]bool) string {
	t.Helper()
	root := t.TempDir()
	class := filepath.Join(root, "class", "video4linux")
	os.MkdirAll(class, 0o755)
	for node, nd := range devs {
		parent := filepath.Join(root, "devices", "pci0000:00", "usb1", node)
		if virtualPath[node] {
			parent = filepath.Join(root, "devices", "virtual", "video4linux", node)
		}
		os.MkdirAll(parent, 0o755)
		os.WriteFile(filepath.Join(parent, "name"), []byte(nd[0]+"\n"), 0o644)
		if nd[1] != "" {
			drv := filepath.Join(root, "bus", "drivers", nd[1])
			os.MkdirAll(drv, 0o755)
			os.MkdirAll(filepath.Join(parent, "device"), 0o755)
			if err := os.Symlink(drv, filepath.Join(parent, "device", "driver")); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Symlink(parent, filepath.Join(class, node)); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestVideoDevicesAndVirtualCameras(t *testing.T) {
	root := fakeSysfs(t, map[string][2]string{
		"video0":  {"HD Pro Webcam C920", "uvcvideo"},
		"video2":  {"Dummy video device (0x0000)", "v4l2loopback"},
		"video10": {"OBS Virtual Camera", ""},
		"video3":  {"Integrated Camera", ""},
	}, map[string]bool{"video3": true})
	devs, err := ListVideoDevices(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		path    string
		virtual bool
	}{{"/dev/video0", false}, {"/dev/video2", true}, {"/dev/video3", true}, {"/dev/video10", true}}
	if len(devs) != len(want) {
		t.Fatalf("devices %+v", devs)
	}
	for i, w := range want {
		if devs[i].Path != w.path || devs[i].Virtual != w.virtual {
			t.Errorf("device %d = %+v, want %s virtual=%v", i, devs[i], w.path, w.virtual)
		}
	}
	if devs[0].Driver != "uvcvideo" || devs[0].Name != "HD Pro Webcam C920" {
		t.Errorf("video0 = %+v", devs[0])
	}
	if none, err := ListVideoDevices(t.TempDir()); err != nil || len(none) != 0 {
		t.Errorf("no video4linux class: %v, %v", none, err)
	}
	if _, err := DescribeVideoDevice(root, "/dev/sda"); err == nil {
		t.Error("a disk described as a camera")
	}
}

func TestSourceCheck(t *testing.T) {
	root := fakeSysfs(t, map[string][2]string{
		"video0": {"HD Pro Webcam C920", "uvcvideo"},
		"video1": {"v4l2loopback", "v4l2loopback"},
	}, nil)
	tests := []struct {
		name string
		info SourceInfo
		prod bool
		ok   bool
	}{
		{"video in production", SourceInfo{Kind: SourceVideo, Name: "x.mp4"}, true, false},
		{"video in development", SourceInfo{Kind: SourceVideo, Name: "x.mp4"}, false, true},
		{"folder in production", SourceInfo{Kind: SourceImages, Name: "d"}, true, false},
		{"real webcam in production", SourceInfo{Kind: SourceWebcam, Name: "/dev/video0", Live: true}, true, true},
		{"loopback in production", SourceInfo{Kind: SourceWebcam, Name: "/dev/video1", Live: true}, true, false},
		{"loopback in development", SourceInfo{Kind: SourceWebcam, Name: "/dev/video1", Live: true}, false, true},
		{"undescribed webcam in production", SourceInfo{Kind: SourceWebcam, Name: "/dev/video7", Live: true}, true, false},
		{"unknown kind in production", SourceInfo{Kind: "satellite"}, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := SourceCheck(tc.info, tc.prod, root)
			if c.OK != tc.ok || c.Name != "injection.source" || c.Detail == "" {
				t.Fatalf("check %+v, want ok=%v", c, tc.ok)
			}
		})
	}
}

// BenchmarkInjectionObserve is the per-frame cost of the injected-video checks at
// 640×480.
func BenchmarkInjectionObserve(b *testing.B) {
	base := loadBase(b)
	defer base.Close()
	m := NewInjectionMonitor(InjectionConfig{})
	defer m.Close()
	f := Frame{Mat: base}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f.PTS = time.Duration(i) * 33 * time.Millisecond
		if _, err := m.Observe(&f); err != nil {
			b.Fatal(err)
		}
	}
}
