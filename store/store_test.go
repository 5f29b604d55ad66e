package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/macau-dsi/kiosk/kiosk"
)

type fixedClock struct{ t time.Time }

func (c *fixedClock) Now() time.Time { return c.t }

func openTemp(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "kiosk.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestOpenMigratesAndUsesWAL(t *testing.T) {
	db := openTemp(t)
	var mode string
	if err := db.SQL().QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
	applied, latest, err := db.SchemaVersion(context.Background())
	if err != nil || applied != latest || latest < 1 {
		t.Fatalf("schema version applied=%d latest=%d err=%v", applied, latest, err)
	}
	for _, table := range []string{"sessions", "applications", "outbox", "audit", "health"} {
		var n int
		if err := db.SQL().QueryRow(`SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?`, table).Scan(&n); err != nil || n != 1 {
			t.Errorf("table %s missing (err %v)", table, err)
		}
	}
	// Re-opening runs no migration twice.
	path := db.Path()
	db.Close()
	db2, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db2.Close()
	var n int
	db2.SQL().QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n)
	if n != latest {
		t.Errorf("schema_migrations has %d rows, want %d", n, latest)
	}
}

// submitted is the audit row the session hands over with an application.
func submitted(ref string) kiosk.AuditEvent {
	return kiosk.AuditEvent{Actor: "resident", Action: "application.submit", Subject: "s", Detail: "service=passport reference=" + ref}
}

