package facematch

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/macau-dsi/kiosk/kiosk"
)

type replayEntry struct {
	File      string `json:"file"`
	Of        string `json:"of"`
	Challenge string `json:"challenge"`
}

func testReplays(t *testing.T) []replayEntry {
	t.Helper()
	var rs []replayEntry
	if err := json.Unmarshal(readTestFile(t, "testdata/video/replays.json"), &rs); err != nil {
		t.Fatal(err)
	}
	if len(rs) == 0 {
		t.Fatal("no replays listed")
	}
	return rs
}

// screenOn runs the screen monitor over a whole recording.
func screenOn(t *testing.T, e *Engine, file string) *screenMonitor {
	t.Helper()
	src := openRecording(t, file)
	var m screenMonitor
	for idx := 0; ; idx++ {
		f, err := src.Next(context.Background())
		if errors.Is(err, ErrEndOfStream) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if idx%screenEvery == 0 {
			a, err := e.Analyze(f.Mat, AnalyzeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if a.Main != nil {
				m.observe(idx, f.Mat, a.Main.Face.Raw)
			}
		}
		f.Close()
	}
	return &m
}

// Every synthesized screen replay is flagged; no genuine recording (nor the print
// attacks, which the challenge stops) is.
func TestScreenReplayDetection(t *testing.T) {
	e := testEngine(t)
	for _, r := range testReplays(t) {
		t.Run(r.File, func(t *testing.T) {
			c := screenOn(t, e, r.File).check()
			t.Logf("%s: %s", r.File, c.Detail)
			if c.OK {
				t.Errorf("replay not flagged: %s", c.Detail)
			}
		})
	}
	for _, r := range testRecordings(t) {
		t.Run(r.File, func(t *testing.T) {
			c := screenOn(t, e, r.File).check()
			t.Logf("%s: %s", r.File, c.Detail)
			if !c.OK {
				t.Errorf("genuine recording flagged: %s", c.Detail)
			}
		})
	}
}

// A replay of a recording that passes liveness fails every challenge, including the
// one its recording contains (the challenge check itself may pass: the screen check
// is what stops it), and "any".
func TestReplaysFailLiveness(t *testing.T) {
	e := testEngine(t)
	for _, r := range testReplays(t) {
		for _, c := range append(slices.Clone(kiosk.Challenges), kiosk.ChallengeAny) {
			t.Run(r.File+"/"+string(c), func(t *testing.T) {
				o := runRecording(t, e, r.File, c, false)
				chal, _ := checkNamed(o.Checks, "challenge."+string(c))
				scr, _ := checkNamed(o.Checks, "screen_replay")
				t.Logf("challenge passed alone: %v; screen: %v %s", chal.OK, scr.OK, scr.Detail)
				if o.Live {
					t.Fatalf("replay passed %s: %+v", c, o.Checks)
				}
				if (string(c) == r.Challenge || c == kiosk.ChallengeAny) && scr.OK {
					t.Errorf("the replay answered its challenge (%v) and the screen check did not flag it: %s", chal.OK, scr.Detail)
				}
			})
		}
	}
}
