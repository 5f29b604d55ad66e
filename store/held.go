package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
)

// Application statuses (applications.status): a free service's application is
// "submitted" at once; a paid one is "held" while the resident pays, then "submitted"
// (queued) or "dropped" (never paid; its payload wiped).
const (
	statusSubmitted = "submitted"
	statusHeld      = "held"
	statusDropped   = "dropped"
)

// HoldApplication saves a paid service's application awaiting payment, with its audit
// row, in one transaction. It is not queued: nothing reaches the back office unpaid.
func (d *DB) HoldApplication(ctx context.Context, a kiosk.Application, e kiosk.AuditEvent) error {
	what := "holding application " + a.Reference
	return d.inTx(ctx, what, func(tx *sql.Tx) error {
		if _, err := d.insertApplication(ctx, tx, what, a, statusHeld); err != nil {
			return err
		}
		if err := d.appendAudit(ctx, tx, e); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	})
}

// ReleaseApplication marks a held application submitted, appends its audit row (the
// submission) and queues its payload, in one transaction: it was paid.
func (d *DB) ReleaseApplication(ctx context.Context, ref string, e kiosk.AuditEvent) error {
	what := "releasing application " + ref
	return d.inTx(ctx, what, func(tx *sql.Tx) error {
		var payload []byte
		err := tx.QueryRowContext(ctx, `SELECT payload FROM applications WHERE reference = ? AND status = ?`, ref, statusHeld).Scan(&payload)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%s: no held application with that reference", what)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", what, classify(err))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE applications SET status = ? WHERE reference = ?`, statusSubmitted, ref); err != nil {
			return fmt.Errorf("%s: %w", what, classify(err))
		}
		d.testStep("released")
		if err := d.appendAudit(ctx, tx, e); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if err := enqueue(ctx, tx, ref, kiosk.OutboxKindApplication, payload, d.now()); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	})
}

// DropApplication ends a held application that was not paid: its payload (the form,
// with personal data) is wiped, the row and the audit row stay.
func (d *DB) DropApplication(ctx context.Context, ref string, e kiosk.AuditEvent) error {
	what := "dropping application " + ref
	return d.inTx(ctx, what, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE applications SET status = ?, payload = x'' WHERE reference = ? AND status = ?`,
			statusDropped, ref, statusHeld)
		if err != nil {
			return fmt.Errorf("%s: %w", what, classify(err))
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%s: no held application with that reference", what)
		}
		if err := d.appendAudit(ctx, tx, e); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	})
}

// HeldApplications lists the applications still held that were created before t,
// oldest first.
func (d *DB) HeldApplications(ctx context.Context, t time.Time) ([]kiosk.Application, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT reference, service, subject, fee_avos, payload, created_at FROM applications
	WHERE status = ? AND created_at < ? ORDER BY created_at`, statusHeld, fmtTime(t))
	if err != nil {
		return nil, fmt.Errorf("listing held applications: %w", classify(err))
	}
	defer rows.Close()
	var out []kiosk.Application
	for rows.Next() {
		var a kiosk.Application
		var created string
		if err := rows.Scan(&a.Reference, &a.Service, &a.Subject, &a.Fee, &a.Payload, &created); err != nil {
			return nil, fmt.Errorf("listing held applications: %w", classify(err))
		}
		a.CreatedAt, _ = parseTime(created)
		out = append(out, a)
	}
	return out, classify(rows.Err())
}
