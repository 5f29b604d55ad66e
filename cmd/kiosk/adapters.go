package main

import (
	"github.com/macau-dsi/kiosk/config"
	"github.com/macau-dsi/kiosk/facematch"
	"github.com/macau-dsi/kiosk/printer"
)

// The adapters take their own options; this file is the one place that translates
// the configuration into them (only cmd/ imports config, see deps_test.go).

// faceOptions translates the face section into the face pipeline's options.
func faceOptions(c config.FaceConfig) facematch.Options {
	q, l := c.Quality, c.Liveness
	return facematch.Options{
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

// cameraOptions translates face.camera into the camera source's options.
func cameraOptions(c config.CameraConfig) facematch.CameraOptions {
	return facematch.CameraOptions{
		Index: c.Index, Device: c.Device, Video: c.Video, Images: c.Images,
		Width: c.Width, Height: c.Height, FPS: c.FPS,
	}
}

// printerOptions translates the printer section into the receipt printer's options.
func printerOptions(c config.PrinterConfig) printer.Options {
	return printer.Options{Queue: c.Queue, Folder: c.Folder, Timeout: c.Timeout}
}
