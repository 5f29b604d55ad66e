package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/macau-dsi/kiosk/kiosk"
)

// genesisHash is the prev_hash of the first audit row.
var genesisHash = strings.Repeat("0", 64)

// rowHash is the chain hash of one unkeyed audit row, as written before migration 3:
// SHA-256 over the previous hash and every field, each length-prefixed so that no two
// rows can encode alike. Still used to verify those old rows.
func rowHash(prev string, seq int64, at, actor, action, subject, detail string) string {
	h := sha256.New()
	writeRow(h, prev, seq, at, actor, action, subject, detail)
	return hex.EncodeToString(h.Sum(nil))
}

// rowMAC is the keyed chain hash of a row: HMAC-SHA256 of the same encoding.
func rowMAC(key []byte, prev string, seq int64, at, actor, action, subject, detail string) string {
	m := hmac.New(sha256.New, key)
	writeRow(m, prev, seq, at, actor, action, subject, detail)
	return hex.EncodeToString(m.Sum(nil))
}

func writeRow(w io.Writer, prev string, seq int64, at, actor, action, subject, detail string) {
	for _, f := range []string{prev, strconv.FormatInt(seq, 10), at, actor, action, subject, detail} {
		fmt.Fprintf(w, "%d:%s;", len(f), f)
	}
}

// actionRekey is the keyed row that migration 3 appends after the unkeyed rows.
const actionRekey = "audit.rekey"

// Audit appends one event to the audit log, chained to the previous row.
func (d *DB) Audit(ctx context.Context, e kiosk.AuditEvent) error {
	return d.inTx(ctx, "audit", func(tx *sql.Tx) error { return d.appendAudit(ctx, tx, e) })
}

// inTx runs fn in one transaction, so that a change and the audit row that records it
// are committed together or not at all; then it moves the anchor to the new head.
// The anchor lock spans both, so that anchors follow commits in order.
func (d *DB) inTx(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	unlock, err := d.anchorLk.lock(ctx, true)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer unlock()
	d.pending = nil
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
	d.testStep("committed-before-anchor")
	d.anchorPending(ctx)
	return nil
}

// pendingAppend is the row a transaction appended, and the head it chained to.
type pendingAppend struct{ head, prev auditHead }

// appendAudit appends e inside tx, chained to the current head with the audit key.
func (d *DB) appendAudit(ctx context.Context, tx *sql.Tx, e kiosk.AuditEvent) error {
	if e.Action == "" || e.Actor == "" {
		return errors.New("audit: actor and action are required")
	}
	if d.pending != nil {
		// One row per transaction is what lets VerifyAudit allow exactly one row
		// past the anchor after a crash.
		return errors.New("audit: one audit row per transaction")
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
	mac := rowMAC(d.auditKey, prev, seq, ats, e.Actor, e.Action, e.Subject, e.Detail)
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit(seq, at, actor, action, subject, detail, prev_hash, hash, keyed)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)`, seq, ats, e.Actor, e.Action, e.Subject, e.Detail, prev, mac); err != nil {
		return fmt.Errorf("audit: %w", classify(err))
	}
	d.pending = &pendingAppend{head: auditHead{Seq: seq, MAC: mac}, prev: auditHead{Seq: lastSeq, MAC: prev}}
	return nil
}

// anchorPending moves the anchor to the row the committed transaction appended. It
// never moves it over evidence: when the database no longer reaches the anchored head
// (rows deleted, chain rewritten) or the anchor is gone after the chain began, the
// anchor is left as it is, for VerifyAudit to report, and AnchorError says why. The
// commit stands either way: the caller's change was made.
func (d *DB) anchorPending(ctx context.Context) {
	p := d.pending
	d.pending = nil
	if p == nil || d.anchorPath == "" {
		return
	}
	problem := func(err error) {
		d.anchorMu.Lock()
		d.anchorErr = err
		d.anchorMu.Unlock()
		if err != nil && d.warn != nil {
			d.warn(err.Error())
		}
	}
	old, err := readAnchor(d.anchorPath, d.auditKey)
	switch {
	case errors.Is(err, errNoAnchor):
		// Only the first keyed row (and one after it, if the crash window lost the
		// first anchor write) may start an anchor.
		var keyed int64
		if err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM audit WHERE keyed = 1`).Scan(&keyed); err != nil {
			problem(fmt.Errorf("audit anchor: %w", classify(err)))
			return
		}
		if keyed > 2 {
			problem(fmt.Errorf("audit anchor %s is missing although the keyed chain has %d rows: not re-created, run kiosk admin verify-audit", d.anchorPath, keyed))
			return
		}
	case err != nil:
		problem(err)
		return
	case old.Seq > p.prev.Seq:
		problem(fmt.Errorf("audit log ended at row %d but its anchor records row %d: rows were deleted; anchor kept", p.prev.Seq, old.Seq))
		return
	default:
		mac := p.prev.MAC
		if old.Seq != p.prev.Seq {
			if err := d.db.QueryRowContext(ctx, `SELECT hash FROM audit WHERE seq = ?`, old.Seq).Scan(&mac); err != nil {
				mac = ""
			}
		}
		if mac != old.MAC {
			problem(fmt.Errorf("audit row %d no longer matches its anchor: the chain was rewritten; anchor kept", old.Seq))
			return
		}
	}
	if err := writeAnchor(d.anchorPath, d.auditKey, p.head); err != nil {
		problem(err)
		return
	}
	problem(nil)
}

// AnchorError is why the last append could not move the audit anchor (nil: it did).
func (d *DB) AnchorError() error {
	d.anchorMu.Lock()
	defer d.anchorMu.Unlock()
	return d.anchorErr
}

