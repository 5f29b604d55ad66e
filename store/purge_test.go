package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
	"github.com/macau-dsi/kiosk/store"
)

// TestPurge: the retention purge wipes the payloads the back office already has and
// that are older than the cutoff, closes sessions left open since before it, leaves
// everything else alone, and audits each run in the chain.
func TestPurge(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	clock := kiosktest.NewClock(now)
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "kiosk.db"), store.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sqlDB := db.SQL()
	day := 24 * time.Hour
	cutoff := now.Add(-30 * day)
	payload := []byte(`{"form":{"phone":"66907342"},"photo":"/9j/4AAQ"}`)

	apps := []struct {
		ref       string
		age       time.Duration
		status    string // as the kiosk left it
		delivered bool   // outbox message delivered (payload still there: a legacy row)
		wantWiped bool
	}{
		{"OLD-DELIVERED", 60 * day, "delivered", true, true},
		{"NEW-DELIVERED", 1 * day, "delivered", true, false},
		{"OLD-UNDELIVERED", 60 * day, "submitted", false, false},
		{"OLD-HELD", 60 * day, "held", false, false},
	}
	for _, a := range apps {
		at := now.Add(-a.age)
		app := kiosk.Application{Reference: a.ref, Service: "passport", Subject: "subj", Fee: 300_00, Payload: payload, CreatedAt: at}
		ev := kiosk.AuditEvent{At: at, Actor: "resident", Action: "application.submit", Subject: "subj"}
		if err := db.SaveApplication(ctx, app, ev); err != nil {
			t.Fatal(err)
		}
		if _, err := sqlDB.ExecContext(ctx, `UPDATE applications SET status = ? WHERE reference = ?`, a.status, a.ref); err != nil {
			t.Fatal(err)
		}
		if a.delivered {
			if _, err := sqlDB.ExecContext(ctx, `UPDATE outbox SET delivered_at = ? WHERE idempotency_key = ?`,
				at.Add(time.Minute).UTC().Format("2006-01-02T15:04:05.000000000Z"), a.ref); err != nil {
				t.Fatal(err)
			}
		}
	}
	sessions := []struct {
		id         string
		age        time.Duration
		ended      bool
		wantClosed bool
	}{
		{"S-OLD-OPEN", 40 * day, false, true},
		{"S-NEW-OPEN", time.Hour, false, false},
		{"S-OLD-ENDED", 40 * day, true, false},
	}
	for _, s := range sessions {
		started := now.Add(-s.age).UTC().Format("2006-01-02T15:04:05.000000000Z")
		var ended, outcome any
		if s.ended {
			ended, outcome = started, "done"
		}
		if _, err := sqlDB.ExecContext(ctx, `INSERT INTO sessions(id, kiosk_id, started_at, ended_at, outcome) VALUES (?, 'k1', ?, ?, ?)`,
			s.id, started, ended, outcome); err != nil {
			t.Fatal(err)
		}
	}

	got, err := db.Purge(ctx, cutoff)
	if err != nil {
		t.Fatal(err)
	}
	if want := (store.PurgeResult{Applications: 1, Messages: 1, Sessions: 1}); got != want {
		t.Errorf("Purge = %+v, want %+v", got, want)
	}
	for _, a := range apps {
		var appLen, msgLen int
		if err := sqlDB.QueryRowContext(ctx, `SELECT length(payload) FROM applications WHERE reference = ?`, a.ref).Scan(&appLen); err != nil {
			t.Fatal(err)
		}
		err := sqlDB.QueryRowContext(ctx, `SELECT length(payload) FROM outbox WHERE idempotency_key = ?`, a.ref).Scan(&msgLen)
		if err != nil && a.status != "held" {
			t.Fatal(err)
		}
		if wiped := appLen == 0; wiped != a.wantWiped {
			t.Errorf("%s: application payload %d bytes, want wiped=%v", a.ref, appLen, a.wantWiped)
		}
		if a.delivered && (msgLen == 0) != a.wantWiped {
			t.Errorf("%s: outbox payload %d bytes, want wiped=%v", a.ref, msgLen, a.wantWiped)
		}
	}
	for _, s := range sessions {
		var ended, outcome *string
		if err := sqlDB.QueryRowContext(ctx, `SELECT ended_at, outcome FROM sessions WHERE id = ?`, s.id).Scan(&ended, &outcome); err != nil {
			t.Fatal(err)
		}
		closedNow := ended != nil && outcome != nil && *outcome == "expired"
		if closedNow != s.wantClosed {
			t.Errorf("%s: ended %v outcome %v, want closed by the purge=%v", s.id, ended, outcome, s.wantClosed)
		}
	}

	// Audited, in the chain; a second run finds nothing and is audited too.
	if got, err := db.Purge(ctx, cutoff); err != nil || got != (store.PurgeResult{}) {
		t.Errorf("second Purge = %+v, %v; want nothing left", got, err)
	}
	rows, err := db.AuditRows(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var purges []string
	for _, r := range rows {
		if r.Action == store.ActionPurge {
			purges = append(purges, r.Detail)
		}
	}
	want := []string{
		"before=2026-01-30T10:00:00.000000000Z applications=1 messages=1 sessions=1",
		"before=2026-01-30T10:00:00.000000000Z applications=0 messages=0 sessions=0",
	}
	if len(purges) != 2 || purges[0] != want[0] || purges[1] != want[1] {
		t.Errorf("purge audit rows %q, want %q", purges, want)
	}
	if _, err := db.VerifyAudit(ctx); err != nil {
		t.Errorf("audit chain after purges: %v", err)
	}
}
