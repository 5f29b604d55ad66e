// Package store keeps the kiosk's work in SQLite (WAL mode): sessions, applications,
// the outbox to the DSI back office, the audit log (a hash chain keyed with a key kept
// outside the database, its head anchored outside it: see anchor.go) and health samples.
//
// Migrations are embedded and each runs in its own transaction. Every error that a
// full or read-only disk can cause comes back wrapped around ErrDiskFull or
// ErrReadOnly, so callers show a clear message instead of failing obscurely.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"

	"github.com/macau-dsi/kiosk/kiosk"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Sentinel errors for storage conditions a staff member can act on.
var (
	ErrDiskFull = errors.New("storage is full")
	ErrReadOnly = errors.New("storage is read-only")
	ErrCantOpen = errors.New("database cannot be opened")
	ErrCorrupt  = errors.New("database file is corrupt")
	ErrBusy     = errors.New("database is busy")
)

// timeFormat stores times as sortable UTC text.
const timeFormat = "2006-01-02T15:04:05.000000000Z"

// DB is the kiosk database.
type DB struct {
	db    *sql.DB
	path  string
	clock kiosk.Clock
	// onStep, set only by tests, is called between the statements of a write.
	onStep func(step string)

	auditKey     []byte // nil when a read-only open found no key file
	auditKeyFile string
	anchorPath   string // "" for an in-memory database
	anchorLk     *anchorLock
	writeMu      sync.Mutex     // one write transaction at a time in this process
	pending      *pendingAppend // the audit row the open transaction appended
	anchorMu     sync.Mutex
	anchorErr    error
	warn         func(string)
}

var _ kiosk.Store = (*DB)(nil)

// Options tune Open.
type Options struct {
	ReadOnly bool        // open for reading only (verify-audit, exports)
	Clock    kiosk.Clock // defaults to the system clock
	// Warn receives what the store worked around, for the log (no personal data):
	// a folder or file open to others that Open restricted, an audit anchor that could
	// not be moved (AnchorError). nil: dropped.
	Warn func(msg string)
	// AuditKeyFile holds the audit chain's key (created 0600 on first use); the head is
	// anchored beside it (AnchorPath). Default: audit.key beside the database.
	AuditKeyFile string
}

// Open opens (creating if needed) the database at path, sets WAL mode and runs any
// pending migrations.
func Open(ctx context.Context, path string, opt Options) (*DB, error) {
	if opt.Clock == nil {
		opt.Clock = kiosk.SystemClock{}
	}
	if path != ":memory:" && !opt.ReadOnly {
		if err := prepareFiles(path, opt.Warn); err != nil {
			return nil, err
		}
	}
	q := url.Values{}
	q.Set("_busy_timeout", "5000")
	q.Set("_foreign_keys", "on")
	if opt.ReadOnly {
		q.Set("mode", "ro")
	} else {
		q.Set("_journal_mode", "WAL")
		// FULL: a committed audit row survives power loss, not only a crash.
		q.Set("_synchronous", "FULL")
		// Deleted and overwritten content (a delivered form) is zeroed, not left in
		// free pages where anyone with the file could read it.
		q.Set("_secure_delete", "on")
	}
	dsn := "file:" + path + "?" + q.Encode()
	sqlDB, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, classify(err))
	}
	// One writer at a time keeps the audit chain linear; WAL lets readers go on.
	sqlDB.SetMaxOpenConns(1)
	d := &DB{db: sqlDB, path: path, clock: opt.Clock, warn: opt.Warn}
	if err := sqlDB.PingContext(ctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("opening %s: %w", path, classify(err))
	}
	if err := d.openAuditKey(ctx, opt); err != nil {
		sqlDB.Close()
		return nil, err
	}
	if !opt.ReadOnly {
		if err := d.migrate(ctx); err != nil {
			d.Close()
			return nil, err
		}
	}
	return d, nil
}

