package kiosk_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/kiosk/kiosktest"
)

func appPayload(t *testing.T, ref string) []byte {
	t.Helper()
	b, err := json.Marshal(kiosk.ApplicationMessage{Reference: ref, Service: kiosk.ServicePassport, Subject: "subj-1"})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDeliverer(t *testing.T) {
	ctx := context.Background()
	store := kiosktest.NewStore()
	bo := kiosktest.NewBackOffice()
	var logged []error
	d := &kiosk.Deliverer{Queue: store, BackOffice: bo, OnError: func(err error) { logged = append(logged, err) }}

	for _, ref := range []string{"260514-AAAAAAAA-1", "260514-BBBBBBBB-2"} {
		if err := store.Enqueue(ctx, ref, kiosk.OutboxKindApplication, appPayload(t, ref)); err != nil {
			t.Fatal(err)
		}
	}
	// The same key again (a retried submission) queues nothing.
	if err := store.Enqueue(ctx, "260514-AAAAAAAA-1", kiosk.OutboxKindApplication, appPayload(t, "260514-AAAAAAAA-1")); err != nil {
		t.Fatal(err)
	}
	store.Enqueue(ctx, "k-unknown", "photo.upload", []byte("{}"))
	store.Enqueue(ctx, "k-garbled", kiosk.OutboxKindApplication, []byte("{"))
	store.Enqueue(ctx, "k-mismatch", kiosk.OutboxKindApplication, appPayload(t, "260514-CCCCCCCC-3"))

	// Back office down: nothing delivered, every attempt recorded, the kiosk goes on.
	bo.SubmitErr = kiosk.ErrBackOfficeUnavailable
	n, err := d.DeliverDue(ctx)
	if err != nil || n != 0 {
		t.Fatalf("offline round: %d, %v", n, err)
	}
	for _, m := range store.Outbox() {
		if m.Delivered || m.Attempts != 1 || m.LastErr == "" {
			t.Errorf("after offline round: %+v", m)
		}
	}
	if len(logged) != 5 {
		t.Errorf("%d errors logged, want 5", len(logged))
	}

	bo.SubmitErr = nil
	logged = nil
	n, err = d.DeliverDue(ctx)
	if err != nil || n != 2 {
		t.Fatalf("online round: %d, %v", n, err)
	}
	if bo.Submitted() != 2 {
		t.Errorf("back office got %d applications", bo.Submitted())
	}
	want := map[string]bool{"260514-AAAAAAAA-1": true, "260514-BBBBBBBB-2": true}
	for _, m := range store.Outbox() {
		if m.Delivered != want[m.Key] {
			t.Errorf("%s delivered=%t", m.Key, m.Delivered)
		}
	}
	var unknown, mismatch bool
	for _, e := range logged {
		unknown = unknown || errors.Is(e, kiosk.ErrUnknownOutboxKind)
		mismatch = mismatch || strings.Contains(e.Error(), "queued under key")
	}
	if !unknown || !mismatch || len(logged) != 3 {
		t.Errorf("logged %v", logged)
	}
	// Nothing left that can be delivered.
	if n, _ := d.DeliverDue(ctx); n != 0 {
		t.Errorf("third round delivered %d", n)
	}
}