func appendAudit(t *testing.T, db *DB, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		err := db.Audit(context.Background(), kiosk.AuditEvent{Actor: "system", Action: "test.event", Subject: "s" + strconv.Itoa(i), Detail: "row " + strconv.Itoa(i)})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestAuditChainCatchesTampering(t *testing.T) {
	tests := []struct {
		name    string
		tamper  []string
		wantSeq int64
		reason  string
	}{
		{"untouched", nil, 0, ""},
		{"edited detail", []string{`DROP TRIGGER audit_no_update`, `UPDATE audit SET detail = 'nothing happened' WHERE seq = 3`}, 3, "edited"},
		{"edited and rehashed without the chain", []string{`DROP TRIGGER audit_no_update`, `UPDATE audit SET actor = 'staff:x', hash = 'ab' WHERE seq = 2`}, 2, "edited"},
		{"deleted row", []string{`DROP TRIGGER audit_no_delete`, `DELETE FROM audit WHERE seq = 4`}, 5, "deleted"},
		{"deleted last two then renumbered", []string{`DROP TRIGGER audit_no_delete`, `DROP TRIGGER audit_no_update`, `DELETE FROM audit WHERE seq = 2`, `UPDATE audit SET seq = seq - 1 WHERE seq > 2`}, 2, "link"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := openTemp(t)
			appendAudit(t, db, 6)
			for _, q := range tc.tamper {
				if _, err := db.SQL().Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			n, err := db.VerifyAudit(context.Background())
			if tc.wantSeq == 0 {
				if err != nil || n != 6 {
					t.Fatalf("VerifyAudit = %d, %v; want 6 rows OK", n, err)
				}
				return
			}
			var ce *ChainError
			if !errors.As(err, &ce) || !errors.Is(err, ErrChainBroken) {
				t.Fatalf("VerifyAudit err = %v, want a ChainError", err)
			}
			if ce.Seq != tc.wantSeq || !strings.Contains(ce.Reason, tc.reason) {
				t.Errorf("first bad row = %d (%s), want %d (%s)", ce.Seq, ce.Reason, tc.wantSeq, tc.reason)
			}
		})
	}
}

func TestAuditIsAppendOnly(t *testing.T) {
	db := openTemp(t)
	appendAudit(t, db, 2)
	if _, err := db.SQL().Exec(`UPDATE audit SET detail = 'x' WHERE seq = 1`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("UPDATE audit: err = %v, want append-only refusal", err)
	}
	if _, err := db.SQL().Exec(`DELETE FROM audit`); err == nil {
		t.Error("DELETE FROM audit succeeded")
	}
}

// TestKilledWriterLosesNoCommittedRow runs a child process that commits audit rows and
// then dies by SIGKILL in the middle of an open transaction; every committed row must
// be there after reopening and the uncommitted one must not.
func TestKilledWriterLosesNoCommittedRow(t *testing.T) {
	if os.Getenv("STORE_TEST_WRITER") != "" {
		return // the child's own run of this test
	}
	path := filepath.Join(t.TempDir(), "kiosk.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$", "-test.count=1")
	cmd.Env = append(os.Environ(), "STORE_TEST_WRITER="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	committed := 0
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if n, ok := strings.CutPrefix(line, "committed "); ok {
			committed, _ = strconv.Atoi(n)
		}
		if line == "in-transaction" {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if committed != 50 {
		t.Fatalf("child reported %d committed rows before the kill, want 50", committed)
	}
	db, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer db.Close()
	n, err := db.VerifyAudit(context.Background())
	if err != nil {
		t.Fatalf("chain after kill: %v", err)
	}
	if n != int64(committed) {
		t.Errorf("found %d audit rows after the kill, want the %d committed", n, committed)
	}
	apps, _ := db.CountApplications(context.Background())
	if apps != 0 {
		t.Errorf("uncommitted application survived the kill (%d rows)", apps)
	}
}

func TestHelperWriter(t *testing.T) {
	path := os.Getenv("STORE_TEST_WRITER")
	if path == "" {
		t.Skip("helper process for TestKilledWriterLosesNoCommittedRow")
	}
	db, err := Open(context.Background(), path, Options{})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	for i := 1; i <= 50; i++ {
		if err := db.Audit(context.Background(), kiosk.AuditEvent{Actor: "system", Action: "test.write", Detail: strconv.Itoa(i)}); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("committed", i)
	}
	tx, err := db.SQL().Begin()
	if err != nil {
		os.Exit(1)
	}
	tx.Exec(`INSERT INTO applications(reference, service, subject, fee_avos, payload, created_at) VALUES ('R1','passport','x',0,x'00','t')`)
	fmt.Println("in-transaction")
	time.Sleep(time.Minute) // killed here
}

func TestDiskFullIsAClearError(t *testing.T) {
	db := openTemp(t)
	appendAudit(t, db, 3)
	// Cap the file so the next writes hit SQLITE_FULL, as on a full disk.
	var pages int
	db.SQL().QueryRow(`PRAGMA page_count`).Scan(&pages)
	if _, err := db.SQL().Exec(fmt.Sprintf(`PRAGMA max_page_count = %d`, pages+1)); err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 64*1024)
	var err error
	saved := 0
	for i := 0; i < 10 && err == nil; i++ {
		ref := "R" + strconv.Itoa(i)
		err = db.SaveApplication(context.Background(), kiosk.Application{Reference: ref, Service: "passport", Subject: "s", Payload: big}, submitted(ref))
		if err == nil {
			saved++
		}
	}
	if !errors.Is(err, ErrDiskFull) {
		t.Fatalf("err = %v, want ErrDiskFull", err)
	}
	if !strings.Contains(err.Error(), "storage is full") {
		t.Errorf("message %q does not say the storage is full", err)
	}
	if n, err := db.VerifyAudit(context.Background()); err != nil || n != int64(3+saved) {
		t.Errorf("after a full disk: %d rows, %v; want the %d committed rows intact", n, err, 3+saved)
	}
}

func TestReadOnlyIsAClearError(t *testing.T) {
	db := openTemp(t)
	appendAudit(t, db, 1)
	path := db.Path()
	db.Close()
	ro, err := Open(context.Background(), path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	err = ro.Audit(context.Background(), kiosk.AuditEvent{Actor: "system", Action: "x"})
	if !errors.Is(err, ErrReadOnly) {
		t.Fatalf("write to read-only store: err = %v, want ErrReadOnly", err)
	}
	if n, err := ro.VerifyAudit(context.Background()); err != nil || n != 1 {
		t.Errorf("read-only verify: %d, %v", n, err)
	}
}

func TestOpenBadPaths(t *testing.T) {
	dir := t.TempDir()
	notDB := filepath.Join(dir, "garbage.db")
	os.WriteFile(notDB, []byte(strings.Repeat("this is not a database ", 200)), 0o600)
	fileAsDir := filepath.Join(dir, "file")
	os.WriteFile(fileAsDir, nil, 0o600)
	tests := []struct {
		name string
		path string
		want error
	}{
		{"not a database", notDB, ErrCorrupt},
		{"folder is a file", filepath.Join(fileAsDir, "kiosk.db"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db, err := Open(context.Background(), tc.path, Options{})
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.path) && !strings.Contains(err.Error(), filepath.Dir(tc.path)) {
				t.Errorf("err %q does not name the path", err)
			}
		})
	}
	// The damaged file is left as it was.
	b, _ := os.ReadFile(notDB)
	if !strings.HasPrefix(string(b), "this is not a database") {
		t.Error("Open modified a file that is not a database")
	}
}

func TestOutboxIdempotentWithBackoff(t *testing.T) {
	clock := &fixedClock{t: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "k.db"), Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := db.SaveApplication(ctx, kiosk.Application{Reference: "key-1", Service: "one-account", Subject: "s", Payload: []byte(`{"password":"1234"}`)}, submitted("key-1")); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := db.Enqueue(ctx, "key-1", "application", []byte(`{"ref":"A"}`)); err != nil {
			t.Fatal(err)
		}
	}
	due, err := db.Due(ctx, 10)
	if err != nil || len(due) != 1 {
		t.Fatalf("due = %v, %v; want one message for one idempotency key", due, err)
	}
	if err := db.MarkFailed(ctx, due[0].ID, due[0].Attempts, errors.New("offline")); err != nil {
		t.Fatal(err)
	}
	if due, _ := db.Due(ctx, 10); len(due) != 0 {
		t.Fatal("failed message is due again at once")
	}
	clock.t = clock.t.Add(Backoff(1))
	due, _ = db.Due(ctx, 10)
	if len(due) != 1 || due[0].Attempts != 1 {
		t.Fatalf("after backoff due = %+v", due)
	}
	if err := db.MarkDelivered(ctx, due[0].ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.Pending(ctx); n != 0 {
		t.Errorf("pending = %d after delivery", n)
	}
	var left int
	db.SQL().QueryRow(`SELECT length(payload) FROM outbox WHERE id = ?`, due[0].ID).Scan(&left)
	if left != 0 {
		t.Errorf("delivered payload still holds %d bytes", left)
	}
	app, err := db.Application(ctx, "key-1")
	if err != nil || len(app.Payload) != 0 {
		t.Errorf("application payload after delivery = %q, %v; want it cleared", app.Payload, err)
	}
}

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		attempt int
		want    time.Duration
	}{{1, 30 * time.Second}, {2, time.Minute}, {3, 2 * time.Minute}, {7, 32 * time.Minute}, {8, time.Hour} /* 64 min, capped */, {20, time.Hour}} {
		got := Backoff(tc.attempt)
		if got != tc.want {
			t.Errorf("Backoff(%d) = %v, want %v", tc.attempt, got, tc.want)
		}
	}
}

func TestSubjectKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "subject.key")
	k1, err := LoadOrCreateSubjectKey(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	k2, err := LoadOrCreateSubjectKey(path)
	if err != nil {
		t.Fatal(err)
	}
	h := k1.Hash("1234567(8)")
	if h != k2.Hash("1234567(8)") || h == k1.Hash("1234567(9)") || strings.Contains(h, "1234567") || len(h) != 32 {
		t.Errorf("hash %q not stable, distinct and opaque", h)
	}
	os.WriteFile(path, []byte("short"), 0o600)
	if _, err := LoadOrCreateSubjectKey(path); err == nil {
		t.Error("a truncated key file was accepted")
	}
}

func TestHealth(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	if err := db.RecordHealth(ctx, HealthSample{Component: "camera", OK: false, Detail: "no device"}); err != nil {
		t.Fatal(err)
	}
	n, err := db.PruneHealth(ctx, time.Now().Add(time.Hour))
	if err != nil || n != 1 {
		t.Errorf("prune = %d, %v", n, err)
	}
}

func BenchmarkAudit(b *testing.B) {
	db, err := Open(context.Background(), filepath.Join(b.TempDir(), "k.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := db.Audit(context.Background(), kiosk.AuditEvent{Actor: "system", Action: "bench", Detail: "x"}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestMaintenanceSettingIsAudited(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	if on, err := db.Maintenance(ctx); err != nil || on {
		t.Fatalf("fresh kiosk in maintenance: %v %v", on, err)
	}
	if err := db.SetSetting(ctx, SettingMaintenance, "on", "staff:S123"); err != nil {
		t.Fatal(err)
	}
	if on, _ := db.Maintenance(ctx); !on {
		t.Error("maintenance not on after SetSetting")
	}
	rows, _ := db.AuditRows(ctx, 0, 0)
	if len(rows) != 1 || rows[0].Actor != "staff:S123" || rows[0].Action != "setting.change" {
		t.Errorf("audit rows = %+v", rows)
	}
}

func TestSaveApplicationQueuesItAtomically(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	app := kiosk.Application{Reference: "261122-ABCD1234-7", Service: "passport", Subject: "s", Payload: []byte(`{"ok":1}`)}
	if err := db.SaveApplication(ctx, app, submitted(app.Reference)); err != nil {
		t.Fatal(err)
	}
	due, err := db.Due(ctx, 10)
	if err != nil || len(due) != 1 || due[0].IdempotencyKey != app.Reference || due[0].Kind != kiosk.OutboxKindApplication {
		t.Fatalf("due = %+v, %v; want the application queued under its reference", due, err)
	}
	// A second save of the same reference fails whole: no second outbox row either.
	if err := db.SaveApplication(ctx, app, submitted(app.Reference)); err == nil {
		t.Fatal("duplicate reference saved")
	}
	if n, _ := db.Pending(ctx); n != 1 {
		t.Errorf("pending = %d, want 1", n)
	}
	// A failing outbox insert rolls the application back.
	if _, err := db.SQL().Exec(`CREATE TRIGGER outbox_refuse BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'refused'); END`); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveApplication(ctx, kiosk.Application{Reference: "R2", Service: "passport", Subject: "s"}, submitted("R2")); err == nil {
		t.Fatal("save succeeded although the outbox refused")
	}
	if _, err := db.Application(ctx, "R2"); err == nil {
		t.Error("application kept although its outbox row was not written")
	}
}

// A full disk in the middle of a setting change must leave no audit row claiming the
// change: the audit row and the setting are one transaction (or neither is written).
func TestSetSettingFullDiskWritesNeitherRowNorSetting(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	appendAudit(t, db, 2)
	var pages, pageSize int
	db.SQL().QueryRow(`PRAGMA page_count`).Scan(&pages)
	db.SQL().QueryRow(`PRAGMA page_size`).Scan(&pageSize)
	// Room for one copy of the value (the audit row's detail) but not for two (the
	// setting too): written in separate transactions, the audit row would fit alone.
	value := strings.Repeat("v", 3*pageSize)
	if _, err := db.SQL().Exec(fmt.Sprintf(`PRAGMA max_page_count = %d`, pages+5)); err != nil {
		t.Fatal(err)
	}
	err := db.SetSetting(ctx, "banner", value, "staff:S123")
	if !errors.Is(err, ErrDiskFull) {
		t.Fatalf("SetSetting on a full disk: err = %v, want ErrDiskFull", err)
	}
	if _, ok, _ := db.Setting(ctx, "banner"); ok {
		t.Error("setting written although SetSetting failed")
	}
	rows, _ := db.AuditRows(ctx, 0, 0)
	for _, r := range rows {
		if r.Action == "setting.change" {
			t.Errorf("audit says %q was changed, but the change failed: %+v", r.Subject, r.Detail[:10])
		}
	}
	if n, err := db.VerifyAudit(ctx); err != nil || n != 2 {
		t.Errorf("after the failed change: %d rows, %v; want the 2 earlier rows intact", n, err)
	}
}

// TestKilledSubmissionIsAllOrNothing kills a child process by SIGKILL at each point
// of a submission (between its statements, and just after the commit): after the
// restart the application, its outbox row and its audit row are all there or none is.
func TestKilledSubmissionIsAllOrNothing(t *testing.T) {
	if os.Getenv("STORE_TEST_SUBMIT") != "" {
		return // the child's own run of this test
	}
	for _, tc := range []struct {
		killAt string
		want   int // rows of each kind after the restart
	}{
		{"application", 0},
		{"audit", 0},
		{"outbox", 0},
		{"committed-before-anchor", 1}, // the crash window: one row past the anchor
		{"committed", 1},
	} {
		t.Run(tc.killAt, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "kiosk.db")
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSubmit$", "-test.count=1")
			cmd.Env = append(os.Environ(), "STORE_TEST_SUBMIT="+path, "STORE_TEST_KILL_AT="+tc.killAt)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			reached := false
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if sc.Text() == "stopped at "+tc.killAt {
					reached = true
					break
				}
			}
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			if !reached {
				t.Fatalf("child never reached %q", tc.killAt)
			}
			db, err := Open(context.Background(), path, Options{})
			if err != nil {
				t.Fatalf("reopen after kill: %v", err)
			}
			defer db.Close()
			ctx := context.Background()
			apps, _ := db.CountApplications(ctx)
			queued, _ := db.Pending(ctx)
			audited, err := db.VerifyAudit(ctx)
			if err != nil {
				t.Fatalf("chain after kill: %v", err)
			}
			if apps != tc.want || queued != tc.want || audited != int64(tc.want) {
				t.Errorf("killed at %s: %d applications, %d queued, %d audit rows; want %d of each",
					tc.killAt, apps, queued, audited, tc.want)
			}
			// The next append anchors the head again and the chain stays whole.
			appendAudit(t, db, 2)
			if n, err := db.VerifyAudit(ctx); err != nil || n != int64(tc.want+2) || db.AnchorError() != nil {
				t.Errorf("after the restart and two appends: %d rows, %v (anchor: %v)", n, err, db.AnchorError())
			}
		})
	}
}

