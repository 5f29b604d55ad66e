package facematch

import (
	"fmt"
	"math"
	"reflect"
	"time"
)

// Options are the pipeline's numbers. facematch does not read the configuration:
// cmd/kiosk translates the face section of it into Options (its faceOptions), and
// checks there that the configuration's defaults are DefaultOptions.
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

// DefaultOptions are the tuned values (the reasons are with each key in
// config/face.go and packaging/kiosk.sample.yaml).
func DefaultOptions() Options {
	return Options{
		MatchThreshold:   0.40,
		DetectConfidence: 0.65,
		MinFaceWidth:     0.18,
		MaxFaceWidth:     0.70,
		CentreTolerance:  0.20,
		MaxYaw:           20,
		MaxPitch:         20,
		MinSharpness:     25,
		MinBrightness:    60,
		MaxBrightness:    200,
		MaxMotion:        0.08,
		StableFrames:     3,
		PoseEvery:        3,
		QualityTimeout:   30 * time.Second,
		ChallengeTimeout: 8 * time.Second,
		TurnYaw:          25,
		BlinkClosedRatio: 0.85,
		PassiveMin:       0,
		InjectionChecks:  true,
	}
}

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
