package app

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestHeartbeat: beats run through do (Fyne's goroutine in the kiosk) while it runs
// them, stop when it stops running them (a frozen UI), and a frozen UI is handed one
// beat, not one per tick.
func TestHeartbeat(t *testing.T) {
	tests := []struct {
		name       string
		frozen     bool
		wantBeats  func(int) bool
		wantQueued func(int) bool
	}{
		{"running UI beats every interval", false, func(n int) bool { return n >= 5 }, func(n int) bool { return n >= 5 }},
		{"frozen UI never beats and is handed one beat", true, func(n int) bool { return n == 0 }, func(n int) bool { return n == 1 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			var beats, queued atomic.Int32
			var mu sync.Mutex
			var held []func()
			do := func(f func()) {
				queued.Add(1)
				if tc.frozen {
					mu.Lock()
					held = append(held, f) // never run: the UI goroutine is stuck
					mu.Unlock()
					return
				}
				go f()
			}
			done := make(chan struct{})
			go func() { Heartbeat(ctx, 10*time.Millisecond, do, func() { beats.Add(1) }); close(done) }()
			time.Sleep(200 * time.Millisecond)
			cancel()
			<-done
			if n := int(beats.Load()); !tc.wantBeats(n) {
				t.Errorf("beats = %d", n)
			}
			if n := int(queued.Load()); !tc.wantQueued(n) {
				t.Errorf("beats handed to the UI = %d", n)
			}
			// A beat that runs after the kiosk stopped says nothing.
			mu.Lock()
			for _, f := range held {
				f()
			}
			mu.Unlock()
			if tc.frozen && beats.Load() != 0 {
				t.Errorf("a beat ran after ctx ended")
			}
		})
	}
}
