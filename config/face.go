package config

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/macau-dsi/kiosk/facematch/v4l"
)

// CameraConfig chooses the camera source. Exactly one of Device/Index, Video or Images.
type CameraConfig struct {
	// Index is the webcam index (/dev/videoN) used when Device, Video and Images are empty.
	Index int `mapstructure:"index" yaml:"index"`
	// Device is a webcam device path such as /dev/video0; overrides Index.
	Device string `mapstructure:"device" yaml:"device"`
	// Video is a recording used as the camera (demo and tests only).
	Video string `mapstructure:"video" yaml:"video"`
	// Images is a folder of images used as the camera (demo and tests only).
	Images string `mapstructure:"images" yaml:"images"`
	Width  int    `mapstructure:"width" yaml:"width"`
	Height int    `mapstructure:"height" yaml:"height"`
	FPS    int    `mapstructure:"fps" yaml:"fps"`
}

// FaceConfig configures the face pipeline. Owned by facematch/.
type FaceConfig struct {
	// ModelsDir holds the ONNX models listed in assets/models/manifest.txt.
	ModelsDir string       `mapstructure:"models_dir" yaml:"models_dir"`
	Camera    CameraConfig `mapstructure:"camera" yaml:"camera"`
	// MatchThreshold is the cosine similarity at or above which two faces match.
	MatchThreshold float64 `mapstructure:"match_threshold" yaml:"match_threshold"`
	// ChallengeTimeout is the time a resident has for the liveness action.
	ChallengeTimeout time.Duration `mapstructure:"challenge_timeout" yaml:"challenge_timeout"`
	// DetectConfidence is the detector score at or above which a box counts as a face
	// (0.65 in the model's reference code).
	DetectConfidence float64 `mapstructure:"detect_confidence" yaml:"detect_confidence"`
	// Quality is the gate a live frame must pass before the challenge and the match.
	Quality QualityConfig `mapstructure:"quality" yaml:"quality"`
	// Liveness tunes the active challenge and the passive model.
	Liveness LivenessConfig `mapstructure:"liveness" yaml:"liveness"`
}

// QualityConfig holds the quality gate's thresholds. Sizes are fractions of the frame
// width; angles are degrees; brightness is the face's mean grey level (0–255);
// sharpness is the variance of the Laplacian of the face scaled to 112 px wide.
type QualityConfig struct {
	// MinFaceWidth: a narrower face gets "move closer".
	MinFaceWidth float64 `mapstructure:"min_face_width" yaml:"min_face_width"`
	// MaxFaceWidth: a wider face gets "move back".
	MaxFaceWidth float64 `mapstructure:"max_face_width" yaml:"max_face_width"`
	// CentreTolerance: the face centre may be this far from the frame centre (as a
	// fraction of the frame's width and height) before "centre your face".
	CentreTolerance float64 `mapstructure:"centre_tolerance" yaml:"centre_tolerance"`
	// MaxYaw and MaxPitch: beyond them, "face the camera".
	MaxYaw   float64 `mapstructure:"max_yaw" yaml:"max_yaw"`
	MaxPitch float64 `mapstructure:"max_pitch" yaml:"max_pitch"`
	// MinSharpness: below it the face is blurred ("hold still").
	MinSharpness float64 `mapstructure:"min_sharpness" yaml:"min_sharpness"`
	// MinBrightness and MaxBrightness: outside them, "too dark" / "too bright".
	MinBrightness float64 `mapstructure:"min_brightness" yaml:"min_brightness"`
	MaxBrightness float64 `mapstructure:"max_brightness" yaml:"max_brightness"`
	// MaxMotion: the face centre may move this much between frames (a fraction of
	// the face width) and still count as held still.
	MaxMotion float64 `mapstructure:"max_motion" yaml:"max_motion"`
	// StableFrames: consecutive good frames needed to pass the gate.
	StableFrames int `mapstructure:"stable_frames" yaml:"stable_frames"`
	// PoseEvery runs the pose model on every Nth frame (1 = every frame); frames in
	// between use a cheap estimate from the landmarks. The pose model costs about as
	// much as detection and landmarks together on a 2-core kiosk.
	PoseEvery int `mapstructure:"pose_every" yaml:"pose_every"`
	// Timeout bounds the whole attempt before the challenge starts.
	Timeout time.Duration `mapstructure:"timeout" yaml:"timeout"`
}