// openAuditKey loads the audit key (creating it on a read-write open) and the anchor
// lock. A missing key is created only while the chain has no keyed row: a new key for
// an existing keyed chain would hide whatever was done to it.
func (d *DB) openAuditKey(ctx context.Context, opt Options) error {
	if d.path == ":memory:" && opt.AuditKeyFile == "" {
		d.auditKey = make([]byte, keyLen) // the chain lives and dies with the process
		_, err := rand.Read(d.auditKey)
		return err
	}
	d.auditKeyFile = opt.AuditKeyFile
	if d.auditKeyFile == "" {
		d.auditKeyFile = filepath.Join(filepath.Dir(d.path), "audit.key")
	}
	d.anchorPath = AnchorPath(d.auditKeyFile)
	_, statErr := os.Stat(d.auditKeyFile)
	if errors.Is(statErr, os.ErrNotExist) {
		if opt.ReadOnly {
			return nil // VerifyAudit says the key is missing; exports still work
		}
		var keyed int64
		// Fails harmlessly (no such column) before migration 3: then no row is keyed.
		if d.db.QueryRowContext(ctx, `SELECT count(*) FROM audit WHERE keyed = 1`).Scan(&keyed); keyed > 0 {
			return fmt.Errorf("audit key %s is missing but the audit log has %d keyed rows: restore the key from backup "+
				"(a new key would make the whole log unverifiable)", d.auditKeyFile, keyed)
		}
	}
	key, err := loadOrCreateKey(d.auditKeyFile, "audit key", !opt.ReadOnly)
	if err != nil {
		return err
	}
	d.auditKey = key
	d.anchorLk, err = openAnchorLock(d.anchorPath, opt.ReadOnly)
	return err
}

// Close closes the database.
func (d *DB) Close() error {
	d.anchorLk.close()
	return d.db.Close()
}

// Path is the database file.
func (d *DB) Path() string { return d.path }

// SQL exposes the handle for packages that extend the store in tests.
func (d *DB) SQL() *sql.DB { return d.db }

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		var v int
		if _, err := fmt.Sscanf(e.Name(), "%04d_", &v); err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a 4-digit version", e.Name())
		}
		b, err := migrationFS.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// migrate applies each pending migration in its own transaction, so a failure leaves
// the schema at the last good version.
func (d *DB) migrate(ctx context.Context) error {
	if _, err := d.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("creating schema_migrations: %w", classify(err))
	}
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	unlock, err := d.anchorLk.lock(ctx, true)
	if err != nil {
		return err
	}
	defer unlock()
	for _, m := range ms {
		var n int
		if err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&n); err != nil {
			return fmt.Errorf("reading schema version: %w", classify(err))
		}
		if n > 0 {
			continue
		}
		tx, err := d.db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.name, classify(err))
		}
		d.pending = nil
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", m.name, classify(err))
		}
		if hook := migrationHooks[m.version]; hook != nil {
			if err := hook(d, ctx, tx); err != nil {
				tx.Rollback()
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)`,
			m.version, m.name, d.now()); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", m.name, classify(err))
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, classify(err))
		}
		d.anchorPending(ctx)
	}
	return nil
}

// migrationHooks run Go code inside a migration's own transaction.
var migrationHooks = map[int]func(d *DB, ctx context.Context, tx *sql.Tx) error{
	3: (*DB).rekeyLegacyChain,
}

// SchemaVersion reports the applied and the latest known migration versions.
func (d *DB) SchemaVersion(ctx context.Context) (applied, latest int, err error) {
	ms, err := loadMigrations()
	if err != nil {
		return 0, 0, err
	}
	latest = ms[len(ms)-1].version
	err = d.db.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&applied)
	if err != nil {
		return 0, latest, fmt.Errorf("reading schema version: %w", classify(err))
	}
	return applied, latest, nil
}

func (d *DB) now() string { return fmtTime(d.clock.Now()) }

func fmtTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func parseTime(s string) (time.Time, error) { return time.Parse(timeFormat, s) }

// classify wraps SQLite and OS errors in the sentinels above, keeping the original.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrFull:
			return fmt.Errorf("%w (free some disk space or ask staff): %v", ErrDiskFull, err)
		case sqlite3.ErrReadonly:
			return fmt.Errorf("%w (check the disk and the file's permissions): %v", ErrReadOnly, err)
		case sqlite3.ErrCantOpen:
			return fmt.Errorf("%w (check the folder exists and is writable): %v", ErrCantOpen, err)
		case sqlite3.ErrCorrupt, sqlite3.ErrNotADB:
			return fmt.Errorf("%w (restore from backup; the damaged file was left untouched): %v", ErrCorrupt, err)
		}
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		msg := pe.Err.Error()
		switch {
		case strings.Contains(msg, "no space left"):
			return fmt.Errorf("%w: %v", ErrDiskFull, err)
		case strings.Contains(msg, "read-only file system"):
			return fmt.Errorf("%w: %v", ErrReadOnly, err)
		}
	}
	return err
}
