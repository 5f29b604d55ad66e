package app

import (
	"context"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
)

// Heartbeat calls beat on Fyne's goroutine every interval until ctx ends. beat runs
// only when that goroutine gets to it, so when the screen freezes (a draw that never
// returns, a deadlock on the UI goroutine) the beats stop: the kiosk feeds systemd's
// watchdog from here, and a frozen kiosk is restarted, not left on a dead screen.
// At most one beat waits at a time, so a frozen UI does not pile up queued work.
// do is fyne.Do when nil (tests pass their own).
func Heartbeat(ctx context.Context, interval time.Duration, do func(func()), beat func()) {
	if do == nil {
		do = fyne.Do
	}
	var waiting atomic.Bool
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if waiting.CompareAndSwap(false, true) {
			do(func() {
				waiting.Store(false)
				if ctx.Err() == nil {
					beat()
				}
			})
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
