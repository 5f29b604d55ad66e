package facematch

import (
	"fmt"
	"math"
	"reflect"
	"time"

	"github.com/macau-dsi/kiosk/config"
)

// Options are the pipeline's numbers. Every one comes from config.FaceConfig, where
// each has a documented default; DefaultOptions is that default.
type Options struct {
	MatchThreshold   float64
	DetectConfidence float64

	MinFaceWidth, MaxFaceWidth float64
	CentreTolerance            float64
	MaxYaw, MaxPitch           float64
	MinSharpness               float64
	MinBrightness              float64
	MaxBrightness              float64
	MaxMotion                  float64
	StableFrames               int
	PoseEvery                  int
	QualityTimeout             time.Duration

	ChallengeTimeout time.Duration
	TurnYaw          float64
	BlinkClosedRatio float64
	PassiveMin       float64
	InjectionChecks  bool
}

// OptionsFromConfig copies the face section of the configuration.
func OptionsFromConfig(c config.FaceConfig) Options {
	q, l := c.Quality, c.Liveness
	return Options{
		MatchThreshold:   c.MatchThreshold,
		DetectConfidence: c.DetectConfidence,
		MinFaceWidth:     q.MinFaceWidth,
		MaxFaceWidth:     q.MaxFaceWidth,
		CentreTolerance:  q.CentreTolerance,
		MaxYaw:           q.MaxYaw,
		MaxPitch:         q.MaxPitch,
		MinSharpness:     q.MinSharpness,
		MinBrightness:    q.MinBrightness,
		MaxBrightness:    q.MaxBrightness,
		MaxMotion:        q.MaxMotion,
		StableFrames:     q.StableFrames,
		PoseEvery:        q.PoseEvery,
		QualityTimeout:   q.Timeout,
		ChallengeTimeout: c.ChallengeTimeout,
		TurnYaw:          l.TurnYaw,
		BlinkClosedRatio: l.BlinkClosedRatio,
		PassiveMin:       l.PassiveMin,
		InjectionChecks:  l.InjectionChecks,
	}
}

// DefaultOptions are the configuration's defaults.
func DefaultOptions() Options { return OptionsFromConfig(config.Default().Face) }

// Validate catches options built by hand (tests, tools) that the configuration
// would have refused.
// Every float must be finite: NaN compares false with everything, so a NaN
// detect confidence let two different people match and a NaN threshold made nobody
// match. The floats are found by reflection so a new one cannot be forgotten.
func (o Options) Validate() error {
	v := reflect.ValueOf(o)
	for i := 0; i < v.NumField(); i++ {
		if f := v.Field(i); f.Kind() == reflect.Float64 && (math.IsNaN(f.Float()) || math.IsInf(f.Float(), 0)) {
			return fmt.Errorf("facematch: %s is %v, want a finite number", v.Type().Field(i).Name, f.Float())
		}
	}
	switch {
	case !(o.MatchThreshold > 0 && o.MatchThreshold < 1):
		return fmt.Errorf("facematch: match threshold %v outside (0,1)", o.MatchThreshold)
	case !(o.DetectConfidence > 0 && o.DetectConfidence < 1):
		return fmt.Errorf("facematch: detect confidence %v outside (0,1)", o.DetectConfidence)
	case o.StableFrames < 1, o.PoseEvery < 1:
		return fmt.Errorf("facematch: stable frames and pose interval must be at least 1")
	case o.ChallengeTimeout <= 0 || o.QualityTimeout <= 0:
		return fmt.Errorf("facematch: timeouts must be positive")
	}
	return nil
}
