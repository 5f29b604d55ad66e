package facematch

import (
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
)

func TestTrackFollow(t *testing.T) {
	// Landmarks spread over a 100×120 box at (200,150); the detector's box was 10 px
	// wider on each side and 30 px higher.
	var lm Landmarks
	for i := range lm {
		lm[i] = Point{200 + float64(i%10)*100.0/9, 150 + float64(i/10)*120.0/6}
	}
	det := Face{Raw: Box{190, 120, 310, 270}, Score: 0.9}
	tr := newTrack(det, 1, &lm)
	move := func(dx, dy, k float64) *Landmarks {
		var m Landmarks
		for i, p := range lm {
			m[i] = Point{250 + (p.X-250)*k + dx, 210 + (p.Y-210)*k + dy}
		}
		return &m
	}
	tests := []struct {
		name   string
		lm     *Landmarks
		ok     bool
		wantX1 float64
	}{
		{"same place: the detector's box back", move(0, 0, 1), true, 190},
		{"moved 12 px right", move(12, 0, 1), true, 202},
		{"slightly closer", move(0, 0, 1.1), true, 250 - 60*1.1},
		{"jumped half a face", move(60, 0, 1), false, 0},
		{"size doubled", move(0, 0, 2), false, 0},
		{"size halved", move(0, 0, 0.5), false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ok := tr.follow(tt.lm, 640, 480)
			if ok != tt.ok || (ok && (f.Raw.X1 < tt.wantX1-0.5 || f.Raw.X1 > tt.wantX1+0.5)) {
				t.Errorf("ok=%v box %+v, want ok=%v x1 %.1f", ok, f.Raw, tt.ok, tt.wantX1)
			}
		})
	}
}

// Tracking between detections must not change a liveness verdict: every recording
// and replay gives the same outcome detecting every frame and every DetectEvery-th.
func TestTrackingKeepsVerdicts(t *testing.T) {
	e := testEngine(t)
	type run struct {
		file string
		c    kiosk.Challenge
	}
	var runs []run
	for _, r := range testRecordings(t) {
		c := kiosk.Challenge(r.Challenge)
		if !r.Live {
			c = kiosk.ChallengeAny
		}
		runs = append(runs, run{r.File, c})
	}
	for _, r := range testReplays(t) {
		runs = append(runs, run{r.File, kiosk.Challenge(r.Challenge)})
	}
	for _, r := range runs {
		t.Run(r.file+"/"+string(r.c), func(t *testing.T) {
			var live [2]bool
			var frames [2]time.Duration
			for k, every := range []int{1, DetectEvery} {
				o, err := e.RunLiveness(t.Context(), openRecording(t, r.file), RunOptions{Challenge: r.c, DetectEvery: every})
				if err != nil {
					t.Fatal(err)
				}
				live[k], frames[k] = o.Live, o.Timings.FrameMedian
				if !o.Live {
					t.Logf("detect every %d: %s", every, o.Reason)
				}
			}
			t.Logf("live %v; frame median %v detecting every frame, %v tracking", live[0], frames[0], frames[1])
			if live[0] != live[1] {
				t.Errorf("verdict changed by tracking: %v detecting every frame, %v tracking", live[0], live[1])
			}
		})
	}
}
