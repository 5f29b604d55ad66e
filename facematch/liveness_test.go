package facematch

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
)

// recordingEntry is one line of testdata/video/manifest.json (made by face-camera's
// generator): which challenge a recording satisfies and whether it is live.
type recordingEntry struct {
	File      string `json:"file"`
	Challenge string `json:"challenge"`
	Live      bool   `json:"live"`
	Still     bool   `json:"still"`
}

func testRecordings(t *testing.T) []recordingEntry {
	t.Helper()
	var recs []recordingEntry
	if err := json.Unmarshal(readTestFile(t, "testdata/video/manifest.json"), &recs); err != nil {
		t.Fatal(err)
	}
	if len(recs) == 0 {
		t.Fatal("no recordings listed")
	}
	return recs
}

func openRecording(t *testing.T, file string) Source {
	t.Helper()
	src, err := OpenVideo(filepath.Join("testdata/video", file), SourceOptions{Fast: true, Lossless: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

func runRecording(t *testing.T, e *Engine, file string, c kiosk.Challenge, templates bool) *LivenessOutcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var progress []kiosk.FaceProgress
	o, err := e.RunLiveness(ctx, openRecording(t, file), RunOptions{Challenge: c, Templates: templates, Progress: func(p kiosk.FaceProgress) {
		p.Frame.Image = nil // keep the test light: count only
		progress = append(progress, p)
	}})
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if len(progress) == 0 {
		t.Errorf("%s: no progress posted", file)
	}
	return o
}

func checkNamed(checks []kiosk.Check, name string) (kiosk.Check, bool) {
	for _, c := range checks {
		if c.Name == name {
			return c, true
		}
	}
	return kiosk.Check{}, false
}

// A genuine sequence doing what is asked passes; the same sequence fails every other
// challenge; recordings that do nothing (a still picture, a swaying portrait) fail
// every challenge.
func TestLivenessOnRecordings(t *testing.T) {
	e := testEngine(t)
	for _, r := range testRecordings(t) {
		r := r
		if r.Live {
			t.Run(r.File+"/"+r.Challenge, func(t *testing.T) {
				o := runRecording(t, e, r.File, kiosk.Challenge(r.Challenge), false)
				if !o.Live {
					t.Fatalf("not live: %s; checks %+v", o.Reason, o.Checks)
				}
				if c, ok := checkNamed(o.Checks, "challenge."+r.Challenge); !ok || !c.OK {
					t.Errorf("challenge check %+v", c)
				}
			})
			// A turn recording must fail the opposite turn (and a blink recording
			// a turn): one recording cannot pass a randomly chosen challenge.
			other := kiosk.ChallengeTurnRight
			if r.Challenge == string(kiosk.ChallengeTurnRight) {
				other = kiosk.ChallengeTurnLeft
			}
			if strings.HasSuffix(r.File, "_astronaut.mp4") {
				t.Run(r.File+"/"+string(other), func(t *testing.T) {
					if o := runRecording(t, e, r.File, other, false); o.Live {
						t.Errorf("passed the %s challenge: %s", other, o.Reason)
					}
				})
			}
			continue
		}
		// A still picture must fail each challenge on its own; for other recordings
		// with no action, "any" (which watches for every action) stands for all.
		cs := []kiosk.Challenge{kiosk.ChallengeAny}
		if r.Still {
			cs = append(slices.Clone(kiosk.Challenges), kiosk.ChallengeAny)
		}
		for _, c := range cs {
			t.Run(r.File+"/"+string(c), func(t *testing.T) {
				o := runRecording(t, e, r.File, c, false)
				if o.Live {
					t.Fatalf("a recording with no action passed %s: %+v", c, o.Checks)
				}
				if o.Reason == "" {
					t.Error("no reason given")
				}
				if r.Still {
					inj := o.Injection
					if !inj.Still && !inj.Replay {
						t.Errorf("injected-video checks did not flag the still recording: %+v", inj)
					}
				}
			})
		}
	}
}

func TestLivenessOutcomeTemplatesZeroed(t *testing.T) {
	e := testEngine(t)
	o := runRecording(t, e, "blink_astronaut.mp4", kiosk.ChallengeBlink, true)
	if !o.Live {
		t.Fatalf("not live: %s", o.Reason)
	}
	ts := o.Templates()
	if len(ts) != 2 {
		t.Fatalf("%d templates kept, want gate and after-challenge", len(ts))
	}
	for _, tm := range ts {
		if tm.IsZero() {
			t.Fatal("template empty before Zero")
		}
	}
	o.Zero()
	for _, tm := range ts {
		if !tm.IsZero() {
			t.Error("template not wiped by Zero")
		}
	}
	if len(o.Templates()) != 0 {
		t.Error("outcome still holds templates")
	}
}

func TestLivenessContextCancelled(t *testing.T) {
	e := testEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.RunLiveness(ctx, openRecording(t, "natural_hopper.mp4"), RunOptions{Challenge: kiosk.ChallengeBlink}); err == nil {
		t.Error("cancelled context: no error")
	}
}

func TestLivenessProductionRefusesRecordings(t *testing.T) {
	e := testEngine(t)
	ctx := context.Background()
	o, err := e.RunLiveness(ctx, openRecording(t, "turn_left_astronaut.mp4"), RunOptions{Challenge: kiosk.ChallengeTurnLeft, Production: true})
	if err != nil {
		t.Fatal(err)
	}
	if o.Live {
		t.Error("a recording passed in production")
	}
	if _, ok := os.LookupEnv("KIOSK_FACE_DEBUG"); ok {
		t.Logf("%+v", o)
	}
}
