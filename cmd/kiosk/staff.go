package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/argon2"

	"github.com/macau-dsi/kiosk/config"
	"github.com/macau-dsi/kiosk/kiosk"
	"github.com/macau-dsi/kiosk/store"
)

// Settings staff mode writes (audited by store.SetSetting with the staff id). Face
// thresholds saved here override the configuration from the next start.
const (
	settingFaceMatch  = "face.match_threshold"
	settingFaceDetect = "face.detect_confidence"
)

// staffDesk is kiosk.StaffDesk over the store, the health checks and the configuration.
type staffDesk struct {
	db        *store.DB
	cfg       config.Config
	exportDir string
	restart   func() // ends the process for its supervisor to start again

	mu     sync.Mutex
	health []doctorResult // the latest health sample (health.go)
	cancel func()
}

var _ kiosk.StaffDesk = (*staffDesk)(nil)

func newStaffDesk(db *store.DB, cfg config.Config, restart func()) *staffDesk {
	d := &staffDesk{db: db, cfg: cfg, exportDir: cfg.Staff.ExportDir, restart: restart}
	d.cancel = onHealth(func(_ time.Time, rows []doctorResult) {
		d.mu.Lock()
		d.health = rows
		d.mu.Unlock()
	})
	return d
}

// staffHealthOf groups doctor rows into the items staff see (kiosk.StaffHealthNames).
func staffHealthOf(check string) string {
	c := strings.ToLower(check)
	switch {
	case strings.Contains(c, "reader") || c == "pcscd":
		return "card_reader"
	case strings.Contains(c, "camera") || strings.Contains(c, "video"):
		return "camera"
	case strings.Contains(c, "printer"):
		return "printer"
	case strings.Contains(c, "disk"):
		return "disk"
	case c == "database" || c == "subject key":
		return "database"
	case c == "outbox":
		return "outbox"
	case strings.Contains(c, "back office") || strings.Contains(c, "backoffice"):
		return "backoffice"
	case strings.Contains(c, "audit"):
		return "audit_chain"
	case strings.HasPrefix(c, "model") || c == "opencv":
		return "models"
	}
	return ""
}

func (d *staffDesk) Overview(ctx context.Context) (kiosk.StaffOverview, error) {
	d.mu.Lock()
	rows := d.health
	d.mu.Unlock()
	if rows == nil {
		// No sample yet (just started): run the checks that are safe now.
		for _, c := range doctorChecks {
			if c.whileRunning {
				rows = append(rows, c.run(ctx, d.cfg)...)
			}
		}
	}
	var ov kiosk.StaffOverview
	byName := map[string]*kiosk.HealthItem{}
	for _, name := range kiosk.StaffHealthNames {
		ov.Health = append(ov.Health, kiosk.HealthItem{Name: name, OK: true})
	}
	for i := range ov.Health {
		byName[ov.Health[i].Name] = &ov.Health[i]
	}
	seen := map[string]bool{}
	for _, r := range rows {
		it := byName[staffHealthOf(r.Check)]
		if it == nil {
			continue
		}
		seen[it.Name] = true
		if r.Status == statusFail && it.OK {
			it.OK, it.Detail = false, r.Check+": "+r.Detail
		} else if it.OK && it.Detail == "" {
			it.Detail = r.Detail
		}
	}
	// Items no check looked at are said so, not shown as fine.
	health := ov.Health[:0]
	for _, it := range ov.Health {
		if !seen[it.Name] {
			it.OK, it.Detail = false, "not checked"
		}
		health = append(health, it)
	}
	ov.Health = health
	var err error
	if ov.Counts, err = d.counts(ctx); err != nil {
		return ov, err
	}
	if ov.Maintenance, err = d.db.Maintenance(ctx); err != nil {
		return ov, err
	}
	ov.Face, err = d.faceThresholds(ctx)
	return ov, err
}

// counts tallies today's audit rows (Macau's day) into kiosk.StaffCountNames.
func (d *staffDesk) counts(ctx context.Context) ([]kiosk.Count, error) {
	y, m, day := time.Now().In(kiosk.MacauTime).Date()
	rows, err := d.db.AuditSince(ctx, time.Date(y, m, day, 0, 0, 0, 0, kiosk.MacauTime))
	if err != nil {
		return nil, err
	}
	n := map[string]int{}
	for _, r := range rows {
		n[staffCountOf(r.Action, r.Detail)]++
	}
	out := make([]kiosk.Count, 0, len(kiosk.StaffCountNames))
	for _, name := range kiosk.StaffCountNames {
		out = append(out, kiosk.Count{Name: name, Value: n[name]})
	}
	return out, nil
}

