package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
)

// The store is the kiosk's outbox: SaveApplication fills it, the Deliverer drains it.
var _ kiosk.OutboxQueue = (*DB)(nil)

// Enqueue adds a message; enqueuing the same idempotency key twice is a no-op, so a
// retried submission never sends two applications.
func (d *DB) Enqueue(ctx context.Context, key, kind string, payload []byte) error {
	if err := enqueue(ctx, d.db, key, kind, payload, d.now()); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func enqueue(ctx context.Context, x execer, key, kind string, payload []byte, now string) error {
	if key == "" || kind == "" {
		return errors.New("idempotency key and kind are required")
	}
	// The message carries the audit head of its own transaction (for an application:
	// its own audit row), for the back office to keep outside the kiosk.
	_, err := x.ExecContext(ctx, `INSERT INTO outbox(idempotency_key, kind, payload, created_at, next_attempt_at, audit_head)
		VALUES (?, ?, ?, ?, ?, coalesce((SELECT seq || ':' || hash FROM audit ORDER BY seq DESC LIMIT 1), ''))
		ON CONFLICT(idempotency_key) DO NOTHING`, key, kind, payload, now, now)
	return classify(err)
}

// Due returns undelivered messages whose next attempt is due, oldest first.
func (d *DB) Due(ctx context.Context, limit int) ([]kiosk.OutboxMessage, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id, idempotency_key, kind, payload, attempts, audit_head FROM outbox
		WHERE delivered_at IS NULL AND next_attempt_at <= ? ORDER BY id LIMIT ?`, d.now(), limit)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", classify(err))
	}
	defer rows.Close()
	var out []kiosk.OutboxMessage
	for rows.Next() {
		var m kiosk.OutboxMessage
		if err := rows.Scan(&m.ID, &m.IdempotencyKey, &m.Kind, &m.Payload, &m.Attempts, &m.AuditHead); err != nil {
			return nil, fmt.Errorf("outbox: %w", classify(err))
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Queued returns the undelivered message with this idempotency key, due or not.
func (d *DB) Queued(ctx context.Context, key string) (kiosk.OutboxMessage, error) {
	var m kiosk.OutboxMessage
	err := d.db.QueryRowContext(ctx, `SELECT id, idempotency_key, kind, payload, attempts, audit_head FROM outbox
		WHERE idempotency_key = ? AND delivered_at IS NULL`, key).Scan(&m.ID, &m.IdempotencyKey, &m.Kind, &m.Payload, &m.Attempts, &m.AuditHead)
	if errors.Is(err, sql.ErrNoRows) {
		return m, kiosk.ErrNotQueued
	}
	if err != nil {
		return m, fmt.Errorf("outbox: %w", classify(err))
	}
	return m, nil
}

// MarkDelivered records a successful delivery and, in the same transaction, clears the
// payload (secure_delete zeroes the old cells) from the outbox and from the application it carried: once the back office has
// the form (which may hold a service password or a new photo), the kiosk keeps only the
// reference, the service and the status (Law 8/2005: keep no longer than needed).
func (d *DB) MarkDelivered(ctx context.Context, id int64) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("outbox: %w", classify(err))
	}
	defer tx.Rollback()
	var key string
	if err := tx.QueryRowContext(ctx, `SELECT idempotency_key FROM outbox WHERE id = ?`, id).Scan(&key); err != nil {
		return fmt.Errorf("outbox message %d: %w", id, classify(err))
	}
	now := d.now()
	if _, err := tx.ExecContext(ctx, `UPDATE outbox SET delivered_at = ?, attempts = attempts + 1, last_error = NULL, payload = x'' WHERE id = ?`, now, id); err != nil {
		return fmt.Errorf("outbox: %w", classify(err))
	}
	if _, err := tx.ExecContext(ctx, `UPDATE applications SET payload = x'', status = 'delivered' WHERE reference = ?`, key); err != nil {
		return fmt.Errorf("outbox: %w", classify(err))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("outbox: %w", classify(err))
	}
	// The WAL still holds the frames that inserted the payload: copy the zeroed pages
	// into the main file and empty the WAL. Best effort: a reader holding an old
	// snapshot makes it partial, and the next delivery's checkpoint finishes it.
	d.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return nil
}

// Backoff is the wait before retry number attempt (1-based): doubling from 30 s,
// capped at one hour, so an offline kiosk keeps trying without flooding the link.
func Backoff(attempt int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// MarkFailed records a failed attempt and schedules the next one.
func (d *DB) MarkFailed(ctx context.Context, id int64, attempts int, cause error) error {
	next := d.clock.Now().Add(Backoff(attempts + 1))
	msg := ""
	if cause != nil {
		msg = cause.Error()
	}
	_, err := d.db.ExecContext(ctx, `UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?`,
		fmtTime(next), msg, id)
	if err != nil {
		return fmt.Errorf("outbox: %w", classify(err))
	}
	return nil
}

// Pending counts undelivered messages.
func (d *DB) Pending(ctx context.Context) (int, error) {
	var n int
	err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE delivered_at IS NULL`).Scan(&n)
	return n, classify(err)
}
