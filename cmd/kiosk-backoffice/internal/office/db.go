package office

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	_ "github.com/mattn/go-sqlite3" // the database/sql driver
)

// DBFile is the back office's SQLite file inside its directory.
const DBFile = "backoffice.db"

const schema = `
CREATE TABLE IF NOT EXISTS residents (
	subject TEXT PRIMARY KEY,
	label TEXT NOT NULL DEFAULT '',             -- seed profile, for testers' listings
	residency TEXT NOT NULL,
	nationality TEXT NOT NULL,
	passport_expiry TEXT,
	travel_permit_expiry TEXT,
	my_photo INTEGER NOT NULL DEFAULT 0,
	other_travel INTEGER NOT NULL DEFAULT 0,
	counter_only INTEGER NOT NULL DEFAULT 0,
	account_status TEXT NOT NULL DEFAULT 'none',
	account_id TEXT,
	account_phone TEXT,
	account_kiosk TEXT,
	account_created_at TEXT,
	password_hash TEXT,
	device_bound INTEGER NOT NULL DEFAULT 0,
	password_locked_until TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS residents_account ON residents(account_id) WHERE account_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS seeded_pending (
	subject TEXT NOT NULL,
	service TEXT NOT NULL,
	submitted_on TEXT NOT NULL,
	PRIMARY KEY (subject, service)
);
CREATE TABLE IF NOT EXISTS applications (
	reference TEXT PRIMARY KEY,
	subject TEXT NOT NULL,
	service TEXT NOT NULL,
	kiosk_id TEXT NOT NULL,
	language TEXT NOT NULL,
	fee INTEGER NOT NULL,
	verified TEXT NOT NULL,
	form TEXT NOT NULL,
	sealed TEXT,                                -- sealed secrets as received (opaque here)
	created_at TEXT NOT NULL,
	received_at TEXT NOT NULL,
	status TEXT NOT NULL,
	anchor_seq INTEGER NOT NULL,
	anchor_mac TEXT NOT NULL,
	collect_from TEXT                           -- YYYY-MM-DD; NULL: nothing to collect
);
CREATE TABLE IF NOT EXISTS audit_anchors (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	kiosk_id TEXT NOT NULL,
	seq INTEGER NOT NULL,
	mac TEXT NOT NULL,
	reference TEXT NOT NULL,
	received_at TEXT NOT NULL,
	regressed INTEGER NOT NULL DEFAULT 0        -- seq below the kiosk's previous head
);
CREATE INDEX IF NOT EXISTS audit_anchors_kiosk ON audit_anchors(kiosk_id, id);
CREATE TABLE IF NOT EXISTS orders (
	reference TEXT PRIMARY KEY,
	service TEXT NOT NULL,
	amount INTEGER NOT NULL,
	kiosk_id TEXT NOT NULL,
	status TEXT NOT NULL,
	qr TEXT NOT NULL,
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	paid_at TEXT,
	refunded_at TEXT,
	refund_reason TEXT,
	method TEXT NOT NULL DEFAULT 'qr',          -- qr (wallet) or card (terminal)
	provider_ref TEXT,                          -- wallet transaction id or terminal approval code
	terminal_id TEXT                            -- card orders: the terminal that approved
);
CREATE TABLE IF NOT EXISTS otp (
	id TEXT PRIMARY KEY,
	subject TEXT NOT NULL,
	phone TEXT NOT NULL,
	code TEXT NOT NULL,                         -- plain: this is a simulator, sms last shows it
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	attempts_left INTEGER NOT NULL,
	verified INTEGER NOT NULL DEFAULT 0,
	used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS bindings (
	id TEXT PRIMARY KEY,
	subject TEXT NOT NULL,
	kiosk_id TEXT NOT NULL,
	status TEXT NOT NULL,
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	bound_at TEXT
);
CREATE TABLE IF NOT EXISTS eid_nonces (
	nonce TEXT PRIMARY KEY,
	used_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency (
	kiosk_id TEXT NOT NULL,
	key TEXT NOT NULL,
	fingerprint TEXT NOT NULL,
	status INTEGER NOT NULL,
	content_type TEXT NOT NULL,
	body BLOB NOT NULL,
	created_at TEXT NOT NULL,
	PRIMARY KEY (kiosk_id, key)
);
`

// DB is the back office's SQLite database.
type DB struct{ *sql.DB }

// OpenDB opens (creating with mode 0600) dir/backoffice.db and applies the schema.
// The server and the CLI commands (pay, app scan, list) open the same file; WAL and
// a busy timeout let them work side by side.
func OpenDB(dir string) (*DB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, DBFile)
	// Create the file ourselves so that it is 0600 from its first byte (SQLite
	// gives its -wal and -shm files the database file's mode).
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	f.Close()
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000&_journal_mode=WAL&_txlock=immediate&_synchronous=NORMAL")
	if err != nil {
		return nil, err
	}
	if _, err := db.ExecContext(context.Background(), schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: applying schema: %w", path, err)
	}
	if err := addColumns(db, "orders", addedOrderColumns); err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: upgrading schema: %w", path, err)
	}
	if err := addColumns(db, "residents", addedResidentColumns); err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: upgrading schema: %w", path, err)
	}
	if err := addColumns(db, "applications", addedApplicationColumns); err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: upgrading schema: %w", path, err)
	}
	return &DB{db}, nil
}

// addedOrderColumns came with card payments: a database made before them (a demo
// folder kept from an earlier run) gets them added, with the same defaults.
var addedOrderColumns = [][2]string{
	{"method", "TEXT NOT NULL DEFAULT 'qr'"},
	{"provider_ref", "TEXT"},
	{"terminal_id", "TEXT"},
}

// addedResidentColumns came with the eID start: the identification record an eID
// login answers (backoffice.EIDHolder as JSON) and the reference photo. A resident
// seeded before them has none, and their eID login is refused until re-seeded.
// The e-mail came with the One Account step that asks for it.
var addedResidentColumns = [][2]string{
	{"holder", "TEXT"},
	{"photo", "BLOB"},
	{"photo_format", "TEXT"},
	{"account_email", "TEXT"},
}

// addedApplicationColumns came with the collection date (NULL: no date known for
// the applications a database already held) and with the kiosk's new photo (issue 11
// §2): where the document photo comes from and, taken at the kiosk, its JPEG.
var addedApplicationColumns = [][2]string{{"collect_from", "TEXT"}, {"photo_source", "TEXT"}, {"photo", "BLOB"}}

// addColumns adds to table the columns it lacks.
func addColumns(db *sql.DB, table string, cols [][2]string) error {
	rows, err := db.Query(`SELECT name FROM pragma_table_info(?)`, table)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		have[n] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, c := range cols {
		if have[c[0]] {
			continue
		}
		if _, err := db.Exec(`ALTER TABLE ` + table + ` ADD COLUMN ` + c[0] + ` ` + c[1]); err != nil {
			return err
		}
	}
	return nil
}

// ts formats a time for the database (UTC, RFC 3339 with nanoseconds).
func ts(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// parseTS reads a time written by ts.
func parseTS(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

func nullTS(s sql.NullString) *time.Time {
	if !s.Valid || s.String == "" {
		return nil
	}
	t := parseTS(s.String)
	return &t
}

// withTx runs f in one IMMEDIATE transaction (the DSN's _txlock), so that a check
// and the write that depends on it cannot interleave with another writer.
func (d *DB) withTx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := d.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

var errNoRows = sql.ErrNoRows

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
