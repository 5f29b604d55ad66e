package facematch

import (
	"context"
	"errors"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/macau-dsi/kiosk/kiosk"
)

// cardPhoto makes a card-like photo (100 px wide, grey, JPEG 2000 or JPEG) of a portrait.
func cardPhoto(t *testing.T, path string, jp2 bool) kiosk.FacePhoto {
	t.Helper()
	m := decodeTestImage(t, path)
	defer m.Close()
	d, err := testEngine(t).CardLike(m, Degradation{Width: 100, Grey: true, Quality: 40})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if jp2 {
		return kiosk.FacePhoto{Format: "jp2", Data: encodeWith(t, ".jp2", d)}
	}
	return kiosk.FacePhoto{Format: "jpeg", Data: encodeWith(t, gocv.JPEGFileExt, d)}
}

type stepClock struct{ t time.Time }

func (c *stepClock) Now() time.Time { c.t = c.t.Add(250 * time.Millisecond); return c.t }

func TestVerifier(t *testing.T) {
	e := testEngine(t)
	astronaut := "testdata/faces/skimage_astronaut.png"
	hopper := "testdata/faces/facedetect_grace_hopper.jpg"
	tests := []struct {
		name      string
		video     string
		card      kiosk.FacePhoto
		challenge kiosk.Challenge
		live      bool
		match     bool
	}{
		{"holder blinks, JPEG 2000 card", "blink_astronaut.mp4", cardPhoto(t, astronaut, true), kiosk.ChallengeBlink, true, true},
		{"holder turns left, JPEG card", "turn_left_astronaut.mp4", cardPhoto(t, astronaut, false), kiosk.ChallengeTurnLeft, true, true},
		{"live, someone else's card", "blink_astronaut.mp4", cardPhoto(t, hopper, false), kiosk.ChallengeBlink, true, false},
		{"still picture of the holder", "still_hopper.mp4", cardPhoto(t, hopper, false), kiosk.ChallengeBlink, false, false},
		{"random challenge picked: turn-right on a left-turn recording", "turn_left_astronaut.mp4", cardPhoto(t, astronaut, false), "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := openRecording(t, tt.video)
			v, err := NewVerifier(e, VerifierOptions{Source: src, Rand: constByte(2), Clock: &stepClock{}})
			if err != nil {
				t.Fatal(err)
			}
			frames := 0
			d, err := v.Verify(context.Background(), tt.card, tt.challenge, func(p kiosk.FaceProgress) {
				if p.Frame.Image == nil || p.Frame.Image.Bounds().Dx() != 640 {
					t.Errorf("progress without a preview frame: %+v", p.Frame)
				}
				frames++
			})
			if err != nil {
				t.Fatal(err)
			}
			if d.Live != tt.live || d.Match != tt.match {
				t.Fatalf("live=%v match=%v score=%.3f reason %q, want live=%v match=%v; checks %+v", d.Live, d.Match, d.Score, d.Reason, tt.live, tt.match, d.Checks)
			}
			if tt.challenge == "" && d.Challenge != kiosk.ChallengeTurnRight {
				t.Errorf("challenge %q, want the injected pick turn-right", d.Challenge)
			}
			if d.Threshold != e.Options().MatchThreshold || d.Reason == "" || d.Elapsed <= 0 || frames == 0 {
				t.Errorf("decision incomplete: %+v (frames %d)", d, frames)
			}
			if _, ok := checkNamed(d.Checks, "timings"); !ok {
				t.Error("no timings check")
			}
			if tt.live {
				if _, ok := checkNamed(d.Checks, "match"); !ok {
					t.Error("no match check")
				}
			}
		})
	}
}

func TestVerifierBadCardPhoto(t *testing.T) {
	e := testEngine(t)
	v, err := NewVerifier(e, VerifierOptions{Source: openRecording(t, "blink_astronaut.mp4")})
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"empty":   nil,
		"corrupt": []byte("\xff\xd8\xff garbage"),
		"no face": encodeWith(t, gocv.PNGFileExt, gocv.NewMatWithSizeFromScalar(gocv.NewScalar(128, 128, 128, 0), 120, 100, gocv.MatTypeCV8UC3)),
	} {
		d, err := v.Verify(context.Background(), kiosk.FacePhoto{Data: data}, kiosk.ChallengeBlink, nil)
		if err == nil || d.Live || d.Match || d.Reason == "" {
			t.Errorf("%s card photo: err=%v decision %+v", name, err, d)
		}
		var ie *ImageError
		if name != "no face" && !errors.As(err, &ie) {
			t.Errorf("%s: %v is not an *ImageError", name, err)
		}
		if name == "no face" && !errors.Is(err, ErrNoFace) {
			t.Errorf("no face: %v", err)
		}
	}
	if _, err := NewVerifier(e, VerifierOptions{}); err == nil {
		t.Error("verifier without a source accepted")
	}
}

// constByte is a randomness source that always gives the same byte: kiosk.PickChallenge
// maps 2 to the third challenge (turn right).
type constByte byte

func (c constByte) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(c)
	}
	return len(p), nil
}
