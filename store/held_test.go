package store_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
	"github.com/macau-dsi/kiosk/store"
)

// A paid application's life on a real database: held while the resident pays (not
// queued), then released (queued, audited) or dropped (payload wiped). And the crash
// between payment and submission: the kiosk stops after the order was paid and before
// the release; started again, SettleHeld sends that application exactly once.
func TestHeldApplicationsOnDisk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "kiosk.db")
	open := func() *store.DB {
		db, err := store.Open(ctx, path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	db := open()
	now := time.Now().Add(-time.Hour)
	app := func(ref string) kiosk.Application {
		return kiosk.Application{Reference: ref, Service: "passport", Subject: "subj", Fee: 300_00,
			Payload: []byte(`{"form":{"phone":"66907342"}}`), CreatedAt: now}
	}
	for _, ref := range []string{"PAID-1", "UNPAID-1", "LIVE-1"} {
		if err := db.HoldApplication(ctx, app(ref), kiosk.AuditEvent{At: now, Actor: "resident", Action: "application.hold", Subject: "subj"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.HoldApplication(ctx, app("PAID-1"), kiosk.AuditEvent{Actor: "resident", Action: "application.hold"}); err == nil {
		t.Error("a reference held twice")
	}
	if due, _ := db.Due(ctx, 10); len(due) != 0 {
		t.Fatalf("held applications are queued: %+v", due)
	}
	pay := kiosktest.NewPayments()
	for _, ref := range []string{"PAID-1", "UNPAID-1"} {
		pay.Start(ctx, ref, kiosk.ServicePassport, 300_00, kiosk.PaymentQR)
	}
	pay.Approve("PAID-1")
	db.Close() // the crash: paid, never released

	db = open()
	clock := kiosktest.NewClock(time.Now())
	// "LIVE-1" is newer than the cut-off: a session may still be paying for it.
	if err := db.HoldApplication(ctx, kiosk.Application{Reference: "LIVE-2", Service: "passport", Subject: "subj", Fee: 300_00, Payload: []byte("{}"), CreatedAt: time.Now()},
		kiosk.AuditEvent{Actor: "resident", Action: "application.hold"}); err != nil {
		t.Fatal(err)
	}
	n, err := kiosk.SettleHeld(ctx, db, pay, clock, time.Now().Add(-time.Minute))
	if err != nil || n != 3 {
		t.Fatalf("settled %d: %v", n, err)
	}
	due, err := db.Due(ctx, 10)
	if err != nil || len(due) != 1 || due[0].IdempotencyKey != "PAID-1" {
		t.Fatalf("queued after settling: %+v, %v", due, err)
	}
	// Settling again changes nothing: exactly one application per paid order.
	if n, err := kiosk.SettleHeld(ctx, db, pay, clock, time.Now().Add(-time.Minute)); n != 0 || err != nil {
		t.Errorf("second settling: %d, %v", n, err)
	}
	if due, _ := db.Due(ctx, 10); len(due) != 1 {
		t.Errorf("%d queued after a second settling", len(due))
	}
	held, err := db.HeldApplications(ctx, time.Now().Add(time.Minute))
	if err != nil || len(held) != 1 || held[0].Reference != "LIVE-2" {
		t.Errorf("still held: %+v, %v", held, err)
	}
	if got, _ := db.Application(ctx, "UNPAID-1"); len(got.Payload) != 0 {
		t.Errorf("a dropped application keeps its payload: %s", got.Payload)
	}
	if _, err := db.VerifyAudit(ctx); err != nil {
		t.Errorf("audit chain: %v", err)
	}
	// The dropped payloads are gone from the files too (secure_delete), not just the rows.
	db.Close()
	files, _ := filepath.Glob(filepath.Join(dir, "kiosk.db*"))
	var count int
	for _, f := range files {
		b, _ := os.ReadFile(f)
		count += bytes.Count(b, []byte("66907342"))
	}
	// PAID-1's payload is queued (the back office needs the phone) and is in the row
	// and the outbox; the two dropped ones are wiped.
	if count > 2 {
		t.Errorf("phone number found %d times in the database files", count)
	}
}
