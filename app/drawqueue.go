package app

import (
	"sync"

	"github.com/macau-dsi/kiosk/kiosk"
)

// drawQueue hands the flow's snapshots to Fyne's goroutine (fyne.Do) without letting
// them pile up. fyne.Do's queue has no bound: when drawing is slower than the camera
// (software OpenGL, a busy CPU, 30 previews a second), every queued snapshot kept its
// camera frame alive and the preview ran seconds behind the resident; the real
// demo kiosk held hundreds of MB of frames that way (BenchmarkDemoProcessRSS in
// cmd/kiosk measures the lag and the RSS).
//
// A snapshot that arrives while one of the same state still waits replaces it: the
// screens draw the latest snapshot, and one already superseded would only be drawn
// to be drawn over. A change of state is always queued, so every screen is shown
// and the UI's per-screen state (focus, typed digits) is reset as before.
type drawQueue struct {
	do   func(func()) // fyne.Do
	draw func(kiosk.Snapshot)

	mu      sync.Mutex
	pending []kiosk.Snapshot // waiting for Fyne's goroutine, oldest first; one do call each
}

// push is the flow's subscriber; it runs on the machine's goroutine.
func (q *drawQueue) push(s kiosk.Snapshot) {
	q.mu.Lock()
	if n := len(q.pending); n > 0 && q.pending[n-1].State == s.State {
		q.pending[n-1] = s
		q.mu.Unlock()
		return
	}
	q.pending = append(q.pending, s)
	q.mu.Unlock()
	q.do(q.drawNext)
}

// drawNext draws the oldest waiting snapshot, on Fyne's goroutine.
func (q *drawQueue) drawNext() {
	q.mu.Lock()
	s := q.pending[0]
	q.pending[0] = kiosk.Snapshot{} // the backing array must not keep its frame
	q.pending = q.pending[1:]
	q.mu.Unlock()
	q.draw(s)
}
