package config

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
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
