package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/macau-dsi/kiosk/kiosk"
)

func mustExec(t *testing.T, db *DB, qs ...string) {
	t.Helper()
	for _, q := range qs {
		if _, err := db.SQL().Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// recomputePlain rewrites rows from..last with the plain SHA-256 chain, as anyone with
// the file could: the old verify-audit accepted the result.
func recomputePlain(t *testing.T, db *DB, from int64, markUnkeyed bool) {
	t.Helper()
	mustExec(t, db, `DROP TRIGGER IF EXISTS audit_no_update`)
	prev := genesisHash
	if from > 1 {
		db.SQL().QueryRow(`SELECT hash FROM audit WHERE seq = ?`, from-1).Scan(&prev)
	}
	rows, err := db.SQL().Query(`SELECT seq, at, actor, action, subject, detail FROM audit WHERE seq >= ? ORDER BY seq`, from)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		seq                                int64
		at, actor, action, subject, detail string
	}
	var rs []row
	for rows.Next() {
		var r row
		rows.Scan(&r.seq, &r.at, &r.actor, &r.action, &r.subject, &r.detail)
		rs = append(rs, r)
	}
	rows.Close()
	for _, r := range rs {
		h := rowHash(prev, r.seq, r.at, r.actor, r.action, r.subject, r.detail)
		q := `UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = ?`
		if markUnkeyed {
			q = `UPDATE audit SET prev_hash = ?, hash = ?, keyed = 0 WHERE seq = ?`
		}
		if _, err := db.SQL().Exec(q, prev, h, r.seq); err != nil {
			t.Fatal(err)
		}
		prev = h
	}
}

// The keyed, anchored chain catches what the plain one could not: the last rows
// deleted, the chain recomputed without the key, the anchor removed or made up.
func TestAuditAnchorCatchesTruncationAndRecompute(t *testing.T) {
	tests := []struct {
		name    string
		tamper  func(t *testing.T, db *DB)
		wantSeq int64 // 0: verify passes
		reason  string
	}{
		{"untouched", func(*testing.T, *DB) {}, 0, ""},
		{"last row deleted", func(t *testing.T, db *DB) {
			mustExec(t, db, `DROP TRIGGER audit_no_delete`, `DELETE FROM audit WHERE seq = 6`)
		}, 6, "last rows were deleted"},
		{"last two rows deleted", func(t *testing.T, db *DB) {
			mustExec(t, db, `DROP TRIGGER audit_no_delete`, `DELETE FROM audit WHERE seq >= 5`)
		}, 5, "last rows were deleted"},
		{"all rows deleted", func(t *testing.T, db *DB) {
			mustExec(t, db, `DROP TRIGGER audit_no_delete`, `DELETE FROM audit`)
		}, 1, "last rows were deleted"},
		{"row edited, chain recomputed with plain SHA-256", func(t *testing.T, db *DB) {
			mustExec(t, db, `DROP TRIGGER audit_no_update`, `UPDATE audit SET detail = 'nothing happened' WHERE seq = 3`)
			recomputePlain(t, db, 3, false)
		}, 3, "keyed MAC"},
		{"whole chain recomputed plain and marked unkeyed", func(t *testing.T, db *DB) {
			mustExec(t, db, `DROP TRIGGER audit_no_update`, `UPDATE audit SET detail = 'nothing happened' WHERE seq = 3`)
			recomputePlain(t, db, 1, true)
		}, 1, "no row is keyed"},
		{"recomputed, marked unkeyed and the anchor removed", func(t *testing.T, db *DB) {
			recomputePlain(t, db, 1, true)
			os.Remove(AnchorPath(filepath.Join(filepath.Dir(db.Path()), "audit.key")))
		}, 1, "no row is keyed"},
		{"tail recomputed unkeyed after keyed rows", func(t *testing.T, db *DB) {
			recomputePlain(t, db, 4, true)
		}, 4, "unkeyed row after the keyed chain"},
		{"last rows deleted and the anchor removed", func(t *testing.T, db *DB) {
			mustExec(t, db, `DROP TRIGGER audit_no_delete`, `DELETE FROM audit WHERE seq >= 5`)
			os.Remove(AnchorPath(filepath.Join(filepath.Dir(db.Path()), "audit.key")))
		}, 4, "anchor file"},
		{"anchor made up from the database's own last row", func(t *testing.T, db *DB) {
			mustExec(t, db, `DROP TRIGGER audit_no_delete`, `DELETE FROM audit WHERE seq = 6`)
			var mac string
			db.SQL().QueryRow(`SELECT hash FROM audit WHERE seq = 5`).Scan(&mac)
			writeAnchor(AnchorPath(filepath.Join(filepath.Dir(db.Path()), "audit.key")), []byte("not the kiosk's key, 32 bytes!!!"), auditHead{Seq: 5, MAC: mac})
		}, -1, "tag does not verify"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := openTemp(t)
			appendAudit(t, db, 6)
			tc.tamper(t, db)
			n, err := db.VerifyAudit(context.Background())
			if tc.wantSeq == 0 {
				if err != nil || n != 6 {
					t.Fatalf("VerifyAudit = %d, %v; want 6 rows OK", n, err)
				}
				return
			}
			var ce *ChainError
			if !errors.As(err, &ce) || !errors.Is(err, ErrChainBroken) {
				t.Fatalf("VerifyAudit = %d, %v; want a ChainError", n, err)
			}
			if (tc.wantSeq > 0 && ce.Seq != tc.wantSeq) || !strings.Contains(ce.Reason, tc.reason) {
				t.Errorf("first bad row = %d (%s), want %d (%s)", ce.Seq, ce.Reason, tc.wantSeq, tc.reason)
			}
		})
	}
}

