package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/store"
)

// resetAdminFlags clears the admin flags after a test: run executes the one command
// tree in-process, where flag values would otherwise carry over to the next test.
func resetAdminFlags(t *testing.T) {
	t.Cleanup(func() {
		admin, _, err := rootCmd.Find([]string{"admin"})
		if err != nil {
			t.Fatal(err)
		}
		admin.PersistentFlags().Set("db", "")
		admin.PersistentFlags().Set("audit-key", "")
		maint, _, _ := rootCmd.Find([]string{"admin", "maintenance"})
		maint.Flags().Set("staff", "")
	})
}

// plainRehash recomputes the audit chain from row `from` with plain SHA-256, the way
// anyone holding only the database file could (the pre-key chain's encoding).
func plainRehash(t *testing.T, db *sql.DB, from int64) {
	t.Helper()
	var prev string
	db.QueryRow(`SELECT hash FROM audit WHERE seq = ?`, from-1).Scan(&prev)
	for seq := from; ; seq++ {
		var at, actor, action, subject, detail string
		if err := db.QueryRow(`SELECT at, actor, action, subject, detail FROM audit WHERE seq = ?`, seq).
			Scan(&at, &actor, &action, &subject, &detail); err != nil {
			return
		}
		h := sha256.New()
		for _, f := range []string{prev, strconv.FormatInt(seq, 10), at, actor, action, subject, detail} {
			fmt.Fprintf(h, "%d:%s;", len(f), f)
		}
		sum := hex.EncodeToString(h.Sum(nil))
		if _, err := db.Exec(`UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = ?`, prev, sum, seq); err != nil {
			t.Fatal(err)
		}
		prev = sum
	}
}

// kiosk admin verify-audit says BROKEN and exits 1 when the last rows were deleted or
// the chain was edited and recomputed without the key: both passed before the chain
// was keyed and anchored.
func TestVerifyAuditCatchesTruncationAndRecompute(t *testing.T) {
	tests := []struct {
		name   string
		tamper []string
		rehash bool
		want   string
	}{
		{"last two rows deleted", []string{`DROP TRIGGER audit_no_delete`, `DELETE FROM audit WHERE seq >= 4`}, false, "BROKEN at row 4"},
		{"row edited, chain recomputed", []string{`DROP TRIGGER audit_no_update`, `UPDATE audit SET action = 'nothing' WHERE seq = 3`}, true, "BROKEN at row 3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resetAdminFlags(t)
			path := filepath.Join(t.TempDir(), "kiosk.db")
			db, err := store.Open(context.Background(), path, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			for _, a := range []string{"card.read", "face.verify", "application.submit", "application.receipt", "session.end"} {
				if err := db.Audit(context.Background(), kiosk.AuditEvent{Actor: "resident", Action: a, Subject: "3f2a"}); err != nil {
					t.Fatal(err)
				}
			}
			if out, _, code := run(t, nil, "admin", "verify-audit", "--db", path); code != 0 || !strings.Contains(out, "OK, 5 rows") {
				t.Fatalf("intact log: exit %d, %q", code, out)
			}
			for _, q := range tc.tamper {
				if _, err := db.SQL().Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			if tc.rehash {
				plainRehash(t, db.SQL(), 3)
			}
			out, _, code := run(t, nil, "admin", "verify-audit", "--db", path)
			if code != 1 || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d, %q; want exit 1 and %q", code, out, tc.want)
			}
		})
	}
}

// Staff changing maintenance mode from the command line extend the same keyed chain
// as the running kiosk, with the configured key.
func TestMaintenanceExtendsTheKeyedChain(t *testing.T) {
	resetAdminFlags(t)
	dir := t.TempDir()
	env := map[string]string{
		"KIOSK_STORE_PATH":           filepath.Join(dir, "kiosk.db"),
		"KIOSK_STORE_AUDIT_KEY_FILE": filepath.Join(dir, "keys", "audit.key"),
	}
	for _, arg := range []string{"on", "off"} {
		if out, stderr, code := run(t, env, "admin", "maintenance", arg, "--staff", "S042"); code != 0 {
			t.Fatalf("maintenance %s: exit %d, %q %q", arg, code, out, stderr)
		}
	}
	out, _, code := run(t, env, "admin", "verify-audit")
	if code != 0 || !strings.Contains(out, "OK, 2 rows") {
		t.Fatalf("verify-audit with the configured key: exit %d, %q", code, out)
	}
	if db, err := store.Open(context.Background(), filepath.Join(dir, "kiosk.db"), store.Options{AuditKeyFile: filepath.Join(dir, "other.key")}); err == nil {
		db.Close()
		t.Error("opened the keyed log with a new key")
	}
}
