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
		// A one-action recording passes only "any" (the demo's single step); production's
		// sequences are TestVerifierSequence's.
		{"holder blinks, JPEG 2000 card", "blink_astronaut.mp4", cardPhoto(t, astronaut, true), kiosk.ChallengeAny, true, true},
		{"holder turns left, JPEG card", "turn_left_astronaut.mp4", cardPhoto(t, astronaut, false), kiosk.ChallengeAny, true, true},
		{"live, someone else's card", "blink_astronaut.mp4", cardPhoto(t, hopper, false), kiosk.ChallengeAny, true, false},
		{"a blink recording fails production's blink-first sequence", "blink_astronaut.mp4", cardPhoto(t, astronaut, false), kiosk.ChallengeBlink, false, false},
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

// Production's plan (the session's challenge plus one or two random actions at random
// moments): a resident who answers each prompt passes and matches; a recording that
// does not listen fails, whatever it contains.
func TestVerifierSequence(t *testing.T) {
	e := testEngine(t)
	hopper := cardPhoto(t, "testdata/faces/facedetect_grace_hopper.jpg", false)
	astronaut := cardPhoto(t, "testdata/faces/skimage_astronaut.png", false)
	// Each byte stream gives a different plan (see PlanChallenge); the first challenge
	// is the session's.
	plans := []struct {
		first kiosk.Challenge
		rand  []byte
	}{
		{kiosk.ChallengeBlink, []byte{3, 1, 5}},        // 3 steps
		{kiosk.ChallengeTurnLeft, []byte{2, 2, 15}},    // 2 steps
		{kiosk.ChallengeTurnRight, []byte{1, 0, 9, 1}}, // 3 steps
		{kiosk.ChallengeBlink, []byte{0, 1, 0, 0, 2, 7}},
	}
	for _, p := range plans {
		plan, err := PlanChallenge(p.first, &bytesReader{b: p.rand})
		if err != nil {
			t.Fatal(err)
		}
		name := PlanString(plan)
		t.Run("actor answers "+name, func(t *testing.T) {
			for _, card := range []struct {
				name  string
				photo kiosk.FacePhoto
				match bool
			}{{"own card", hopper, true}, {"someone else's card", astronaut, false}} {
				actor := newActor(t)
				v, err := NewVerifier(e, VerifierOptions{Source: actor, Rand: &bytesReader{b: p.rand}})
				if err != nil {
					t.Fatal(err)
				}
				var prompts []kiosk.Challenge
				d, err := v.Verify(context.Background(), card.photo, p.first, func(fp kiosk.FaceProgress) {
					actor.see(fp)
					if fp.Challenge != "" && (len(prompts) == 0 || prompts[len(prompts)-1] != fp.Challenge) {
						prompts = append(prompts, fp.Challenge)
					}
				})
				if err != nil {
					t.Fatal(err)
				}
				if !d.Live || d.Match != card.match {
					t.Fatalf("%s: live=%v match=%v (%.3f) reason %q; checks %+v", card.name, d.Live, d.Match, d.Score, d.Reason, d.Checks)
				}
				if len(prompts) != len(plan) {
					t.Errorf("prompts %v, plan %v", prompts, plan)
				}
				if c, ok := checkNamed(d.Checks, "challenge.sequence"); !ok || !c.OK {
					t.Errorf("sequence check %+v", c)
				}
			}
		})
	}
	// Recordings that contain the first action but do not answer the next prompt.
	for _, r := range []struct {
		file  string
		first kiosk.Challenge
	}{
		{"blink_hopper.mp4", kiosk.ChallengeBlink},
		{"blink_astronaut.mp4", kiosk.ChallengeBlink},
		{"turn_left_astronaut.mp4", kiosk.ChallengeTurnLeft},
		{"turn_right_astronaut.mp4", kiosk.ChallengeTurnRight},
		{"turn_left_hopper.mp4", kiosk.ChallengeTurnLeft},
	} {
		t.Run("recording "+r.file, func(t *testing.T) {
			v, err := NewVerifier(e, VerifierOptions{Source: openRecording(t, r.file), Rand: &bytesReader{b: []byte{3, 1, 5}}})
			if err != nil {
				t.Fatal(err)
			}
			d, err := v.Verify(context.Background(), hopper, r.first, nil)
			if err != nil {
				t.Fatal(err)
			}
			if d.Live {
				t.Fatalf("a one-action recording passed the sequence: %+v", d.Checks)
			}
		})
	}
}