// rekeyLegacyChain runs inside migration 3's transaction: when unkeyed rows exist, one
// keyed row chained to the last of them puts them under the key. It is never done
// later, so that nobody can get a chain re-keyed by converting rows to unkeyed ones.
func (d *DB) rekeyLegacyChain(ctx context.Context, tx *sql.Tx) error {
	var n int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM audit`).Scan(&n); err != nil {
		return classify(err)
	}
	if n == 0 {
		return nil
	}
	return d.appendAudit(ctx, tx, kiosk.AuditEvent{Actor: "system", Action: actionRekey,
		Detail: fmt.Sprintf("legacy_rows=%d scheme=hmac-sha256", n)})
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

// VerifyAudit walks the whole chain and checks its end against the anchor. It returns
// the number of rows checked, or a *ChainError for the first row whose hash, link or
// sequence is wrong, or for a log that ends before its anchored head.
func (d *DB) VerifyAudit(ctx context.Context) (int64, error) {
	if d.auditKey == nil {
		return 0, fmt.Errorf("verify-audit: audit key %s is missing: the keyed chain cannot be checked without it (restore it from backup)", d.auditKeyFile)
	}
	if applied, latest, err := d.SchemaVersion(ctx); err != nil {
		return 0, fmt.Errorf("verify-audit: %w", err)
	} else if applied < 3 {
		return 0, fmt.Errorf("verify-audit: database schema %d is older than this kiosk's %d: start the kiosk once to migrate it", applied, latest)
	}
	unlock, err := d.anchorLk.lock(ctx, false)
	if err != nil {
		return 0, fmt.Errorf("verify-audit: %w", err)
	}
	defer unlock()
	var head auditHead
	anchor := errNoAnchor
	if d.anchorPath != "" {
		head, anchor = readAnchor(d.anchorPath, d.auditKey)
		if anchor != nil && !errors.Is(anchor, errNoAnchor) {
			return 0, &ChainError{Seq: 0, Reason: anchor.Error()}
		}
	}
	rows, err := d.db.QueryContext(ctx, `SELECT seq, at, actor, action, subject, detail, prev_hash, hash, keyed FROM audit ORDER BY seq`)
	if err != nil {
		return 0, fmt.Errorf("verify-audit: %w", classify(err))
	}
	defer rows.Close()
	prev := genesisHash
	var want, n, keyedRows int64 = 1, 0, 0
	anchoredMAC := ""
	for rows.Next() {
		var seq int64
		var keyed bool
		var at, actor, action, subject, detail, prevHash, hash string
		if err := rows.Scan(&seq, &at, &actor, &action, &subject, &detail, &prevHash, &hash, &keyed); err != nil {
			return n, fmt.Errorf("verify-audit: %w", classify(err))
		}
		switch {
		case seq != want:
			return n, &ChainError{Seq: seq, Reason: fmt.Sprintf("expected row %d here: a row was deleted or inserted", want)}
		case prevHash != prev:
			return n, &ChainError{Seq: seq, Reason: "its link to the previous row does not match: the previous row was changed or removed"}
		case !keyed && keyedRows > 0:
			return n, &ChainError{Seq: seq, Reason: "an unkeyed row after the keyed chain began: the chain was edited and recomputed without the key"}
		case !keyed && rowHash(prevHash, seq, at, actor, action, subject, detail) != hash:
			return n, &ChainError{Seq: seq, Reason: "its content does not match its hash: the row was edited"}
		case keyed && !hmac.Equal([]byte(rowMAC(d.auditKey, prevHash, seq, at, actor, action, subject, detail)), []byte(hash)):
			return n, &ChainError{Seq: seq, Reason: "its content does not match its keyed MAC: the row was edited, or the chain recomputed without the key"}
		case keyed && keyedRows == 0 && seq > 1 && action != actionRekey:
			return n, &ChainError{Seq: seq, Reason: "the first keyed row after unkeyed ones is not the migration's re-key row: the chain was recomputed"}
		}
		if keyed {
			keyedRows++
		}
		if seq == head.Seq {
			anchoredMAC = hash
		}
		prev = hash
		want++
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("verify-audit: %w", classify(err))
	}
	last := want - 1
	switch {
	case n > 0 && keyedRows == 0:
		return n, &ChainError{Seq: 1, Reason: "no row is keyed although the log was migrated to the keyed chain: it was recomputed without the key"}
	case errors.Is(anchor, errNoAnchor) && d.anchorPath == "":
		// An in-memory database has no anchor.
	case errors.Is(anchor, errNoAnchor):
		// Only the crash window after the very first keyed row may leave no anchor.
		if keyedRows > 1 {
			return n, &ChainError{Seq: last, Reason: fmt.Sprintf("the anchor file %s is missing: the end of the log cannot be checked (rows may have been deleted)", d.anchorPath)}
		}
	case head.Seq > last:
		return n, &ChainError{Seq: last + 1, Reason: fmt.Sprintf("the log ends at row %d but its anchor records row %d: the last rows were deleted", last, head.Seq)}
	case anchoredMAC != head.MAC:
		return n, &ChainError{Seq: head.Seq, Reason: "it does not match the anchored head: the chain was rewritten"}
	case last > head.Seq+1:
		return n, &ChainError{Seq: head.Seq + 2, Reason: fmt.Sprintf("the log is %d rows past its anchor (at most one, a crash before the anchor write, is normal): the anchor was replaced by an older copy or could not be written", last-head.Seq)}
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
	q := `SELECT ` + auditColumns + ` FROM audit WHERE seq > ? ORDER BY seq`
	args := []any{after}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	return d.queryAudit(ctx, q, args...)
}
