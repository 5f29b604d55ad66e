package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

func TestOldestPending(t *testing.T) {
	ctx := context.Background()
	clock := &fixedClock{t: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	db, err := Open(ctx, filepath.Join(t.TempDir(), "kiosk.db"), Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, ok, err := db.OldestPending(ctx); err != nil || ok {
		t.Fatalf("empty outbox: ok=%t err=%v", ok, err)
	}
	first := clock.t
	if err := db.Enqueue(ctx, "A-1", "application", []byte("x")); err != nil {
		t.Fatal(err)
	}
	clock.t = clock.t.Add(10 * time.Minute)
	if err := db.Enqueue(ctx, "A-2", "application", []byte("y")); err != nil {
		t.Fatal(err)
	}
	if at, ok, err := db.OldestPending(ctx); err != nil || !ok || !at.Equal(first) {
		t.Fatalf("two waiting: got %v ok=%t err=%v, want %v", at, ok, err, first)
	}
	due, err := db.Due(ctx, 1)
	if err != nil || len(due) != 1 {
		t.Fatalf("due: %v %v", due, err)
	}
	if err := db.MarkDelivered(ctx, due[0].ID); err != nil {
		t.Fatal(err)
	}
	if at, ok, err := db.OldestPending(ctx); err != nil || !ok || !at.Equal(first.Add(10*time.Minute)) {
		t.Fatalf("after delivering the oldest: got %v ok=%t err=%v", at, ok, err)
	}
}
