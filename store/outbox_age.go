package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// OldestPending returns when the oldest undelivered outbox message was queued, and
// false when nothing waits. The metrics endpoint reports its age: an application
// that has waited an hour means the back office link is down for this kiosk.
func (d *DB) OldestPending(ctx context.Context) (time.Time, bool, error) {
	var at sql.NullString
	err := d.db.QueryRowContext(ctx, `SELECT min(created_at) FROM outbox WHERE delivered_at IS NULL`).Scan(&at)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("outbox: %w", classify(err))
	}
	if !at.Valid {
		return time.Time{}, false, nil
	}
	t, err := parseTime(at.String)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("outbox: created_at %q: %w", at.String, err)
	}
	return t, true, nil
}
