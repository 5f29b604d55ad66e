package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
)

// ActionPurge is the audit action of a retention purge.
const ActionPurge = "store.purge"

// PurgeResult counts what one purge removed or closed.
type PurgeResult struct {
	Applications int64 // delivered applications whose payload (form, new photo) was still kept
	Messages     int64 // delivered outbox messages whose payload was still kept
	Sessions     int64 // sessions started before the cutoff and never ended, now closed
}

// Purge applies the retention (store.retention): what the back office already has
// and is older than before loses its payload (the form, which may hold a new photo or
// a sealed service password), and sessions left open since before then are closed as
// "expired". Delivery already wipes payloads (MarkDelivered); Purge is what makes
// "kept no longer than needed" hold for anything a crash, an older kiosk version or a
// repair left behind. Undelivered and held applications are never touched: the back
// office does not have them yet (SettleHeld decides held ones). One audit row records
// the counts, in the same transaction, every run (an auditor sees the purge ran).
func (d *DB) Purge(ctx context.Context, before time.Time) (PurgeResult, error) {
	var r PurgeResult
	cut := fmtTime(before)
	now := d.now()
	err := d.inTx(ctx, "purge", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE applications SET payload = x''
			WHERE status = 'delivered' AND created_at < ? AND length(payload) > 0`, cut)
		if err != nil {
			return fmt.Errorf("purge: %w", classify(err))
		}
		r.Applications, _ = res.RowsAffected()
		res, err = tx.ExecContext(ctx, `UPDATE outbox SET payload = x''
			WHERE delivered_at IS NOT NULL AND delivered_at < ? AND length(payload) > 0`, cut)
		if err != nil {
			return fmt.Errorf("purge: %w", classify(err))
		}
		r.Messages, _ = res.RowsAffected()
		res, err = tx.ExecContext(ctx, `UPDATE sessions SET ended_at = ?, outcome = 'expired'
			WHERE ended_at IS NULL AND started_at < ?`, now, cut)
		if err != nil {
			return fmt.Errorf("purge: %w", classify(err))
		}
		r.Sessions, _ = res.RowsAffected()
		return d.appendAudit(ctx, tx, kiosk.AuditEvent{Actor: "system", Action: ActionPurge,
			Detail: fmt.Sprintf("before=%s applications=%d messages=%d sessions=%d", cut, r.Applications, r.Messages, r.Sessions)})
	})
	if err != nil {
		return PurgeResult{}, err
	}
	if r.Applications+r.Messages > 0 {
		// As after a delivery: the WAL still holds the old pages; secure_delete zeroed
		// the cells in the main file once they are checkpointed. Best effort.
		d.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	}
	return r, nil
}