func TestHelperSubmit(t *testing.T) {
	path := os.Getenv("STORE_TEST_SUBMIT")
	if path == "" {
		t.Skip("helper process for TestKilledSubmissionIsAllOrNothing")
	}
	killAt := os.Getenv("STORE_TEST_KILL_AT")
	db, err := Open(context.Background(), path, Options{})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	stop := func(step string) {
		if step == killAt {
			fmt.Println("stopped at", step)
			time.Sleep(time.Minute) // killed here
		}
	}
	db.onStep = stop
	var port kiosk.Store = db
	app := kiosk.Application{Reference: "R1", Service: "passport", Subject: "s", Payload: []byte(`{"reference":"R1"}`)}
	if err := port.SaveApplication(context.Background(), app, submitted("R1")); err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	stop("committed")
	os.Exit(1)
}

func TestSaveApplicationAuditsInItsTransaction(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	e := submitted("R1")
	if err := db.SaveApplication(ctx, kiosk.Application{Reference: "R1", Service: "passport", Subject: "s"}, e); err != nil {
		t.Fatal(err)
	}
	rows, _ := db.AuditRows(ctx, 0, 0)
	if len(rows) != 1 || rows[0].Action != e.Action || rows[0].Detail != e.Detail || rows[0].Actor != e.Actor {
		t.Fatalf("audit rows = %+v, want the submission's row", rows)
	}
	// An audit row that cannot be written takes the application and its outbox row with it.
	if err := db.SaveApplication(ctx, kiosk.Application{Reference: "R2", Service: "passport", Subject: "s"}, kiosk.AuditEvent{}); err == nil {
		t.Fatal("saved with an invalid audit event")
	}
	if _, err := db.Application(ctx, "R2"); err == nil {
		t.Error("application kept although its audit row was not written")
	}
	if n, _ := db.Pending(ctx); n != 1 {
		t.Errorf("pending = %d, want 1 (R2 rolled back)", n)
	}
}

