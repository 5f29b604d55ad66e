package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

const auditColumns = `seq, at, actor, action, subject, detail, hash`

// AuditSince returns the audit rows written at or after t, oldest first: today's
// statistics for staff mode. The at column sorts as time (fixed-width UTC).
func (d *DB) AuditSince(ctx context.Context, t time.Time) ([]AuditRow, error) {
	return d.queryAudit(ctx, `SELECT `+auditColumns+` FROM audit WHERE at >= ? ORDER BY seq`, fmtTime(t))
}

// LastAuditRows returns the last n audit rows, oldest first.
func (d *DB) LastAuditRows(ctx context.Context, n int) ([]AuditRow, error) {
	return d.queryAudit(ctx, `SELECT `+auditColumns+` FROM (SELECT * FROM audit ORDER BY seq DESC LIMIT ?) ORDER BY seq`, n)
}

func (d *DB) queryAudit(ctx context.Context, q string, args ...any) ([]AuditRow, error) {
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("reading audit: %w", classify(err))
	}
	defer rows.Close()
	return scanAuditRows(rows)
}

func scanAuditRows(rows *sql.Rows) ([]AuditRow, error) {
	var out []AuditRow
	for rows.Next() {
		var r AuditRow
		if err := rows.Scan(&r.Seq, &r.At, &r.Actor, &r.Action, &r.Subject, &r.Detail, &r.Hash); err != nil {
			return nil, fmt.Errorf("reading audit: %w", classify(err))
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
