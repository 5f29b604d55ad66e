package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
)

// SaveApplication stores an application under its receipt reference, queues its
// payload for the back office and appends e (the audit row of the submission), all in
// one transaction (kiosk.Store's contract).
func (d *DB) SaveApplication(ctx context.Context, a kiosk.Application, e kiosk.AuditEvent) error {
	what := "saving application " + a.Reference
	return d.inTx(ctx, what, func(tx *sql.Tx) error {
		payload, err := d.insertApplication(ctx, tx, what, a, statusSubmitted)
		if err != nil {
			return err
		}
		d.testStep("application")
		if err := d.appendAudit(ctx, tx, e); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		d.testStep("audit")
		// After the audit row, so that the message carries it as its audit head.
		if err := enqueue(ctx, tx, a.Reference, kiosk.OutboxKindApplication, payload, d.now()); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		d.testStep("outbox")
		return nil
	})
}

// insertApplication writes a's row with status; it returns the payload as stored.
func (d *DB) insertApplication(ctx context.Context, tx *sql.Tx, what string, a kiosk.Application, status string) ([]byte, error) {
	if a.Reference == "" || a.Service == "" {
		return nil, fmt.Errorf("%s: reference and service are required", what)
	}
	created := a.CreatedAt
	if created.IsZero() {
		created = d.clock.Now()
	}
	payload := a.Payload
	if payload == nil {
		payload = []byte{}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO applications(reference, service, subject, fee_avos, payload, created_at, status)
	VALUES (?, ?, ?, ?, ?, ?, ?)`, a.Reference, a.Service, a.Subject, a.Fee, payload, fmtTime(created), status); err != nil {
		return nil, fmt.Errorf("%s: %w", what, classify(err))
	}
	return payload, nil
}

// testStep lets the crash tests stop a write between its statements.
func (d *DB) testStep(name string) {
	if d.onStep != nil {
		d.onStep(name)
	}
}

// Application reads one application by reference.
func (d *DB) Application(ctx context.Context, ref string) (kiosk.Application, error) {
	var a kiosk.Application
	var created string
	err := d.db.QueryRowContext(ctx, `SELECT reference, service, subject, fee_avos, payload, created_at FROM applications WHERE reference = ?`, ref).
		Scan(&a.Reference, &a.Service, &a.Subject, &a.Fee, &a.Payload, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("application %s: not found", ref)
	}
	if err != nil {
		return a, fmt.Errorf("reading application %s: %w", ref, classify(err))
	}
	a.CreatedAt, _ = parseTime(created)
	return a, nil
}

// CountApplications counts stored applications (for health and tests).
func (d *DB) CountApplications(ctx context.Context) (int, error) {
	var n int
	err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM applications`).Scan(&n)
	return n, classify(err)
}

// HealthSample is one health reading.
type HealthSample struct {
	At        time.Time
	Component string
	OK        bool
	Detail    string
}

// RecordHealth stores a health sample.
func (d *DB) RecordHealth(ctx context.Context, s HealthSample) error {
	at := s.At
	if at.IsZero() {
		at = d.clock.Now()
	}
	_, err := d.db.ExecContext(ctx, `INSERT INTO health(at, component, ok, detail) VALUES (?, ?, ?, ?)`,
		fmtTime(at), s.Component, s.OK, s.Detail)
	if err != nil {
		return fmt.Errorf("recording health: %w", classify(err))
	}
	return nil
}

// PruneHealth deletes health samples older than the cutoff, so the table stays small.
func (d *DB) PruneHealth(ctx context.Context, before time.Time) (int64, error) {
	res, err := d.db.ExecContext(ctx, `DELETE FROM health WHERE at < ?`, fmtTime(before))
	if err != nil {
		return 0, fmt.Errorf("pruning health: %w", classify(err))
	}
	return res.RowsAffected()
}
