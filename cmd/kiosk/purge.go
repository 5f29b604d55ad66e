package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/macau-dsi/kiosk/config"
	"github.com/macau-dsi/kiosk/store"
)

// The retention purge runs purgeFirst after `kiosk run` starts (out of the way of
// the first session) and then every purgeEvery. Variables for the test.
var (
	purgeFirst = 2 * time.Minute
	purgeEvery = 24 * time.Hour
)

// runPurge applies store.retention once a day until ctx ends (store.Purge: delivered
// payloads wiped, stale sessions closed, each run audited).
func runPurge(ctx context.Context, cfg config.Config) {
	t := time.NewTimer(purgeFirst)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		r, err := purgeOnce(ctx, cfg, time.Now())
		switch {
		case err != nil && ctx.Err() == nil:
			slog.Warn("retention purge", "error", err)
		case err == nil:
			slog.Info("retention purge", "retention", cfg.Store.Retention, "applications", r.Applications,
				"messages", r.Messages, "sessions", r.Sessions)
		}
		t.Reset(purgeEvery)
	}
}

// purgeOnce opens the database as every command does, for this run only (the
// session's handle is the session's), and purges what is older than the retention.
func purgeOnce(ctx context.Context, cfg config.Config, now time.Time) (store.PurgeResult, error) {
	db, err := store.Open(ctx, cfg.Store.Path, storeOptions(cfg))
	if err != nil {
		return store.PurgeResult{}, err
	}
	defer db.Close()
	return db.Purge(ctx, now.Add(-cfg.Store.Retention))
}
