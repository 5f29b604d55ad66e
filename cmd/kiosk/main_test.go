package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/store"
)

// run executes the command tree in-process and returns stdout, stderr and the exit
// status main() would use.
func run(t *testing.T, env map[string]string, args ...string) (string, string, int) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	configFile = ""
	var out, errb bytes.Buffer
	rootCmd.SetOut(&out)
	rootCmd.SetErr(&errb)
	rootCmd.SetArgs(args)
	err := rootCmd.Execute()
	if err != nil {
		errb.WriteString(err.Error())
	}
	return out.String(), errb.String(), exitCode(err)
}

func TestBadConfigExitsTwoWithOneLinePerProblem(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("face:\n  match_treshold: 0.5\nkiosk:\n  mode: prod\n"), 0o600)
	_, stderr, code := run(t, map[string]string{"KIOSK_UI_LANGUAGE": "fr"}, "config", "check", "--config", bad)
	if code != 2 {
		t.Fatalf("exit %d, want 2; stderr:\n%s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	want := []string{"face.match_treshold", "kiosk.mode", "ui.language"}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), stderr)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], "config: "+w+" = ") {
			t.Errorf("line %d = %q, want the problem with %s", i, lines[i], w)
		}
	}
}

func TestUnknownFlagExitsTwo(t *testing.T) {
	if _, _, code := run(t, nil, "config", "check", "--no-such-flag"); code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
}

func TestVerifyAuditCatchesEditedRow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kiosk.db")
	db, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"card.read", "face.verify", "application.submit", "session.end"} {
		if err := db.Audit(context.Background(), kiosk.AuditEvent{Actor: "resident", Action: a, Subject: "3f2a"}); err != nil {
			t.Fatal(err)
		}
	}
	out, _, code := run(t, nil, "admin", "verify-audit", "--db", path)
	if code != 0 || !strings.Contains(out, "OK, 4 rows") {
		t.Fatalf("intact log: exit %d, %q", code, out)
	}
	// Someone with file access removes the guard and rewrites history.
	for _, q := range []string{`DROP TRIGGER audit_no_update`, `UPDATE audit SET action = 'nothing' WHERE seq = 3`} {
		if _, err := db.SQL().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	out, _, code = run(t, nil, "admin", "verify-audit", "--db", path)
	if code != 1 || !strings.Contains(out, "BROKEN at row 3") {
		t.Fatalf("edited log: exit %d, %q; want exit 1 naming row 3", code, out)
	}
}

func TestMaintenanceNeedsStaffID(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kiosk.db")
	if _, _, code := run(t, nil, "admin", "maintenance", "on", "--db", path); code != 2 {
		t.Errorf("maintenance without --staff: exit %d, want 2", code)
	}
	out, _, code := run(t, nil, "admin", "maintenance", "on", "--staff", "S042", "--db", path)
	if code != 0 || !strings.Contains(out, "OUT OF SERVICE") {
		t.Errorf("exit %d, %q", code, out)
	}
}

func TestDoctorJSONReportsEveryCheck(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{
		"KIOSK_STORE_PATH":             filepath.Join(dir, "k.db"),
		"KIOSK_STORE_SUBJECT_KEY_FILE": filepath.Join(dir, "subject.key"),
		"KIOSK_CARD_TRUST_STORE":       filepath.Join(dir, "no-csca"),
		"KIOSK_FACE_MODELS_DIR":        filepath.Join(dir, "no-models"),
	}
	out, _, code := run(t, env, "doctor", "--json")
	if code != 1 {
		t.Errorf("doctor with missing models and trust store: exit %d, want 1", code)
	}
	for _, want := range []string{`"check": "model fr_detect.onnx"`, `"check": "database"`, `"check": "CSCA trust store"`, `"status": "FAIL"`, `"fix": "make models`} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor --json lacks %s", want)
		}
	}
}

func TestSampleHealthRecordsDoctorRows(t *testing.T) {
	dir := t.TempDir()
	cfg, err := loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store.Path = filepath.Join(dir, "k.db")
	cfg.Store.SubjectKeyFile = filepath.Join(dir, "subject.key")
	cfg.Card.TrustStore = filepath.Join(dir, "none")
	db, err := store.Open(context.Background(), cfg.Store.Path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := sampleHealth(context.Background(), cfg, db); err != nil {
		t.Fatal(err)
	}
	var total, failed int
	db.SQL().QueryRow(`SELECT count(*), sum(ok = 0) FROM health`).Scan(&total, &failed)
	if total < 5 || failed < 1 {
		t.Errorf("health rows = %d (failed %d); want one per doctor row, the missing trust store failed", total, failed)
	}
}

func TestDemoRefusedInProductionMode(t *testing.T) {
	_, stderr, code := run(t, map[string]string{"KIOSK_KIOSK_MODE": "production"}, "run", "--demo")
	if code != 2 || !strings.Contains(stderr, "--demo is refused when kiosk.mode is production") {
		t.Fatalf("exit %d, %q; want 2 and the refusal", code, stderr)
	}
}
