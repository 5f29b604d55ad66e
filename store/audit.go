package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/macau-dsi/kiosk/kiosk"
)

// genesisHash is the prev_hash of the first audit row.
var genesisHash = strings.Repeat("0", 64)

// rowHash is the chain hash of one audit row: SHA-256 over the previous hash and every
// field, each length-prefixed so that no two rows can encode alike.
func rowHash(prev string, seq int64, at, actor, action, subject, detail string) string {
	h := sha256.New()
	for _, f := range []string{prev, strconv.FormatInt(seq, 10), at, actor, action, subject, detail} {
		fmt.Fprintf(h, "%d:%s;", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Audit appends one event to the audit log, chained to the previous row.
func (d *DB) Audit(ctx context.Context, e kiosk.AuditEvent) error {
	return d.inTx(ctx, "audit", func(tx *sql.Tx) error { return d.appendAudit(ctx, tx, e) })
}

// inTx runs fn in one transaction, so that a change and the audit row that records it
// are committed together or not at all.
func (d *DB) inTx(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", what, classify(err))
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: %w", what, classify(err))
	}
	return nil
}

// appendAudit appends e inside tx, chained to the current head.
func (d *DB) appendAudit(ctx context.Context, tx *sql.Tx, e kiosk.AuditEvent) error {
	if e.Action == "" || e.Actor == "" {
		return errors.New("audit: actor and action are required")
	}
	at := e.At
	if at.IsZero() {
		at = d.clock.Now()
	}
	var lastSeq int64
	prev := genesisHash
	err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&lastSeq, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("audit: reading chain head: %w", classify(err))
	}
	seq := lastSeq + 1
	ats := fmtTime(at)
	hash := rowHash(prev, seq, ats, e.Actor, e.Action, e.Subject, e.Detail)
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit(seq, at, actor, action, subject, detail, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, seq, ats, e.Actor, e.Action, e.Subject, e.Detail, prev, hash); err != nil {
		return fmt.Errorf("audit: %w", classify(err))
	}
	return nil
}

// ChainError names the first audit row that does not fit the chain.
type ChainError struct {
	Seq    int64
	Reason string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("audit row %d: %s", e.Seq, e.Reason)
}

// ErrChainBroken is what every ChainError unwraps to.
var ErrChainBroken = errors.New("audit chain broken")

func (e *ChainError) Unwrap() error { return ErrChainBroken }

// VerifyAudit walks the whole chain and returns the number of rows checked, or a
// *ChainError for the first row whose hash, link or sequence is wrong.
func (d *DB) VerifyAudit(ctx context.Context) (int64, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit ORDER BY seq`)
	if err != nil {
		return 0, fmt.Errorf("verify-audit: %w", classify(err))
	}
	defer rows.Close()
	prev := genesisHash
	var want, n int64 = 1, 0
	for rows.Next() {
		var seq int64
		var at, actor, action, subject, detail, prevHash, hash string
		if err := rows.Scan(&seq, &at, &actor, &action, &subject, &detail, &prevHash, &hash); err != nil {
			return n, fmt.Errorf("verify-audit: %w", classify(err))
		}
		switch {
		case seq != want:
			return n, &ChainError{Seq: seq, Reason: fmt.Sprintf("expected row %d here: a row was deleted or inserted", want)}
		case prevHash != prev:
			return n, &ChainError{Seq: seq, Reason: "its link to the previous row does not match: the previous row was changed or removed"}
		case rowHash(prevHash, seq, at, actor, action, subject, detail) != hash:
			return n, &ChainError{Seq: seq, Reason: "its content does not match its hash: the row was edited"}
		}
		prev = hash
		want++
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("verify-audit: %w", classify(err))
	}
	return n, nil
}

// AuditRow is one exported audit entry.
type AuditRow struct {
	Seq     int64  `json:"seq"`
	At      string `json:"at"`
	Actor   string `json:"actor"`
	Action  string `json:"action"`
	Subject string `json:"subject"`
	Detail  string `json:"detail"`
	Hash    string `json:"hash"`
}

// AuditRows returns audit rows with seq > after, at most limit (0: all).
func (d *DB) AuditRows(ctx context.Context, after int64, limit int) ([]AuditRow, error) {
	q := `SELECT seq, at, actor, action, subject, detail, hash FROM audit WHERE seq > ? ORDER BY seq`
	args := []any{after}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("reading audit: %w", classify(err))
	}
	defer rows.Close()
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
