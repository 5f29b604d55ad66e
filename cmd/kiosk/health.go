package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/macau-dsi/kiosk/config"
	"github.com/macau-dsi/kiosk/store"
)

// healthRetention is how long health samples are kept.
const healthRetention = 30 * 24 * time.Hour

// sampleHealth stores one health sample per doctor row: the checks staff see in
// `kiosk doctor` that are safe beside the running kiosk, recorded every store.health_interval while the kiosk runs.
// The same rows go to whoever listens (the metrics endpoint, cmd/kiosk/metrics.go).
func sampleHealth(ctx context.Context, cfg config.Config, db *store.DB) error {
	at := time.Now()
	var rows []doctorResult
	for _, c := range doctorChecks {
		if c.whileRunning {
			rows = append(rows, c.run(ctx, cfg)...)
		}
	}
	publishHealth(at, rows)
	for _, r := range rows {
		if err := db.RecordHealth(ctx, store.HealthSample{Component: r.Check, OK: r.Status != statusFail, Detail: r.Status + " " + r.Detail}); err != nil {
			return err
		}
	}
	_, err := db.PruneHealth(ctx, time.Now().Add(-healthRetention))
	return err
}

// Listeners of the health samples. The health loop is started deep in the wiring
// (wire.go), the metrics endpoint beside the session (run.go): a small feed joins them
// without threading one through the other.
var (
	healthMu        sync.Mutex
	healthListeners = map[int]func(time.Time, []doctorResult){}
	healthNext      int
)

// onHealth calls fn with the rows of every health sample from now on (on the health
// loop's goroutine) until cancel is called.
func onHealth(fn func(at time.Time, rows []doctorResult)) (cancel func()) {
	healthMu.Lock()
	defer healthMu.Unlock()
	id := healthNext
	healthNext++
	healthListeners[id] = fn
	return func() {
		healthMu.Lock()
		delete(healthListeners, id)
		healthMu.Unlock()
	}
}

func publishHealth(at time.Time, rows []doctorResult) {
	healthMu.Lock()
	fns := make([]func(time.Time, []doctorResult), 0, len(healthListeners))
	for _, fn := range healthListeners {
		fns = append(fns, fn)
	}
	healthMu.Unlock()
	for _, fn := range fns {
		fn(at, rows)
	}
}

// runHealth samples at once and then every interval until ctx ends.
func runHealth(ctx context.Context, cfg config.Config, db *store.DB) {
	t := time.NewTicker(cfg.Store.HealthInterval)
	defer t.Stop()
	for {
		if err := sampleHealth(ctx, cfg, db); err != nil && ctx.Err() == nil {
			slog.Warn("health sample", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