// LivenessConfig tunes liveness. The passive model is a further signal only: a
// genuine photo scored 0.01 "live" in a probe, so by default it is recorded, not
// required.
type LivenessConfig struct {
	// TurnYaw: degrees the head must turn, in the asked direction, away from where it
	// was when the challenge began.
	TurnYaw float64 `mapstructure:"turn_yaw" yaml:"turn_yaw"`
	// BlinkClosedRatio: an eye counts as closed when its aspect ratio drops below
	// this fraction of the person's own open-eye value in this attempt.
	BlinkClosedRatio float64 `mapstructure:"blink_closed_ratio" yaml:"blink_closed_ratio"`
	// PassiveMin: if above 0, the passive model's mean "live" score must reach it as
	// well (never alone). 0 records the score without gating on it.
	PassiveMin float64 `mapstructure:"passive_min" yaml:"passive_min"`
	// InjectionChecks: refuse streams that repeat frames exactly, never move, or have
	// impossible timing (facematch's injected-video monitor).
	InjectionChecks bool `mapstructure:"injection_checks" yaml:"injection_checks"`
}

// DefaultModelsDir is the model cache packaging/fetch-models.sh fills by default.
func DefaultModelsDir() string {
	if d := os.Getenv("KIOSK_MODELS_DIR"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "dsi-kiosk", "models")
	}
	return "/var/lib/dsi-kiosk/models"
}

func defaultFace() FaceConfig {
	return FaceConfig{
		ModelsDir:        DefaultModelsDir(),
		Camera:           CameraConfig{Index: 0, Width: 640, Height: 480, FPS: 30},
		MatchThreshold:   0.40,
		ChallengeTimeout: 8 * time.Second,
		DetectConfidence: 0.65,
		Quality: QualityConfig{
			MinFaceWidth:    0.18,
			MaxFaceWidth:    0.70,
			CentreTolerance: 0.20,
			MaxYaw:          20,
			MaxPitch:        20,
			MinSharpness:    25,
			MinBrightness:   60,
			MaxBrightness:   200,
			MaxMotion:       0.08,
			StableFrames:    3,
			PoseEvery:       3,
			Timeout:         30 * time.Second,
		},
		Liveness: LivenessConfig{
			TurnYaw:          25,
			BlinkClosedRatio: 0.85,
			PassiveMin:       0,
			InjectionChecks:  true,
		},
	}
}

func (f FaceConfig) validate() Problems {
	var ps Problems
	if f.ModelsDir == "" {
		ps = append(ps, Problem{"face.models_dir", f.ModelsDir, "the folder holding the face models (packaging/fetch-models.sh fills it)"})
	}
	if f.MatchThreshold <= 0 || f.MatchThreshold >= 1 {
		ps = append(ps, Problem{"face.match_threshold", fmt.Sprint(f.MatchThreshold), "a number between 0 and 1 (exclusive)"})
	}
	if f.ChallengeTimeout < 2*time.Second || f.ChallengeTimeout > time.Minute {
		ps = append(ps, Problem{"face.challenge_timeout", f.ChallengeTimeout.String(), "between 2s and 1m"})
	}
	if f.DetectConfidence < 0.3 || f.DetectConfidence >= 1 {
		ps = append(ps, Problem{"face.detect_confidence", fmt.Sprint(f.DetectConfidence), "0.3 to 1 (exclusive)"})
	}
	ps = append(ps, f.Quality.validate()...)
	ps = append(ps, f.Liveness.validate()...)
	c := f.Camera
	if c.Index < 0 || c.Index > 63 {
		ps = append(ps, Problem{"face.camera.index", fmt.Sprint(c.Index), "0 to 63"})
	}
	if c.Video != "" && c.Images != "" {
		ps = append(ps, Problem{"face.camera.images", c.Images, "set only one of face.camera.video and face.camera.images"})
	}
	if c.Width < 160 || c.Width > 3840 {
		ps = append(ps, Problem{"face.camera.width", fmt.Sprint(c.Width), "160 to 3840 pixels"})
	}
	if c.Height < 120 || c.Height > 2160 {
		ps = append(ps, Problem{"face.camera.height", fmt.Sprint(c.Height), "120 to 2160 pixels"})
	}
	if c.FPS < 1 || c.FPS > 120 {
		ps = append(ps, Problem{"face.camera.fps", fmt.Sprint(c.FPS), "1 to 120"})
	}
	return ps
}

