package app

import (
	"image"
	"testing"

	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
)

// TestStalledDrawingKeepsOneSnapshotPerScreen: while Fyne's goroutine is busy (a slow
// paint), the camera keeps sending frames. Each used to wait in fyne.Do's unbounded
// queue with its frame: seconds of frames held in memory and shown late. Now the
// waiting snapshot of a screen is replaced by the newer one, and a new screen still
// gets its own draw, in order.
func TestStalledDrawingKeepsOneSnapshotPerScreen(t *testing.T) {
	samples := kiosktest.Samples(kiosk.LangEN)
	face, result := samples[kiosk.StateFace], samples[kiosk.StateFaceResult]
	flow := kiosktest.NewFlow(face)
	u, _ := newTestUI(t, flow)
	var stalled []func() // what Fyne's goroutine has yet to run
	u.do = func(f func()) { stalled = append(stalled, f) }
	u.Start()
	defer u.Stop()

	frames := make([]*image.RGBA, 300) // 10 s of camera at 30 frames a second
	for i := range frames {
		frames[i] = image.NewRGBA(image.Rect(0, 0, 8, 6))
		frames[i].Pix[0] = byte(i) // which frame the preview shows
		s := face
		s.Face.Frame = &kiosk.Frame{Image: frames[i], Seq: uint64(i)}
		flow.Set(s)
	}
	for range 8 { // two seconds of the result screen's countdown
		flow.Set(result)
	}
	if len(stalled) != 2 {
		t.Fatalf("%d draws wait for Fyne's goroutine after 300 frames and a new screen, want 2 (one per screen)", len(stalled))
	}

	stalled[0]()
	if u.shown.State != kiosk.StateFace {
		t.Fatalf("first draw shows %s, want the face screen", u.shown.State)
	}
	got, ok := u.facePics.preview.Image.(*image.RGBA)
	if last := frames[len(frames)-1]; !ok || got.Pix[4*7] != last.Pix[0] { // mirrored: pixel 0 lands at x=7
		t.Errorf("the face screen shows an older frame than the latest")
	}
	stalled[1]()
	if u.shown.State != kiosk.StateFaceResult || u.lastSeq != flow.Snapshot().Seq {
		t.Errorf("second draw shows %s seq %d, want the face result at seq %d", u.shown.State, u.lastSeq, flow.Snapshot().Seq)
	}
}