// staffCountOf names what one audit row counts towards ("" for none). The session
// writes these actions (kiosk/session.go); the details carry no personal data.
func staffCountOf(action, detail string) string {
	switch action {
	case "session.start":
		return "sessions"
	case "application.submit":
		if strings.HasPrefix(detail, "failed") {
			return ""
		}
		svc, _, _ := strings.Cut(strings.TrimPrefix(detail, "service="), " ")
		return "applications_" + svc
	case "session.cancel":
		return "cancelled"
	case "session.timeout":
		return "timeouts"
	case "card.read":
		if strings.HasPrefix(detail, "failed") {
			return "card_problems"
		}
	case "face.verify":
		switch {
		case strings.Contains(detail, "live=false"):
			return "liveness_failures"
		case strings.Contains(detail, "match=false"):
			return "face_failures"
		}
	case "pin.verify":
		switch {
		case detail == "blocked":
			return "pin_blocked"
		case strings.HasPrefix(detail, "wrong"):
			return "pin_failures"
		}
	case "payment.declined":
		return "payments_declined"
	case "session.end":
		return "completed"
	}
	return ""
}

func (d *staffDesk) AuditTail(ctx context.Context, n int) ([]kiosk.AuditEvent, kiosk.AuditCheck, error) {
	rows, err := d.db.LastAuditRows(ctx, n)
	if err != nil {
		return nil, kiosk.AuditCheck{}, err
	}
	out := make([]kiosk.AuditEvent, 0, len(rows))
	for _, r := range rows {
		at, _ := time.Parse("2006-01-02T15:04:05.000000000Z", r.At)
		// Subjects are keyed hashes; staff do not need them on screen.
		out = append(out, kiosk.AuditEvent{At: at, Actor: r.Actor, Action: r.Action, Detail: r.Detail})
	}
	checked, verr := d.db.VerifyAudit(ctx)
	check := kiosk.AuditCheck{Rows: checked, OK: verr == nil}
	if verr != nil {
		check.Problem = verr.Error()
	}
	return out, check, nil
}

func (d *staffDesk) SetMaintenance(ctx context.Context, on bool, staffID string) error {
	v := "off"
	if on {
		v = "on"
	}
	return d.db.SetSetting(ctx, store.SettingMaintenance, v, "staff:"+staffID)
}

func (d *staffDesk) faceThresholds(ctx context.Context) (kiosk.FaceThresholds, error) {
	t := kiosk.FaceThresholds{Match: d.cfg.Face.MatchThreshold, Detect: d.cfg.Face.DetectConfidence}
	for key, dst := range map[string]*float64{settingFaceMatch: &t.Match, settingFaceDetect: &t.Detect} {
		v, ok, err := d.db.Setting(ctx, key)
		if err != nil {
			return t, err
		}
		if f, perr := strconv.ParseFloat(v, 64); ok && perr == nil {
			*dst = f
		}
	}
	return t, nil
}

func (d *staffDesk) SetFaceThresholds(ctx context.Context, t kiosk.FaceThresholds, staffID string) error {
	if err := t.Validate(); err != nil {
		return err
	}
	actor := "staff:" + staffID
	if err := d.db.SetSetting(ctx, settingFaceMatch, strconv.FormatFloat(t.Match, 'f', 2, 64), actor); err != nil {
		return err
	}
	return d.db.SetSetting(ctx, settingFaceDetect, strconv.FormatFloat(t.Detect, 'f', 2, 64), actor)
}

// Export writes the whole audit log (JSON lines) and today's statistics to a new
// folder on the USB stick, and audits it. Nothing personal: subjects are keyed hashes.
func (d *staffDesk) Export(ctx context.Context, staffID string) (string, error) {
	if fi, err := os.Stat(d.exportDir); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("no USB stick at %s", d.exportDir)
	}
	dir := filepath.Join(d.exportDir, "dsi-kiosk-"+d.cfg.Kiosk.ID+"-"+time.Now().In(kiosk.MacauTime).Format("20060102-150405"))
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", err
	}
	rows, err := d.db.AuditRows(ctx, 0, 0)
	if err != nil {
		return "", err
	}
	f, err := os.OpenFile(filepath.Join(dir, "audit.jsonl"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, r := range rows {
		if err := enc.Encode(r); err != nil {
			f.Close()
			return "", err
		}
	}
	if err := errors.Join(w.Flush(), f.Sync(), f.Close()); err != nil {
		return "", err
	}
	counts, err := d.counts(ctx)
	if err != nil {
		return "", err
	}
	b, _ := json.MarshalIndent(map[string]any{"kiosk": d.cfg.Kiosk.ID, "day": time.Now().In(kiosk.MacauTime).Format("2006-01-02"), "counts": counts}, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "statistics.json"), b, 0o600); err != nil {
		return "", err
	}
	if err := d.db.Audit(ctx, kiosk.AuditEvent{Actor: "staff:" + staffID, Action: "staff.export", Detail: fmt.Sprintf("rows=%d", len(rows))}); err != nil {
		return "", err
	}
	return dir, nil
}

func (d *staffDesk) Restart(staffID string) error {
	if d.restart == nil {
		return errors.New("restart is not available here")
	}
	go func() {
		time.Sleep(500 * time.Millisecond) // let the screen say so first
		d.restart()
	}()
	return nil
}

// --- the staff PIN (hidden gesture) -------------------------------------------