// The anchor is written after the commit. A crash in between leaves the database one
// row ahead of it, which is accepted; two rows ahead is not (an older anchor put back).
func TestAuditAnchorCrashWindow(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	anchor := AnchorPath(filepath.Join(filepath.Dir(db.Path()), "audit.key"))
	appendAudit(t, db, 3)
	older, err := os.ReadFile(anchor)
	if err != nil {
		t.Fatal(err)
	}
	appendAudit(t, db, 1)
	latest, _ := os.ReadFile(anchor)
	os.WriteFile(anchor, older, 0o600) // as if the process died before the anchor write
	if n, err := db.VerifyAudit(ctx); err != nil || n != 4 {
		t.Errorf("one row past the anchor: %d, %v; want accepted", n, err)
	}
	appendAudit(t, db, 1)
	if b, _ := os.ReadFile(anchor); string(b) == string(older) || string(b) == string(latest) {
		t.Error("the next append did not move the anchor to the new head")
	}
	if fi, _ := os.Stat(anchor); fi.Mode().Perm() != 0o600 {
		t.Errorf("anchor mode %v, want 0600", fi.Mode().Perm())
	}
	os.WriteFile(anchor, older, 0o600) // an old copy put back: two rows behind
	var ce *ChainError
	if _, err := db.VerifyAudit(ctx); !errors.As(err, &ce) || !strings.Contains(ce.Reason, "past its anchor") {
		t.Errorf("two rows past the anchor: err = %v, want BROKEN", err)
	}
}

// Deleting the last rows and carrying on must not move the anchor over the hole.
func TestAuditAnchorIsNotMovedOverDeletedRows(t *testing.T) {
	db := openTemp(t)
	appendAudit(t, db, 6)
	mustExec(t, db, `DROP TRIGGER audit_no_delete`, `DELETE FROM audit WHERE seq >= 5`)
	var warned []string
	db.warn = func(msg string) { warned = append(warned, msg) }
	appendAudit(t, db, 1) // the kiosk goes on: row 5 again, chained and keyed
	if err := db.AnchorError(); err == nil || !strings.Contains(err.Error(), "rows were deleted") {
		t.Errorf("AnchorError = %v, want the deletion reported", err)
	}
	if len(warned) != 1 || !strings.Contains(warned[0], "rows were deleted") {
		t.Errorf("warnings = %q, want the deletion logged once", warned)
	}
	if _, err := db.VerifyAudit(context.Background()); !errors.Is(err, ErrChainBroken) {
		t.Errorf("VerifyAudit after delete and append: %v, want BROKEN", err)
	}
}

// The head of each queued message's own transaction goes with it to the back office.
func TestOutboxMessageCarriesAuditHead(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	appendAudit(t, db, 2)
	if err := db.SaveApplication(ctx, kiosk.Application{Reference: "R1", Service: "passport", Subject: "s", Payload: []byte(`{"reference":"R1"}`)}, submitted("R1")); err != nil {
		t.Fatal(err)
	}
	due, err := db.Due(ctx, 1)
	if err != nil || len(due) != 1 {
		t.Fatalf("due = %v, %v", due, err)
	}
	var mac string
	db.SQL().QueryRow(`SELECT hash FROM audit WHERE seq = 3 AND action = 'application.submit'`).Scan(&mac)
	if mac == "" || due[0].AuditHead != "3:"+mac {
		t.Errorf("message audit head = %q, want the application's own row 3:%s", due[0].AuditHead, mac)
	}
	head, err := readAnchor(AnchorPath(filepath.Join(filepath.Dir(db.Path()), "audit.key")), db.auditKey)
	if err != nil || head.String() != due[0].AuditHead {
		t.Errorf("anchor %v (%v), message head %q: want the same head", head, err, due[0].AuditHead)
	}
}

// A kiosk's audit key is never silently replaced: with keyed rows and no key, a
// read-write Open is refused and a read-only verify says the key is missing.
func TestMissingAuditKey(t *testing.T) {
	db := openTemp(t)
	appendAudit(t, db, 2)
	path := db.Path()
	db.Close()
	keyFile := filepath.Join(filepath.Dir(path), "audit.key")
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("audit key file: %v, %v; want it created 0600", fi, err)
	}
	os.Remove(keyFile)
	if _, err := Open(context.Background(), path, Options{}); err == nil || !strings.Contains(err.Error(), "restore the key") {
		t.Errorf("Open without the key: err = %v, want a refusal", err)
	}
	if _, err := os.Stat(keyFile); err == nil {
		t.Error("a new key was created for an existing keyed chain")
	}
	ro, err := Open(context.Background(), path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := ro.VerifyAudit(context.Background()); err == nil || !strings.Contains(err.Error(), "audit key") {
		t.Errorf("verify without the key: %v", err)
	}
}

