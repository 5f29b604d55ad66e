package office

import (
	"database/sql"
	"path/filepath"
	"testing"
)

// TestOpenDBUpgradesOrders: a database made before card payments (a demo folder
// kept from an earlier run) gets the new order columns, its orders read as wallet
// orders, and opening it again changes nothing.
func TestOpenDBUpgradesOrders(t *testing.T) {
	dir := t.TempDir()
	old, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, DBFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(`CREATE TABLE orders (reference TEXT PRIMARY KEY, service TEXT NOT NULL, amount INTEGER NOT NULL,
		kiosk_id TEXT NOT NULL, status TEXT NOT NULL, qr TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL,
		paid_at TEXT, refunded_at TEXT, refund_reason TEXT);
		INSERT INTO orders VALUES ('261128-7KQ2M4PT-X', 'passport', 30000, 'k', 'paid', 'q', 'a', 'b', NULL, NULL, NULL)`); err != nil {
		t.Fatal(err)
	}
	old.Close()
	for i := 0; i < 2; i++ {
		db, err := OpenDB(dir)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		var method string
		var provider, terminal sql.NullString
		if err := db.QueryRow(`SELECT method, provider_ref, terminal_id FROM orders`).Scan(&method, &provider, &terminal); err != nil || method != "qr" || provider.Valid || terminal.Valid {
			t.Fatalf("open %d: old order reads %q %v %v, %v", i, method, provider, terminal, err)
		}
		db.Close()
	}
}