func fileMode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// The database holds personal data until delivery: the file, its -wal and -shm are
// 0600 in a 0700 folder, whatever the process umask.
func TestDatabaseFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0) // the most permissive umask: modes must not depend on it
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "state", "dsi-kiosk")
	path := filepath.Join(dir, "kiosk.db")
	db, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.SaveApplication(context.Background(), kiosk.Application{Reference: "R1", Service: "passport", Subject: "s", Payload: []byte(`{"phone":"+853 6123 4567"}`)}, submitted("R1")); err != nil {
		t.Fatal(err)
	}
	if m := fileMode(t, dir); m != 0o700 {
		t.Errorf("database folder mode %v, want 0700", m)
	}
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		if m := fileMode(t, f); m != 0o600 {
			t.Errorf("%s mode %v, want 0600", filepath.Base(f), m)
		}
	}
}

// A folder or files left open to others (an older kiosk, a hand-made folder) are
// restricted at Open, with a warning naming each; a shared sticky folder such as /tmp
// is refused, never changed.
func TestOpenRestrictsExistingFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dsi-kiosk")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "kiosk.db")
	db, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	appendAudit(t, db, 1)
	db.Close()
	for _, f := range []string{dir, path} {
		os.Chmod(f, 0o755)
	}
	os.WriteFile(path+"-wal", nil, 0o644)
	os.Chmod(path+"-wal", 0o644)
	var warnings []string
	db, err = Open(context.Background(), path, Options{Warn: func(msg string) { warnings = append(warnings, msg) }})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if m := fileMode(t, dir); m != 0o700 {
		t.Errorf("folder mode %v after Open, want 0700", m)
	}
	for _, f := range []string{path, path + "-wal"} {
		if m := fileMode(t, f); m != 0o600 {
			t.Errorf("%s mode %v after Open, want 0600", filepath.Base(f), m)
		}
	}
	all := strings.Join(warnings, "\n")
	if len(warnings) != 3 || !strings.Contains(all, dir+" ") || !strings.Contains(all, path+" ") || !strings.Contains(all, path+"-wal") {
		t.Errorf("warnings = %q, want one per restricted folder or file, naming it", warnings)
	}

	shared := filepath.Join(t.TempDir(), "shared")
	os.Mkdir(shared, 0o777)
	os.Chmod(shared, 0o777|os.ModeSticky)
	_, err = Open(context.Background(), filepath.Join(shared, "kiosk.db"), Options{})
	if err == nil || !strings.Contains(err.Error(), shared) || !strings.Contains(err.Error(), "chmod 700") {
		t.Errorf("Open in a sticky shared folder: err = %v, want a refusal naming the folder and the fix", err)
	}
	if fi, _ := os.Stat(shared); fi.Mode()&os.ModeSticky == 0 || fi.Mode().Perm() != 0o777 {
		t.Errorf("refused folder changed to %v", fi.Mode())
	}
}

