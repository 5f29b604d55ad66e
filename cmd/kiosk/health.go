package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/macau-dsi/kiosk/config"
	"github.com/macau-dsi/kiosk/store"
)

// healthRetention is how long health samples are kept.
const healthRetention = 30 * 24 * time.Hour

// sampleHealth stores one health sample per doctor row: the checks staff see in
// `kiosk doctor` that are safe beside the running kiosk, recorded every store.health_interval while the kiosk runs.
func sampleHealth(ctx context.Context, cfg config.Config, db *store.DB) error {
	for _, c := range doctorChecks {
		if !c.whileRunning {
			continue
		}
		for _, r := range c.run(ctx, cfg) {
			if err := db.RecordHealth(ctx, store.HealthSample{Component: r.Check, OK: r.Status != statusFail, Detail: r.Status + " " + r.Detail}); err != nil {
				return err
			}
		}
	}
	_, err := db.PruneHealth(ctx, time.Now().Add(-healthRetention))
	return err
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