// validateDevice refuses, in production, a camera device that is not a video4linux
// character device under /dev: a recording named as face.camera.device would
// otherwise dodge the refusal of face.camera.video. A path that does not exist yet
// is left to facematch (the camera may be unplugged now), which checks again when
// it opens the device.
func (c CameraConfig) validateDevice() Problems {
	key, path := "face.camera.device", c.Device
	if path == "" {
		key, path = "face.camera.index", fmt.Sprintf("/dev/video%d", c.Index)
	}
	err := v4l.CheckDevice(path)
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return Problems{{key, path, "a video4linux camera device when kiosk.mode is production (" + err.Error() + ")"}}
}

func (q QualityConfig) validate() Problems {
	var ps Problems
	frac := func(key string, v, lo, hi float64) {
		if !(v >= lo && v <= hi) {
			ps = append(ps, Problem{"face.quality." + key, fmt.Sprint(v), fmt.Sprintf("%g to %g", lo, hi)})
		}
	}
	frac("min_face_width", q.MinFaceWidth, 0.02, 0.9)
	frac("max_face_width", q.MaxFaceWidth, 0.1, 1)
	// A non-finite side has its own problem (Config.Validate); comparing with it says nothing.
	if finite(q.MinFaceWidth, q.MaxFaceWidth) && q.MinFaceWidth >= q.MaxFaceWidth {
		ps = append(ps, Problem{"face.quality.max_face_width", fmt.Sprint(q.MaxFaceWidth), "greater than face.quality.min_face_width"})
	}
	frac("centre_tolerance", q.CentreTolerance, 0.02, 0.5)
	frac("max_yaw", q.MaxYaw, 5, 60)
	frac("max_pitch", q.MaxPitch, 5, 60)
	frac("min_sharpness", q.MinSharpness, 0, 1000)
	frac("min_brightness", q.MinBrightness, 0, 254)
	frac("max_brightness", q.MaxBrightness, 1, 255)
	if finite(q.MinBrightness, q.MaxBrightness) && q.MinBrightness >= q.MaxBrightness {
		ps = append(ps, Problem{"face.quality.max_brightness", fmt.Sprint(q.MaxBrightness), "greater than face.quality.min_brightness"})
	}
	frac("max_motion", q.MaxMotion, 0.005, 1)
	if q.StableFrames < 1 || q.StableFrames > 60 {
		ps = append(ps, Problem{"face.quality.stable_frames", fmt.Sprint(q.StableFrames), "1 to 60"})
	}
	if q.PoseEvery < 1 || q.PoseEvery > 30 {
		ps = append(ps, Problem{"face.quality.pose_every", fmt.Sprint(q.PoseEvery), "1 to 30"})
	}
	if q.Timeout < 5*time.Second || q.Timeout > 5*time.Minute {
		ps = append(ps, Problem{"face.quality.timeout", q.Timeout.String(), "between 5s and 5m"})
	}
	return ps
}

func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

func (l LivenessConfig) validate() Problems {
	var ps Problems
	if !(l.TurnYaw >= 10 && l.TurnYaw <= 60) {
		ps = append(ps, Problem{"face.liveness.turn_yaw", fmt.Sprint(l.TurnYaw), "10 to 60 degrees"})
	}
	if !(l.BlinkClosedRatio >= 0.2 && l.BlinkClosedRatio <= 0.95) {
		ps = append(ps, Problem{"face.liveness.blink_closed_ratio", fmt.Sprint(l.BlinkClosedRatio), "0.2 to 0.95"})
	}
	if !(l.PassiveMin >= 0 && l.PassiveMin < 1) {
		ps = append(ps, Problem{"face.liveness.passive_min", fmt.Sprint(l.PassiveMin), "0 (record only) to 1 (exclusive)"})
	}
	return ps
}
