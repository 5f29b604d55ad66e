package facematch

// Checks against injected video: a recording, a still image or a looped clip fed to
// the kiosk instead of a live camera picture. They are one layer of liveness, never
// the only one: a printed photo held in front of a real camera is stopped by the
// active challenge, not here.
//
// Per frame (cheap, < 1 ms at 640×480): a 64×48 grey thumbnail (area-averaged, so the
// noise that video compression or a sensor adds mostly cancels out), its hash, and its
// distance to the first and to the previous thumbnail. At decision time: how many
// frames repeated an earlier frame exactly, how far the picture ever moved from the
// first frame, and whether the stream timing is plausible for a camera.

import (
	"fmt"
	"hash/maphash"
	"image"
	"math"
	"sync"
	"time"

	"gocv.io/x/gocv"

	"github.com/macau-dsi/kiosk/kiosk"
)

// InjectionConfig holds the thresholds of the injected-video checks. Zero fields take
// the documented defaults (DefaultInjectionConfig).
type InjectionConfig struct {
	// MinFrames is how many frames must be seen before the stillness and repeat
	// checks can pass; fewer is itself a failure ("too few frames"). Default 10.
	MinFrames int
	// MaxRepeatRatio: above this fraction of frames that exactly repeat an earlier
	// frame (thumbnail hash), the stream is a replay. A live sensor never produces
	// two identical pictures. Default 0.5.
	MaxRepeatRatio float64
	// StillMotion: if no frame ever differs from the first by more than this mean
	// absolute grey level (0–255, on the 64×48 thumbnail), the stream is a still
	// image. Measured: H.264 at CRF 27 on a still gives 0.04; per-pixel Gaussian
	// noise of σ 4 / 8 / 12 grey levels on a still gives 0.37 / 0.66 / 0.94; the
	// least-moving synthetic genuine sequence (a blink with ±0.6 px jitter) gives 3.8
	// and camera-like sway 9.7. Default 1.0.
	StillMotion float64
	// MinInterval: consecutive frames closer than this in stream time are implausible
	// for a camera (faster than 240 fps). Default 4 ms.
	MinInterval time.Duration
	// MaxGap: a pause longer than this between frames of one attempt means the
	// stream was frozen or spliced. Default 2 s.
	MaxGap time.Duration
	// MaxBadTiming: fraction of frame intervals allowed to be implausible (out of
	// order, too close or too far) before the timing check fails. Default 0.1.
	MaxBadTiming float64
	// History is how many recent frame hashes are remembered to spot a looped clip.
	// Default 900 (30 s at 30 fps).
	History int
}

// DefaultInjectionConfig returns the documented defaults.
func DefaultInjectionConfig() InjectionConfig {
	return InjectionConfig{
		MinFrames:      10,
		MaxRepeatRatio: 0.5,
		StillMotion:    1.0,
		MinInterval:    4 * time.Millisecond,
		MaxGap:         2 * time.Second,
		MaxBadTiming:   0.1,
		History:        900,
	}
}

func (c InjectionConfig) withDefaults() InjectionConfig {
	d := DefaultInjectionConfig()
	if c.MinFrames <= 0 {
		c.MinFrames = d.MinFrames
	}
	if c.MaxRepeatRatio <= 0 {
		c.MaxRepeatRatio = d.MaxRepeatRatio
	}
	if c.StillMotion <= 0 {
		c.StillMotion = d.StillMotion
	}
	if c.MinInterval <= 0 {
		c.MinInterval = d.MinInterval
	}
	if c.MaxGap <= 0 {
		c.MaxGap = d.MaxGap
	}
	if c.MaxBadTiming <= 0 {
		c.MaxBadTiming = d.MaxBadTiming
	}
	if c.History <= 0 {
		c.History = d.History
	}
	return c
}

// Thumbnail size used by the checks: 10× smaller than 640×480, so each thumbnail
// pixel averages ~100 camera pixels.
const (
	thumbW = 64
	thumbH = 48
)

// InjectionSample is what Observe learned from one frame.
type InjectionSample struct {
	Repeat bool    // exactly repeats an earlier frame of this attempt
	Step   float64 // mean absolute grey difference to the previous frame
	Motion float64 // mean absolute grey difference to the first frame
}

