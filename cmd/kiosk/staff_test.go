package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/macau-dsi/kiosk/config"
	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/store"
)

func TestStaffPINHashRoundTrip(t *testing.T) {
	line, err := hashStaffPIN("S1234", []byte("975310"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(line, "975310") {
		t.Fatal("the PIN is in its hash line")
	}
	cfg := config.Default()
	cfg.Staff.PINHashes = []string{line}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("config refuses the line it documents: %v", err)
	}
	pins, err := parseStaffPINs(cfg.Staff.PINHashes)
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := pins.CheckPIN([]byte("975310")); !ok || id != "S1234" {
		t.Errorf("right PIN: %q %t", id, ok)
	}
	for _, wrong := range []string{"975311", "", "9753100"} {
		if _, ok := pins.CheckPIN([]byte(wrong)); ok {
			t.Errorf("%q accepted", wrong)
		}
	}
	for _, bad := range []string{"S1:$argon2i$v=19$m=1,t=1,p=1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA", "S1:plain", "nocolon"} {
		if _, err := parseStaffPINs([]string{bad}); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	// The command reads the PIN from standard input and prints the line.
	cmd := staffPINHashCmd()
	var out bytes.Buffer
	cmd.SetIn(strings.NewReader("975310\n"))
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"--staff", "S1234"})
	if err := cmd.Execute(); err != nil || !strings.HasPrefix(out.String(), "S1234:$argon2id$") {
		t.Fatalf("staff-pin-hash: %q, %v", out.String(), err)
	}
	cmd = staffPINHashCmd()
	cmd.SetIn(strings.NewReader("12\n"))
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs([]string{"--staff", "S1234"})
	if err := cmd.Execute(); err == nil {
		t.Error("a 2-digit staff PIN was hashed")
	}
}

func TestStaffCountOf(t *testing.T) {
	for _, tc := range []struct{ action, detail, want string }{
		{"session.start", "", "sessions"},
		{"application.submit", "service=passport reference=260514-X", "applications_passport"},
		{"application.submit", "failed error=disk full", ""},
		{"face.verify", "attempt=1 live=false match=false score=0.1", "liveness_failures"},
		{"face.verify", "attempt=1 live=true match=false score=0.1", "face_failures"},
		{"face.verify", "attempt=1 live=true match=true score=0.8", ""},
		{"pin.verify", "wrong tries_left=2", "pin_failures"},
		{"pin.verify", "blocked", "pin_blocked"},
		{"card.read", "failed reason=reason.card_unreadable", "card_problems"},
		{"session.timeout", "event=timeout state=pin", "timeouts"},
	} {
		got := staffCountOf(tc.action, tc.detail)
		if got != tc.want {
			t.Errorf("%s %q: %q, want %q", tc.action, tc.detail, got, tc.want)
		}
		if got != "" && !contains(kiosk.StaffCountNames, got) {
			t.Errorf("%q is not a name the staff screen translates", got)
		}
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func TestStaffDeskOnARealStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, filepath.Join(dir, "kiosk.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg := config.Default()
	cfg.Staff.ExportDir = filepath.Join(dir, "usb")
	d := newStaffDesk(db, cfg, nil)
	defer d.cancel()
	for _, e := range []kiosk.AuditEvent{
		{Actor: "system", Action: "session.start"},
		{Actor: "system", Action: "face.verify", Detail: "attempt=1 live=true match=false"},
		{Actor: "resident", Action: "application.submit", Subject: "subj", Detail: "service=id-renewal reference=260514-ABC"},
	} {
		if err := db.Audit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	d.health = []doctorResult{{Check: "pcscd", Status: statusOK, Detail: "listening"}, {Check: "reader", Status: statusFail, Detail: "gone"},
		{Check: "model fr_detect.onnx", Status: statusOK, Detail: "ok"}}
	ov, err := d.Overview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	health := map[string]kiosk.HealthItem{}
	for _, h := range ov.Health {
		health[h.Name] = h
	}
	if h := health["card_reader"]; h.OK || !strings.Contains(h.Detail, "gone") {
		t.Errorf("a failing reader row shows %+v", h)
	}
	if !health["models"].OK || health["printer"].OK || health["printer"].Detail != "not checked" {
		t.Errorf("health %+v", ov.Health)
	}
	counts := map[string]int{}
	for _, c := range ov.Counts {
		counts[c.Name] = c.Value
	}
	if counts["sessions"] != 1 || counts["face_failures"] != 1 || counts["applications_id-renewal"] != 1 {
		t.Errorf("counts %v", counts)
	}
	// Maintenance and face thresholds are audited settings with the staff id.
	if err := d.SetMaintenance(ctx, true, "S1234"); err != nil {
		t.Fatal(err)
	}
	if on, _ := db.Maintenance(ctx); !on {
		t.Error("maintenance not on")
	}
	if err := d.SetFaceThresholds(ctx, kiosk.FaceThresholds{Match: 0.2, Detect: 0.6}, "S1234"); err == nil {
		t.Error("a match threshold of 0.2 was saved")
	}
	if err := d.SetFaceThresholds(ctx, kiosk.FaceThresholds{Match: 0.45, Detect: 0.6}, "S1234"); err != nil {
		t.Fatal(err)
	}
	face := cfg.Face
	if err := applyStaffFaceSettings(ctx, db, &face); err != nil || face.MatchThreshold != 0.45 {
		t.Errorf("saved thresholds at start: %v %v", face.MatchThreshold, err)
	}
	events, check, err := d.AuditTail(ctx, 5)
	if err != nil || !check.OK || len(events) != 5 {
		t.Fatalf("audit tail: %d rows, %+v, %v", len(events), check, err)
	}
	if last := events[len(events)-1]; last.Actor != "staff:S1234" || last.Action != "setting.change" {
		t.Errorf("last audit row %+v", last)
	}
	// Export: no stick, then a stick.
	if _, err := d.Export(ctx, "S1234"); err == nil {
		t.Error("exported with no USB stick")
	}
	os.Mkdir(cfg.Staff.ExportDir, 0o700)
	where, err := d.Export(ctx, "S1234")
	if err != nil {
		t.Fatal(err)
	}
	audit, err := os.ReadFile(filepath.Join(where, "audit.jsonl"))
	if err != nil || bytes.Count(audit, []byte("\n")) < 6 {
		t.Fatalf("exported audit: %d bytes, %v", len(audit), err)
	}
	var stats map[string]any
	b, _ := os.ReadFile(filepath.Join(where, "statistics.json"))
	if err := json.Unmarshal(b, &stats); err != nil || stats["kiosk"] != cfg.Kiosk.ID {
		t.Errorf("statistics %s: %v", b, err)
	}
	if fi, _ := os.Stat(filepath.Join(where, "audit.jsonl")); fi.Mode().Perm() != 0o600 {
		t.Errorf("exported audit mode %v", fi.Mode().Perm())
	}
}