// Once delivered, the form (phone number, new photo...) is gone from the database and
// from its files on disk, not only from the rows: deleted cells are zeroed and the WAL
// that held the insert is emptied.
func TestDeliveredPayloadIsGoneFromDisk(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	marker := "PHONE-853-61234567-" + strings.Repeat("Z", 3000) // spans an overflow page too
	payload := []byte(`{"reference":"R1","form":{"phone":"` + marker + `"}}`)
	if err := db.SaveApplication(ctx, kiosk.Application{Reference: "R1", Service: "passport", Subject: "s", Payload: payload}, submitted("R1")); err != nil {
		t.Fatal(err)
	}
	// Checkpointed as SQLite does on its own, so the payload is in the main file too.
	if _, err := db.SQL().Exec(`PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
		t.Fatal(err)
	}
	due, err := db.Due(ctx, 1)
	if err != nil || len(due) != 1 {
		t.Fatalf("due = %v, %v", due, err)
	}
	if err := db.MarkDelivered(ctx, due[0].ID); err != nil {
		t.Fatal(err)
	}
	app, err := db.Application(ctx, "R1")
	if err != nil || len(app.Payload) != 0 {
		t.Errorf("application payload after delivery = %q, %v; want it cleared", app.Payload, err)
	}
	for _, f := range []string{db.Path(), db.Path() + "-wal", db.Path() + "-shm"} {
		b, err := os.ReadFile(f)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "PHONE-853-61234567") {
			t.Errorf("%s still holds the delivered payload", filepath.Base(f))
		}
	}
}
