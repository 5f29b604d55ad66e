package facematch

import (
	"context"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
)

// strideSource hands out every n-th frame of a source, as a paced camera does to a
// kiosk whose analysis is slower than the frame rate (the queue drops the rest).
type strideSource struct {
	Source
	n int
}

func (s strideSource) Next(ctx context.Context) (Frame, error) {
	for i := 1; i < s.n; i++ {
		f, err := s.Source.Next(ctx)
		if err != nil {
			return f, err
		}
		f.Close()
	}
	return s.Source.Next(ctx)
}

// A genuine blink seen on a slow machine (every 5th frame of a 30 fps camera) is over
// after 9 analysed frames; the attempt must keep watching until the injected-video
// checks have seen enough frames to judge, not call the person a replay ("too few
// frames"). Found by the demo end-to-end test in cmd/kiosk.
func TestQuickActionOnSlowMachineSeesEnoughFrames(t *testing.T) {
	e := testEngine(t)
	for _, templates := range []bool{true, false} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		o, err := e.RunLiveness(ctx, strideSource{openRecording(t, "blink_hopper.mp4"), 5}, RunOptions{Challenge: kiosk.ChallengeBlink, Templates: templates})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		min := DefaultInjectionConfig().MinFrames
		if !o.Live || o.Injection.Frames < min {
			t.Errorf("templates %t: live %t (%s) after %d frames, want live after at least %d", templates, o.Live, o.Reason, o.Injection.Frames, min)
		}
		o.Zero()
	}
}
