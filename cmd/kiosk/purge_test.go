package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/config"
	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/store"
)

// TestRunPurge: `kiosk run`'s purge loop applies store.retention to the configured
// database on its schedule: an application delivered longer ago than the retention
// loses the payload it still had, a recent one keeps it, and every run is audited.
func TestRunPurge(t *testing.T) {
	ctx := context.Background()
	cfg := config.Default()
	cfg.Store.Path = filepath.Join(t.TempDir(), "kiosk.db")
	cfg.Store.AuditKeyFile = ""
	cfg.Store.Retention = 48 * time.Hour
	db, err := store.Open(ctx, cfg.Store.Path, storeOptions(cfg))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for ref, age := range map[string]time.Duration{"OLD": 72 * time.Hour, "NEW": time.Hour} {
		at := time.Now().Add(-age)
		if err := db.SaveApplication(ctx, kiosk.Application{Reference: ref, Service: "passport", Subject: "s", Payload: []byte("form+photo"), CreatedAt: at},
			kiosk.AuditEvent{At: at, Actor: "resident", Action: "application.submit"}); err != nil {
			t.Fatal(err)
		}
		// Delivered by a kiosk version that kept the payload.
		if _, err := db.SQL().ExecContext(ctx, `UPDATE applications SET status = 'delivered' WHERE reference = ?`, ref); err != nil {
			t.Fatal(err)
		}
	}

	purgeFirst, purgeEvery = 10*time.Millisecond, 50*time.Millisecond
	defer func() { purgeFirst, purgeEvery = 2*time.Minute, 24*time.Hour }()
	runCtx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	runPurge(runCtx, cfg) // returns when runCtx ends

	for ref, want := range map[string]int{"OLD": 0, "NEW": len("form+photo")} {
		a, err := db.Application(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Payload) != want {
			t.Errorf("%s: payload %d bytes, want %d", ref, len(a.Payload), want)
		}
	}
	rows, err := db.AuditRows(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var runs []string
	for _, r := range rows {
		if r.Action == store.ActionPurge {
			runs = append(runs, r.Detail)
		}
	}
	if len(runs) < 2 || !strings.Contains(runs[0], "applications=1") || !strings.Contains(runs[1], "applications=0") {
		t.Errorf("purge runs audited: %q, want the first wiping one application and later ones nothing", runs)
	}
}
