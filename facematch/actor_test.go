package facematch

import (
	"context"
	"sync"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/macau-dsi/kiosk/kiosk"
)

// actorSource is a synthetic resident who answers the prompts: it plays idle frames of
// demo_hopper.mp4 and, a reaction time after a new prompt appears in the progress
// callback, the clip of that action from the same recording (the demo's timeline: turn
// left at 3.5 s, blink at 8.0 s, turn right at 10.0 s). It stands for the genuine
// user of a random challenge sequence; a recording that does not listen is the attack.
type actorSource struct {
	clips    *actorClips
	prompt   kiosk.Challenge // latest prompt seen
	answered kiosk.Challenge // prompt being or last answered
	wait     int             // frames until the answer starts
	clip     []gocv.Mat
	ci       int
	idle     int
	n        int
}

type actorClips struct {
	idle, blink, left, right []gocv.Mat
}

var (
	actorOnce sync.Once
	actorData *actorClips
	actorErr  error
)

// Frame ranges of demo_hopper.mp4 (30 fps): see gen/demo.go's timeline.
func loadActorClips(t *testing.T) *actorClips {
	t.Helper()
	actorOnce.Do(func() {
		src, err := OpenVideo("testdata/video/demo_hopper.mp4", SourceOptions{Fast: true, Lossless: true})
		if err != nil {
			actorErr = err
			return
		}
		defer src.Close()
		c := &actorClips{}
		for i := 0; i < 380; i++ {
			f, err := src.Next(context.Background())
			if err != nil {
				actorErr = err
				return
			}
			switch {
			case i >= 105 && i < 184:
				c.left = append(c.left, f.Mat.Clone())
			case i >= 186 && i < 238:
				c.idle = append(c.idle, f.Mat.Clone())
			case i >= 238 && i < 258:
				c.blink = append(c.blink, f.Mat.Clone())
			case i >= 300 && i < 380:
				c.right = append(c.right, f.Mat.Clone())
			}
			f.Close()
		}
		actorData = c
	})
	if actorErr != nil {
		t.Fatal(actorErr)
	}
	return actorData
}

// actorReaction is how long the actor takes to start an action after its prompt.
const actorReaction = 12 // frames (400 ms)

func newActor(t *testing.T) *actorSource { return &actorSource{clips: loadActorClips(t)} }

// see is the progress callback's view of the prompt.
func (a *actorSource) see(p kiosk.FaceProgress) {
	a.prompt = p.Challenge
}

func (a *actorSource) Next(ctx context.Context) (Frame, error) {
	if err := ctx.Err(); err != nil {
		return Frame{}, err
	}
	if a.n > 60*30 {
		return Frame{}, ErrEndOfStream
	}
	if a.clip == nil && a.prompt != "" && a.prompt != a.answered {
		a.answered, a.wait = a.prompt, actorReaction
		switch a.prompt {
		case kiosk.ChallengeTurnLeft:
			a.clip = a.clips.left
		case kiosk.ChallengeTurnRight:
			a.clip = a.clips.right
		default:
			a.clip = a.clips.blink
		}
		a.ci = 0
	}
	var m gocv.Mat
	if a.clip != nil && a.wait == 0 {
		m = a.clip[a.ci].Clone()
		if a.ci++; a.ci == len(a.clip) {
			a.clip = nil
		}
	} else {
		if a.wait > 0 {
			a.wait--
		}
		// Ping-pong through the idle frames: no seam.
		k := a.idle % (2*len(a.clips.idle) - 2)
		if k >= len(a.clips.idle) {
			k = 2*len(a.clips.idle) - 2 - k
		}
		a.idle++
		m = a.clips.idle[k].Clone()
	}
	a.n++
	return Frame{Mat: m, Seq: uint64(a.n), At: time.Unix(0, 0).Add(time.Duration(a.n) * time.Second / 30), PTS: time.Duration(a.n) * time.Second / 30}, nil
}

func (a *actorSource) Info() SourceInfo {
	return SourceInfo{Kind: SourceVideo, Name: "actor", FPS: 30, Width: 640, Height: 480, Lossless: true}
}
func (a *actorSource) Stats() SourceStats { return SourceStats{} }
func (a *actorSource) Close() error       { return nil }

// bytesReader is a fixed randomness stream for a reproducible plan.
type bytesReader struct {
	b []byte
	i int
}

func (r *bytesReader) Read(p []byte) (int, error) {
	for k := range p {
		p[k] = r.b[r.i%len(r.b)]
		r.i++
	}
	return len(p), nil
}