// argon2Params are the cost of hashing a staff PIN: ~64 MiB and ~0.1 s on a kiosk, so
// guessing a 6-digit PIN from a stolen configuration costs days, and the 5-try lock
// stops guessing at the screen.
var argon2Params = struct {
	memory  uint32
	time    uint32
	threads uint8
}{64 * 1024, 3, 2}

// staffPINs is kiosk.StaffAuth over the configured argon2id hashes.
type staffPINs []staffPINHash

type staffPINHash struct {
	id           string
	memory, time uint32
	threads      uint8
	salt, hash   []byte
}

var _ kiosk.StaffAuth = staffPINs(nil)

// parseStaffPINs reads "ID:$argon2id$v=19$m=..,t=..,p=..$salt$hash" lines.
func parseStaffPINs(lines []string) (staffPINs, error) {
	var out staffPINs
	for _, l := range lines {
		id, phc, ok := strings.Cut(l, ":")
		parts := strings.Split(phc, "$")
		if !ok || len(parts) != 6 || parts[1] != "argon2id" || parts[2] != "v=19" {
			return nil, fmt.Errorf("staff.pin_hashes: %q is not ID:$argon2id$v=19$...", id)
		}
		var h staffPINHash
		h.id = id
		var p uint32
		if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &h.memory, &h.time, &p); err != nil || p == 0 || p > 255 {
			return nil, fmt.Errorf("staff.pin_hashes: %s: bad parameters %q", id, parts[3])
		}
		h.threads = uint8(p)
		var err error
		if h.salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil {
			return nil, fmt.Errorf("staff.pin_hashes: %s: salt: %w", id, err)
		}
		if h.hash, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(h.hash) < 16 {
			return nil, fmt.Errorf("staff.pin_hashes: %s: hash", id)
		}
		out = append(out, h)
	}
	return out, nil
}

// CheckPIN tries every staff hash (constant-time compare); the PIN is never kept.
func (s staffPINs) CheckPIN(pin []byte) (string, bool) {
	for _, h := range s {
		got := argon2.IDKey(pin, h.salt, h.time, h.memory, h.threads, uint32(len(h.hash)))
		ok := subtle.ConstantTimeCompare(got, h.hash) == 1
		clear(got)
		if ok {
			return h.id, true
		}
	}
	return "", false
}

// hashStaffPIN makes the configuration line for a staff member's PIN.
func hashStaffPIN(id string, pin []byte) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	p := argon2Params
	h := argon2.IDKey(pin, salt, p.time, p.memory, p.threads, 32)
	return fmt.Sprintf("%s:$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", id, p.memory, p.time, p.threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(h)), nil
}

// staffPINHashCmd is `kiosk admin staff-pin-hash`.
func staffPINHashCmd() *cobra.Command {
	var id string
	cmd := &cobra.Command{
		Use:   "staff-pin-hash --staff ID",
		Short: "read a staff PIN from standard input and print its staff.pin_hashes line (argon2id)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !staffIDPattern.MatchString(id) {
				return errors.New("--staff: the staff id (2 to 32 letters, digits, - and _)")
			}
			line, err := bufio.NewReader(cmd.InOrStdin()).ReadBytes('\n')
			if err != nil && len(line) == 0 {
				return errors.New("no PIN on standard input")
			}
			pin := []byte(strings.TrimSpace(string(line)))
			clear(line)
			defer clear(pin)
			if len(pin) < 6 || strings.Trim(string(pin), "0123456789") != "" {
				return errors.New("a staff PIN has 6 or more digits")
			}
			out, err := hashStaffPIN(id, pin)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), out)
			return nil
		},
	}
	cmd.Flags().StringVar(&id, "staff", "", "the staff member's id")
	return cmd
}

// wireStaff gives the session its staff mode: the desk over the store, and the
// configured staff PINs for the hidden gesture.
func wireStaff(ctx context.Context, deps *kiosk.Deps, db *store.DB, cfg config.Config) error {
	pins, err := parseStaffPINs(cfg.Staff.PINHashes)
	if err != nil {
		return err
	}
	if len(pins) > 0 {
		deps.StaffAuth = pins
	}
	deps.Staff = newStaffDesk(db, cfg, func() {
		// The supervisor (systemd, Restart=always) starts the kiosk again.
		if p, err := os.FindProcess(os.Getpid()); err == nil {
			_ = p.Signal(syscall.SIGTERM)
		}
	})
	return nil
}

// applyStaffFaceSettings takes the face thresholds staff saved over the configured
// ones; a stored value outside the safe range is refused, never used.
func applyStaffFaceSettings(ctx context.Context, db *store.DB, face *config.FaceConfig) error {
	if _, set, err := db.Setting(ctx, settingFaceMatch); err != nil || !set {
		return err // nothing saved in staff mode: the configuration stands
	}
	t, err := (&staffDesk{db: db, cfg: config.Config{Face: *face}}).faceThresholds(ctx)
	if err != nil {
		return err
	}
	if err := t.Validate(); err != nil {
		return fmt.Errorf("face thresholds saved in staff mode: %w", err)
	}
	face.MatchThreshold, face.DetectConfidence = t.Match, t.Detect
	return nil
}
