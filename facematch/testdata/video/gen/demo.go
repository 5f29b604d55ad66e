package main

// The demo camera: `kiosk run --demo` plays demo_hopper.mp4 in a loop as the camera,
// and the session asks for "any" challenge (a recording cannot answer a random
// prompt). The kiosk starts a face attempt at an arbitrary point of the loop, so the
// recording is built so that from ANY starting frame:
//   - a frontal, steady face comes within a second or two (the quality gate),
//   - a complete action (blink or turn) follows well inside the 8 s challenge time,
//   - a frontal frame follows the action within the 3 s post-challenge window,
//   - no frame repeats another (sway, flicker and sensor noise on every frame), and
//     the motion is periodic over the whole loop, so the jump from the last frame
//     back to the first is no bigger than between two neighbouring frames.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"gocv.io/x/gocv"
)

// demoSeconds is the loop length: long enough that a looped frame never comes back
// within one face attempt (gate + 8 s challenge + 3 s post ≈ 12 s).
const (
	demoSeconds = 22
	demoFrames  = demoSeconds * FPS
	demoPeakYaw = 38.0 // degrees; facematch asks for 25, a tilted print reaches ~17
)

// demoAction is one action of the demo timeline.
type demoAction struct {
	kind  string  // "blink", "turn-left", "turn-right"
	start float64 // seconds
}

// demoTimeline: an action every 2.0–2.6 s after the previous one ends, so that any
// 8 s window holds at least two complete actions (the longest gap between the
// moments two successive actions are complete is about 3.5 s, loop seam included).
var demoTimeline = []demoAction{
	{"blink", 1.2},
	{"turn-left", 3.5},
	{"blink", 8.0},
	{"turn-right", 10.0},
	{"blink", 14.5},
	{"turn-left", 16.5},
	{"blink", 20.6},
}

// Turn shape: 0.9 s turning, 0.7 s held, 1.0 s back. Blink shape (frames): 3
// closing, 9 shut (300 ms, a slow natural blink: enough for a kiosk that analyses
// every second or third frame of a 30 fps camera), 3 opening.
const (
	turnIn, turnHold, turnOut       = 0.9, 0.7, 1.0
	blinkIn, blinkShut, blinkOut    = 3, 9, 3
	demoSwayX, demoSwayY, demoSwayR = 3.0, 2.0, 0.8 // px, px, degrees
)

// demoYaw is the signed head yaw in degrees at time t (positive: the subject's own
// left, nose to the image's right, as turnRender(+1)).
func demoYaw(t float64) float64 {
	for _, a := range demoTimeline {
		dir := 0.0
		switch a.kind {
		case "turn-left":
			dir = +1
		case "turn-right":
			dir = -1
		default:
			continue
		}
		switch d := t - a.start; {
		case d < 0:
		case d < turnIn:
			return dir * demoPeakYaw * smoothstep(d/turnIn)
		case d < turnIn+turnHold:
			return dir * demoPeakYaw
		case d < turnIn+turnHold+turnOut:
			return dir * demoPeakYaw * (1 - smoothstep((d-turnIn-turnHold)/turnOut))
		}
	}
	return 0
}

// demoLid is how far the lids are closed (0 open, 1 shut) at frame i.
func demoLid(i int) float64 {
	for _, a := range demoTimeline {
		if a.kind != "blink" {
			continue
		}
		switch d := i - int(math.Round(a.start*FPS)); {
		case d < 0:
		case d < blinkIn:
			return float64(d+1) / (blinkIn + 1)
		case d < blinkIn+blinkShut:
			return 1
		case d < blinkIn+blinkShut+blinkOut:
			return float64(blinkIn+blinkShut+blinkOut-d) / (blinkOut + 1)
		}
	}
	return 0
}

// loopSin is a sine with a whole number of periods over the loop (about period
// seconds), so the motion joins up at the seam.
func loopSin(t, period, phase float64) float64 {
	k := math.Max(1, math.Round(demoSeconds/period))
	return math.Sin(2*math.Pi*k*t/demoSeconds + phase)
}

func demoRender(g *geom, base gocv.Mat, i int, rng *rand.Rand) gocv.Mat {
	t := float64(i) / FPS
	src := base
	if y := demoYaw(t); y != 0 {
		src = yawWarp(base, g, y*math.Pi/180)
		defer src.Close()
	} else if l := demoLid(i); l > 0 {
		src = base.Clone()
		defer src.Close()
		closeEyes(src, g.lm, l)
	}
	cx, cy := (g.face.X1+g.face.X2)/2, (g.face.Y1+g.face.Y2)/2
	out := affine(src, cx, cy,
		demoSwayX*loopSin(t, 2.3, 0)+rng.NormFloat64()*0.3,
		demoSwayY*loopSin(t, 3.1, 1),
		demoSwayR*loopSin(t, 2.7, 2),
		1+0.01*loopSin(t, 3.7, 0.5))
	shade(out, 1+0.015*loopSin(t, 1.9, 0), 2.0, rng)
	return out
}

func demoNote() string {
	var parts []string
	for _, a := range demoTimeline {
		parts = append(parts, fmt.Sprintf("%s at %.1f s", a.kind, a.start))
	}
	return fmt.Sprintf("demo camera for `kiosk run --demo` (played in a loop, challenge any): %d s of camera-like sway, flicker and noise "+
		"(periodic over the loop) with %s; turns to %.0f° (%.1f s in, %.1f s held, %.1f s back), blinks %d ms shut; "+
		"any 8 s window holds two complete actions", demoSeconds, strings.Join(parts, ", "), demoPeakYaw, turnIn, turnHold, turnOut, blinkShut*1000/FPS)
}