// InjectionVerdict is the outcome of the checks for one attempt.
type InjectionVerdict struct {
	Frames      int     `json:"frames"`
	Repeats     int     `json:"repeats"`      // frames that exactly repeated an earlier one
	RepeatRatio float64 `json:"repeat_ratio"` // Repeats / (Frames-1)
	MaxMotion   float64 `json:"max_motion"`   // largest distance to the first frame
	MeanStep    float64 `json:"mean_step"`    // mean frame-to-frame distance
	BadTiming   int     `json:"bad_timing"`   // implausible intervals
	Still       bool    `json:"still"`
	Replay      bool    `json:"replay"`
	TimingOK    bool    `json:"timing_ok"`
	// Suspicious is true when any check failed (or too few frames were seen).
	Suspicious bool     `json:"suspicious"`
	Reasons    []string `json:"reasons,omitempty"`
}

// Checks renders the verdict as named checks for kiosk.FaceDecision.
func (v InjectionVerdict) Checks() []kiosk.Check {
	enough := v.Frames >= 2
	return []kiosk.Check{
		{Name: "injection.repeat", OK: enough && !v.Replay, Detail: fmt.Sprintf("%d of %d frames repeated exactly", v.Repeats, v.Frames)},
		{Name: "injection.still", OK: enough && !v.Still, Detail: fmt.Sprintf("max motion %.2f grey levels", v.MaxMotion)},
		{Name: "injection.timing", OK: enough && v.TimingOK, Detail: fmt.Sprintf("%d implausible frame intervals", v.BadTiming)},
	}
}

// InjectionMonitor accumulates the injected-video checks over one attempt. Feed it
// every frame the pipeline looks at (Observe), ask Verdict at decision time, Reset
// for the next attempt. Safe for concurrent use.
type InjectionMonitor struct {
	cfg  InjectionConfig
	seed maphash.Seed

	mu        sync.Mutex
	frames    int
	repeats   int
	first     []byte
	prev      []byte
	seen      map[uint64]int // hash -> count in history
	order     []uint64       // ring of recent hashes
	maxMotion float64
	stepSum   float64
	lastPTS   time.Duration
	intervals int
	badTiming int
	reasons   map[string]bool

	small, grey gocv.Mat // reused buffers
}

// NewInjectionMonitor makes a monitor; Close it to free its buffers.
func NewInjectionMonitor(cfg InjectionConfig) *InjectionMonitor {
	return &InjectionMonitor{
		cfg:   cfg.withDefaults(),
		seed:  maphash.MakeSeed(),
		seen:  map[uint64]int{},
		small: gocv.NewMat(),
		grey:  gocv.NewMat(),
	}
}

// Close frees the monitor's OpenCV buffers.
func (m *InjectionMonitor) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.small.Close()
	m.grey.Close()
	return nil
}

// Reset forgets the attempt so far.
func (m *InjectionMonitor) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.frames, m.repeats, m.intervals, m.badTiming = 0, 0, 0, 0
	m.first, m.prev = nil, nil
	m.seen = map[uint64]int{}
	m.order = m.order[:0]
	m.maxMotion, m.stepSum, m.lastPTS = 0, 0, 0
	m.reasons = nil
}