// A database from before the keyed chain: its plain rows are kept and put under the
// key by one "audit.rekey" row written in the migration's own transaction.
func TestMigrationRekeysLegacyChain(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kiosk.db")
	old, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	ms, _ := loadMigrations()
	prev := genesisHash
	for _, m := range ms[:2] {
		if _, err := old.Exec(m.sql); err != nil {
			t.Fatal(err)
		}
	}
	old.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`)
	old.Exec(`INSERT INTO schema_migrations VALUES (1, 'a', 't'), (2, 'b', 't')`)
	for seq := int64(1); seq <= 4; seq++ {
		h := rowHash(prev, seq, "t", "system", "old.event", "", "d")
		if _, err := old.Exec(`INSERT INTO audit VALUES (?, 't', 'system', 'old.event', '', 'd', ?, ?)`, seq, prev, h); err != nil {
			t.Fatal(err)
		}
		prev = h
	}
	old.Close()

	db, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if n, err := db.VerifyAudit(ctx); err != nil || n != 5 {
		t.Fatalf("after migration: %d rows, %v; want the 4 old rows and the re-key row", n, err)
	}
	rows, _ := db.AuditRows(ctx, 4, 0)
	if len(rows) != 1 || rows[0].Action != actionRekey || !strings.Contains(rows[0].Detail, "legacy_rows=4") {
		t.Errorf("row 5 = %+v, want the re-key row", rows)
	}
	if _, err := os.Stat(AnchorPath(filepath.Join(dir, "audit.key"))); err != nil {
		t.Errorf("no anchor after the migration: %v", err)
	}
	appendAudit(t, db, 1)
	// The old rows are now covered: recomputing them breaks the re-key row's link.
	mustExec(t, db, `DROP TRIGGER audit_no_update`, `UPDATE audit SET detail = 'x' WHERE seq = 2`)
	recomputePlain(t, db, 2, true)
	var ce *ChainError
	if _, err := db.VerifyAudit(ctx); !errors.As(err, &ce) {
		t.Errorf("old rows recomputed: %v, want BROKEN", err)
	}
}

// captureOffice records what the Deliverer sends.
type captureOffice struct {
	kiosk.BackOffice // Lookup is not used here
	got              []kiosk.ApplicationMessage
}

func (c *captureOffice) Submit(_ context.Context, _ string, msg kiosk.ApplicationMessage) (kiosk.SubmitAnswer, error) {
	c.got = append(c.got, msg)
	return kiosk.SubmitAnswer{}, nil
}

// The delivered application carries the audit head for the back office to keep.
func TestDeliveryCarriesAuditHead(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	if err := db.SaveApplication(ctx, kiosk.Application{Reference: "R1", Service: "passport", Subject: "s", Payload: []byte(`{"reference":"R1"}`)}, submitted("R1")); err != nil {
		t.Fatal(err)
	}
	office := &captureOffice{}
	if n, err := (&kiosk.Deliverer{Queue: db, BackOffice: office}).DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("delivered %d, %v", n, err)
	}
	head, err := readAnchor(AnchorPath(filepath.Join(filepath.Dir(db.Path()), "audit.key")), db.auditKey)
	if err != nil || len(office.got) != 1 || office.got[0].AuditHead != head.String() {
		t.Errorf("delivered %+v; want audit_head %s (%v)", office.got, head, err)
	}
}

// Another process holding the audit write lock makes a write give up with ErrBusy at
// the caller's deadline instead of hanging.
func TestAuditLockWaitIsBounded(t *testing.T) {
	db := openTemp(t)
	appendAudit(t, db, 1)
	other, err := os.OpenFile(AnchorPath(filepath.Join(filepath.Dir(db.Path()), "audit.key"))+".lock", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := syscall.Flock(int(other.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = db.Audit(ctx, kiosk.AuditEvent{Actor: "system", Action: "x"})
	if !errors.Is(err, ErrBusy) || time.Since(start) > 2*time.Second {
		t.Errorf("Audit while another process writes: %v after %v; want ErrBusy at the deadline", err, time.Since(start))
	}
	syscall.Flock(int(other.Fd()), syscall.LOCK_UN)
	if n, err := db.VerifyAudit(context.Background()); err != nil || n != 1 {
		t.Errorf("after the busy write: %d rows, %v; want the one earlier row", n, err)
	}
}

// BenchmarkAnchorWrite is the part of BenchmarkAudit's cost that the anchor adds
// (temp file, fsync, rename, folder fsync).
func BenchmarkAnchorWrite(b *testing.B) {
	path := AnchorPath(filepath.Join(b.TempDir(), "audit.key"))
	key := make([]byte, keyLen)
	for i := 0; i < b.N; i++ {
		if err := writeAnchor(path, key, auditHead{Seq: int64(i + 1), MAC: genesisHash}); err != nil {
			b.Fatal(err)
		}
	}
}