// Observe adds one frame. It does not keep the frame; the caller still owns it.
func (m *InjectionMonitor) Observe(f *Frame) (InjectionSample, error) {
	if err := ValidateFrame(f.Mat); err != nil {
		return InjectionSample{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	thumb, err := m.thumbnail(f.Mat)
	if err != nil {
		return InjectionSample{}, err
	}
	var s InjectionSample
	h := maphash.Bytes(m.seed, thumb)
	if m.seen[h] > 0 {
		s.Repeat = true
		m.repeats++
	}
	m.remember(h)
	if m.first == nil {
		m.first = thumb
	} else {
		s.Motion = meanAbsDiff(thumb, m.first)
		s.Step = meanAbsDiff(thumb, m.prev)
		m.maxMotion = math.Max(m.maxMotion, s.Motion)
		m.stepSum += s.Step
		m.interval(f.PTS)
	}
	m.prev = thumb
	m.lastPTS = f.PTS
	m.frames++
	return s, nil
}

func (m *InjectionMonitor) interval(pts time.Duration) {
	m.intervals++
	d := pts - m.lastPTS
	switch {
	case d <= 0:
		m.badTiming++
		m.reason("frame times go backwards or repeat")
	case d < m.cfg.MinInterval:
		m.badTiming++
		m.reason("frames arrive faster than any camera")
	case d > m.cfg.MaxGap:
		m.badTiming++
		m.reason("the stream froze or was spliced")
	}
}

func (m *InjectionMonitor) reason(r string) {
	if m.reasons == nil {
		m.reasons = map[string]bool{}
	}
	m.reasons[r] = true
}

func (m *InjectionMonitor) remember(h uint64) {
	m.seen[h]++
	m.order = append(m.order, h)
	if len(m.order) > m.cfg.History {
		old := m.order[0]
		m.order = m.order[1:]
		if m.seen[old]--; m.seen[old] <= 0 {
			delete(m.seen, old)
		}
	}
}

// thumbnail returns a fresh 64×48 grey copy of the frame.
func (m *InjectionMonitor) thumbnail(src gocv.Mat) ([]byte, error) {
	gocv.Resize(src, &m.small, image.Pt(thumbW, thumbH), 0, 0, gocv.InterpolationArea)
	switch m.small.Channels() {
	case 3:
		gocv.CvtColor(m.small, &m.grey, gocv.ColorBGRToGray)
	case 4:
		gocv.CvtColor(m.small, &m.grey, gocv.ColorBGRAToGray)
	default:
		m.small.CopyTo(&m.grey)
	}
	b := m.grey.ToBytes()
	if len(b) != thumbW*thumbH {
		return nil, fmt.Errorf("%w: thumbnail has %d bytes", ErrBadFrame, len(b))
	}
	return b, nil
}

func meanAbsDiff(a, b []byte) float64 {
	var sum int
	for i := range a {
		d := int(a[i]) - int(b[i])
		if d < 0 {
			d = -d
		}
		sum += d
	}
	return float64(sum) / float64(len(a))
}

// Verdict judges the attempt so far.
func (m *InjectionMonitor) Verdict() InjectionVerdict {
	m.mu.Lock()
	defer m.mu.Unlock()
	v := InjectionVerdict{Frames: m.frames, Repeats: m.repeats, MaxMotion: m.maxMotion, BadTiming: m.badTiming}
	if m.frames > 1 {
		v.RepeatRatio = float64(m.repeats) / float64(m.frames-1)
		v.MeanStep = m.stepSum / float64(m.frames-1)
	}
	var reasons []string
	if m.frames < m.cfg.MinFrames {
		reasons = append(reasons, fmt.Sprintf("too few frames (%d of %d)", m.frames, m.cfg.MinFrames))
	}
	v.Replay = m.frames > 1 && v.RepeatRatio > m.cfg.MaxRepeatRatio
	if v.Replay {
		reasons = append(reasons, "frames repeat exactly: a replayed or still picture")
	}
	v.Still = m.frames >= 2 && m.maxMotion < m.cfg.StillMotion
	if v.Still {
		reasons = append(reasons, "the picture never moves: a still image")
	}
	v.TimingOK = m.intervals == 0 || float64(m.badTiming)/float64(m.intervals) <= m.cfg.MaxBadTiming
	if !v.TimingOK {
		for _, r := range []string{"frame times go backwards or repeat", "frames arrive faster than any camera", "the stream froze or was spliced"} {
			if m.reasons[r] {
				reasons = append(reasons, "implausible timing: "+r)
			}
		}
	}
	v.Suspicious = len(reasons) > 0
	v.Reasons = reasons
	return v
}

// SourceCheck says whether a source may be trusted as a live camera. Recordings,
// image folders and virtual cameras fail it in production; outside production they
// pass with a note, so recordings can drive tests and demos. sysfsRoot is normally
// "/sys".
func SourceCheck(info SourceInfo, production bool, sysfsRoot string) kiosk.Check {
	c := kiosk.Check{Name: "injection.source", OK: true}
	switch info.Kind {
	case SourceVideo, SourceImages:
		c.Detail = string(info.Kind) + " source"
		if production {
			c.OK = false
			c.Detail += ": refused in production"
		} else {
			c.Detail += ": allowed outside production only"
		}
		return c
	case SourceWebcam:
		d, err := DescribeVideoDevice(sysfsRoot, info.Name)
		switch {
		case err != nil:
			// Without sysfs we cannot tell; a production kiosk must be able to.
			c.Detail = "camera not described by sysfs"
			c.OK = !production
		case d.Virtual:
			c.Detail = fmt.Sprintf("virtual camera %q (%s)", d.Name, d.Why)
			c.OK = !production
		default:
			c.Detail = fmt.Sprintf("camera %q driver %s", d.Name, d.Driver)
		}
		return c
	default:
		return kiosk.Check{Name: "injection.source", OK: !production, Detail: "unknown source kind"}
	}
}
